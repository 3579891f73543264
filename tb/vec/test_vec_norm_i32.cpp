// Bit-exact tests of vec_norm_i32 (Lanes = 3, MaxLen = 64) against
// npu::ref::layernorm_i32 / rmsnorm_i32: edge rows (all equal, all -32767,
// length 1, MaxLen, alternating extremes) and random rows with random
// requantization parameters, under random back-pressure, several seeds.
//   NPU_SEED=<n>  replay one seed      NPU_WAVES=<x.fst>  trace the run
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_norm_i32.h"
#include "int_row_stream.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::introw::Flow;

constexpr unsigned kLanes = 3;        // -GLanes of the Verilated model
constexpr std::size_t kMaxLen = 64;   // -GMaxLen of the Verilated model
constexpr int32_t kMaxAbs = npu::ref::kVecNormMaxAbsInput;

struct NormRow {
  std::vector<int32_t> x;
  std::vector<int8_t> gamma;
  std::vector<int32_t> beta;
  bool rms = false;
  npu::ref::IntNormParams p{1, {1 << 30, -13, 0}};
};

std::vector<std::uint8_t> expected_of(const NormRow& r) {
  const auto y = r.rms ? npu::ref::rmsnorm_i32(r.x, r.gamma, r.beta, r.p)
                       : npu::ref::layernorm_i32(r.x, r.gamma, r.beta, r.p);
  return std::vector<std::uint8_t>(y.begin(), y.end());
}

class RowGen {
 public:
  explicit RowGen(std::uint64_t seed) : rng_(seed) {}
  std::mt19937_64& rng() { return rng_; }
  int uni(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }

  npu::ref::IntNormParams params() {
    npu::ref::IntNormParams p;
    switch (uni(0, 2)) {
      case 0: p.eps_q16 = 1; break;
      case 1: p.eps_q16 = static_cast<uint32_t>(uni(1, 1 << 16)); break;
      default: p.eps_q16 = static_cast<uint32_t>(uni(1, INT32_MAX)) * (coin() ? 2u : 1u); break;
    }
    p.out.multiplier = coin(0.9) ? uni(1 << 30, INT32_MAX) : uni(0, INT32_MAX);
    // acc ~ z * gamma ~ 2^21: shifts near -17 give outputs in range.
    p.out.shift = coin(0.8) ? uni(-23, -12) : uni(-31, 30);
    p.out.zero_point = coin(0.8) ? uni(-30, 30) : uni(INT32_MIN / 2, INT32_MAX / 2);
    return p;
  }

  void fill_affine(NormRow& r) {
    const int beta_mag = coin(0.8) ? (1 << uni(0, 22)) : INT32_MAX;
    r.gamma.clear();
    r.beta.clear();
    for (std::size_t j = 0; j < r.x.size(); ++j) {
      r.gamma.push_back(static_cast<int8_t>(uni(-128, 127)));
      r.beta.push_back(beta_mag == INT32_MAX ? static_cast<int32_t>(rng_()) : uni(-beta_mag, beta_mag));
    }
  }

  NormRow random_row() {
    NormRow r;
    std::size_t n = static_cast<std::size_t>(uni(1, static_cast<int>(kMaxLen)));
    if (coin(0.15)) n = coin() ? 1 : kMaxLen;
    const double mean = uni(-20000, 20000);
    const double sd = std::exp(std::uniform_real_distribution<double>(0.0, std::log(3000.0))(rng_));
    std::normal_distribution<double> g(mean, sd);
    const bool uniform = coin(0.15);
    for (std::size_t j = 0; j < n; ++j) {
      const double v = uniform ? uni(-kMaxAbs, kMaxAbs) : std::round(g(rng_));
      r.x.push_back(static_cast<int32_t>(std::clamp(v, -double(kMaxAbs), double(kMaxAbs))));
    }
    r.rms = coin();
    r.p = params();
    fill_affine(r);
    return r;
  }

  std::vector<NormRow> edge_rows() {
    std::vector<NormRow> rows;
    auto add = [&](std::vector<int32_t> x, bool rms, uint32_t eps) {
      NormRow r;
      r.x = std::move(x);
      r.rms = rms;
      r.p = params();
      r.p.eps_q16 = eps;
      fill_affine(r);
      rows.push_back(std::move(r));
    };
    for (bool rms : {false, true}) {
      for (uint32_t eps : {1u, 65536u, 0xFFFFFFFFu}) {
        add(std::vector<int32_t>(kMaxLen, 1234), rms, eps);       // all equal, MaxLen
        add(std::vector<int32_t>(kMaxLen, -kMaxAbs), rms, eps);   // all -32767
        add(std::vector<int32_t>(kMaxLen, kMaxAbs), rms, eps);
        add({-kMaxAbs}, rms, eps);                                // length 1
        add({0}, rms, eps);
        add({kMaxAbs, -kMaxAbs}, rms, eps);
        std::vector<int32_t> alt;
        for (std::size_t j = 0; j < kMaxLen; ++j) alt.push_back(j % 2 ? kMaxAbs : -kMaxAbs);
        add(alt, rms, eps);
        std::vector<int32_t> spike(kMaxLen - 1, -kMaxAbs);
        spike.push_back(kMaxAbs);
        add(spike, rms, eps);                                     // |D| near its bound
        add({1, 2, 3, 4}, rms, eps);                              // exactly one lane on the last beat
      }
    }
    return rows;
  }

