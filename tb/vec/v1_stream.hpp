// Group V1 test helpers: random back-pressure phases, announcing seeds.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <string>

#include "test_env.hpp"
#include "vec_replay.hpp"

namespace npu::tb::v1 {

// Probabilities of offering input / accepting output, re-drawn every
// `period` cycles from a table that includes no back-pressure at all.
class FlowControl {
 public:
  FlowControl(std::uint64_t seed, bool vary) : rng_(seed ^ 0x9E3779B97F4A7C15ull), vary_(vary) {}

  void step(std::uint64_t cycle) {
    if (!vary_ || cycle % kPeriod != 0) return;
    static constexpr double kPhases[][2] = {{1.0, 1.0}, {1.0, 0.5}, {0.5, 1.0}, {0.3, 0.3},
                                            {1.0, 0.1}, {0.9, 0.9}, {0.1, 1.0}};
    const auto& ph = kPhases[std::uniform_int_distribution<int>(0, 6)(rng_)];
    p_in_ = ph[0];
    p_out_ = ph[1];
  }
  bool offer() { return chance(p_in_); }
  bool accept() { return chance(p_out_); }

 private:
  static constexpr std::uint64_t kPeriod = 997;
  bool chance(double p) { return p >= 1.0 || std::bernoulli_distribution(p)(rng_); }
  std::mt19937_64 rng_;
  bool vary_;
  double p_in_ = 1.0, p_out_ = 1.0;
};

using ::npu::tb::announce;

// The rerun command with waves for a failure message.
inline std::string rerun_hint(std::uint64_t seed, const std::string& test) {
  return "rerun: " + rerun_command(seed, test);
}

inline std::uint32_t sext10(std::uint32_t k) { return (k & 0x200u) ? (k | 0xFFFFFC00u) : k; }

}  // namespace npu::tb::v1

// ---- Row streams for the vector units (in/out beats with keep and last) ----
#include <deque>
#include <functional>
#include <vector>

#include "port_bits.hpp"
#include "sim_control.hpp"

