// Transformer layers on the BF16 path (docs/numerics.md, "Transformer layers,
// BF16"), composed only of the op-level model: gemm_bf16 for every GEMM (FP32
// accumulators, k in order) and the vector.hpp function of the VEC command
// each step corresponds to. The f64 layers at the end are the textbook math.
#include "npu/ref/layer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "npu/ref/bf16.hpp"
#include "npu/ref/fp.hpp"
#include "npu/ref/gemm.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref {
namespace {

using Bf16 = Matrix<uint16_t>;
using Acc = Matrix<uint32_t>;  // FP32 accumulators (bit patterns), as in ACC
using F64 = Matrix<double>;
using Bias = std::vector<uint32_t>;
using u128 = unsigned __int128;

constexpr uint32_t kFp32One = 0x3F800000u;

// ---- argument checks -----------------------------------------------------------

std::string dims(std::size_t rows, std::size_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

[[noreturn]] void shape_error(const char* who, const std::string& tensor, const std::string& got,
                           const std::string& want) {
  throw std::invalid_argument(std::string(who) + ": " + tensor + " is " + got + ", expected " + want);
}

template <class T>
void require(const char* who, const std::string& tensor, const Matrix<T>& m, std::size_t rows, std::size_t cols) {
  if (m.rows() != rows || m.cols() != cols) shape_error(who, tensor, dims(m.rows(), m.cols()), dims(rows, cols));
}

template <class T>
void require_length(const char* who, const char* tensor, const std::vector<T>& v, std::size_t n) {
  if (v.size() != n)
    shape_error(who, tensor, "of length " + std::to_string(v.size()), "of length " + std::to_string(n));
}

// Biases are optional: empty, or one value per output column.
void require_bias(const char* who, const char* tensor, const Bias& b, std::size_t n) {
  if (!b.empty() && b.size() != n)
    shape_error(who, tensor, "of length " + std::to_string(b.size()), "empty or of length " + std::to_string(n));
}

void check_shape(const char* who, const LayerShape& s, LayerKind kind) {
  const auto bad = [who](const std::string& what) { throw std::invalid_argument(std::string(who) + ": " + what); };
  if (s.kind != kind) bad(std::string("shape.kind must be ") + (kind == LayerKind::Encoder ? "Encoder" : "Decoder"));
  if (s.d_model == 0 || s.heads == 0 || s.kv_heads == 0 || s.head_dim == 0 || s.ffn == 0)
    bad("d_model, heads, kv_heads, head_dim and ffn must be positive");
  if (s.heads % s.kv_heads != 0)
    bad("heads (" + std::to_string(s.heads) + ") must be a multiple of kv_heads (" + std::to_string(s.kv_heads) + ")");
  if (s.rope && kind == LayerKind::Encoder) bad("RoPE is a decoder feature (shape.rope must be false)");
  if (s.rope && (s.head_dim % 2 != 0 || !(s.rope_theta > 0)))
    bad("RoPE needs an even head_dim and rope_theta > 0");
}

void check_weights(const char* who, const LayerShape& s, const LayerWeightsBf16& w) {
  const std::size_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn;
  require(who, "Wq", w.wq, d, q);
  require(who, "Wk", w.wk, d, kv);
  require(who, "Wv", w.wv, d, kv);
  require(who, "Wo", w.wo, q, d);
  require(who, "W1", w.w1, d, f);
  if (s.act == LayerActivation::SwiGlu) {
    require(who, "W3", w.w3, d, f);
  } else if (w.w3.rows() != 0 || w.w3.cols() != 0) {
    shape_error(who, "W3", dims(w.w3.rows(), w.w3.cols()), "0x0 (GELU has no up branch)");
  }
  require(who, "W2", w.w2, f, d);
  require_bias(who, "bq", w.bq, q);
  require_bias(who, "bk", w.bk, kv);
  require_bias(who, "bv", w.bv, kv);
  require_bias(who, "bo", w.bo, d);
  require_bias(who, "b1", w.b1, f);
  require_bias(who, "b2", w.b2, d);
  require_length(who, "gamma1", w.gamma1, d);
  require_length(who, "gamma2", w.gamma2, d);
  const std::size_t beta_len = s.norm == LayerNormKind::LayerNorm ? d : 0;  // RMSNORM_BF16 has no beta
  require_length(who, "beta1", w.beta1, beta_len);
  require_length(who, "beta2", w.beta2, beta_len);
}

template <class Cache>
void prepare_cache(const char* who, const LayerShape& s, Cache& cache) {
  if (cache.k.empty() && cache.v.empty()) {
    using Rows = typename decltype(cache.k)::value_type;
    cache.k.assign(s.kv_heads, Rows(0, s.head_dim));
    cache.v.assign(s.kv_heads, Rows(0, s.head_dim));
    return;
  }
  if (cache.k.size() != s.kv_heads || cache.v.size() != s.kv_heads)
    shape_error(who, "cache", std::to_string(cache.k.size()) + " K and " + std::to_string(cache.v.size()) + " V heads",
             std::to_string(s.kv_heads) + " of each (kv_heads)");
  const std::size_t len = cache.length();
  for (std::size_t g = 0; g < s.kv_heads; ++g) {
    require(who, "cache.k[" + std::to_string(g) + "]", cache.k[g], len, s.head_dim);
    require(who, "cache.v[" + std::to_string(g) + "]", cache.v[g], len, s.head_dim);
  }
}

template <class T>
void check_input(const char* who, const Matrix<T>& x, const LayerShape& s, std::size_t cached) {
  if (x.rows() == 0) shape_error(who, "x", dims(x.rows(), x.cols()), "at least one row");
  require(who, "x", x, x.rows(), s.d_model);
  // Every softmax row spans all cached and new positions.
  if (cached + x.rows() > kVecMaxLen)
    throw std::invalid_argument(std::string(who) + ": context of " + std::to_string(cached + x.rows()) +
                                " positions exceeds kVecMaxLen (" + std::to_string(kVecMaxLen) + ")");
}

// ---- matrix plumbing (no arithmetic) ------------------------------------------




template <class T>
Matrix<T> stack_rows(const Matrix<T>& top, const Matrix<T>& bottom) {
  Matrix<T> y(top.rows() + bottom.rows(), bottom.cols());
  for (std::size_t r = 0; r < top.rows(); ++r)
    for (std::size_t c = 0; c < top.cols(); ++c) y(r, c) = top(r, c);
  for (std::size_t r = 0; r < bottom.rows(); ++r)
    for (std::size_t c = 0; c < bottom.cols(); ++c) y(top.rows() + r, c) = bottom(r, c);
  return y;
}

// Head slices [g*head_dim, (g+1)*head_dim) of a T x (n*head_dim) matrix.
template <class T>
std::vector<Matrix<T>> split_heads(const Matrix<T>& m, std::size_t n, std::size_t head_dim) {
  std::vector<Matrix<T>> heads;
  for (std::size_t g = 0; g < n; ++g) heads.push_back(columns(m, g * head_dim, head_dim));
  return heads;
}

template <class T>
std::vector<T> row_of(const Matrix<T>& m, std::size_t r) {
  return std::vector<T>(m.data() + r * m.cols(), m.data() + (r + 1) * m.cols());
}

template <class T>
void set_row(Matrix<T>& m, std::size_t r, const std::vector<T>& v) {
  for (std::size_t c = 0; c < v.size(); ++c) m(r, c) = v[c];
}

void record(LayerTrace* trace, const std::string& name, const Bf16& m) {
  if (trace != nullptr) (*trace)[name] = m;
}

// ---- the layer's steps, each one accelerator operation -------------------------

std::optional<uint32_t> bias_at(const Bias& b, std::size_t c) {
  return b.empty() ? std::nullopt : std::optional<uint32_t>(b[c]);
}

// CVT_BF16 from ACC: scale 1.0 (cfg0), per-column bias P1 when present.
Bf16 cvt(const Acc& acc, const Bias& bias) {
  Bf16 y(acc.rows(), acc.cols());
  for (std::size_t r = 0; r < acc.rows(); ++r)
    for (std::size_t c = 0; c < acc.cols(); ++c) y(r, c) = cvt_f32(acc(r, c), kFp32One, bias_at(bias, c));
  return y;
}

// ADD_BF16 of two BF16 tensors (ASPAD + ASPAD).
Bf16 add(const Bf16& a, const Bf16& b) {
  Bf16 y(a.rows(), a.cols());
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t c = 0; c < a.cols(); ++c) y(r, c) = add_bf16(a(r, c), b(r, c));
  return y;
}

// Residual y = acc (+ bias) + x. Without a bias: one ADD_BF16 with src the
// FP32 accumulator (ACC) and aux x (ASPAD), narrow(add(acc, widen(x))): the
// accumulator is not narrowed before the add. ADD_BF16 takes no bias, so with
// one: CVT_BF16 (bias), then ADD_BF16 of two BF16 tensors.
Bf16 residual(const Acc& acc, const Bias& bias, const Bf16& x) {
  if (!bias.empty()) return add(cvt(acc, bias), x);
  Bf16 y(acc.rows(), acc.cols());
  for (std::size_t r = 0; r < acc.rows(); ++r)
    for (std::size_t c = 0; c < acc.cols(); ++c)
      y(r, c) = fp32_to_bf16(fp32_add(acc(r, c), bf16_to_fp32(x(r, c))));  // ADD_BF16's element
  return y;
}

// LAYERNORM_BF16 / RMSNORM_BF16 of each row (eps: its FP32 bits, cfg0).
Bf16 norm(const Bf16& x, const LayerShape& s, const std::vector<uint16_t>& gamma,
          const std::vector<uint16_t>& beta) {
  uint32_t eps = 0;
  std::memcpy(&eps, &s.eps, sizeof eps);
  Bf16 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r)
    set_row(y, r, s.norm == LayerNormKind::LayerNorm ? layernorm_bf16(row_of(x, r), gamma, beta, eps)
                                                     : rmsnorm_bf16(row_of(x, r), gamma, eps));
  return y;
}

