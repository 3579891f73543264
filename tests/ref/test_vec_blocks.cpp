// Building blocks of the vector engine model over their input ranges:
// exponent scaling, exp, reciprocal, rsqrt (FP32) and isqrt (integer).
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

TEST_CASE("ldexp_ftz: exact scaling with flush and overflow", "[vec]") {
  CHECK(ldexp_ftz(0x3F800000u, 3) == 0x41000000u);
  CHECK(ldexp_ftz(0xBFC00000u, -126) == 0x80C00000u);   // -1.5 * 2^-126 is normal
  CHECK(ldexp_ftz(0xBFC00000u, -127) == 0x80000000u);   // would be subnormal: -0
  CHECK(ldexp_ftz(0x3F800000u, 127) == 0x7F000000u);
  CHECK(ldexp_ftz(0x3F800000u, 128) == 0x7F800000u);    // 2^128: +Inf
  CHECK(ldexp_ftz(0x00000001u, 200) == 0x00000000u);    // DAZ input
  CHECK(ldexp_ftz(0x7F800001u, 0) == kFp32CanonicalNan);
  CHECK(ldexp_ftz(0xFF800000u, -300) == 0xFF800000u);
}

TEST_CASE("exp2_poly: relative error for |r| <= 0.5", "[vec]") {
  double worst = 0;
  CHECK(exp2_poly(0u) == kVecOne);
  CHECK(exp2_poly(0x80000000u) == kVecOne);
  // Every 2^8-th FP32 pattern with |r| <= 0.5 (down to 2^-40), both signs.
  for (uint32_t mag = 0x2B800000u; mag <= 0x3F000000u; mag += 256) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      const uint32_t r = mag | sign;
      const real exact = std::exp2(acc::fp32_value(r));
      worst = std::max(worst, static_cast<double>(std::fabs(acc::fp32_value(exp2_poly(r)) / exact - 1)));
    }
  }
  INFO("max relative error " << worst);
  CHECK(worst < 3.0e-7);  // measured 2.45e-7 (2^-21.96); the polynomial in exact math 2^-22.3
}

TEST_CASE("exp_neg: relative error and flush for v <= 0", "[vec]") {
  double worst = 0;
  for (uint32_t mag = 0; mag <= 0x43400000u; mag += 1u << 12) {  // 0 .. 192, every 2^12-th pattern
    const uint32_t v = mag | 0x80000000u;
    const real exact = std::exp(acc::fp32_value(v));
    const uint32_t got = exp_neg(v);
    if (exact < std::ldexp(1.0L, -126) * (1 - std::ldexp(1.0L, -20))) {
      REQUIRE(got == 0u);  // flushed
    } else if (exact > std::ldexp(1.0L, -126) * (1 + std::ldexp(1.0L, -20))) {
      REQUIRE(got != 0u);
      worst = std::max(worst, static_cast<double>(std::fabs(acc::fp32_value(got) / exact - 1)));
    }
  }
  INFO("max relative error " << worst);
  // t = v*log2e is rounded: |t| * 2^-24 * ln2 up to |v| = 87 adds ~3.6e-6.
  CHECK(worst < 4.5e-6);
  CHECK(exp_neg(0xFF800000u) == 0u);
  CHECK(exp_neg(0x80000000u) == kVecOne);
  CHECK(exp_neg(0x7FC00000u) == kFp32CanonicalNan);
  CHECK_THROWS_AS(exp_neg(0x3F800000u), std::domain_error);
}

TEST_CASE("seed tables: documented entries and seed accuracy", "[vec]") {
  CHECK(recip_seed(0) == 0x3F7F0000u);    // 510/512
  CHECK(recip_seed(127) == 0x3F008000u);  // 257/512
  CHECK(rsqrt_seed(0) == 0x3F7F0000u);    // 1020/1024
  CHECK(rsqrt_seed(64) == 0x3F344000u);   // 721/1024
  CHECK(rsqrt_seed(127) == 0x3F004000u);  // 513/1024
  for (unsigned i = 0; i < 128; ++i) {
    const real mid = 1 + (i + 0.5L) / 128;
    CHECK(std::fabs(acc::fp32_value(recip_seed(i)) * mid - 1) < std::ldexp(1.0L, -8));
    const real m2 = (1 + ((i & 63) + 0.5L) / 64) * ((i >> 6) ? 2 : 1);
    CHECK(std::fabs(acc::fp32_value(rsqrt_seed(i)) * std::sqrt(m2) - 1) < std::ldexp(1.0L, -8));
    if (i > 0) {
      CHECK(recip_seed(i) <= recip_seed(i - 1));
      if (i != 64) CHECK(rsqrt_seed(i) <= rsqrt_seed(i - 1));
    }
  }
}

