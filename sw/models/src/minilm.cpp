#include "npu/models/minilm.hpp"

#include "npu/models/model_file.hpp"
#include "npu/models/safetensors.hpp"
#include "npu/ref/bf16.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <utility>

namespace npu::models {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

MiniLmConfig read_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::ifstream in(path);
  if (!in) throw ModelFileError(path + ": cannot open (is '" + dir + "' the all-MiniLM-L6-v2 model directory?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(path + ": not JSON: " + e.what());
  }
  const auto field = [&](const char* key) -> const nlohmann::json& {
    if (!j.contains(key)) throw ModelFileError(path + ": key '" + key + "' missing");
    return j.at(key);
  };
  const auto number = [&](const char* key, unsigned want) {
    const auto& v = field(key);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() != want)
      throw ModelFileError(fmt::format("{}: key '{}': expected {}, found {}", path, key, want, v.dump()));
    return want;
  };
  const auto text = [&](const char* key, const char* want) {
    const auto& v = field(key);
    if (!v.is_string() || v.get<std::string>() != want)
      throw ModelFileError(fmt::format("{}: key '{}': expected \"{}\", found {}", path, key, want, v.dump()));
  };
  // The pipeline implements exactly this model: say so when the file is another one.
  MiniLmConfig c;
  c.hidden = number("hidden_size", 384);
  c.layers = number("num_hidden_layers", 6);
  c.heads = number("num_attention_heads", 12);
  c.intermediate = number("intermediate_size", 1536);
  text("hidden_act", "gelu");
  text("model_type", "bert");
  if (j.contains("position_embedding_type")) text("position_embedding_type", "absolute");
  const auto& eps = field("layer_norm_eps");
  if (!eps.is_number() || eps.get<double>() != 1e-12)
    throw ModelFileError(fmt::format("{}: key 'layer_norm_eps': expected 1e-12, found {}", path, eps.dump()));
  c.eps = 1e-12;
  const auto positive = [&](const char* key) {
    const auto& v = field(key);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 || v.get<std::uint64_t>() > 1'000'000)
      throw ModelFileError(fmt::format("{}: key '{}': expected a positive count, found {}", path, key, v.dump()));
    return v.get<unsigned>();
  };
  c.vocab = positive("vocab_size");
  c.max_positions = positive("max_position_embeddings");
  c.type_vocab = positive("type_vocab_size");
  return c;
}

ref::LayerShape shape_of(const MiniLmConfig& c) {
  ref::LayerShape s;
  s.kind = ref::LayerKind::Encoder;
  s.d_model = c.hidden;
  s.heads = s.kv_heads = c.heads;
  s.head_dim = c.hidden / c.heads;
  s.ffn = c.intermediate;
  s.norm = ref::LayerNormKind::LayerNorm;
  s.act = ref::LayerActivation::Gelu;
  s.eps = static_cast<float>(c.eps);
  return s;
}

ref::AccelConfig accel_of(const rt::HwConfig& hw) {
  ref::AccelConfig a;
  a.rows = hw.rows, a.cols = hw.cols, a.bus_bytes = hw.bus_bytes;
  a.aspad_words = hw.aspad_words, a.wspad_words = hw.wspad_words;
  a.acc_rows = hw.acc_rows, a.vec_maxlen = hw.vec_maxlen;
  return a;
}

