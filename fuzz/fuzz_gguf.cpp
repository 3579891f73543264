// fuzz_gguf: bytes -> a file -> models::GgufFile: open, read every metadata
// key through each typed accessor, walk the tensors, dequantize a few (and a
// row of each). Only ModelFileError may escape.
#include "npu/models/gguf.hpp"

#include "temp_file.hpp"

#include <cstdint>
#include <cstdlib>

using namespace npu::models;

namespace {

template <class F>
void may_throw(F&& f) {
  try {
    f();
  } catch (const ModelFileError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz_temp_file(data, size, ".gguf");
  try {
    GgufFile f(path);
    for (const auto& k : f.keys()) {
      if (!f.has(k)) std::abort();
      (void)f.type(k);
      may_throw([&] { (void)f.string(k); });
      may_throw([&] { (void)f.u32(k); });
      may_throw([&] { (void)f.u64(k); });
      may_throw([&] { (void)f.i64(k); });
      may_throw([&] { (void)f.f32(k); });
      may_throw([&] { (void)f.boolean(k); });
      may_throw([&] { (void)f.strings(k); });
      may_throw([&] { (void)f.i32s(k); });
      may_throw([&] { (void)f.f32s(k); });
    }
    unsigned converted = 0;
    for (const auto& t : f.tensors()) {
      if (!f.has_tensor(t.name)) std::abort();
      const ByteView b = f.raw(t.name);
      if (b.size != t.size || t.offset + t.size > size) std::abort();
      if (converted < 4 && t.elements <= (1u << 20)) {
        ++converted;
        may_throw([&] {
          const auto v = f.dequantize(t.name, t.shape);
          if (v.size() != t.elements) std::abort();
        });
        may_throw([&] { (void)f.dequantize_rows(t.name, 0, 1); });
        if (!t.ne.empty() && t.ne[0] != 0)
          may_throw([&] { (void)f.dequantize_rows(t.name, t.elements / t.ne[0], 1); });  // past the end
      }
    }
  } catch (const ModelFileError&) {
  }
  return 0;
}
