#include "npu/models/gguf.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace npu::models {
namespace {

constexpr std::uint32_t kDefaultAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT
constexpr std::uint32_t kMaxDims = 4;            // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;              // no real file nests deeper than 2

struct TypeTraits {
  GgmlType type;
  std::string_view name;
  std::uint32_t block;  // elements per block
  std::uint32_t bytes;  // bytes per block
};

// Block geometry from ggml (ggml-common.h / gguf-py GGML_QUANT_SIZES), so
// files using types we cannot dequantize still open and size-check.
constexpr TypeTraits kTypes[] = {
    {GgmlType::F32, "F32", 1, 4},          {GgmlType::F16, "F16", 1, 2},
    {GgmlType::Q4_0, "Q4_0", 32, 18},      {GgmlType::Q4_1, "Q4_1", 32, 20},
    {GgmlType::Q5_0, "Q5_0", 32, 22},      {GgmlType::Q5_1, "Q5_1", 32, 24},
    {GgmlType::Q8_0, "Q8_0", 32, 34},      {GgmlType::Q8_1, "Q8_1", 32, 40},
    {GgmlType::Q2_K, "Q2_K", 256, 84},     {GgmlType::Q3_K, "Q3_K", 256, 110},
    {GgmlType::Q4_K, "Q4_K", 256, 144},    {GgmlType::Q5_K, "Q5_K", 256, 176},
    {GgmlType::Q6_K, "Q6_K", 256, 210},    {GgmlType::Q8_K, "Q8_K", 256, 292},
    {GgmlType::I8, "I8", 1, 1},            {GgmlType::I16, "I16", 1, 2},
    {GgmlType::I32, "I32", 1, 4},          {GgmlType::I64, "I64", 1, 8},
    {GgmlType::F64, "F64", 1, 8},          {GgmlType::BF16, "BF16", 1, 2},
};

const TypeTraits* traits(std::uint32_t raw) {
  for (const TypeTraits& t : kTypes)
    if (static_cast<std::uint32_t>(t.type) == raw) return &t;
  return nullptr;
}

// Smallest encoding of one value of type t: bounds array counts by the bytes
// left, so a corrupt count fails before anything is allocated.
std::uint64_t min_value_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::BOOL: return 1;
    case GgufValueType::U16: case GgufValueType::I16: return 2;
    case GgufValueType::U32: case GgufValueType::I32: case GgufValueType::F32: return 4;
    case GgufValueType::U64: case GgufValueType::I64: case GgufValueType::F64:
    case GgufValueType::STRING: return 8;
    case GgufValueType::ARRAY: return 12;
  }
  return 1;
}

std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

// Bounds-checked little-endian cursor over the mapped file.
class Cursor {
public:
  explicit Cursor(const MappedFile& f) : f_(f) {}
  std::uint64_t pos() const { return pos_; }
  std::uint64_t left() const { return f_.size() - pos_; }

