// Direct reference of whole transformer layers on the BF16 path: what a
// compiled command stream of one encoder (BERT, post-norm) or decoder (LLaMA,
// pre-norm, causal, grouped-query) layer must produce, bit for bit. Written
// from the op-level model (gemm_bf16 and the vector.hpp functions), never from
// a command stream. docs/numerics.md, "Transformer layers, BF16", states every
// step and the accelerator operation it corresponds to.
//
// The *_f64 functions are the textbook layer in double (no BF16 rounding, GELU
// tanh form, exact softmax, exact cos/sin): the yardstick for accuracy, not
// part of the contract.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "npu/ref/matrix.hpp"

namespace npu::ref {

enum class LayerKind { Encoder, Decoder };
enum class LayerNormKind { LayerNorm, RmsNorm };
enum class LayerActivation { Gelu, SwiGlu };

struct LayerShape {
  LayerKind kind = LayerKind::Encoder;
  std::size_t d_model = 0;
  std::size_t heads = 0;
  std::size_t kv_heads = 0;  // divides heads: query head h reads K/V head h / (heads / kv_heads)
  std::size_t head_dim = 0;
  std::size_t ffn = 0;       // hidden width (of each branch for SwiGLU)
  LayerNormKind norm = LayerNormKind::LayerNorm;
  LayerActivation act = LayerActivation::Gelu;
  float eps = 1e-5f;         // used as its FP32 bit pattern
  bool rope = false;         // decoder only
  double rope_theta = 10000.0;

  std::size_t q_dim() const { return heads * head_dim; }
  std::size_t kv_dim() const { return kv_heads * head_dim; }
  std::size_t group() const { return heads / kv_heads; }
  // Multiply-accumulates of the layer's matmuls over T rows attending T positions: the
  // Q, K, V and output projections, Q K^T and P V per head, the FFN (3 matrices for SwiGLU).
  std::uint64_t macs(std::uint64_t T) const {
    const std::uint64_t d = d_model, q = q_dim(), kv = kv_dim(), branches = act == LayerActivation::SwiGlu ? 3 : 2;
    return T * d * (q + 2 * kv) + heads * 2 * T * T * head_dim + T * q * d + branches * T * d * ffn;
  }
};

// Weights as BF16 bit patterns (row-major, input dimension first: y = x W),
// biases as FP32 bit patterns. An empty bias vector means "no bias" (not a
// zero bias: adding +0 would turn a -0 into +0).
struct LayerWeightsBf16 {
  Matrix<uint16_t> wq;  // d_model x q_dim
  Matrix<uint16_t> wk;  // d_model x kv_dim
  Matrix<uint16_t> wv;  // d_model x kv_dim
  Matrix<uint16_t> wo;  // q_dim x d_model
  Matrix<uint16_t> w1;  // d_model x ffn (the gate for SwiGLU)
  Matrix<uint16_t> w3;  // d_model x ffn (the up branch, SwiGLU only; else 0x0)
  Matrix<uint16_t> w2;  // ffn x d_model
  std::vector<uint32_t> bq, bk, bv, bo, b1, b2;  // q_dim, kv_dim, kv_dim, d_model, ffn, d_model
  // Norm 1 (before attention in a decoder, after it in an encoder) and norm 2.
  // beta: d_model for LayerNorm, empty for RMSNorm.
  std::vector<uint16_t> gamma1, beta1, gamma2, beta2;
};

// K (after RoPE) and V rows of every cached position, per KV head: k[g] and
// v[g] are L x head_dim. A default-constructed cache is empty (L = 0); the
// decoder layer sizes it on its first call and appends T rows per call.
struct KvCache {
  std::vector<Matrix<uint16_t>> k, v;
  std::size_t length() const { return k.empty() ? 0 : k.front().rows(); }
};
struct KvCacheF64 {
  std::vector<Matrix<double>> k, v;
  std::size_t length() const { return k.empty() ? 0 : k.front().rows(); }
};

// Optional record of the BF16 intermediates of one call, by name ("q", "k",
// "v", "p.h<i>", "attn", "r1", ... see layer.cpp), to localise a mismatch
// with first_mismatch().
using LayerTrace = std::map<std::string, Matrix<uint16_t>>;

// x: T x d_model BF16, one row per token. Throw std::invalid_argument naming
// the tensor and both shapes when a shape does not fit.
Matrix<uint16_t> encoder_layer_bf16(const Matrix<uint16_t>& x, const LayerShape& shape,
                                    const LayerWeightsBf16& w, LayerTrace* trace = nullptr);
// Row t of x is the token at position cache.length() + t (prefill: empty
// cache, T tokens; decode: T = 1). Appends the T new K/V rows to `cache`.
Matrix<uint16_t> decoder_layer_bf16(const Matrix<uint16_t>& x, const LayerShape& shape,
                                    const LayerWeightsBf16& w, KvCache& cache, LayerTrace* trace = nullptr);

Matrix<double> encoder_layer_f64(const Matrix<double>& x, const LayerShape& shape, const LayerWeightsBf16& w);
Matrix<double> decoder_layer_f64(const Matrix<double>& x, const LayerShape& shape, const LayerWeightsBf16& w,
                                 KvCacheF64& cache);

// The constants a command stream needs, computed exactly as the layer does.
// cs row of ROPE_BF16 at position pos: element i < head_dim/2 is the RNE BF16
// of cos(pos * theta^(-2i/head_dim)) (evaluated in double), element
// head_dim/2 + i the sin.
std::vector<uint16_t> rope_table_bf16(std::size_t pos, std::size_t head_dim, double theta);
// FP32 nearest to 1/sqrt(head_dim) (decided exactly, no double rounding).
uint32_t attention_scale_fp32(std::size_t head_dim);
// RNE BF16 of a double with the contract's FTZ (below 2^-126 -> signed zero),
// overflow to Inf and canonical NaN.
uint16_t double_to_bf16(double v);

// BF16 matrix as doubles (DAZ, NaN stays NaN): the f64 layer's input.
Matrix<double> bf16_to_f64(const Matrix<uint16_t>& m);

// "tensor <name> row r col c: got 0x.... want 0x...." for the first differing
// element in row-major order, a shape message if the shapes differ, nullopt
// if equal.
std::optional<std::string> first_mismatch(const Matrix<uint16_t>& got, const Matrix<uint16_t>& want,
                                          std::string_view tensor);
std::optional<std::string> first_mismatch(const Matrix<int8_t>& got, const Matrix<int8_t>& want,
                                          std::string_view tensor);

}  // namespace npu::ref
