// all-MiniLM-L6-v2 end to end on the functional model (base configuration),
// BF16: the compiled 6-layer stream through rt::Device must equal the host
// bit-exact reference (ref::encoder_layer_bf16 six times) bit for bit, and its
// pooled embeddings must be close to the numpy float64 model
// (tests/models/data/minilm_eval_float.txt, written by gen_minilm_golden.py
// with models/ref/run.py). Default suite: two sentences (T = 3 and 7) and the
// error cases, ~16 s of CPU; nightly: the 32 eval sentences, bit-exact too (~7 min).
// Also: tile pruning (MiniLm::Options::sparsity; default: T = 3 at 50 %, nightly:
// the eval set at 0 / 25 / 50 %) and the INT8 path (models::MiniLmInt8; default:
// T = 3 bit-exact, nightly: the eval set against float64 with per-layer error).
#include "model_file_test_util.hpp"
#include "npu/compiler/layer.hpp"
#include "npu/models/minilm.hpp"
#include "npu/models/minilm_int8.hpp"
#include "npu/models/model_file.hpp"
#include "npu/runtime/device.hpp"
#include "npu/runtime/model_transport.hpp"

#include "accel_configs.hpp"

#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace npu;
using Catch::Matchers::Contains;

namespace {

const std::string kMiniLmDir = NPU_MINILM_DIR;

using npu::test::base_config;

// The functional model behind the driver, as an application would open it.
struct ModelDevice {
  rt::ModelTransport transport{base_config()};
  rt::Device dev{transport, {}};
};

// BF16 cosine bound to the float64 model (which uses the exact erf GELU where
// the accelerator has the tanh form: the figure includes that). Measured over
// the 32 eval sentences (docs/models.md): min 0.999942, mean 0.999956, so
// 1 - cos <= 5.8e-5; the bound allows 1 - cos = 5e-4, ~9x that, for other
// sentences of the same kind, and is stricter than issue 10's 0.999.
constexpr double kMinCosine = 0.9995;

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb);
}
std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// models/text/eval.txt: sentences in file order ("A | B" gives A then B) and the pairs.
struct EvalSet {
  std::vector<std::string> sentences;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<std::vector<double>> golden;  // float64 embeddings, same order
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

EvalSet load_eval() {
  EvalSet e;
  const std::string path = std::string(NPU_MODELS_DIR) + "/text/eval.txt";
  std::ifstream in(path);
  REQUIRE(in);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find('|');
    if (bar == std::string::npos) {
      e.sentences.push_back(line);
    } else {
      e.pairs.emplace_back(e.sentences.size(), e.sentences.size() + 1);
      e.sentences.push_back(trim(line.substr(0, bar)));
      e.sentences.push_back(trim(line.substr(bar + 1)));
    }
  }
  const std::string gpath = std::string(NPU_MODELS_TEST_DATA) + "/minilm_eval_float.txt";
  std::ifstream g(gpath);
  REQUIRE(g);
  std::size_t named = 0;
  while (std::getline(g, line)) {
    if (line.rfind("# ", 0) == 0) {
      // "# [i] sentence": the golden must be of this eval.txt (the freshness test regenerates it).
      REQUIRE(named < e.sentences.size());
      CHECK(line == fmt::format("# [{}] {}", named, e.sentences[named]));
      ++named;
      continue;
    }
    std::istringstream row(line);
    std::vector<double> v;
    for (double x; row >> x;) v.push_back(x);
    REQUIRE(v.size() == 384);
    e.golden.push_back(std::move(v));
  }
  REQUIRE(e.golden.size() == e.sentences.size());
  return e;
}

// Nearest neighbour of `q` among the golden embeddings other than `self`.
std::size_t nearest(const std::vector<double>& q, const std::vector<std::vector<double>>& set, std::size_t self) {
  std::size_t best = self == 0 ? 1 : 0;
  for (std::size_t j = 0; j < set.size(); ++j)
    if (j != self && cosine(q, set[j]) > cosine(q, set[best])) best = j;
  return best;
}