  const std::uint8_t* take(std::uint64_t n, std::string_view what) {
    if (n > left())
      throw ModelFileError(fmt::format(
          "{}: truncated: {} needs {} bytes at offset {}, only {} left", f_.path(), what, n,
          pos_, left()));
    const std::uint8_t* p = f_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <typename T>
  T read(std::string_view what) {
    T v;
    std::memcpy(&v, take(sizeof(T), what), sizeof(T));
    return v;
  }
  std::string string(std::string_view what) {
    const auto n = read<std::uint64_t>(what);
    if (n > left())
      throw ModelFileError(fmt::format(
          "{}: {}: string length {} at offset {} exceeds the {} bytes left in the file",
          f_.path(), what, n, pos_ - 8, left()));
    const auto* p = reinterpret_cast<const char*>(take(n, what));
    return std::string(p, static_cast<std::size_t>(n));
  }

private:
  const MappedFile& f_;
  std::uint64_t pos_ = 0;
};

GgufValueType checked_value_type(std::uint32_t raw, const std::string& path,
                                 std::string_view what) {
  if (raw > static_cast<std::uint32_t>(GgufValueType::F64))
    throw ModelFileError(fmt::format("{}: {}: unknown value type {} (expected 0..12)", path,
                                     what, raw));
  return static_cast<GgufValueType>(raw);
}

GgufValue read_value(Cursor& c, GgufValueType type, const std::string& path,
                     std::string_view what, int depth) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufValueType::U8: v.scalar = std::uint64_t{c.read<std::uint8_t>(what)}; break;
    case GgufValueType::I8: v.scalar = std::int64_t{c.read<std::int8_t>(what)}; break;
    case GgufValueType::U16: v.scalar = std::uint64_t{c.read<std::uint16_t>(what)}; break;
    case GgufValueType::I16: v.scalar = std::int64_t{c.read<std::int16_t>(what)}; break;
    case GgufValueType::U32: v.scalar = std::uint64_t{c.read<std::uint32_t>(what)}; break;
    case GgufValueType::I32: v.scalar = std::int64_t{c.read<std::int32_t>(what)}; break;
    case GgufValueType::U64: v.scalar = c.read<std::uint64_t>(what); break;
    case GgufValueType::I64: v.scalar = c.read<std::int64_t>(what); break;
    case GgufValueType::F32: v.scalar = double{c.read<float>(what)}; break;
    case GgufValueType::F64: v.scalar = c.read<double>(what); break;
    case GgufValueType::BOOL: {
      const auto b = c.read<std::uint8_t>(what);
      if (b > 1)
        throw ModelFileError(fmt::format("{}: {}: bool byte is {}, expected 0 or 1", path,
                                         what, b));
      v.scalar = b == 1;
      break;
    }
    case GgufValueType::STRING: v.scalar = c.string(what); break;
    case GgufValueType::ARRAY: {
      if (depth >= kMaxArrayNesting)
        throw ModelFileError(fmt::format("{}: {}: arrays nested deeper than {}", path, what,
                                         kMaxArrayNesting));
      v.array_type = checked_value_type(c.read<std::uint32_t>(what), path, what);
      const auto n = c.read<std::uint64_t>(what);
      const std::uint64_t min = min_value_bytes(v.array_type);
      if (n > c.left() / min)
        throw ModelFileError(fmt::format(
            "{}: {}: array of {} {} values cannot fit in the {} bytes left (corrupt count?)",
            path, what, n, to_string(v.array_type), c.left()));
      v.array.reserve(static_cast<std::size_t>(n));
      for (std::uint64_t i = 0; i < n; ++i)
        v.array.push_back(read_value(c, v.array_type, path, what, depth + 1));
      break;
    }
  }
  return v;
}

// The value of an integer-typed GgufValue as signed/unsigned, if it fits T.
template <typename T>
std::optional<T> integer_as(const GgufValue& v) {
  if (const auto* u = std::get_if<std::uint64_t>(&v.scalar)) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(*u);
  } else if (const auto* s = std::get_if<std::int64_t>(&v.scalar)) {
    if constexpr (std::is_signed_v<T>) {
      if (*s >= std::numeric_limits<T>::min() && *s <= std::numeric_limits<T>::max())
        return static_cast<T>(*s);
    } else {
      if (*s >= 0 && static_cast<std::uint64_t>(*s) <= std::numeric_limits<T>::max())
        return static_cast<T>(*s);
    }
  }
  return std::nullopt;
}

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::U16:
    case GgufValueType::I16: case GgufValueType::U32: case GgufValueType::I32:
    case GgufValueType::U64: case GgufValueType::I64: return true;
    default: return false;
  }
}

std::string describe(const GgufValue& v) {
  if (const auto* u = std::get_if<std::uint64_t>(&v.scalar)) return std::to_string(*u);
  if (const auto* s = std::get_if<std::int64_t>(&v.scalar)) return std::to_string(*s);
  return std::string(to_string(v.type));
}

// ggml dequantize_row_* (ggml-quants.c), same fp32 operations in the same order.
void dequantize_blocks(GgmlType type, const std::uint8_t* src, std::uint64_t n, float* dst) {
  if (n == 0) return;  // an empty tensor has no data (src may be null: found by fuzz_gguf)
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<std::size_t>(n) * 4);
      break;
    case GgmlType::F16:
      for (std::uint64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(le16(src + 2 * i));
      break;
    case GgmlType::BF16:
      for (std::uint64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(le16(src + 2 * i));
      break;
    case GgmlType::Q8_0:  // block_q8_0 { ggml_half d; int8_t qs[32]; }, x = q * d
      for (std::uint64_t b = 0; b < n / 32; ++b, src += 34, dst += 32) {
        const float d = fp16_to_f32(le16(src));
        for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(static_cast<std::int8_t>(src[2 + j])) * d;
      }
      break;
    case GgmlType::Q4_1:  // block_q4_1 { ggml_half d, m; uint8_t qs[16]; }, x = q * d + m
      for (std::uint64_t b = 0; b < n / 32; ++b, src += 20, dst += 32) {
        const float d = fp16_to_f32(le16(src));
        const float m = fp16_to_f32(le16(src + 2));
        for (int j = 0; j < 16; ++j) {
          const std::uint8_t q = src[4 + j];
          dst[j] = static_cast<float>(q & 0x0f) * d + m;       // low nibble: element j
          dst[j + 16] = static_cast<float>(q >> 4) * d + m;    // high nibble: element j + 16
        }
      }
      break;
    default:
      break;  // rejected by the caller
  }
}

