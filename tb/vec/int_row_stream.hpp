// Stream driver for the integer row units (vec_softmax_i8, vec_norm_i32):
// offers rows beat by beat with random valid gaps (a beat, once offered,
// stays put until accepted), scrambles the cfg_* inputs on every beat but
// the first of a row (they must only be sampled with it), applies random
// out_ready back-pressure, collects every output beat, checks the beat
// structure (keep prefix, last, zero unkept lanes, output held while
// stalled) and compares each element bit-exactly with the expected values.
#pragma once

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "port_bits.hpp"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "vec_replay_catch.hpp"

namespace npu::tb::introw {

// Back-pressure probabilities; {1, 1} streams at full speed.
struct Flow {
  double p_in = 1.0;   // probability of offering a beat in a cycle
  double p_out = 1.0;  // probability of out_ready_i in a cycle
};

using ::npu::tb::announce;
using ::npu::tb::current_test_name;
using ::npu::tb::rerun_command;

struct RunStats {
  std::uint64_t cycles = 0;         // from reset release to the last output beat
  std::uint64_t first_out = 0;      // cycle of the first output beat
  std::string error;                // first mismatch or protocol error; empty if none
};

// Drives `lengths.size()` rows through the unit. `drive(dut, row, offset,
// count)` puts elements [offset, offset+count) of `row` on the data ports and,
// when offset == 0, the row's configuration; `scramble(dut)` randomises the
// configuration ports. expected[row][j] is the expected low byte of element j.
template <class Model, class Drive, class Scramble>
RunStats run_rows(SimControl<Model>& sim, unsigned lanes, const std::vector<std::size_t>& lengths,
                  const std::vector<std::vector<std::uint8_t>>& expected, Drive&& drive,
                  Scramble&& scramble, Flow flow, std::mt19937_64& rng, std::uint64_t seed,
                  std::uint64_t stall_limit = 20000) {
  auto& dut = sim.dut();
  std::bernoulli_distribution offer(flow.p_in), ready(flow.p_out);
  RunStats st;
  std::size_t in_row = 0, in_off = 0;    // next input beat
  std::size_t out_row = 0, out_off = 0;  // next expected output beat
  bool offering = false;
  bool stalled_valid = false;            // output was valid and not taken last cycle
  std::uint64_t held_data = 0;
  unsigned held_keep = 0;
  bool held_last = false;
  std::uint64_t last_progress = sim.cycle();
  const std::uint64_t start = sim.cycle();
  auto fail = [&](const std::string& what) {
    st.error = fmt::format("{} at cycle {}\n  rerun with waves: {}", what, sim.cycle(), rerun_command(seed));
  };

  dut.in_valid_i = 0;
  dut.out_ready_i = 0;
  while (out_row < lengths.size()) {
    if (!offering) scramble(dut);
    if (!offering && in_row < lengths.size() && offer(rng)) {
      const std::size_t n = std::min<std::size_t>(lanes, lengths[in_row] - in_off);
      offering = true;
      dut.in_valid_i = 1;
      dut.in_keep_i = static_cast<std::uint8_t>((1u << n) - 1u);
      dut.in_last_i = in_off + n == lengths[in_row];
      if (in_off != 0) scramble(dut);
      drive(dut, in_row, in_off, n);
    }
    dut.out_ready_i = ready(rng);
    sim.settle();
    const bool in_fire = dut.in_valid_i && dut.in_ready_o;
    if (dut.out_valid_o) {
      std::uint64_t data = 0;
      for (unsigned l = 0; l < lanes; ++l)
        data |= std::uint64_t{get_bits(dut.out_data_o, l * 16, 16)} << (16 * l);
      const unsigned keep = dut.out_keep_o;
      const bool last = dut.out_last_o;
      if (stalled_valid && (data != held_data || keep != held_keep || last != held_last)) {
        fail(fmt::format("output changed while stalled (row {} offset {})", out_row, out_off));
        return st;
      }
      stalled_valid = !dut.out_ready_i;
      held_data = data, held_keep = keep, held_last = last;
      if (dut.out_ready_i) {
        const std::size_t len = lengths[out_row];
        const std::size_t n = std::min<std::size_t>(lanes, len - out_off);
        const bool want_last = out_off + n == len;
        if (keep != (1u << n) - 1u || last != want_last) {
          fail(fmt::format("row {} offset {}: keep {:#x} last {} expected keep {:#x} last {}", out_row,
                           out_off, keep, last, (1u << n) - 1u, want_last));
          return st;
        }
        for (unsigned l = 0; l < lanes; ++l) {
          const auto got = static_cast<std::uint32_t>((data >> (16 * l)) & 0xFFFFu);
          const std::uint32_t want = l < n ? expected[out_row][out_off + l] : 0u;
          if (got != want) {
            fail(fmt::format("row {} index {} (lane {}): expected {:#06x} got {:#06x}", out_row,
                             out_off + l, l, want, got));
            return st;
          }
        }
        if (out_row == 0 && out_off == 0) st.first_out = sim.cycle() - start;
        last_progress = sim.cycle();
        out_off += n;
        if (want_last) ++out_row, out_off = 0;
      }
    } else {
      stalled_valid = false;
    }
    sim.tick();
    if (in_fire) {
      last_progress = sim.cycle();
      offering = false;
      dut.in_valid_i = 0;
      in_off += lanes;
      if (in_off >= lengths[in_row]) ++in_row, in_off = 0;
    }
    if (sim.cycle() - last_progress > stall_limit) {
      fail(fmt::format("timeout: no handshake for {} cycles (next input row {}, next output row {})",
                       stall_limit, in_row, out_row));
      return st;
    }
  }
  st.cycles = sim.cycle() - start;
  return st;
}

}  // namespace npu::tb::introw
