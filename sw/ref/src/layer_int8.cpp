// INT8 encoder layer, I-BERT scheme (docs/numerics.md, "Transformer layers,
// INT8 (I-BERT)"), composed only of the op-level integer model: gemm_i8 for
// every GEMM, requantize for REQUANT, softmax_i8, add_i8, layernorm_i32 and
// the i-GELU table. The host-side parameter derivation comes first.
#include "npu/ref/layer_int8.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "npu/ref/gemm.hpp"

namespace npu::ref {
namespace {

using F64 = Matrix<double>;
using I8 = Matrix<int8_t>;
using I32 = Matrix<int32_t>;

constexpr double kLog2e = 1.4426950408889634074;

// ---- argument checks -----------------------------------------------------------

std::string dims(std::size_t rows, std::size_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

[[noreturn]] void shape_error(const char* who, const std::string& tensor, const std::string& got,
                              const std::string& want) {
  throw std::invalid_argument(std::string(who) + ": " + tensor + " is " + got + ", expected " + want);
}

template <class T>
void require_length(const char* who, const std::string& tensor, const std::vector<T>& v, std::size_t n,
                    bool may_be_empty = false) {
  if (v.size() != n && !(may_be_empty && v.empty()))
    shape_error(who, tensor, "of length " + std::to_string(v.size()),
                std::string(may_be_empty ? "empty or " : "") + "of length " + std::to_string(n));
}

void check_shape(const char* who, const LayerShape& s) {
  const auto bad = [who](const std::string& what) { throw std::invalid_argument(std::string(who) + ": " + what); };
  if (s.kind != LayerKind::Encoder) bad("shape.kind must be Encoder");
  if (s.d_model == 0 || s.heads == 0 || s.kv_heads == 0 || s.head_dim == 0 || s.ffn == 0)
    bad("d_model, heads, kv_heads, head_dim and ffn must be positive");
  if (s.heads % s.kv_heads != 0) bad("heads must be a multiple of kv_heads");
  if (s.norm != LayerNormKind::LayerNorm || s.act != LayerActivation::Gelu || s.rope)
    bad("the INT8 encoder is LayerNorm + GELU without RoPE");
}

void check_linear(const char* who, const char* name, const QuantLinearInt8& l, std::size_t in, std::size_t out) {
  if (l.w.rows() != in || l.w.cols() != out)
    shape_error(who, std::string(name) + ".w", dims(l.w.rows(), l.w.cols()), dims(in, out));
  require_length(who, std::string(name) + ".w_scale", l.w_scale, out);
  require_length(who, std::string(name) + ".bias", l.bias, out, true);
  require_length(who, std::string(name) + ".rq", l.rq, out);
}

void check_norm(const char* who, const char* name, const QuantNormInt8& n, std::size_t d) {
  require_length(who, std::string(name) + ".gamma", n.gamma, d);
  require_length(who, std::string(name) + ".beta", n.beta, d);
}

void check_layer(const char* who, const LayerShape& s, const QuantLayerWeightsInt8& w) {
  const std::size_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn;
  check_linear(who, "q", w.q, d, q);
  check_linear(who, "k", w.k, d, kv);
  check_linear(who, "v", w.v, d, kv);
  check_linear(who, "o", w.o, q, d);
  check_linear(who, "ffn1", w.ffn1, d, f);
  check_linear(who, "ffn2", w.ffn2, f, d);
  check_norm(who, "norm1", w.norm1, d);
  check_norm(who, "norm2", w.norm2, d);
}

// ---- host-side quantization -----------------------------------------------------

double bf16_value(uint16_t b) {
  const uint32_t bits = uint32_t{b} << 16;
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
double fp32_value(uint32_t bits) {
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
uint32_t fp32_bits(double v) {
  const auto f = static_cast<float>(v);
  uint32_t b = 0;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

int32_t round_sat_i32(double v) {
  const double r = std::round(v);  // half away from zero
  if (!(r >= -2147483648.0)) return std::numeric_limits<int32_t>::min();
  if (r > 2147483647.0) return std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(r);
}
int8_t round_sat_i8(double v) { return static_cast<int8_t>(std::clamp(round_sat_i32(v), -127, 127)); }

// Scale for max|t| = m: m / 127, or the next power of two (exact BF16 products).
double symmetric_scale(double m, bool pow2) {
  if (!(m > 0)) return 1;
  const double s = m / 127;
  return pow2 ? std::exp2(std::ceil(std::log2(s))) : s;
}

QuantLinearInt8 quantize_linear(const Matrix<uint16_t>& w, const std::vector<uint32_t>& b, double s_in,
                                double s_out, bool pow2) {
  QuantLinearInt8 l;
  l.w = I8(w.rows(), w.cols());
  for (std::size_t c = 0; c < w.cols(); ++c) {
    double m = 0;
    for (std::size_t r = 0; r < w.rows(); ++r) m = std::max(m, std::fabs(bf16_value(w(r, c))));
    const double sw = symmetric_scale(m, pow2);
    for (std::size_t r = 0; r < w.rows(); ++r) l.w(r, c) = round_sat_i8(bf16_value(w(r, c)) / sw);
    l.w_scale.push_back(sw);
    if (!b.empty()) l.bias.push_back(round_sat_i32(fp32_value(b[c]) / (s_in * sw)));
    l.rq.push_back(requant_params_for(s_in * sw / s_out));
  }
  return l;
}

QuantNormInt8 quantize_norm(const std::vector<uint16_t>& gamma, const std::vector<uint16_t>& beta, double s_in,
                            double s_out, float eps, bool pow2) {
  QuantNormInt8 n;
  double m = 0;
  for (uint16_t g : gamma) m = std::max(m, std::fabs(bf16_value(g)));
  n.gamma_scale = symmetric_scale(m, pow2);
  for (uint16_t g : gamma) n.gamma.push_back(round_sat_i8(bf16_value(g) / n.gamma_scale));
  const double beta_scale = std::ldexp(n.gamma_scale, -14);
  for (uint16_t b : beta) n.beta.push_back(round_sat_i32(bf16_value(b) / beta_scale));
  // eps in input codes^2, Q.16; at least 1 (the command's minimum).
  const double eps_q16 = std::round(static_cast<double>(eps) / (s_in * s_in) * 65536.0);
  n.p.eps_q16 = static_cast<uint32_t>(std::clamp(eps_q16, 1.0, 4294967295.0));
  n.p.out = requant_params_for(beta_scale / s_out);
  return n;
}

// ADD_I8: ka, kb = round(S/S_max * 2^14), (M, s) for S_max 2^-14 / S_out.
IntAddParams add_params(double sa, double sb, double s_out) {
  const double smax = std::max(sa, sb);
  return {0, 0, static_cast<int32_t>(std::lround(sa / smax * 16384)),
          static_cast<int32_t>(std::lround(sb / smax * 16384)), requant_params_for(smax / 16384 / s_out)};
}

// Q.20 form of a scale, checked against the commands' range 1..2^22.
uint32_t scale_q20(const char* what, double s) {
  const double q = std::round(std::ldexp(s, 20));
  if (!(q >= 1 && q <= kVecMaxScaleQ20))
    throw std::invalid_argument(std::string("quantize_encoder_layer: ") + what + " scale out of the Q.20 range");
  return static_cast<uint32_t>(q);
}

// ---- float64 calibration pass (the math of encoder_layer_f64) -------------------

F64 matmul(const F64& a, const F64& b) {
  F64 y(a.rows(), b.cols());
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t k = 0; k < a.cols(); ++k)
      for (std::size_t c = 0; c < b.cols(); ++c) y(r, c) += a(r, k) * b(k, c);
  return y;
}
F64 linear_f64(const F64& x, const Matrix<uint16_t>& w, const std::vector<uint32_t>& b) {
  F64 y = matmul(x, bf16_to_f64(w));
  for (std::size_t r = 0; r < y.rows(); ++r)
    for (std::size_t c = 0; c < b.size(); ++c) y(r, c) += fp32_value(b[c]);
  return y;
}
F64 add_f64(const F64& a, const F64& b) {
  F64 y = a;
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t c = 0; c < a.cols(); ++c) y(r, c) += b(r, c);
  return y;
}
F64 layernorm_f64(const F64& x, const std::vector<uint16_t>& gamma, const std::vector<uint16_t>& beta, float eps) {
  const auto n = static_cast<double>(x.cols());
  F64 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r) {
    double mean = 0, var = 0;
    for (std::size_t c = 0; c < x.cols(); ++c) mean += x(r, c);
    mean /= n;
    for (std::size_t c = 0; c < x.cols(); ++c) var += (x(r, c) - mean) * (x(r, c) - mean);
    const double inv = 1 / std::sqrt(var / n + static_cast<double>(eps));
    for (std::size_t c = 0; c < x.cols(); ++c)
      y(r, c) = (x(r, c) - mean) * inv * bf16_value(gamma[c]) + bf16_value(beta[c]);
  }
  return y;
}
double max_abs(const F64& m) {
  double a = 0;
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) a = std::max(a, std::fabs(m(r, c)));
  return a;
}


// ---- integer steps ------------------------------------------------------------------

template <class T>
void record(LayerTraceInt8* trace, const std::string& name, const Matrix<T>& m) {
  if (trace == nullptr) return;
  I32 w(m.rows(), m.cols());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) w(r, c) = m(r, c);
  (*trace)[name] = std::move(w);
}

// REQUANT(gemm_i8(x, W) + bias) per output channel: GEMM then REQUANT with P1 = bias.
I8 linear_i8(const I8& x, const QuantLinearInt8& l) {
  return requantize(gemm_i8(x, l.w), l.rq, l.bias.empty() ? nullptr : &l.bias);
}

// The GEMM with a_unsigned = 1 (A uint8). gemm_i8 has no unsigned-A form, so
// it is evaluated through the exact identity p v = (p - 128) v + 128 colsum(v)
// with the second term as C_init: both sides are equal mod 2^32.
I32 gemm_u8i8(const Matrix<uint8_t>& p, const I8& v) {
  I8 shifted(p.rows(), p.cols());
  for (std::size_t r = 0; r < p.rows(); ++r)
    for (std::size_t c = 0; c < p.cols(); ++c) shifted(r, c) = static_cast<int8_t>(int{p(r, c)} - 128);
  I32 init(p.rows(), v.cols());
  for (std::size_t c = 0; c < v.cols(); ++c) {
    int32_t sum = 0;
    for (std::size_t k = 0; k < v.rows(); ++k) sum += v(k, c);
    for (std::size_t r = 0; r < p.rows(); ++r) init(r, c) = 128 * sum;
  }
  return gemm_i8(shifted, v, &init);
}

I8 add_rows(const I8& a, const I8& b, const IntAddParams& p) {
  I8 y(a.rows(), a.cols());
  for (std::size_t r = 0; r < a.rows(); ++r)
    for (std::size_t c = 0; c < a.cols(); ++c) y(r, c) = add_i8(a(r, c), b(r, c), p);
  return y;
}

// LAYERNORM_I32 with the int8 residual widened to int32 (|x| <= 128 << 32767).
I8 layernorm_rows(const I8& x, const QuantNormInt8& n) {
  I8 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r) {
    std::vector<int32_t> row(x.cols());
    for (std::size_t c = 0; c < x.cols(); ++c) row[c] = x(r, c);
    const std::vector<int8_t> out = layernorm_i32(row, n.gamma, n.beta, n.p);
    for (std::size_t c = 0; c < x.cols(); ++c) y(r, c) = out[c];
  }
  return y;
}

}  // namespace

