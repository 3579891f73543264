// Long randomised mac_array runs (CTest label `nightly`, make test-nightly):
// many seeds, larger shapes, random back-pressure, mixed specials.
#include <catch2/catch.hpp>

#include <cstdint>

#include "mac_array_test_util.hpp"
#include "stimulus.hpp"

using namespace npu::tb;

namespace {

const std::size_t R = MacArrayDriver::rows();
const std::size_t C = MacArrayDriver::cols();

std::vector<std::uint64_t> nightly_seeds() {
  if (auto s = env_seed()) return {*s};
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 100; s < 140; ++s) seeds.push_back(s);
  return seeds;
}

}  // namespace

TEST_CASE("Nightly random GEMM soak", "[nightly]") {
  for (const auto seed : nightly_seeds()) {
    const double p = 0.3 + 0.7 * static_cast<double>(seed % 8) / 7.0;  // 0.3 .. 1.0
    Bench b(seed, Traffic::random(p));
    for (int i = 0; i < 8; ++i) {
      const auto m = b.uniform(1, 40), k = b.uniform(1, 8 * R + 3), n = b.uniform(1, 6 * C + 2);
      const bool acc = (b.rng() & 1u) != 0;
      if (i % 2 == 0) {
        const auto c0 = random_i32(b.rng, m, n);
        b.check_i8(random_i8(b.rng, m, k), random_i8(b.rng, k, n), acc ? &c0 : nullptr,
                   fmt::format("C#{} INT8 {}x{}x{}", i, m, k, n));
      } else {
        const bool specials = (b.rng() & 1u) != 0;
        const auto a = specials ? special_bf16(b.rng, m, k) : random_bf16(b.rng, m, k);
        const auto w = specials ? special_bf16(b.rng, k, n) : random_bf16(b.rng, k, n);
        const auto c0 = specials ? special_fp32(b.rng, m, n) : random_fp32(b.rng, m, n);
        b.check_bf16(a, w, acc ? &c0 : nullptr, fmt::format("C#{} BF16 {}x{}x{}", i, m, k, n));
      }
    }
  }
}
