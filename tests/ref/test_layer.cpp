// Whole transformer layers on the BF16 path (docs/numerics.md, "Transformer
// layers, BF16"): accuracy against float64 math, the bit-exact invariances a
// compiled command stream can rely on (decode = prefill row, chunked prefill,
// GQA sharing, token swaps), the RoPE / scale constants and the argument checks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "npu/ref/fp.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/vec_accuracy.hpp"
#include "npu/ref/vector.hpp"

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

Matrix<uint16_t> random_bf16(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double sd) {
  Matrix<uint16_t> m(rows, cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) m(r, c) = accuracy::random_bf16_normal(rng, 0, sd);
  return m;
}

std::vector<uint16_t> random_bf16_row(std::mt19937_64& rng, std::size_t n, double mean, double sd) {
  std::vector<uint16_t> v;
  for (std::size_t j = 0; j < n; ++j) v.push_back(accuracy::random_bf16_normal(rng, mean, sd));
  return v;
}

std::vector<uint32_t> random_bias(std::mt19937_64& rng, std::size_t n, double sd) {
  std::vector<uint32_t> b;
  for (std::size_t j = 0; j < n; ++j) b.push_back(fp32_bits(std::normal_distribution<double>(0, sd)(rng)));
  return b;
}

// BERT-like: post-norm, LayerNorm, GELU, biases everywhere.
LayerShape encoder_shape() {
  LayerShape s;
  s.kind = LayerKind::Encoder;
  s.d_model = 40;
  s.heads = 2;
  s.kv_heads = 2;
  s.head_dim = 20;
  s.ffn = 64;
  s.norm = LayerNormKind::LayerNorm;
  s.act = LayerActivation::Gelu;
  s.eps = 1e-12f;
  return s;
}

// LLaMA-like: pre-norm, RMSNorm, SwiGLU, RoPE, 3 query heads on 1 KV head.
LayerShape decoder_shape() {
  LayerShape s;
  s.kind = LayerKind::Decoder;
  s.d_model = 48;
  s.heads = 3;
  s.kv_heads = 1;
  s.head_dim = 16;
  s.ffn = 80;
  s.norm = LayerNormKind::RmsNorm;
  s.act = LayerActivation::SwiGlu;
  s.eps = 1e-5f;
  s.rope = true;
  s.rope_theta = 10000.0;
  return s;
}

// Weights ~ N(0, 1/fan_in) so activations stay O(1); gamma ~ 1, beta ~ 0.
LayerWeightsBf16 random_weights(const LayerShape& s, std::mt19937_64& rng, bool biases) {
  const std::size_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn;
  const auto sd = [](std::size_t fan_in) { return 1 / std::sqrt(static_cast<double>(fan_in)); };
  LayerWeightsBf16 w;
  w.wq = random_bf16(rng, d, q, sd(d));
  w.wk = random_bf16(rng, d, kv, sd(d));
  w.wv = random_bf16(rng, d, kv, sd(d));
  w.wo = random_bf16(rng, q, d, sd(q));
  w.w1 = random_bf16(rng, d, f, sd(d));
  if (s.act == LayerActivation::SwiGlu) w.w3 = random_bf16(rng, d, f, sd(d));
  w.w2 = random_bf16(rng, f, d, sd(f));
  if (biases) {
    w.bq = random_bias(rng, q, 0.1);
    w.bk = random_bias(rng, kv, 0.1);
    w.bv = random_bias(rng, kv, 0.1);
    w.bo = random_bias(rng, d, 0.1);
    w.b1 = random_bias(rng, f, 0.1);
    w.b2 = random_bias(rng, d, 0.1);
  }
  w.gamma1 = random_bf16_row(rng, d, 1, 0.1);
  w.gamma2 = random_bf16_row(rng, d, 1, 0.1);
  if (s.norm == LayerNormKind::LayerNorm) {
    w.beta1 = random_bf16_row(rng, d, 0, 0.1);
    w.beta2 = random_bf16_row(rng, d, 0, 0.1);
  }
  return w;
}

