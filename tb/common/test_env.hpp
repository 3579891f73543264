// Environment knobs shared by Verilated tests:
//   NPU_SEED=<n>        run only this seed (replay) instead of the defaults
//   NPU_WAVES=<x.fst>   write an FST trace of the simulation to this path
//   NPU_TRACE_FROM=<c>, NPU_TRACE_TO=<c>   record only cycles [c_from, c_to)
//                       of that trace (tb/common/sim_control.hpp)
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace npu::tb {

// NPU_SEED if set (throws std::invalid_argument if it is not a number).
std::optional<std::uint64_t> env_seed();

// The seeds a randomised test runs: NPU_SEED alone if set, else `defaults`.
std::vector<std::uint64_t> test_seeds(std::initializer_list<std::uint64_t> defaults);
// The same with the defaults first, first + 1, ..., first + count - 1.
std::vector<std::uint64_t> test_seeds(std::uint64_t first, unsigned count);

// NPU_WAVES, or empty when tracing is not requested.
std::string env_waves();

// Absolute path of the running executable (for rerun commands).
std::string self_executable();

// A suggested FST file name for replaying `test_name` (spaces etc. replaced).
std::string suggested_waves_path(std::string_view test_name);

}  // namespace npu::tb
