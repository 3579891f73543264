// all-MiniLM-L6-v2 sentence embeddings on the accelerator (issue 10), BF16.
//
// Host: WordPiece tokens, the embedding layer (word + position + token type
// 0, LayerNorm eps 1e-12, in float64, rounded to BF16 as the accelerator's
// input), mean pooling over all tokens and L2 normalisation (float64).
// Accelerator: the 6 post-norm BERT layers as ONE command stream
// (compiler::compile_encoder_stack_bf16) run through rt::Device on any
// rt::Transport. The layer math is the accelerator's BF16 contract
// (ref::encoder_layer_bf16); its GELU is the tanh form, where BERT uses the
// exact erf form, so the figure against the float model includes that.
//
// Streams are compiled once per sequence length and cached. The weights image
// is uploaded once: for another length only the bytes from the first one
// that differs from the resident image on are uploaded (the packed weights
// come first and are the same for every length; the V zero padding and
// parameter blobs behind them depend on it).
#pragma once

#include "npu/compiler/layer.hpp"
#include "npu/compiler/prune.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/matrix.hpp"
#include "npu/runtime/device.hpp"
#include "npu/models/wordpiece.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace npu::models {

using Bf16Matrix = ref::Matrix<std::uint16_t>;

// The hyperparameters read from config.json (checked against what the
// pipeline implements).
struct MiniLmConfig {
  unsigned hidden = 0, layers = 0, heads = 0, intermediate = 0;
  unsigned vocab = 0, max_positions = 0, type_vocab = 0;
  double eps = 0.0;
};

// A sentence whose token count the layer compiler cannot fit on this
// accelerator configuration (today: on-chip ASPAD, see compile_encoder_stack_bf16).
class SequenceLengthError : public std::invalid_argument {
 public:
  SequenceLengthError(const std::string& what, std::size_t tokens, std::size_t limit)
      : std::invalid_argument(what), tokens_(tokens), limit_(limit) {}
  std::size_t tokens() const { return tokens_; }
  std::size_t limit() const { return limit_; }  // the longest sequence that compiles

 private:
  std::size_t tokens_, limit_;
};

// Figures of one accelerator run (one sentence).
struct MiniLmRun {
  std::size_t tokens = 0;
  std::size_t commands = 0;          // in the stream (the driver adds one IRQ)
  std::uint64_t issued_macs = 0;     // Rows*Cols per GEMM row and tile: what the MACS counter counts
  std::uint64_t model_macs = 0;      // the layer math (projections, Q.K^T, P.V, FFN), no padding
  std::uint64_t dma_read_bytes = 0;  // LOAD / STORE sizes of the stream
  std::uint64_t dma_write_bytes = 0;
  std::uint64_t device_cycles = 0;   // RunResult::cycles (ModelTransport: host polling cycles only)
  rt::Counters counters;             // the device's counters over the run (read 0 on ModelTransport)
  bool compiled = false;             // this run compiled its stream (not cached)
  std::size_t image_bytes_uploaded = 0;
  double compile_seconds = 0, run_seconds = 0;  // host wall clock
};

// Sets fig's commands, issued_macs and DMA bytes from the stream's commands.
void stream_figures(const compiler::CompiledLayer& cl, MiniLmRun& fig);

class MiniLm {
 public:
  struct Options {
    std::size_t max_tokens = 512;  // truncation, [CLS] and [SEP] included (<= max_position_embeddings)
    std::uint64_t timeout_cycles = 0;  // 0: sized to the stream's work (rt::run_timeout)
    // Tile-granular magnitude pruning (compiler::prune_layer_bf16) of every
    // weight matrix of every layer, applied to the BF16 weights after loading:
    // the device streams skip the +0 tiles and the host reference uses the same
    // pruned weights. 0 = dense; must be in [0, 1].
    double sparsity = 0.0;
  };

  // Reads config.json, vocab.txt and model.safetensors from `dir`; throws
  // ModelFileError (the path first) when a file is missing, a tensor has the
  // wrong shape or config.json describes another model.
  MiniLm(const std::string& dir, rt::Device& dev);
  MiniLm(const std::string& dir, rt::Device& dev, Options opt);

  const MiniLmConfig& config() const { return cfg_; }
  const ref::LayerShape& shape() const { return shape_; }
  const std::vector<ref::LayerWeightsBf16>& weights() const { return layers_; }
  const ref::AccelConfig& accel() const { return accel_; }
  const WordPieceTokenizer& tokenizer() const { return tok_; }
  // Weight tiles over all layers and how many Options::sparsity set to +0.
  const compiler::PruneStats& prune_stats() const { return prune_; }

  std::vector<std::int32_t> tokens(std::string_view text) const;
  // The embedding layer's output, T x hidden BF16: the accelerator's input.
  Bf16Matrix input(const std::vector<std::int32_t>& ids) const;

  // The last hidden state (T x hidden BF16) on the device / by the bit-exact
  // reference (ref::encoder_layer_bf16 six times). Throw SequenceLengthError
  // (device) when T does not compile, std::runtime_error when the run faults.
  Bf16Matrix hidden(const std::vector<std::int32_t>& ids);
  Bf16Matrix hidden_reference(const std::vector<std::int32_t>& ids) const;
  // Every layer's output (layer 0 first), to localise a mismatch: the device
  // run uses a separate stream with a STORE after each inner layer.
  std::vector<Bf16Matrix> layer_outputs(const std::vector<std::int32_t>& ids);
  std::vector<Bf16Matrix> layer_outputs_reference(const std::vector<std::int32_t>& ids) const;

  // Mean over all rows and L2 normalisation, in float64.
  static std::vector<float> pool(const Bf16Matrix& hidden);

  std::vector<float> embed(std::string_view text) { return pool(hidden(tokens(text))); }
  std::vector<float> embed_reference(std::string_view text) const { return pool(hidden_reference(tokens(text))); }

  const MiniLmRun& last_run() const { return last_; }
  // The longest sequence the compiler fits (found by compiling one layer,
  // cached); at most Options::max_tokens.
  std::size_t max_sequence();

 private:
  struct Stream {
    compiler::CompiledLayer cl;  // weights_image emptied (see image_)
    std::size_t diff_from = 0;   // image bytes before this offset equal base_image_
    std::vector<std::uint8_t> tail;  // image bytes from diff_from on
  };
  compiler::CompiledLayer compile(unsigned T, const compiler::StackOptions& so, std::uint32_t base);
  Stream& stream(unsigned T);
  void make_resident(unsigned T, Stream& s);
  Bf16Matrix run(Stream& s, const Bf16Matrix& x, MiniLmRun& fig);

  std::string dir_;
  rt::Device& dev_;
  Options opt_;
  MiniLmConfig cfg_;
  ref::LayerShape shape_;
  ref::AccelConfig accel_;
  WordPieceTokenizer tok_;
  std::vector<float> word_, pos_, type0_, ln_g_, ln_b_;  // embedding tables (float32 as stored)
  std::vector<ref::LayerWeightsBf16> layers_;
  compiler::PruneStats prune_;

  std::optional<rt::Buffer> buf_;          // device memory of every stream: [image | input | output | taps]
  std::vector<std::uint8_t> base_image_;   // the image of the first stream compiled into buf_
  std::map<unsigned, Stream> streams_;     // by sequence length
  std::optional<unsigned> resident_;       // the length whose image is in buf_
  std::size_t resident_diff_ = 0;          // base_image_ is valid in buf_ before this offset
  std::optional<std::size_t> max_seq_;
  MiniLmRun last_;
};

}  // namespace npu::models