// ROPE_BF16 of each head slice of each row at positions pos0, pos0 + 1, ...,
// with the FP32 accumulator as source. ROPE_BF16 takes no bias, so with one
// the source is CVT_BF16(acc, bias) in ASPAD (one extra BF16 rounding).
Bf16 rope_heads(const Acc& acc, const Bias& bias, std::size_t heads, const LayerShape& s, std::size_t pos0) {
  const std::size_t hd = s.head_dim;
  Bf16 y(acc.rows(), acc.cols());
  for (std::size_t r = 0; r < acc.rows(); ++r) {
    const std::vector<uint16_t> cs = rope_table_bf16(pos0 + r, hd, s.rope_theta);
    for (std::size_t h = 0; h < heads; ++h) {
      std::vector<uint32_t> src(hd);
      for (std::size_t e = 0; e < hd; ++e) {
        const std::size_t c = h * hd + e;
        src[e] = bias.empty() ? acc(r, c) : bf16_to_fp32(cvt_f32(acc(r, c), kFp32One, bias[c]));
      }
      const std::vector<uint16_t> out = rope_f32(src, cs);
      for (std::size_t e = 0; e < hd; ++e) y(r, h * hd + e) = out[e];
    }
  }
  return y;
}

// Per query head h, KV head g = h / group: S = Q_h K_g^T (GEMM into ACC),
// P = SOFTMAX_BF16 from ACC (scale, causal mask with offset = positions
// cached before this call), O_h = CVT_BF16(P V_g) without bias; the heads
// are concatenated in order.
Bf16 attention(const Bf16& q, const std::vector<Bf16>& k, const std::vector<Bf16>& v, const LayerShape& s,
               std::optional<std::size_t> causal_offset, LayerTrace* trace) {
  const std::size_t hd = s.head_dim;
  const uint32_t scale = attention_scale_fp32(hd);
  Bf16 out(q.rows(), s.q_dim());
  for (std::size_t h = 0; h < s.heads; ++h) {
    const std::size_t g = h / s.group();
    const Acc scores = gemm_bf16(columns(q, h * hd, hd), transpose(k[g]));
    Bf16 p(scores.rows(), scores.cols());
    for (std::size_t r = 0; r < scores.rows(); ++r) {
      std::optional<CausalMask> mask;
      if (causal_offset) mask = CausalMask{static_cast<int64_t>(r), static_cast<int64_t>(*causal_offset)};
      set_row(p, r, softmax_f32(row_of(scores, r), scale, mask));
    }
    record(trace, "p.h" + std::to_string(h), p);
    put_columns(out, h * hd, cvt(gemm_bf16(p, v[g]), {}));
  }
  return out;
}

