// all-MiniLM-L6-v2 end to end on the functional model (base configuration),
// BF16: the compiled 6-layer stream through rt::Device must equal the host
// bit-exact reference (ref::encoder_layer_bf16 six times) bit for bit, and its
// pooled embeddings must be close to the numpy float64 model
// (tests/models/data/minilm_eval_float.txt, written by gen_minilm_golden.py
// with models/ref/run.py). Default suite: two sentences (T = 3 and 7) and the
// error cases, ~16 s of CPU; nightly: the 32 eval sentences, bit-exact too (~7 min).
#include "model_file_test_util.hpp"
#include "npu/compiler/layer.hpp"
#include "npu/models/minilm.hpp"
#include "npu/models/model_file.hpp"
#include "npu/runtime/device.hpp"
#include "npu/runtime/model_transport.hpp"

#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
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

ref::AccelConfig base_config() {  // configs/base.yaml
  ref::AccelConfig c;
  c.rows = 16, c.cols = 16, c.bus_bytes = 32;
  c.aspad_words = 8192, c.wspad_words = 2048, c.acc_rows = 1024, c.vec_maxlen = 1024;
  return c;
}

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