template <class T>
Matrix<T> rows_of(const Matrix<T>& m, std::size_t r0, std::size_t n) {
  Matrix<T> y(n, m.cols());
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(r, c) = m(r0 + r, c);
  return y;
}

// Row r of the result is row perm[r] of m.
template <class T>
Matrix<T> permute_rows(const Matrix<T>& m, const std::vector<std::size_t>& perm) {
  Matrix<T> y(m.rows(), m.cols());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(r, c) = m(perm[r], c);
  return y;
}

bool same_bits(const Matrix<uint16_t>& a, const Matrix<uint16_t>& b) { return !first_mismatch(a, b, "").has_value(); }

// max |got - want| / RMS(want): BF16 outputs against float64.
struct Accuracy {
  double max_abs = 0;
  double rms = 0;
  double relative() const { return max_abs / rms; }
};
Accuracy accuracy_of(const Matrix<uint16_t>& got, const Matrix<double>& want) {
  Accuracy a;
  double sq = 0;
  const Matrix<double> g = bf16_to_f64(got);
  for (std::size_t r = 0; r < want.rows(); ++r)
    for (std::size_t c = 0; c < want.cols(); ++c) {
      a.max_abs = std::max(a.max_abs, std::fabs(g(r, c) - want(r, c)));
      sq += want(r, c) * want(r, c);
    }
  a.rms = std::sqrt(sq / static_cast<double>(want.rows() * want.cols()));
  return a;
}

}  // namespace

// ---- accuracy against float64 ----------------------------------------------------
//
// Bound: each BF16 rounding is a relative error of up to 2^-9, and a layer
// rounds every activation several times (Q/K/V, P, O, residuals, norms, FFN).
// The outputs reach 3-5 RMS, where half a BF16 ulp alone is 0.008-0.016 RMS.
// Measured worst over seeds 1-20 (docs/numerics.md, "Transformer layers,
// BF16"): 0.0217 for the encoder and both decoder variants, 0.018 for decode
// steps. 5e-2 leaves a 2.3x margin and still catches a missing bias (0.23) or
// a missing RoPE (0.55-1.5).

TEST_CASE("layer: a BF16 encoder layer is within 5e-2 of float64 math, relative to the output RMS", "[layer]") {
  const LayerShape s = encoder_shape();
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const LayerWeightsBf16 w = random_weights(s, rng, true);
    const Matrix<uint16_t> x = random_bf16(rng, 7, s.d_model, 1.0);
    const Accuracy a = accuracy_of(encoder_layer_bf16(x, s, w), encoder_layer_f64(bf16_to_f64(x), s, w));
    CAPTURE(a.max_abs, a.rms, a.relative());
    CHECK(a.relative() < 5e-2);
  }
}

TEST_CASE("layer: a BF16 decoder layer (prefill, then decode steps) is within 5e-2 of float64 math, relative to the "
          "output RMS",
          "[layer]") {
  struct Variant {
    const char* name;
    LayerShape shape;
    bool biases;
  };
  LayerShape gpt = decoder_shape();  // LayerNorm + GELU + biases, RoPE with q/k biases (Qwen-like)
  gpt.norm = LayerNormKind::LayerNorm;
  gpt.act = LayerActivation::Gelu;
  const Variant variants[] = {{"llama", decoder_shape(), false}, {"layernorm-gelu-biases", gpt, true}};
  for (const Variant& v : variants) {
    const LayerShape& s = v.shape;
    for (uint64_t seed : kSeeds) {
      CAPTURE(v.name, seed);
      std::mt19937_64 rng(seed);
      const LayerWeightsBf16 w = random_weights(s, rng, v.biases);
      const Matrix<uint16_t> x = random_bf16(rng, 9 + 3, s.d_model, 1.0);
      KvCache cache;
      KvCacheF64 cache64;
      // 9 tokens of prefill, then 3 decode steps.
      Accuracy a = accuracy_of(decoder_layer_bf16(rows_of(x, 0, 9), s, w, cache),
                               decoder_layer_f64(bf16_to_f64(rows_of(x, 0, 9)), s, w, cache64));
      CAPTURE(a.max_abs, a.rms, a.relative());
      CHECK(a.relative() < 5e-2);
      for (std::size_t t = 9; t < x.rows(); ++t) {
        CAPTURE(t);
        a = accuracy_of(decoder_layer_bf16(rows_of(x, t, 1), s, w, cache),
                        decoder_layer_f64(bf16_to_f64(rows_of(x, t, 1)), s, w, cache64));
        CAPTURE(a.max_abs, a.rms, a.relative());
        CHECK(a.relative() < 5e-2);
      }
      CHECK(cache.length() == 12);
      CHECK(cache64.length() == 12);
    }
  }
}

