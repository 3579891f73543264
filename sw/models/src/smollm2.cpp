// SmolLM2-135M-Instruct on the accelerator: GGUF weights -> BF16 decoder
// layers, the layer stack on the device (or the bit-exact host reference),
// embedding and output head on the host. See smollm2.hpp.
#include "npu/models/smollm2.hpp"

#include "npu/models/gguf.hpp"
#include "npu/ref/fp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace npu::models {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::uint16_t to_bf16(float f) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  return ref::fp32_to_bf16(bits);  // RNE
}

float from_bf16(std::uint16_t b) {
  const std::uint32_t bits = ref::bf16_to_fp32(b);
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// An [out, in] row-major float matrix (HF Linear) as the x*W BF16 matrix (in x out).
Bf16Matrix transposed_bf16(const std::vector<float>& w, std::size_t out, std::size_t in) {
  Bf16Matrix m(in, out);
  for (std::size_t r = 0; r < out; ++r)
    for (std::size_t c = 0; c < in; ++c) m(c, r) = to_bf16(w[r * in + c]);
  return m;
}

std::vector<std::uint16_t> bf16_vector(const std::vector<float>& v) {
  std::vector<std::uint16_t> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), to_bf16);
  return out;
}

// One GGUF hyperparameter against the model description.
void expect_equal(const std::string& path, const std::string& key, double got, double want, const std::string& desc) {
  if (got != want)
    throw std::runtime_error(fmt::format("{}: {} is {}, but the model description {} says {}", path, key, got,
                                         desc, want));
}

}  // namespace

std::string smollm2_chat_prompt(const std::string& user, const std::string& system) {
  const std::string sys = system.empty() ? "You are a helpful AI assistant named SmolLM, trained by Hugging Face" : system;
  return "<|im_start|>system\n" + sys + "<|im_end|>\n<|im_start|>user\n" + user +
         "<|im_end|>\n<|im_start|>assistant\n";
}

std::vector<float> unpermute_qk_rows(const std::vector<float>& w, unsigned heads, unsigned head_dim, unsigned in) {
  if (head_dim % 2 != 0 || w.size() != std::size_t{heads} * head_dim * in)
    throw std::invalid_argument(fmt::format("unpermute_qk_rows: {} elements are not {} heads of {} rows of {}",
                                            w.size(), heads, head_dim, in));
  std::vector<float> out(w.size());
  const unsigned half = head_dim / 2;
  for (unsigned h = 0; h < heads; ++h)
    for (unsigned i = 0; i < half; ++i)
      for (unsigned j = 0; j < 2; ++j) {
        const std::size_t gguf_row = std::size_t{h} * head_dim + 2 * i + j;
        const std::size_t hf_row = std::size_t{h} * head_dim + j * half + i;
        std::copy_n(w.begin() + static_cast<std::ptrdiff_t>(gguf_row * in), in,
                    out.begin() + static_cast<std::ptrdiff_t>(hf_row * in));
      }
  return out;
}

// ---- weights ----