// Device == reference bit for bit; on a mismatch, rerun both layer by layer to name the layer.
void require_bit_exact(models::MiniLm& m, const std::vector<std::int32_t>& ids, const models::Bf16Matrix& got) {
  const auto want = m.hidden_reference(ids);
  const auto bad = ref::first_mismatch(got, want, "last hidden state");
  if (bad) {
    const auto dl = m.layer_outputs(ids);
    const auto rl = m.layer_outputs_reference(ids);
    std::string where = "no layer differs in the tapped run";
    for (std::size_t l = 0; l < rl.size(); ++l)
      if (auto b = ref::first_mismatch(dl.at(l), rl[l], "layer " + std::to_string(l) + " output")) {
        where = *b;
        break;
      }
    FAIL(fmt::format("T = {}: {}; first differing layer: {}", ids.size(), *bad, where));
  }
}

}  // namespace

TEST_CASE("MiniLM: the 6-layer stream on the device equals the bit-exact reference (T = 3 and 7)", "[minilm]") {
  ModelDevice md;
  models::MiniLm m(kMiniLmDir, md.dev);
  const auto e = load_eval();

  // "hello" alone: T = 3, the first compile uploads the whole image.
  const auto ids3 = m.tokens("Hello");
  REQUIRE(ids3 == std::vector<std::int32_t>{101, 7592, 102});
  const auto h3 = m.hidden(ids3);
  const models::MiniLmRun r3 = m.last_run();
  CHECK(r3.tokens == 3);
  CHECK(r3.compiled);
  CHECK(r3.image_bytes_uploaded > 20'000'000);  // 6 layers of BF16 weights
  CHECK(r3.commands > 1000);
  CHECK(r3.model_macs == 6 * (3 * 384 * 3 * 384 + 12 * 2 * 3 * 3 * 32 + 3 * 384 * 384 + 2 * 3 * 384 * 1536));
  CHECK(r3.issued_macs >= r3.model_macs);
  require_bit_exact(m, ids3, h3);

  // An eval sentence, T = 7: another stream; only the image's tail is uploaded.
  const std::size_t k = 11;
  REQUIRE(e.sentences[k] == "She takes piano lessons.");
  const auto ids7 = m.tokens(e.sentences[k]);
  REQUIRE(ids7.size() == 7);
  const auto h7 = m.hidden(ids7);
  CHECK(m.last_run().compiled);
  CHECK(m.last_run().image_bytes_uploaded < 1'000'000);
  require_bit_exact(m, ids7, h7);
  const auto v = widen(models::MiniLm::pool(h7));
  const double c = cosine(v, e.golden[k]);
  INFO("cosine to float64 " << c);
  CHECK(c >= kMinCosine);
  // Its nearest neighbour among the float embeddings is its paraphrase, as in float.
  CHECK(nearest(v, e.golden, k) == nearest(e.golden[k], e.golden, k));
  CHECK(nearest(v, e.golden, k) == 10);

  // Back to T = 3: the cached stream, the tail re-uploaded, the same bits.
  const auto again = m.hidden(ids3);
  CHECK_FALSE(m.last_run().compiled);
  CHECK(m.last_run().image_bytes_uploaded < 1'000'000);
  const auto bad = ref::first_mismatch(again, h3, "T = 3 rerun");
  INFO(bad.value_or("equal"));
  CHECK_FALSE(bad);
}

TEST_CASE("MiniLM: a missing or different model directory is a clear error", "[minilm]") {
  ModelDevice md;
  CHECK_THROWS_WITH(models::MiniLm("/nonexistent/minilm", md.dev),
                    Contains("/nonexistent/minilm/config.json") && Contains("cannot open"));
  models::test::TempDir tmp;
  const std::string dir = tmp.file("model");
  std::filesystem::create_directory(dir);
  std::ifstream in(kMiniLmDir + "/config.json");
  REQUIRE(in);
  nlohmann::json cfg = nlohmann::json::parse(in);
  const auto write_config = [&] { std::ofstream(dir + "/config.json") << cfg.dump(2); };
  cfg["hidden_size"] = 768;
  write_config();
  CHECK_THROWS_AS(models::MiniLm(dir, md.dev), models::ModelFileError);
  CHECK_THROWS_WITH(models::MiniLm(dir, md.dev), Contains(dir + "/config.json") && Contains("'hidden_size'") &&
                                                     Contains("expected 384, found 768"));
  cfg["hidden_size"] = 384;
  cfg["hidden_act"] = "relu";
  write_config();
  CHECK_THROWS_WITH(models::MiniLm(dir, md.dev), Contains("'hidden_act'") && Contains("\"gelu\""));
  // A good config.json and vocabulary but no weights: the error names the weight file.
  cfg["hidden_act"] = "gelu";
  write_config();
  std::filesystem::copy_file(kMiniLmDir + "/vocab.txt", dir + "/vocab.txt");
  CHECK_THROWS_WITH(models::MiniLm(dir, md.dev), Contains(dir + "/model.safetensors"));
}

