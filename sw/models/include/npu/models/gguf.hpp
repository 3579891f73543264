// Reader for GGUF files (llama.cpp / ggml), versions 2 and 3, little-endian:
//   "GGUF" | u32 version | u64 tensor_count | u64 kv_count
//   kv_count   x { string key, u32 value type, value }
//   tensor_count x { string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset }
//   padding to general.alignment (default 32) | data section
// Strings are u64 length + bytes (no terminator); arrays are u32 element type
// + u64 count + elements, and may nest.
//
// Layout convention. GGUF lists dimensions ggml-style, ne[0] first, where
// ne[0] is the innermost (fastest-varying, contiguous) dimension. This API
// exposes both: GgufTensor::ne in file order and GgufTensor::shape in
// row-major order, outermost first, like numpy / PyTorch (shape = reversed
// ne). A PyTorch Linear weight [out, in] is stored with ne = {in, out}, so
// its shape() here is {out, in} and dequantize() returns it row-major:
// element (r, c) at r * in + c. Quantization blocks run along ne[0], i.e.
// within a row.
//
// The whole structure is validated on open (magic, version, every count
// bounded by the bytes left in the file, value types, tensor types, data
// inside the file and aligned); errors are ModelFileError naming the file
// and the key or tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "npu/models/model_file.hpp"

namespace npu::models {

// Metadata value types (gguf.h enum gguf_type).
enum class GgufValueType : std::uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view to_string(GgufValueType t);

// Tensor element types (ggml.h enum ggml_type). Only those whose block
// layout this reader knows are accepted when a file is opened; dequantize()
// supports F32, F16, BF16, Q8_0 and Q4_1.
enum class GgmlType : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
};
std::string_view to_string(GgmlType t);

// One metadata value. Integers keep their signedness (U* -> uint64_t,
// I* -> int64_t); F32/F64 widen to double. Arrays live in `array`.
struct GgufValue {
  GgufValueType type = GgufValueType::U8;
  GgufValueType array_type = GgufValueType::U8;  // element type when type == ARRAY
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string> scalar;
  std::vector<GgufValue> array;
};

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<std::uint64_t> ne;     // file order: ne[0] innermost
  std::vector<std::uint64_t> shape;  // row-major, outermost first (reversed ne)
  std::uint64_t offset = 0;          // absolute byte offset in the file
  std::uint64_t size = 0;            // bytes
  std::uint64_t elements = 0;
};

class GgufFile {
public:
  // Maps and validates the file; throws ModelFileError.
  explicit GgufFile(std::string path);

  const std::string& path() const { return file_.path(); }
  std::uint32_t version() const { return version_; }
  std::uint32_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }  // start of the data section

  // --- metadata: accessors throw ModelFileError naming the file and key on a
  // missing key or a value of the wrong type.
  bool has(std::string_view key) const;
  const std::vector<std::string>& keys() const { return keys_; }  // file order
  const GgufValue& value(std::string_view key) const;
  GgufValueType type(std::string_view key) const { return value(key).type; }
  std::string string(std::string_view key) const;
  // Any integer type whose value fits.
  std::uint32_t u32(std::string_view key) const;
  std::uint64_t u64(std::string_view key) const;
  std::int64_t i64(std::string_view key) const;
  // F32 or F64 (narrowed).
  float f32(std::string_view key) const;
  bool boolean(std::string_view key) const;
  // Arrays: of STRING; of any integer type fitting int32; of F32/F64.
  std::vector<std::string> strings(std::string_view key) const;
  std::vector<std::int32_t> i32s(std::string_view key) const;
  std::vector<float> f32s(std::string_view key) const;

  // --- tensors, in file order.
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  bool has_tensor(std::string_view name) const;
  const GgufTensor& tensor(std::string_view name) const;  // throws if absent
  ByteView raw(std::string_view name) const;
  // The whole tensor as float, row-major. Throws if the tensor is unknown,
  // its shape (row-major, see above) differs from `expected_shape`, or its
  // type is not F32, F16, BF16, Q8_0 or Q4_1.
  std::vector<float> dequantize(std::string_view name,
                                const std::vector<std::uint64_t>& expected_shape) const;
  // Rows [first, first + count) of the tensor viewed as [elements / ne[0], ne[0]]
  // (e.g. a few embedding rows without expanding all 49152).
  std::vector<float> dequantize_rows(std::string_view name, std::uint64_t first,
                                     std::uint64_t count) const;

private:
  MappedFile file_;
  std::uint32_t version_ = 0;
  std::uint32_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  std::vector<std::string> keys_;
  std::map<std::string, GgufValue, std::less<>> kv_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace npu::models