// The FFN hidden activations F (T x ffn, BF16) of the FFN input h.
// GELU: GELU_BF16 from ACC with the bias fused (cfg1 bit 0: v = add(acc, P1)).
// SwiGLU: SWIGLU_BF16 with src = gate accumulator, aux = up accumulator (both
// ACC); with a gate bias the src is CVT_BF16(gate, b1) in ASPAD instead. That
// is bit-identical to swiglu(add(gate, b1), up): swiglu rounds its gate to
// BF16 first, and mul(acc, 1.0) is acc.
Bf16 ffn_hidden(const Bf16& h, const LayerShape& s, const LayerWeightsBf16& w) {
  const Acc a1 = gemm_bf16(h, w.w1);
  Bf16 f(a1.rows(), a1.cols());
  if (s.act == LayerActivation::Gelu) {
    for (std::size_t r = 0; r < a1.rows(); ++r)
      for (std::size_t c = 0; c < a1.cols(); ++c)
        f(r, c) = gelu_f32(w.b1.empty() ? a1(r, c) : fp32_add(a1(r, c), w.b1[c]));
    return f;
  }
  const Acc a3 = gemm_bf16(h, w.w3);
  for (std::size_t r = 0; r < a1.rows(); ++r)
    for (std::size_t c = 0; c < a1.cols(); ++c) {
      const uint32_t gate = w.b1.empty() ? a1(r, c) : bf16_to_fp32(cvt_f32(a1(r, c), kFp32One, w.b1[c]));
      f(r, c) = swiglu_f32(gate, a3(r, c));
    }
  return f;
}

