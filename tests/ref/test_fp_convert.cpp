// BF16 <-> FP32 conversions against independent double-precision formulations.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "npu/ref/fp.hpp"
#include "test_util.hpp"

using npu::ref::bf16_to_fp32;
using npu::ref::fp32_to_bf16;
using npu::test::as_bits;
using npu::test::as_float;

namespace {

// Value of a BF16 pattern from its fields, in double (subnormals read as 0).
double bf16_field_value(uint16_t b) {
  const int sign = (b >> 15) & 1;
  const int exp = (b >> 7) & 0xFF;
  const int frac = b & 0x7F;
  const double mag = exp == 0 ? 0.0 : std::ldexp(1.0 + frac / 128.0, exp - 127);
  return sign != 0 ? -mag : mag;
}

// FP32 -> BF16 computed in double: scale by the BF16 ulp of the input's binade,
// round with nearbyint (ties to even in the default mode), scale back.
uint16_t double_fp32_to_bf16(uint32_t f) {
  const float x = as_float(f);
  const bool neg = std::signbit(x);
  if (std::isnan(x)) return 0x7FC0;
  if (std::isinf(x)) return neg ? 0xFF80 : 0x7F80;
  if (std::fpclassify(x) != FP_NORMAL) return neg ? 0x8000 : 0x0000;  // zero or subnormal (DAZ)
  const double v = x;
  int e = 0;
  std::frexp(v, &e);                                  // |v| in [2^(e-1), 2^e)
  const double ulp = std::ldexp(1.0, (e - 1) - 7);    // BF16 keeps 8 significant bits
  const double r = std::nearbyint(v / ulp) * ulp;
  if (std::fabs(r) >= 0x1p128) return neg ? 0xFF80 : 0x7F80;
  return static_cast<uint16_t>(as_bits(static_cast<float>(r)) >> 16);  // r is a BF16 value
}

void check_fp32_to_bf16(uint32_t f, npu::test::Mismatches& bad) {
  const uint16_t got = fp32_to_bf16(f);
  const uint16_t want = double_fp32_to_bf16(f);
  if (got != want) bad.add(fmt::format("fp32_to_bf16({:#010x}) = {:#06x}, want {:#06x}", f, got, want));
}

}  // namespace

TEST_CASE("bf16_to_fp32 and back for all 65536 patterns", "[fp][convert]") {
  npu::test::Mismatches bad;
  for (uint32_t i = 0; i <= 0xFFFF; ++i) {
    const auto b = static_cast<uint16_t>(i);
    const int exp = (b >> 7) & 0xFF;
    const int frac = b & 0x7F;
    const uint32_t wide = bf16_to_fp32(b);
    const uint16_t back = fp32_to_bf16(wide);

    if (exp == 0xFF && frac != 0) {  // NaN: canonical both ways
      if (wide != 0x7FC00000u || back != 0x7FC0u) {
        bad.add(fmt::format("NaN {:#06x} -> {:#010x} -> {:#06x}", b, wide, back));
      }
      continue;
    }
    const uint16_t want_back = exp == 0 ? static_cast<uint16_t>(b & 0x8000) : b;  // DAZ keeps sign
    if (back != want_back) bad.add(fmt::format("round trip {:#06x} -> {:#06x}", b, back));

    const float decoded = as_float(wide);
    const double want = exp == 0xFF ? ((b & 0x8000) != 0 ? -INFINITY : INFINITY) : bf16_field_value(b);
    const bool same_sign = std::signbit(decoded) == ((b & 0x8000) != 0);
    if (static_cast<double>(decoded) != want || !same_sign) {
      bad.add(fmt::format("bf16_to_fp32({:#06x}) = {:#010x} ({}), want {}", b, wide, decoded, want));
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);
}

TEST_CASE("fp32_to_bf16 edge patterns", "[fp][convert]") {
  npu::test::Mismatches bad;
  // Every exponent (incl. 0 = subnormal, 255 = Inf/NaN), both signs, kept LSB
  // even/odd, and the dropped half around the tie point.
  const uint32_t kept_fracs[] = {0x00, 0x01, 0x02, 0x7E, 0x7F};
  const uint32_t dropped[] = {0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF};
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint32_t exp = 0; exp < 256; ++exp) {
      for (uint32_t kf : kept_fracs) {
        for (uint32_t lo : dropped) check_fp32_to_bf16((sign << 31) | (exp << 23) | (kf << 16) | lo, bad);
      }
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);

  // A few with the answer spelled out.
  CHECK(fp32_to_bf16(0x3F808000u) == 0x3F80);  // tie, even LSB: down
  CHECK(fp32_to_bf16(0x3F818000u) == 0x3F82);  // tie, odd LSB: up
  CHECK(fp32_to_bf16(0x3F808001u) == 0x3F81);  // just above tie: up
  CHECK(fp32_to_bf16(0x3F807FFFu) == 0x3F80);  // just below tie: down
  CHECK(fp32_to_bf16(0x7F7FFFFFu) == 0x7F80);  // max finite rounds to +Inf
  CHECK(fp32_to_bf16(0xFF7F8000u) == 0xFF80);  // tie with odd LSB at the top: -Inf
  CHECK(fp32_to_bf16(0x7F7F7FFFu) == 0x7F7F);  // stays finite
  CHECK(fp32_to_bf16(0x007FFFFFu) == 0x0000);  // subnormal: DAZ
  CHECK(fp32_to_bf16(0x80000001u) == 0x8000);  // negative subnormal: -0
  CHECK(fp32_to_bf16(0x007FFFFFu + 1) == 0x0080);  // min normal stays
  CHECK(fp32_to_bf16(0x7F800001u) == 0x7FC0);  // signalling NaN
  CHECK(fp32_to_bf16(0xFFFFFFFFu) == 0x7FC0);  // negative NaN
  CHECK(fp32_to_bf16(0x7F800000u) == 0x7F80);
  CHECK(fp32_to_bf16(0xFF800000u) == 0xFF80);
}

TEST_CASE("fp32_to_bf16 random patterns", "[fp][convert]") {
  const uint64_t seed = npu::test::test_seed("fp32_to_bf16 random");
  INFO("seed " << seed);
  const uint64_t count = npu::test::env_u64("NPU_FP_OPS", 10'000'000);
  std::mt19937_64 rng(seed);
  npu::test::Mismatches bad;
  for (uint64_t i = 0; i < count; ++i) check_fp32_to_bf16(static_cast<uint32_t>(rng()), bad);
  INFO(bad.report());
  CHECK(bad.count() == 0);
}

TEST_CASE("fp32_to_bf16 all 2^32 patterns", "[fp][convert][nightly][.]") {
  npu::test::Mismatches bad;
  uint32_t f = 0;
  do {
    check_fp32_to_bf16(f, bad);
  } while (++f != 0);
  INFO(bad.report());
  CHECK(bad.count() == 0);
}
