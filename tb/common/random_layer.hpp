// Random BF16 layer weights and inputs for layer tests (tests/compiler and
// tb/top): weights ~ N(0, 1/fan_in), inputs ~ N(0, 1), gamma ~ N(1, 0.1),
// beta and biases ~ N(0, 0.1) (the accuracy setup of docs/numerics.md).
#pragma once

#include "npu/ref/layer.hpp"
#include "npu/ref/matrix.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace npu::tb {

class LayerRand {
 public:
  explicit LayerRand(std::uint64_t seed) : rng_(seed) {}
  ref::Matrix<std::uint16_t> matrix(std::size_t r, std::size_t c, double mean, double sd) {
    std::normal_distribution<double> n(mean, sd);
    ref::Matrix<std::uint16_t> m(r, c);
    for (std::size_t i = 0; i < r; ++i)
      for (std::size_t j = 0; j < c; ++j) m(i, j) = ref::double_to_bf16(n(rng_));
    return m;
  }
  std::vector<std::uint16_t> bf16s(std::size_t n, double mean, double sd) {
    const ref::Matrix<std::uint16_t> m = matrix(1, n, mean, sd);
    return std::vector<std::uint16_t>(m.data(), m.data() + n);
  }
  std::vector<std::uint32_t> fp32s(std::size_t n, double sd) {
    std::normal_distribution<double> d(0, sd);
    std::vector<std::uint32_t> v(n);
    for (auto& x : v) {
      const auto f = static_cast<float>(d(rng_));
      std::memcpy(&x, &f, sizeof x);
    }
    return v;
  }

 private:
  std::mt19937_64 rng_;
};

// A KV cache of `positions` random K and V rows per KV head (values as LayerRand::matrix).
inline ref::KvCache random_cache(const ref::LayerShape& s, LayerRand& r, std::size_t positions) {
  ref::KvCache c;
  for (std::size_t g = 0; g < s.kv_heads; ++g) {
    c.k.push_back(r.matrix(positions, s.head_dim, 0, 1));
    c.v.push_back(r.matrix(positions, s.head_dim, 0, 1));
  }
  return c;
}

inline ref::LayerWeightsBf16 random_weights(const ref::LayerShape& s, LayerRand& r, bool biases) {
  const std::size_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn;
  const auto sd = [](std::size_t fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); };
  ref::LayerWeightsBf16 w;
  w.wq = r.matrix(d, q, 0, sd(d));
  w.wk = r.matrix(d, kv, 0, sd(d));
  w.wv = r.matrix(d, kv, 0, sd(d));
  w.wo = r.matrix(q, d, 0, sd(q));
  w.w1 = r.matrix(d, f, 0, sd(d));
  w.w2 = r.matrix(f, d, 0, sd(f));
  if (s.act == ref::LayerActivation::SwiGlu) w.w3 = r.matrix(d, f, 0, sd(d));  // the up branch
  if (biases) {
    w.bq = r.fp32s(q, 0.1), w.bk = r.fp32s(kv, 0.1), w.bv = r.fp32s(kv, 0.1);
    w.bo = r.fp32s(d, 0.1), w.b1 = r.fp32s(f, 0.1), w.b2 = r.fp32s(d, 0.1);
  }
  w.gamma1 = r.bf16s(d, 1, 0.1), w.gamma2 = r.bf16s(d, 1, 0.1);
  if (s.norm == ref::LayerNormKind::LayerNorm) w.beta1 = r.bf16s(d, 0, 0.1), w.beta2 = r.bf16s(d, 0, 0.1);
  return w;
}

}  // namespace npu::tb
