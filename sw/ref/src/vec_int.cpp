// Vector engine, INT8/INT32 path: I-BERT-style softmax, i-GELU, LayerNorm and
// RMSNorm, table SiLU, residual add and element-wise multiply. Every right
// shift is arithmetic (floor); every division is floor division.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "npu/ref/bf16.hpp"
#include "npu/ref/fp.hpp"
#include "npu/ref/requant.hpp"
#include "npu/ref/vec_util.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref {
namespace {

void check_length(std::size_t n, const char* what) {
  if (n == 0 || n > kVecMaxLen) throw std::invalid_argument(std::string(what) + ": row length must be in [1, kVecMaxLen]");
}

void check_scale(uint32_t scale_q20) {
  if (scale_q20 == 0 || scale_q20 > kVecMaxScaleQ20) throw std::invalid_argument("scale_q20 must be in [1, 2^22]");
}

bool is_kept(std::size_t j, const std::optional<CausalMask>& mask) {
  return !mask || static_cast<int64_t>(j) <= mask->row + mask->offset;
}

int32_t wrap_i32(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))); }

}  // namespace

std::vector<uint8_t> softmax_i8(const std::vector<int8_t>& x, uint32_t scale_log2_q20,
                                const std::optional<CausalMask>& mask) {
  const std::size_t n = x.size();
  check_length(n, "softmax_i8");
  check_scale(scale_log2_q20);
  std::vector<uint8_t> y(n, 0);
  bool any_kept = false;
  int32_t max = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_kept(j, mask)) continue;
    if (!any_kept || x[j] > max) max = x[j];
    any_kept = true;
  }
  if (!any_kept) return y;
  // e_j = 2^(-U/2^20), U = (max - x_j) * S2 >= 0, in Q.20: with T = -8U (Q.23),
  // 2^(T/2^23) = 2^(T >> 23) * exp2_table(T mod 2^23) / 2^23.
  std::vector<int64_t> e(n, 0);
  int64_t sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_kept(j, mask)) continue;
    const int64_t t = -8 * (int64_t{max - x[j]} * scale_log2_q20);  // > -2^34
    const int64_t k = t >> 23;                                       // <= 0
    const int64_t sh = 3 - k;
    e[j] = sh >= 24 ? 0 : (table_exp2(static_cast<uint32_t>(t & 0x7FFFFF)) >> sh);
    sum += e[j];
  }
  // 1/sum = rcp.y * 2^(-24 - rcp.b); y_j = e_j / sum in Q.8, rounded half up.
  const FixedRecip r = fixed_rcp(static_cast<uint64_t>(sum));  // sum >= 2^20
  const int sh = r.b + 16;
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_kept(j, mask)) continue;
    const int64_t out = (e[j] * r.y + (int64_t{1} << (sh - 1))) >> sh;
    y[j] = static_cast<uint8_t>(out > 255 ? 255 : out);
  }
  return y;
}

int32_t gelu_i8_q20(int8_t x, uint32_t scale_q20) {
  check_scale(scale_q20);
  const int64_t xq = int64_t{x} * scale_q20;       // x in Q.20, |xq| <= 2^29
  const int64_t u = (xq * kVecInvSqrt2Q30) >> 30;  // x / sqrt(2), floor
  const int64_t au = u < 0 ? -u : u;
  const int64_t t = (au < kVecIerfB ? au : kVecIerfB) - kVecIerfB;  // <= 0
  const int64_t l = (int64_t{1} << 20) - ((kVecIerfA * (t * t)) >> 40);
  const int64_t erf = u > 0 ? l : (u < 0 ? -l : 0);
  return static_cast<int32_t>((xq * ((int64_t{1} << 20) + erf)) >> 21);
}

int8_t gelu_i8(int8_t x, uint32_t scale_q20, const RequantParams& out) {
  return requantize(gelu_i8_q20(x, scale_q20), out);
}

std::array<int8_t, 256> gelu_i8_table(uint32_t scale_q20, const RequantParams& out) {
  std::array<int8_t, 256> t{};
  for (int x = -128; x < 128; ++x) t[static_cast<std::size_t>(x + 128)] = gelu_i8(static_cast<int8_t>(x), scale_q20, out);
  return t;
}

