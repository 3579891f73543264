// Helpers shared by the reference-model tests: seeds, MXCSR control, bit casts
// and a compact mismatch report.
#pragma once

#include <xmmintrin.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>

namespace npu::test {

inline float as_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint32_t as_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// The contract has a single NaN; the CPU propagates payloads.
inline uint32_t canonical(uint32_t f) { return std::isnan(as_float(f)) ? 0x7FC00000u : f; }

// Unsigned value of environment variable `name`, or `fallback` if unset.
inline uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 0) : fallback;
}

// Seed for a random test: NPU_SEED if set, else fresh. Always printed so a
// failure can be replayed with NPU_SEED=<seed>.
inline uint64_t test_seed(const std::string& test_name) {
  const uint64_t seed = env_u64("NPU_SEED", (uint64_t{std::random_device{}()} << 32) | std::random_device{}());
  fmt::print("{}: seed {} (replay with NPU_SEED={})\n", test_name, seed, seed);
  std::fflush(stdout);
  return seed;
}

// Sets MXCSR flush-to-zero and denormals-are-zero for its lifetime, so the
// CPU follows the numerics contract; restores the previous MXCSR on exit.
class FtzDazGuard {
 public:
  FtzDazGuard() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~FtzDazGuard() { _mm_setcsr(saved_); }
  FtzDazGuard(const FtzDazGuard&) = delete;
  FtzDazGuard& operator=(const FtzDazGuard&) = delete;

 private:
  static constexpr unsigned kFtz = 0x8000u;
  static constexpr unsigned kDaz = 0x0040u;
  unsigned saved_;
};

// Counts mismatches and keeps the first few descriptions for the report.
class Mismatches {
 public:
  void add(std::string what) {
    if (examples_.size() < kKept) examples_.push_back(std::move(what));
    ++count_;
  }
  uint64_t count() const { return count_; }
  std::string report() const {
    std::string text = fmt::format("{} mismatches", count_);
    for (const auto& e : examples_) text += "\n  " + e;
    return text;
  }

 private:
  static constexpr std::size_t kKept = 12;
  std::vector<std::string> examples_;
  uint64_t count_ = 0;
};

}  // namespace npu::test
