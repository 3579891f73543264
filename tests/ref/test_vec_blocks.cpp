// Building blocks of the vector engine model over their input ranges: the
// table functions (every 23-bit fraction), exp2, reciprocal, rsqrt, x*sigmoid,
// sum16 and the fixed-point forms of the integer path.
#include <cmath>
#include <cstdint>
#include <random>

#include <catch2/catch.hpp>

#include "npu/ref/fp.hpp"
#include "npu/ref/vec_accuracy.hpp"
#include "npu/ref/vec_util.hpp"
#include "npu/ref/vector.hpp"
#include "test_util.hpp"

using namespace npu::ref;
namespace acc = npu::ref::accuracy;
using acc::real;

namespace {
// Error of an FP32 result in FP32 ulps of the exact value.
double fp32_ulp_error(uint32_t got, real exact) {
  int e = 0;
  std::frexp(exact, &e);
  return static_cast<double>(std::fabs(acc::fp32_value(got) - exact) / std::ldexp(1.0L, e - 24));
}
}  // namespace

TEST_CASE("table functions: every fraction within one output unit", "[vec]") {
  // The quadratic tables over all 2^23 fractions (docs/numerics.md states the bounds).
  double e_exp2 = 0, e_rcp = 0, e_rse = 0, e_rso = 0;
  for (uint32_t f = 0; f < (1u << 23); ++f) {
    const real x = std::ldexp(static_cast<real>(f), -23);
    e_exp2 = std::max(e_exp2, double(std::fabs(table_exp2(f) - std::exp2(x) * 8388608.0L)));
    e_rcp = std::max(e_rcp, double(std::fabs(table_rcp(f) - 16777216.0L / (1 + x))));
    e_rse = std::max(e_rse, double(std::fabs(table_rsqrt(f, false) - 16777216.0L / std::sqrt(1 + x))));
    e_rso = std::max(e_rso, double(std::fabs(table_rsqrt(f, true) - 16777216.0L / std::sqrt(2 * (1 + x)))));
  }
  INFO("max errors: exp2 " << e_exp2 << ", rcp " << e_rcp << ", rsqrt even " << e_rse << ", odd " << e_rso);
  CHECK(e_exp2 < 0.62);
  CHECK(e_rcp < 0.76);
  CHECK(e_rse < 0.6);
  CHECK(e_rso < 0.76);
  // The ends of the ranges are exact.
  CHECK(table_exp2(0) == (1u << 23));
  CHECK(table_rcp(0) == (1u << 24));
  CHECK(table_rsqrt(0, false) == (1u << 24));
}

TEST_CASE("exp2_fp32: relative error, exact powers, cut-offs", "[vec]") {
  CHECK(exp2_fp32(0u) == kVecOne);
  CHECK(exp2_fp32(0x80000000u) == kVecOne);
  CHECK(exp2_fp32(0xC0400000u) == 0x3E000000u);  // 2^-3 exactly
  CHECK(exp2_fp32(0x42FE0000u) == 0x7F000000u);  // 2^127
  CHECK(exp2_fp32(0x43000000u) == 0x7F800000u);  // 2^128 -> +Inf
  CHECK(exp2_fp32(0xC2FC0000u) == 0x00800000u);  // 2^-126, the smallest normal
  CHECK(exp2_fp32(0xC2FE0000u) == 0u);           // 2^-127: flushed
  CHECK(exp2_fp32(0xFF800000u) == 0u);
  CHECK(exp2_fp32(0x7FC00001u) == kFp32CanonicalNan);
  double worst = 0;
  for (uint32_t mag = 0; mag <= 0x42FA0000u; mag += 1u << 11) {  // |t| <= 125, every 2^11-th pattern
    for (uint32_t sign : {0u, 0x80000000u}) {
      const uint32_t t = mag | sign;
      if (sign == 0 && mag > 0x42F00000u) continue;
      worst = std::max(worst, fp32_ulp_error(exp2_fp32(t), std::exp2(acc::fp32_value(t))));
    }
  }
  INFO("max error " << worst << " ulp");
  CHECK(worst < 2.1);  // table 0.62 ulp plus truncation of t to 23 fraction bits (up to 1.39 ulp)
}

