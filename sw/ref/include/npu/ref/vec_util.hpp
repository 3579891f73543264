// Small exact helpers on FP32 bit patterns used by the vector engine model.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "npu/ref/bf16.hpp"

namespace npu::ref {

inline constexpr uint32_t kVecSignBit = 0x80000000u;

// Sign flip: exact, used for subtraction a - b = fp32_add(a, fp32_neg(b)).
constexpr uint32_t fp32_neg(uint32_t f) { return f ^ kVecSignBit; }

// Ordering key of a non-NaN FP32 value with DAZ (all zeros compare equal).
constexpr int64_t fp32_order_key(uint32_t f) {
  if (fp32_is_zero(f)) return 0;
  const int64_t mag = f & 0x7FFFFFFFu;
  return fp32_sign(f) ? -mag : mag;
}
// a < b for non-NaN a, b (IEEE comparison with DAZ).
constexpr bool fp32_less(uint32_t a, uint32_t b) { return fp32_order_key(a) < fp32_order_key(b); }

// Exact FP32 bits of q * 2^scale for 0 <= q < 2^24 (q == 0 gives +0).
inline uint32_t u64_to_fp32(uint64_t q, int scale) {
  if (q >= (uint64_t{1} << 24)) throw std::invalid_argument("u64_to_fp32: value needs more than 24 bits");
  if (q == 0) return 0u;
  const int top = 63 - __builtin_clzll(q);  // q in [2^top, 2^(top+1))
  const int64_t exp = int64_t{top} + scale + 127;
  if (exp <= 0 || exp >= 0xFF) throw std::invalid_argument("u64_to_fp32: out of normal range");
  const uint32_t frac = static_cast<uint32_t>((q << (23 - top)) & 0x7FFFFFu);
  return (static_cast<uint32_t>(exp) << 23) | frac;
}
// Exact FP32 bits of a small signed integer (|x| < 2^24).
inline uint32_t i64_to_fp32(int64_t x) {
  const uint32_t mag = u64_to_fp32(static_cast<uint64_t>(x < 0 ? -x : x), 0);
  return x < 0 ? (mag | kVecSignBit) : mag;
}

}  // namespace npu::ref
