// Simulation control for Verilated models: owns the context and the model,
// drives clk_i / rst_ni, counts cycles, optional FST tracing, hard limits.
//
// Timing convention: the testbench changes inputs while clk_i is low, calls
// settle() to see combinational outputs (e.g. ready), then tick() produces
// one rising edge. A handshake observed after settle() completes at tick().
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>
#ifdef NPU_COVERAGE
#include <unistd.h>
#include <verilated_cov.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace npu::tb {

// Thrown when a wait or the whole simulation runs out of cycles.
class SimTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Cycles [from, to) that a trace records: a failure at cycle 3 M needs only
// the cycles before it, not a 3 M-cycle FST.
struct TraceWindow {
  std::uint64_t from = 0;
  std::uint64_t to = std::numeric_limits<std::uint64_t>::max();
};

// NPU_TRACE_FROM / NPU_TRACE_TO (cycles; either may be absent). Throws
// std::invalid_argument on a value that is not a number or an empty window.
inline TraceWindow env_trace_window() {
  TraceWindow w;
  auto read = [](const char* name, std::uint64_t& out) {
    const char* s = std::getenv(name);
    if (!s || !*s) return;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 0);
    if (*end != '\0' || *s == '-')
      throw std::invalid_argument(std::string(name) + "='" + s + "' is not a cycle number");
    out = v;
  };
  read("NPU_TRACE_FROM", w.from);
  read("NPU_TRACE_TO", w.to);
  if (w.to <= w.from)
    throw std::invalid_argument("NPU_TRACE_TO must be greater than NPU_TRACE_FROM (an empty trace window)");
  return w;
}

// make coverage: writes the points of a context whose models were Verilated with
// --coverage to a file of its own in NPU_COVERAGE_DIR (one counter per process,
// so two model types in one test do not overwrite each other's file).
inline void write_coverage(VerilatedContext& ctx) {
#ifdef NPU_COVERAGE
  if (const char* dir = std::getenv("NPU_COVERAGE_DIR")) {
    static unsigned n = 0;
    const std::string path = std::string(dir) + "/cov-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".dat";
    ctx.coveragep()->write(path.c_str());
  }
#else
  (void)ctx;
#endif
}

// Writes a context's coverage when it goes out of scope, also when a failing
// REQUIRE unwinds. Declare it after the models: their counters must still exist.
class CoverageWriter {
 public:
  explicit CoverageWriter(VerilatedContext& ctx) : ctx_(ctx) {}
  CoverageWriter(const CoverageWriter&) = delete;
  CoverageWriter& operator=(const CoverageWriter&) = delete;
  ~CoverageWriter() { write_coverage(ctx_); }

 private:
  VerilatedContext& ctx_;
};

template <class Model>
class SimControl {
 public:
  static constexpr std::uint64_t kDefaultCycleLimit = 50'000'000;

  // trace_path empty = no tracing (the trace is only opened when asked for).
  // trace_depth 0 records every signal; n > 0 only n levels below TOP (2 =
  // the top module's ports and its own signals), which keeps long runs small.
  // x_seed != 0: models built with --x-initial unique start every flop and
  // memory bit from this seed (randReset 2) instead of zero.
  // The trace window comes from NPU_TRACE_FROM / NPU_TRACE_TO
  // (set_trace_window() overrides it).
  explicit SimControl(std::string trace_path = {},
                      std::uint64_t cycle_limit = kDefaultCycleLimit, int trace_depth = 0,
                      std::uint64_t x_seed = 0)
      : ctx_(std::make_unique<VerilatedContext>()),
        cycle_limit_(cycle_limit),
        trace_path_(std::move(trace_path)) {
    ctx_->debug(0);
    ctx_->randReset(x_seed ? 2 : 0);
    if (x_seed) ctx_->randSeed(static_cast<int>(x_seed & 0x7FFFFFFF));
    // Must precede model construction so the model registers trace callbacks.
    if (!trace_path_.empty()) ctx_->traceEverOn(true);
    model_ = std::make_unique<Model>(ctx_.get(), "TOP");
    if (!trace_path_.empty()) {
      trace_ = std::make_unique<VerilatedFstC>();
      if (trace_depth > 0) trace_->dumpvars(trace_depth, "TOP");
      model_->trace(trace_.get(), 99);
      trace_->open(trace_path_.c_str());
      if (!trace_->isOpen())
        throw std::runtime_error("cannot open FST trace '" + trace_path_ + "'");
      window_ = env_trace_window();
    }
    model_->clk_i = 0;
    model_->rst_ni = 1;
    model_->eval();  // first dump is at the first tick(), time 0
  }

  SimControl(const SimControl&) = delete;
  SimControl& operator=(const SimControl&) = delete;

  ~SimControl() {
    model_->final();
    if (trace_) trace_->close();
    write_coverage(*ctx_);
  }

  Model& dut() { return *model_; }
  const Model& dut() const { return *model_; }
  VerilatedContext& context() { return *ctx_; }
  std::uint64_t cycle() const { return cycle_; }
  std::uint64_t cycle_limit() const { return cycle_limit_; }
  bool tracing() const { return static_cast<bool>(trace_); }
  const std::string& trace_path() const { return trace_path_; }
  const TraceWindow& trace_window() const { return window_; }
  void set_trace_window(TraceWindow w) {
    if (w.to <= w.from) throw std::invalid_argument("empty trace window");
    window_ = w;
  }

  // Asserts the asynchronous reset (a real falling edge) for `cycles` cycles.
  void reset(unsigned cycles = 4) {
    model_->rst_ni = 0;
    model_->eval();
    for (unsigned i = 0; i < cycles; ++i) tick();
    model_->rst_ni = 1;
    model_->eval();
  }

  // Propagates input changes made since the last edge through the model.
  void settle() { model_->eval(); }

  // One full clock cycle: settle inputs (dumped at the falling edge time),
  // then the rising edge. Throws SimTimeout past the hard cycle limit.
  void tick() {
    if (cycle_ >= cycle_limit_)
      throw SimTimeout("simulation exceeded its hard limit of " +
                       std::to_string(cycle_limit_) + " cycles");
    model_->eval();
    dump();
    ctx_->timeInc(kHalfPeriod);
    model_->clk_i = 1;
    model_->eval();
    dump();
    ctx_->timeInc(kHalfPeriod);
    model_->clk_i = 0;
    ++cycle_;
  }

  // Ticks until pred() holds (checked after settle(), before each edge);
  // throws SimTimeout naming `what` and the cycle if it takes > max_cycles.
  template <class Pred>
  void wait_until(Pred&& pred, std::uint64_t max_cycles, std::string_view what) {
    const std::uint64_t start = cycle_;
    for (;;) {
      settle();
      if (pred()) return;
      if (cycle_ - start >= max_cycles)
        throw SimTimeout("timeout waiting for " + std::string(what) + ": " +
                         std::to_string(max_cycles) +
                         " cycles elapsed (started at cycle " +
                         std::to_string(start) + ", now cycle " +
                         std::to_string(cycle_) + ")");
      tick();
    }
  }

 private:
  static constexpr std::uint64_t kHalfPeriod = 5;  // 10 time units per cycle

  void dump() {
    if (trace_ && cycle_ >= window_.from && cycle_ < window_.to) trace_->dump(ctx_->time());
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedFstC> trace_;
  std::uint64_t cycle_ = 0;
  std::uint64_t cycle_limit_;
  std::string trace_path_;
  TraceWindow window_;
};

}  // namespace npu::tb