// ---- bit-exact invariances --------------------------------------------------------

TEST_CASE("layer: a BF16 decode step reproduces row t of a prefill of t+1 tokens bit for bit, and the caches agree",
          "[layer]") {
  const LayerShape s = decoder_shape();
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const LayerWeightsBf16 w = random_weights(s, rng, false);
    const Matrix<uint16_t> x = random_bf16(rng, 9, s.d_model, 1.0);
    KvCache full_cache;
    const Matrix<uint16_t> full = decoder_layer_bf16(x, s, w, full_cache);

    KvCache cache;
    const std::size_t prefill = 4;
    const Matrix<uint16_t> head = decoder_layer_bf16(rows_of(x, 0, prefill), s, w, cache);
    const auto bad_prefill = first_mismatch(head, rows_of(full, 0, prefill), "y(prefill)");
    CHECK_FALSE(bad_prefill);
    if (bad_prefill) FAIL_CHECK(*bad_prefill);
    for (std::size_t t = prefill; t < x.rows(); ++t) {
      CAPTURE(t);
      const Matrix<uint16_t> y = decoder_layer_bf16(rows_of(x, t, 1), s, w, cache);
      KvCache short_cache;
      const Matrix<uint16_t> upto_t = decoder_layer_bf16(rows_of(x, 0, t + 1), s, w, short_cache);
      for (const auto& bad : {first_mismatch(y, rows_of(upto_t, t, 1), "y(decode) vs prefill of t+1 tokens"),
                              first_mismatch(y, rows_of(full, t, 1), "y(decode) vs prefill of all tokens")})
        if (bad) FAIL_CHECK(*bad);
    }
    REQUIRE(cache.k.size() == full_cache.k.size());
    for (std::size_t g = 0; g < cache.k.size(); ++g) {
      CAPTURE(g);
      const auto bad_k = first_mismatch(cache.k[g], full_cache.k[g], "cache.k");
      const auto bad_v = first_mismatch(cache.v[g], full_cache.v[g], "cache.v");
      if (bad_k) FAIL_CHECK(*bad_k);
      if (bad_v) FAIL_CHECK(*bad_v);
    }
  }
}

TEST_CASE("layer: a BF16 prefill in two chunks equals one prefill of all tokens bit for bit", "[layer]") {
  LayerShape s = decoder_shape();
  s.kv_heads = 3;  // plain multi-head attention this time
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const LayerWeightsBf16 w = random_weights(s, rng, true);
    const Matrix<uint16_t> x = random_bf16(rng, 9, s.d_model, 1.0);
    KvCache full_cache, cache;
    const Matrix<uint16_t> full = decoder_layer_bf16(x, s, w, full_cache);
    const Matrix<uint16_t> first = decoder_layer_bf16(rows_of(x, 0, 5), s, w, cache);
    const Matrix<uint16_t> second = decoder_layer_bf16(rows_of(x, 5, 4), s, w, cache);
    for (const auto& bad : {first_mismatch(first, rows_of(full, 0, 5), "y(chunk 0)"),
                            first_mismatch(second, rows_of(full, 5, 4), "y(chunk 1)")})
      if (bad) FAIL_CHECK(*bad);
    for (std::size_t g = 0; g < s.kv_heads; ++g) {
      CHECK(same_bits(cache.k[g], full_cache.k[g]));
      CHECK(same_bits(cache.v[g], full_cache.v[g]));
    }
  }
}

