// Shared pieces of the model-file readers (safetensors, GGUF): the error type,
// a read-only memory map and the 16-bit float conversions.
//
// Error policy: every problem with a file is a ModelFileError whose message
// starts with the file path and names the tensor or key involved and what was
// expected against what was found, e.g.
//   "/x/model.gguf: tensor 'blk.0.attn_q.weight': expected shape [576, 576], found [192, 576]"
// Readers validate the whole file structure when they open it, so a later
// accessor can only fail on a caller mistake (unknown name, wrong shape/type).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace npu::models {

class ModelFileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A contiguous read-only byte range inside a mapped file.
struct ByteView {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

// Read-only, private memory map of a whole file (RAII, move-only). Opening
// costs no reads: pages are faulted in as the tensors are touched.
class MappedFile {
public:
  // Throws ModelFileError naming the path if it cannot be opened or mapped.
  explicit MappedFile(std::string path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

  // Bytes [offset, offset + length); throws naming `what` if out of range.
  ByteView bytes(std::uint64_t offset, std::uint64_t length, std::string_view what) const;

private:
  void release() noexcept;

  std::string path_;
  const std::uint8_t* data_ = nullptr;  // null for an empty file
  std::size_t size_ = 0;
};

// Exact IEEE binary16 -> binary32 (subnormals, inf and NaN included).
float fp16_to_f32(std::uint16_t h);
// bfloat16 is the top half of a binary32.
float bf16_to_f32(std::uint16_t h);

// "[30522, 384]" — for error messages.
std::string shape_string(const std::vector<std::uint64_t>& shape);

// Product of the dimensions; throws ModelFileError (prefixed with `context`)
// if it overflows 64 bits.
std::uint64_t element_count(const std::vector<std::uint64_t>& shape, std::string_view context);

}  // namespace npu::models
