// Vector engine, FP path: softmax, LayerNorm, RMSNorm, GELU, SiLU, SwiGLU,
// RoPE, quantization to INT8 and element-wise add/multiply. FP32 inside,
// BF16 (RNE) out; inputs are FP32 bit patterns (BF16 inputs are widened).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "npu/ref/bf16.hpp"
#include "npu/ref/fp.hpp"
#include "npu/ref/vec_util.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref {
namespace {

void check_length(std::size_t n, const char* what) {
  if (n == 0 || n > kVecMaxLen) throw std::invalid_argument(std::string(what) + ": row length must be in [1, kVecMaxLen]");
}

bool is_kept(std::size_t j, const std::optional<CausalMask>& mask) {
  return !mask || static_cast<int64_t>(j) <= mask->row + mask->offset;
}

std::vector<uint32_t> widen(const std::vector<uint16_t>& x) {
  std::vector<uint32_t> f(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) f[j] = bf16_to_fp32(x[j]);
  return f;
}

// The BF16 part (upper 16 bits) of an FP32 parameter.
uint32_t bf16_part(uint32_t f) { return bf16_to_fp32(static_cast<uint16_t>(f >> 16)); }

// x rounded to BF16 and widened back (GELU/SiLU inputs).
uint32_t round_bf16(uint32_t x) { return bf16_to_fp32(fp32_to_bf16(x)); }

}  // namespace

std::vector<uint16_t> softmax_f32(const std::vector<uint32_t>& x, uint32_t scale,
                                  const std::optional<CausalMask>& mask) {
  const std::size_t n = x.size();
  check_length(n, "softmax");
  std::vector<uint16_t> y(n, 0);  // masked columns stay +0
  const uint32_t scale2 = fp32_mul(scale, kVecLog2e);  // base 2: 2^(s log2 e) = e^s
  std::vector<bool> kept(n);
  std::vector<uint32_t> s(n, 0);
  // Pass 1: scaled inputs, their maximum, NaN flag.
  bool any_kept = false, special = false;
  uint32_t max = 0;
  for (std::size_t j = 0; j < n; ++j) {
    kept[j] = is_kept(j, mask);
    if (!kept[j]) continue;
    s[j] = fp32_mul(x[j], scale2);
    if (fp32_is_nan(s[j])) {
      special = true;
    } else if (!any_kept || fp32_less(max, s[j])) {
      max = s[j];
    }
    any_kept = true;
  }
  if (!any_kept) return y;
  // NaN, +Inf maximum (Inf - Inf) or all -Inf: the whole row is NaN.
  if (special || fp32_is_inf(max)) {
    for (std::size_t j = 0; j < n; ++j) y[j] = kept[j] ? kBf16CanonicalNan : 0;
    return y;
  }
  // Pass 2: e_j = 2^(s_j - max), summed (sum16); the maximum contributes 1.
  std::vector<uint32_t> e(n, 0);
  for (std::size_t j = 0; j < n; ++j)
    if (kept[j]) e[j] = exp2_fp32(fp32_add(s[j], fp32_neg(max)));
  const uint32_t inv = rcp_fp32(sum16(e, &kept));
  // Pass 3: normalise (the RTL recomputes e_j from x_j: same bits).
  for (std::size_t j = 0; j < n; ++j)
    if (kept[j]) y[j] = fp32_to_bf16(fp32_mul(e[j], inv));
  return y;
}

std::vector<uint16_t> layernorm_f32(const std::vector<uint32_t>& x, const std::vector<uint32_t>& gamma,
                                    const std::vector<uint32_t>& beta, uint32_t eps) {
  const std::size_t n = x.size();
  check_length(n, "layernorm");
  if (gamma.size() != n || beta.size() != n) throw std::invalid_argument("layernorm: size mismatch");
  const uint32_t inv_n = rcp_fp32(i32_to_fp32(static_cast<int32_t>(n)));
  const uint32_t neg_mean = fp32_neg(fp32_mul(sum16(x), inv_n));
  std::vector<uint32_t> d(n), sq(n);
  for (std::size_t j = 0; j < n; ++j) {
    d[j] = fp32_add(x[j], neg_mean);
    sq[j] = fp32_mul(d[j], d[j]);
  }
  const uint32_t r = rsqrt_fp32(fp32_add(fp32_mul(sum16(sq), inv_n), eps));
  std::vector<uint16_t> y(n);
  for (std::size_t j = 0; j < n; ++j)
    y[j] = fp32_to_bf16(fp32_add(fp32_mul(fp32_mul(d[j], r), bf16_part(gamma[j])), bf16_part(beta[j])));
  return y;
}

