// Field access and classification of raw FP32 / BF16 bit patterns.
// Classification follows the numerics contract: exponent field 0 is zero (DAZ).
#pragma once

#include <cstdint>

namespace npu::ref {

constexpr bool fp32_sign(uint32_t f) { return (f >> 31) != 0; }
constexpr uint32_t fp32_exponent(uint32_t f) { return (f >> 23) & 0xFFu; }
constexpr uint32_t fp32_fraction(uint32_t f) { return f & 0x7FFFFFu; }
constexpr bool fp32_is_nan(uint32_t f) { return fp32_exponent(f) == 0xFFu && fp32_fraction(f) != 0; }
constexpr bool fp32_is_inf(uint32_t f) { return fp32_exponent(f) == 0xFFu && fp32_fraction(f) == 0; }
// True for +-0 and for subnormals, which DAZ reads as zero.
constexpr bool fp32_is_zero(uint32_t f) { return fp32_exponent(f) == 0; }

constexpr bool bf16_sign(uint16_t b) { return (b >> 15) != 0; }
constexpr uint32_t bf16_exponent(uint16_t b) { return (b >> 7) & 0xFFu; }
constexpr uint32_t bf16_fraction(uint16_t b) { return b & 0x7Fu; }
constexpr bool bf16_is_nan(uint16_t b) { return bf16_exponent(b) == 0xFFu && bf16_fraction(b) != 0; }
constexpr bool bf16_is_inf(uint16_t b) { return bf16_exponent(b) == 0xFFu && bf16_fraction(b) == 0; }
constexpr bool bf16_is_zero(uint16_t b) { return bf16_exponent(b) == 0; }

}  // namespace npu::ref