 private:
  std::mt19937_64 rng_;
};

npu::tb::introw::RunStats run(const std::vector<NormRow>& rows, Flow flow, std::uint64_t seed,
                              std::mt19937_64& rng) {
  SimControl<Vvec_norm_i32> sim(npu::tb::env_waves());
  sim.reset();
  std::vector<std::size_t> lengths;
  std::vector<std::vector<std::uint8_t>> expected;
  for (const auto& r : rows) {
    lengths.push_back(r.x.size());
    expected.push_back(expected_of(r));
  }
  std::uniform_int_distribution<std::uint32_t> bits;
  auto drive = [&](Vvec_norm_i32& d, std::size_t row, std::size_t off, std::size_t n) {
    const NormRow& r = rows[row];
    for (unsigned l = 0; l < kLanes; ++l) {
      const bool k = l < n;  // unkept lanes carry junk
      npu::tb::put_bits(d.in_data_i, l * 32, 32, k ? static_cast<uint32_t>(r.x[off + l]) : bits(rng));
      npu::tb::put_bits(d.in_gamma_i, l * 8, 8, k ? static_cast<uint8_t>(r.gamma[off + l]) : bits(rng));
      npu::tb::put_bits(d.in_beta_i, l * 32, 32, k ? static_cast<uint32_t>(r.beta[off + l]) : bits(rng));
    }
    if (off == 0) {
      d.cfg_rms_i = r.rms;
      d.cfg_eps_q16_i = r.p.eps_q16;
      d.cfg_mult_i = static_cast<uint32_t>(r.p.out.multiplier);
      d.cfg_shift_i = static_cast<uint32_t>(r.p.out.shift) & 0x3Fu;
      d.cfg_zp_i = static_cast<uint32_t>(r.p.out.zero_point);
    }
  };
  auto scramble = [&](Vvec_norm_i32& d) {
    d.cfg_rms_i = bits(rng) & 1u;
    d.cfg_eps_q16_i = bits(rng);
    d.cfg_mult_i = bits(rng) & 0x7FFFFFFFu;
    d.cfg_shift_i = bits(rng) & 0x3Fu;
    d.cfg_zp_i = bits(rng);
  };
  return npu::tb::introw::run_rows(sim, kLanes, lengths, expected, drive, scramble, flow, rng, seed);
}

constexpr Flow kFlows[] = {{1.0, 1.0}, {0.5, 1.0}, {1.0, 0.3}, {0.3, 0.5}};

}  // namespace

TEST_CASE("vec_norm_i32 edge rows bit-exact", "[vec][norm_i32]") {
  for (std::uint64_t seed : npu::tb::test_seeds({21, 22})) {
    npu::tb::introw::announce(seed);
    RowGen gen(seed);
    const auto rows = gen.edge_rows();
    const auto st = run(rows, kFlows[seed % std::size(kFlows)], seed, gen.rng());
    INFO(st.error);
    REQUIRE(st.error.empty());
  }
}

TEST_CASE("vec_norm_i32 random rows under back-pressure", "[vec][norm_i32]") {
  for (std::uint64_t seed : npu::tb::test_seeds({1, 2, 3, 4})) {
    npu::tb::introw::announce(seed);
    RowGen gen(seed);
    std::size_t mid = 0, sat = 0;  // coverage: outputs strictly inside / at the int8 limits
    for (const Flow& flow : kFlows) {
      std::vector<NormRow> rows;
      for (int i = 0; i < 40; ++i) rows.push_back(gen.random_row());
      for (const auto& r : rows) {
        for (auto v : expected_of(r)) (v == 0x7F || v == 0x80 ? sat : mid) += 1;
      }
      const auto st = run(rows, flow, seed, gen.rng());
      INFO(fmt::format("flow p_in {} p_out {}", flow.p_in, flow.p_out));
      INFO(st.error);
      REQUIRE(st.error.empty());
      fmt::print("  flow ({}, {}): {} rows in {} cycles\n", flow.p_in, flow.p_out, rows.size(), st.cycles);
    }
    fmt::print("  coverage: {} outputs inside (-128, 127), {} saturated\n", mid, sat);
    CHECK(mid > 0);
    CHECK(sat > 0);
  }
}
