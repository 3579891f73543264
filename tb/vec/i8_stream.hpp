// Shared stream driver for the INT8 element-wise vector units (vec_requant,
// vec_eltwise_i8, vec_gelu_i8, vec_silu_i8): packs rows into beats, offers
// them with random valid gaps, applies random out_ready back-pressure,
// checks every output beat bit-exactly and in order, checks that a stalled
// output holds still, and reports the first mismatch with a replay command.
#pragma once

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "port_bits.hpp"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "vec_replay_catch.hpp"

namespace npu::tb::i8 {

constexpr std::uint64_t kStallLimit = 2000;  // cycles without any handshake

// One input beat: elements [offset, offset + count) of row `row`.
struct BeatRef {
  std::size_t row = 0;
  std::size_t offset = 0;
  unsigned count = 0;
  bool first = false;
  bool last = false;
};

// Splits rows of the given lengths into beats of `lanes` elements.
inline std::vector<BeatRef> pack_rows(const std::vector<std::size_t>& lengths, unsigned lanes) {
  std::vector<BeatRef> beats;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    for (std::size_t off = 0; off < lengths[r]; off += lanes) {
      const auto n = static_cast<unsigned>(std::min<std::size_t>(lanes, lengths[r] - off));
      beats.push_back({r, off, n, off == 0, off + n == lengths[r]});
    }
  }
  return beats;
}

// Probability of in_valid and of out_ready, re-drawn every few dozen beats.
struct Flow {
  bool backpressure = true;
  double p_in = 1.0, p_out = 1.0;
  void redraw(std::mt19937_64& rng) {
    static constexpr double kPhases[][2] = {{1.0, 1.0}, {1.0, 0.5}, {0.5, 1.0}, {0.3, 0.3},
                                            {1.0, 0.1}, {0.9, 0.9}, {0.1, 1.0}};
    if (!backpressure) return;
    const auto& ph = kPhases[std::uniform_int_distribution<int>(0, 6)(rng)];
    p_in = ph[0];
    p_out = ph[1];
  }
};

struct StreamResult {
  std::string error;         // empty when every beat matched
  std::uint64_t cycles = 0;  // from the first offered beat to the last output
  std::uint64_t latency = 0; // cycles from the first accepted beat to the first output
};

using ::npu::tb::announce;
using ::npu::tb::current_test_name;
using ::npu::tb::rerun_command;

