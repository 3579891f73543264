// Seed announcement and replay commands of the block tests: each
// random test prints its seed, and each failure message carries the command
// that reruns it with waves. No Catch2 dependency; replay_catch.hpp adds
// the current-test forms.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "test_env.hpp"

namespace npu::tb {

// "NPU_SEED=<seed> NPU_WAVES=<file> <exe> "<test>"".
inline std::string rerun_command(std::uint64_t seed, const std::string& test) {
  return fmt::format("NPU_SEED={} NPU_WAVES={} {} \"{}\"", seed, suggested_waves_path(test),
                     self_executable(), test);
}

// "[<test>] seed <seed> (replay: NPU_SEED=<seed> <exe> "<test>")".
inline void announce(std::uint64_t seed, const std::string& test) {
  fmt::print("[{}] seed {} (replay: NPU_SEED={} {} \"{}\")\n", test, seed, seed, self_executable(), test);
}

}  // namespace npu::tb
