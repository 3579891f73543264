// vec_eltwise_bf16 (Lanes = 3) against npu::ref::add_bf16 / mul_bf16, bit-exact:
// every one of the 65,536 BF16 values as operand a (for add and for mul)
// against random / special b, in rows of random length with the op changing
// per row, under random back-pressure.
//   NPU_SEED=<n> replays a seed; NPU_WAVES=<x.fst> traces.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_eltwise_bf16.h"
#include "bf16_row_stream.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::vec::Bf16Row;

constexpr unsigned kLanes = 3;  // must match bf16_norm_eltwise.cmake

// BF16 operands aimed at the corners: zeros, subnormals (DAZ), Inf, NaN,
// extremes, values near 1, and uniform bits.
std::uint16_t pick_b(std::mt19937_64& rng) {
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::uint16_t s = (rng() & 1u) ? 0x8000u : 0u;
  switch (u(0, 9)) {
    case 0: return s;                                                       // +-0
    case 1: return static_cast<std::uint16_t>(s | u(1, 0x7F));               // subnormal
    case 2: return static_cast<std::uint16_t>(s | 0x7F80u);                  // Inf
    case 3: return static_cast<std::uint16_t>(s | 0x7F80u | u(1, 0x7F));     // NaN
    case 4: return static_cast<std::uint16_t>(s | (u(0, 3) << 7) | u(0, 0x7F));    // tiny
    case 5: return static_cast<std::uint16_t>(s | (u(250, 254) << 7) | u(0, 0x7F));  // huge
    case 6: return static_cast<std::uint16_t>(s | (u(120, 134) << 7) | u(0, 0x7F));  // near 1
    default: return static_cast<std::uint16_t>(rng());
  }
}

std::uint16_t expected(std::uint32_t op, std::uint16_t a, std::uint16_t b) {
  return op ? npu::ref::mul_bf16(a, b) : npu::ref::add_bf16(a, b);
}

}  // namespace

TEST_CASE("vec_eltwise_bf16: every a x random and special b - add and mul - back-pressure", "[vec][eltwise_bf16]") {
  const std::string test = "vec_eltwise_bf16: every a x random and special b - add and mul - back-pressure";
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    npu::tb::vec::announce(seed, test);
    std::mt19937_64 rng(seed);
    // Both ops over all 65,536 a in shuffled order; rows of 1..100 elements.
    std::vector<std::pair<std::uint32_t, std::uint16_t>> items;
    for (std::uint32_t op = 0; op < 2; ++op)
      for (std::uint32_t a = 0; a < 0x10000u; ++a) items.emplace_back(op, static_cast<std::uint16_t>(a));
    std::shuffle(items.begin(), items.end(), rng);
    std::stable_sort(items.begin(), items.end(), [](auto& l, auto& r) { return l.first < r.first; });
    std::vector<Bf16Row> rows;
    std::vector<std::vector<std::uint16_t>> want;
    std::size_t i = 0;
    while (i < items.size()) {
      const std::uint32_t op = items[i].first;
      std::size_t len = std::uniform_int_distribution<std::size_t>(1, 100)(rng);
      if (rows.size() % 7 == 0) len = 1;
      Bf16Row row;
      row.cfg = op;
      row.kind = op ? "mul" : "add";
      std::vector<std::uint16_t> y;
      for (; len > 0 && i < items.size() && items[i].first == op; --len, ++i) {
        const std::uint16_t a = items[i].second, b = pick_b(rng);
        row.x.push_back(a);
        row.b.push_back(b);
        y.push_back(expected(op, a, b));
      }
      rows.push_back(std::move(row));
      want.push_back(std::move(y));
    }
    // Interleave add and mul rows so the op changes between rows.
    std::vector<std::size_t> order(rows.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<Bf16Row> rows2;
    std::vector<std::vector<std::uint16_t>> want2;
    for (std::size_t k : order) {
      rows2.push_back(rows[k]);
      want2.push_back(want[k]);
    }

    SimControl<Vvec_eltwise_bf16> sim(npu::tb::env_waves());
    auto& dut = sim.dut();
    dut.in_valid_i = 0;
    dut.out_ready_i = 0;
    sim.reset();
    auto drive = [](Vvec_eltwise_bf16& d, const Bf16Row& row, std::size_t first, bool valid,
                    std::mt19937_64& r) {
      for (unsigned l = 0; l < kLanes; ++l) {
        const bool have = valid && first + l < row.x.size();
        npu::tb::put_bits(d.in_data_i, l * 16, 16, have ? row.x[first + l] : static_cast<std::uint32_t>(r()));
        npu::tb::put_bits(d.in_b_i, l * 16, 16, have ? row.b[first + l] : static_cast<std::uint32_t>(r()));
      }
      // The op is only sampled with a row's first beat.
      d.cfg_op_i = (valid && first == 0) ? row.cfg : (r() & 1u);
    };
    const auto res = npu::tb::vec::stream_rows(sim, kLanes, rows2, want2, seed, {}, 200,
                                               npu::tb::vec::rerun_hint(seed, test), drive);
    INFO("seed " << seed);
    if (!res.error.empty()) FAIL(res.error);
    fmt::print("  {} rows, {} elements in {} cycles\n", rows2.size(), res.elements, res.cycles);
    CHECK(res.elements == 2u * 65536u);
  }
}

TEST_CASE("vec_eltwise_bf16: latency and one element per lane per cycle", "[vec][eltwise_bf16]") {
  SimControl<Vvec_eltwise_bf16> sim;
  auto& dut = sim.dut();
  dut.in_valid_i = 0;
  dut.out_ready_i = 1;
  sim.reset();
  constexpr unsigned kBeats = 100, kLatency = 3;
  unsigned got = 0;
  for (unsigned c = 0; c < kBeats + kLatency; ++c) {
    dut.in_valid_i = c < kBeats;
    dut.cfg_op_i = 0;
    dut.in_keep_i = 0x7;
    dut.in_last_i = (c + 1 == kBeats);
    for (unsigned l = 0; l < kLanes; ++l) {
      npu::tb::put_bits(dut.in_data_i, l * 16, 16, 0x3F80u);  // 1 + 1 = 2
      npu::tb::put_bits(dut.in_b_i, l * 16, 16, 0x3F80u);
    }
    sim.settle();
    if (c < kBeats) REQUIRE(dut.in_ready_o);
    INFO("cycle " << sim.cycle());
    REQUIRE(bool(dut.out_valid_o) == (c >= kLatency));
    if (dut.out_valid_o) {
      REQUIRE(npu::tb::get_bits(dut.out_data_o, 16, 16) == 0x4000u);
      ++got;
    }
    sim.tick();
  }
  REQUIRE(got == kBeats);
}