std::vector<uint16_t> rmsnorm_f32(const std::vector<uint32_t>& x, const std::vector<uint32_t>& gamma,
                                  uint32_t eps) {
  const std::size_t n = x.size();
  check_length(n, "rmsnorm");
  if (gamma.size() != n) throw std::invalid_argument("rmsnorm: size mismatch");
  const uint32_t inv_n = rcp_fp32(i32_to_fp32(static_cast<int32_t>(n)));
  std::vector<uint32_t> sq(n);
  for (std::size_t j = 0; j < n; ++j) sq[j] = fp32_mul(x[j], x[j]);
  const uint32_t r = rsqrt_fp32(fp32_add(fp32_mul(sum16(sq), inv_n), eps));
  std::vector<uint16_t> y(n);
  for (std::size_t j = 0; j < n; ++j) y[j] = fp32_to_bf16(fp32_mul(fp32_mul(x[j], r), bf16_part(gamma[j])));
  return y;
}

uint16_t gelu_f32(uint32_t x_in) {
  const uint32_t x = round_bf16(x_in);
  if (fp32_is_nan(x)) return kBf16CanonicalNan;
  const uint32_t x2 = fp32_mul(x, x);
  const uint32_t t = fp32_mul(x, fp32_add(fp32_mul(x2, kVecGeluA2), kVecGeluB2));
  return fp32_to_bf16(times_sigmoid2(x, t));
}

uint32_t silu_fp32(uint32_t x) {
  if (fp32_is_nan(x)) return kFp32CanonicalNan;
  return times_sigmoid2(x, fp32_mul(x, kVecLog2e));
}

uint16_t silu_f32(uint32_t x) { return fp32_to_bf16(silu_fp32(round_bf16(x))); }

uint16_t swiglu_f32(uint32_t gate, uint32_t up) {
  const uint32_t g = round_bf16(gate);
  if (fp32_is_nan(g)) return kBf16CanonicalNan;
  return fp32_to_bf16(times_sigmoid2(fp32_mul(g, up), fp32_mul(g, kVecLog2e)));
}

std::vector<uint16_t> rope_f32(const std::vector<uint32_t>& x, const std::vector<uint16_t>& cs) {
  const std::size_t n = x.size();
  check_length(n, "rope");
  if (n % 2 != 0 || cs.size() != n) throw std::invalid_argument("rope: n must be even and cs of length n");
  const std::size_t h = n / 2;
  std::vector<uint16_t> y(n);
  for (std::size_t e = 0; e < n; ++e) {
    const std::size_t i = e % h;
    const uint32_t c = bf16_to_fp32(cs[i]), s = bf16_to_fp32(cs[h + i]);
    const uint32_t other = fp32_mul(x[e < h ? e + h : e - h], s);  // partner * sin
    y[e] = fp32_to_bf16(fp32_add(fp32_mul(x[e], c), e < h ? fp32_neg(other) : other));
  }
  return y;
}

int8_t quant_i8(uint32_t x, uint32_t inv_scale, int32_t zero_point) {
  constexpr uint32_t kLimit = 0x44000000u;  // 512.0: clamp before rounding to integer
  uint32_t w = fp32_mul(x, inv_scale);
  int32_t q = 0;
  if (!fp32_is_nan(w)) {
    if (fp32_less(kLimit, w)) w = kLimit;
    if (fp32_less(w, fp32_neg(kLimit))) w = fp32_neg(kLimit);
    // w + 1.5*2^23 lies in [2^23, 2^24) where the ulp is 1: RNE to integer.
    q = static_cast<int32_t>(fp32_add(w, kVecRoundMagic)) - static_cast<int32_t>(kVecRoundMagic);
  }
  const int32_t v = q + zero_point;
  return static_cast<int8_t>(v < -128 ? -128 : (v > 127 ? 127 : v));
}

uint16_t cvt_f32(uint32_t x, uint32_t scale, std::optional<uint32_t> bias) {
  const uint32_t w = fp32_mul(x, scale);
  return fp32_to_bf16(bias ? fp32_add(w, *bias) : w);
}

std::vector<uint16_t> softmax_bf16(const std::vector<uint16_t>& x, uint32_t scale,
                                   const std::optional<CausalMask>& mask) {
  return softmax_f32(widen(x), scale, mask);
}

std::vector<uint16_t> layernorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                     const std::vector<uint16_t>& beta, uint32_t eps) {
  return layernorm_f32(widen(x), widen(gamma), widen(beta), eps);
}

std::vector<uint16_t> rmsnorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                   uint32_t eps) {
  return rmsnorm_f32(widen(x), widen(gamma), eps);
}

uint16_t gelu_bf16(uint16_t x) { return gelu_f32(bf16_to_fp32(x)); }
uint16_t silu_bf16(uint16_t x) { return silu_f32(bf16_to_fp32(x)); }

uint16_t add_bf16(uint16_t a, uint16_t b) {
  return fp32_to_bf16(fp32_add(bf16_to_fp32(a), bf16_to_fp32(b)));
}
uint16_t mul_bf16(uint16_t a, uint16_t b) {
  return fp32_to_bf16(fp32_mul(bf16_to_fp32(a), bf16_to_fp32(b)));
}

}  // namespace npu::ref