// ---- float64 --------------------------------------------------------------------

double fp32_to_double(uint32_t bits) {
  if (fp32_is_zero(bits)) return fp32_sign(bits) ? -0.0 : 0.0;  // DAZ, as the accelerator reads it
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
double bf16_to_double(uint16_t b) { return fp32_to_double(uint32_t{b} << 16); }

std::vector<double> to_f64(const std::vector<uint32_t>& v) {
  std::vector<double> y;
  for (uint32_t b : v) y.push_back(fp32_to_double(b));
  return y;
}
std::vector<double> to_f64(const std::vector<uint16_t>& v) {
  std::vector<double> y;
  for (uint16_t b : v) y.push_back(bf16_to_double(b));
  return y;
}

F64 matmul(const F64& a, const F64& b) {
  F64 y(a.rows(), b.cols());
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t c = 0; c < b.cols(); ++c) {
      double sum = 0;
      for (std::size_t k = 0; k < a.cols(); ++k) sum += a(r, k) * b(k, c);
      y(r, c) = sum;
    }
  return y;
}

// x W (+ b)
F64 linear(const F64& x, const Bf16& w, const Bias& b) {
  F64 y = matmul(x, bf16_to_f64(w));
  const std::vector<double> bias = to_f64(b);
  for (std::size_t r = 0; r < y.rows(); ++r)
    for (std::size_t c = 0; c < bias.size(); ++c) y(r, c) += bias[c];
  return y;
}

F64 add(const F64& a, const F64& b) {
  F64 y(a.rows(), a.cols());
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t c = 0; c < a.cols(); ++c) y(r, c) = a(r, c) + b(r, c);
  return y;
}

F64 norm(const F64& x, const LayerShape& s, const std::vector<uint16_t>& gamma_bf16,
         const std::vector<uint16_t>& beta_bf16) {
  const std::vector<double> gamma = to_f64(gamma_bf16), beta = to_f64(beta_bf16);
  const bool layernorm = s.norm == LayerNormKind::LayerNorm;
  const auto n = static_cast<double>(x.cols());
  F64 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r) {
    double mean = 0, var = 0;
    if (layernorm) {
      for (std::size_t c = 0; c < x.cols(); ++c) mean += x(r, c);
      mean /= n;
    }
    for (std::size_t c = 0; c < x.cols(); ++c) var += (x(r, c) - mean) * (x(r, c) - mean);
    const double inv = 1 / std::sqrt(var / n + static_cast<double>(s.eps));
    for (std::size_t c = 0; c < x.cols(); ++c)
      y(r, c) = (x(r, c) - mean) * inv * gamma[c] + (layernorm ? beta[c] : 0.0);
  }
  return y;
}

// Rotate-half RoPE of every head slice with exact cos/sin.
F64 rope(const F64& x, std::size_t heads, const LayerShape& s, std::size_t pos0) {
  const std::size_t hd = s.head_dim, half = hd / 2;
  F64 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r)
    for (std::size_t h = 0; h < heads; ++h)
      for (std::size_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(pos0 + r) *
                             std::pow(s.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(hd));
        const double c = std::cos(angle), sn = std::sin(angle);
        const double a = x(r, h * hd + i), b = x(r, h * hd + half + i);
        y(r, h * hd + i) = a * c - b * sn;
        y(r, h * hd + half + i) = b * c + a * sn;
      }
  return y;
}

