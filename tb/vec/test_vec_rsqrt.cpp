// vec_rsqrt against npu::ref::rsqrt, bit-exact, under random back-pressure:
// every seed index (both exponent parities) with several fractions and
// exponents, specials (NaN, +-Inf, +-0, subnormals, negatives), extreme
// exponents and uniform bits. Also both seed tables entry by entry against
// npu::ref::rsqrt_seed / recip_seed.
//   NPU_SEED=<n> replays a seed; NPU_WAVES=<x.fst> traces.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vtb_vec_rsqrt.h"
#include "bf16_row_stream.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>

namespace {

using npu::tb::SimControl;

constexpr unsigned kLatency = 18;  // 6 chained fp32_fma stages

std::uint32_t next_operand(std::mt19937_64& rng, std::uint64_t i) {
  auto u = [&](std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
  };
  const std::uint32_t s = (rng() & 1u) ? 0x80000000u : 0u;
  if (i < 128 * 64) {  // every seed index, 64 random (fraction, exponent) each
    const std::uint32_t idx = static_cast<std::uint32_t>(i % 128);
    const std::uint32_t odd = idx >> 6;
    std::uint32_t e = u(1, 254);
    if (((e - 127) & 1u) != odd) e = (e == 254) ? 253 : e + 1;
    return (e << 23) | ((idx & 63u) << 17) | u(0, 0x1FFFF);
  }
  switch (u(0, 9)) {
    case 0: return s;                                     // +-0
    case 1: return s | u(1, 0x7FFFFF);                     // subnormal (DAZ)
    case 2: return s | 0x7F800000u;                        // Inf
    case 3: return s | 0x7F800000u | u(1, 0x7FFFFF);       // NaN
    case 4: return 0x80000000u | (u(1, 254) << 23) | u(0, 0x7FFFFF);  // negative
    case 5: return (u(1, 4) << 23) | u(0, 0x7FFFFF);       // result near 2^63
    case 6: return (u(250, 254) << 23) | u(0, 0x7FFFFF);   // result near 2^-63
    case 7: return (u(1, 254) << 23) | (u(0, 1) ? 0u : 0x7FFFFFu);  // powers of two, ends
    default: return static_cast<std::uint32_t>(rng()) & 0x7FFFFFFFu;
  }
}

}  // namespace

TEST_CASE("vec_rsqrt: seed indices - specials - random - back-pressure - bit-exact", "[vec][rsqrt]") {
  const std::string test = "vec_rsqrt: seed indices - specials - random - back-pressure - bit-exact";
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    npu::tb::vec::announce(seed, test);
    const std::string rerun = npu::tb::vec::rerun_hint(seed, test);
    SimControl<Vtb_vec_rsqrt> sim(npu::tb::env_waves());
    auto& dut = sim.dut();
    std::mt19937_64 rng(seed), flow(seed ^ 0x1234567ull);
    auto chance = [&](double p) { return std::bernoulli_distribution(p)(flow); };
    static constexpr double kPhases[][2] = {{1.0, 1.0}, {1.0, 0.5}, {0.5, 1.0}, {0.3, 0.3}, {1.0, 0.1}};
    double p_in = 1, p_out = 1;
    dut.in_valid_i = 0;
    dut.out_ready_i = 0;
    sim.reset();
    constexpr std::uint64_t kCount = 200000;
    std::deque<std::pair<std::uint32_t, std::uint32_t>> queue;  // operand, expected
    std::uint64_t sent = 0, received = 0, last_progress = 0;
    bool pending = false;
    std::uint32_t v = 0;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> held;
    while (received < kCount) {
      if (sim.cycle() % 1000 == 0) {
        const auto& ph = kPhases[std::uniform_int_distribution<int>(0, 4)(flow)];
        p_in = ph[0];
        p_out = ph[1];
      }
      if (!pending && sent < kCount && chance(p_in)) {
        v = next_operand(rng, sent);
        pending = true;
      }
      dut.in_valid_i = pending;
      dut.v_i = pending ? v : static_cast<std::uint32_t>(flow());
      dut.tag_i = static_cast<std::uint32_t>(sent);
      dut.out_ready_i = chance(p_out);
      sim.settle();
      if (held && (!dut.out_valid_o || dut.r_o != held->first || dut.tag_o != held->second))
        FAIL(fmt::format("cycle {}: output changed while stalled{}", sim.cycle(), rerun));
      held.reset();
      if (dut.out_valid_o) {
        if (queue.empty()) FAIL(fmt::format("cycle {}: output with nothing in flight{}", sim.cycle(), rerun));
        if (dut.out_ready_i) {
          const auto [op, want] = queue.front();
          if (dut.tag_o != static_cast<std::uint32_t>(received) || dut.r_o != want)
            FAIL(fmt::format("cycle {}: operation #{} rsqrt(0x{:08x}): expected 0x{:08x} (tag {}), "
                             "actual 0x{:08x} (tag {}){}", sim.cycle(), received, op, want, received,
                             dut.r_o, dut.tag_o, rerun));
          queue.pop_front();
          ++received;
          last_progress = sim.cycle();
        } else {
          held.emplace(dut.r_o, dut.tag_o);
        }
      }
      if (pending && dut.in_ready_o) {
        queue.emplace_back(v, npu::ref::rsqrt(v));
        ++sent;
        pending = false;
        last_progress = sim.cycle();
      }
      if (sim.cycle() - last_progress > 1000)
        FAIL(fmt::format("timeout: no handshake for 1000 cycles at cycle {}{}", sim.cycle(), rerun));
      sim.tick();
    }
    fmt::print("  {} operations in {} cycles\n", kCount, sim.cycle());
  }
}

TEST_CASE("vec_rsqrt: latency 18 and one operation per cycle", "[vec][rsqrt]") {
  SimControl<Vtb_vec_rsqrt> sim;
  auto& dut = sim.dut();
  dut.in_valid_i = 0;
  dut.out_ready_i = 1;
  sim.reset();
  constexpr std::uint32_t kOps = 100;
  std::uint32_t got = 0;
  for (std::uint32_t c = 0; c < kOps + kLatency; ++c) {
    dut.in_valid_i = c < kOps;
    dut.v_i = 0x40800000u;  // 4.0 -> 0.5 exactly
    dut.tag_i = c;
    sim.settle();
    if (c < kOps) REQUIRE(dut.in_ready_o);
    INFO("cycle " << sim.cycle());
    REQUIRE(bool(dut.out_valid_o) == (c >= kLatency));
    if (dut.out_valid_o) {
      REQUIRE(dut.tag_o == got);
      REQUIRE(dut.r_o == npu::ref::rsqrt(0x40800000u));
      ++got;
    }
    sim.tick();
  }
  REQUIRE(got == kOps);
}

TEST_CASE("vec_rsqrt_seed and vec_recip_seed: every entry matches the model", "[vec][rsqrt]") {
  SimControl<Vtb_vec_rsqrt> sim;
  auto& dut = sim.dut();
  for (unsigned i = 0; i < 128; ++i) {
    dut.seed_idx_i = i;
    sim.settle();
    INFO("index " << i);
    CHECK(dut.rsqrt_seed_o == npu::ref::rsqrt_seed(i));
    CHECK(dut.recip_seed_o == npu::ref::recip_seed(i));
  }
}