TEST_CASE("MiniLM: a sentence longer than what compiles names T and the limit", "[minilm]") {
  ModelDevice md;
  models::MiniLm m(kMiniLmDir, md.dev);
  const std::size_t limit = m.max_sequence();
  INFO("longest sequence that compiles on base: " << limit);
  CHECK(limit >= 15);  // the whole eval set (7 .. 15 tokens) fits
  // The bisection uses one layer; the 6-layer stack fits the same length.
  CHECK_NOTHROW(compiler::compile_encoder_stack_bf16(m.shape(), m.weights(), static_cast<int>(limit), m.accel()));
  if (limit >= 512) return;  // everything the tokenizer produces compiles
  std::string text;
  for (std::size_t i = 0; i + 2 <= limit; ++i) text += "a ";  // one token a word, + [CLS] [SEP]
  const auto ids = m.tokens(text);
  REQUIRE(ids.size() == limit + 1);
  try {
    m.hidden(ids);
    FAIL("T = " << ids.size() << " compiled");
  } catch (const models::SequenceLengthError& err) {
    CHECK(err.tokens() == limit + 1);
    CHECK(err.limit() == limit);
    CHECK_THAT(err.what(), Contains(fmt::format("T = {} tokens", limit + 1)) &&
                               Contains(fmt::format("the longest that does is T = {}", limit)));
  }
  CHECK_THROWS_AS(m.embed(text), std::invalid_argument);  // SequenceLengthError is one
}

TEST_CASE("MiniLM nightly: the 32 eval sentences on the device, bit-exact and within the BF16 bound of float",
          "[minilm][nightly]") {
  ModelDevice md;
  models::MiniLm m(kMiniLmDir, md.dev);
  const auto e = load_eval();
  std::vector<std::vector<double>> dev;
  double cmin = 1, csum = 0;
  std::size_t worst = 0;
  for (std::size_t i = 0; i < e.sentences.size(); ++i) {
    const auto ids = m.tokens(e.sentences[i]);
    const auto h = m.hidden(ids);
    require_bit_exact(m, ids, h);
    dev.push_back(widen(models::MiniLm::pool(h)));
    const double c = cosine(dev.back(), e.golden[i]);
    fmt::print("[{:2}] T = {:2}  {} commands  {} MACs  cosine {:.6f}  {}\n", i, ids.size(), m.last_run().commands,
               m.last_run().issued_macs, c, e.sentences[i]);
    if (c < cmin) cmin = c, worst = i;
    csum += c;
  }
  // Nearest neighbours: device set against device set, as float against float.
  std::size_t agree = 0;
  for (std::size_t i = 0; i < dev.size(); ++i) {
    const std::size_t nd = nearest(dev[i], dev, i), nf = nearest(e.golden[i], e.golden, i);
    if (nd == nf) ++agree;
    else fmt::print("nearest neighbour of [{}] differs: device [{}], float [{}]\n", i, nd, nf);
  }
  fmt::print("cosine to float64: min {:.6f} ([{}]), mean {:.6f}; nearest neighbour agrees on {} of {}\n", cmin, worst,
             csum / double(dev.size()), agree, dev.size());
  CHECK(cmin >= kMinCosine);
  for (const auto& [a, b] : e.pairs) {
    INFO("pair [" << a << "] / [" << b << "]");
    CHECK(nearest(dev[a], dev, a) == b);
    CHECK(nearest(dev[b], dev, b) == a);
  }
  CHECK(agree == dev.size());
}

// ---------------------------------------------------------------------------
// Tile-granular pruning (issue 10 item 4): MiniLm::Options::sparsity prunes
// whole 16x16 tiles of every weight matrix by L1 norm (compiler::prune_layer_bf16),
// the compiler leaves their LOADs and GEMM tiles out, and the host reference
// runs the same pruned weights, so device == reference still holds bit for bit.

