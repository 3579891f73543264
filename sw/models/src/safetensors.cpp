#include "npu/models/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace npu::models {
namespace {

// The reference implementation (safetensors crate) refuses headers above
// 100 MB; a larger length is a corrupt file, not a big model.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

std::size_t dtype_size(std::string_view dtype) {
  struct Entry {
    std::string_view name;
    std::size_t size;
  };
  static constexpr Entry kTable[] = {
      {"BOOL", 1}, {"U8", 1},   {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2},  {"F16", 2},  {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4},  {"F64", 8},  {"I64", 8},     {"U64", 8},
  };
  for (const Entry& e : kTable)
    if (e.name == dtype) return e.size;
  return 0;
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::uint64_t SafetensorsTensor::elements() const {
  std::uint64_t n = 1;
  for (const std::uint64_t d : shape) n *= d;  // checked for overflow on open
  return n;
}

SafetensorsFile::SafetensorsFile(std::string path) : file_(std::move(path)) {
  const std::string& p = file_.path();
  if (file_.size() < 8)
    throw ModelFileError(fmt::format(
        "{}: not a safetensors file: {} bytes, expected at least the 8-byte header length", p,
        file_.size()));
  const std::uint64_t header_len = read_u64_le(file_.data());
  if (header_len < 2 || header_len > kMaxHeaderBytes)
    throw ModelFileError(fmt::format(
        "{}: header length {} is not plausible (expected 2 .. {} bytes)", p, header_len,
        kMaxHeaderBytes));
  if (header_len > file_.size() - 8)
    throw ModelFileError(fmt::format(
        "{}: truncated: header length {} but only {} bytes follow the length field", p,
        header_len, file_.size() - 8));
  data_start_ = 8 + header_len;
  const std::uint64_t data_size = file_.size() - data_start_;

  const char* text = reinterpret_cast<const char*>(file_.data() + 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_len);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number too large
    throw ModelFileError(fmt::format("{}: header is not valid JSON: {}", p, e.what()));
  }
  if (!header.is_object())
    throw ModelFileError(
        fmt::format("{}: header must be a JSON object, found {}", p, header.type_name()));

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        throw ModelFileError(fmt::format("{}: __metadata__ must be an object, found {}", p,
                                         entry.type_name()));
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string())
          throw ModelFileError(fmt::format(
              "{}: __metadata__ key '{}': expected a string value, found {}", p, k,
              v.type_name()));
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = fmt::format("{}: tensor '{}'", p, name);
    if (!entry.is_object())
      throw ModelFileError(
          fmt::format("{}: expected an object, found {}", where, entry.type_name()));
    const auto field = [&, &obj = entry](const char* key) -> const nlohmann::json& {  // C++17: no capture of a structured binding
      const auto it = obj.find(key);
      if (it == obj.end())
        throw ModelFileError(fmt::format("{}: missing \"{}\"", where, key));
      return *it;
    };

    SafetensorsTensor t;
    t.name = name;
    const nlohmann::json& dtype = field("dtype");
    if (!dtype.is_string())
      throw ModelFileError(
          fmt::format("{}: \"dtype\" must be a string, found {}", where, dtype.type_name()));
    t.dtype = dtype.get<std::string>();
    t.dtype_size = dtype_size(t.dtype);
    if (t.dtype_size == 0)
      throw ModelFileError(fmt::format("{}: unknown dtype \"{}\"", where, t.dtype));

    const nlohmann::json& shape = field("shape");
    if (!shape.is_array())
      throw ModelFileError(
          fmt::format("{}: \"shape\" must be an array, found {}", where, shape.type_name()));
    for (const nlohmann::json& d : shape) {
      if (!d.is_number_unsigned())
        throw ModelFileError(fmt::format(
            "{}: \"shape\" must hold non-negative integers, found {}", where, d.dump()));
      t.shape.push_back(d.get<std::uint64_t>());
    }