// ---- host side ----------------------------------------------------------------------

RequantParams requant_params_for(double real, int32_t zero_point) {
  if (!(real >= 0) || !std::isfinite(real)) throw std::invalid_argument("requant_params_for: scale must be finite, >= 0");
  if (real == 0) return {0, 0, zero_point};
  int e = 0;
  const double m = std::frexp(real, &e);
  auto q = static_cast<int64_t>(std::llround(m * 2147483648.0));
  if (q == (int64_t{1} << 31)) {
    q /= 2;
    ++e;
  }
  if (e < -31 || e > 30) throw std::invalid_argument("requant_params_for: shift outside [-31, 30]");
  return {static_cast<int32_t>(q), e, zero_point};
}

ActivationScalesInt8 calibrate_encoder_int8(const Matrix<double>& x, const LayerShape& s,
                                            const LayerWeightsBf16& w) {
  const char* who = "calibrate_encoder_int8";
  check_shape(who, s);
  if (x.cols() != s.d_model) shape_error(who, "x", dims(x.rows(), x.cols()), "T x " + std::to_string(s.d_model));
  // Shapes of w are checked by encoder_layer_f64 on the same inputs.
  (void)encoder_layer_f64(x, s, w);
  const auto sc = [](double m) { return symmetric_scale(m, false); };
  ActivationScalesInt8 a;
  a.x = sc(max_abs(x));
  const F64 q = linear_f64(x, w.wq, w.bq), k = linear_f64(x, w.wk, w.bk), v = linear_f64(x, w.wv, w.bv);
  a.q = sc(max_abs(q));
  a.k = sc(max_abs(k));
  a.v = sc(max_abs(v));
  const std::size_t hd = s.head_dim;
  const double inv_sqrt = 1 / std::sqrt(static_cast<double>(hd));
  F64 attn(x.rows(), s.q_dim());
  double logit_max = 0;
  for (std::size_t h = 0; h < s.heads; ++h) {
    const std::size_t g = h / s.group();
    F64 p = matmul(columns(q, h * hd, hd), transpose(columns(k, g * hd, hd)));
    for (std::size_t r = 0; r < p.rows(); ++r) {
      double mx = -INFINITY, sum = 0;
      for (std::size_t j = 0; j < p.cols(); ++j) {
        p(r, j) *= inv_sqrt;
        logit_max = std::max(logit_max, std::fabs(p(r, j)));
        mx = std::max(mx, p(r, j));
      }
      for (std::size_t j = 0; j < p.cols(); ++j) sum += p(r, j) = std::exp(p(r, j) - mx);
      for (std::size_t j = 0; j < p.cols(); ++j) p(r, j) /= sum;
    }
    const F64 o = matmul(p, columns(v, g * hd, hd));
    for (std::size_t r = 0; r < o.rows(); ++r)
      for (std::size_t c = 0; c < hd; ++c) attn(r, h * hd + c) = o(r, c);
  }
  a.s = sc(logit_max);
  a.o = sc(max_abs(attn));
  const F64 at = linear_f64(attn, w.wo, w.bo);
  a.a = sc(max_abs(at));
  const F64 r1 = add_f64(x, at);
  a.r1 = sc(max_abs(r1));
  const F64 h1 = layernorm_f64(r1, w.gamma1, w.beta1, s.eps);
  a.h1 = sc(max_abs(h1));
  F64 f = linear_f64(h1, w.w1, w.b1);
  a.g = sc(max_abs(f));
  constexpr double kPi = 3.14159265358979323846;
  for (std::size_t r = 0; r < f.rows(); ++r)
    for (std::size_t c = 0; c < f.cols(); ++c) {
      const double t = f(r, c);
      f(r, c) = 0.5 * t * (1 + std::tanh(std::sqrt(2 / kPi) * (t + 0.044715 * t * t * t)));
    }
  a.f = sc(max_abs(f));
  const F64 f2 = linear_f64(f, w.w2, w.b2);
  a.f2 = sc(max_abs(f2));
  const F64 r2 = add_f64(h1, f2);
  a.r2 = sc(max_abs(r2));
  a.y = sc(max_abs(layernorm_f64(r2, w.gamma2, w.beta2, s.eps)));
  return a;
}

