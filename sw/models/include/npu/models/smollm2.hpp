// SmolLM2-135M-Instruct text generation on the accelerator (docs/models.md,
// "SmolLM2-135M on the accelerator").
//
//   SmolLm2Weights  the GGUF's weights as the BF16 decoder layers of the
//                   compiler and the reference (Q/K rows un-permuted back to
//                   Hugging Face order for ROPE_BF16's rotate-half pairs,
//                   transposed to x*W), the Q8_0 tied embedding as float;
//                   host embedding lookup (-> BF16) and the float32 output
//                   head (final RMSNorm, logits = h E^T).
//   SmolLm2         the 30 layers as CompiledDecoders resident in device
//                   memory (weights uploaded once, KV caches in DRAM); every
//                   forward step is one Device::run of all layers' streams.
//   SmolLm2Host     the same steps with ref::decoder_layer_bf16 and a
//                   ref::KvCache per layer: what the device must equal bit
//                   for bit.
//
// Both share SmolLm2Runner's generation loop: greedy, prefill then one
// decode step per new token (decode reads the KV cache, never recomputes).
#pragma once

#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/models/bpe.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/matrix.hpp"
#include "npu/runtime/device.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace npu::models {

using Bf16Matrix = ref::Matrix<std::uint16_t>;

// SmolLM2's chat template (GGUF tokenizer.chat_template) for one user turn
// with the generation prompt; the template's default system message when
// `system` is empty (as models/ref/smollm2.py chat_prompt).
std::string smollm2_chat_prompt(const std::string& user, const std::string& system = {});

struct SmolLm2Weights {
  ref::LayerShape shape;  // one decoder layer
  unsigned vocab = 0;
  float eps = 0;          // final RMSNorm (the layers' is shape.eps)
  std::int32_t eos = -1;  // tokenizer.ggml.eos_token_id (<|im_end|>)
  std::vector<ref::LayerWeightsBf16> layers;
  std::vector<float> embedding;  // vocab x d_model, row-major (also the tied output head)
  std::vector<float> output_norm;

  // Reads and converts the GGUF (F32/Q8_0/Q4_1 -> float -> BF16 RNE). With
  // `desc`, the GGUF hyperparameters must equal it (else std::runtime_error
  // naming the key). `layers` > 0 keeps only the first layers (cheaper tests:
  // the output is then not the model's). Errors from the reader name the file.
  static SmolLm2Weights load(const std::string& gguf, const compiler::ModelDesc* desc = nullptr, unsigned layers = 0);

  // Rows of the embedding for `ids`, rounded to BF16 (T x d_model).
  Bf16Matrix embed(const std::vector<std::int32_t>& ids) const;
  // Final RMSNorm and the tied head in float32 on row `row` of a BF16 hidden state.
  std::vector<float> logits(const Bf16Matrix& hidden, std::size_t row) const;
};

// Inverse of llama.cpp's convert_hf_to_gguf permute() on an [out, in]
// row-major matrix: GGUF row h*hd + 2i + j is HF row h*hd + j*hd/2 + i.
std::vector<float> unpermute_qk_rows(const std::vector<float>& w, unsigned heads, unsigned head_dim, unsigned in);

// Tokens in, hidden states out, with the KV cache as state; greedy generation on top.
class SmolLm2Runner {
 public:
  explicit SmolLm2Runner(std::shared_ptr<const SmolLm2Weights> w, unsigned capacity);
  virtual ~SmolLm2Runner() = default;
  SmolLm2Runner(const SmolLm2Runner&) = delete;
  SmolLm2Runner& operator=(const SmolLm2Runner&) = delete;

  const SmolLm2Weights& weights() const { return *w_; }
  unsigned capacity() const { return capacity_; }
  unsigned position() const { return pos_; }  // tokens in the KV cache
  void reset() { pos_ = 0; }                  // empty the cache

  // Runs `ids` at positions position().. through every layer, in steps of
  // at most max_chunk(L) tokens (the cache grows by ids.size()); returns the
  // last layer's output (T x d_model).
  // `layer_outputs`, if given, receives every layer's output. Throws
  // std::length_error when the cache would exceed capacity().
  Bf16Matrix forward(const std::vector<std::int32_t>& ids, std::vector<Bf16Matrix>* layer_outputs = nullptr);

