// The INT8 (I-BERT) encoder layer (docs/numerics.md, "Transformer layers, INT8
// (I-BERT)"): accuracy against float64 math on the same dequantized weights,
// determinism, exact token-permutation equivariance, the unsigned-A GEMM
// identity and the argument checks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/core.h>

#include "npu/ref/gemm.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/layer_int8.hpp"
#include "npu/ref/vec_accuracy.hpp"

using namespace npu::ref;
using Catch::Matchers::Contains;

namespace {

constexpr uint64_t kSeeds[] = {1, 2, 3, 4};

uint32_t fp32_bits(double v) {
  const auto f = static_cast<float>(v);
  uint32_t b = 0;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

LayerShape shape_of(std::size_t d, std::size_t heads, std::size_t hd, std::size_t ffn) {
  LayerShape s;
  s.kind = LayerKind::Encoder;
  s.d_model = d;
  s.heads = s.kv_heads = heads;
  s.head_dim = hd;
  s.ffn = ffn;
  s.norm = LayerNormKind::LayerNorm;
  s.act = LayerActivation::Gelu;
  s.eps = 1e-12f;
  return s;
}

// Weights ~ N(0, 1/fan_in), gamma ~ N(1, 0.1), beta and biases ~ N(0, 0.1).
LayerWeightsBf16 random_weights(const LayerShape& s, std::mt19937_64& rng) {
  const auto mat = [&rng](std::size_t r, std::size_t c, std::size_t fan_in) {
    Matrix<uint16_t> m(r, c);
    const double sd = 1 / std::sqrt(static_cast<double>(fan_in));
    for (std::size_t i = 0; i < r; ++i)
      for (std::size_t j = 0; j < c; ++j) m(i, j) = accuracy::random_bf16_normal(rng, 0, sd);
    return m;
  };
  const auto bias = [&rng](std::size_t n) {
    std::vector<uint32_t> b;
    for (std::size_t j = 0; j < n; ++j) b.push_back(fp32_bits(std::normal_distribution<double>(0, 0.1)(rng)));
    return b;
  };
  const auto row = [&rng](std::size_t n, double mean) {
    std::vector<uint16_t> v;
    for (std::size_t j = 0; j < n; ++j) v.push_back(accuracy::random_bf16_normal(rng, mean, 0.1));
    return v;
  };
  const std::size_t d = s.d_model, q = s.q_dim(), f = s.ffn;
  LayerWeightsBf16 w;
  w.wq = mat(d, q, d);
  w.wk = mat(d, q, d);
  w.wv = mat(d, q, d);
  w.wo = mat(q, d, q);
  w.w1 = mat(d, f, d);
  w.w2 = mat(f, d, f);
  w.bq = bias(q);
  w.bk = bias(q);
  w.bv = bias(q);
  w.bo = bias(d);
  w.b1 = bias(f);
  w.b2 = bias(d);
  w.gamma1 = row(d, 1);
  w.beta1 = row(d, 0);
  w.gamma2 = row(d, 1);
  w.beta2 = row(d, 0);
  return w;
}

Matrix<double> random_input(std::mt19937_64& rng, std::size_t t, std::size_t d) {
  Matrix<double> x(t, d);
  for (std::size_t r = 0; r < t; ++r)
    for (std::size_t c = 0; c < d; ++c) x(r, c) = std::normal_distribution<double>(0, 1)(rng);
  return x;
}

// A quantized layer with its int8 input, calibrated on a float64 run.
struct Case {
  LayerShape shape;
  QuantLayer ql;
  Matrix<int8_t> x_q;
};
Case make_case(const LayerShape& s, std::size_t t, uint64_t seed, bool pow2 = true) {
  std::mt19937_64 rng(seed);
  const LayerWeightsBf16 w = random_weights(s, rng);
  const Matrix<double> x = random_input(rng, t, s.d_model);
  const ActivationScalesInt8 scales = calibrate_encoder_int8(x, s, w);
  Case c{s, quantize_encoder_layer(w, s, scales, pow2), Matrix<int8_t>()};
  c.x_q = quantize_tensor_int8(x, c.ql.p.scales.x);
  return c;
}

struct Accuracy {
  double max_rel = 0;     // max |got - want| / RMS(want)
  double mean_cos = 0;    // mean cosine similarity of output rows
  double min_cos = 1;
};
Accuracy accuracy_of(const Matrix<double>& got, const Matrix<double>& want) {
  Accuracy a;
  double sq = 0, max_abs = 0;
  for (std::size_t r = 0; r < want.rows(); ++r) {
    double dot = 0, gg = 0, ww = 0;
    for (std::size_t c = 0; c < want.cols(); ++c) {
      max_abs = std::max(max_abs, std::fabs(got(r, c) - want(r, c)));
      sq += want(r, c) * want(r, c);
      dot += got(r, c) * want(r, c);
      gg += got(r, c) * got(r, c);
      ww += want(r, c) * want(r, c);
    }
    const double cos = dot / std::sqrt(gg * ww);
    a.mean_cos += cos / static_cast<double>(want.rows());
    a.min_cos = std::min(a.min_cos, cos);
  }
  a.max_rel = max_abs / std::sqrt(sq / static_cast<double>(want.rows() * want.cols()));
  return a;
}

template <class T>
Matrix<T> permute_rows(const Matrix<T>& m, const std::vector<std::size_t>& perm) {
  Matrix<T> y(m.rows(), m.cols());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(r, c) = m(perm[r], c);
  return y;
}

bool same(const Matrix<int8_t>& a, const Matrix<int8_t>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  return std::equal(a.data(), a.data() + a.rows() * a.cols(), b.data());
}

}  // namespace

// ---- accuracy against float64 ----------------------------------------------------
//
// The reference is encoder_layer_f64 on the dequantized weights (exact BF16
// with power-of-two weight scales) and the dequantized input, so only the
// integer pipeline's error is measured: int8 activations (Q/K/V, logits, P in
// 2^-8, O, residuals, norms), the base-2 integer softmax and i-GELU (erf
// polynomial vs the tanh form). Worst over seeds 1-20 (docs/numerics.md,
// "Transformer layers, INT8 (I-BERT)"): max error / RMS 0.086, mean row cosine
// 0.99973, lowest row cosine 0.99950. The bounds 0.2 / 0.999 / 0.998 leave a
// 2.3x margin on the error and still catch a dropped bias bo (0.39-0.45,
// mean cosine 0.9916-0.9922, rows down to 0.978).
TEST_CASE("layer int8: an INT8 encoder layer tracks float64 math on the same dequantized weights",
          "[layer][int8]") {
  struct Config {
    LayerShape shape;
    std::size_t t;
  };
  const Config configs[] = {{shape_of(40, 2, 20, 64), 7}, {shape_of(24, 3, 8, 40), 13}};
  for (const Config& cfg : configs)
    for (uint64_t seed : kSeeds) {
      const Case c = make_case(cfg.shape, cfg.t, seed);
      const Matrix<int8_t> y = encoder_layer_int8(c.x_q, c.shape, c.ql);
      const Matrix<double> want = encoder_layer_f64(dequantize_tensor_int8(c.x_q, c.ql.p.scales.x), c.shape,
                                                    dequantize_encoder_layer(c.ql, c.shape));
      const Accuracy a = accuracy_of(dequantize_tensor_int8(y, c.ql.p.scales.y), want);
      INFO(fmt::format("d {} T {} seed {}: max err / RMS {:.4f}, mean row cosine {:.5f}, min {:.5f}",
                       cfg.shape.d_model, cfg.t, seed, a.max_rel, a.mean_cos, a.min_cos));
      CHECK(a.max_rel < 0.2);
      CHECK(a.mean_cos > 0.999);
      CHECK(a.min_cos > 0.998);
    }
}

TEST_CASE("layer int8: the same inputs give the same bits twice", "[layer][int8]") {
  const Case a = make_case(shape_of(40, 2, 20, 64), 7, 5);
  const Case b = make_case(shape_of(40, 2, 20, 64), 7, 5);
  LayerTraceInt8 ta, tb;
  const Matrix<int8_t> ya = encoder_layer_int8(a.x_q, a.shape, a.ql, &ta);
  CHECK(same(ya, encoder_layer_int8(b.x_q, b.shape, b.ql, &tb)));
  CHECK(same(ya, encoder_layer_int8(a.x_q, a.shape, a.ql)));
  REQUIRE(ta.size() == tb.size());
  for (const auto& [name, m] : ta) {
    const Matrix<int32_t>& o = tb.at(name);
    INFO(name);
    CHECK((m.rows() == o.rows() && m.cols() == o.cols() && std::equal(m.data(), m.data() + m.rows() * m.cols(), o.data())));
  }
  for (const char* name : {"q", "k", "v", "s.h0", "l.h1", "p.h1", "attn", "a", "r1", "h1", "g", "f", "f2", "r2", "y"})
    CHECK(ta.count(name) == 1);
  // The trace's y is the output.
  const Matrix<int32_t>& ty = ta.at("y");
  bool equal = ty.rows() == ya.rows() && ty.cols() == ya.cols();
  for (std::size_t r = 0; equal && r < ya.rows(); ++r)
    for (std::size_t c = 0; c < ya.cols(); ++c) equal = equal && ty(r, c) == ya(r, c);
  CHECK(equal);
}

// Every step but attention is row-wise; in attention the softmax sum and the
// P V accumulation are integer sums (exact, order-free), so any permutation
// of the tokens permutes the output rows bit for bit.
TEST_CASE("layer int8: swapping tokens 0 and 1, or reversing all tokens, permutes the output rows bit for bit",
          "[layer][int8]") {
  for (uint64_t seed : kSeeds) {
    const Case c = make_case(shape_of(24, 3, 8, 40), 13, seed);
    const Matrix<int8_t> y = encoder_layer_int8(c.x_q, c.shape, c.ql);
    std::vector<std::size_t> swap(13), reverse(13);
    std::iota(swap.begin(), swap.end(), 0);
    std::swap(swap[0], swap[1]);
    for (std::size_t i = 0; i < 13; ++i) reverse[i] = 12 - i;
    for (const auto& perm : {swap, reverse})
      CHECK(same(encoder_layer_int8(permute_rows(c.x_q, perm), c.shape, c.ql), permute_rows(y, perm)));
  }
}

// The reference evaluates the a_unsigned GEMM (P uint8) as gemm_i8 of P - 128
// with C_init = 128 colsum(V); check it against the direct uint8 sum.
TEST_CASE("layer int8: P V through gemm_i8 of P - 128 equals the unsigned-A GEMM", "[layer][int8]") {
  std::mt19937_64 rng(7);
  const std::size_t m = 5, k = 9, n = 4;
  Matrix<int8_t> shifted(m, k), v(k, n);
  Matrix<int32_t> init(m, n), direct(m, n);
  std::vector<uint8_t> p(m * k);
  for (std::size_t i = 0; i < m * k; ++i) p[i] = static_cast<uint8_t>(rng() & 0xFF);
  for (std::size_t r = 0; r < k; ++r)
    for (std::size_t c = 0; c < n; ++c) v(r, c) = static_cast<int8_t>(rng() & 0xFF);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = 0; c < k; ++c) shifted(r, c) = static_cast<int8_t>(int{p[r * k + c]} - 128);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      int32_t colsum = 0, sum = 0;
      for (std::size_t j = 0; j < k; ++j) {
        colsum += v(j, c);
        sum += int32_t{p[r * k + j]} * v(j, c);
      }
      init(r, c) = 128 * colsum;
      direct(r, c) = sum;
    }
  const Matrix<int32_t> via = gemm_i8(shifted, v, &init);
  CHECK(std::equal(via.data(), via.data() + m * n, direct.data()));
}

