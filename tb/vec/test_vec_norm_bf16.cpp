// vec_layernorm_bf16 (Lanes = 3, MaxLen = 64) and vec_rmsnorm_bf16 (Lanes = 4,
// MaxLen = 50) against npu::ref::layernorm_bf16 / rmsnorm_bf16, bit-exact, on
// random rows (sd 1e-3..1e3) and edge rows (all equal, huge dynamic range,
// length 1 and MaxLen, NaN / +-Inf / +-0 / subnormals, overflowing squares,
// odd eps) under random back-pressure on both ports.
//   NPU_SEED=<n> replays a seed; NPU_WAVES=<x.fst> traces.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/fp.hpp>
#include <npu/ref/vector.hpp>

#include "Vvec_layernorm_bf16.h"
#include "Vvec_rmsnorm_bf16.h"
#include "bf16_row_stream.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::vec::Bf16Row;

// Must match bf16_norm_eltwise.cmake.
constexpr unsigned kLnLanes = 3, kLnMaxLen = 64;
constexpr unsigned kRmsLanes = 4, kRmsMaxLen = 50;
constexpr std::uint32_t kEps = 0x3727C5ACu;  // 1e-5

std::uint16_t bf16_of(double v) {
  const float f = static_cast<float>(v);
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return npu::ref::fp32_to_bf16(u);
}

class RowGen {
 public:
  RowGen(std::uint64_t seed, std::size_t max_len) : rng_(seed), max_len_(max_len) {}
  std::mt19937_64& rng() { return rng_; }

  Bf16Row next(std::size_t index) {
    Bf16Row r;
    std::size_t n = uniform(1, static_cast<int>(max_len_));
    if (index % 11 == 0) n = 1;
    if (index % 11 == 1) n = max_len_;
    r.cfg = eps();
    const int kind = index < 24 ? static_cast<int>(index % 12) : uniform(0, 15);
    const double sd = std::pow(10.0, uniform_real(-3.0, 3.0));
    const double mean = uniform_real(-3.0, 3.0) * sd * (coin() ? 1.0 : 100.0);
    for (std::size_t j = 0; j < n; ++j) r.x.push_back(bf16_of(mean + sd * normal()));
    switch (kind) {
      case 0: r.kind = "all equal"; std::fill(r.x.begin(), r.x.end(), r.x[0]); break;
      case 1: r.kind = "huge range";
        for (auto& v : r.x) v = finite_bits(1, 254);
        break;
      case 2: r.kind = "NaN"; r.x[pos(n)] = static_cast<std::uint16_t>(0x7F80u | uniform(1, 0x7F) | sign()); break;
      case 3: r.kind = "+-Inf"; r.x[pos(n)] = static_cast<std::uint16_t>(0x7F80u | sign()); break;
      case 4: r.kind = "zeros"; for (auto& v : r.x) v = sign(); break;
      case 5: r.kind = "subnormals and zeros";
        for (auto& v : r.x) v = static_cast<std::uint16_t>(sign() | (coin() ? uniform(0, 0x7F) : 0));
        if (coin()) r.x[pos(n)] = bf16_of(normal());
        break;
      case 6: r.kind = "overflowing squares";
        for (auto& v : r.x) v = finite_bits(180, 254);
        break;
      case 7: r.kind = "near overflow limit";
        for (auto& v : r.x) v = finite_bits(185, 191);
        break;
      case 8: r.kind = "tiny values";
        for (auto& v : r.x) v = finite_bits(1, 70);
        break;
      case 9: r.kind = "one outlier";
        r.x[pos(n)] = bf16_of(mean + sd * 1e4);
        break;
      case 10: r.kind = "random bits";
        for (auto& v : r.x) v = static_cast<std::uint16_t>(rng_());
        break;
      default: r.kind = "random"; break;
    }
    // Special gamma / beta in some rows only, else nearly every row is NaN.
    const double p_special = coin(0.15) ? 0.05 : 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      r.b.push_back(coin(p_special) ? special() : bf16_of(1.0 + 0.5 * normal()));
      r.c.push_back(coin(p_special) ? special() : bf16_of(normal()));
    }
    return r;
  }

 private:
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double uniform_real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  double normal() { return std::normal_distribution<double>(0.0, 1.0)(rng_); }
  bool coin(double p = 0.5) { return p > 0.0 && std::bernoulli_distribution(p)(rng_); }
  std::uint16_t sign() { return coin() ? 0x8000u : 0u; }
  std::size_t pos(std::size_t n) { return static_cast<std::size_t>(uniform(0, static_cast<int>(n) - 1)); }
  std::uint16_t finite_bits(int elo, int ehi) {
    return static_cast<std::uint16_t>(sign() | (uniform(elo, ehi) << 7) | uniform(0, 0x7F));
  }
  std::uint16_t special() {
    switch (uniform(0, 4)) {
      case 0: return sign();
      case 1: return static_cast<std::uint16_t>(0x7F80u | sign());
      case 2: return static_cast<std::uint16_t>(0x7FC1u | sign());
      case 3: return static_cast<std::uint16_t>(uniform(1, 0x7F) | sign());
      default: return static_cast<std::uint16_t>(rng_());
    }
  }
  std::uint32_t eps() {
    switch (uniform(0, 9)) {
      case 0: return 0u;
      case 1: return 0x3F800000u;                                    // 1.0
      case 2: return 0x358637BDu;                                    // 1e-6
      case 3: return static_cast<std::uint32_t>(rng_());             // anything
      default: return kEps;
    }
  }

  std::mt19937_64 rng_;
  std::size_t max_len_;
};