namespace npu::tb::v1 {

// One row: input elements, expected output elements, a label for messages.
struct RowCase {
  std::vector<std::uint16_t> in;
  std::vector<std::uint16_t> want;
  std::string label;
};

struct StreamStats {
  std::uint64_t cycles = 0;
  std::uint64_t elements = 0;
  std::uint64_t beats = 0;
};

// Streams `rows` through a BF16 vector unit with `lanes` lanes under random
// back-pressure (none if !vary), checks every output beat bit-exactly (data,
// keep, last; unkept lanes 0) and that stalled outputs hold. set_cfg(dut,
// row index, first_beat) drives the per-row configuration inputs (garbage
// when !first_beat). Returns the first error ("" if none).
template <class Dut>
std::string run_rows(SimControl<Dut>& sim, std::uint64_t seed, const std::string& test, unsigned lanes,
                     const std::vector<RowCase>& rows, bool vary,
                     const std::function<void(Dut&, std::size_t, bool)>& set_cfg,
                     std::uint64_t stall_limit, StreamStats* stats = nullptr) {
  auto& dut = sim.dut();
  FlowControl flow(seed, vary);
  struct Beat {
    std::size_t row, first_index;
    std::vector<std::uint16_t> data;
    unsigned keep;
    bool last;
  };
  std::deque<Beat> expect;
  std::size_t row = 0, pos = 0;  // next input element
  std::uint64_t beats_out = 0, beats_total = 0, last_progress = sim.cycle();
  for (const auto& r : rows) beats_total += (r.in.size() + lanes - 1) / lanes;
  bool pending = false, held = false;
  std::uint64_t held_data = 0;
  unsigned held_keep = 0;
  const std::uint64_t start = sim.cycle();
  dut.in_valid_i = 0;
  dut.out_ready_i = 0;
  while (beats_out < beats_total) {
    flow.step(sim.cycle());
    if (!pending && row < rows.size() && flow.offer()) pending = true;
    dut.in_valid_i = pending;
    const auto& r = rows[std::min(row, rows.size() - 1)];
    unsigned keep = 0;
    for (unsigned l = 0; l < lanes; ++l) {
      const bool k = pending && pos + l < r.in.size();
      keep |= (k ? 1u : 0u) << l;
      put_bits(dut.in_data_i, l * 16, 16, k ? r.in[pos + l] : 0xDEADu);
    }
    dut.in_keep_i = keep;
    dut.in_last_i = pending && pos + lanes >= r.in.size();
    set_cfg(dut, row, pending && pos == 0);
    dut.out_ready_i = flow.accept();
    sim.settle();
    if (held) {
      std::uint64_t d = 0;
      for (unsigned l = 0; l < lanes; ++l) d |= std::uint64_t{get_bits(dut.out_data_o, l * 16, 16)} << (16 * l);
      if (!dut.out_valid_o || d != held_data || dut.out_keep_o != held_keep)
        return fmt::format("cycle {}: output changed while stalled\n{}", sim.cycle(), rerun_hint(seed, test));
      held = false;
    }
    if (dut.out_valid_o) {
      if (expect.empty()) return fmt::format("cycle {}: out_valid_o with no beat expected", sim.cycle());
      const Beat& b = expect.front();
      std::uint64_t d = 0;
      for (unsigned l = 0; l < lanes; ++l) d |= std::uint64_t{get_bits(dut.out_data_o, l * 16, 16)} << (16 * l);
      if (dut.out_ready_i) {
        if (dut.out_keep_o != b.keep || (dut.out_last_o != 0) != b.last)
          return fmt::format("cycle {}: row {} ({}) element {}: keep/last 0x{:x}/{} expected 0x{:x}/{}\n{}",
                             sim.cycle(), b.row, rows[b.row].label, b.first_index, dut.out_keep_o,
                             dut.out_last_o, b.keep, b.last, rerun_hint(seed, test));
        for (unsigned l = 0; l < lanes; ++l) {
          const std::uint32_t got = get_bits(dut.out_data_o, l * 16, 16);
          const std::uint32_t want = l < b.data.size() ? b.data[l] : 0u;
          if (got != want) {
            const std::size_t j = b.first_index + l;
            return fmt::format(
                "cycle {}: row {} ({}), index {}: input 0x{:04x} expected 0x{:04x} actual 0x{:04x}\n{}",
                sim.cycle(), b.row, rows[b.row].label, j,
                j < rows[b.row].in.size() ? rows[b.row].in[j] : 0u, want, got, rerun_hint(seed, test));
          }
        }
        expect.pop_front();
        ++beats_out;
        last_progress = sim.cycle();
      } else {
        held = true;
        held_data = d;
        held_keep = dut.out_keep_o;
      }
    }
    if (pending && dut.in_ready_o) {
      Beat b{row, pos, {}, keep, dut.in_last_i != 0};
      for (unsigned l = 0; l < lanes && pos + l < r.in.size(); ++l) b.data.push_back(r.want[pos + l]);
      expect.push_back(std::move(b));
      pos += lanes;
      if (pos >= r.in.size()) {
        ++row;
        pos = 0;
      }
      pending = false;
      last_progress = sim.cycle();
    }
    if (sim.cycle() - last_progress > stall_limit)
      return fmt::format("timeout: no handshake for {} cycles at cycle {} (row {}, {} of {} beats out)\n{}",
                         stall_limit, sim.cycle(), row, beats_out, beats_total, rerun_hint(seed, test));
    sim.tick();
  }
  if (stats) {
    stats->cycles = sim.cycle() - start;
    stats->beats = beats_total;
    for (const auto& r : rows) stats->elements += r.in.size();
  }
  return {};
}

}  // namespace npu::tb::v1