TEST_CASE("recip: FP32 ulp error over the significand range", "[vec]") {
  double worst = 0;
  for (uint32_t frac = 0; frac < (1u << 23); frac += 61) {  // ~137k significands
    for (uint32_t exp : {1u, 127u, 200u, 254u}) {
      const uint32_t v = (exp << 23) | frac;
      const uint32_t got = recip(v);
      const real exact = 1 / acc::fp32_value(v);
      if (exact < std::ldexp(1.0L, -126)) {
        REQUIRE(got == 0u);
      } else {
        worst = std::max(worst, fp32_ulp_error(got, exact));
      }
    }
  }
  INFO("max error " << worst << " FP32 ulp");
  CHECK(worst <= 1.0);
  CHECK(recip(0x00000000u) == 0x7F800000u);
  CHECK(recip(0x80000001u) == 0xFF800000u);  // DAZ: -0
  CHECK(recip(0xFF800000u) == 0x80000000u);
  CHECK(recip(0xC0000000u) == 0xBF000000u);  // -1/2
  CHECK(recip(0x7FC12345u) == kFp32CanonicalNan);
}

TEST_CASE("recip: every significand", "[vec][nightly]") {
  double worst = 0;
  for (uint32_t frac = 0; frac < (1u << 23); ++frac) {
    const uint32_t v = (127u << 23) | frac;
    worst = std::max(worst, fp32_ulp_error(recip(v), 1 / acc::fp32_value(v)));
  }
  INFO("max error " << worst << " FP32 ulp");
  CHECK(worst <= 1.0);
}

namespace {
double rsqrt_worst(uint32_t step) {
  double worst = 0;
  for (uint32_t frac = 0; frac < (1u << 23); frac += step) {
    for (uint32_t exp : {1u, 2u, 126u, 127u, 253u, 254u}) {
      const uint32_t v = (exp << 23) | frac;
      worst = std::max(worst, fp32_ulp_error(rsqrt(v), 1 / std::sqrt(acc::fp32_value(v))));
    }
  }
  return worst;
}
}  // namespace

TEST_CASE("rsqrt: FP32 ulp error over both exponent parities", "[vec]") {
  const double worst = rsqrt_worst(61);
  INFO("max error " << worst << " FP32 ulp");
  CHECK(worst <= 2.0);
  CHECK(rsqrt(0x40800000u) == 0x3F000000u);  // 1/sqrt(4)
  CHECK(rsqrt(0x00000000u) == 0x7F800000u);
  CHECK(rsqrt(0x80000000u) == 0x7F800000u);
  CHECK(rsqrt(0x7F800000u) == 0x00000000u);
  CHECK(rsqrt(0xBF800000u) == kFp32CanonicalNan);
  CHECK(rsqrt(0x7FC00001u) == kFp32CanonicalNan);
}

TEST_CASE("rsqrt: every significand", "[vec][nightly]") {
  const double worst = rsqrt_worst(1);
  INFO("max error " << worst << " FP32 ulp");
  CHECK(worst <= 2.0);
}

TEST_CASE("isqrt_newton: floor(sqrt) and iteration count", "[vec]") {
  int max_iter = 0;
  for (uint64_t v = 0; v < (1u << 20); ++v) {
    int it = 0;
    const uint64_t s = isqrt_newton(v, &it);
    max_iter = std::max(max_iter, it);
    REQUIRE(s * s <= v);
    REQUIRE((s + 1) * (s + 1) > v);
  }
  std::mt19937_64 rng(npu::test::test_seed("isqrt_newton"));
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = rng() >> (rng() % 62 + 2);  // up to 2^62
    int it = 0;
    const uint64_t s = isqrt_newton(v, &it);
    max_iter = std::max(max_iter, it);
    REQUIRE(s * s <= v);
    REQUIRE((s + 1) * (s + 1) > v);
  }
  for (uint64_t r : {uint64_t{1} << 31, (uint64_t{1} << 31) - 1, uint64_t{3037000499}}) {
    CHECK(isqrt_newton(r * r) == r);
    CHECK(isqrt_newton(r * r - 1) == r - 1);
    CHECK(isqrt_newton(r * r + 1) == r);
  }
  INFO("max iterations " << max_iter);
  CHECK(max_iter <= 6);  // documented RTL iteration budget
}

TEST_CASE("floor_div rounds towards -inf", "[vec]") {
  CHECK(floor_div(7, 2) == 3);
  CHECK(floor_div(-7, 2) == -4);
  CHECK(floor_div(-8, 2) == -4);
  CHECK(floor_div(0, 5) == 0);
  CHECK_THROWS_AS(floor_div(1, 0), std::invalid_argument);
}
