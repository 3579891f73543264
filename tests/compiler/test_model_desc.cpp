// Model descriptions (models/*.yaml, npu::compiler::load_model_desc): the
// shipped files load with their published shapes, and every malformed field is
// rejected with a message naming the file, line:column, field and value.
#include "npu/compiler/model_desc.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace npu::compiler;
using Catch::Matchers::Contains;

namespace {

const std::string kModels = NPU_MODELS_DIR;

// A description as (key, value-as-written) lines, so a test can change one
// field and know the line and column the error must point at.
class Doc {
 public:
  explicit Doc(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}

  Doc& set(const std::string& key, const std::string& value) {
    for (auto& f : fields_)
      if (f.first == key) {
        f.second = value;
        return *this;
      }
    fields_.emplace_back(key, value);
    return *this;
  }
  Doc& erase(const std::string& key) {
    for (auto it = fields_.begin(); it != fields_.end(); ++it)
      if (it->first == key) {
        fields_.erase(it);
        break;
      }
    return *this;
  }
  std::string text() const {
    std::string s;
    for (const auto& [k, v] : fields_) s += k + ": " + v + "\n";
    return s;
  }
  // "t.yaml:<line>:<column>" of key's value (1-based).
  std::string at(const std::string& key) const {
    for (std::size_t i = 0; i < fields_.size(); ++i)
      if (fields_[i].first == key) return "t.yaml:" + std::to_string(i + 1) + ":" + std::to_string(key.size() + 3);
    return "t.yaml:?";
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

Doc decoder() {
  return Doc({{"name", "tiny-llama"},
              {"kind", "decoder"},
              {"d_model", "48"},
              {"heads", "3"},
              {"kv_heads", "1"},
              {"head_dim", "16"},
              {"ffn", "80"},
              {"activation", "swiglu"},
              {"norm", "rmsnorm"},
              {"eps", "1.0e-5"},
              {"position", "rope"},
              {"rope_theta", "10000"},
              {"dtype", "bf16"},
              {"seq_len", "9"},
              {"layers", "2"}});
}

Doc encoder() {
  return Doc({{"name", "tiny-bert"},
              {"kind", "encoder"},
              {"d_model", "40"},
              {"heads", "2"},
              {"ffn", "64"},
              {"activation", "gelu"},
              {"norm", "layernorm"},
              {"eps", "1.0e-12"},
              {"position", "learned"},
              {"dtype", "int8"},
              {"seq_len", "7"},
              {"layers", "2"}});
}

ModelDesc parse(const Doc& d) { return parse_model_desc(d.text(), "t.yaml"); }

// The message of the ModelDescError that text raises, or a marker if none.
std::string error_of(const std::string& text) {
  try {
    parse_model_desc(text, "t.yaml");
  } catch (const ModelDescError& e) {
    return e.what();
  }
  return "(accepted)";
}
std::string error_of(const Doc& d) { return error_of(d.text()); }

}  // namespace

// ---- the shipped descriptions ----------------------------------------------

TEST_CASE("model_desc: the shipped all-MiniLM-L6-v2 description loads as a 6-layer encoder with 12 heads of 32") {
  const ModelDesc m = load_model_desc(kModels + "/minilm-l6.yaml");
  CHECK(m.name == "all-MiniLM-L6-v2");
  CHECK(m.kind == LayerKind::Encoder);
  CHECK(m.layers == 6);
  CHECK(m.d_model == 384);
  CHECK(m.heads == 12);
  CHECK(m.kv_heads == 12);
  CHECK(m.head_dim == 32);
  CHECK(m.ffn == 1536);
  CHECK(m.act == Activation::Gelu);
  CHECK(m.norm == NormKind::LayerNorm);
  CHECK(m.eps == 1.0e-12);
  CHECK(m.pos == PosKind::Learned);
  CHECK(m.rope_theta == 0.0);
  CHECK(m.dtype == DType::Int8);
  CHECK(m.seq_len == 128);
  CHECK(m.vocab == 30522);
  CHECK(m.max_pos == 512);
  CHECK(m.group() == 1);
}

TEST_CASE("model_desc: the shipped BERT-base description loads as 12 encoder layers of d_model 768 and FFN 3072") {
  const ModelDesc m = load_model_desc(kModels + "/bert-base.yaml");
  CHECK(m.name == "bert-base");
  CHECK(m.kind == LayerKind::Encoder);
  CHECK(m.layers == 12);
  CHECK(m.d_model == 768);
  CHECK(m.heads == 12);
  CHECK(m.kv_heads == 12);
  CHECK(m.head_dim == 64);
  CHECK(m.ffn == 3072);
  CHECK(m.act == Activation::Gelu);
  CHECK(m.norm == NormKind::LayerNorm);
  CHECK(m.eps == 1.0e-12);
  CHECK(m.pos == PosKind::Learned);
  CHECK(m.dtype == DType::Int8);
  CHECK(m.seq_len == 128);
}

TEST_CASE("model_desc: the shipped SmolLM2-135M description loads with 9 heads sharing 3 KV heads") {
  const ModelDesc m = load_model_desc(kModels + "/smollm2-135m.yaml");
  CHECK(m.name == "SmolLM2-135M");
  CHECK(m.kind == LayerKind::Decoder);
  CHECK(m.layers == 30);
  CHECK(m.d_model == 576);
  CHECK(m.heads == 9);
  CHECK(m.kv_heads == 3);
  CHECK(m.head_dim == 64);
  CHECK(m.group() == 3);
  CHECK(m.q_dim() == 576);
  CHECK(m.kv_dim() == 192);
  CHECK(m.ffn == 1536);
  CHECK(m.act == Activation::SwiGlu);
  CHECK(m.norm == NormKind::RmsNorm);
  CHECK(m.eps == 1.0e-5);
  CHECK(m.pos == PosKind::Rope);
  CHECK(m.rope_theta == 100000.0);
  CHECK(m.dtype == DType::Bf16);
  CHECK(m.seq_len == 128);
  CHECK(m.vocab == 49152);
  CHECK(m.max_pos == 8192);
}

TEST_CASE("model_desc: the shipped test-encoder description loads with d_model 40 = 2 heads of 20") {
  const ModelDesc m = load_model_desc(kModels + "/test-encoder.yaml");
  CHECK(m.name == "test-encoder");
  CHECK(m.kind == LayerKind::Encoder);
  CHECK(m.d_model == 40);
  CHECK(m.heads == 2);
  CHECK(m.kv_heads == 2);
  CHECK(m.head_dim == 20);
  CHECK(m.ffn == 64);
  CHECK(m.act == Activation::Gelu);
  CHECK(m.norm == NormKind::LayerNorm);
  CHECK(m.eps == 1.0e-12);
  CHECK(m.pos == PosKind::Learned);
  CHECK(m.dtype == DType::Int8);
  CHECK(m.seq_len == 7);
  CHECK(m.layers == 2);
  CHECK(m.vocab == 0);
  CHECK(m.max_pos == 0);
}

TEST_CASE("model_desc: the shipped test-decoder description loads with 3 query heads on 1 KV head and RoPE") {
  const ModelDesc m = load_model_desc(kModels + "/test-decoder.yaml");
  CHECK(m.name == "test-decoder");
  CHECK(m.kind == LayerKind::Decoder);
  CHECK(m.d_model == 48);
  CHECK(m.heads == 3);
  CHECK(m.kv_heads == 1);
  CHECK(m.head_dim == 16);
  CHECK(m.group() == 3);
  CHECK(m.kv_dim() == 16);
  CHECK(m.ffn == 80);
  CHECK(m.act == Activation::SwiGlu);
  CHECK(m.norm == NormKind::RmsNorm);
  CHECK(m.eps == 1.0e-5);
  CHECK(m.pos == PosKind::Rope);
  CHECK(m.rope_theta == 10000.0);
  CHECK(m.dtype == DType::Bf16);
  CHECK(m.seq_len == 9);
  CHECK(m.layers == 2);
}

// ---- names and defaults ----------------------------------------------------

TEST_CASE("model_desc: every enum name round-trips through to_string and its lower-case parse function") {
  for (auto v : {LayerKind::Encoder, LayerKind::Decoder}) CHECK(parse_layer_kind(to_string(v)) == v);
  for (auto v : {Activation::Gelu, Activation::SwiGlu}) CHECK(parse_activation(to_string(v)) == v);
  for (auto v : {NormKind::LayerNorm, NormKind::RmsNorm}) CHECK(parse_norm_kind(to_string(v)) == v);
  for (auto v : {PosKind::None, PosKind::Learned, PosKind::Rope}) CHECK(parse_pos_kind(to_string(v)) == v);
  for (auto v : {DType::Int8, DType::Bf16}) CHECK(parse_dtype(to_string(v)) == v);
  CHECK(to_string(NormKind::RmsNorm) == "rmsnorm");
  CHECK(to_string(Activation::SwiGlu) == "swiglu");
  CHECK_FALSE(parse_norm_kind("LayerNorm"));
  CHECK_FALSE(parse_dtype("fp16"));
  CHECK_FALSE(parse_pos_kind(""));
}

TEST_CASE("model_desc: kv_heads defaults to heads and head_dim to d_model / heads") {
  const ModelDesc e = parse(encoder());
  CHECK(e.kv_heads == 2);
  CHECK(e.head_dim == 20);
  const ModelDesc d = parse(decoder().erase("kv_heads").erase("head_dim"));
  CHECK(d.kv_heads == 3);
  CHECK(d.head_dim == 16);
}

TEST_CASE("model_desc: vocab and max_pos are optional, 0 when absent and bounded when given") {
  const ModelDesc d = parse(decoder());
  CHECK(d.vocab == 0);
  CHECK(d.max_pos == 0);
  const ModelDesc v = parse(decoder().set("vocab", "49152").set("max_pos", "8192"));
  CHECK(v.vocab == 49152);
  CHECK(v.max_pos == 8192);
  CHECK_THAT(error_of(decoder().set("vocab", "0")), Contains("field 'vocab': '0' is out of range; allowed: 1..1048576"));
}

TEST_CASE("model_desc: position none needs no rope_theta and an encoder may use SwiGLU") {
  const ModelDesc m = parse(encoder().set("position", "none").set("activation", "swiglu"));
  CHECK(m.pos == PosKind::None);
  CHECK(m.act == Activation::SwiGlu);
  CHECK(m.rope_theta == 0.0);
}

// ---- keys ------------------------------------------------------------------

TEST_CASE("model_desc: an unknown field is rejected at its line with the list of allowed fields") {
  const Doc d = decoder().set("dmodel", "48");  // a typo, appended as line 16
  const std::string msg = error_of(d);
  CHECK_THAT(msg, Contains("t.yaml:16:1: unknown field 'dmodel'"));
  CHECK_THAT(msg, Contains("allowed fields: name, kind, d_model, heads, kv_heads, head_dim, ffn, activation, norm, "
                           "eps, position, rope_theta, dtype, seq_len, layers, vocab, max_pos"));
}

TEST_CASE("model_desc: a field given twice is rejected at its second occurrence") {
  const std::string msg = error_of(decoder().text() + "heads: 4\n");
  CHECK_THAT(msg, Contains("t.yaml:16:1: field 'heads' given twice (first at line 4)"));
}

TEST_CASE("model_desc: each missing required field is named") {
  for (const char* field : {"name", "kind", "d_model", "heads", "ffn", "activation", "norm", "eps", "position",
                            "dtype", "seq_len", "layers"}) {
    CAPTURE(field);
    CHECK_THAT(error_of(decoder().erase(field)),
               Contains("t.yaml: field '" + std::string(field) + "' is required"));
  }
}

// ---- YAML types ------------------------------------------------------------

TEST_CASE("model_desc: a map where a scalar is expected is rejected at its line") {
  const std::string msg = error_of("name: x\nkind: decoder\nd_model:\n  value: 48\n");
  CHECK_THAT(msg, Contains("t.yaml:4:3: field 'd_model': expected an integer in 1..65536, got a map"));
}

TEST_CASE("model_desc: a sequence or an empty value where a scalar is expected is rejected") {
  CHECK_THAT(error_of(decoder().set("norm", "[rmsnorm]")),
             Contains(decoder().at("norm") + ": field 'norm': expected one of layernorm, rmsnorm, got a sequence"));
  // An empty or null value is reported at its key (line 7, column 1).
  CHECK_THAT(error_of(decoder().set("ffn", "")),
             Contains("t.yaml:7:1: field 'ffn': expected an integer in 1..65536, got nothing (null)"));
  CHECK_THAT(error_of(decoder().set("ffn", "~")),
             Contains("t.yaml:7:1: field 'ffn': expected an integer in 1..65536, got nothing (null)"));
}

TEST_CASE("model_desc: a size that is not a plain decimal integer (38.5, abc, 1e3, 0x30, 048) is rejected as not an integer") {
  for (const char* bad : {"38.5", "abc", "1e3", "0x30", "048", "48abc", "true", "--5"}) {
    CAPTURE(bad);
    const Doc d = decoder().set("d_model", bad);
    CHECK_THAT(error_of(d), Contains(d.at("d_model") + ": field 'd_model': '" + bad +
                                     "' is not an integer; allowed: an integer in 1..65536"));
  }
  CHECK(parse(decoder().set("d_model", "+48")).d_model == 48);
}

TEST_CASE("model_desc: a quoted number is a string and is rejected") {
  const Doc d = decoder().set("layers", "\"2\"");
  CHECK_THAT(error_of(d), Contains(d.at("layers") + ": field 'layers': '2' is quoted"));
  CHECK_THAT(error_of(decoder().set("eps", "'1e-5'")), Contains("field 'eps': '1e-5' is quoted"));
}

// ---- ranges ----------------------------------------------------------------

TEST_CASE("model_desc: sizes must be in 1..65536 and layers in 1..1024") {
  struct Case {
    const char* field;
    const char* value;
    const char* range;
  };
  for (const Case& c : {Case{"d_model", "0", "1..65536"}, Case{"heads", "-3", "1..65536"},
                        Case{"kv_heads", "0", "1..65536"}, Case{"head_dim", "65537", "1..65536"},
                        Case{"ffn", "100000", "1..65536"}, Case{"seq_len", "99999999999999999999", "1..65536"},
                        Case{"layers", "0", "1..1024"}, Case{"layers", "1025", "1..1024"}}) {
    CAPTURE(c.field, c.value);
    const Doc d = decoder().set(c.field, c.value);
    CHECK_THAT(error_of(d), Contains(d.at(c.field) + ": field '" + c.field + "': '" + c.value +
                                     "' is out of range; allowed: " + c.range));
  }
  CHECK(parse(decoder().set("layers", "1024").set("seq_len", "65536")).layers == 1024);
}

TEST_CASE("model_desc: eps must be a finite number > 0") {
  CHECK_THAT(error_of(decoder().set("eps", "0")), Contains(decoder().at("eps") + ": field 'eps': '0' must be > 0"));
  CHECK_THAT(error_of(decoder().set("eps", "-1e-5")), Contains("field 'eps': '-1e-5' must be > 0"));
  CHECK_THAT(error_of(decoder().set("eps", ".nan")), Contains("field 'eps': '.nan' is not finite"));
  CHECK_THAT(error_of(decoder().set("eps", ".inf")), Contains("field 'eps': '.inf' is not finite"));
  CHECK_THAT(error_of(decoder().set("eps", "1e999")), Contains("field 'eps': '1e999' is not finite"));
  CHECK_THAT(error_of(decoder().set("eps", "small")), Contains("field 'eps': 'small' is not a number"));
  CHECK(parse(decoder().set("eps", "1e-6")).eps == 1e-6);
}

TEST_CASE("model_desc: seq_len may not exceed max_pos") {
  const Doc d = decoder().set("max_pos", "8");
  CHECK_THAT(error_of(d), Contains(d.at("seq_len") + ": field 'seq_len': 9 exceeds max_pos 8"));
}

// ---- choices ---------------------------------------------------------------

TEST_CASE("model_desc: an unknown norm names the file, line:column, value and the allowed spellings") {
  const Doc d = decoder().set("norm", "batchnorm");
  REQUIRE_THROWS_WITH(parse(d), "t.yaml:9:7: field 'norm': 'batchnorm' is not one of layernorm, rmsnorm");
}

TEST_CASE("model_desc: kind, activation, position and dtype accept only their lower-case names") {
  struct Case {
    const char* field;
    const char* value;
    const char* allowed;
  };
  for (const Case& c : {Case{"kind", "encoder-decoder", "encoder, decoder"}, Case{"activation", "relu", "gelu, swiglu"},
                        Case{"norm", "LayerNorm", "layernorm, rmsnorm"},
                        Case{"position", "alibi", "none, learned, rope"}, Case{"dtype", "fp16", "int8, bf16"}}) {
    CAPTURE(c.field, c.value);
    const Doc d = decoder().set(c.field, c.value);
    CHECK_THAT(error_of(d), Contains(d.at(c.field) + ": field '" + c.field + "': '" + c.value + "' is not one of " +
                                     c.allowed));
  }
}

TEST_CASE("model_desc: the name must not be empty") {
  CHECK_THAT(error_of(decoder().set("name", "''")), Contains(decoder().at("name") + ": field 'name': must not be empty"));
}

// ---- attention shape -------------------------------------------------------

TEST_CASE("model_desc: heads must be a multiple of kv_heads") {
  const Doc d = decoder().set("kv_heads", "2");
  CHECK_THAT(error_of(d), Contains(d.at("kv_heads") + ": field 'kv_heads': heads 3 is not a multiple of kv_heads 2"));
  CHECK_THAT(error_of(decoder().set("kv_heads", "6")), Contains("heads 3 is not a multiple of kv_heads 6"));
}

TEST_CASE("model_desc: an encoder must have kv_heads == heads because grouped-query attention is a decoder feature") {
  const Doc d = encoder().set("kv_heads", "1");
  const std::string msg = error_of(d);
  CHECK_THAT(msg, Contains(d.at("kv_heads") + ": field 'kv_heads': 1 differs from heads 2"));
  CHECK_THAT(msg, Contains("grouped-query attention is a decoder feature"));
}

TEST_CASE("model_desc: heads * head_dim must equal d_model") {
  const Doc d = decoder().set("head_dim", "20");
  CHECK_THAT(error_of(d), Contains(d.at("head_dim") + ": field 'head_dim': heads * head_dim = 3 * 20 = 60 but "
                                                      "d_model is 48; heads * head_dim must equal d_model"));
  // Without head_dim the default d_model / heads must be exact.
  const Doc e = encoder().set("heads", "3");
  CHECK_THAT(error_of(e), Contains(e.at("heads") + ": field 'heads': d_model 40 is not a multiple of heads 3"));
}

// ---- position --------------------------------------------------------------

TEST_CASE("model_desc: position rope needs an even head_dim") {
  const Doc d = decoder().set("d_model", "45").set("head_dim", "15");
  CHECK_THAT(error_of(d), Contains(d.at("head_dim") + ": field 'head_dim': 15 is odd; position 'rope' rotates pairs"));
  // A defaulted head_dim is reported at the position field that makes it matter.
  const Doc e = decoder().set("d_model", "45").erase("head_dim");
  CHECK_THAT(error_of(e), Contains(e.at("position") + ": field 'head_dim': 15 is odd"));
}

TEST_CASE("model_desc: rope_theta is required with position rope and rejected otherwise") {
  const Doc missing = decoder().erase("rope_theta");
  CHECK_THAT(error_of(missing),
             Contains(missing.at("position") + ": field 'position': 'rope' needs field 'rope_theta'"));
  const Doc extra = encoder().set("rope_theta", "10000");
  CHECK_THAT(error_of(extra), Contains(extra.at("rope_theta") + ": field 'rope_theta': given but position is "
                                                                "'learned'; rope_theta is allowed only with position: rope"));
}

TEST_CASE("model_desc: rope_theta must be a finite number > 0") {
  const Doc d = decoder().set("rope_theta", "0");
  CHECK_THAT(error_of(d), Contains(d.at("rope_theta") + ": field 'rope_theta': '0' must be > 0"));
  CHECK_THAT(error_of(decoder().set("rope_theta", "-10000")), Contains("field 'rope_theta': '-10000' must be > 0"));
  CHECK_THAT(error_of(decoder().set("rope_theta", "-.inf")), Contains("field 'rope_theta': '-.inf' is not finite"));
  CHECK_THAT(error_of(decoder().set("rope_theta", "1e4")), Contains("(accepted)"));
}

// ---- documents and files ---------------------------------------------------

TEST_CASE("model_desc: the document root must be a map") {
  CHECK_THAT(error_of("- name: x\n- kind: decoder\n"),
             Contains("t.yaml:1:1: the document root must be a map of fields (name: ..., kind: ..., ...), got a "
                      "sequence"));
  CHECK_THAT(error_of("just a line\n"), Contains("t.yaml:1:1: the document root must be a map"));
  CHECK_THAT(error_of(""), Contains("t.yaml: empty document"));
  CHECK_THAT(error_of("# only a comment\n"), Contains("t.yaml: empty document"));
}

TEST_CASE("model_desc: malformed YAML is reported with the file and position") {
  const std::string msg = error_of("name: x\nkind: [decoder\nheads: 3\n");
  CHECK_THAT(msg, Contains("t.yaml:"));
  CHECK_THAT(msg, Contains(": malformed YAML: "));
  CHECK_THAT(error_of("name: x\n  kind: decoder\n"), Contains("t.yaml:2:7: malformed YAML: "));
}

// Found by fuzz/fuzz_model_desc.cpp: yaml-cpp 0.7's LoadAll never returned (and
// kept allocating) on these (regression inputs fuzz/corpus/fuzz_model_desc/regression-*).
TEST_CASE("model_desc: a lone ',' is rejected, not parsed forever") {
  CHECK_THAT(error_of(","), Contains("t.yaml"));
  CHECK_THAT(error_of(decoder().text() + "---\n,\n"), Contains("a second YAML document"));
}

TEST_CASE("model_desc: a second YAML document in one file is rejected") {
  CHECK_THAT(error_of(decoder().text() + "---\nname: other\n"), Contains("t.yaml:17:1: a second YAML document"));
}

TEST_CASE("model_desc: a missing file is an error naming its path") {
  const std::string path = kModels + "/no-such-model.yaml";
  REQUIRE_THROWS_AS(load_model_desc(path), ModelDescError);
  REQUIRE_THROWS_WITH(load_model_desc(path), Contains(path + ": cannot open model description"));
  REQUIRE_THROWS_WITH(load_model_desc(kModels), Contains(kModels + ": is a directory"));
}