// Streams `beats` through the unit. set_beat(dut, beat) drives data, keep,
// last and the cfg inputs of one beat (called once per beat, so inputs stay
// stable while it is offered); want[row][i] is the expected 16-bit output
// lane value of element i of a row. Outputs of lanes not kept must be 0.
template <class Model>
StreamResult run_stream(SimControl<Model>& sim, unsigned lanes, const std::vector<BeatRef>& beats,
                        const std::function<void(Model&, const BeatRef&)>& set_beat,
                        const std::vector<std::vector<std::uint16_t>>& want, std::uint64_t seed,
                        Flow flow) {
  Model& dut = sim.dut();
  std::mt19937_64 rng(seed ^ 0xA5A5F00DC0FFEEull);
  auto chance = [&](double p) { return p >= 1.0 || std::bernoulli_distribution(p)(rng); };
  StreamResult res;
  const std::uint64_t start = sim.cycle();
  std::optional<std::uint64_t> first_accept;
  std::size_t sent = 0, received = 0;
  bool pending = false;
  std::uint64_t last_progress = sim.cycle();
  std::optional<std::vector<std::uint32_t>> held;  // output seen while stalled

  auto out_snapshot = [&] {
    std::vector<std::uint32_t> v;
    for (unsigned l = 0; l < lanes; ++l) v.push_back(get_bits(dut.out_data_o, l * 16, 16));
    v.push_back(dut.out_keep_o);
    v.push_back(dut.out_last_o);
    return v;
  };

  dut.in_valid_i = 0;
  dut.out_ready_i = 0;
  flow.redraw(rng);
  while (received < beats.size()) {
    if ((sent % 48) == 0 && !pending) flow.redraw(rng);
    if (!pending && sent < beats.size() && chance(flow.p_in)) {
      set_beat(dut, beats[sent]);
      pending = true;
    }
    dut.in_valid_i = pending;
    dut.out_ready_i = chance(flow.p_out);
    sim.settle();

    if (held && (!dut.out_valid_o || out_snapshot() != *held)) {
      res.error = fmt::format("cycle {}: output changed or dropped valid while stalled; rerun: {}",
                              sim.cycle(), rerun_command(seed));
      return res;
    }
    held.reset();
    if (dut.out_valid_o) {
      if (received >= beats.size() || (sent == 0 && !pending)) {
        res.error = fmt::format("cycle {}: out_valid_o with nothing in flight", sim.cycle());
        return res;
      }
      if (dut.out_ready_i) {
        if (received == 0 && first_accept) res.latency = sim.cycle() - *first_accept;
        const BeatRef& b = beats[received];
        const std::uint32_t keep_want = (1u << b.count) - 1u;
        std::string err;
        if (dut.out_keep_o != keep_want || (dut.out_last_o != 0) != b.last)
          err = fmt::format("row {} beat at index {}: keep/last expected 0x{:x}/{} actual 0x{:x}/{}",
                            b.row, b.offset, keep_want, b.last, dut.out_keep_o, dut.out_last_o);
        for (unsigned l = 0; l < lanes && err.empty(); ++l) {
          const std::uint32_t got = get_bits(dut.out_data_o, l * 16, 16);
          const std::uint32_t exp = l < b.count ? want[b.row][b.offset + l] : 0u;
          if (got != exp)
            err = fmt::format("row {} index {} (lane {}): expected 0x{:04x} actual 0x{:04x}", b.row,
                              b.offset + l, l, exp, got);
        }
        if (!err.empty()) {
          res.error = fmt::format("first mismatch at cycle {}: {}; rerun with waves: {}", sim.cycle(),
                                  err, rerun_command(seed));
          return res;
        }
        ++received;
        last_progress = sim.cycle();
      } else {
        held = out_snapshot();
      }
    }
    if (pending && dut.in_ready_o) {
      if (!first_accept) first_accept = sim.cycle();
      ++sent;
      pending = false;
      last_progress = sim.cycle();
    }
    if (sim.cycle() - last_progress > kStallLimit) {
      res.error = fmt::format("timeout: no handshake for {} cycles at cycle {} ({} of {} beats sent, {} received); rerun: {}",
                              kStallLimit, sim.cycle(), sent, beats.size(), received, rerun_command(seed));
      return res;
    }
    sim.tick();
  }
  dut.in_valid_i = 0;
  res.cycles = sim.cycle() - start;
  return res;
}

// Performs n writes on a side port (parameter memory / table) with random
// valid gaps. set(dut, i) drives write i's address and data, valid(dut, v)
// drives the valid input, ready(dut) reads the ready output.
template <class Model>
void write_port(SimControl<Model>& sim, std::size_t n, const std::function<void(Model&, std::size_t)>& set,
                const std::function<void(Model&, bool)>& valid, const std::function<bool(Model&)>& ready,
                std::mt19937_64& rng) {
  Model& dut = sim.dut();
  dut.in_valid_i = 0;
  for (std::size_t i = 0; i < n;) {
    const bool v = std::bernoulli_distribution(0.7)(rng);
    if (v) set(dut, i);
    valid(dut, v);
    sim.wait_until([&] { return !v || ready(dut); }, kStallLimit, "side-port write ready");
    if (v) ++i;
    sim.tick();
  }
  valid(dut, false);
}

// Throughput report of a stream run without back-pressure (bench_vec_int8_eltwise).
inline void print_bench(const char* unit, std::size_t elements, const StreamResult& r, unsigned lanes) {
  const double epc = r.cycles ? static_cast<double>(elements) / static_cast<double>(r.cycles) : 0.0;
  fmt::print("{:<16} lanes {}  elements {:>7}  cycles {:>7}  elements/cycle {:.3f}  "
             "elements/lane/cycle {:.3f}  latency {} cycles\n",
             unit, lanes, elements, r.cycles, epc, epc / lanes, r.latency);
}

// Random helpers.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  std::mt19937_64& gen() { return gen_; }
  std::uint32_t bits() { return static_cast<std::uint32_t>(gen_()); }
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen_);
  }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(gen_); }
  // Row lengths: mostly short (1..3 beats), some longer.
  std::size_t row_length(unsigned lanes, std::size_t max_len = 64) {
    if (coin(0.15)) return 1;
    return static_cast<std::size_t>(uniform(1, coin(0.7) ? 3 * lanes : static_cast<std::int64_t>(max_len)));
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace npu::tb::i8
