// Vector engine reference model: softmax, LayerNorm/RMSNorm, GELU/SiLU and
// element-wise ops, BF16 and INT8/INT32 paths. Bit-exact specification of the
// RTL; docs/numerics.md states every step. Values are raw bit patterns.
// The BF16 path is built only from fp32_add/mul/fma, exponent arithmetic,
// small seed tables and comparisons; the integer path from integer
// add/multiply/shift/divide with stated floor rounding. No libm.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "npu/ref/requant.hpp"

namespace npu::ref {

// Longest row the vector engine accepts (configuration constant).
inline constexpr std::size_t kVecMaxLen = 4096;

// ---- FP32 constants (bit patterns) -----------------------------------------
inline constexpr uint32_t kVecOne = 0x3F800000u;         // 1.0
inline constexpr uint32_t kVecHalf = 0x3F000000u;        // 0.5
inline constexpr uint32_t kVecThreeHalves = 0x3FC00000u; // 1.5
inline constexpr uint32_t kVecLog2e = 0x3FB8AA3Bu;       // log2(e) RNE
inline constexpr uint32_t kVecRoundMagic = 0x4B400000u;  // 1.5 * 2^23
inline constexpr uint32_t kVecExpCutoff = 0xC3400000u;   // -192.0
// 2^r ~= c0 + c1 r + ... + c5 r^5 on [-0.5, 0.5] (weighted least squares,
// c0 = 1 exactly so that exp(0) == 1.0).
inline constexpr std::array<uint32_t, 6> kVecExp2Poly = {
    0x3F800000u, 0x3F317214u, 0x3E75FD10u, 0x3D635CB8u, 0x3C1E617Du, 0x3AAD3C63u};
// GELU tanh form: gelu(x) = x * sigmoid(x * (kGeluB + kGeluA * x^2)),
// kGeluB = 2*sqrt(2/pi), kGeluA = kGeluB * 0.044715.
inline constexpr uint32_t kVecGeluB = 0x3FCC422Au;
inline constexpr uint32_t kVecGeluA = 0x3D922279u;
inline constexpr int kVecRecipNewtonSteps = 2;
inline constexpr int kVecRsqrtNewtonSteps = 2;

// ---- BF16-path building blocks ---------------------------------------------
// f * 2^k by exponent arithmetic: exact, or +-0 if below 2^-126, +-Inf if
// >= 2^128. NaN/Inf/zero pass through (zero keeps its sign).
uint32_t ldexp_ftz(uint32_t f, int32_t k);
// 2^r for |r| <= 0.5: Horner with fp32_fma over kVecExp2Poly.
uint32_t exp2_poly(uint32_t r);
// exp(v) = p * 2^k for v <= 0 (or -0); p in [2^-0.5, 2^0.5] or p = +0 when
// v*log2e < -192 (includes -Inf). NaN gives p = NaN, k = 0.
struct ExpSplit {
  uint32_t p;
  int32_t k;
};
ExpSplit exp_neg_split(uint32_t v);
uint32_t exp_neg(uint32_t v);  // ldexp_ftz(p, k)
// Seed tables, 128 entries each (see docs for the generating formulas).
uint32_t recip_seed(unsigned index);
uint32_t rsqrt_seed(unsigned index);
// 1/v for a finite normal v: 1/v = m * 2^e with |m| in [0.5, 1].
struct RecipSplit {
  uint32_t m;
  int32_t e;
};
RecipSplit recip_split(uint32_t v);
// 1/v: NaN -> NaN, +-0 -> +-Inf, +-Inf -> +-0, else ldexp_ftz of recip_split.
uint32_t recip(uint32_t v);
// 1/sqrt(v): NaN or v < 0 -> NaN, +-0 -> +Inf, +Inf -> +0.
uint32_t rsqrt(uint32_t v);

// ---- BF16 functions ----------------------------------------------------------
// Causal mask of row `row`: column j is kept iff j <= row + offset.
struct CausalMask {
  int64_t row;
  int64_t offset;
};
// softmax(x * scale) over the kept columns; masked columns give +0.
std::vector<uint16_t> softmax_bf16(const std::vector<uint16_t>& x, uint32_t scale,
                                   const std::optional<CausalMask>& mask = std::nullopt);
std::vector<uint16_t> layernorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                     const std::vector<uint16_t>& beta, uint32_t eps);
std::vector<uint16_t> rmsnorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                   uint32_t eps);
uint32_t gelu_fp32(uint32_t x);  // tanh-form GELU, FP32 in/out
uint32_t silu_fp32(uint32_t x);  // x * sigmoid(x), FP32 in/out
uint16_t gelu_bf16(uint16_t x);
uint16_t silu_bf16(uint16_t x);
uint16_t add_bf16(uint16_t a, uint16_t b);
uint16_t mul_bf16(uint16_t a, uint16_t b);

