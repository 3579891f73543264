// Vector engine, BF16 path: softmax, LayerNorm, RMSNorm, GELU, SiLU and
// element-wise add/multiply. FP32 inside, BF16 (RNE) out.
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

// x * sigmoid(w), shared by GELU and SiLU. exp is only taken of -|w| so it
// never overflows; for w < 0, sigmoid = e/(1+e) and the 2^k factor of e is
// applied last so that x*sigmoid(w) is not flushed early.
uint32_t times_sigmoid(uint32_t x, uint32_t w) {
  const ExpSplit s = exp_neg_split(w | kVecSignBit);
  const uint32_t e = ldexp_ftz(s.p, s.k);
  const uint32_t r = recip(fp32_add(kVecOne, e));  // 1/(1+e), in [0.5, 1]
  if (!fp32_sign(w)) return fp32_mul(x, r);
  if (s.p == 0u) return x & kVecSignBit;  // exp cut off: x*sigmoid(w) -> signed zero
  return ldexp_ftz(fp32_mul(fp32_mul(x, r), s.p), s.k);
}

}  // namespace

std::vector<uint16_t> softmax_bf16(const std::vector<uint16_t>& x, uint32_t scale,
                                   const std::optional<CausalMask>& mask) {
  const std::size_t n = x.size();
  check_length(n, "softmax_bf16");
  std::vector<uint16_t> y(n, 0);  // masked columns stay +0

  // Pass 1: scaled inputs, their maximum (first one wins ties), NaN flag.
  bool any_kept = false;
  bool special = false;
  uint32_t max = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_kept(j, mask)) continue;
    const uint32_t s = fp32_mul(bf16_to_fp32(x[j]), scale);
    if (fp32_is_nan(s)) {
      special = true;
    } else if (!any_kept || fp32_less(max, s)) {
      max = s;
    }
    any_kept = true;
  }
  if (!any_kept) return y;
  // NaN, +Inf maximum (Inf - Inf) or all -Inf: the whole row is NaN.
  if (special || fp32_is_inf(max)) {
    for (std::size_t j = 0; j < n; ++j) y[j] = is_kept(j, mask) ? kBf16CanonicalNan : 0;
    return y;
  }
  auto exp_of = [&](std::size_t j) {
    const uint32_t s = fp32_mul(bf16_to_fp32(x[j]), scale);
    return exp_neg(fp32_add(s, fp32_neg(max)));  // s - max <= 0
  };
  // Pass 2: sequential sum in index order; the maximum contributes exactly 1.
  uint32_t sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (is_kept(j, mask)) sum = fp32_add(sum, exp_of(j));
  }
  const uint32_t inv = recip(sum);
  // Pass 3: normalise (the RTL may buffer exp_of(j) instead: same bits).
  for (std::size_t j = 0; j < n; ++j) {
    if (is_kept(j, mask)) y[j] = fp32_to_bf16(fp32_mul(exp_of(j), inv));
  }
  return y;
}

std::vector<uint16_t> layernorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                     const std::vector<uint16_t>& beta, uint32_t eps) {
  const std::size_t n = x.size();
  check_length(n, "layernorm_bf16");
  if (gamma.size() != n || beta.size() != n) throw std::invalid_argument("layernorm_bf16: size mismatch");
  const uint32_t inv_n = recip(u64_to_fp32(n, 0));
  uint32_t sum = 0;
  for (uint16_t v : x) sum = fp32_add(sum, bf16_to_fp32(v));
  const uint32_t neg_mean = fp32_neg(fp32_mul(sum, inv_n));
  uint32_t sq = 0;
  for (uint16_t v : x) {
    const uint32_t d = fp32_add(bf16_to_fp32(v), neg_mean);
    sq = fp32_fma(d, d, sq);
  }
  const uint32_t var = fp32_mul(sq, inv_n);
  const uint32_t r = rsqrt(fp32_add(var, eps));
  std::vector<uint16_t> y(n);
  for (std::size_t j = 0; j < n; ++j) {
    const uint32_t d = fp32_add(bf16_to_fp32(x[j]), neg_mean);
    y[j] = fp32_to_bf16(fp32_fma(fp32_mul(d, r), bf16_to_fp32(gamma[j]), bf16_to_fp32(beta[j])));
  }
  return y;
}

std::vector<uint16_t> rmsnorm_bf16(const std::vector<uint16_t>& x, const std::vector<uint16_t>& gamma,
                                   uint32_t eps) {
  const std::size_t n = x.size();
  check_length(n, "rmsnorm_bf16");
  if (gamma.size() != n) throw std::invalid_argument("rmsnorm_bf16: size mismatch");
  const uint32_t inv_n = recip(u64_to_fp32(n, 0));
  uint32_t sq = 0;
  for (uint16_t v : x) {
    const uint32_t f = bf16_to_fp32(v);
    sq = fp32_fma(f, f, sq);
  }
  const uint32_t r = rsqrt(fp32_add(fp32_mul(sq, inv_n), eps));
  std::vector<uint16_t> y(n);
  for (std::size_t j = 0; j < n; ++j) {
    y[j] = fp32_to_bf16(fp32_mul(fp32_mul(bf16_to_fp32(x[j]), r), bf16_to_fp32(gamma[j])));
  }
  return y;
}

uint32_t gelu_fp32(uint32_t x) {
  if (fp32_is_nan(x)) return kFp32CanonicalNan;
  const uint32_t x2 = fp32_mul(x, x);
  const uint32_t w = fp32_mul(x, fp32_fma(x2, kVecGeluA, kVecGeluB));
  return times_sigmoid(x, w);
}

uint32_t silu_fp32(uint32_t x) {
  if (fp32_is_nan(x)) return kFp32CanonicalNan;
  return times_sigmoid(x, x);
}

uint16_t gelu_bf16(uint16_t x) { return fp32_to_bf16(gelu_fp32(bf16_to_fp32(x))); }
uint16_t silu_bf16(uint16_t x) { return fp32_to_bf16(silu_fp32(bf16_to_fp32(x))); }

uint16_t add_bf16(uint16_t a, uint16_t b) {
  return fp32_to_bf16(fp32_add(bf16_to_fp32(a), bf16_to_fp32(b)));
}
uint16_t mul_bf16(uint16_t a, uint16_t b) {
  return fp32_to_bf16(fp32_mul(bf16_to_fp32(a), bf16_to_fp32(b)));
}

}  // namespace npu::ref