std::array<int8_t, 256> silu_i8_table(uint32_t in_scale, uint32_t inv_out_scale, int32_t zero_point) {
  auto positive_normal = [](uint32_t f) {
    return !fp32_sign(f) && fp32_exponent(f) != 0 && fp32_exponent(f) != 0xFF;
  };
  if (!positive_normal(in_scale) || !positive_normal(inv_out_scale)) {
    throw std::invalid_argument("silu_i8_table: scales must be positive normal FP32");
  }
  constexpr uint32_t kLimit = 0x44000000u;  // 512.0: clamp before rounding to integer
  std::array<int8_t, 256> table{};
  for (int x = -128; x < 128; ++x) {
    uint32_t w = fp32_mul(silu_fp32(fp32_mul(i64_to_fp32(x), in_scale)), inv_out_scale);
    if (fp32_less(kLimit, w)) w = kLimit;
    if (fp32_less(w, fp32_neg(kLimit))) w = fp32_neg(kLimit);
    const int32_t q = static_cast<int32_t>(fp32_add(w, kVecRoundMagic)) - static_cast<int32_t>(kVecRoundMagic);
    const int32_t v = q + zero_point;
    table[static_cast<std::size_t>(x + 128)] = static_cast<int8_t>(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
  return table;
}

std::vector<int32_t> norm_i32_q14(const std::vector<int32_t>& x, bool subtract_mean, uint32_t eps_q16) {
  const std::size_t n = x.size();
  check_length(n, "norm_i32");
  if (eps_q16 == 0) throw std::invalid_argument("norm_i32: eps_q16 must be >= 1");
  int64_t sum = 0;
  for (int32_t v : x) {
    if (v > kVecNormMaxAbsInput || v < -kVecNormMaxAbsInput) throw std::invalid_argument("norm_i32: |x| >= 2^15");
    sum += v;
  }
  // 1/n = rn.y * 2^(-24 - rn.b) from the reciprocal table.
  const FixedRecip rn = fixed_rcp(n);
  // Mean in Q.8, ~ (512 sum + n) / (2n) (rounded half up), from the table reciprocal.
  const int64_t mean_q8 = subtract_mean ? ((512 * sum + static_cast<int64_t>(n)) * rn.y) >> (25 + rn.b) : 0;
  uint64_t sq = 0;  // sum of D^2 (Q.16), < 2^60
  for (int32_t v : x) {
    const int64_t d = int64_t{v} * 256 - mean_q8;
    sq += static_cast<uint64_t>(d * d);
  }
  // Variance ~ sq / n in Q.16, from the top 32 bits of sq.
  const int bits = sq == 0 ? 0 : 64 - __builtin_clzll(sq);
  const int sq_shift = bits > 32 ? bits - 32 : 0;
  const uint64_t prod = (sq >> sq_shift) * rn.y;  // < 2^56
  const int shift = sq_shift - 24 - rn.b;
  const uint64_t var_q16 = shift >= 0 ? prod << shift : prod >> -shift;
  // 1/sqrt(var + eps) = rs.y * 2^(-24 - rs.b); z = D * 2^14 / sd = (D * rs.y) >> (10 + rs.b).
  const FixedRecip rs = fixed_rsqrt(var_q16 + eps_q16);
  std::vector<int32_t> y(n);
  for (std::size_t j = 0; j < n; ++j) {
    const int64_t d = int64_t{x[j]} * 256 - mean_q8;
    y[j] = static_cast<int32_t>((d * rs.y) >> (10 + rs.b));  // Q.14, |y| < 2^21
  }
  return y;
}

namespace {
std::vector<int8_t> affine_requant(const std::vector<int32_t>& y, const std::vector<int8_t>& gamma,
                                   const std::vector<int32_t>& beta, const RequantParams& out) {
  if (gamma.size() != y.size() || beta.size() != y.size()) throw std::invalid_argument("norm_i32: size mismatch");
  std::vector<int8_t> o(y.size());
  for (std::size_t j = 0; j < y.size(); ++j) {
    o[j] = requantize(wrap_i32(int64_t{y[j]} * gamma[j] + beta[j]), out);
  }
  return o;
}
}  // namespace

std::vector<int8_t> layernorm_i32(const std::vector<int32_t>& x, const std::vector<int8_t>& gamma,
                                  const std::vector<int32_t>& beta, const IntNormParams& p) {
  return affine_requant(norm_i32_q14(x, true, p.eps_q16), gamma, beta, p.out);
}

std::vector<int8_t> rmsnorm_i32(const std::vector<int32_t>& x, const std::vector<int8_t>& gamma,
                                const std::vector<int32_t>& beta, const IntNormParams& p) {
  return affine_requant(norm_i32_q14(x, false, p.eps_q16), gamma, beta, p.out);
}

int8_t add_i8(int8_t a, int8_t b, const IntAddParams& p) {
  constexpr int32_t kLim = 1 << 15;
  if (p.ka <= -kLim || p.ka >= kLim || p.kb <= -kLim || p.kb >= kLim) throw std::invalid_argument("add_i8: |k| >= 2^15");
  if (p.za < -128 || p.za > 127 || p.zb < -128 || p.zb > 127) throw std::invalid_argument("add_i8: zero point outside int8");
  return requantize((a - p.za) * p.ka + (b - p.zb) * p.kb, p.out);
}

int8_t mul_i8(int8_t a, int8_t b, const IntMulParams& p) {
  if (p.za < -128 || p.za > 127 || p.zb < -128 || p.zb > 127) throw std::invalid_argument("mul_i8: zero point outside int8");
  return requantize((a - p.za) * (b - p.zb), p.out);
}

}  // namespace npu::ref