QuantLayer quantize_encoder_layer(const LayerWeightsBf16& w, const LayerShape& s, const ActivationScalesInt8& scales,
                                  bool pow2) {
  const char* who = "quantize_encoder_layer";
  check_shape(who, s);
  // Reuse the BF16 layer's weight checks through a 1-token float64 run.
  (void)encoder_layer_f64(F64(1, s.d_model), s, w);
  if (w.beta1.empty() || w.beta2.empty()) throw std::invalid_argument(std::string(who) + ": LayerNorm needs beta");
  QuantLayer ql;
  QuantLayerParams& p = ql.p;
  ActivationScalesInt8& a = p.scales;
  a = scales;
  // The commands take these two scales in Q.20: use exactly what they see.
  p.softmax_scale_q20 = scale_q20("logit", a.s * kLog2e);
  p.gelu_scale_q20 = scale_q20("GELU input", a.g);
  a.g = std::ldexp(static_cast<double>(p.gelu_scale_q20), -20);

  QuantLayerWeightsInt8& q = ql.w;
  q.q = quantize_linear(w.wq, w.bq, a.x, a.q, pow2);
  q.k = quantize_linear(w.wk, w.bk, a.x, a.k, pow2);
  q.v = quantize_linear(w.wv, w.bv, a.x, a.v, pow2);
  q.o = quantize_linear(w.wo, w.bo, a.o, a.a, pow2);
  q.ffn1 = quantize_linear(w.w1, w.b1, a.h1, a.g, pow2);
  q.ffn2 = quantize_linear(w.w2, w.b2, a.f, a.f2, pow2);
  q.norm1 = quantize_norm(w.gamma1, w.beta1, a.r1, a.h1, s.eps, pow2);
  q.norm2 = quantize_norm(w.gamma2, w.beta2, a.r2, a.y, s.eps, pow2);

  p.score_rq = requant_params_for(a.q * a.k / std::sqrt(static_cast<double>(s.head_dim)) / a.s);
  p.pv_rq = requant_params_for(a.v / 256 / a.o);
  p.add1 = add_params(a.x, a.a, a.r1);
  p.add2 = add_params(a.h1, a.f2, a.r2);
  p.gelu_table = gelu_i8_table(p.gelu_scale_q20, requant_params_for(std::ldexp(1.0, -20) / a.f));
  return ql;
}