TEST_CASE("layer: grouped-query attention equals multi-head attention over copies of K/V head h / (heads / "
          "kv_heads), bit for bit",
          "[layer]") {
  LayerShape gqa_4_2 = decoder_shape();  // 4 query heads of 12 on 2 KV heads: heads 0, 1 -> 0 and 2, 3 -> 1
  gqa_4_2.heads = 4;
  gqa_4_2.kv_heads = 2;
  gqa_4_2.head_dim = 12;
  for (const LayerShape& grouped : {decoder_shape(), gqa_4_2}) {
    LayerShape mha = grouped;
    mha.kv_heads = grouped.heads;
    const std::size_t hd = grouped.head_dim;
    for (uint64_t seed : kSeeds) {
      CAPTURE(grouped.heads, grouped.kv_heads, seed);
      std::mt19937_64 rng(seed);
      const LayerWeightsBf16 wg = random_weights(grouped, rng, true);
      LayerWeightsBf16 wm = wg;  // K/V head h of the MHA layer: a copy of grouped KV head h / group
      wm.wk = Matrix<uint16_t>(grouped.d_model, mha.kv_dim());
      wm.wv = Matrix<uint16_t>(grouped.d_model, mha.kv_dim());
      wm.bk.clear();
      wm.bv.clear();
      for (std::size_t h = 0; h < grouped.heads; ++h) {
        const std::size_t g = h / grouped.group();
        for (std::size_t c = 0; c < hd; ++c) {
          for (std::size_t r = 0; r < grouped.d_model; ++r) {
            wm.wk(r, h * hd + c) = wg.wk(r, g * hd + c);
            wm.wv(r, h * hd + c) = wg.wv(r, g * hd + c);
          }
          wm.bk.push_back(wg.bk[g * hd + c]);
          wm.bv.push_back(wg.bv[g * hd + c]);
        }
      }
      const Matrix<uint16_t> x = random_bf16(rng, 8, grouped.d_model, 1.0);
      KvCache cg, cm;
      // A prefill of 7 tokens and a decode step.
      const std::pair<std::size_t, std::size_t> steps[] = {{0, 7}, {7, 1}};
      for (const auto& [r0, n] : steps) {
        CAPTURE(r0);
        const auto bad = first_mismatch(decoder_layer_bf16(rows_of(x, r0, n), mha, wm, cm),
                                        decoder_layer_bf16(rows_of(x, r0, n), grouped, wg, cg), "y");
        if (bad) FAIL_CHECK(*bad);
      }
      REQUIRE(cm.k.size() == grouped.heads);
      for (std::size_t h = 0; h < grouped.heads; ++h) {
        CHECK(same_bits(cm.k[h], cg.k[h / grouped.group()]));
        CHECK(same_bits(cm.v[h], cg.v[h / grouped.group()]));
      }
    }
  }
}

TEST_CASE("layer: swapping an encoder's first two tokens swaps its output rows bit for bit", "[layer]") {
  // Exact because the only cross-token steps are reductions over keys (the
  // softmax sum16 and the P V accumulation), and with T <= 16 tokens 0 and 1
  // meet in the first, commutative, addition of both.
  const LayerShape s = encoder_shape();
  std::vector<std::size_t> swap01(7);
  std::iota(swap01.begin(), swap01.end(), 0);
  std::swap(swap01[0], swap01[1]);
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const LayerWeightsBf16 w = random_weights(s, rng, true);
    const Matrix<uint16_t> x = random_bf16(rng, 7, s.d_model, 1.0);
    const auto bad = first_mismatch(encoder_layer_bf16(permute_rows(x, swap01), s, w),
                                    permute_rows(encoder_layer_bf16(x, s, w), swap01), "y");
    if (bad) FAIL_CHECK(*bad);
  }
}

