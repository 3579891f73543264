// Requantization against an exact __int128 formulation (division, not shifts).
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "npu/ref/requant.hpp"
#include "test_util.hpp"

using npu::ref::multiply_by_quantized_multiplier;
using npu::ref::RequantParams;
using npu::ref::requantize;

namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// floor(x * m * 2^(s-31) + 1/2) = floor((2*x*m + D/2) / D) with D = 2^(32-s),
// evaluated with exact integer division and an explicit floor correction.
int32_t exact_mbqm(int32_t x, int32_t m, int s) {
  using i128 = __int128;
  const i128 d = i128{1} << (32 - s);
  const i128 n = 2 * i128{x} * i128{m} + d / 2;
  i128 q = n / d;  // truncates toward zero
  if (n % d != 0 && n < 0) q -= 1;
  return static_cast<int32_t>(std::clamp<i128>(q, kMin, kMax));
}

int8_t exact_requant(int32_t x, const RequantParams& p) {
  const long long v = static_cast<long long>(exact_mbqm(x, p.multiplier, p.shift)) + p.zero_point;
  return static_cast<int8_t>(std::clamp(v, -128LL, 127LL));
}

}  // namespace

TEST_CASE("multiply_by_quantized_multiplier on the boundary grid", "[requant]") {
  const int32_t xs[] = {kMin, kMin + 1, -65536, -3, -2, -1, 0, 1, 2, 3, 65535, kMax - 1, kMax};
  const int32_t ms[] = {0, 1, 1 << 30, kMax, (1 << 30) + 1, kMax - 1};
  npu::test::Mismatches bad;
  for (int32_t x : xs) {
    for (int32_t m : ms) {
      for (int s = -31; s <= 30; ++s) {
        const int32_t got = multiply_by_quantized_multiplier(x, m, s);
        const int32_t want = exact_mbqm(x, m, s);
        if (got != want) bad.add(fmt::format("mbqm({}, {}, {}) = {}, want {}", x, m, s, got, want));
      }
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);
}

TEST_CASE("multiply_by_quantized_multiplier: values spelled out", "[requant]") {
  // M = 2^30 is 0.5: ties round half up (towards +inf).
  CHECK(multiply_by_quantized_multiplier(5, 1 << 30, 0) == 3);
  CHECK(multiply_by_quantized_multiplier(-5, 1 << 30, 0) == -2);
  CHECK(multiply_by_quantized_multiplier(1, 1 << 30, 0) == 1);
  CHECK(multiply_by_quantized_multiplier(-1, 1 << 30, 0) == 0);
  CHECK(multiply_by_quantized_multiplier(kMin, 1 << 30, 1) == kMin);  // x * 0.5 * 2 exactly
  CHECK(multiply_by_quantized_multiplier(kMax, kMax, 30) == kMax);    // saturates high
  CHECK(multiply_by_quantized_multiplier(kMin, kMax, 30) == kMin);    // saturates low
  CHECK(multiply_by_quantized_multiplier(kMax, kMax, -31) == 1);      // (1 - 2^-31)^2 rounds to 1
  CHECK(multiply_by_quantized_multiplier(1000, 1288490189, -3) == 75);
  CHECK(multiply_by_quantized_multiplier(12345, 0, 30) == 0);
}

TEST_CASE("multiply_by_quantized_multiplier rejects bad parameters", "[requant]") {
  CHECK_THROWS_AS(multiply_by_quantized_multiplier(1, -1, 0), std::invalid_argument);
  CHECK_THROWS_AS(multiply_by_quantized_multiplier(1, kMin, 0), std::invalid_argument);
  CHECK_THROWS_AS(multiply_by_quantized_multiplier(1, 1, -32), std::invalid_argument);
  CHECK_THROWS_AS(multiply_by_quantized_multiplier(1, 1, 31), std::invalid_argument);
  CHECK_THROWS_AS(requantize(1, RequantParams{-5, 0, 0}), std::invalid_argument);
  CHECK_NOTHROW(multiply_by_quantized_multiplier(1, kMax, -31));
  CHECK_NOTHROW(multiply_by_quantized_multiplier(1, 0, 30));
}

TEST_CASE("requantize random values, zero points and saturation", "[requant]") {
  const uint64_t seed = npu::test::test_seed("requantize random");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  auto any_i32 = [&] { return static_cast<int32_t>(static_cast<uint32_t>(rng())); };
  // Accumulators: full range, or small (the realistic case), or extremes.
  auto acc = [&]() -> int32_t {
    switch (rng() % 4) {
      case 0: return any_i32();
      case 1: return static_cast<int32_t>(rng() % 200001) - 100000;
      case 2: return (rng() & 1) != 0 ? kMax - static_cast<int32_t>(rng() % 4) : kMin + static_cast<int32_t>(rng() % 4);
      default: return static_cast<int32_t>(rng() % 2001) - 1000;
    }
  };
  npu::test::Mismatches bad;
  for (int i = 0; i < 1'000'000; ++i) {
    const RequantParams p{static_cast<int32_t>(rng() & 0x7FFFFFFFu), static_cast<int>(rng() % 62) - 31,
                          static_cast<int32_t>(rng() % 256) - 128};
    const int32_t x = acc();
    const int8_t got = requantize(x, p);
    const int8_t want = exact_requant(x, p);
    if (got != want) {
      bad.add(fmt::format("requantize({}, M={}, s={}, zp={}) = {}, want {}", x, p.multiplier, p.shift,
                          p.zero_point, got, want));
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);

  // Saturation at both ends, zero point applied after the scaling.
  CHECK(requantize(1000, RequantParams{1 << 30, 0, 0}) == 127);
  CHECK(requantize(-1000, RequantParams{1 << 30, 0, 0}) == -128);
  CHECK(requantize(100, RequantParams{1 << 30, 0, 100}) == 127);
  CHECK(requantize(100, RequantParams{1 << 30, 0, -128}) == -78);
  CHECK(requantize(1000, RequantParams{1288490189, -3, -3}) == 72);
}

TEST_CASE("requantize matrix: per-channel parameters and wrapping bias", "[requant]") {
  const uint64_t seed = npu::test::test_seed("requantize matrix");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const std::size_t rows = 3;
  const std::size_t cols = 5;
  npu::ref::Matrix<int32_t> acc(rows, cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) acc(r, c) = static_cast<int32_t>(rng() % 20001) - 10000;
  }
  acc(0, 0) = kMax;  // + bias 1 wraps to kMin
  std::vector<RequantParams> params;
  std::vector<int32_t> bias;
  for (std::size_t c = 0; c < cols; ++c) {
    params.push_back({static_cast<int32_t>(rng() & 0x7FFFFFFFu), static_cast<int>(rng() % 12) - 10,
                      static_cast<int32_t>(rng() % 256) - 128});
    bias.push_back(static_cast<int32_t>(rng() % 2001) - 1000);
  }
  bias[0] = 1;
  params[0] = {kMax, 0, 0};

  const auto plain = requantize(acc, params);
  const auto biased = requantize(acc, params, &bias);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      INFO("r " << r << " c " << c);
      CHECK(plain(r, c) == exact_requant(acc(r, c), params[c]));
      const auto with_bias = static_cast<int32_t>(static_cast<int64_t>(acc(r, c)) + bias[c] -
                                                  (r == 0 && c == 0 ? (int64_t{1} << 32) : 0));
      CHECK(biased(r, c) == exact_requant(with_bias, params[c]));
    }
  }
  CHECK(biased(0, 0) == -128);  // wrapped to INT32_MIN

  const std::vector<RequantParams> too_few(cols - 1, RequantParams{1, 0, 0});
  CHECK_THROWS_AS(requantize(acc, too_few), std::invalid_argument);
  const std::vector<int32_t> short_bias(cols + 1, 0);
  CHECK_THROWS_AS(requantize(acc, params, &short_bias), std::invalid_argument);
}