namespace {

// Pruning without fine-tuning loses most of the accuracy at this tile size:
// measured on the 32 eval sentences (docs/models.md) mean cosine 0.4654 at 25 %
// and 0.1619 at 50 % (min 0.2488 / -0.0383; nearest neighbour 20 / 9 of 32).
// The figures are deterministic; the bounds are regression guards ~25 % below
// them (and above what embeddings of unrelated weights give, ~0), not accuracy targets.
constexpr double kPrune25MinMean = 0.35, kPrune50MinMean = 0.12;
constexpr std::size_t kPrune25MinNn = 15;

struct PruneFigures {
  double sparsity = 0;
  std::size_t tiles = 0, pruned = 0;
  double cmin = 1, cmean = 0;
  std::size_t worst = 0, nn_agree = 0, n = 0, pairs_agree = 0, pairs = 0;
  std::size_t tokens = 0, commands = 0;  // of the sentence the stream figures are of
  std::uint64_t macs = 0, dma_read = 0;
  double seconds = 0;  // device wall clock over the set
};

void print_prune_table(const std::vector<PruneFigures>& rows, const std::string& what) {
  fmt::print("\nall-MiniLM-L6-v2 BF16, tile pruning on base (16x16 tiles), {}\n", what);
  fmt::print("{:>8} {:>13} {:>10} {:>10} {:>9} {:>9} {:>3} {:>9} {:>13} {:>13}\n", "sparsity", "tiles pruned",
             "cos min", "cos mean", "NN agree", "pairs", "T", "commands", "MACs issued", "DMA read B");
  for (const auto& r : rows) {
    const bool acc = r.n > 0;  // accuracy measured
    fmt::print("{:>7.0f}% {:>6}/{:<6} {:>10} {:>10} {:>9} {:>9} {:>3} {:>9} {:>13} {:>13}\n", 100 * r.sparsity,
               r.pruned, r.tiles, acc ? fmt::format("{:.6f}", r.cmin) : "-",
               acc ? fmt::format("{:.6f}", r.cmean) : "-", acc ? fmt::format("{}/{}", r.nn_agree, r.n) : "-",
               acc ? fmt::format("{}/{}", r.pairs_agree, r.pairs) : "-", r.tokens, r.commands, r.macs, r.dma_read);
  }
  if (rows.size() > 1 && rows.front().dma_read > 0)
    for (std::size_t i = 1; i < rows.size(); ++i)
      fmt::print("{:>7.0f}%: DMA read {:.1f} %, MACs issued {:.1f} %, commands {:.1f} % of dense\n",
                 100 * rows[i].sparsity, 100.0 * double(rows[i].dma_read) / double(rows.front().dma_read),
                 100.0 * double(rows[i].macs) / double(rows.front().macs),
                 100.0 * double(rows[i].commands) / double(rows.front().commands));
}

models::MiniLm::Options with_sparsity(double s) {
  models::MiniLm::Options o;
  o.sparsity = s;
  return o;
}

}  // namespace

TEST_CASE("MiniLM pruning: 50 % of the weight tiles skipped, bit-exact, DMA read drops (T = 3)", "[minilm][prune]") {
  const auto ids = std::vector<std::int32_t>{101, 7592, 102};  // "Hello"
  std::vector<PruneFigures> rows;
  for (const double s : {0.0, 0.5}) {
    ModelDevice md;
    models::MiniLm m(kMiniLmDir, md.dev, with_sparsity(s));
    REQUIRE(m.tokens("Hello") == ids);
    PruneFigures f;
    f.sparsity = s, f.tiles = m.prune_stats().tiles, f.pruned = m.prune_stats().pruned;
    const auto h = m.hidden(ids);
    f.tokens = ids.size(), f.commands = m.last_run().commands;
    f.macs = m.last_run().issued_macs, f.dma_read = m.last_run().dma_read_bytes;
    if (s > 0) require_bit_exact(m, ids, h);  // the dense stream is checked by the tests above
    rows.push_back(f);
  }
  print_prune_table(rows, "one sentence (\"Hello\", T = 3), no accuracy figures");
  const auto& dense = rows[0];
  const auto& half = rows[1];
  CHECK(dense.pruned == 0);
  CHECK(dense.tiles == half.tiles);
  // 6 layers x (4 x 24x24 + 2 x 24x96) tiles of 16x16.
  CHECK(half.tiles == 6 * (4 * 24 * 24 + 2 * 24 * 96));
  CHECK(half.pruned == 6 * (4 * 288 + 2 * 1152));
  // Weights are nearly all of the reads (21.5 MB against T x 768 B of input):
  // half the weight tiles gone must take at least ~40 % of the bytes with them.
  CHECK(double(half.dma_read) <= 0.6 * double(dense.dma_read));
  CHECK(half.macs < dense.macs);
}