TEST_CASE("layer int8: requant_params_for gives M from 2^30 to 2^31 - 1 with real = M 2^(s - 31)", "[layer][int8]") {
  for (double real : {0.6, 1.0 / 3, 1e-6, 0.999999999999, 3.5}) {
    const RequantParams p = requant_params_for(real);
    CHECK(p.multiplier >= (1 << 30));
    CHECK(std::fabs(std::ldexp(static_cast<double>(p.multiplier), p.shift - 31) / real - 1) < 1e-9);
  }
  CHECK(requant_params_for(0.0).multiplier == 0);
  CHECK(requant_params_for(1.0 - 1e-12).multiplier == (1 << 30));  // rounds to 2^31: 2^30 with s + 1
  CHECK(requant_params_for(1.0 - 1e-12).shift == 1);
  CHECK_THROWS_AS(requant_params_for(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(requant_params_for(1e-12), std::invalid_argument);  // shift < -31
}

TEST_CASE("layer int8: shape errors throw invalid_argument naming the tensor and both shapes", "[layer][int8]") {
  const Case c = make_case(shape_of(24, 3, 8, 40), 5, 3);
  CHECK_THROWS_WITH(encoder_layer_int8(Matrix<int8_t>(5, 23), c.shape, c.ql),
                    Contains("x is 5x23") && Contains("T x 24"));
  CHECK_THROWS_WITH(encoder_layer_int8(Matrix<int8_t>(0, 24), c.shape, c.ql), Contains("x is 0x24"));
  QuantLayer bad = c.ql;
  bad.w.o.w = Matrix<int8_t>(23, 24);
  CHECK_THROWS_WITH(encoder_layer_int8(c.x_q, c.shape, bad), Contains("o.w is 23x24") && Contains("expected 24x24"));
  bad = c.ql;
  bad.w.ffn1.rq.pop_back();
  CHECK_THROWS_WITH(encoder_layer_int8(c.x_q, c.shape, bad), Contains("ffn1.rq is of length 39") &&
                                                                 Contains("of length 40"));
  bad = c.ql;
  bad.w.norm2.beta.clear();
  CHECK_THROWS_WITH(encoder_layer_int8(c.x_q, c.shape, bad), Contains("norm2.beta"));
  LayerShape s = c.shape;
  s.act = LayerActivation::SwiGlu;
  CHECK_THROWS_AS(encoder_layer_int8(c.x_q, s, c.ql), std::invalid_argument);
  s = c.shape;
  s.kind = LayerKind::Decoder;
  CHECK_THROWS_AS(encoder_layer_int8(c.x_q, s, c.ql), std::invalid_argument);
}
