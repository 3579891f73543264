// Building blocks of the vector engine: exponent scaling, exp, reciprocal,
// reciprocal square root (BF16 path) and integer square root (INT path).
#include <cstdint>
#include <stdexcept>

#include "npu/ref/bf16.hpp"
#include "npu/ref/fp.hpp"
#include "npu/ref/vec_util.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref {

uint32_t ldexp_ftz(uint32_t f, int32_t k) {
  const uint32_t sign = f & kVecSignBit;
  if (fp32_is_nan(f)) return kFp32CanonicalNan;
  if (fp32_is_inf(f)) return f;
  if (fp32_is_zero(f)) return sign;  // DAZ: subnormal input is zero
  const int64_t e = static_cast<int64_t>(fp32_exponent(f)) + k;
  if (e <= 0) return sign;                     // below 2^-126: flush
  if (e >= 0xFF) return sign | 0x7F800000u;    // 2^128 or more: overflow
  return sign | (static_cast<uint32_t>(e) << 23) | fp32_fraction(f);
}

uint32_t exp2_poly(uint32_t r) {
  uint32_t p = kVecExp2Poly.back();
  for (std::size_t i = kVecExp2Poly.size() - 1; i-- > 0;) p = fp32_fma(p, r, kVecExp2Poly[i]);
  return p;
}

ExpSplit exp_neg_split(uint32_t v) {
  if (fp32_is_nan(v)) return {kFp32CanonicalNan, 0};
  if (!fp32_is_zero(v) && !fp32_sign(v)) throw std::domain_error("exp_neg_split: argument must be <= 0");
  const uint32_t t = fp32_mul(v, kVecLog2e);
  if (fp32_less(t, kVecExpCutoff)) return {0u, 0};  // e^v < 2^-192: zero
  // t + 1.5*2^23 lands in [2^23, 2^24) where the FP32 ulp is 1: RNE to integer.
  const uint32_t biased = fp32_add(t, kVecRoundMagic);
  const int32_t k = static_cast<int32_t>(biased) - static_cast<int32_t>(kVecRoundMagic);
  const uint32_t k_fp = fp32_add(biased, fp32_neg(kVecRoundMagic));  // == k, exact
  const uint32_t r = fp32_add(t, fp32_neg(k_fp));                     // exact, |r| <= 0.5
  return {exp2_poly(r), k};
}

uint32_t exp_neg(uint32_t v) {
  const ExpSplit s = exp_neg_split(v);
  return ldexp_ftz(s.p, s.k);
}

uint32_t recip_seed(unsigned index) {
  if (index >= 128) throw std::out_of_range("recip_seed: index must be < 128");
  // q = nearest integer to 2^17 / (257 + 2i) = 2^9 / (midpoint of interval i);
  // the divisor is odd so there are no ties.
  const uint64_t den = 257u + 2u * index;
  const uint64_t q = ((uint64_t{1} << 18) + den) / (2 * den);
  return u64_to_fp32(q, -9);
}

uint32_t rsqrt_seed(unsigned index) {
  if (index >= 128) throw std::out_of_range("rsqrt_seed: index must be < 128");
  // Interval midpoint m = (129 + 2j)/128 * (1 + odd); q = floor(2^10 / sqrt(m)).
  const uint64_t odd = index >> 6;
  const uint64_t j = index & 63u;
  const uint64_t q = isqrt_newton((uint64_t{1} << 27) / ((129u + 2u * j) * (1u + odd)));
  return u64_to_fp32(q, -10);
}

RecipSplit recip_split(uint32_t v) {
  if (fp32_is_nan(v) || fp32_is_inf(v) || fp32_is_zero(v)) {
    throw std::domain_error("recip_split: argument must be finite and normal");
  }
  const uint32_t sign = v & kVecSignBit;
  const uint32_t m = kVecOne | fp32_fraction(v);  // significand in [1, 2)
  uint32_t y = recip_seed(fp32_fraction(v) >> 16);
  for (int i = 0; i < kVecRecipNewtonSteps; ++i) {
    const uint32_t err = fp32_fma(fp32_neg(m), y, kVecOne);  // 1 - m*y
    y = fp32_fma(y, err, y);                                  // y + y*(1 - m*y)
  }
  return {sign | y, 127 - static_cast<int32_t>(fp32_exponent(v))};
}

uint32_t recip(uint32_t v) {
  if (fp32_is_nan(v)) return kFp32CanonicalNan;
  if (fp32_is_zero(v)) return (v & kVecSignBit) | 0x7F800000u;
  if (fp32_is_inf(v)) return v & kVecSignBit;
  const RecipSplit s = recip_split(v);
  return ldexp_ftz(s.m, s.e);
}

uint32_t rsqrt(uint32_t v) {
  if (fp32_is_nan(v)) return kFp32CanonicalNan;
  if (fp32_is_zero(v)) return 0x7F800000u;
  if (fp32_sign(v)) return kFp32CanonicalNan;
  if (fp32_is_inf(v)) return 0u;
  // v = m' * 2^e2 with e2 even and m' in [1, 4).
  const int32_t e = static_cast<int32_t>(fp32_exponent(v)) - 127;
  const uint32_t odd = static_cast<uint32_t>(e) & 1u;
  const int32_t e2 = e - static_cast<int32_t>(odd);
  const uint32_t half_m = ((126u + odd) << 23) | fp32_fraction(v);  // m'/2
  uint32_t y = rsqrt_seed((odd << 6) | (fp32_fraction(v) >> 17));
  for (int i = 0; i < kVecRsqrtNewtonSteps; ++i) {
    const uint32_t yy = fp32_mul(y, y);
    const uint32_t u = fp32_fma(fp32_neg(half_m), yy, kVecThreeHalves);  // 1.5 - m'/2 * y^2
    y = fp32_mul(y, u);
  }
  return ldexp_ftz(y, -e2 / 2);
}

uint64_t isqrt_newton(uint64_t v, int* iterations) {
  int count = 0;
  uint64_t x = 0;
  if (v != 0) {
    const int bits = 64 - __builtin_clzll(v);
    x = uint64_t{1} << ((bits + 1) / 2);  // 2^ceil(bits/2) > sqrt(v)
    for (;;) {
      const uint64_t next = (x + v / x) >> 1;
      if (next >= x) break;
      x = next;
      ++count;
    }
  }
  if (iterations != nullptr) *iterations = count;
  return x;
}

int64_t floor_div(int64_t a, int64_t b) {
  if (b <= 0) throw std::invalid_argument("floor_div: divisor must be positive");
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

}  // namespace npu::ref