TEST_CASE("MiniLM pruning nightly: accuracy and stream cost at 0, 25 and 50 % tile sparsity on the eval set",
          "[minilm][prune][nightly]") {
  const auto e = load_eval();
  std::vector<PruneFigures> rows;
  for (const double s : {0.0, 0.25, 0.5}) {
    ModelDevice md;
    models::MiniLm m(kMiniLmDir, md.dev, with_sparsity(s));
    PruneFigures f;
    f.sparsity = s, f.tiles = m.prune_stats().tiles, f.pruned = m.prune_stats().pruned;
    std::vector<std::vector<double>> dev;
    double csum = 0;
    for (std::size_t i = 0; i < e.sentences.size(); ++i) {
      const auto ids = m.tokens(e.sentences[i]);
      const auto h = m.hidden(ids);
      f.seconds += m.last_run().run_seconds;
      if (i == 11) {  // "She takes piano lessons.", T = 7: bit-exact and the stream figures
        require_bit_exact(m, ids, h);
        f.tokens = ids.size(), f.commands = m.last_run().commands;
        f.macs = m.last_run().issued_macs, f.dma_read = m.last_run().dma_read_bytes;
      }
      dev.push_back(widen(models::MiniLm::pool(h)));
      const double c = cosine(dev.back(), e.golden[i]);
      if (c < f.cmin) f.cmin = c, f.worst = i;
      csum += c;
    }
    f.n = dev.size();
    f.cmean = csum / double(f.n);
    for (std::size_t i = 0; i < dev.size(); ++i)
      if (nearest(dev[i], dev, i) == nearest(e.golden[i], e.golden, i)) ++f.nn_agree;
    for (const auto& [a, b] : e.pairs) {
      ++f.pairs;
      if (nearest(dev[a], dev, a) == b && nearest(dev[b], dev, b) == a) ++f.pairs_agree;
    }
    fmt::print("sparsity {:.0f} %: worst sentence [{}] {:.6f}, device {:.1f} s for {} sentences\n", 100 * s,
               f.worst, f.cmin, f.seconds, f.n);
    rows.push_back(f);
  }
  print_prune_table(rows, "32 eval sentences against float64; stream figures of sentence [11] (T = 7)");
  const auto& dense = rows[0];
  // Dense: today's BF16 figures.
  CHECK(dense.cmin >= kMinCosine);
  CHECK(dense.nn_agree == dense.n);
  CHECK(dense.pairs_agree == dense.pairs);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    INFO("sparsity " << r.sparsity);
    CHECK(r.pruned > 0);
    CHECK(r.dma_read < dense.dma_read);
    CHECK(r.macs < dense.macs);
    // Pruning without fine-tuning: sanity bounds only (see docs/models.md for the
    // measured figures), set well below what was measured so that they catch a
    // broken pipeline (cosine ~0 .. 0.5 for garbage), not the accuracy loss.
    CHECK(r.cmean >= (r.sparsity <= 0.25 ? kPrune25MinMean : kPrune50MinMean));
  }
  CHECK(rows[1].nn_agree >= kPrune25MinNn);
  CHECK(rows[2].dma_read < rows[1].dma_read);
}

// All-INT8 per-tensor PTQ does NOT reach issue 10's INT8 target (mean 0.99,
// min 0.98): measured on the 32 eval sentences (docs/models.md) mean 0.6256,
// min 0.4961, nearest neighbour 21 of 32, because of the activation outliers of
// the FFN / residual-2 path (see the [diag] test). Deterministic figures; these
// bounds are regression guards ~15 % below them, not the target.
constexpr double kInt8MinMean = 0.55, kInt8Min = 0.42;
constexpr std::size_t kInt8MinNn = 17;