LayerWeightsBf16 dequantize_encoder_layer(const QuantLayer& ql, const LayerShape& s) {
  check_shape("dequantize_encoder_layer", s);
  check_layer("dequantize_encoder_layer", s, ql.w);
  const ActivationScalesInt8& a = ql.p.scales;
  const auto weights = [](const QuantLinearInt8& l) {
    Matrix<uint16_t> m(l.w.rows(), l.w.cols());
    for (std::size_t r = 0; r < m.rows(); ++r)
      for (std::size_t c = 0; c < m.cols(); ++c) m(r, c) = double_to_bf16(l.w(r, c) * l.w_scale[c]);
    return m;
  };
  const auto bias = [](const QuantLinearInt8& l, double s_in) {
    std::vector<uint32_t> b;
    for (std::size_t c = 0; c < l.bias.size(); ++c) b.push_back(fp32_bits(l.bias[c] * s_in * l.w_scale[c]));
    return b;
  };
  const auto gamma = [](const QuantNormInt8& n) {
    std::vector<uint16_t> g;
    for (int8_t v : n.gamma) g.push_back(double_to_bf16(v * n.gamma_scale));
    return g;
  };
  const auto beta = [](const QuantNormInt8& n) {
    std::vector<uint16_t> b;
    for (int32_t v : n.beta) b.push_back(double_to_bf16(std::ldexp(v * n.gamma_scale, -14)));
    return b;
  };
  const QuantLayerWeightsInt8& q = ql.w;
  LayerWeightsBf16 w;
  w.wq = weights(q.q);
  w.wk = weights(q.k);
  w.wv = weights(q.v);
  w.wo = weights(q.o);
  w.w1 = weights(q.ffn1);
  w.w2 = weights(q.ffn2);
  w.bq = bias(q.q, a.x);
  w.bk = bias(q.k, a.x);
  w.bv = bias(q.v, a.x);
  w.bo = bias(q.o, a.o);
  w.b1 = bias(q.ffn1, a.h1);
  w.b2 = bias(q.ffn2, a.f);
  w.gamma1 = gamma(q.norm1);
  w.beta1 = beta(q.norm1);
  w.gamma2 = gamma(q.norm2);
  w.beta2 = beta(q.norm2);
  return w;
}