std::uint16_t bf16(float v) { return ref::double_to_bf16(v); }  // RNE (float -> double is exact)
std::uint32_t fp32_bits(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// A PyTorch Linear weight [out, in] as the reference's x.W matrix (in x out), BF16.
Bf16Matrix linear_weight(const SafetensorsFile& f, const std::string& name, std::size_t out, std::size_t in) {
  const std::vector<float> w = f.f32(name, {out, in});
  Bf16Matrix m(in, out);
  for (std::size_t o = 0; o < out; ++o)
    for (std::size_t i = 0; i < in; ++i) m(i, o) = bf16(w[o * in + i]);
  return m;
}
std::vector<std::uint32_t> bias(const SafetensorsFile& f, const std::string& name, std::size_t n) {
  const std::vector<float> b = f.f32(name, {n});
  std::vector<std::uint32_t> r(n);
  std::transform(b.begin(), b.end(), r.begin(), fp32_bits);
  return r;
}
std::vector<std::uint16_t> bf16_vector(const SafetensorsFile& f, const std::string& name, std::size_t n) {
  const std::vector<float> v = f.f32(name, {n});
  std::vector<std::uint16_t> r(n);
  std::transform(v.begin(), v.end(), r.begin(), bf16);
  return r;
}

ref::LayerWeightsBf16 layer_weights(const SafetensorsFile& f, unsigned l, const MiniLmConfig& c) {
  const std::string p = "encoder.layer." + std::to_string(l) + ".";
  const std::size_t d = c.hidden, F = c.intermediate;
  ref::LayerWeightsBf16 w;
  w.wq = linear_weight(f, p + "attention.self.query.weight", d, d);
  w.wk = linear_weight(f, p + "attention.self.key.weight", d, d);
  w.wv = linear_weight(f, p + "attention.self.value.weight", d, d);
  w.wo = linear_weight(f, p + "attention.output.dense.weight", d, d);
  w.w1 = linear_weight(f, p + "intermediate.dense.weight", F, d);
  w.w2 = linear_weight(f, p + "output.dense.weight", d, F);
  w.bq = bias(f, p + "attention.self.query.bias", d);
  w.bk = bias(f, p + "attention.self.key.bias", d);
  w.bv = bias(f, p + "attention.self.value.bias", d);
  w.bo = bias(f, p + "attention.output.dense.bias", d);
  w.b1 = bias(f, p + "intermediate.dense.bias", F);
  w.b2 = bias(f, p + "output.dense.bias", d);
  // Post-norm BERT: norm 1 after attention, norm 2 after the FFN.
  w.gamma1 = bf16_vector(f, p + "attention.output.LayerNorm.weight", d);
  w.beta1 = bf16_vector(f, p + "attention.output.LayerNorm.bias", d);
  w.gamma2 = bf16_vector(f, p + "output.LayerNorm.weight", d);
  w.beta2 = bf16_vector(f, p + "output.LayerNorm.bias", d);
  return w;
}

}  // namespace

// What the stream costs, read from its commands (the model transport's counters read 0).
void stream_figures(const compiler::CompiledLayer& cl, MiniLmRun& fig) {
  const compiler::Target& t = cl.target;
  fig.commands = cl.cmds.size();
  fig.issued_macs = fig.dma_read_bytes = fig.dma_write_bytes = 0;
  for (const auto& c : cl.cmds) {
    const isa::Work w = isa::work_of(c);
    if (c.op() == isa::Op::Load) fig.dma_read_bytes += w.dma_words * t.bus_bytes;
    if (c.op() == isa::Op::Store) fig.dma_write_bytes += w.dma_words * t.bus_bytes;
    fig.issued_macs += w.gemm_rows * t.rows * t.cols * (w.int8 ? 2 : 1);
  }
}

MiniLm::MiniLm(const std::string& dir, rt::Device& dev) : MiniLm(dir, dev, Options{}) {}