  // Greedy: reset, prefill `prompt`, then up to n new tokens (stops after
  // EOS if stop_at_eos). Needs prompt.size() + n - 1 <= capacity() (checked
  // first: std::length_error). on_token sees each token as it is chosen.
  std::vector<std::int32_t> generate(const std::vector<std::int32_t>& prompt, unsigned n, bool stop_at_eos = true,
                                     const std::function<void(std::int32_t)>& on_token = {});
  // Most tokens one step at cache length L takes.
  virtual unsigned max_chunk(unsigned L) const = 0;

  // The logits row that chose the last generated token (after generate), or of the last forward row.
  const std::vector<float>& logits_last() const { return logits_; }
  // Every logits row that chose a generated token, in order (after generate).
  const std::vector<std::vector<float>>& logits_rows() const { return rows_; }

 protected:
  // One step: T tokens at positions position()..position()+T-1 (T <= max_chunk); x is T x d_model.
  virtual Bf16Matrix run_layers(const Bf16Matrix& x, std::vector<Bf16Matrix>* layer_outputs) = 0;

  std::shared_ptr<const SmolLm2Weights> w_;

 private:
  unsigned capacity_, pos_ = 0;
  std::vector<float> logits_;
  std::vector<std::vector<float>> rows_;
};

// The host reference: ref::decoder_layer_bf16 per layer, a ref::KvCache each.
class SmolLm2Host : public SmolLm2Runner {
 public:
  SmolLm2Host(std::shared_ptr<const SmolLm2Weights> w, unsigned capacity);
  // The step sizes to follow (e.g. the device's max_chunk); default: one step for everything.
  void set_chunking(std::function<unsigned(unsigned)> max_chunk) { chunking_ = std::move(max_chunk); }
  unsigned max_chunk(unsigned L) const override { return chunking_ ? chunking_(L) : capacity(); }

 protected:
  Bf16Matrix run_layers(const Bf16Matrix& x, std::vector<Bf16Matrix>* layer_outputs) override;

 private:
  std::vector<ref::KvCache> caches_;
  std::function<unsigned(unsigned)> chunking_;
};

struct SmolLm2Stats {
  std::uint64_t runs = 0, commands = 0;  // Device::run calls, commands sent (the IRQs not counted)
  std::uint64_t steps = 0;               // compiled steps (one per layer per chunk)
  double compile_s = 0, device_s = 0;    // wall time compiling steps / in Device::run, upload, download
  std::uint64_t last_commands = 0;       // commands of the last forward
};

// The device: 30 CompiledDecoders in device memory, one after the other.
class SmolLm2 : public SmolLm2Runner {
 public:
  // Allocates and uploads every layer (weights once; the device's window
  // must hold them all: ~7.2 MB per layer). Throws what the compiler throws
  // when the layer or the capacity does not fit the device's configuration.
  SmolLm2(std::shared_ptr<const SmolLm2Weights> w, rt::Device& dev, unsigned capacity);
  // Loads the GGUF itself (all layers, hyperparameters checked against `desc` if given).
  SmolLm2(const std::string& gguf, rt::Device& dev, unsigned capacity, const compiler::ModelDesc* desc = nullptr);

  const SmolLm2Stats& stats() const { return stats_; }
  // Most tokens one step at cache length L takes (prefill runs in such
  // chunks; ASPAD, WSPAD and ACC limit it). Cached per L.
  unsigned max_chunk(unsigned L) const override;
  std::uint32_t device_bytes() const { return bytes_; }

 protected:
  Bf16Matrix run_layers(const Bf16Matrix& x, std::vector<Bf16Matrix>* layer_outputs) override;

 private:
  struct Layer {
    compiler::CompiledDecoder dec;
    rt::Buffer buf;
  };
  rt::Device& dev_;
  std::vector<Layer> layers_;
  std::uint32_t bytes_ = 0;
  SmolLm2Stats stats_;
  mutable std::vector<unsigned> chunk_cache_;  // max_chunk(L), 0 = not yet known
};

}  // namespace npu::models
