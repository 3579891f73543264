// Bit-exact tests of vec_softmax_i8 (Lanes = 3, MaxLen = 64) against
// npu::ref::softmax_i8: edge rows and random rows with causal masks under
// random back-pressure on both streams, several seeds.
//   NPU_SEED=<n>  replay one seed      NPU_WAVES=<x.fst>  trace the run
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_softmax_i8.h"
#include "int_row_stream.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::introw::Flow;

constexpr unsigned kLanes = 3;        // -GLanes of the Verilated model
constexpr std::size_t kMaxLen = 64;   // -GMaxLen of the Verilated model

struct SmRow {
  std::vector<int8_t> x;
  std::uint32_t scale = 1u << 20;
  bool mask = false;
  std::uint32_t mask_row = 0;   // unsigned on the port
  std::int32_t mask_off = 0;    // signed on the port
};

std::vector<std::uint8_t> expected_of(const SmRow& r) {
  std::optional<npu::ref::CausalMask> m;
  if (r.mask) m = npu::ref::CausalMask{static_cast<int64_t>(r.mask_row), static_cast<int64_t>(r.mask_off)};
  return npu::ref::softmax_i8(r.x, r.scale, m);
}

class RowGen {
 public:
  explicit RowGen(std::uint64_t seed) : rng_(seed) {}
  std::mt19937_64& rng() { return rng_; }
  int uni(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }

  std::uint32_t scale() {
    switch (uni(0, 3)) {
      case 0: return static_cast<std::uint32_t>(uni(20971, 1 << 20));  // S in 0.02..1
      case 1: return static_cast<std::uint32_t>(uni(1, 1 << 22));
      case 2: return coin() ? 1u : (1u << 22);
      default:  // log-uniform
        return std::clamp<std::uint32_t>(
            static_cast<std::uint32_t>(std::ldexp(1.0 + uni(0, 999) / 1000.0, uni(0, 22))), 1, 1u << 22);
    }
  }

  SmRow random_row() {
    SmRow r;
    std::size_t n = static_cast<std::size_t>(uni(1, static_cast<int>(kMaxLen)));
    if (coin(0.15)) n = coin() ? 1 : kMaxLen;
    const int centre = uni(-128, 127), spread = coin() ? 255 : uni(0, 20);
    for (std::size_t j = 0; j < n; ++j)
      r.x.push_back(static_cast<int8_t>(std::clamp(centre + uni(-spread, spread), -128, 127)));
    r.scale = scale();
    if (coin()) {
      r.mask = true;
      r.mask_row = static_cast<std::uint32_t>(uni(0, 80));
      r.mask_off = uni(-90, 90);
      if (coin(0.1)) r.mask_row = 0xFFFFFFFFu, r.mask_off = INT32_MIN + uni(0, 100);  // limit near 2^31
    }
    return r;
  }

  std::vector<SmRow> edge_rows() {
    std::vector<SmRow> rows;
    auto add = [&](std::vector<int8_t> x, std::uint32_t s, bool mask = false, std::uint32_t mr = 0,
                   std::int32_t mo = 0) { rows.push_back({std::move(x), s, mask, mr, mo}); };
    for (std::uint32_t s : {1u, 1u << 20, 1u << 22, 3355443u}) {
      add({5}, s);                                                      // length 1
      add(std::vector<int8_t>(kMaxLen, 17), s);                         // MaxLen, all equal
      add(std::vector<int8_t>(kMaxLen, -128), s);                       // all -128
      std::vector<int8_t> dom(kMaxLen, -128);
      dom[kMaxLen - 1] = 127;
      add(dom, s);                                                      // one dominant at the end
      std::vector<int8_t> ramp;
      for (int j = 0; j < 40; ++j) ramp.push_back(static_cast<int8_t>(-128 + 6 * j + (j % 2)));
      add(ramp, s);
    }
    std::vector<int8_t> alt;
    for (std::size_t j = 0; j < kMaxLen; ++j) alt.push_back(j % 2 ? 127 : -128);
    add(alt, 1u << 20);
    add(alt, 1u << 20, true, 0, -1);              // nothing kept
    add(alt, 1u << 20, true, 0, 0);               // only column 0 kept
    add(alt, 1u << 20, true, 10, -5);             // 6 kept
    add(alt, 1u << 20, true, 0xFFFFFFFFu, 1);     // limit 2^32: all kept
    add(alt, 1u << 20, true, 0xFFFFFFFFu, INT32_MIN);  // limit 2^31 - 1: all kept
    add(alt, 1u << 20, true, 5, INT32_MIN);       // limit negative: nothing kept
    add({-7}, 1u << 22, true, 0, -1);             // length 1, masked
    add({-7, 100, 3}, 77, true, 2, -1);           // exactly one lane dropped
    return rows;
  }

