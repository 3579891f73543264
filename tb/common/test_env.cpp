#include "test_env.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace npu::tb {

std::optional<std::uint64_t> env_seed() {
  const char* s = std::getenv("NPU_SEED");
  if (s == nullptr || *s == '\0') return std::nullopt;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 0);
  if (end == s || *end != '\0')
    throw std::invalid_argument(std::string("NPU_SEED is not a number: '") + s + "'");
  return static_cast<std::uint64_t>(v);
}

std::vector<std::uint64_t> test_seeds(std::initializer_list<std::uint64_t> defaults) {
  if (auto s = env_seed()) return {*s};
  return defaults;
}

std::vector<std::uint64_t> test_seeds(std::uint64_t first, unsigned count) {
  if (auto s = env_seed()) return {*s};
  std::vector<std::uint64_t> v(count);
  for (unsigned i = 0; i < count; ++i) v[i] = first + i;
  return v;
}

std::string env_waves() {
  const char* s = std::getenv("NPU_WAVES");
  return s == nullptr ? std::string{} : std::string(s);
}

std::string self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("<test binary>") : p.string();
}

std::string suggested_waves_path(std::string_view test_name) {
  std::string name;
  for (const char c : test_name)
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return "/tmp/" + name + ".fst";
}

}  // namespace npu::tb