MiniLm::MiniLm(const std::string& dir, rt::Device& dev, Options opt)
    : dir_(dir),
      dev_(dev),
      opt_(opt),
      cfg_(read_config(dir)),
      shape_(shape_of(cfg_)),
      accel_(accel_of(dev.hw())),
      tok_(WordPieceTokenizer::from_vocab_file(dir + "/vocab.txt")) {
  if (opt_.max_tokens < 2 || opt_.max_tokens > cfg_.max_positions)
    throw std::invalid_argument(fmt::format("MiniLm: max_tokens {} outside 2 .. {} (max_position_embeddings)",
                                            opt_.max_tokens, cfg_.max_positions));
  if (!(opt_.sparsity >= 0.0 && opt_.sparsity <= 1.0))
    throw std::invalid_argument(fmt::format("MiniLm: sparsity {} outside [0, 1]", opt_.sparsity));
  if (tok_.vocab_size() != cfg_.vocab)
    throw ModelFileError(fmt::format("{}/vocab.txt: {} tokens, config.json says vocab_size {}", dir,
                                     tok_.vocab_size(), cfg_.vocab));
  const SafetensorsFile f(dir + "/model.safetensors");
  const std::size_t d = cfg_.hidden;
  word_ = f.f32("embeddings.word_embeddings.weight", {cfg_.vocab, d});
  pos_ = f.f32("embeddings.position_embeddings.weight", {cfg_.max_positions, d});
  type0_ = f.f32("embeddings.token_type_embeddings.weight", {cfg_.type_vocab, d});
  type0_.resize(d);  // one sentence per run: token type 0 everywhere
  ln_g_ = f.f32("embeddings.LayerNorm.weight", {d});
  ln_b_ = f.f32("embeddings.LayerNorm.bias", {d});
  layers_.reserve(cfg_.layers);
  for (unsigned l = 0; l < cfg_.layers; ++l) layers_.push_back(layer_weights(f, l, cfg_));
  // Sparsity 0 prunes nothing but counts the tiles.
  const compiler::Target t = compiler::target_of(accel_);
  for (auto& w : layers_) {
    const compiler::PruneStats st = compiler::prune_layer_bf16(w, t, opt_.sparsity);
    prune_.tiles += st.tiles;
    prune_.pruned += st.pruned;
  }
}

std::vector<std::int32_t> MiniLm::tokens(std::string_view text) const {
  WordPieceEncodeOptions o;
  o.max_length = opt_.max_tokens;
  return tok_.encode(text, o);
}

Bf16Matrix MiniLm::input(const std::vector<std::int32_t>& ids) const {
  const std::size_t d = cfg_.hidden, T = ids.size();
  if (T == 0 || T > cfg_.max_positions)
    throw std::invalid_argument(fmt::format("MiniLm: {} tokens, expected 1 .. {}", T, cfg_.max_positions));
  Bf16Matrix x(T, d);
  std::vector<double> e(d);
  for (std::size_t t = 0; t < T; ++t) {
    if (ids[t] < 0 || static_cast<std::size_t>(ids[t]) >= cfg_.vocab)
      throw std::invalid_argument(fmt::format("MiniLm: token id {} at position {} outside the vocabulary", ids[t], t));
    const float* w = &word_[static_cast<std::size_t>(ids[t]) * d];
    const float* p = &pos_[t * d];
    double mean = 0;
    for (std::size_t i = 0; i < d; ++i) mean += e[i] = double(w[i]) + double(p[i]) + double(type0_[i]);
    mean /= double(d);
    double var = 0;
    for (std::size_t i = 0; i < d; ++i) var += (e[i] - mean) * (e[i] - mean);
    const double inv = 1.0 / std::sqrt(var / double(d) + cfg_.eps);
    for (std::size_t i = 0; i < d; ++i) x(t, i) = ref::double_to_bf16((e[i] - mean) * inv * ln_g_[i] + ln_b_[i]);
  }
  return x;
}

compiler::CompiledLayer MiniLm::compile(unsigned T, const compiler::StackOptions& so, std::uint32_t base) {
  try {
    return compiler::compile_encoder_stack_bf16(shape_, layers_, static_cast<int>(T), accel_, so, base);
  } catch (const std::invalid_argument& e) {
    const std::size_t limit = max_sequence();
    if (T <= limit) throw;  // not a length problem
    throw SequenceLengthError(
        fmt::format("all-MiniLM-L6-v2: a sequence of T = {} tokens does not compile on this accelerator "
                    "(ASPAD {} words); the longest that does is T = {} ({})",
                    T, accel_.aspad_words, limit, e.what()),
        T, limit);
  }
}