TEST_CASE("rcp_fp32 / rsqrt_fp32: ulp error and specials", "[vec]") {
  std::mt19937_64 rng(npu::test::test_seed("rcp rsqrt"));
  double wr = 0, ws = 0;
  for (int i = 0; i < 400000; ++i) {
    // normal v whose reciprocal is normal too: 2^-126 <= v < 2^126
    const uint32_t v = static_cast<uint32_t>(rng() & 0x7FFFFFFFu) % 0x7E000000u + 0x00800000u;
    wr = std::max(wr, fp32_ulp_error(rcp_fp32(v), 1 / acc::fp32_value(v)));
    ws = std::max(ws, fp32_ulp_error(rsqrt_fp32(v), 1 / std::sqrt(acc::fp32_value(v))));
  }
  INFO("rcp " << wr << " ulp, rsqrt " << ws << " ulp");
  CHECK(wr < 1.6);
  CHECK(ws < 1.6);
  CHECK(rcp_fp32(0x40800000u) == 0x3E800000u);  // 1/4 exactly
  CHECK(rcp_fp32(0x80000000u) == 0xFF800000u);
  CHECK(rcp_fp32(0x7F800000u) == 0u);
  CHECK(rcp_fp32(0x7F7FFFFFu) == 0u);  // below 2^-126: flushed
  CHECK(rsqrt_fp32(0x40800000u) == 0x3F000000u);  // 1/sqrt(4) exactly
  CHECK(rsqrt_fp32(0xBF800000u) == kFp32CanonicalNan);
  CHECK(rsqrt_fp32(0u) == 0x7F800000u);
  CHECK(rsqrt_fp32(0x7F800000u) == 0u);
}

TEST_CASE("times_sigmoid2: x * sigmoid(w) with t = w log2 e over the whole range", "[vec]") {
  std::mt19937_64 rng(npu::test::test_seed("times_sigmoid2"));
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const real x = std::ldexp(static_cast<real>(rng() % 2000001) / 1e6L - 1, static_cast<int>(rng() % 20));
    const real t = static_cast<real>(static_cast<int64_t>(rng() % 400001) - 200000) / 1000.0L;  // |t| <= 200
    const uint32_t xb = acc::fp32_bits(static_cast<float>(x)), tb = acc::fp32_bits(static_cast<float>(t));
    const real xv = acc::fp32_value(xb), tv = acc::fp32_value(tb);
    const real exact = xv / (1 + std::exp2(-tv));
    if (std::fabs(exact) < 1e-36L || exact == 0) continue;  // near the flush limit
    worst = std::max(worst, fp32_ulp_error(times_sigmoid2(xb, tb), exact));
  }
  INFO("max error " << worst << " ulp");
  CHECK(worst < 3.0);
  CHECK(times_sigmoid2(0x3F800000u, 0u) == 0x3F000000u);         // 1 * sigmoid(0) = 0.5
  CHECK(times_sigmoid2(0xC0000000u, 0xC3800000u) == 0x80000000u);  // t = -256: signed zero of x
  CHECK(times_sigmoid2(0x7F800000u, 0x7F800000u) == 0x7F800000u);
  CHECK(times_sigmoid2(0xFF800000u, 0xFF800000u) == 0x80000000u);
  CHECK(times_sigmoid2(0x7FC00000u, 0u) == kFp32CanonicalNan);
}

TEST_CASE("sum16: fixed order, independent of how the elements were grouped", "[vec]") {
  // 2^24 + 1 + ... : the order decides the rounding; the contract's order is
  // 16 strided partials (element j into partial j mod 16), then the tree.
  std::vector<uint32_t> v(32, 0x3F800000u);  // 1.0
  v[0] = 0x4B800000u;                        // 2^24
  // partial 0: 2^24 + 1 (element 16) rounds to 2^24; the other partials hold 2.
  const uint32_t s = sum16(v);
  CHECK(s == fp32_add(0x4B800000u, 0x41F00000u));  // 2^24 + 30
  std::vector<bool> kept(32, true);
  kept[16] = false;
  CHECK(sum16(v, &kept) == fp32_add(0x4B800000u, 0x41F00000u));
  CHECK(sum16({0x80000000u}) == 0u);  // -0 from +0 partials: +0
}

TEST_CASE("fixed_rcp / fixed_rsqrt: normalisation and accuracy", "[vec]") {
  for (uint64_t v : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{384}, uint64_t{1} << 33, (uint64_t{1} << 40) + 12345}) {
    const auto r = fixed_rcp(v);
    const real got = r.y * std::ldexp(1.0L, -24 - r.b);
    CHECK(std::fabs(got * v - 1) < 1e-7L);
    const auto q = fixed_rsqrt(v);
    const real gq = q.y * std::ldexp(1.0L, -24 - q.b);
    CHECK(std::fabs(gq * std::sqrt(static_cast<real>(v)) - 1) < 1e-7L);
  }
  CHECK_THROWS_AS(fixed_rcp(0), std::invalid_argument);
}

TEST_CASE("floor_div rounds towards -inf", "[vec]") {
  CHECK(floor_div(7, 2) == 3);
  CHECK(floor_div(-7, 2) == -4);
  CHECK(floor_div(-8, 2) == -4);
  CHECK_THROWS_AS(floor_div(1, 0), std::invalid_argument);
}
