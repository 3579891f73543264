// fuzz_safetensors: bytes -> a file -> models::SafetensorsFile: open, walk the
// tensors and metadata, raw bytes and f32() of a few. Only ModelFileError may
// escape; every validated tensor must lie inside the file.
#include "npu/models/safetensors.hpp"

#include "temp_file.hpp"

#include <cstdint>
#include <cstdlib>

using namespace npu::models;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz_temp_file(data, size, ".safetensors");
  try {
    SafetensorsFile f(path);
    for (const auto& [k, v] : f.metadata()) (void)(k.size() + v.size());
    unsigned converted = 0;
    for (const auto& t : f.tensors()) {
      if (!f.contains(t.name) || &f.info(t.name) != &t) std::abort();
      const ByteView b = f.raw(t.name);
      if (b.size != t.end - t.begin || b.size != t.elements() * t.dtype_size) std::abort();
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < b.size; i += 61) sum += b.data[i];  // touch: must be mapped
      (void)sum;
      if (converted < 4 && t.elements() <= (1u << 20)) {
        ++converted;
        try {
          const auto v = f.f32(t.name, t.shape);
          if (v.size() != t.elements()) std::abort();
        } catch (const ModelFileError&) {  // dtype not F32/F16/BF16
        }
      }
    }
    try {
      (void)f.info("no such tensor");
      std::abort();
    } catch (const ModelFileError&) {
    }
  } catch (const ModelFileError&) {
  }
  return 0;
}