Matrix<int8_t> quantize_tensor_int8(const Matrix<double>& x, double scale) {
  I8 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r)
    for (std::size_t c = 0; c < x.cols(); ++c) y(r, c) = round_sat_i8(x(r, c) / scale);
  return y;
}

Matrix<double> dequantize_tensor_int8(const Matrix<int8_t>& x, double scale) {
  F64 y(x.rows(), x.cols());
  for (std::size_t r = 0; r < x.rows(); ++r)
    for (std::size_t c = 0; c < x.cols(); ++c) y(r, c) = x(r, c) * scale;
  return y;
}

// ---- the layer ----------------------------------------------------------------------

Matrix<int8_t> encoder_layer_int8(const Matrix<int8_t>& x, const LayerShape& s, const QuantLayer& ql,
                                  LayerTraceInt8* trace) {
  const char* who = "encoder_layer_int8";
  check_shape(who, s);
  check_layer(who, s, ql.w);
  if (x.rows() == 0 || x.cols() != s.d_model)
    shape_error(who, "x", dims(x.rows(), x.cols()), "T x " + std::to_string(s.d_model) + " with T >= 1");
  const QuantLayerWeightsInt8& w = ql.w;
  const QuantLayerParams& p = ql.p;
  const std::size_t t = x.rows(), hd = s.head_dim;

  const I8 q = linear_i8(x, w.q), k = linear_i8(x, w.k), v = linear_i8(x, w.v);
  record(trace, "q", q);
  record(trace, "k", k);
  record(trace, "v", v);

  I8 attn(t, s.q_dim());
  const std::vector<RequantParams> score_rq(t, p.score_rq), pv_rq(hd, p.pv_rq);
  for (std::size_t h = 0; h < s.heads; ++h) {
    const std::size_t g = h / s.group();
    const I32 scores = gemm_i8(columns(q, h * hd, hd), transpose(columns(k, g * hd, hd)));
    const I8 logits = requantize(scores, score_rq);
    Matrix<uint8_t> prob(t, t);
    for (std::size_t r = 0; r < t; ++r) {
      std::vector<int8_t> row(t);
      for (std::size_t j = 0; j < t; ++j) row[j] = logits(r, j);
      const std::vector<uint8_t> out = softmax_i8(row, p.softmax_scale_q20);
      for (std::size_t j = 0; j < t; ++j) prob(r, j) = out[j];
    }
    const I8 o = requantize(gemm_u8i8(prob, columns(v, g * hd, hd)), pv_rq);
    for (std::size_t r = 0; r < t; ++r)
      for (std::size_t c = 0; c < hd; ++c) attn(r, h * hd + c) = o(r, c);
    record(trace, "s.h" + std::to_string(h), scores);
    record(trace, "l.h" + std::to_string(h), logits);
    record(trace, "p.h" + std::to_string(h), prob);
  }

  const I8 a = linear_i8(attn, w.o);
  const I8 r1 = add_rows(x, a, p.add1);
  const I8 h1 = layernorm_rows(r1, w.norm1);
  // FFN1: REQUANT with the LUT flag; lut_i8 of the requantized code is that.
  const I8 g = linear_i8(h1, w.ffn1);
  I8 f(t, s.ffn);
  for (std::size_t r = 0; r < t; ++r)
    for (std::size_t c = 0; c < s.ffn; ++c) f(r, c) = lut_i8(g(r, c), p.gelu_table);
  const I8 f2 = linear_i8(f, w.ffn2);
  const I8 r2 = add_rows(h1, f2, p.add2);
  const I8 y = layernorm_rows(r2, w.norm2);
  record(trace, "attn", attn);
  record(trace, "a", a);
  record(trace, "r1", r1);
  record(trace, "h1", h1);
  record(trace, "g", g);
  record(trace, "f", f);
  record(trace, "f2", f2);
  record(trace, "r2", r2);
  record(trace, "y", y);
  return y;
}

}  // namespace npu::ref