std::size_t MiniLm::max_sequence() {
  if (max_seq_) return *max_seq_;
  // On-chip placement does not depend on the layer count: bisect with one layer.
  const std::vector<ref::LayerWeightsBf16> one{layers_.front()};
  const auto fits = [&](std::size_t T) {
    try {
      compiler::compile_encoder_stack_bf16(shape_, one, static_cast<int>(T), accel_);
      return true;
    } catch (const std::invalid_argument&) {
      return false;
    }
  };
  std::size_t lo = 0, hi = opt_.max_tokens + 1;  // fits(lo) (or lo == 0), !fits(hi)
  if (fits(opt_.max_tokens)) lo = opt_.max_tokens, hi = lo + 1;
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  max_seq_ = lo;
  return lo;
}

MiniLm::Stream& MiniLm::stream(unsigned T) {
  if (auto it = streams_.find(T); it != streams_.end()) return it->second;
  const auto t0 = Clock::now();
  // The first compile sizes the device buffer: the image plus input, output
  // and taps for max_tokens, so later lengths normally fit the same buffer.
  compiler::CompiledLayer cl = compile(T, {}, buf_ ? buf_->addr : 0);
  if (!buf_ || cl.dram_bytes > buf_->bytes) {
    const std::size_t d = cfg_.hidden, rows = std::max(accel_.rows, accel_.cols);
    const std::size_t per_token = (2 + cfg_.layers) * d * 2 + 2 * accel_.bus_bytes;
    const std::size_t slack = (opt_.max_tokens + rows) * per_token + (64u << 10);
    buf_ = dev_.alloc(std::max<std::size_t>(cl.dram_bytes, cl.weights_image.size() + slack), accel_.bus_bytes);
    streams_.clear();  // they address the old buffer
    resident_.reset();
    base_image_.clear();
    if (cl.dram_base != buf_->addr) cl = compile(T, {}, buf_->addr);
  }
  Stream s;
  if (base_image_.empty()) base_image_ = cl.weights_image;
  const auto& img = cl.weights_image;
  const std::size_t n = std::min(img.size(), base_image_.size());
  s.diff_from = static_cast<std::size_t>(std::mismatch(img.begin(), img.begin() + n, base_image_.begin()).first -
                                         img.begin());
  s.tail.assign(img.begin() + s.diff_from, img.end());
  cl.weights_image.clear();
  cl.weights_image.shrink_to_fit();
  s.cl = std::move(cl);
  last_.compiled = true;
  last_.compile_seconds = seconds_since(t0);
  return streams_.emplace(T, std::move(s)).first->second;
}

void MiniLm::make_resident(unsigned T, Stream& s) {
  if (resident_ == T) return;
  // Bytes before `from` are already right: base_image_ up to both streams' divergence.
  const std::size_t from = resident_ ? std::min(s.diff_from, resident_diff_) : 0;
  std::vector<std::uint8_t> bytes(base_image_.begin() + from, base_image_.begin() + s.diff_from);
  bytes.insert(bytes.end(), s.tail.begin(), s.tail.end());
  dev_.upload(*buf_, bytes, s.cl.weights.addr - buf_->addr + from);
  last_.image_bytes_uploaded = bytes.size();
  resident_ = T;
  resident_diff_ = s.diff_from;
}

Bf16Matrix MiniLm::run(Stream& s, const Bf16Matrix& x, MiniLmRun& fig) {
  const auto& cl = s.cl;
  dev_.upload(*buf_, cl.pack_input(x), cl.input.addr - buf_->addr);
  dev_.clear_counters();
  const auto t0 = Clock::now();
  const rt::RunResult r =
      dev_.run(cl.cmds, opt_.timeout_cycles ? opt_.timeout_cycles : rt::run_timeout(cl.cmds, dev_.hw()));
  fig.run_seconds = seconds_since(t0);
  if (!r.ok()) {
    dev_.soft_reset();  // leave the device usable for the next sentence
    throw std::runtime_error(fmt::format("all-MiniLM-L6-v2 (T = {}): the accelerator run failed: {}", cl.seq_len,
                                         r.describe()));
  }
  fig.device_cycles = r.cycles;
  fig.counters = dev_.counters();
  return cl.unpack_output(dev_.download(*buf_, cl.output.addr - buf_->addr, cl.output.bytes));
}