F64 attention(const F64& q, const std::vector<F64>& k, const std::vector<F64>& v, const LayerShape& s,
              std::optional<std::size_t> causal_offset) {
  const std::size_t hd = s.head_dim;
  const double scale = 1 / std::sqrt(static_cast<double>(hd));
  F64 out(q.rows(), s.q_dim());
  for (std::size_t h = 0; h < s.heads; ++h) {
    const std::size_t g = h / s.group();
    F64 p = matmul(columns(q, h * hd, hd), transpose(k[g]));
    for (std::size_t r = 0; r < p.rows(); ++r) {
      const std::size_t kept = causal_offset ? std::min(p.cols(), r + *causal_offset + 1) : p.cols();
      double max = -INFINITY, sum = 0;
      for (std::size_t j = 0; j < kept; ++j) max = std::max(max, p(r, j) * scale);
      for (std::size_t j = 0; j < p.cols(); ++j) {
        p(r, j) = j < kept ? std::exp(p(r, j) * scale - max) : 0.0;
        sum += p(r, j);
      }
      for (std::size_t j = 0; j < p.cols(); ++j) p(r, j) /= sum;
    }
    put_columns(out, h * hd, matmul(p, v[g]));
  }
  return out;
}

F64 ffn(const F64& h, const LayerShape& s, const LayerWeightsBf16& w) {
  F64 f = linear(h, w.w1, w.b1);
  const F64 up = s.act == LayerActivation::SwiGlu ? linear(h, w.w3, {}) : F64{};
  constexpr double kPi = 3.14159265358979323846;
  for (std::size_t r = 0; r < f.rows(); ++r)
    for (std::size_t c = 0; c < f.cols(); ++c) {
      const double x = f(r, c);
      f(r, c) = s.act == LayerActivation::Gelu
                    ? 0.5 * x * (1 + std::tanh(std::sqrt(2 / kPi) * (x + 0.044715 * x * x * x)))
                    : x / (1 + std::exp(-x)) * up(r, c);
    }
  return linear(f, w.w2, w.b2);
}

// RNE of an FP32 significand (the bits of positive normal FP32 `b` rounded):
// is the midpoint between b and its successor below 1/sqrt(n)? Decided
// exactly: mid = m 2^(E - 151) with m = 2 F + 1, and mid^2 n < 1 iff
// m^2 n < 2^(302 - 2E).
bool upper_midpoint_below_rsqrt(uint32_t b, uint64_t n) {
  const int e = static_cast<int>(b >> 23);
  const u128 m = 2 * u128{(1u << 23) | (b & 0x7FFFFFu)} + 1;
  const int shift = 302 - 2 * e;
  if (shift >= 127) return true;
  if (shift <= 0) return false;
  return m * m * n < (u128{1} << shift);
}

}  // namespace

// ---- constants ------------------------------------------------------------------

uint16_t double_to_bf16(double v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  const auto sign = static_cast<uint16_t>((b >> 63) != 0 ? 0x8000 : 0);
  const int biased = static_cast<int>((b >> 52) & 0x7FF);
  const uint64_t frac = b & ((uint64_t{1} << 52) - 1);
  if (biased == 0x7FF) return frac != 0 ? kBf16CanonicalNan : static_cast<uint16_t>(sign | 0x7F80);
  if (biased == 0) return sign;  // zero or a double subnormal: far below 2^-126
  int e = biased - 1023;
  uint64_t kept = ((uint64_t{1} << 52) | frac) >> 45;  // 8 significant bits
  const uint64_t rest = frac & ((uint64_t{1} << 45) - 1), half = uint64_t{1} << 44;
  if (rest > half || (rest == half && (kept & 1) != 0)) ++kept;
  if (kept == 256) {
    kept = 128;
    ++e;
  }
  if (e < -126) return sign;  // FTZ after rounding
  if (e > 127) return static_cast<uint16_t>(sign | 0x7F80);
  return static_cast<uint16_t>(sign | (e + 127) << 7 | (kept & 0x7F));
}

