// fuzz_config: the accelerator configuration files (configs/*.yaml). Their
// C++ reader (check_config / check_accel in sim/npu_sim.cpp) lives in a file
// that includes the Verilated top bench, so it is not linked here; this target
// fuzzes the same yaml-cpp calls in the same order on the same node shapes
// (YAML::Load, root["array"][key].as<long long>(), root["accel"][key]) with
// the same catches. Only YAML::Exception may escape those calls.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

namespace {

void keys(const YAML::Node& map, std::initializer_list<const char*> names) {
  if (!map || !map.IsMap()) return;
  for (const char* key : names) {
    const YAML::Node n = map[key];
    if (!n) continue;
    try {
      (void)n.as<long long>();
    } catch (const YAML::Exception&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap() || !root["array"] || !root["array"].IsMap()) return 0;
    keys(root["array"], {"rows", "cols"});
    keys(root["accel"], {"bus_bytes", "aspad_words", "wspad_words", "acc_rows", "dma_outstanding",
                         "vec_maxlen", "vec_lanes"});
    if (root["name"]) (void)root["name"].as<std::string>();
  } catch (const YAML::Exception&) {
  }
  return 0;
}