SmolLm2Weights SmolLm2Weights::load(const std::string& path, const compiler::ModelDesc* desc, unsigned max_layers) {
  const GgufFile f(path);
  if (f.string("general.architecture") != "llama")
    throw std::runtime_error(fmt::format("{}: general.architecture is '{}', expected 'llama'", path,
                                         f.string("general.architecture")));
  const unsigned n_layer = f.u32("llama.block_count");
  const unsigned d = f.u32("llama.embedding_length");
  const unsigned heads = f.u32("llama.attention.head_count");
  const unsigned kv_heads = f.u32("llama.attention.head_count_kv");
  const unsigned ffn = f.u32("llama.feed_forward_length");
  const float theta = f.f32("llama.rope.freq_base");
  const float eps = f.f32("llama.attention.layer_norm_rms_epsilon");
  if (heads == 0 || kv_heads == 0 || d % heads != 0 || heads % kv_heads != 0)
    throw std::runtime_error(fmt::format("{}: {} heads on {} KV heads do not divide d_model {}", path, heads,
                                         kv_heads, d));
  const unsigned hd = d / heads;
  if (f.u32("llama.rope.dimension_count") != hd)
    throw std::runtime_error(fmt::format("{}: llama.rope.dimension_count {} is not the head size {} (partial RoPE)",
                                         path, f.u32("llama.rope.dimension_count"), hd));
  const auto& emb_info = f.tensor("token_embd.weight");
  if (emb_info.shape.size() != 2 || emb_info.shape[1] != d)
    throw std::runtime_error(fmt::format("{}: tensor 'token_embd.weight' is not [vocab, {}]", path, d));
  const auto vocab = static_cast<unsigned>(emb_info.shape[0]);
  if (f.has_tensor("output.weight"))
    throw std::runtime_error(path + ": an untied output head (tensor 'output.weight') is not supported");
  if (desc) {
    const std::string& n = desc->name;
    expect_equal(path, "llama.block_count", n_layer, desc->layers, n);
    expect_equal(path, "llama.embedding_length", d, desc->d_model, n);
    expect_equal(path, "llama.attention.head_count", heads, desc->heads, n);
    expect_equal(path, "llama.attention.head_count_kv", kv_heads, desc->kv_heads, n);
    expect_equal(path, "head size", hd, desc->head_dim, n);
    expect_equal(path, "llama.feed_forward_length", ffn, desc->ffn, n);
    expect_equal(path, "llama.rope.freq_base", theta, desc->rope_theta, n);
    expect_equal(path, "llama.attention.layer_norm_rms_epsilon", eps, static_cast<float>(desc->eps), n);
    if (desc->vocab != 0) expect_equal(path, "vocabulary size", vocab, desc->vocab, n);
    if (desc->kind != compiler::LayerKind::Decoder || desc->norm != compiler::NormKind::RmsNorm ||
        desc->act != compiler::Activation::SwiGlu || desc->pos != compiler::PosKind::Rope)
      throw std::runtime_error(fmt::format("{}: the model description {} is not a RoPE RMSNorm SwiGLU decoder",
                                           path, n));
  }

  SmolLm2Weights w;
  w.shape.kind = ref::LayerKind::Decoder;
  w.shape.d_model = d, w.shape.heads = heads, w.shape.kv_heads = kv_heads, w.shape.head_dim = hd;
  w.shape.ffn = ffn;
  w.shape.norm = ref::LayerNormKind::RmsNorm;
  w.shape.act = ref::LayerActivation::SwiGlu;
  w.shape.eps = eps;
  w.shape.rope = true;
  w.shape.rope_theta = theta;
  w.vocab = vocab;
  w.eps = eps;
  w.eos = static_cast<std::int32_t>(f.u32("tokenizer.ggml.eos_token_id"));
  w.embedding = f.dequantize("token_embd.weight", {vocab, d});
  w.output_norm = f.dequantize("output_norm.weight", {d});

  const unsigned n = max_layers == 0 ? n_layer : std::min(max_layers, n_layer);
  const unsigned q = heads * hd, kv = kv_heads * hd;
  for (unsigned l = 0; l < n; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    ref::LayerWeightsBf16 lw;
    // llama.cpp permuted the Q/K rows for its adjacent-pair RoPE; ROPE_BF16 pairs i with hd/2 + i (HF order).
    lw.wq = transposed_bf16(unpermute_qk_rows(f.dequantize(p + "attn_q.weight", {q, d}), heads, hd, d), q, d);
    lw.wk = transposed_bf16(unpermute_qk_rows(f.dequantize(p + "attn_k.weight", {kv, d}), kv_heads, hd, d), kv, d);
    lw.wv = transposed_bf16(f.dequantize(p + "attn_v.weight", {kv, d}), kv, d);
    lw.wo = transposed_bf16(f.dequantize(p + "attn_output.weight", {d, q}), d, q);
    lw.w1 = transposed_bf16(f.dequantize(p + "ffn_gate.weight", {ffn, d}), ffn, d);
    lw.w3 = transposed_bf16(f.dequantize(p + "ffn_up.weight", {ffn, d}), ffn, d);
    lw.w2 = transposed_bf16(f.dequantize(p + "ffn_down.weight", {d, ffn}), d, ffn);
    lw.gamma1 = bf16_vector(f.dequantize(p + "attn_norm.weight", {d}));
    lw.gamma2 = bf16_vector(f.dequantize(p + "ffn_norm.weight", {d}));
    w.layers.push_back(std::move(lw));
  }
  return w;
}

