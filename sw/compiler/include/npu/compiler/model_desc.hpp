// Model descriptions: the shape of one transformer layer stack, read from a
// flat YAML file (models/*.yaml, schema in models/README.md) and validated so
// that the layer compiler can trust every field.
#pragma once

#include "npu/compiler/gemm.hpp"  // DType (Int8, Bf16), shared with the GEMM lowering

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace npu::compiler {

// Encoder: post-norm (BERT: x = norm(x + f(x))). Decoder: pre-norm with
// causal attention (LLaMA: x = x + f(norm(x))).
enum class LayerKind { Encoder, Decoder };
enum class Activation { Gelu, SwiGlu };
enum class NormKind { LayerNorm, RmsNorm };
enum class PosKind { None, Learned, Rope };

// The spelling used in model files ("encoder", "swiglu", "rmsnorm", ...).
std::string_view to_string(LayerKind v);
std::string_view to_string(Activation v);
std::string_view to_string(NormKind v);
std::string_view to_string(PosKind v);
std::string_view to_string(DType v);

// The inverse of to_string: exact, lower-case; nullopt for anything else.
std::optional<LayerKind> parse_layer_kind(std::string_view s);
std::optional<Activation> parse_activation(std::string_view s);
std::optional<NormKind> parse_norm_kind(std::string_view s);
std::optional<PosKind> parse_pos_kind(std::string_view s);
std::optional<DType> parse_dtype(std::string_view s);

struct ModelDesc {
  std::string name;
  LayerKind kind = LayerKind::Encoder;
  int d_model = 0;
  int heads = 0;
  int kv_heads = 0;   // heads / group query heads share one K/V head
  int head_dim = 0;   // heads * head_dim == d_model (checked)
  int ffn = 0;        // FFN hidden width (per branch for SwiGLU)
  Activation act = Activation::Gelu;
  NormKind norm = NormKind::LayerNorm;
  double eps = 0.0;
  PosKind pos = PosKind::None;
  double rope_theta = 0.0;  // 0 unless pos == Rope
  DType dtype = DType::Int8;
  int seq_len = 0;
  int layers = 0;
  int vocab = 0;    // 0: not given (the layer compiler does not need it)
  int max_pos = 0;  // 0: not given; otherwise seq_len <= max_pos

  int q_dim() const { return heads * head_dim; }
  int kv_dim() const { return kv_heads * head_dim; }
  int group() const { return heads / kv_heads; }
};

// Every problem with a model file. what() reads
//   "<source>:<line>:<column>: field '<name>': <what is wrong and what is allowed>"
// (position 1-based, left out when there is none, e.g. for a missing file).
class ModelDescError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// source names the text in messages (normally its path).
ModelDesc parse_model_desc(const std::string& yaml_text, const std::string& source);
ModelDesc load_model_desc(const std::string& path);

}  // namespace npu::compiler
