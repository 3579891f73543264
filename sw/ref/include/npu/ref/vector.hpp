// Vector engine reference model: softmax, LayerNorm/RMSNorm, GELU/SiLU/SwiGLU,
// RoPE, conversions and element-wise ops, BF16/FP32 and INT8/INT32 paths.
// Bit-exact specification of the RTL; docs/numerics.md ("Vector engine")
// states every step. Values are raw bit patterns. The FP path uses only
// fp32_add/mul, exponent arithmetic and the table functions (piecewise
// quadratics, vec_tables.hpp); the integer path integer add/multiply/shift
// and the same tables in fixed point. Row sums use sum16 (16 strided partial
// sums, then a fixed tree), so results do not depend on the number of lanes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "npu/ref/requant.hpp"

namespace npu::ref {

// Longest row the reference functions accept.
inline constexpr std::size_t kVecMaxLen = 4096;

// ---- FP32 constants (bit patterns) -----------------------------------------
inline constexpr uint32_t kVecOne = 0x3F800000u;        // 1.0
inline constexpr uint32_t kVecLog2e = 0x3FB8AA3Bu;      // log2(e), RNE
inline constexpr uint32_t kVecRoundMagic = 0x4B400000u; // 1.5 * 2^23
// GELU tanh form in base 2: t = x (B2 + A2 x^2) = w log2(e) with
// w = x (B_G + A_G x^2), B_G = 2 sqrt(2/pi), A_G = 0.044715 B_G.
inline constexpr uint32_t kVecGeluB2 = 0x40135761u;     // RNE(B_G log2(e)) = 2.30220819...
inline constexpr uint32_t kVecGeluA2 = 0x3DD2D3E8u;     // RNE(A_G log2(e)) = 0.10294324...

// ---- Table functions (docs/numerics.md, "Table functions") -----------------
// The quadratic evaluator on a 23-bit fraction F; returns the integer output
// (exp2: 2^(F/2^23) * 2^23; rcp, rsqe, rsqo: * 2^24).
uint32_t table_exp2(uint32_t frac23);
uint32_t table_rcp(uint32_t frac23);
uint32_t table_rsqrt(uint32_t frac23, bool odd_exponent);

// 2^t for FP32 t: NaN -> NaN, t >= 128 -> +Inf, t < -192 (or -Inf) -> +0.
uint32_t exp2_fp32(uint32_t t);
// 1/v and 1/sqrt(v) from the tables (not correctly rounded; docs give the bound).
uint32_t rcp_fp32(uint32_t v);
uint32_t rsqrt_fp32(uint32_t v);
// Round-to-nearest-even int32 -> FP32.
uint32_t i32_to_fp32(int32_t x);

// x * sigmoid(w) with t = w log2(e): R = 1 / (1 + 2^-t) in extended range,
// then round(x * R) (the contract's FP32 rounding). t = -Inf or t <= -256
// gives the signed zero of x.
uint32_t times_sigmoid2(uint32_t x, uint32_t t);

// The row sum of the contract: 16 partial sums over j = c mod 16 (in order,
// from +0), then the fixed pairwise tree. kept: which elements take part.
uint32_t sum16(const std::vector<uint32_t>& v, const std::vector<bool>* kept = nullptr);

// Fixed-point forms for the integer path: v = m * 2^b (m in [1, 2), v >= 1)
// -> (rcp table output ~ 2^24 / m, b); v' = m * 4^k -> (rsqrt output ~ 2^24/sqrt(m), k).
struct FixedRecip {
  uint32_t y;
  int b;
};
FixedRecip fixed_rcp(uint64_t v);
FixedRecip fixed_rsqrt(uint64_t v);

// floor(a / b) for b > 0 (rounds towards -inf, unlike C++ '/').
int64_t floor_div(int64_t a, int64_t b);

// ---- FP path (BF16 or FP32 in, BF16 out); x as FP32 bit patterns -----------
// Causal mask of row `row`: column j is kept iff j <= row + offset.
struct CausalMask {
  int64_t row;
  int64_t offset;
};
std::vector<uint16_t> softmax_f32(const std::vector<uint32_t>& x, uint32_t scale,
                                  const std::optional<CausalMask>& mask = std::nullopt);
// gamma, beta: FP32 bit patterns of which the upper 16 bits (BF16) are used.
std::vector<uint16_t> layernorm_f32(const std::vector<uint32_t>& x, const std::vector<uint32_t>& gamma,
                                    const std::vector<uint32_t>& beta, uint32_t eps);
std::vector<uint16_t> rmsnorm_f32(const std::vector<uint32_t>& x, const std::vector<uint32_t>& gamma,
                                  uint32_t eps);
// GELU / SiLU of narrow(x) (x rounded to BF16 first).
uint16_t gelu_f32(uint32_t x);
uint16_t silu_f32(uint32_t x);
uint16_t swiglu_f32(uint32_t gate, uint32_t up);  // silu(narrow(gate)) * up
// Rotary embedding of one row (rotate-half): cs holds cos_i at i and sin_i at
// h + i (i < h = n/2), BF16.
std::vector<uint16_t> rope_f32(const std::vector<uint32_t>& x, const std::vector<uint16_t>& cs);
int8_t quant_i8(uint32_t x, uint32_t inv_scale, int32_t zero_point);
// CVT_BF16 of an FP32 element: narrow(add(mul(x, scale), bias)); without a
// bias there is no add (adding +0 would turn -0 into +0).
uint16_t cvt_f32(uint32_t x, uint32_t scale, std::optional<uint32_t> bias = std::nullopt);

// BF16 forms (widen, then the FP32 function).
std::vector<uint16_t> softmax_bf16(const std::vector<uint16_t>& x, uint32_t scale,
                                   const std::optional<CausalMask>& mask = std::nullopt);
std::vector<uint16_t> layernorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                     const std::vector<uint16_t>& beta, uint32_t eps);
std::vector<uint16_t> rmsnorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                   uint32_t eps);
uint16_t gelu_bf16(uint16_t x);
uint16_t silu_bf16(uint16_t x);
uint16_t add_bf16(uint16_t a, uint16_t b);
uint16_t mul_bf16(uint16_t a, uint16_t b);
// FP32 SiLU without rounding x to BF16 (the SiLU INT8 table's definition).
uint32_t silu_fp32(uint32_t x);

