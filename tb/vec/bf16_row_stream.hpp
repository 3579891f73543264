// Row-stream driver for the BF16 vector units with the common interface
// (in_valid/in_ready, in_data_i + per-element side operands, in_keep_i,
// in_last_i; out_valid/out_ready, out_data_o, out_keep_o, out_last_o).
// Streams rows under random back-pressure on both ports, checks every output
// beat bit-exactly against precomputed expected rows, checks that a stalled
// output holds, and drives garbage on every input that is not being offered
// (data while in_valid is low, per-row cfg on all but a row's first beat).
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "port_bits.hpp"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "vec_replay.hpp"

namespace npu::tb::vec {

// One row of BF16 elements with up to two side operands and its config word.
struct Bf16Row {
  std::vector<std::uint16_t> x;
  std::vector<std::uint16_t> b;  // second operand / gamma (or empty)
  std::vector<std::uint16_t> c;  // beta (or empty)
  std::uint32_t cfg = 0;         // cfg_op_i / cfg_eps_i
  std::string kind;              // stimulus class, for messages
};

// Probabilities of in_valid / out_ready, redrawn every `phase_len` cycles.
struct Flow {
  bool vary = true;
  double p_in = 1.0, p_out = 1.0;
};

struct StreamResult {
  std::string error;  // empty = pass
  std::uint64_t cycles = 0;
  std::uint64_t elements = 0;
};

// Dut must be a Verilated model of the common interface; `drive` writes the
// beat's data/side/cfg ports: drive(dut, row, first_element, valid, rng).
// `expected[r]` is the output row r. `lanes` elements per beat.
template <class Dut, class Drive>
StreamResult stream_rows(SimControl<Dut>& sim, unsigned lanes, const std::vector<Bf16Row>& rows,
                         const std::vector<std::vector<std::uint16_t>>& expected, std::uint64_t seed,
                         const Flow& flow, std::uint64_t stall_limit, const std::string& rerun,
                         Drive&& drive) {
  auto& dut = sim.dut();
  std::mt19937_64 rng(seed ^ 0xA5A5F00DBEEFull);
  auto chance = [&](double p) { return p >= 1.0 || std::bernoulli_distribution(p)(rng); };
  static constexpr double kPhases[][2] = {{1.0, 1.0}, {1.0, 0.5}, {0.5, 1.0}, {0.3, 0.3},
                                          {1.0, 0.1}, {0.9, 0.9}, {0.1, 1.0}};
  double p_in = flow.p_in, p_out = flow.p_out;
  StreamResult res;

  std::size_t in_row = 0, in_elem = 0;    // next beat to offer
  std::size_t out_row = 0, out_elem = 0;  // next beat expected
  bool offering = false;
  std::optional<std::vector<std::uint32_t>> held_data;  // lanes of a stalled beat
  auto lanes_of = [&] {
    std::vector<std::uint32_t> v(lanes);
    for (unsigned l = 0; l < lanes; ++l) v[l] = get_bits(dut.out_data_o, l * 16, 16);
    return v;
  };
  unsigned held_keep = 0, held_last = 0;
  std::uint64_t last_progress = sim.cycle(), start = sim.cycle();
  const unsigned all_keep = (1u << lanes) - 1u;

  while (out_row < rows.size()) {
    if (flow.vary && (sim.cycle() - start) % 512 == 0) {
      const auto& ph = kPhases[std::uniform_int_distribution<int>(0, 6)(rng)];
      p_in = ph[0];
      p_out = ph[1];
    }
    if (!offering && in_row < rows.size() && chance(p_in)) offering = true;
    if (offering) {
      const Bf16Row& row = rows[in_row];
      const std::size_t n = row.x.size();
      const std::size_t cnt = std::min<std::size_t>(lanes, n - in_elem);
      dut.in_valid_i = 1;
      dut.in_keep_i = (1u << cnt) - 1u;
      dut.in_last_i = (in_elem + cnt == n);
      drive(dut, row, in_elem, true, rng);
    } else {
      dut.in_valid_i = 0;
      dut.in_keep_i = static_cast<std::uint32_t>(rng()) & all_keep;
      dut.in_last_i = rng() & 1u;
      drive(dut, rows[std::min(in_row, rows.size() - 1)], 0, false, rng);
    }
    dut.out_ready_i = chance(p_out);
    sim.settle();

    if (held_data) {
      if (!dut.out_valid_o || lanes_of() != *held_data ||
          dut.out_keep_o != held_keep || dut.out_last_o != held_last)
        return {fmt::format("cycle {}: output changed while stalled (row {}, element {}){}",
                            sim.cycle(), out_row, out_elem, rerun), sim.cycle(), res.elements};
      held_data.reset();
    }
    if (dut.out_valid_o) {
      if (dut.out_ready_i) {
        const auto& want = expected[out_row];
        const std::size_t n = want.size();
        const std::size_t cnt = std::min<std::size_t>(lanes, n - out_elem);
        const unsigned want_keep = (1u << cnt) - 1u;
        const bool want_last = (out_elem + cnt == n);
        if (dut.out_keep_o != want_keep || dut.out_last_o != want_last)
          return {fmt::format("cycle {}: row {} element {}: keep 0x{:x} last {}, expected keep 0x{:x} "
                              "last {} (row of {} elements, {}){}", sim.cycle(), out_row, out_elem,
                              dut.out_keep_o, dut.out_last_o, want_keep, want_last, n,
                              rows[out_row].kind, rerun), sim.cycle(), res.elements};
        for (unsigned l = 0; l < lanes; ++l) {
          const std::uint32_t got = get_bits(dut.out_data_o, l * 16, 16);
          const std::uint32_t exp = l < cnt ? want[out_elem + l] : 0u;
          if (got != exp)
            return {fmt::format("cycle {}: row {} ({}, n={}, cfg 0x{:08x}) index {}: expected 0x{:04x} "
                                "actual 0x{:04x}{}", sim.cycle(), out_row, rows[out_row].kind, n,
                                rows[out_row].cfg, out_elem + l, exp, got, rerun),
                    sim.cycle(), res.elements};
        }
        res.elements += cnt;
        out_elem += cnt;
        if (out_elem == n) {
          ++out_row;
          out_elem = 0;
        }
        last_progress = sim.cycle();
      } else {
        held_data = lanes_of();
        held_keep = dut.out_keep_o;
        held_last = dut.out_last_o;
      }
    }
    if (offering && dut.in_ready_o) {
      in_elem += lanes;
      if (in_elem >= rows[in_row].x.size()) {
        ++in_row;
        in_elem = 0;
      }
      offering = false;
      last_progress = sim.cycle();
    }
    if (sim.cycle() - last_progress > stall_limit)
      return {fmt::format("timeout: no handshake for {} cycles at cycle {} (row {} in, row {} out){}",
                          stall_limit, sim.cycle(), in_row, out_row, rerun), sim.cycle(), res.elements};
    sim.tick();
  }
  res.cycles = sim.cycle() - start;
  // Nothing may follow the last row.
  dut.in_valid_i = 0;
  dut.out_ready_i = 1;
  for (int i = 0; i < 40; ++i) {
    sim.settle();
    if (dut.out_valid_o) return {fmt::format("cycle {}: extra output beat after the last row{}",
                                             sim.cycle(), rerun), sim.cycle(), res.elements};
    sim.tick();
  }
  return res;
}

// "\n  rerun: NPU_SEED=<seed> NPU_WAVES=<file> <exe> "<test>"" for messages.
inline std::string rerun_hint(std::uint64_t seed, const std::string& test) {
  return "\n  rerun with waves: " + rerun_command(seed, test);
}

using ::npu::tb::announce;

}  // namespace npu::tb::vec