bool can_dequantize(GgmlType t) {
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16 ||
         t == GgmlType::Q8_0 || t == GgmlType::Q4_1;
}

}  // namespace

std::string_view to_string(GgufValueType t) {
  static constexpr std::string_view kNames[] = {"U8",  "I8",     "U16",   "I16", "U32",
                                                "I32", "F32",    "BOOL",  "STRING",
                                                "ARRAY", "U64",  "I64",   "F64"};
  const auto i = static_cast<std::uint32_t>(t);
  return i < std::size(kNames) ? kNames[i] : std::string_view("unknown");
}

std::string_view to_string(GgmlType t) {
  const TypeTraits* tt = traits(static_cast<std::uint32_t>(t));
  return tt ? tt->name : std::string_view("unknown");
}

GgufFile::GgufFile(std::string path) : file_(std::move(path)) {
  const std::string& p = file_.path();
  Cursor c(file_);
  if (file_.size() < 4 || std::memcmp(file_.data(), "GGUF", 4) != 0) {
    std::string found = "fewer than 4 bytes";
    if (file_.size() >= 4) {
      const std::uint8_t* m = file_.data();
      found = fmt::format("{:02x} {:02x} {:02x} {:02x}", m[0], m[1], m[2], m[3]);
    }
    throw ModelFileError(fmt::format(
        "{}: not a GGUF file: expected magic \"GGUF\" (47 47 55 46), found {}", p, found));
  }
  c.take(4, "magic");
  version_ = c.read<std::uint32_t>("header version");
  if (version_ != 2 && version_ != 3)
    throw ModelFileError(fmt::format(
        "{}: GGUF version {} not supported (expected 2 or 3{})", p, version_,
        version_ == 1 ? "; version 1 used 32-bit counts"
                      : (version_ & 0xffff) == 0 ? "; a big-endian file?" : ""));
  const auto n_tensors = c.read<std::uint64_t>("header tensor_count");
  const auto n_kv = c.read<std::uint64_t>("header kv_count");
  // Each KV is at least key length (8) + type (4) + 1 byte; each tensor info
  // at least name length (8) + n_dims (4) + type (4) + offset (8).
  if (n_kv > c.left() / 13)
    throw ModelFileError(fmt::format(
        "{}: header kv_count {} cannot fit in the {} bytes left (corrupt or truncated header?)", p, n_kv,
        c.left()));
  if (n_tensors > c.left() / 24)
    throw ModelFileError(fmt::format(
        "{}: header tensor_count {} cannot fit in the {} bytes left (corrupt or truncated header?)", p,
        n_tensors, c.left()));

  keys_.reserve(static_cast<std::size_t>(n_kv));
  for (std::uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.string(fmt::format("key #{}", i));
    const std::string what = fmt::format("key '{}'", key);
    const GgufValueType type = checked_value_type(c.read<std::uint32_t>(what), p, what);
    GgufValue v = read_value(c, type, p, what, 0);
    if (kv_.count(key) != 0)
      throw ModelFileError(fmt::format("{}: duplicate key '{}'", p, key));
    kv_.emplace(key, std::move(v));
    keys_.push_back(std::move(key));
  }

  if (has("general.alignment")) {
    alignment_ = u32("general.alignment");
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
      throw ModelFileError(fmt::format(
          "{}: key 'general.alignment': expected a power of two, found {}", p, alignment_));
  } else {
    alignment_ = kDefaultAlignment;
  }

  tensors_.reserve(static_cast<std::size_t>(n_tensors));
  for (std::uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    t.name = c.string(fmt::format("tensor info #{}", i));
    const std::string what = fmt::format("tensor '{}'", t.name);
    const auto n_dims = c.read<std::uint32_t>(what);
    if (n_dims == 0 || n_dims > kMaxDims)
      throw ModelFileError(fmt::format("{}: {}: {} dimensions, expected 1..{}", p, what,
                                       n_dims, kMaxDims));
    for (std::uint32_t d = 0; d < n_dims; ++d) t.ne.push_back(c.read<std::uint64_t>(what));
    t.shape.assign(t.ne.rbegin(), t.ne.rend());
    t.elements = element_count(t.ne, fmt::format("{}: {}", p, what));
    if (t.elements > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw ModelFileError(fmt::format("{}: {}: {} elements overflow int64", p, what,
                                       t.elements));
    const auto raw_type = c.read<std::uint32_t>(what);
    const TypeTraits* tt = traits(raw_type);
    if (tt == nullptr)
      throw ModelFileError(fmt::format("{}: {}: unknown ggml type {}", p, what, raw_type));
    t.type = tt->type;
    if (t.ne[0] % tt->block != 0)
      throw ModelFileError(fmt::format(
          "{}: {}: innermost dimension ne[0] = {} is not a multiple of the {} block size {}", p,
          what, t.ne[0], tt->name, tt->block));
    if (t.elements / tt->block > std::numeric_limits<std::uint64_t>::max() / tt->bytes)
      throw ModelFileError(fmt::format("{}: {}: byte size overflows 64 bits", p, what));
    t.size = t.elements / tt->block * tt->bytes;
    t.offset = c.read<std::uint64_t>(what);
    if (t.offset % alignment_ != 0)
      throw ModelFileError(fmt::format(
          "{}: {}: data offset {} is not a multiple of the alignment {}", p, what, t.offset,
          alignment_));
    if (index_.count(t.name) != 0)
      throw ModelFileError(fmt::format("{}: duplicate tensor '{}'", p, t.name));
    index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  for (GgufTensor& t : tensors_) {
    const std::uint64_t rel = t.offset;
    const std::uint64_t n = file_.size();
    const bool inside = data_offset_ <= n && rel <= n - data_offset_ &&
                        t.size <= n - data_offset_ - rel;
    if (!inside)
      throw ModelFileError(fmt::format(
          "{}: tensor '{}' ({} {}) needs bytes [{}, {}) but the file has only {} bytes "
          "(truncated?)",
          p, t.name, to_string(t.type), shape_string(t.shape), data_offset_ + rel,
          data_offset_ + rel + t.size, n));
    t.offset = data_offset_ + rel;
  }

  std::vector<const GgufTensor*> by_offset;
  for (const GgufTensor& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensor& a = *by_offset[i - 1];
    const GgufTensor& b = *by_offset[i];
    if (b.offset < a.offset + a.size)
      throw ModelFileError(fmt::format(
          "{}: tensor '{}' bytes [{}, {}) overlap tensor '{}' bytes [{}, {})", p, b.name,
          b.offset, b.offset + b.size, a.name, a.offset, a.offset + a.size));
  }
}

bool GgufFile::has(std::string_view key) const { return kv_.find(key) != kv_.end(); }

const GgufValue& GgufFile::value(std::string_view key) const {
  const auto it = kv_.find(key);
  if (it == kv_.end())
    throw ModelFileError(fmt::format("{}: missing metadata key '{}'", path(), key));
  return it->second;
}

namespace {
ModelFileError wrong_type(const std::string& path, std::string_view key, std::string_view want,
                          const GgufValue& v) {
  std::string found(to_string(v.type));
  if (v.type == GgufValueType::ARRAY) found = fmt::format("ARRAY of {}", to_string(v.array_type));
  return ModelFileError(
      fmt::format("{}: key '{}': expected {}, found {}", path, key, want, found));
}
}  // namespace

std::string GgufFile::string(std::string_view key) const {
  const GgufValue& v = value(key);
  if (v.type != GgufValueType::STRING) throw wrong_type(path(), key, "STRING", v);
  return std::get<std::string>(v.scalar);
}

template <typename T>
static T integer_value(const GgufFile& f, const GgufValue& v, std::string_view key,
                       std::string_view want) {
  if (!is_integer(v.type)) throw wrong_type(f.path(), key, want, v);
  const std::optional<T> r = integer_as<T>(v);
  if (!r)
    throw ModelFileError(fmt::format("{}: key '{}': value {} ({}) does not fit {}", f.path(),
                                     key, describe(v), to_string(v.type), want));
  return *r;
}

std::uint32_t GgufFile::u32(std::string_view key) const {
  return integer_value<std::uint32_t>(*this, value(key), key, "an integer fitting uint32");
}
std::uint64_t GgufFile::u64(std::string_view key) const {
  return integer_value<std::uint64_t>(*this, value(key), key, "an integer fitting uint64");
}
std::int64_t GgufFile::i64(std::string_view key) const {
  return integer_value<std::int64_t>(*this, value(key), key, "an integer fitting int64");
}

float GgufFile::f32(std::string_view key) const {
  const GgufValue& v = value(key);
  if (v.type != GgufValueType::F32 && v.type != GgufValueType::F64)
    throw wrong_type(path(), key, "F32 or F64", v);
  return static_cast<float>(std::get<double>(v.scalar));
}

bool GgufFile::boolean(std::string_view key) const {
  const GgufValue& v = value(key);
  if (v.type != GgufValueType::BOOL) throw wrong_type(path(), key, "BOOL", v);
  return std::get<bool>(v.scalar);
}

std::vector<std::string> GgufFile::strings(std::string_view key) const {
  const GgufValue& v = value(key);
  if (v.type != GgufValueType::ARRAY || v.array_type != GgufValueType::STRING)
    throw wrong_type(path(), key, "ARRAY of STRING", v);
  std::vector<std::string> out;
  out.reserve(v.array.size());
  for (const GgufValue& e : v.array) out.push_back(std::get<std::string>(e.scalar));
  return out;
}

std::vector<std::int32_t> GgufFile::i32s(std::string_view key) const {
  const GgufValue& v = value(key);
  if (v.type != GgufValueType::ARRAY || !is_integer(v.array_type))
    throw wrong_type(path(), key, "ARRAY of integers", v);
  std::vector<std::int32_t> out;
  out.reserve(v.array.size());
  for (std::size_t i = 0; i < v.array.size(); ++i) {
    const std::optional<std::int32_t> r = integer_as<std::int32_t>(v.array[i]);
    if (!r)
      throw ModelFileError(fmt::format("{}: key '{}': element {} = {} does not fit int32",
                                       path(), key, i, describe(v.array[i])));
    out.push_back(*r);
  }
  return out;
}

std::vector<float> GgufFile::f32s(std::string_view key) const {
  const GgufValue& v = value(key);
  if (v.type != GgufValueType::ARRAY ||
      (v.array_type != GgufValueType::F32 && v.array_type != GgufValueType::F64))
    throw wrong_type(path(), key, "ARRAY of F32 or F64", v);
  std::vector<float> out;
  out.reserve(v.array.size());
  for (const GgufValue& e : v.array) out.push_back(static_cast<float>(std::get<double>(e.scalar)));
  return out;
}

bool GgufFile::has_tensor(std::string_view name) const {
  return index_.find(name) != index_.end();
}

const GgufTensor& GgufFile::tensor(std::string_view name) const {
  const auto it = index_.find(name);
  if (it == index_.end())
    throw ModelFileError(fmt::format("{}: no tensor '{}' (the file has {} tensors)", path(),
                                     name, tensors_.size()));
  return tensors_[it->second];
}

ByteView GgufFile::raw(std::string_view name) const {
  const GgufTensor& t = tensor(name);
  return file_.bytes(t.offset, t.size, fmt::format("tensor '{}'", t.name));
}

std::vector<float> GgufFile::dequantize(std::string_view name,
                                        const std::vector<std::uint64_t>& expected_shape) const {
  const GgufTensor& t = tensor(name);
  if (t.shape != expected_shape)
    throw ModelFileError(fmt::format(
        "{}: tensor '{}': expected shape {}, found {} (row-major; GGUF ne = {})", path(), t.name,
        shape_string(expected_shape), shape_string(t.shape), shape_string(t.ne)));
  // ne[0] == 0: an empty tensor, no rows (found by fuzz_gguf: was a division by zero)
  return dequantize_rows(name, 0, t.ne[0] == 0 ? 0 : t.elements / t.ne[0]);
}

std::vector<float> GgufFile::dequantize_rows(std::string_view name, std::uint64_t first,
                                             std::uint64_t count) const {
  const GgufTensor& t = tensor(name);
  if (!can_dequantize(t.type))
    throw ModelFileError(fmt::format(
        "{}: tensor '{}': cannot dequantize type {} (supported: F32, F16, BF16, Q8_0, Q4_1)",
        path(), t.name, to_string(t.type)));
  const std::uint64_t row_len = t.ne[0];
  const std::uint64_t rows = row_len == 0 ? 0 : t.elements / row_len;
  if (first > rows || count > rows - first)
    throw ModelFileError(fmt::format("{}: tensor '{}': rows [{}, {}) requested, it has {}",
                                     path(), t.name, first, first + count, rows));
  const TypeTraits* tt = traits(static_cast<std::uint32_t>(t.type));
  const std::uint64_t row_bytes = row_len / tt->block * tt->bytes;
  const ByteView b = raw(name);
  std::vector<float> out(static_cast<std::size_t>(count * row_len));
  dequantize_blocks(t.type, b.data + first * row_bytes, count * row_len, out.data());
  return out;
}

}  // namespace npu::models