// ---- Integer-path building blocks -------------------------------------------
// floor(sqrt(v)) by Newton iteration (see docs); `iterations` counts updates.
uint64_t isqrt_newton(uint64_t v, int* iterations = nullptr);
// floor(a / b) for b > 0 (rounds towards -inf, unlike C++ '/').
int64_t floor_div(int64_t a, int64_t b);

// ---- INT8 / INT32 functions ----------------------------------------------------
// Real input scale as unsigned Q.20 fixed point: S = scale_q20 * 2^-20,
// 1 <= scale_q20 <= 2^22.
inline constexpr uint32_t kVecMaxScaleQ20 = 1u << 22;
inline constexpr int32_t kVecLn2Q20 = 0xB1721;        // round(ln2 * 2^20)
inline constexpr int64_t kVecIexpA = 0x5BC6A;         // round(0.3585 * 2^20)
inline constexpr int64_t kVecIexpB = 0x15A5E3;        // round(1.353 * 2^20)
inline constexpr int64_t kVecIexpC = 0x58106;         // round(0.344 * 2^20)
inline constexpr int64_t kVecIerfA = 0x49EED;         // round(0.2888 * 2^20)
inline constexpr int64_t kVecIerfB = 0x1C4DD3;        // round(1.769 * 2^20)
inline constexpr int64_t kVecInvSqrt2Q30 = 0x2D413CCD;  // round(2^30 / sqrt(2))

// I-BERT-style integer softmax of int8 logits x * S. Output uint8
// probabilities with scale 2^-8 (255 is the largest code); masked -> 0.
std::vector<uint8_t> softmax_i8(const std::vector<int8_t>& x, uint32_t scale_q20,
                                const std::optional<CausalMask>& mask = std::nullopt);
// I-BERT i-GELU value of int8 x (scale S) as Q.20 fixed point (int32).
int32_t gelu_i8_q20(int8_t x, uint32_t scale_q20);
// i-GELU requantized to int8: requantize(gelu_i8_q20(x), out).
int8_t gelu_i8(int8_t x, uint32_t scale_q20, const RequantParams& out);
// 256-entry SiLU table: entry x + 128 = clamp(rne(silu(x * in_scale) *
// inv_out_scale) + zero_point) with FP32 steps (docs). Scales: positive
// normal FP32 bit patterns.
std::array<int8_t, 256> silu_i8_table(uint32_t in_scale, uint32_t inv_out_scale, int32_t zero_point);
inline int8_t silu_i8(int8_t x, const std::array<int8_t, 256>& table) {
  return table[static_cast<std::size_t>(x + 128)];
}
// Integer LayerNorm (I-BERT style, int32 inputs with |x| < 2^15) and RMSNorm
// (no mean subtraction). Normalised value in Q.14 times int8 gamma plus int32
// beta (scale 2^-14 * S_gamma), then requantize(.., out).
struct IntNormParams {
  uint32_t eps_q16;  // epsilon in input units^2, Q.16; >= 1
  RequantParams out;
};
inline constexpr int32_t kVecNormMaxAbsInput = (1 << 15) - 1;
std::vector<int8_t> layernorm_i32(const std::vector<int32_t>& x, const std::vector<int8_t>& gamma,
                                  const std::vector<int32_t>& beta, const IntNormParams& p);
std::vector<int8_t> rmsnorm_i32(const std::vector<int32_t>& x, const std::vector<int8_t>& gamma,
                                const std::vector<int32_t>& beta, const IntNormParams& p);
// The normalised values (Q.14) before gamma/beta, for tests.
std::vector<int32_t> norm_i32_q14(const std::vector<int32_t>& x, bool subtract_mean, uint32_t eps_q16);
// Residual add: requantize((a - za) * ka + (b - zb) * kb, out); |ka|,|kb| < 2^15.
struct IntAddParams {
  int32_t za, zb, ka, kb;
  RequantParams out;
};
int8_t add_i8(int8_t a, int8_t b, const IntAddParams& p);
// Element-wise multiply: requantize((a - za) * (b - zb), out).
struct IntMulParams {
  int32_t za, zb;
  RequantParams out;
};
int8_t mul_i8(int8_t a, int8_t b, const IntMulParams& p);

}  // namespace npu::ref