    const nlohmann::json& offsets = field("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      throw ModelFileError(fmt::format(
          "{}: \"data_offsets\" must be [begin, end] non-negative integers, found {}", where,
          offsets.dump()));
    t.begin = offsets[0].get<std::uint64_t>();
    t.end = offsets[1].get<std::uint64_t>();
    if (t.begin > t.end)
      throw ModelFileError(
          fmt::format("{}: data_offsets [{}, {}] end before begin", where, t.begin, t.end));
    if (t.end > data_size)
      throw ModelFileError(fmt::format(
          "{}: data_offsets [{}, {}] run past the data section of {} bytes (truncated file?)",
          where, t.begin, t.end, data_size));

    const std::uint64_t n = element_count(t.shape, where);
    if (n > UINT64_MAX / t.dtype_size || n * t.dtype_size != t.end - t.begin)
      throw ModelFileError(fmt::format(
          "{}: shape {} of {} needs {} bytes, but data_offsets [{}, {}] hold {}", where,
          shape_string(t.shape), t.dtype, n > UINT64_MAX / t.dtype_size ? UINT64_MAX : n * t.dtype_size,
          t.begin, t.end, t.end - t.begin));
    tensors_.push_back(std::move(t));
  }

  std::sort(tensors_.begin(), tensors_.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  // Sorted by begin, an overlap can only be with the furthest-reaching earlier tensor.
  const SafetensorsTensor* reach = nullptr;
  for (const SafetensorsTensor& t : tensors_) {
    if (t.begin == t.end) continue;  // empty tensors occupy no bytes
    if (reach != nullptr && t.begin < reach->end)
      throw ModelFileError(fmt::format(
          "{}: tensor '{}' bytes [{}, {}) overlap tensor '{}' bytes [{}, {})", p, t.name,
          t.begin, t.end, reach->name, reach->begin, reach->end));
    if (reach == nullptr || t.end > reach->end) reach = &t;
  }
  for (std::size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
}

bool SafetensorsFile::contains(std::string_view name) const {
  return index_.find(name) != index_.end();
}

const SafetensorsTensor& SafetensorsFile::info(std::string_view name) const {
  const auto it = index_.find(name);
  if (it == index_.end())
    throw ModelFileError(fmt::format("{}: no tensor '{}' (the file has {} tensors)", path(),
                                     name, tensors_.size()));
  return tensors_[it->second];
}

ByteView SafetensorsFile::raw(std::string_view name) const {
  const SafetensorsTensor& t = info(name);
  return file_.bytes(data_start_ + t.begin, t.end - t.begin,
                     fmt::format("tensor '{}'", t.name));
}

std::vector<float> SafetensorsFile::f32(std::string_view name,
                                        const std::vector<std::uint64_t>& expected_shape) const {
  const SafetensorsTensor& t = info(name);
  if (t.shape != expected_shape)
    throw ModelFileError(fmt::format("{}: tensor '{}': expected shape {}, found {}", path(),
                                     t.name, shape_string(expected_shape),
                                     shape_string(t.shape)));
  const ByteView b = raw(name);
  const std::size_t n = static_cast<std::size_t>(t.elements());
  std::vector<float> out(n);
  if (n == 0) return out;  // no data to read (b.data may be null)
  if (t.dtype == "F32") {
    std::memcpy(out.data(), b.data, n * 4);  // little-endian host (x86/Arm Linux)
  } else if (t.dtype == "F16" || t.dtype == "BF16") {
    const bool half = t.dtype == "F16";
    for (std::size_t i = 0; i < n; ++i) {
      const auto h = static_cast<std::uint16_t>(b.data[2 * i] | (b.data[2 * i + 1] << 8));
      out[i] = half ? fp16_to_f32(h) : bf16_to_f32(h);
    }
  } else {
    throw ModelFileError(fmt::format(
        "{}: tensor '{}': dtype {} cannot be read as float (expected F32, F16 or BF16)", path(),
        t.name, t.dtype));
  }
  return out;
}

}  // namespace npu::models
