// all-MiniLM-L6-v2 on the INT8 (I-BERT) path (issue 10 item 4).
//
// Post-training quantization of the BF16 weights of a MiniLm:
// - activations: one symmetric scale per tensor and layer (ref::ActivationScalesInt8),
//   max|t|/127 over a calibration set (models/text/calibration.txt): the float64
//   layer chain (ref::encoder_layer_f64 on the BF16 weights) is run over every
//   calibration sentence and ref::calibrate_encoder_int8's scales are maxed over
//   the sentences. Layer l+1's input scale is layer l's output scale (the same
//   tensor), so the int8 output of one layer is the next one's input as is.
// - weights: symmetric INT8 per output column (ref::quantize_encoder_layer),
//   Q0.31 REQUANT multipliers.
// Host: the embedding layer (MiniLm::input, BF16) quantized with layer 0's
// input scale; the last layer's int8 output dequantized, mean-pooled and
// L2-normalised in float64.
// Accelerator: compiler::compile_encoder_stack_int8, the six layers in one
// stream and one device run per sentence (each inner layer's output in DRAM in
// the INT8 A layout, read back for layer_outputs). Every tensor of every layer
// runs in INT8 (the softmax output uint8).
#pragma once

#include "npu/compiler/layer.hpp"
#include "npu/models/minilm.hpp"
#include "npu/ref/layer_int8.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace npu::models {

using Int8Matrix = ref::Matrix<std::int8_t>;

class MiniLmInt8 {
 public:
  struct Options {
    bool pow2_weight_scales = false;  // ref::quantize_encoder_layer's option
    std::uint64_t timeout_cycles = 0;  // 0: sized to each stream's work (rt::run_timeout)
  };

  // Calibrates on `calibration` (sentences) and quantizes base's weights.
  // base must outlive this object (its tokenizer, embedding and weights are used).
  MiniLmInt8(const MiniLm& base, rt::Device& dev, const std::vector<std::string>& calibration);
  MiniLmInt8(const MiniLm& base, rt::Device& dev, const std::vector<std::string>& calibration, Options opt);

  const std::vector<ref::QuantLayer>& layers() const { return layers_; }
  const MiniLm& base() const { return base_; }

  // The embedding layer's output quantized with layer 0's input scale.
  Int8Matrix input(const std::vector<std::int32_t>& ids) const;
  // Every layer's int8 output (layer 0 first): one device run / ref::encoder_layer_int8 six times.
  std::vector<Int8Matrix> layer_outputs(const std::vector<std::int32_t>& ids);
  std::vector<Int8Matrix> layer_outputs_reference(const std::vector<std::int32_t>& ids) const;
  // Layer `l`'s output in real values (its output scale).
  ref::Matrix<double> dequantize(const Int8Matrix& y, std::size_t layer) const;

  // Dequantized with the last layer's output scale, mean over rows, L2 normalisation (float64).
  std::vector<float> pool(const Int8Matrix& last) const;
  std::vector<float> embed(std::string_view text) { return pool(layer_outputs(base_.tokens(text)).back()); }
  std::vector<float> embed_reference(std::string_view text) const {
    return pool(layer_outputs_reference(base_.tokens(text)).back());
  }

  // The run of the last layer_outputs() (commands, MACs issued, DMA bytes, wall clock).
  const MiniLmRun& last_run() const { return last_; }

 private:
  struct Streams {
    compiler::CompiledLayer stack;  // the six layers in one stream; its image kept for re-upload
    std::size_t bytes = 0;          // device bytes
  };
  Streams& streams(unsigned T);

  const MiniLm& base_;
  rt::Device& dev_;
  Options opt_;
  std::vector<ref::QuantLayer> layers_;
  std::optional<rt::Buffer> buf_;
  std::map<unsigned, Streams> streams_;
  std::optional<unsigned> resident_;
  MiniLmRun last_;
};

// Reads a text file of sentences, one per line; '#' lines and blank lines skipped.
std::vector<std::string> read_sentences(const std::string& path);

}  // namespace npu::models
