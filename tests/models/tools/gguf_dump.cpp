// What npu::models::GgufFile reads from a GGUF file, for the independent
// check in tests/models/gguf_dequant_check.py:
//   models_gguf_dump FILE meta                  JSON: header, metadata, tensor table
//   models_gguf_dump FILE rows NAME FIRST COUNT raw little-endian float32 rows on stdout
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "npu/models/gguf.hpp"

namespace {

using npu::models::GgufFile;
using npu::models::GgufValue;
using npu::models::GgufValueType;

nlohmann::ordered_json to_json(const GgufValue& v) {
  if (v.type == GgufValueType::ARRAY) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const GgufValue& e : v.array) a.push_back(to_json(e));
    return a;
  }
  return std::visit([](const auto& x) { return nlohmann::ordered_json(x); }, v.scalar);
}

int dump_meta(const GgufFile& f) {
  nlohmann::ordered_json out;
  out["version"] = f.version();
  out["alignment"] = f.alignment();
  out["data_offset"] = f.data_offset();
  nlohmann::ordered_json kv = nlohmann::ordered_json::object();
  for (const std::string& key : f.keys()) {
    const GgufValue& v = f.value(key);
    nlohmann::ordered_json e;
    e["type"] = std::string(to_string(v.type));
    if (v.type == GgufValueType::ARRAY) e["array_type"] = std::string(to_string(v.array_type));
    e["value"] = to_json(v);
    kv[key] = e;
  }
  out["kv"] = kv;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const auto& t : f.tensors())
    tensors.push_back({{"name", t.name},
                       {"type", std::string(to_string(t.type))},
                       {"ne", t.ne},
                       {"shape", t.shape},
                       {"offset", t.offset},
                       {"size", t.size}});
  out["tensors"] = tensors;
  std::puts(out.dump().c_str());
  return 0;
}

int dump_rows(const GgufFile& f, const std::string& name, std::uint64_t first,
              std::uint64_t count) {
  const std::vector<float> rows = f.dequantize_rows(name, first, count);
  const std::size_t n = std::fwrite(rows.data(), sizeof(float), rows.size(), stdout);
  return n == rows.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc >= 3 ? argv[2] : "";
    if (argc == 3 && mode == "meta") return dump_meta(GgufFile(argv[1]));
    if (argc == 6 && mode == "rows")
      return dump_rows(GgufFile(argv[1]), argv[3], std::strtoull(argv[4], nullptr, 10),
                       std::strtoull(argv[5], nullptr, 10));
    std::fprintf(stderr,
                 "usage: %s FILE meta\n       %s FILE rows NAME FIRST COUNT\n", argv[0],
                 argv[0]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