std::vector<uint16_t> rope_table_bf16(std::size_t pos, std::size_t head_dim, double theta) {
  if (head_dim == 0 || head_dim % 2 != 0 || !(theta > 0))
    throw std::invalid_argument("rope_table_bf16: head_dim must be even and positive, theta positive");
  const std::size_t half = head_dim / 2;
  std::vector<uint16_t> cs(head_dim);
  for (std::size_t i = 0; i < half; ++i) {
    const double angle =
        static_cast<double>(pos) * std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
    cs[i] = double_to_bf16(std::cos(angle));
    cs[half + i] = double_to_bf16(std::sin(angle));
  }
  return cs;
}

uint32_t attention_scale_fp32(std::size_t head_dim) {
  if (head_dim == 0 || head_dim > (std::size_t{1} << 24))
    throw std::invalid_argument("attention_scale_fp32: head_dim must be in [1, 2^24]");
  const float guess = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  uint32_t b = 0;
  std::memcpy(&b, &guess, sizeof b);
  // 1/sqrt(n) is never a midpoint (it would have to be dyadic, and then it is
  // a power of two, representable), so nearest means: between the midpoints.
  while (upper_midpoint_below_rsqrt(b, head_dim)) ++b;
  while (!upper_midpoint_below_rsqrt(b - 1, head_dim)) --b;
  return b;
}

// ---- BF16 layers ----------------------------------------------------------------

Matrix<uint16_t> encoder_layer_bf16(const Matrix<uint16_t>& x, const LayerShape& s, const LayerWeightsBf16& w,
                                    LayerTrace* trace) {
  const char* who = "encoder_layer_bf16";
  check_shape(who, s, LayerKind::Encoder);
  check_weights(who, s, w);
  check_input(who, x, s, 0);
  const Bf16 q = cvt(gemm_bf16(x, w.wq), w.bq);
  const Bf16 k = cvt(gemm_bf16(x, w.wk), w.bk);
  const Bf16 v = cvt(gemm_bf16(x, w.wv), w.bv);
  record(trace, "q", q);
  record(trace, "k", k);
  record(trace, "v", v);
  const Bf16 attn = attention(q, split_heads(k, s.kv_heads, s.head_dim), split_heads(v, s.kv_heads, s.head_dim), s,
                              std::nullopt, trace);
  const Bf16 a = cvt(gemm_bf16(attn, w.wo), w.bo);
  const Bf16 r1 = add(x, a);
  const Bf16 h1 = norm(r1, s, w.gamma1, w.beta1);
  const Bf16 f = ffn_hidden(h1, s, w);
  const Bf16 f2 = cvt(gemm_bf16(f, w.w2), w.b2);
  const Bf16 r2 = add(h1, f2);
  const Bf16 y = norm(r2, s, w.gamma2, w.beta2);
  record(trace, "attn", attn);
  record(trace, "a", a);
  record(trace, "r1", r1);
  record(trace, "h1", h1);
  record(trace, "f", f);
  record(trace, "f2", f2);
  record(trace, "r2", r2);
  record(trace, "y", y);
  return y;
}

Matrix<uint16_t> decoder_layer_bf16(const Matrix<uint16_t>& x, const LayerShape& s, const LayerWeightsBf16& w,
                                    KvCache& cache, LayerTrace* trace) {
  const char* who = "decoder_layer_bf16";
  check_shape(who, s, LayerKind::Decoder);
  check_weights(who, s, w);
  prepare_cache(who, s, cache);
  const std::size_t cached = cache.length();
  check_input(who, x, s, cached);
  const Bf16 n1 = norm(x, s, w.gamma1, w.beta1);
  const Acc q_acc = gemm_bf16(n1, w.wq), k_acc = gemm_bf16(n1, w.wk);
  const Bf16 q = s.rope ? rope_heads(q_acc, w.bq, s.heads, s, cached) : cvt(q_acc, w.bq);
  const Bf16 k = s.rope ? rope_heads(k_acc, w.bk, s.kv_heads, s, cached) : cvt(k_acc, w.bk);
  const Bf16 v = cvt(gemm_bf16(n1, w.wv), w.bv);
  for (std::size_t g = 0; g < s.kv_heads; ++g) {
    cache.k[g] = stack_rows(cache.k[g], columns(k, g * s.head_dim, s.head_dim));
    cache.v[g] = stack_rows(cache.v[g], columns(v, g * s.head_dim, s.head_dim));
  }
  record(trace, "n1", n1);
  record(trace, "q", q);
  record(trace, "k", k);
  record(trace, "v", v);
  const Bf16 attn = attention(q, cache.k, cache.v, s, cached, trace);
  const Bf16 r1 = residual(gemm_bf16(attn, w.wo), w.bo, x);
  const Bf16 n2 = norm(r1, s, w.gamma2, w.beta2);
  const Bf16 f = ffn_hidden(n2, s, w);
  const Bf16 y = residual(gemm_bf16(f, w.w2), w.b2, r1);
  record(trace, "attn", attn);
  record(trace, "r1", r1);
  record(trace, "n2", n2);
  record(trace, "f", f);
  record(trace, "y", y);
  return y;
}

