// FP32 / BF16 arithmetic of the NPU, bit-exact (see docs/numerics.md).
// All values are raw bit patterns. Inputs with exponent field 0 are zero (DAZ),
// results below 2^-126 after rounding are zero (FTZ), every NaN result is the
// canonical NaN, rounding is round-to-nearest-even.
#pragma once

#include <cstdint>

namespace npu::ref {

inline constexpr uint32_t kFp32CanonicalNan = 0x7FC00000u;
inline constexpr uint16_t kBf16CanonicalNan = 0x7FC0u;

uint32_t bf16_to_fp32(uint16_t b);                        // widen: DAZ, NaN -> canonical, else exact
uint16_t fp32_to_bf16(uint32_t f);                        // RNE, DAZ, NaN -> 0x7FC0
uint32_t fp32_add(uint32_t a, uint32_t b);                // a + b
uint32_t fp32_mul(uint32_t a, uint32_t b);                // a * b
uint32_t fp32_fma(uint32_t a, uint32_t b, uint32_t c);    // a*b + c, single rounding
uint32_t bf16_mac(uint16_t a, uint16_t b, uint32_t acc);  // acc + a*b: the PE operation
// The contract's rounding of an exact nonzero value (-1)^neg * sig * 2^lsb_exp:
// RNE to 24 bits with unbounded exponent, then overflow to Inf / flush to zero.
uint32_t fp32_round(bool neg, unsigned __int128 sig, int lsb_exp);

}  // namespace npu::ref
