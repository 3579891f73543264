// Model descriptions (models/*.yaml): parsing and validation. Every rejection
// names the file, the line:column of the offending node, the field, the value
// as written and what is allowed, so a bad file can be fixed from the message.
#include "npu/compiler/model_desc.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

namespace npu::compiler {
namespace {

template <class E>
struct Spelling {
  std::string_view text;
  E value;
};

constexpr std::array<Spelling<LayerKind>, 2> kLayerKinds{{
    {"encoder", LayerKind::Encoder}, {"decoder", LayerKind::Decoder}}};
constexpr std::array<Spelling<Activation>, 2> kActivations{{
    {"gelu", Activation::Gelu}, {"swiglu", Activation::SwiGlu}}};
constexpr std::array<Spelling<NormKind>, 2> kNormKinds{{
    {"layernorm", NormKind::LayerNorm}, {"rmsnorm", NormKind::RmsNorm}}};
constexpr std::array<Spelling<PosKind>, 3> kPosKinds{{
    {"none", PosKind::None}, {"learned", PosKind::Learned}, {"rope", PosKind::Rope}}};
constexpr std::array<Spelling<DType>, 2> kDTypes{{
    {"int8", DType::Int8}, {"bf16", DType::Bf16}}};

template <class E, std::size_t N>
std::string_view spell(const std::array<Spelling<E>, N>& table, E v) {
  for (const auto& s : table)
    if (s.value == v) return s.text;
  return "?";  // only for a value cast from outside the enum
}

template <class E, std::size_t N>
std::optional<E> look_up(const std::array<Spelling<E>, N>& table, std::string_view text) {
  for (const auto& s : table)
    if (s.text == text) return s.value;
  return std::nullopt;
}

template <class E, std::size_t N>
std::string one_of(const std::array<Spelling<E>, N>& table) {
  std::string out;
  for (const auto& s : table) {
    if (!out.empty()) out += ", ";
    out += s.text;
  }
  return out;
}

// Keys in file order of the schema (models/README.md); anything else is a typo.
constexpr std::array<std::string_view, 17> kFields{
    "name", "kind",     "d_model",    "heads", "kv_heads", "head_dim", "ffn",    "activation", "norm",
    "eps",  "position", "rope_theta", "dtype", "seq_len",  "layers",   "vocab",  "max_pos"};

// Large enough for any model the accelerator could run, small enough that
// products such as seq_len * d_model cannot overflow an int downstream.
constexpr long long kMaxSize = 65536;
constexpr long long kMaxLayers = 1024;
constexpr long long kMaxTable = 1 << 20;  // vocab, max_pos

std::string position(const std::string& source, const YAML::Mark& m) {
  if (m.is_null()) return source;
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar: return "a scalar";
    default: return "an undefined node";
  }
}

// yaml-cpp tags plain scalars "?" and quoted ones "!": a quoted number is a
// string in YAML, so numeric fields reject it rather than guess.
bool is_quoted(const YAML::Node& n) { return n.Tag() == "!"; }

// Decimal integer with an optional sign, nothing else: no 1e3, no 0x10, and
// no leading zero (YAML 1.1 reads 010 as octal 8).
std::optional<long long> to_integer(std::string_view s, bool& overflow) {
  overflow = false;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return std::nullopt;
  const std::string_view digits = s.front() == '-' ? s.substr(1) : s;
  if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (end != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    overflow = true;
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return v;
}

// A YAML float: decimal with optional exponent, or .inf / -.inf / .nan (which
// parse so that the finiteness check can say what is wrong with them).
std::optional<double> to_real(std::string_view s) {
  static constexpr std::array<std::string_view, 3> kInf{".inf", ".Inf", ".INF"};
  static constexpr std::array<std::string_view, 3> kNan{".nan", ".NaN", ".NAN"};
  std::string_view mag = s;
  const bool neg = !mag.empty() && mag.front() == '-';
  if (!mag.empty() && (mag.front() == '-' || mag.front() == '+')) mag.remove_prefix(1);
  for (auto t : kInf)
    if (mag == t) return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  for (auto t : kNan)
    if (s == t) return std::numeric_limits<double>::quiet_NaN();
  if (mag.empty() || mag.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return std::nullopt;
  const std::string text(s);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return v;  // overflow gives +-inf, caught by the finiteness check
}

// The top-level map of one file, indexed by field, and the error helpers.
class Fields {
 public:
  Fields(const std::string& source, const YAML::Node& root) : source_(source) {
    if (!root.IsMap())
      throw ModelDescError(position(source_, root.Mark()) + ": the document root must be a map of fields "
                           "(name: ..., kind: ..., ...), got " + type_name(root));
    for (const auto& kv : root) {
      const YAML::Node key = kv.first;
      if (!key.IsScalar())
        throw ModelDescError(position(source_, key.Mark()) + ": a field name must be a plain word, got " +
                             type_name(key));
      const std::string name = key.Scalar();
      if (!known(name)) {
        std::string allowed;
        for (auto f : kFields) allowed += (allowed.empty() ? "" : ", ") + std::string(f);
        throw ModelDescError(position(source_, key.Mark()) + ": unknown field " + in_quotes(name) +
                             "; allowed fields: " + allowed);
      }
      // yaml-cpp keeps both copies of a repeated key; which one wins would be arbitrary.
      if (const auto it = fields_.find(name); it != fields_.end())
        throw ModelDescError(position(source_, key.Mark()) + ": field " + in_quotes(name) +
                             " given twice (first at line " + std::to_string(it->second.key.Mark().line + 1) +
                             ")");
      fields_.emplace(name, Entry{key, kv.second});
    }
  }

  bool has(std::string_view field) const { return fields_.count(std::string(field)) != 0; }

  // Where to point for a message about the field: its value, or its key when
  // the value is null (yaml-cpp marks an empty value at the next line), or nowhere.
  YAML::Mark mark(std::string_view field) const {
    const auto it = fields_.find(std::string(field));
    if (it == fields_.end()) return YAML::Mark::null_mark();
    const Entry& e = it->second;
    return e.value.IsNull() ? e.key.Mark() : e.value.Mark();
  }

  [[noreturn]] void fail(std::string_view field, const std::string& what) const {
    fail_at(mark(field), field, what);
  }
  [[noreturn]] void fail_at(const YAML::Mark& at, std::string_view field, const std::string& what) const {
    throw ModelDescError(position(source_, at) + ": field " + in_quotes(field) + ": " + what);
  }

  // The value's text; the field must be present and a scalar.
  std::string scalar(std::string_view field, std::string_view expected) const {
    const auto it = fields_.find(std::string(field));
    if (it == fields_.end())
      throw ModelDescError(source_ + ": field " + in_quotes(field) + " is required (" + std::string(expected) + ")");
    const YAML::Node& v = it->second.value;
    if (!v.IsScalar()) fail(field, "expected " + std::string(expected) + ", got " + type_name(v));
    return v.Scalar();
  }

  std::string text(std::string_view field) const {
    std::string s = scalar(field, "a non-empty string");
    if (s.empty()) fail(field, "must not be empty");
    return s;
  }

  int integer(std::string_view field, long long lo, long long hi) const {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    const std::string s = scalar(field, "an integer in " + range);
    if (is_quoted(value(field))) fail(field, in_quotes(s) + " is quoted (a string); write the integer without quotes");
    bool overflow = false;
    const auto v = to_integer(s, overflow);
    if (!v && !overflow) fail(field, in_quotes(s) + " is not an integer; allowed: an integer in " + range);
    if (overflow || *v < lo || *v > hi) fail(field, in_quotes(s) + " is out of range; allowed: " + range);
    return static_cast<int>(*v);
  }

  std::optional<int> optional_integer(std::string_view field, long long lo, long long hi) const {
    if (!has(field)) return std::nullopt;
    return integer(field, lo, hi);
  }

  // A finite number > 0 (eps, rope_theta).
  double positive_real(std::string_view field) const {
    const std::string s = scalar(field, "a positive number");
    if (is_quoted(value(field))) fail(field, in_quotes(s) + " is quoted (a string); write the number without quotes");
    const auto v = to_real(s);
    if (!v) fail(field, in_quotes(s) + " is not a number; allowed: a finite number > 0 (e.g. 1.0e-5)");
    if (!std::isfinite(*v)) fail(field, in_quotes(s) + " is not finite; allowed: a finite number > 0");
    if (!(*v > 0.0)) fail(field, in_quotes(s) + " must be > 0");
    return *v;
  }

  template <class E, std::size_t N>
  E choice(std::string_view field, const std::array<Spelling<E>, N>& table) const {
    const std::string s = scalar(field, "one of " + one_of(table));
    const auto v = look_up(table, s);
    if (!v) fail(field, in_quotes(s) + " is not one of " + one_of(table));
    return *v;
  }

 private:
  struct Entry {
    YAML::Node key, value;
  };

  static bool known(std::string_view name) {
    for (auto f : kFields)
      if (f == name) return true;
    return false;
  }

  const YAML::Node& value(std::string_view field) const { return fields_.at(std::string(field)).value; }

  const std::string& source_;
  std::map<std::string, Entry> fields_;
};

ModelDesc validate(const Fields& f) {
  ModelDesc m;
  m.name = f.text("name");
  m.kind = f.choice("kind", kLayerKinds);
  m.d_model = f.integer("d_model", 1, kMaxSize);
  m.heads = f.integer("heads", 1, kMaxSize);
  m.kv_heads = f.optional_integer("kv_heads", 1, kMaxSize).value_or(m.heads);
  if (const auto hd = f.optional_integer("head_dim", 1, kMaxSize)) {
    m.head_dim = *hd;
  } else {
    if (m.d_model % m.heads != 0)
      f.fail("heads", "d_model " + std::to_string(m.d_model) + " is not a multiple of heads " +
                          std::to_string(m.heads) + " (head_dim defaults to d_model / heads)");
    m.head_dim = m.d_model / m.heads;
  }
  m.ffn = f.integer("ffn", 1, kMaxSize);
  m.act = f.choice("activation", kActivations);
  m.norm = f.choice("norm", kNormKinds);
  m.eps = f.positive_real("eps");
  m.pos = f.choice("position", kPosKinds);
  m.dtype = f.choice("dtype", kDTypes);
  m.seq_len = f.integer("seq_len", 1, kMaxSize);
  m.layers = f.integer("layers", 1, kMaxLayers);
  m.vocab = f.optional_integer("vocab", 1, kMaxTable).value_or(0);
  m.max_pos = f.optional_integer("max_pos", 1, kMaxTable).value_or(0);

  // Attention: the encoder rule first, it explains a kv_heads that also fails the divisibility.
  if (m.kind == LayerKind::Encoder && m.kv_heads != m.heads)
    f.fail("kv_heads", std::to_string(m.kv_heads) + " differs from heads " + std::to_string(m.heads) +
                           "; an encoder must have kv_heads == heads (grouped-query attention is a "
                           "decoder feature here)");
  if (m.heads % m.kv_heads != 0)
    f.fail("kv_heads", "heads " + std::to_string(m.heads) + " is not a multiple of kv_heads " +
                           std::to_string(m.kv_heads) + " (each K/V head serves heads / kv_heads query heads)");
  // The layer compiler sizes Q and the output projection by d_model for now.
  if (static_cast<long long>(m.heads) * m.head_dim != m.d_model)
    f.fail(f.has("head_dim") ? "head_dim" : "heads",
           "heads * head_dim = " + std::to_string(m.heads) + " * " + std::to_string(m.head_dim) + " = " +
               std::to_string(static_cast<long long>(m.heads) * m.head_dim) + " but d_model is " +
               std::to_string(m.d_model) + "; heads * head_dim must equal d_model");

  if (m.pos == PosKind::Rope) {
    if (!f.has("rope_theta"))
      f.fail("position", "'rope' needs field 'rope_theta' (the RoPE base, e.g. 10000)");
    m.rope_theta = f.positive_real("rope_theta");
    if (m.head_dim % 2 != 0)
      f.fail_at(f.has("head_dim") ? f.mark("head_dim") : f.mark("position"), "head_dim",
                std::to_string(m.head_dim) + " is odd; position 'rope' rotates pairs of channels, so head_dim "
                "must be even");
  } else if (f.has("rope_theta")) {
    f.fail("rope_theta", "given but position is " + in_quotes(to_string(m.pos)) +
                             "; rope_theta is allowed only with position: rope");
  }
  if (m.max_pos != 0 && m.seq_len > m.max_pos)
    f.fail("seq_len", std::to_string(m.seq_len) + " exceeds max_pos " + std::to_string(m.max_pos));
  return m;
}

}  // namespace

std::string_view to_string(LayerKind v) { return spell(kLayerKinds, v); }
std::string_view to_string(Activation v) { return spell(kActivations, v); }
std::string_view to_string(NormKind v) { return spell(kNormKinds, v); }
std::string_view to_string(PosKind v) { return spell(kPosKinds, v); }
std::string_view to_string(DType v) { return spell(kDTypes, v); }

std::optional<LayerKind> parse_layer_kind(std::string_view s) { return look_up(kLayerKinds, s); }
std::optional<Activation> parse_activation(std::string_view s) { return look_up(kActivations, s); }
std::optional<NormKind> parse_norm_kind(std::string_view s) { return look_up(kNormKinds, s); }
std::optional<PosKind> parse_pos_kind(std::string_view s) { return look_up(kPosKinds, s); }
std::optional<DType> parse_dtype(std::string_view s) { return look_up(kDTypes, s); }

namespace {

// Where the second document starts, if there is one. YAML::LoadAll is not
// used: yaml-cpp 0.7 loops forever, allocating, on some inputs (a lone ","
// yields empty documents without consuming input; found by fuzz_model_desc),
// so at most two documents are read.
struct SecondDocument : YAML::EventHandler {
  unsigned docs = 0;
  bool have_mark = false;
  YAML::Mark mark = YAML::Mark::null_mark();  // of the second document's root node, as Node::Mark()
  void node(const YAML::Mark& m) {
    if (docs == 2 && !have_mark) mark = m, have_mark = true;
  }
  void OnDocumentStart(const YAML::Mark& m) override {
    if (++docs == 2) mark = m;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnMapEnd() override {}
};

}  // namespace

ModelDesc parse_model_desc(const std::string& yaml_text, const std::string& source) {
  YAML::Node doc;
  SecondDocument second;
  try {
    std::istringstream in(yaml_text);
    YAML::Parser parser(in);
    for (int i = 0; i < 2 && parser.HandleNextDocument(second); ++i) {
    }
    if (second.docs < 2) doc = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ModelDescError(position(source, e.mark) + ": malformed YAML: " + e.msg);
  }
  if (second.docs >= 2)
    throw ModelDescError(position(source, second.mark) + ": a second YAML document; a model file holds one");
  if (!doc || doc.IsNull())
    throw ModelDescError(source + ": empty document; expected a map of fields (see models/README.md)");
  return validate(Fields(source, doc));
}

ModelDesc load_model_desc(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ModelDescError(path + ": is a directory, not a model description");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelDescError(path + ": cannot open model description: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ModelDescError(path + ": cannot read model description");
  return parse_model_desc(text.str(), path);
}

}  // namespace npu::compiler