 private:
  std::mt19937_64 rng_;
};

struct Outcome {
  npu::tb::introw::RunStats stats;
};

Outcome run(const std::vector<SmRow>& rows, Flow flow, std::uint64_t seed, std::mt19937_64& rng) {
  SimControl<Vvec_softmax_i8> sim(npu::tb::env_waves());
  sim.reset();
  std::vector<std::size_t> lengths;
  std::vector<std::vector<std::uint8_t>> expected;
  for (const auto& r : rows) {
    lengths.push_back(r.x.size());
    expected.push_back(expected_of(r));
  }
  std::uniform_int_distribution<std::uint32_t> bits;
  auto drive = [&](Vvec_softmax_i8& d, std::size_t row, std::size_t off, std::size_t n) {
    const SmRow& r = rows[row];
    for (unsigned l = 0; l < kLanes; ++l) {
      // High byte and unkept lanes carry junk: the unit must ignore them.
      std::uint32_t v = bits(rng) & 0xFFFFu;
      if (l < n) v = (v & 0xFF00u) | static_cast<std::uint8_t>(r.x[off + l]);
      npu::tb::put_bits(d.in_data_i, l * 16, 16, v);
    }
    if (off == 0) {
      d.cfg_scale_q20_i = r.scale;
      d.cfg_mask_en_i = r.mask;
      d.cfg_mask_row_i = r.mask_row;
      d.cfg_mask_offset_i = static_cast<std::uint32_t>(r.mask_off);
    }
  };
  auto scramble = [&](Vvec_softmax_i8& d) {
    d.cfg_scale_q20_i = bits(rng);
    d.cfg_mask_en_i = bits(rng) & 1u;
    d.cfg_mask_row_i = bits(rng);
    d.cfg_mask_offset_i = bits(rng);
  };
  return {npu::tb::introw::run_rows(sim, kLanes, lengths, expected, drive, scramble, flow, rng, seed)};
}

constexpr Flow kFlows[] = {{1.0, 1.0}, {0.5, 1.0}, {1.0, 0.3}, {0.3, 0.5}, {0.9, 0.9}};

}  // namespace

TEST_CASE("vec_softmax_i8 edge rows bit-exact", "[vec][softmax_i8]") {
  for (std::uint64_t seed : npu::tb::test_seeds({11, 12})) {
    npu::tb::introw::announce(seed);
    RowGen gen(seed);
    const auto rows = gen.edge_rows();
    const Flow flow = kFlows[seed % std::size(kFlows)];
    const auto out = run(rows, flow, seed, gen.rng());
    INFO(out.stats.error);
    REQUIRE(out.stats.error.empty());
  }
}

TEST_CASE("vec_softmax_i8 random rows with masks under back-pressure", "[vec][softmax_i8]") {
  for (std::uint64_t seed : npu::tb::test_seeds({1, 2, 3, 4})) {
    npu::tb::introw::announce(seed);
    RowGen gen(seed);
    std::size_t mid = 0, full = 0, empty_rows = 0;  // coverage: 0 < y < 255, y == 255, no kept column
    for (const Flow& flow : kFlows) {
      std::vector<SmRow> rows;
      for (int i = 0; i < 40; ++i) rows.push_back(gen.random_row());
      for (const auto& r : rows) {
        const auto y = expected_of(r);
        mid += static_cast<std::size_t>(std::count_if(y.begin(), y.end(), [](auto v) { return v > 0 && v < 255; }));
        full += static_cast<std::size_t>(std::count(y.begin(), y.end(), 255));
        empty_rows += r.mask && static_cast<int64_t>(r.mask_row) + r.mask_off < 0;
      }
      const auto out = run(rows, flow, seed, gen.rng());
      INFO(fmt::format("flow p_in {} p_out {}", flow.p_in, flow.p_out));
      INFO(out.stats.error);
      REQUIRE(out.stats.error.empty());
      fmt::print("  flow ({}, {}): {} rows in {} cycles\n", flow.p_in, flow.p_out, rows.size(), out.stats.cycles);
    }
    fmt::print("  coverage: {} outputs in (0, 255), {} equal 255, {} rows fully masked\n", mid, full, empty_rows);
    CHECK(mid > 0);
    CHECK(full > 0);
    CHECK(empty_rows > 0);
  }
}
