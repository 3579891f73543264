// replay.hpp for the running Catch2 test case.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "replay.hpp"

namespace npu::tb {

inline std::string current_test_name() { return Catch::getResultCapture().getCurrentTestName(); }
inline std::string rerun_command(std::uint64_t seed) { return rerun_command(seed, current_test_name()); }
inline void announce(std::uint64_t seed) { announce(seed, current_test_name()); }

}  // namespace npu::tb
