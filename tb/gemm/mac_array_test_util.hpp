// Shared pieces of the mac_array Catch2 tests: one simulation per seed, the
// replay context and bit-exact checks against the reference model.
#pragma once

#include <Vmac_array.h>
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "mac_array_driver.hpp"
#include "npu/ref/gemm.hpp"
#include "test_env.hpp"

namespace npu::tb {

inline std::string current_test_name() {
  return Catch::getResultCapture().getCurrentTestName();
}

inline CheckContext check_context(std::uint64_t seed) {
  CheckContext ctx;
  ctx.test_name = current_test_name();
  ctx.seed = seed;
  ctx.binary = self_executable();
  const std::string waves = env_waves();
  ctx.waves_path = waves.empty() ? suggested_waves_path(ctx.test_name) : waves;
  return ctx;
}

// One reset DUT + driver + stimulus RNG per seed. Several GEMMs run back to
// back on it, so one seed replays as one simulation (and one FST).
struct Bench {
  Bench(std::uint64_t seed_in, Traffic traffic)
      : seed(seed_in), rng(seed_in), sim(env_waves()), driver(sim, traffic, seed_in ^ 0x9E3779B97F4A7C15ull) {
    fmt::print("[{}] seed {}{}\n", current_test_name(), seed,
               sim.tracing() ? " waves " + sim.trace_path() : std::string{});
    sim.reset();
  }

  // Runs the GEMM on the array, checks it bit-exactly, returns the run (stats).
  GemmRun<std::int32_t> check_i8(const ref::Matrix<std::int8_t>& a, const ref::Matrix<std::int8_t>& b,
                                 const ref::Matrix<std::int32_t>* c_init, const std::string& tensor) {
    const auto expected = ref::gemm_i8(a, b, c_init);
    auto got = driver.gemm_i8(a, b, c_init);
    const CheckResult r = compare_i32(check_context(seed), tensor, expected, got);
    if (!r.ok) FAIL(r.message);
    SUCCEED();
    return got;
  }

  void check_bf16(const ref::Matrix<std::uint16_t>& a, const ref::Matrix<std::uint16_t>& b,
                  const ref::Matrix<std::uint32_t>* c_init, const std::string& tensor) {
    const auto expected = ref::gemm_bf16(a, b, c_init);
    const auto got = driver.gemm_bf16(a, b, c_init);
    const CheckResult r = compare_fp32(check_context(seed), tensor, expected, got);
    if (!r.ok) FAIL(r.message);
    SUCCEED();
  }

  std::size_t uniform(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  }

  std::uint64_t seed;
  std::mt19937_64 rng;
  MacArraySim sim;
  MacArrayDriver driver;
};

}  // namespace npu::tb