// ---- Integer path -------------------------------------------------------------
// Real input scale as unsigned Q.20 fixed point: S = scale_q20 * 2^-20,
// 1 <= scale_q20 <= 2^22.
inline constexpr uint32_t kVecMaxScaleQ20 = 1u << 22;
inline constexpr int64_t kVecIerfA = 0x49EED;           // round(0.2888 * 2^20)
inline constexpr int64_t kVecIerfB = 0x1C4DD3;          // round(1.769 * 2^20)
inline constexpr int64_t kVecInvSqrt2Q30 = 0x2D413CCD;  // round(2^30 / sqrt(2))

// Integer softmax of int8 logits with base-2 scale S2 = S log2(e) in Q.20
// (1..2^22): e_j = 2^(-(M - x_j) S2) from the exp2 table, in Q.20; output uint8
// with scale 2^-8 (255 the largest code); masked -> 0.
std::vector<uint8_t> softmax_i8(const std::vector<int8_t>& x, uint32_t scale_log2_q20,
                                const std::optional<CausalMask>& mask = std::nullopt);
// I-BERT i-GELU value of int8 x (scale S) as Q.20 fixed point (int32); the
// host evaluates it for all 256 inputs into a LUT (LUT_LOAD, LUT_I8).
int32_t gelu_i8_q20(int8_t x, uint32_t scale_q20);
int8_t gelu_i8(int8_t x, uint32_t scale_q20, const RequantParams& out);
std::array<int8_t, 256> gelu_i8_table(uint32_t scale_q20, const RequantParams& out);
// 256-entry SiLU table: entry x + 128 = clamp(rne(silu(x * in_scale) *
// inv_out_scale) + zero_point). Scales: positive normal FP32 bit patterns.
std::array<int8_t, 256> silu_i8_table(uint32_t in_scale, uint32_t inv_out_scale, int32_t zero_point);
inline int8_t lut_i8(int8_t x, const std::array<int8_t, 256>& table) {
  return table[static_cast<std::size_t>(x + 128)];
}
// Integer LayerNorm / RMSNorm of int32 inputs (|x| < 2^15): normalised value in
// Q.14 times int8 gamma plus int32 beta, then requantize(.., out).
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