Bf16Matrix MiniLm::hidden(const std::vector<std::int32_t>& ids) {
  const Bf16Matrix x = input(ids);
  const auto T = static_cast<unsigned>(ids.size());
  last_ = MiniLmRun{};
  last_.tokens = T;
  Stream& s = stream(T);
  make_resident(T, s);
  stream_figures(s.cl, last_);
  last_.model_macs = cfg_.layers * shape_.macs(T);
  return run(s, x, last_);
}

std::vector<Bf16Matrix> MiniLm::layer_outputs(const std::vector<std::int32_t>& ids) {
  const Bf16Matrix x = input(ids);
  const auto T = static_cast<unsigned>(ids.size());
  Stream& plain = stream(T);  // sizes buf_ and makes this length's image resident
  make_resident(T, plain);
  compiler::StackOptions so;
  so.store_layer_outputs = true;
  Stream taps;
  taps.cl = compile(T, so, buf_->addr);
  // The STOREs add no constants, so the image must be the resident one.
  const auto& img = taps.cl.weights_image;
  const bool same = img.size() == plain.diff_from + plain.tail.size() &&
                    std::equal(img.begin(), img.begin() + plain.diff_from, base_image_.begin()) &&
                    std::equal(plain.tail.begin(), plain.tail.end(), img.begin() + plain.diff_from);
  if (!same || taps.cl.dram_bytes > buf_->bytes)
    throw std::logic_error("MiniLm: the tapped stream does not fit the plain stream's image and buffer");
  MiniLmRun fig;
  fig.tokens = T;
  Bf16Matrix y = run(taps, x, fig);
  std::vector<Bf16Matrix> out;
  for (const auto& r : taps.cl.layer_outputs)
    out.push_back(taps.cl.unpack_a(dev_.download(*buf_, r.addr - buf_->addr, r.bytes)));
  out.push_back(std::move(y));
  return out;
}

std::vector<Bf16Matrix> MiniLm::layer_outputs_reference(const std::vector<std::int32_t>& ids) const {
  std::vector<Bf16Matrix> out;
  Bf16Matrix x = input(ids);
  for (const auto& w : layers_) {
    x = ref::encoder_layer_bf16(x, shape_, w);
    out.push_back(x);
  }
  return out;
}

Bf16Matrix MiniLm::hidden_reference(const std::vector<std::int32_t>& ids) const {
  Bf16Matrix x = input(ids);
  for (const auto& w : layers_) x = ref::encoder_layer_bf16(x, shape_, w);
  return x;
}

std::vector<float> MiniLm::pool(const Bf16Matrix& h) {
  if (h.rows() == 0) throw std::invalid_argument("MiniLm::pool: no tokens");
  const std::uint16_t* p = h.data();
  std::vector<double> m(h.cols(), 0.0);
  for (std::size_t r = 0; r < h.rows(); ++r)
    for (std::size_t c = 0; c < h.cols(); ++c) {
      const std::uint32_t bits = std::uint32_t{p[r * h.cols() + c]} << 16;
      float v;
      std::memcpy(&v, &bits, sizeof v);
      m[c] += v;
    }
  double norm = 0;
  for (double& v : m) {
    v /= double(h.rows());
    norm += v * v;
  }
  norm = std::sqrt(norm);
  // sentence-transformers Normalize: x / max(|x|, 1e-12)
  norm = std::max(norm, 1e-12);
  std::vector<float> e(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) e[i] = static_cast<float>(m[i] / norm);
  return e;
}

}  // namespace npu::models
