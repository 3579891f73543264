// Reader for Hugging Face safetensors files:
//   u64 little-endian N | N bytes of JSON header | data section
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data section) plus an optional "__metadata__"
// object of string -> string. Shapes are row-major, outermost dimension first
// (as in numpy / PyTorch), and the data is C-contiguous little-endian.
//
// Everything is validated on open: header length, JSON syntax, dtype names,
// shapes, offsets inside the data section, size == product(shape) * dtype
// size, no two tensors overlapping. Any violation is a ModelFileError naming
// the file and tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "npu/models/model_file.hpp"

namespace npu::models {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;                 // as in the header: "F32", "F16", "BF16", "I64", ...
  std::size_t dtype_size = 0;        // bytes per element
  std::vector<std::uint64_t> shape;  // row-major, outermost first; {} for a scalar
  std::uint64_t begin = 0;           // byte offsets relative to the data section
  std::uint64_t end = 0;
  std::uint64_t elements() const;
};

class SafetensorsFile {
public:
  // Maps and validates the file; throws ModelFileError.
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return file_.path(); }
  // All tensors, in data-section order.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  bool contains(std::string_view name) const;
  // Throws ModelFileError naming the file and tensor if absent.
  const SafetensorsTensor& info(std::string_view name) const;
  // The "__metadata__" entries (empty if the header has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Raw little-endian bytes of a tensor.
  ByteView raw(std::string_view name) const;
  // A F32, F16 or BF16 tensor converted to float, row-major. Throws if the
  // tensor is unknown, its shape differs from `expected_shape` or its dtype
  // is not one of the three.
  std::vector<float> f32(std::string_view name,
                         const std::vector<std::uint64_t>& expected_shape) const;

private:
  MappedFile file_;
  std::uint64_t data_start_ = 0;  // 8 + header length
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;  // name -> tensors_ slot
  std::map<std::string, std::string> metadata_;
};

}  // namespace npu::models