Bf16Matrix SmolLm2Weights::embed(const std::vector<std::int32_t>& ids) const {
  const std::size_t d = shape.d_model;
  Bf16Matrix x(ids.size(), d);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || static_cast<unsigned>(ids[t]) >= vocab)
      throw std::out_of_range(fmt::format("SmolLM2: token id {} outside the vocabulary of {}", ids[t], vocab));
    const float* row = embedding.data() + static_cast<std::size_t>(ids[t]) * d;
    for (std::size_t c = 0; c < d; ++c) x(t, c) = to_bf16(row[c]);
  }
  return x;
}

std::vector<float> SmolLm2Weights::logits(const Bf16Matrix& hidden, std::size_t row) const {
  const std::size_t d = shape.d_model;
  if (hidden.cols() != d || row >= hidden.rows())
    throw std::invalid_argument(fmt::format("SmolLM2 logits: row {} of a {}x{} hidden state (d_model {})", row,
                                            hidden.rows(), hidden.cols(), d));
  std::vector<float> h(d);
  float ss = 0;
  for (std::size_t c = 0; c < d; ++c) {
    h[c] = from_bf16(hidden(row, c));
    ss += h[c] * h[c];
  }
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(d) + eps);
  for (std::size_t c = 0; c < d; ++c) h[c] = h[c] * inv * output_norm[c];
  std::vector<float> out(vocab);
  for (std::size_t v = 0; v < vocab; ++v) {
    const float* e = embedding.data() + v * d;
    float acc = 0;
    for (std::size_t c = 0; c < d; ++c) acc += h[c] * e[c];
    out[v] = acc;
  }
  return out;
}

// ---- the generation loop ----

SmolLm2Runner::SmolLm2Runner(std::shared_ptr<const SmolLm2Weights> w, unsigned capacity)
    : w_(std::move(w)), capacity_(capacity) {
  if (!w_) throw std::invalid_argument("SmolLM2: no weights");
  if (capacity_ == 0) throw std::invalid_argument("SmolLM2: the KV cache capacity must be positive");
}

Bf16Matrix SmolLm2Runner::forward(const std::vector<std::int32_t>& ids, std::vector<Bf16Matrix>* layer_outputs) {
  if (ids.empty()) throw std::invalid_argument("SmolLM2 forward: no tokens");
  if (pos_ + ids.size() > capacity_)
    throw std::length_error(fmt::format("SmolLM2: {} tokens at position {} exceed the KV cache capacity of {} positions",
                                        ids.size(), pos_, capacity_));
  const Bf16Matrix x = w_->embed(ids);
  const std::size_t T = ids.size(), d = w_->shape.d_model, n_layers = w_->layers.size();
  Bf16Matrix y(T, d);
  if (layer_outputs) layer_outputs->assign(n_layers, Bf16Matrix(T, d));
  for (std::size_t t0 = 0; t0 < T;) {
    const std::size_t t = std::min<std::size_t>(T - t0, max_chunk(pos_));
    if (t == 0) throw std::logic_error("SmolLM2: a step of no tokens");
    std::vector<Bf16Matrix> outs;
    const Bf16Matrix yc = run_layers(ref::row_block(x, t0, t), layer_outputs ? &outs : nullptr);
    pos_ += static_cast<unsigned>(t);
    for (std::size_t r = 0; r < t; ++r) {
      for (std::size_t c = 0; c < d; ++c) y(t0 + r, c) = yc(r, c);
      if (layer_outputs)
        for (std::size_t l = 0; l < n_layers; ++l)
          for (std::size_t c = 0; c < d; ++c) (*layer_outputs)[l](t0 + r, c) = outs[l](r, c);
    }
    t0 += t;
  }
  logits_ = w_->logits(y, T - 1);
  return y;
}