// ---------------------------------------------------------------------------
// INT8 (I-BERT): per-tensor activation scales calibrated on
// models/text/calibration.txt, per-output-channel INT8 weights, six device runs
// of compile_encoder_layer_int8 per sentence against ref::encoder_layer_int8.

namespace {

std::vector<std::string> calibration_set() {
  return models::read_sentences(std::string(NPU_MODELS_DIR) + "/text/calibration.txt");
}

// Device == reference bit for bit, layer by layer (names the first layer that differs).
void require_bit_exact_int8(models::MiniLmInt8& q, const std::vector<std::int32_t>& ids,
                            const std::vector<models::Int8Matrix>& got) {
  const auto want = q.layer_outputs_reference(ids);
  REQUIRE(got.size() == want.size());
  for (std::size_t l = 0; l < want.size(); ++l) {
    const auto bad = ref::first_mismatch(got[l], want[l], "layer " + std::to_string(l) + " output");
    if (bad) FAIL(fmt::format("T = {}: {}", ids.size(), *bad));
  }
}

// Mean and minimum row cosine of a against b (T x d).
std::pair<double, double> row_cosines(const ref::Matrix<double>& a, const ref::Matrix<double>& b) {
  double sum = 0, mn = 1;
  for (std::size_t r = 0; r < a.rows(); ++r) {
    std::vector<double> x(a.cols()), y(a.cols());
    for (std::size_t c = 0; c < a.cols(); ++c) x[c] = a(r, c), y[c] = b(r, c);
    const double cs = cosine(x, y);
    sum += cs, mn = std::min(mn, cs);
  }
  return {sum / double(a.rows()), mn};
}

}  // namespace

TEST_CASE("MiniLM INT8: the six INT8 layers in one stream on the device equal ref::encoder_layer_int8 (T = 3)",
          "[minilm][int8]") {
  ModelDevice md;
  models::MiniLm m(kMiniLmDir, md.dev);
  // Bit-exactness does not depend on the scales: calibrate on the test sentence
  // alone (the full calibration set takes minutes of float64 layers).
  models::MiniLmInt8 q(m, md.dev, {"Hello"});
  REQUIRE(q.layers().size() == 6);
  const auto ids = m.tokens("Hello");
  const auto got = q.layer_outputs(ids);
  const models::MiniLmRun r = q.last_run();
  fmt::print("INT8, T = 3: {} commands, {} MACs issued, {} B DMA read, device {:.2f} s\n", r.commands,
             r.issued_macs, r.dma_read_bytes, r.run_seconds);
  CHECK(r.commands > 0);
  require_bit_exact_int8(q, ids, got);
  // Not saturated or all zero: the last output uses its int8 range.
  int peak = 0;
  for (std::size_t r = 0; r < got.back().rows(); ++r)
    for (std::size_t c = 0; c < got.back().cols(); ++c) peak = std::max(peak, std::abs(int{got.back()(r, c)}));
  CHECK(peak > 32);
}

