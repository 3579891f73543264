// fuzz_model_desc: bytes as YAML text -> compiler::parse_model_desc (the
// string form of load_model_desc, models/*.yaml). Only the documented
// ModelDescError may escape; a description that parses must satisfy the
// invariants the layer compiler relies on.
#include "npu/compiler/model_desc.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto m = npu::compiler::parse_model_desc(text, "fuzz.yaml");
    // validated: positive sizes, heads * head_dim == d_model, kv_heads | heads
    if (m.d_model <= 0 || m.heads <= 0 || m.kv_heads <= 0 || m.head_dim <= 0 || m.ffn <= 0 ||
        m.seq_len <= 0 || m.layers <= 0 || m.heads % m.kv_heads != 0)
      std::abort();
    (void)m.group();
  } catch (const npu::compiler::ModelDescError&) {
  }
  return 0;
}