TEST_CASE("layer: permuting an encoder's tokens permutes its output rows to within rounding", "[layer]") {
  // Attention without a mask is permutation-equivariant in exact arithmetic,
  // but the contract fixes the key order of the softmax sum (sum16) and of the
  // P V accumulation (k = 0..T-1), so a general permutation may change the
  // roundings. Row-wise steps (projections, norms, FFN) are exactly
  // equivariant, so the difference stays at the BF16 rounding level (for
  // T = 7 it is usually none; T = 200 reversed shows 1-2 ulp differences).
  const LayerShape s = encoder_shape();
  const std::vector<std::size_t> perm = {6, 2, 4, 0, 5, 1, 3};
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const LayerWeightsBf16 w = random_weights(s, rng, true);
    const Matrix<uint16_t> x = random_bf16(rng, 7, s.d_model, 1.0);
    const Matrix<uint16_t> permuted = encoder_layer_bf16(permute_rows(x, perm), s, w);
    const Accuracy a = accuracy_of(permuted, bf16_to_f64(permute_rows(encoder_layer_bf16(x, s, w), perm)));
    CAPTURE(a.max_abs, a.rms);
    CHECK(a.relative() < 5e-2);
  }
}

TEST_CASE("layer: the trace holds the named BF16 intermediates and the output", "[layer]") {
  const LayerShape s = decoder_shape();
  std::mt19937_64 rng(kSeeds[0]);
  const LayerWeightsBf16 w = random_weights(s, rng, false);
  const Matrix<uint16_t> x = random_bf16(rng, 3, s.d_model, 1.0);
  KvCache cache;
  LayerTrace trace;
  const Matrix<uint16_t> y = decoder_layer_bf16(x, s, w, cache, &trace);
  for (const char* name : {"n1", "q", "k", "v", "p.h0", "p.h2", "attn", "r1", "n2", "f", "y"}) {
    CAPTURE(name);
    CHECK(trace.count(name) == 1);
  }
  CHECK(same_bits(trace.at("y"), y));
  CHECK(same_bits(trace.at("k"), cache.k[0]));
  CHECK(trace.at("p.h1").cols() == 3);
  // Causal: row 0 of every head attends to position 0 only, with weight 1.0.
  CHECK(trace.at("p.h1")(0, 0) == 0x3F80);
  CHECK(trace.at("p.h1")(0, 1) == 0x0000);
}

// ---- the SwiGLU gate bias ------------------------------------------------------------

TEST_CASE("layer: a SwiGLU gate bias applied by CVT_BF16 equals swiglu(add(gate, b1), up) bit for bit", "[layer]") {
  // SWIGLU_BF16 has no bias; the layer applies b1 with CVT_BF16 into ASPAD and
  // runs SWIGLU_BF16 from there. docs/numerics.md states this equals the fused
  // form because swiglu rounds its gate to BF16 first; checked here.
  std::mt19937_64 rng(kSeeds[0]);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t gate = bits(rng), bias = bits(rng), up = bits(rng);
    CAPTURE(gate, bias, up);
    REQUIRE(swiglu_f32(bf16_to_fp32(cvt_f32(gate, 0x3F800000u, bias)), up) == swiglu_f32(fp32_add(gate, bias), up));
  }
}

// ---- constants ---------------------------------------------------------------------