TEST_CASE("MiniLM INT8 nightly: the eval set on the device against float64, per-layer error", "[minilm][int8][nightly]") {
  ModelDevice md;
  models::MiniLm m(kMiniLmDir, md.dev);
  models::MiniLmInt8 q(m, md.dev, calibration_set());
  const auto e = load_eval();
  const std::size_t L = q.layers().size();
  std::vector<double> layer_mean(L, 0), layer_min(L, 1);
  std::vector<std::vector<double>> dev;
  double cmin = 1, csum = 0, secs = 0;
  std::size_t worst = 0;
  models::MiniLmRun fig11;
  for (std::size_t i = 0; i < e.sentences.size(); ++i) {
    const auto ids = m.tokens(e.sentences[i]);
    const auto outs = q.layer_outputs(ids);
    secs += q.last_run().run_seconds;
    if (i == 11) require_bit_exact_int8(q, ids, outs), fig11 = q.last_run();
    // Per-layer error: the dequantized int8 output of layer l against the float64
    // layer chain (encoder_layer_f64, BF16 weights, tanh GELU) from the same input.
    ref::Matrix<double> x = ref::bf16_to_f64(m.input(ids));
    for (std::size_t l = 0; l < L; ++l) {
      x = ref::encoder_layer_f64(x, m.shape(), m.weights()[l]);
      const auto [mean, mn] = row_cosines(q.dequantize(outs[l], l), x);
      layer_mean[l] += mean / double(e.sentences.size());
      layer_min[l] = std::min(layer_min[l], mn);
    }
    dev.push_back(widen(q.pool(outs.back())));
    const double c = cosine(dev.back(), e.golden[i]);
    fmt::print("[{:2}] T = {:2}  cosine {:.6f}  {}\n", i, ids.size(), c, e.sentences[i]);
    if (c < cmin) cmin = c, worst = i;
    csum += c;
  }
  std::size_t agree = 0, pairs = 0;
  for (std::size_t i = 0; i < dev.size(); ++i)
    if (nearest(dev[i], dev, i) == nearest(e.golden[i], e.golden, i)) ++agree;
  for (const auto& [a, b] : e.pairs)
    if (nearest(dev[a], dev, a) == b && nearest(dev[b], dev, b) == a) ++pairs;
  fmt::print("\nall-MiniLM-L6-v2 INT8 (I-BERT, every tensor INT8) vs float64, {} eval sentences\n", dev.size());
  fmt::print("cosine min {:.6f} ([{}]), mean {:.6f}; nearest neighbour {}/{}; paraphrase pairs {}/{}\n", cmin, worst,
             csum / double(dev.size()), agree, dev.size(), pairs, e.pairs.size());
  fmt::print("T = 7 (sentence [11]): {} commands, {} MACs issued, {} B DMA read; device {:.1f} s for the set\n",
             fig11.commands, fig11.issued_macs, fig11.dma_read_bytes, secs);
  fmt::print("{:>5} {:>16} {:>16}   (row cosine of layer output vs float64 chain)\n", "layer", "mean", "min");
  for (std::size_t l = 0; l < L; ++l) fmt::print("{:>5} {:>16.6f} {:>16.6f}\n", l, layer_mean[l], layer_min[l]);
  const auto& s = q.layers();
  fmt::print("{:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}   (activation scales)\n", "layer", "x", "q", "s",
             "a", "r1", "g", "f2", "r2");
  for (std::size_t l = 0; l < L; ++l) {
    const auto& a = s[l].p.scales;
    fmt::print("{:>5} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f}\n", l, a.x, a.q, a.s,
               a.a, a.r1, a.g, a.f2, a.r2);
  }
  CHECK(csum / double(dev.size()) >= kInt8MinMean);
  CHECK(cmin >= kInt8Min);
  CHECK(agree >= kInt8MinNn);
}

TEST_CASE("MiniLM INT8 diagnosis: how many int8 steps each tensor uses (reference only)", "[.][diag][nightly]") {
  ModelDevice md;
  models::MiniLm m(kMiniLmDir, md.dev);
  auto cal = calibration_set();
  cal.resize(4);  // a quick look: the first 4 calibration sentences
  models::MiniLmInt8 q(m, md.dev, cal);
  const auto ids = m.tokens("She takes piano lessons.");
  models::Int8Matrix x = q.input(ids);
  const char* names[] = {"q", "k", "v", "attn", "a", "r1", "h1", "g", "f", "f2", "r2", "y"};
  fmt::print("RMS of the int8 codes (127 = full scale) per tensor, eval sentence [11]\nlayer");
  for (const char* n : names) fmt::print(" {:>6}", n);
  fmt::print("\n");
  for (std::size_t l = 0; l < q.layers().size(); ++l) {
    ref::LayerTraceInt8 tr;
    x = ref::encoder_layer_int8(x, m.shape(), q.layers()[l], &tr);
    fmt::print("{:>5}", l);
    for (const char* n : names) {
      const auto& t = tr.at(n);
      double ss = 0;
      for (std::size_t r = 0; r < t.rows(); ++r)
        for (std::size_t c = 0; c < t.cols(); ++c) ss += double(t(r, c)) * t(r, c);
      fmt::print(" {:>6.2f}", std::sqrt(ss / double(t.rows() * t.cols())));
    }
    fmt::print("\n");
  }
}