template <class Dut, bool kRms>
void run_norm(const std::string& test, unsigned lanes, std::size_t max_len, std::size_t rows_per_seed) {
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2, 3})) {
    npu::tb::vec::announce(seed, test);
    RowGen gen(seed, max_len);
    std::vector<Bf16Row> rows;
    std::vector<std::vector<std::uint16_t>> want;
    for (std::size_t i = 0; i < rows_per_seed; ++i) {
      rows.push_back(gen.next(i));
      const Bf16Row& r = rows.back();
      want.push_back(kRms ? npu::ref::rmsnorm_bf16(r.x, r.b, r.cfg)
                          : npu::ref::layernorm_bf16(r.x, r.b, r.c, r.cfg));
    }
    SimControl<Dut> sim(npu::tb::env_waves());
    auto& dut = sim.dut();
    dut.in_valid_i = 0;
    dut.out_ready_i = 0;
    sim.reset();
    auto drive = [lanes](Dut& d, const Bf16Row& row, std::size_t first, bool valid, std::mt19937_64& r) {
      for (unsigned l = 0; l < lanes; ++l) {
        const bool have = valid && first + l < row.x.size();
        npu::tb::put_bits(d.in_data_i, l * 16, 16, have ? row.x[first + l] : static_cast<std::uint32_t>(r()));
        npu::tb::put_bits(d.in_gamma_i, l * 16, 16, have ? row.b[first + l] : static_cast<std::uint32_t>(r()));
        if constexpr (!kRms)
          npu::tb::put_bits(d.in_beta_i, l * 16, 16, have ? row.c[first + l] : static_cast<std::uint32_t>(r()));
      }
      // eps is only sampled with a row's first beat.
      d.cfg_eps_i = (valid && first == 0) ? row.cfg : static_cast<std::uint32_t>(r());
    };
    const auto res = npu::tb::vec::stream_rows(sim, lanes, rows, want, seed, {}, 20000,
                                               npu::tb::vec::rerun_hint(seed, test), drive);
    INFO("seed " << seed);
    if (!res.error.empty()) FAIL(res.error);
    // The stimulus must reach the interesting outcomes, not just NaN rows.
    std::size_t nan_rows = 0, finite_rows = 0, zero_elems = 0, inf_elems = 0;
    for (const auto& y : want) {
      bool all_finite = true, any_nan = false;
      for (std::uint16_t v : y) {
        const bool nan = (v & 0x7F80u) == 0x7F80u && (v & 0x7Fu) != 0;
        any_nan |= nan;
        all_finite &= (v & 0x7F80u) != 0x7F80u;
        zero_elems += (v & 0x7FFFu) == 0;
        inf_elems += (v & 0x7FFFu) == 0x7F80u;
      }
      nan_rows += any_nan;
      finite_rows += all_finite;
    }
    fmt::print("  {} rows, {} elements in {} cycles; rows with NaN {}, all-finite rows {}, "
               "zero outputs {}, Inf outputs {}\n", rows.size(), res.elements, res.cycles, nan_rows,
               finite_rows, zero_elems, inf_elems);
    CHECK(finite_rows > rows.size() / 2);
    CHECK(nan_rows > 10);
    CHECK(zero_elems > 0);
  }
}

}  // namespace

TEST_CASE("vec_layernorm_bf16: random and edge rows - back-pressure - bit-exact", "[vec][norm_bf16]") {
  run_norm<Vvec_layernorm_bf16, false>("vec_layernorm_bf16: random and edge rows - back-pressure - bit-exact",
                                       kLnLanes, kLnMaxLen, 400);
}

TEST_CASE("vec_rmsnorm_bf16: random and edge rows - back-pressure - bit-exact", "[vec][norm_bf16]") {
  run_norm<Vvec_rmsnorm_bf16, true>("vec_rmsnorm_bf16: random and edge rows - back-pressure - bit-exact",
                                    kRmsLanes, kRmsMaxLen, 400);
}