std::vector<std::int32_t> SmolLm2Runner::generate(const std::vector<std::int32_t>& prompt, unsigned n,
                                                  bool stop_at_eos, const std::function<void(std::int32_t)>& on_token) {
  if (prompt.empty()) throw std::invalid_argument("SmolLM2 generate: empty prompt");
  if (n == 0) return {};
  if (prompt.size() + n - 1 > capacity_)
    throw std::length_error(fmt::format("SmolLM2: a prompt of {} tokens and {} new tokens need {} positions, more "
                                        "than the KV cache capacity of {}", prompt.size(), n, prompt.size() + n - 1,
                                        capacity_));
  reset();
  rows_.clear();
  forward(prompt);
  std::vector<std::int32_t> out;
  for (unsigned i = 0; i < n; ++i) {
    const auto next = static_cast<std::int32_t>(std::max_element(logits_.begin(), logits_.end()) - logits_.begin());
    out.push_back(next);
    rows_.push_back(logits_);
    if (on_token) on_token(next);
    if ((stop_at_eos && next == w_->eos) || i + 1 == n) break;
    forward({next});
  }
  return out;
}

// ---- host reference ----

SmolLm2Host::SmolLm2Host(std::shared_ptr<const SmolLm2Weights> w, unsigned capacity)
    : SmolLm2Runner(std::move(w), capacity) {}

Bf16Matrix SmolLm2Host::run_layers(const Bf16Matrix& x, std::vector<Bf16Matrix>* layer_outputs) {
  if (position() == 0) caches_.assign(w_->layers.size(), ref::KvCache{});  // a fresh sequence
  Bf16Matrix h = x;
  for (std::size_t l = 0; l < w_->layers.size(); ++l) {
    h = ref::decoder_layer_bf16(h, w_->shape, w_->layers[l], caches_[l]);
    if (layer_outputs) layer_outputs->push_back(h);
  }
  return h;
}

// ---- device ----

namespace {

ref::AccelConfig config_of(const rt::HwConfig& hw) {
  ref::AccelConfig c;
  c.rows = hw.rows, c.cols = hw.cols, c.bus_bytes = hw.bus_bytes;
  c.aspad_words = hw.aspad_words, c.wspad_words = hw.wspad_words, c.acc_rows = hw.acc_rows;
  c.vec_maxlen = hw.vec_maxlen;
  return c;
}

constexpr std::size_t kLayerAlign = 4096;

}  // namespace

SmolLm2::SmolLm2(const std::string& gguf, rt::Device& dev, unsigned capacity, const compiler::ModelDesc* desc)
    : SmolLm2(std::make_shared<const SmolLm2Weights>(SmolLm2Weights::load(gguf, desc)), dev, capacity) {}

SmolLm2::SmolLm2(std::shared_ptr<const SmolLm2Weights> w, rt::Device& dev, unsigned capacity)
    : SmolLm2Runner(std::move(w), capacity), dev_(dev), chunk_cache_(capacity, 0) {
  const ref::AccelConfig cfg = config_of(dev.hw());
  const auto t0 = Clock::now();
  layers_.reserve(w_->layers.size());
  for (std::size_t l = 0; l < w_->layers.size(); ++l) {
    try {
      // The decoder is packed for a fixed base: the allocator's next address (alloc(0) takes nothing).
      const std::uint32_t base = dev.alloc(0, kLayerAlign).addr;
      compiler::CompiledDecoder dec(w_->shape, w_->layers[l], capacity, cfg, base);
      const rt::Buffer buf = dev.alloc(dec.dram_bytes, kLayerAlign);
      if (buf.addr != base) throw std::logic_error("the device allocator moved the layer's base");
      dev.upload(buf, dec.weights_image, dec.weights.addr - buf.addr);
      std::vector<std::uint8_t>().swap(dec.weights_image);  // resident on the device now
      bytes_ += dec.dram_bytes;
      layers_.push_back({std::move(dec), buf});
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("SmolLM2 layer {} of {} ({} bytes on the device so far): {}", l,
                                           w_->layers.size(), bytes_, e.what()));
    }
  }
  stats_.device_s += seconds_since(t0);
  // A full cache must still compile (the attention over `capacity` positions fits on chip).
  if (!layers_.empty()) {
    try {
      (void)layers_.front().dec.step(capacity - 1, 1);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("SmolLM2: a KV cache of {} positions does not fit: {}", capacity,
                                              e.what()));
    }
  }
}