TEST_CASE("layer: rope_table_bf16 holds cos 1 and sin 0 at position 0 and RNE BF16 cos/sin elsewhere", "[layer]") {
  const std::vector<uint16_t> at0 = rope_table_bf16(0, 16, 10000.0);
  REQUIRE(at0.size() == 16);
  for (std::size_t i = 0; i < 8; ++i) {
    CAPTURE(i);
    CHECK(at0[i] == 0x3F80);      // cos 0 = 1
    CHECK(at0[8 + i] == 0x0000);  // sin 0 = +0
  }
  // By hand, pos 1, head_dim 16, theta 10^4: i = 0 has angle 1,
  // cos 1 = 0.54030 -> 138/256 (0x3F0A), sin 1 = 0.84147 -> 215/256 (0x3F57);
  // i = 1 has angle 10^4^(-1/8) = 0.316228, cos = 0.950415 -> 243/256
  // (0x3F73), sin = 0.310984 -> 159/512 (0x3E9F).
  const std::vector<uint16_t> at1 = rope_table_bf16(1, 16, 10000.0);
  CHECK(at1[0] == 0x3F0A);
  CHECK(at1[8] == 0x3F57);
  CHECK(at1[1] == 0x3F73);
  CHECK(at1[9] == 0x3E9F);
  // Everywhere: the correctly rounded BF16 of long-double cos/sin (an
  // independent rounding routine) of the same double angle.
  for (std::size_t pos : {1u, 2u, 17u, 100u, 4095u}) {
    for (std::size_t hd : {2u, 16u, 64u, 128u}) {
      const std::vector<uint16_t> cs = rope_table_bf16(pos, hd, 500000.0);
      for (std::size_t i = 0; i < hd / 2; ++i) {
        const double angle = static_cast<double>(pos) * std::pow(500000.0, -2.0 * i / static_cast<double>(hd));
        CAPTURE(pos, hd, i);
        CHECK(cs[i] == accuracy::to_bf16(std::cos(angle)));
        CHECK(cs[hd / 2 + i] == accuracy::to_bf16(std::sin(angle)));
      }
    }
  }
  CHECK_THROWS_AS(rope_table_bf16(0, 15, 10000.0), std::invalid_argument);
  CHECK_THROWS_AS(rope_table_bf16(0, 16, 0.0), std::invalid_argument);
}

TEST_CASE("layer: attention_scale_fp32 is the FP32 nearest to 1/sqrt(head_dim)", "[layer]") {
  CHECK(attention_scale_fp32(1) == 0x3F800000u);
  CHECK(attention_scale_fp32(16) == 0x3E800000u);   // 0.25
  CHECK(attention_scale_fp32(64) == 0x3E000000u);   // 0.125
  CHECK(attention_scale_fp32(128) == 0x3DB504F3u);  // 0.08838834...
  for (std::size_t n = 1; n <= 4096; ++n) {
    CAPTURE(n);
    const uint32_t b = attention_scale_fp32(n);
    const long double exact = 1 / std::sqrt(static_cast<long double>(n));
    const auto value = [](uint32_t f) { return static_cast<long double>(accuracy::fp32_value(f)); };
    // Strictly closer than both neighbours.
    CHECK(std::fabs(value(b) - exact) < std::fabs(value(b + 1) - exact));
    CHECK(std::fabs(value(b) - exact) < std::fabs(value(b - 1) - exact));
  }
  CHECK_THROWS_AS(attention_scale_fp32(0), std::invalid_argument);
}

TEST_CASE("layer: double_to_bf16 rounds to nearest even with the contract's FTZ and overflow", "[layer]") {
  CHECK(double_to_bf16(1.0) == 0x3F80);
  CHECK(double_to_bf16(-0.0) == 0x8000);
  CHECK(double_to_bf16(1.0 + 0x1p-8) == 0x3F80);           // tie -> even
  CHECK(double_to_bf16(1.0 + 3 * 0x1p-8) == 0x3F82);       // tie -> even (up)
  CHECK(double_to_bf16(1.0 + 0x1p-8 + 0x1p-40) == 0x3F81); // above the tie
  CHECK(double_to_bf16(0x1p-126) == 0x0080);
  CHECK(double_to_bf16(0x1p-126 * (1 - 0x1p-10)) == 0x0080);  // rounds up to the smallest normal
  CHECK(double_to_bf16(-0x1p-127) == 0x8000);                  // flushed, sign kept
  CHECK(double_to_bf16(0x1.ffp127) == 0x7F80);                 // rounds past the largest finite
  CHECK(double_to_bf16(-INFINITY) == 0xFF80);
  CHECK(double_to_bf16(std::nan("")) == kBf16CanonicalNan);
  std::mt19937_64 rng(kSeeds[0]);
  std::uniform_real_distribution<double> exponent(-140, 140);
  for (int i = 0; i < 100000; ++i) {
    const double v = (rng() % 2 ? -1 : 1) * std::exp2(exponent(rng));
    CAPTURE(v);
    CHECK(double_to_bf16(v) == accuracy::to_bf16(v));
  }
}