// ---- float64 layers -------------------------------------------------------------

Matrix<double> bf16_to_f64(const Matrix<uint16_t>& m) {
  F64 y(m.rows(), m.cols());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(r, c) = bf16_to_double(m(r, c));
  return y;
}

Matrix<double> encoder_layer_f64(const Matrix<double>& x, const LayerShape& s, const LayerWeightsBf16& w) {
  const char* who = "encoder_layer_f64";
  check_shape(who, s, LayerKind::Encoder);
  check_weights(who, s, w);
  check_input(who, x, s, 0);
  const F64 q = linear(x, w.wq, w.bq), k = linear(x, w.wk, w.bk), v = linear(x, w.wv, w.bv);
  const F64 attn = attention(q, split_heads(k, s.kv_heads, s.head_dim), split_heads(v, s.kv_heads, s.head_dim), s,
                             std::nullopt);
  const F64 h1 = norm(add(x, linear(attn, w.wo, w.bo)), s, w.gamma1, w.beta1);
  return norm(add(h1, ffn(h1, s, w)), s, w.gamma2, w.beta2);
}

Matrix<double> decoder_layer_f64(const Matrix<double>& x, const LayerShape& s, const LayerWeightsBf16& w,
                                 KvCacheF64& cache) {
  const char* who = "decoder_layer_f64";
  check_shape(who, s, LayerKind::Decoder);
  check_weights(who, s, w);
  prepare_cache(who, s, cache);
  const std::size_t cached = cache.length();
  check_input(who, x, s, cached);
  const F64 n1 = norm(x, s, w.gamma1, w.beta1);
  F64 q = linear(n1, w.wq, w.bq), k = linear(n1, w.wk, w.bk);
  if (s.rope) {
    q = rope(q, s.heads, s, cached);
    k = rope(k, s.kv_heads, s, cached);
  }
  const F64 v = linear(n1, w.wv, w.bv);
  for (std::size_t g = 0; g < s.kv_heads; ++g) {
    cache.k[g] = stack_rows(cache.k[g], columns(k, g * s.head_dim, s.head_dim));
    cache.v[g] = stack_rows(cache.v[g], columns(v, g * s.head_dim, s.head_dim));
  }
  const F64 r1 = add(x, linear(attention(q, cache.k, cache.v, s, cached), w.wo, w.bo));
  return add(r1, ffn(norm(r1, s, w.gamma2, w.beta2), s, w));
}

// ---- mismatch report --------------------------------------------------------------

namespace {
// The first differing element of two matrices; show(v) prints one value.
template <class T, class Show>
std::optional<std::string> first_mismatch_of(const Matrix<T>& got, const Matrix<T>& want, std::string_view tensor,
                                             Show show) {
  const std::string name = "tensor " + std::string(tensor);
  if (got.rows() != want.rows() || got.cols() != want.cols())
    return name + ": got shape " + dims(got.rows(), got.cols()) + " want " + dims(want.rows(), want.cols());
  for (std::size_t r = 0; r < got.rows(); ++r)
    for (std::size_t c = 0; c < got.cols(); ++c)
      if (got(r, c) != want(r, c))
        return name + " row " + std::to_string(r) + " col " + std::to_string(c) + ": got " + show(got(r, c)) +
               " want " + show(want(r, c));
  return std::nullopt;
}
}  // namespace

std::optional<std::string> first_mismatch(const Matrix<uint16_t>& got, const Matrix<uint16_t>& want,
                                          std::string_view tensor) {
  return first_mismatch_of(got, want, tensor, [](uint16_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%04X", v);
    return std::string(b);
  });
}

std::optional<std::string> first_mismatch(const Matrix<int8_t>& got, const Matrix<int8_t>& want,
                                          std::string_view tensor) {
  return first_mismatch_of(got, want, tensor, [](int8_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "%d (0x%02X)", v, v & 0xFF);
    return std::string(b);
  });
}

}  // namespace npu::ref