unsigned SmolLm2::max_chunk(unsigned L) const {
  if (L >= capacity() || layers_.empty()) return 0;
  if (chunk_cache_[L] != 0) return chunk_cache_[L];
  const auto fits = [&](unsigned T) {
    try {
      (void)layers_.front().dec.step(L, T);
      return true;
    } catch (const std::invalid_argument&) {  // the compiler's "does not fit"
      return false;
    }
  };
  // Largest T that compiles, by bisection (on-chip footprints grow with T).
  unsigned lo = 1, hi = capacity() - L;
  if (!fits(lo)) (void)layers_.front().dec.step(L, 1);  // rethrows the compiler's message
  while (lo < hi) {
    const unsigned mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  chunk_cache_[L] = lo;
  return lo;
}

Bf16Matrix SmolLm2::run_layers(const Bf16Matrix& x, std::vector<Bf16Matrix>* layer_outputs) {
  const auto L = position(), T = static_cast<unsigned>(x.rows());
  auto t0 = Clock::now();
  std::vector<isa::Command> cmds;
  std::vector<compiler::CompiledLayer> steps;
  steps.reserve(layers_.size());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    compiler::CompiledLayer cl = layers_[l].dec.step(L, T);
    if (l > 0) {
      // Layer l reads its input straight from layer l-1's output region: point its input LOAD there.
      const std::uint32_t from = steps.back().output.addr;
      const auto it = std::find_if(cl.cmds.begin(), cl.cmds.end(), [&](const isa::Command& c) {
        return c.op() == isa::Op::Load && c.w[1] == cl.input.addr;
      });
      if (it == cl.cmds.end() || steps.back().output.bytes != cl.input.bytes)
        throw std::logic_error(fmt::format("SmolLM2 layer {}: no input LOAD to chain to layer {}'s output", l, l - 1));
      it->w[1] = from;
      cmds.push_back(isa::fence());  // layer l-1's STORE (and every engine) done before layer l starts
    }
    cmds.insert(cmds.end(), cl.cmds.begin(), cl.cmds.end());
    steps.push_back(std::move(cl));
  }
  stats_.compile_s += seconds_since(t0);
  stats_.steps += layers_.size();

  t0 = Clock::now();
  const compiler::CompiledLayer& first = steps.front();
  dev_.upload(layers_.front().buf, first.pack_input(x), first.input.addr - layers_.front().buf.addr);
  const rt::RunResult res = dev_.run(cmds, rt::run_timeout(cmds, dev_.hw()));
  if (!res.ok())
    throw std::runtime_error(fmt::format("SmolLM2: the device run of {} tokens at position {} ({} commands, {} layers) "
                                         "failed: {}", T, L, cmds.size(), layers_.size(), res.describe()));
  ++stats_.runs;
  stats_.commands += cmds.size();
  stats_.last_commands = cmds.size();
  const auto output_of = [&](std::size_t l) {
    const compiler::CompiledLayer& cl = steps[l];
    return cl.unpack_output(dev_.download(layers_[l].buf, cl.output.addr - layers_[l].buf.addr, cl.output.bytes));
  };
  Bf16Matrix y;
  if (layer_outputs) {
    for (std::size_t l = 0; l < layers_.size(); ++l) layer_outputs->push_back(output_of(l));
    y = layer_outputs->back();
  } else {
    y = output_of(layers_.size() - 1);
  }
  stats_.device_s += seconds_since(t0);
  return y;
}

}  // namespace npu::models
