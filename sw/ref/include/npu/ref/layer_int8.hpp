// Direct reference of a BERT encoder layer on the INT8 path (I-BERT
// integer-only scheme): what a compiled command stream of the layer must
// produce, bit for bit. Written only from the op-level integer model (gemm_i8,
// requantize, softmax_i8, add_i8, layernorm_i32, the i-GELU table), never from a
// command stream. docs/numerics.md, "Transformer layers, INT8 (I-BERT)", lists
// every step and the accelerator operation it is.
//
// The host side (calibrate_encoder_int8, quantize_encoder_layer,
// dequantize_encoder_layer) turns real weights and per-tensor activation
// scales into the integer parameters; it uses doubles but is deterministic.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "npu/ref/layer.hpp"
#include "npu/ref/matrix.hpp"
#include "npu/ref/requant.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref {

// Real scale of every activation tensor (per tensor, symmetric, zero point 0):
// real value = code * scale. p (the softmax output) is fixed at 2^-8.
struct ActivationScalesInt8 {
  double x = 1, q = 1, k = 1, v = 1;
  double s = 1;   // int8 attention logits, 1/sqrt(head_dim) folded in
  double o = 1;   // attention output (heads concatenated)
  double a = 1;   // O Wo + bo
  double r1 = 1, h1 = 1;
  double g = 1;   // FFN pre-activation H1 W1 + b1 (the i-GELU input)
  double f = 1;   // i-GELU output
  double f2 = 1, r2 = 1, y = 1;
};

// One linear layer y = x W + b: W int8 (in x out) with a symmetric scale per
// output column, the bias in the accumulator scale s_in * w_scale[c] (empty =
// no bias; REQUANT then adds P1 = 0, the identity), and the REQUANT
// parameters per column for s_in * w_scale[c] / s_out.
struct QuantLinearInt8 {
  Matrix<int8_t> w;
  std::vector<double> w_scale;
  std::vector<int32_t> bias;
  std::vector<RequantParams> rq;
};

// LAYERNORM_I32 operands: gamma int8 in one scale gamma_scale, beta int32 in
// 2^-14 * gamma_scale, eps and the output requantization in p.
struct QuantNormInt8 {
  std::vector<int8_t> gamma;
  double gamma_scale = 1;
  std::vector<int32_t> beta;
  IntNormParams p{};
};

struct QuantLayerWeightsInt8 {
  QuantLinearInt8 q, k, v, o, ffn1, ffn2;
  QuantNormInt8 norm1, norm2;
};

// The per-tensor integer parameters of the non-weight steps.
struct QuantLayerParams {
  ActivationScalesInt8 scales;     // as used (s, g rounded to their Q.20 forms)
  RequantParams score_rq{};        // S_h (s_q s_k) -> int8 logits (s), all columns alike
  uint32_t softmax_scale_q20 = 1;  // SOFTMAX_I8 cfg0: round(s * log2(e) * 2^20)
  RequantParams pv_rq{};           // P V (2^-8 s_v) -> O (s_o)
  IntAddParams add1{}, add2{};     // R1 = X + A, R2 = H1 + F2
  uint32_t gelu_scale_q20 = 1;     // round(s_g * 2^20)
  std::array<int8_t, 256> gelu_table{};  // gelu_i8_table(gelu_scale_q20, 2^-20 / s_f)
};

struct QuantLayer {
  QuantLayerWeightsInt8 w;
  QuantLayerParams p;
};

// Integer intermediates by name ("q", "k", "v", "s.h<i>" (int32 scores),
// "l.h<i>" (int8 logits), "p.h<i>" (uint8), "attn", "a", "r1", "h1", "g",
// "f", "f2", "r2", "y"), widened to int32.
using LayerTraceInt8 = std::map<std::string, Matrix<int32_t>>;

// TFLite QuantizeMultiplier: real = M * 2^(s - 31) with M = round(m * 2^31),
// m = frexp mantissa in [0.5, 1), so M in [2^30, 2^31) (M = 2^31 after rounding
// becomes 2^30 with s + 1); real = 0 gives M = 0, s = 0. Throws
// std::invalid_argument if the real value is negative, not finite, or needs a
// shift outside [-31, 30].
RequantParams requant_params_for(double real_multiplier, int32_t zero_point = 0);

// Per-tensor scales max|t| / 127 of every intermediate of the textbook float64
// encoder layer (the one of encoder_layer_f64: exact softmax, GELU tanh form)
// on x and w. A tensor that is all zero gets scale 1.
ActivationScalesInt8 calibrate_encoder_int8(const Matrix<double>& x, const LayerShape& shape,
                                            const LayerWeightsBf16& w);

// Every integer parameter from the real (BF16) weights and the activation
// scales. Weight column c: scale w_c = max|W[:, c]| / 127 (pow2_weight_scales:
// the next power of two >= that, so that q * w_c is exactly a BF16 value), q =
// round half away from zero of W / w_c, clamped to [-127, 127]. Biases round
// half away from zero to int32 (saturating). shape must be an encoder with
// LayerNorm and GELU.
QuantLayer quantize_encoder_layer(const LayerWeightsBf16& w, const LayerShape& shape,
                                  const ActivationScalesInt8& scales, bool pow2_weight_scales = false);

// The real weights the integer layer represents: W = BF16(q * w_c) (exact with
// pow2 scales), biases FP32(b * s_in * w_c), gamma BF16(q * s_gamma), beta
// BF16(b * 2^-14 s_gamma). For comparing against encoder_layer_f64.
LayerWeightsBf16 dequantize_encoder_layer(const QuantLayer& ql, const LayerShape& shape);

// Per-tensor symmetric quantization, round half away from zero, clamped to
// [-127, 127]; and back.
Matrix<int8_t> quantize_tensor_int8(const Matrix<double>& x, double scale);
Matrix<double> dequantize_tensor_int8(const Matrix<int8_t>& x, double scale);

// x_q: T x d_model int8 in scale ql.p.scales.x. Returns Y int8 in scale
// ql.p.scales.y. Throws std::invalid_argument naming the tensor and both
// shapes when a shape does not fit.
Matrix<int8_t> encoder_layer_int8(const Matrix<int8_t>& x_q, const LayerShape& shape, const QuantLayer& ql,
                                  LayerTraceInt8* trace = nullptr);

}  // namespace npu::ref