// ---- argument checks and the mismatch report --------------------------------------

TEST_CASE("layer: shape errors throw invalid_argument naming the tensor and both shapes", "[layer]") {
  std::mt19937_64 rng(kSeeds[0]);
  const LayerShape enc = encoder_shape(), dec = decoder_shape();
  const LayerWeightsBf16 we = random_weights(enc, rng, true), wd = random_weights(dec, rng, false);
  const Matrix<uint16_t> xe = random_bf16(rng, 3, enc.d_model, 1.0), xd = random_bf16(rng, 3, dec.d_model, 1.0);
  {
    LayerWeightsBf16 w = we;
    w.wq = Matrix<uint16_t>(40, 32);
    CHECK_THROWS_WITH(encoder_layer_bf16(xe, enc, w), Contains("Wq") && Contains("40x32") && Contains("40x40"));
    CHECK_THROWS_AS(encoder_layer_f64(bf16_to_f64(xe), enc, w), std::invalid_argument);
  }
  {
    LayerWeightsBf16 w = wd;
    w.w3 = Matrix<uint16_t>(80, 48);  // transposed
    KvCache cache;
    CHECK_THROWS_WITH(decoder_layer_bf16(xd, dec, w, cache), Contains("W3") && Contains("80x48") && Contains("48x80"));
    CHECK(cache.length() == 0);
  }
  {
    LayerWeightsBf16 w = we;
    w.b1.resize(63);
    CHECK_THROWS_WITH(encoder_layer_bf16(xe, enc, w), Contains("b1") && Contains("63") && Contains("64"));
  }
  {
    LayerWeightsBf16 w = wd;
    w.beta1 = std::vector<uint16_t>(48, 0);  // RMSNorm has no beta
    KvCache cache;
    CHECK_THROWS_WITH(decoder_layer_bf16(xd, dec, w, cache), Contains("beta1"));
  }
  CHECK_THROWS_WITH(encoder_layer_bf16(Matrix<uint16_t>(3, 41), enc, we), Contains("x is 3x41") && Contains("3x40"));
  {
    KvCache cache;
    decoder_layer_bf16(xd, dec, wd, cache);
    cache.v[0] = Matrix<uint16_t>(2, 16);
    CHECK_THROWS_WITH(decoder_layer_bf16(rows_of(xd, 0, 1), dec, wd, cache),
                      Contains("cache.v[0]") && Contains("2x16") && Contains("3x16"));
    KvCache two_heads;
    two_heads.k.resize(2);
    two_heads.v.resize(2);
    CHECK_THROWS_WITH(decoder_layer_bf16(xd, dec, wd, two_heads), Contains("cache"));
  }
  {
    LayerShape s = dec;
    s.kv_heads = 2;  // does not divide 3 heads
    KvCache cache;
    CHECK_THROWS_WITH(decoder_layer_bf16(xd, s, wd, cache), Contains("kv_heads"));
  }
  KvCache cache;
  CHECK_THROWS_WITH(decoder_layer_bf16(xe, enc, we, cache), Contains("Decoder"));
  CHECK_THROWS_WITH(encoder_layer_bf16(xd, dec, wd), Contains("Encoder"));
  CHECK_THROWS_AS(encoder_layer_bf16(Matrix<uint16_t>(0, 40), enc, we), std::invalid_argument);
}

TEST_CASE("layer: first_mismatch reports the first differing element by row and column", "[layer]") {
  Matrix<uint16_t> want(3, 4, 0x3F80);
  Matrix<uint16_t> got = want;
  CHECK_FALSE(first_mismatch(got, want, "q").has_value());
  got(2, 0) = 0x4000;
  got(1, 3) = 0x3F81;
  CHECK(first_mismatch(got, want, "q") == std::optional<std::string>("tensor q row 1 col 3: got 0x3F81 want 0x3F80"));
  CHECK(first_mismatch(Matrix<uint16_t>(2, 4), want, "r1") ==
        std::optional<std::string>("tensor r1: got shape 2x4 want 3x4"));
}
