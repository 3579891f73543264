// Constrained-random command streams through npu_top (tb/top/random_stream.hpp),
// compared with the functional model (npu::ref::AccelModel) on the DRAM output
// region. Commands that would race one of another queue wait for it through a
// FENCE or a dependency token; tokens, FENCEs and IRQs also land anywhere. Even
// seeds run as two runs back to back without a reset between. Every third seed
// carries a fault: an illegal command at the end (the model's fault code and
// address must match, and so must the data), or in the middle an illegal
// command, a LOAD meeting SLVERR/DECERR or a STORE meeting it; then the fault
// must name that command, and after a soft reset (with CTRL.SCRUB) a new
// stream runs bit-exact.
#include "random_stream.hpp"
#include "top_bench.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <vector>

using namespace npu;
using Inject = tb::RandomStream::Inject;
using Segment = tb::RandomStream::Segment;

namespace {

// What a suite of streams ran, printed at its end (the figures of docs/verification.md).
struct SuiteStats {
  unsigned seeds = 0, runs = 0, commands = 0, fences = 0, irqs = 0, token_waits = 0, pushes = 0,
           pops = 0, drains = 0, full_bursts = 0, end_faults = 0, recoveries = 0;
  unsigned mid[4] = {};  // by Inject
  void add(const Segment& s) {
    ++runs;
    commands += static_cast<unsigned>(s.cmds.size());
    fences += s.fences, irqs += s.irqs, token_waits += s.token_waits, pushes += s.pushes;
    pops += s.pops, drains += s.drains, full_bursts += s.full_bursts;
  }
  void print(const char* suite) const {
    fmt::print("[random streams] {}: {} seeds, {} runs, {} commands: {} FENCEs, {} IRQs, {} races ordered by "
               "tokens, {} token pushes, {} pops and {} drain NOPs, {} 4 KiB transfers; faults: {} illegal "
               "commands at the end, {} in the middle, {} LOADs and {} STOREs meeting AXI errors in the middle, "
               "each followed by a soft reset and a bit-exact run ({})\n",
               suite, seeds, runs, commands, fences, irqs, token_waits, pushes, pops, drains, full_bursts,
               end_faults, mid[1], mid[2], mid[3], recoveries);
  }
};

// Runs `cmds` on the device; addr receives each command's ring address.
rt::RunResult run_on_device(rt::Device& dev, const std::vector<isa::Command>& cmds,
                            std::vector<std::uint32_t>& addr) {
  for (std::size_t i = 0; i < cmds.size(); ++i) addr.push_back(dev.command_addr(i));
  return dev.run(cmds, rt::run_timeout(cmds, dev.hw()));
}

void expect_output(tb::TopBench& bench, tb::RandomStream& gen, const std::vector<isa::Command>& cmds,
                   const std::vector<std::uint32_t>& addr, const rt::RunResult& got, const char* what) {
  ref::AccelModel model = gen.model();
  const auto want = model.run(cmds, [&addr](std::size_t i) { return addr[i]; });
  INFO(what << ": " << got.describe());
  if (want) {
    REQUIRE(got.status == rt::RunResult::Status::Fault);
    CHECK(isa::fault_name(got.fault) == isa::fault_name(want->code));
    CHECK(got.fault_addr == want->cmd_addr);
  } else {
    REQUIRE(got.ok());
  }
  const auto expect = model.read_dram(gen.out_base(), gen.out_bytes());
  const auto actual = bench.dev().download(gen.out_buffer(), 0, gen.out_bytes());
  for (std::size_t i = 0; i < expect.size(); ++i)
    if (expect[i] != actual[i])
      FAIL(fmt::format("{}: DRAM output byte 0x{:08x} (offset {}): expected 0x{:02x}, got 0x{:02x} "
                       "(run ended at cycle {})", what, gen.out_base() + i, i, expect[i], actual[i],
                       bench.cycle()));
}

const char* inject_name(Inject i) {
  switch (i) {
    case Inject::Illegal: return "an illegal command";
    case Inject::ReadError: return "a LOAD meeting an AXI error";
    case Inject::WriteError: return "a STORE meeting an AXI error";
    default: return "no fault";
  }
}

void run_random_stream(std::uint64_t seed, unsigned length, SuiteStats& stats) {
  INFO(fmt::format("seed {} (replay: NPU_SEED={} {} \"{}\")", seed, seed, tb::self_executable(),
                   Catch::getResultCapture().getCurrentTestName()));
  std::mt19937_64 rng(seed);
  tb::TopBenchOptions o;
  o.mem.read_latency = 1 + rng() % 40;
  o.mem.write_latency = 1 + rng() % 40;
  o.mem.stall_prob = (rng() % 3) * 0.15;
  o.mem.seed = seed;
  o.scrub_on_reset = true;  // the run after a mid-stream fault starts from zeroed memories
  tb::TopBench bench(16, o);
  auto& dev = bench.dev();
  tb::RandomStream gen(bench, rng());

  const bool faulty = seed % 3 == 0, end_fault = faulty && seed / 3 % 4 == 0;
  const Inject mid = !faulty || end_fault ? Inject::None : static_cast<Inject>(seed / 3 % 4);
  std::vector<Segment> runs;
  if (seed % 2 == 0) runs.push_back(gen.body(length / 2));
  runs.push_back(gen.body(length - (seed % 2 == 0 ? length / 2 : 0), mid));
  Segment& last = runs.back();
  gen.dump_locals(last);
  if (end_fault) last.cmds.push_back(gen.illegal_command());
  // Debug knob: NPU_STREAM_CUT=k keeps the first k commands of the last run (and
  // the NOPs its tokens need) and then dumps the memories into the output region,
  // so a mismatch can be bisected to the command that caused it.
  if (const char* cut = std::getenv("NPU_STREAM_CUT")) {
    last.cmds.resize(std::min<std::size_t>(std::stoul(cut), last.cmds.size()));
    tb::balance_tokens(last.cmds);
    gen.dump_locals(last);
  }
  SuiteStats mine;
  for (const auto& r : runs) mine.add(r);
  const std::string summary =
      fmt::format("{} commands in {} run(s): {} fences, {} IRQs, {} races ordered by tokens, {} token pushes and "
                  "{} pops ({} drain NOPs), {} 4 KiB transfers, {}{}", mine.commands, mine.runs, mine.fences,
                  mine.irqs, mine.token_waits, mine.pushes, mine.pops, mine.drains, mine.full_bursts,
                  end_fault ? "an illegal command at the end" : inject_name(mid), mid != Inject::None ? " in the middle" : "");
  ++stats.seeds;
  for (const auto& r : runs) stats.add(r);
  stats.end_faults += end_fault;
  ++stats.mid[static_cast<unsigned>(mid)];
  INFO(summary);
  fmt::print("[random stream] seed {}: {}\n", seed, summary);
  if (std::getenv("NPU_DUMP_STREAM"))
    for (const auto& r : runs)
      for (std::size_t i = 0; i < r.cmds.size(); ++i) {
        std::string w;
        for (auto x : r.cmds[i].w) w += fmt::format(" {:08x}", x);
        fmt::print("cmd {:3}:{}\n", i, w);
      }

  // Each run starts where the last left off (no reset); the model runs them as one.
  std::vector<isa::Command> all;
  std::vector<std::uint32_t> addr;
  rt::RunResult got;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    got = run_on_device(dev, runs[k].cmds, addr);
    all.insert(all.end(), runs[k].cmds.begin(), runs[k].cmds.end());
    if (k + 1 < runs.size()) {
      INFO("first of two runs: " << got.describe());
      REQUIRE(got.ok());
    }
  }
  if (mid == Inject::None) {
    expect_output(bench, gen, all, addr, got, "stream");
    return;
  }
  // A fault in the middle: it names the injected command (what ran after it
  // depends on timing, so the data is not compared) ...
  INFO(got.describe());
  REQUIRE(got.status == rt::RunResult::Status::Fault);
  const std::size_t at = all.size() - last.cmds.size() + *last.fault_at;
  CHECK(got.fault_addr == addr[at]);
  if (mid == Inject::Illegal) {
    ref::AccelModel model = gen.model();
    const auto want = model.run(all, [&addr](std::size_t i) { return addr[i]; });
    REQUIRE(want);
    CHECK(want->cmd_addr == addr[at]);
    CHECK(isa::fault_name(got.fault) == isa::fault_name(want->code));
  } else {
    CHECK(isa::fault_name(got.fault) == isa::fault_name(last.fault));
  }
  // ... and after a soft reset the device runs a new stream bit-exact.
  dev.soft_reset();
  gen.restore_output();
  Segment again = gen.body(length / 2);
  gen.dump_locals(again);
  stats.add(again);
  ++stats.recoveries;
  std::vector<std::uint32_t> addr2;
  got = run_on_device(dev, again.cmds, addr2);
  expect_output(bench, gen, again.cmds, addr2, got, "stream after the fault and a soft reset");
}

}  // namespace

TEST_CASE("Random command streams match the functional model") {
  SuiteStats stats;
  for (auto seed : tb::test_seeds(21, 16)) run_random_stream(seed, 100, stats);
  stats.print("default");
}

TEST_CASE("Random command streams match the functional model over many seeds", "[nightly]") {
  SuiteStats stats;
  for (auto seed : tb::test_seeds(101, 200)) run_random_stream(seed, 400, stats);
  stats.print("nightly");
}
