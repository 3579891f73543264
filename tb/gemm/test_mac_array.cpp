// Block-level tests of mac_array (Verilated `small` config, 4x5): every
// result is compared bit-exactly with npu::ref::gemm_i8 / gemm_bf16.
// Replay: NPU_SEED=<seed> [NPU_WAVES=<file.fst>] test_mac_array "<test name>"
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "mac_array_test_util.hpp"
#include "npu/ref/fp.hpp"
#include "port_bits.hpp"
#include "stimulus.hpp"

using npu::ref::Matrix;
using namespace npu::tb;
using Catch::Matchers::Contains;

namespace {

const std::size_t R = MacArrayDriver::rows();
const std::size_t C = MacArrayDriver::cols();

const Traffic kBackPressure = Traffic::random(0.55);

std::uint16_t bf16_with_exp(std::mt19937_64& rng, int lo, int hi) {
  const int e = std::uniform_int_distribution<int>(lo, hi)(rng) + 127;
  return static_cast<std::uint16_t>(((rng() & 1u) << 15) | (e << 7) | (rng() & 0x7F));
}

std::uint32_t fp32_with_biased_exp(std::mt19937_64& rng, int lo, int hi) {
  const auto e = static_cast<std::uint32_t>(std::uniform_int_distribution<int>(lo, hi)(rng));
  return static_cast<std::uint32_t>((rng() & 1u) << 31) | (e << 23) |
         static_cast<std::uint32_t>(rng() & 0x7FFFFF);
}

// Random shapes including non-multiples of the array: up to ~3 tiles each way.
void random_int8(Traffic traffic) {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, traffic);
    for (int i = 0; i < 6; ++i) {
      const auto m = b.uniform(1, 12), k = b.uniform(1, 3 * R + 3), n = b.uniform(1, 3 * C + 2);
      const auto a = random_i8(b.rng, m, k);
      const auto w = random_i8(b.rng, k, n);
      const bool acc = (i % 2) == 1;
      const auto c0 = random_i32(b.rng, m, n);
      b.check_i8(a, w, acc ? &c0 : nullptr,
                 fmt::format("C#{} ({}x{}x{}, {})", i, m, k, n, acc ? "accumulate" : "overwrite"));
    }
  }
}

void random_bf16_gemms(Traffic traffic) {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, traffic);
    for (int i = 0; i < 6; ++i) {
      const auto m = b.uniform(1, 12), k = b.uniform(1, 3 * R + 3), n = b.uniform(1, 3 * C + 2);
      const auto a = random_bf16(b.rng, m, k);
      const auto w = random_bf16(b.rng, k, n);
      const bool acc = (i % 2) == 1;
      const auto c0 = random_fp32(b.rng, m, n, 10);
      b.check_bf16(a, w, acc ? &c0 : nullptr,
                   fmt::format("C#{} ({}x{}x{}, {})", i, m, k, n, acc ? "accumulate" : "overwrite"));
    }
  }
}

void int8_extremes(Traffic traffic) {
  for (const auto seed : test_seeds({1, 2})) {
    Bench b(seed, traffic);
    // All -128 x -128 chains: the largest positive products.
    const std::size_t k = 3 * R + 1, n = 2 * C + 1;
    const Matrix<std::int8_t> a_min(5, k, -128), w_min(k, n, -128);
    b.check_i8(a_min, w_min, nullptr, "C (-128 x -128)");
    // Accumulators next to the int32 limits force two's-complement wrap.
    Matrix<std::int32_t> near_max(5, n, INT32_MAX - 100000), near_min(5, n, INT32_MIN + 100000);
    b.check_i8(a_min, w_min, &near_max, "C (-128 x -128, wraps past INT32_MAX)");
    const Matrix<std::int8_t> w_pos(k, n, 127);
    b.check_i8(a_min, w_pos, &near_min, "C (-128 x 127, wraps past INT32_MIN)");
    for (int i = 0; i < 4; ++i) {
      const auto m = b.uniform(1, 9), kk = b.uniform(1, 3 * R + 2), nn = b.uniform(1, 3 * C);
      const auto a = extreme_i8(b.rng, m, kk);
      const auto w = extreme_i8(b.rng, kk, nn);
      Matrix<std::int32_t> c0(m, nn);
      for (std::size_t r = 0; r < m; ++r)
        for (std::size_t c = 0; c < nn; ++c)
          c0(r, c) = (b.rng() & 1u) ? INT32_MAX - static_cast<std::int32_t>(b.rng() % 70000)
                                    : INT32_MIN + static_cast<std::int32_t>(b.rng() % 70000);
      b.check_i8(a, w, &c0, fmt::format("C#{} (extremes, {}x{}x{})", i, m, kk, nn));
    }
  }
}

void bf16_specials(Traffic traffic) {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, traffic);
    for (int i = 0; i < 5; ++i) {
      const auto m = b.uniform(1, 8), k = b.uniform(1, 2 * R + 1), n = b.uniform(1, 2 * C + 1);
      const auto a = special_bf16(b.rng, m, k);
      const auto w = special_bf16(b.rng, k, n);
      const auto c0 = special_fp32(b.rng, m, n);
      b.check_bf16(a, w, (i % 2) ? &c0 : nullptr, fmt::format("C#{} (specials)", i));
    }
  }
}

// A weight tile whose 16-bit words are BF16 numbers or, as two bytes, INT8 pairs.
Matrix<std::uint16_t> random_tile(std::mt19937_64& rng) { return random_bf16(rng, R, C, 6); }

void mode_switching(Traffic traffic) {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, traffic);
    std::vector<Matrix<std::uint16_t>> tiles;
    std::vector<ABeat> beats;
    std::vector<std::size_t> tile_of;
    for (std::size_t t = 0; t < 4; ++t) {
      tiles.push_back(random_tile(b.rng));
      const auto rows = b.uniform(1, 7);
      for (std::size_t i = 0; i < rows; ++i) {
        ABeat beat;
        beat.bf16 = (b.rng() & 1u) != 0;
        beat.a_unsigned = !beat.bf16 && (b.rng() & 1u) != 0;
        for (std::size_t k = 0; k < R; ++k)  // INT8: two activations per lane
          beat.a.push_back(beat.bf16 ? random_bf16(b.rng, 6) : static_cast<std::uint16_t>(b.rng()));
        for (std::size_t j = 0; j < C; ++j)
          beat.acc.push_back(beat.bf16 ? random_fp32(b.rng, 8) : static_cast<std::uint32_t>(b.rng()));
        beat.last = (i + 1 == rows);
        beats.push_back(beat);
        tile_of.push_back(t);
      }
    }
    const auto got = b.driver.stream(tiles, beats);
    REQUIRE(got.size() == beats.size());
    for (std::size_t i = 0; i < beats.size(); ++i) {
      const auto& w = tiles[tile_of[i]];
      const auto& beat = beats[i];
      GemmRun<std::uint32_t> row;  // expected row as a 1 x C result
      row.c = Matrix<std::uint32_t>(1, C);
      row.leave_cycle = Matrix<std::uint64_t>(1, C, got[i].cycle);
      for (std::size_t j = 0; j < C; ++j) row.c(0, j) = got[i].c[j];
      Matrix<std::uint32_t> expected(1, C);
      if (beat.bf16) {
        Matrix<std::uint16_t> a(1, R);
        Matrix<std::uint32_t> c0(1, C);
        for (std::size_t k = 0; k < R; ++k) a(0, k) = beat.a[k];
        for (std::size_t j = 0; j < C; ++j) c0(0, j) = beat.acc[j];
        expected = npu::ref::gemm_bf16(a, w, &c0);
      } else {
        // lane k: activations 2k, 2k+1 (int8, or uint8) against W rows 2k, 2k+1
        for (std::size_t j = 0; j < C; ++j) {
          std::uint32_t acc = beat.acc[j];
          for (std::size_t k = 0; k < R; ++k)
            for (unsigned h = 0; h < 2; ++h) {
              const unsigned ab = beat.a[k] >> (8 * h) & 0xFF;
              const std::int32_t av = beat.a_unsigned ? std::int32_t(ab) : std::int32_t(static_cast<std::int8_t>(ab));
              const std::int32_t wv = static_cast<std::int8_t>(w(k, j) >> (8 * h) & 0xFF);
              acc += static_cast<std::uint32_t>(av * wv);
            }
          expected(0, j) = acc;
        }
      }
      const auto r = compare_fp32(check_context(seed),
                                  fmt::format("row {} ({}, tile {})", i, beat.bf16 ? "BF16" : "INT8",
                                              tile_of[i]),
                                  expected, row);
      if (!r.ok) FAIL(r.message);
      CHECK(got[i].last == beat.last);
    }
  }
}

void tiny_m_tile_switches(Traffic traffic) {
  for (const auto seed : test_seeds({1, 2})) {
    Bench b(seed, traffic);
    // M = 1: every tile has a single row, chained chunk to chunk.
    const std::size_t k = 5 * R + 1, n = 3 * C;
    b.check_i8(random_i8(b.rng, 1, k), random_i8(b.rng, k, n), nullptr, "C (M=1, INT8)");
    const auto c0 = random_fp32(b.rng, 1, n);
    b.check_bf16(random_bf16(b.rng, 1, k), random_bf16(b.rng, k, n), &c0, "C (M=1, BF16)");
    b.check_i8(random_i8(b.rng, 2, k), random_i8(b.rng, k, n), nullptr, "C (M=2, INT8)");
    // Independent one-row tiles back to back: bank swap on every beat.
    std::vector<Matrix<std::uint16_t>> tiles;
    std::vector<ABeat> beats;
    for (int t = 0; t < 12; ++t) {
      tiles.push_back(random_tile(b.rng));
      ABeat beat;
      beat.bf16 = true;
      for (std::size_t i = 0; i < R; ++i) beat.a.push_back(random_bf16(b.rng, 6));
      for (std::size_t j = 0; j < C; ++j) beat.acc.push_back(random_fp32(b.rng, 6));
      beat.last = true;
      beats.push_back(beat);
    }
    const auto got = b.driver.stream(tiles, beats);
    REQUIRE(got.size() == beats.size());
    for (std::size_t t = 0; t < beats.size(); ++t)
      for (std::size_t j = 0; j < C; ++j) {
        std::uint32_t acc = beats[t].acc[j];
        for (std::size_t i = 0; i < R; ++i) acc = npu::ref::bf16_mac(beats[t].a[i], tiles[t](i, j), acc);
        INFO(fmt::format("seed {} tile {} col {} left at cycle {}; rerun: {}", seed, t, j,
                         got[t].cycle, rerun_command(check_context(seed))));
        REQUIRE(fmt::format("{:08x}", got[t].c[j]) == fmt::format("{:08x}", acc));
        REQUIRE(got[t].last);
      }
  }
}

}  // namespace

TEST_CASE("INT8 random shapes, overwrite and accumulate", "[int8]") { random_int8(Traffic::full_speed()); }
TEST_CASE("INT8 random shapes with back-pressure", "[int8][backpressure]") { random_int8(kBackPressure); }
TEST_CASE("BF16 random shapes, overwrite and accumulate", "[bf16]") { random_bf16_gemms(Traffic::full_speed()); }
TEST_CASE("BF16 random shapes with back-pressure", "[bf16][backpressure]") { random_bf16_gemms(kBackPressure); }
TEST_CASE("INT8 extremes and wrap-around", "[int8]") { int8_extremes(Traffic::full_speed()); }
TEST_CASE("INT8 extremes with back-pressure", "[int8][backpressure]") { int8_extremes(kBackPressure); }
TEST_CASE("BF16 NaN, Inf, signed zero and subnormal inputs", "[bf16]") { bf16_specials(Traffic::full_speed()); }
TEST_CASE("BF16 specials with back-pressure", "[bf16][backpressure]") { bf16_specials(kBackPressure); }
TEST_CASE("Mode switching between rows on the same weights", "[mode]") { mode_switching(Traffic::full_speed()); }
TEST_CASE("Mode switching with back-pressure", "[mode][backpressure]") { mode_switching(kBackPressure); }
TEST_CASE("Tile switches with M=1", "[tiles]") { tiny_m_tile_switches(Traffic::full_speed()); }
TEST_CASE("Tile switches with M=1 and back-pressure", "[tiles][backpressure]") { tiny_m_tile_switches(kBackPressure); }

// Hand-computed corner cases of the fused BF16 step (1x1x1 GEMMs). The
// expected bits are checked against the reference model too, so a case that
// stopped meaning what its comment says would be noticed.
TEST_CASE("BF16 directed corner cases", "[bf16]") {
  struct Case {
    const char* what;
    std::uint16_t a, w;
    std::uint32_t acc, expected;
  };
  const Case cases[] = {
      {"fused: 2^127*2 - (2^128-2^104) = 2^104, product never overflows alone", 0x7F00, 0x4000, 0xFF7FFFFF, 0x73800000},
      {"product 2^128 overflows to +Inf", 0x7F00, 0x4000, 0x00000000, 0x7F800000},
      {"product -2^128 to -Inf", 0xFF00, 0x4000, 0x3F800000, 0xFF800000},
      {"max + half ulp ties to even = +Inf", 0x7300, 0x3F80, 0x7F7FFFFF, 0x7F800000},
      {"Inf - Inf = canonical NaN", 0x7F80, 0x3F80, 0xFF800000, 0x7FC00000},
      {"0 x Inf = NaN", 0x0000, 0x7F80, 0x3F800000, 0x7FC00000},
      {"subnormal (DAZ) x Inf = NaN", 0x0001, 0x7F80, 0x00000000, 0x7FC00000},
      {"sNaN input -> canonical NaN", 0x7F81, 0x3F80, 0x00000000, 0x7FC00000},
      {"NaN accumulator payload dropped", 0x3F80, 0x3F80, 0xFFC12345, 0x7FC00000},
      {"subnormal acc (DAZ) + (-0) = +0", 0x8000, 0x3F80, 0x00000001, 0x00000000},
      {"-subnormal acc (DAZ) + (-0) = -0", 0x8000, 0x3F80, 0x80000001, 0x80000000},
      {"x + (-x) = +0", 0x3F80, 0xBF80, 0x3F800000, 0x00000000},
      {"catastrophic cancellation leaves 2^-23", 0x3F80, 0xBF80, 0x3F800001, 0x34000000},
      {"2^-126 - 2^-150 is tiny after rounding: +0", 0x1A00, 0x9A00, 0x00800000, 0x00000000},
      {"2^-126 - 2^-151 rounds up to 2^-126: kept", 0x1A00, 0x9980, 0x00800000, 0x00800000},
      {"-2^-126 + 2^-150 flushes to -0", 0x1A00, 0x1A00, 0x80800000, 0x80000000},
      {"tiny product alone flushes (+0)", 0x0080, 0x3F00, 0x00000000, 0x00000000},
      {"-2^-127 + (+0) flushes to -0 (sign of the exact result)", 0x8080, 0x3F00, 0x00000000, 0x80000000},
      {"tiny negative product onto -0 stays -0", 0x8080, 0x3F00, 0x80000000, 0x80000000},
      {"1 + 2^-24 ties to even: 1", 0x3F80, 0x3380, 0x3F800000, 0x3F800000},
      {"(1+2^-23) + 2^-24 ties to even: up", 0x3F80, 0x3380, 0x3F800001, 0x3F800002},
      {"-(1+2^-23) - 2^-24 ties to even: up in magnitude", 0x3F80, 0xB380, 0xBF800001, 0xBF800002},
      // Alignment shifts > G: only the jammed sticky bit separates a tie from above/below it.
      {"1 + 2^-24(1+2^-7): 24-bit shift, above the tie only by jammed bits: up", 0x3381, 0x3F80, 0x3F800000, 0x3F800001},
      {"(2-2^-23) + 2^-22(1+2^-7): carry out, sticky is only the jammed LSB: up", 0x3481, 0x3F80, 0x3FFFFFFF, 0x40000001},
      {"1 - 2^-25(1+2^-7): 25-bit shift, just below the tie: 1-2^-24", 0x3301, 0xBF80, 0x3F800000, 0x3F7FFFFF},
      {"1 - 2^-25: exact tie below 1, to even: 1", 0x3300, 0xBF80, 0x3F800000, 0x3F800000},
      {"-1 + 2^-25(1+2^-7): mirrored, -(1-2^-24)", 0x3301, 0x3F80, 0xBF800000, 0xBF7FFFFF},
  };
  for (const auto seed : test_seeds({1})) {
    Bench b(seed, Traffic::full_speed());
    for (const auto& c : cases) {
      INFO(c.what);
      CHECK(npu::ref::bf16_mac(c.a, c.w, c.acc) == c.expected);
      // The case at every PE row p (A = -0, W = 0 elsewhere, an identity for
      // the result): only the bottom row's result leaves the array without
      // passing through another bf16_mac (whose DAZ would hide e.g. a
      // subnormal encoding), and only row 0 sees the raw C_init.
      for (std::size_t p = 0; p < R; ++p) {
        Matrix<std::uint16_t> a(1, R, 0x8000), w(R, 1, 0);
        a(0, p) = c.a;
        w(p, 0) = c.w;
        const Matrix<std::uint32_t> c0(1, 1, c.acc), expected(1, 1, c.expected);
        CHECK(npu::ref::gemm_bf16(a, w, &c0)(0, 0) == c.expected);
        const auto got = b.driver.gemm_bf16(a, w, &c0);
        const auto r = compare_fp32(check_context(seed), fmt::format("{} (PE row {})", c.what, p), expected, got);
        if (!r.ok) FAIL_CHECK(r.message);
      }
    }
  }
}

TEST_CASE("BF16 products overflowing to Inf", "[bf16]") {
  for (const auto seed : test_seeds({1, 2})) {
    Bench b(seed, Traffic::full_speed());
    for (int i = 0; i < 3; ++i) {
      const auto m = b.uniform(1, 6), k = b.uniform(1, 2 * R + 1), n = b.uniform(1, 2 * C);
      const auto a = random_bf16(b.rng, m, k, 120);
      const auto w = random_bf16(b.rng, k, n, 120);
      const auto c0 = random_fp32(b.rng, m, n, 127);
      b.check_bf16(a, w, &c0, fmt::format("C#{} (huge exponents)", i));
    }
  }
}

TEST_CASE("BF16 catastrophic cancellation", "[bf16]") {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, Traffic::full_speed());
    const std::size_t m = 8, n = 2 * C + 1;
    for (const std::size_t k : {std::size_t{1}, std::size_t{2}, R + 1}) {
      const auto a = random_bf16(b.rng, m, k, 20);
      auto w = random_bf16(b.rng, k, n, 20);
      // Later products are small so they perturb the cancelled remainder.
      for (std::size_t r = 1; r < k; ++r)
        for (std::size_t c = 0; c < n; ++c) w(r, c) = bf16_with_exp(b.rng, -45, -35);
      Matrix<std::uint32_t> c0(m, n);
      for (std::size_t r = 0; r < m; ++r)
        for (std::size_t c = 0; c < n; ++c) {
          // -(a*w) exactly, then nudged by a few ulps.
          const auto p = npu::ref::fp32_mul(npu::ref::bf16_to_fp32(a(r, 0)), npu::ref::bf16_to_fp32(w(0, c)));
          const auto nudge = static_cast<std::uint32_t>(b.rng() % 7);
          c0(r, c) = (p ^ 0x80000000u) + nudge - 3;
        }
      b.check_bf16(a, w, &c0, fmt::format("C (cancellation, K={})", k));
    }
  }
}

TEST_CASE("BF16 flush-to-zero after rounding near 2^-126", "[bf16]") {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, Traffic::full_speed());
    const std::size_t m = 10, k = R + 2, n = 2 * C;
    Matrix<std::uint16_t> a(m, k), w(k, n);
    Matrix<std::uint32_t> c0(m, n);
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t i = 0; i < k; ++i) a(r, i) = bf16_with_exp(b.rng, -66, -60);
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t c = 0; c < n; ++c) w(i, c) = bf16_with_exp(b.rng, -66, -60);
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t c = 0; c < n; ++c) c0(r, c) = fp32_with_biased_exp(b.rng, 0, 4);
    b.check_bf16(a, w, &c0, "C (near 2^-126)");
    b.check_bf16(a, w, nullptr, "C (near 2^-126, overwrite)");
    // acc within a few ulps of +-2^-126 plus a product of about one ulp
    // (2^-149): sums straddle the boundary, some round up onto it.
    Matrix<std::uint16_t> a1(m, 1), w1(1, n);
    for (std::size_t r = 0; r < m; ++r) a1(r, 0) = bf16_with_exp(b.rng, -75, -74);
    for (std::size_t c = 0; c < n; ++c) w1(0, c) = bf16_with_exp(b.rng, -77, -75);
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t c = 0; c < n; ++c)
        c0(r, c) = static_cast<std::uint32_t>((b.rng() & 1u) << 31) | 0x00800000u |
                   static_cast<std::uint32_t>(b.rng() % 4);
    b.check_bf16(a1, w1, &c0, "C (straddling 2^-126)");
    // The same sums in the bottom PE row, whose result is not DAZ-ed by a later PE.
    Matrix<std::uint16_t> a4(m, R, 0x8000), w4(R, n, 0);
    for (std::size_t r = 0; r < m; ++r) a4(r, R - 1) = a1(r, 0);
    for (std::size_t c = 0; c < n; ++c) w4(R - 1, c) = w1(0, c);
    b.check_bf16(a4, w4, &c0, "C (straddling 2^-126, bottom PE row)");
  }
}

TEST_CASE("BF16 random rounding ties", "[bf16]") {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, Traffic::full_speed());
    // acc + odd * 2^(E-24) with acc's exponent E: the exact sum is a tie.
    const std::size_t m = 12, n = 3 * C;
    static constexpr std::uint16_t kOdd[] = {0x3F80, 0x4040, 0x40A0, 0x40E0};  // 1, 3, 5, 7
    Matrix<std::uint16_t> a(m, 1), w(1, n);
    Matrix<std::uint32_t> c0(m, n);
    for (std::size_t r = 0; r < m; ++r)
      a(r, 0) = static_cast<std::uint16_t>(kOdd[b.rng() % 4] | ((b.rng() & 1u) << 15));
    for (std::size_t c = 0; c < n; ++c) {
      const int e = static_cast<int>(b.rng() % 41) - 20;
      w(0, c) = static_cast<std::uint16_t>((e - 24 + 127) << 7);
      for (std::size_t r = 0; r < m; ++r)
        c0(r, c) = static_cast<std::uint32_t>((b.rng() & 1u) << 31) |
                   (static_cast<std::uint32_t>(e + 127) << 23) |
                   static_cast<std::uint32_t>(b.rng() & 0x7FFFFF);
    }
    b.check_bf16(a, w, &c0, "C (ties)");
  }
}

// Products whose exponent is -2..+30 away from the accumulator's, with
// significands at the edges (1.0, 1+ulp, all ones, random): exercises the
// alignment shift, its saturation, the jammed sticky bit and the guard bits in
// both add and subtract, on both sides of each rounding boundary.
TEST_CASE("BF16 alignment shifts, sticky and guard bits", "[bf16]") {
  static constexpr std::uint32_t kAccFrac[] = {0x000000, 0x000001, 0x7FFFFF, 0x7FFFFE, 0x400000, 0x000002};
  static constexpr std::uint16_t kFrac[] = {0x00, 0x01, 0x7F, 0x40, 0x41, 0x3F};
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, Traffic::full_speed());
    for (int g = 0; g < 8; ++g) {
      const std::size_t m = 12, n = 3 * C, k = (g % 4 == 3) ? 2 : 1;
      Matrix<std::uint16_t> a(m, k), w(k, n);
      Matrix<std::uint32_t> c0(m, n);
      auto edge_bf16 = [&](int lo, int hi) {
        auto v = bf16_with_exp(b.rng, lo, hi);
        if (b.rng() % 3 != 0) v = static_cast<std::uint16_t>((v & 0xFF80) | kFrac[b.rng() % std::size(kFrac)]);
        return v;
      };
      for (std::size_t r = 0; r < m; ++r)
        for (std::size_t i = 0; i < k; ++i) a(r, i) = edge_bf16(-3, 3);
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t c = 0; c < n; ++c) w(i, c) = edge_bf16(-3, 3);
      for (std::size_t r = 0; r < m; ++r)
        for (std::size_t c = 0; c < n; ++c) {
          // Biased exponent of the product, then the accumulator d binades above it.
          const int ep = ((a(r, 0) >> 7) & 0xFF) + ((w(0, c) >> 7) & 0xFF) - 127;
          const int d = static_cast<int>(b.rng() % 33) - 2;
          const auto frac = (b.rng() % 4 == 0) ? static_cast<std::uint32_t>(b.rng() & 0x7FFFFF)
                                               : kAccFrac[b.rng() % std::size(kAccFrac)];
          c0(r, c) = static_cast<std::uint32_t>((b.rng() & 1u) << 31) |
                     (static_cast<std::uint32_t>(ep + d) << 23) | frac;
        }
      b.check_bf16(a, w, &c0, fmt::format("C#{} (alignment, K={})", g, k));
    }
  }
}

// Low-level handshake checks on one tile: with c_ready held low the pipeline
// must still fill (exactly L*Rows + Cols rows are accepted before the first
// result reaches the output and stalls it), the first result appears exactly
// L*Rows + Cols cycles after its A handshake, a stalled result holds still,
// and everything drains in order once c_ready rises.
TEST_CASE("Pipeline fills while the output is stalled, latency L x Rows + Cols", "[handshake]") {
  const std::size_t depth = 2 * R + C;  // npu_pkg::PeLatency * Rows + Cols
  for (const auto seed : test_seeds({1, 2})) {
    Bench b(seed, Traffic::full_speed());
    auto& dut = b.sim.dut();
    const auto tile = random_tile(b.rng);
    dut.c_ready_i = 0;
    dut.a_valid_i = 0;
    dut.w_valid_i = 1;
    for (std::size_t k = 0; k < R; ++k) {
      for (std::size_t j = 0; j < C; ++j) put_bits(dut.w_data_i, j * 16, 16, tile(k, j));
      b.sim.settle();
      REQUIRE(dut.w_ready_o);
      b.sim.tick();
    }
    dut.w_valid_i = 0;
    // More beats than fit in the pipeline; the last one closes the tile.
    const std::size_t num = depth + 3;
    std::vector<ABeat> beats(num);
    for (std::size_t i = 0; i < num; ++i) {
      beats[i].bf16 = (i % 3) != 1;
      for (std::size_t k = 0; k < R; ++k)
        beats[i].a.push_back(beats[i].bf16 ? random_bf16(b.rng, 6) : static_cast<std::uint16_t>(b.rng()));
      for (std::size_t j = 0; j < C; ++j)
        beats[i].acc.push_back(beats[i].bf16 ? random_fp32(b.rng, 6) : static_cast<std::uint32_t>(b.rng()));
      beats[i].last = (i + 1 == num);
    }
    auto present = [&](const ABeat& beat) {
      for (std::size_t k = 0; k < R; ++k) put_bits(dut.a_data_i, k * 16, 16, beat.a[k]);
      for (std::size_t j = 0; j < C; ++j) put_bits(dut.a_acc_i, j * 32, 32, beat.acc[j]);
      dut.a_mode_i = beat.bf16 ? 1 : 0;
      dut.a_last_i = beat.last ? 1 : 0;
      dut.a_valid_i = 1;
    };
    auto expected_row = [&](const ABeat& beat) {
      std::vector<std::uint32_t> e(C);
      for (std::size_t j = 0; j < C; ++j) {
        std::uint32_t acc = beat.acc[j];
        for (std::size_t k = 0; k < R; ++k) {
          if (beat.bf16) {
            acc = npu::ref::bf16_mac(beat.a[k], tile(k, j), acc);
          } else {  // two INT8 products per lane
            const Matrix<std::int8_t> a1(1, 2, 0), w1(2, 1, 0);
            Matrix<std::int8_t> a2 = a1, w2 = w1;
            for (unsigned h = 0; h < 2; ++h) {
              a2(0, h) = static_cast<std::int8_t>(beat.a[k] >> (8 * h) & 0xFF);
              w2(h, 0) = static_cast<std::int8_t>(tile(k, j) >> (8 * h) & 0xFF);
            }
            const Matrix<std::int32_t> c1(1, 1, static_cast<std::int32_t>(acc));
            acc = static_cast<std::uint32_t>(npu::ref::gemm_i8(a2, w2, &c1)(0, 0));
          }
        }
        e[j] = acc;
      }
      return e;
    };
    auto output_row = [&] {
      std::vector<std::uint32_t> c(C);
      for (std::size_t j = 0; j < C; ++j) c[j] = get_bits(dut.c_data_o, j * 32, 32);
      return c;
    };

    // Phase 1: c_ready low, A offered every cycle.
    std::size_t accepted = 0;
    std::uint64_t first_accept = 0, first_valid = 0;
    std::vector<std::uint32_t> held;
    bool held_changed = false;
    for (std::size_t cyc = 0; cyc < 3 * depth; ++cyc) {
      present(beats[accepted]);
      b.sim.settle();
      if (dut.c_valid_o && first_valid == 0) {
        first_valid = b.sim.cycle();
        held = output_row();
      } else if (first_valid != 0) {
        held_changed = held_changed || !dut.c_valid_o || output_row() != held;
      }
      if (dut.a_ready_o) {
        if (accepted == 0) first_accept = b.sim.cycle();
        ++accepted;
      }
      b.sim.tick();
    }
    INFO(fmt::format("seed {}: rerun: {}", seed, rerun_command(check_context(seed))));
    REQUIRE(accepted == depth);
    REQUIRE(first_valid == first_accept + depth);
    CHECK_FALSE(held_changed);
    // The stalled head row: right data, held while c_ready stays low.
    b.sim.settle();
    REQUIRE(dut.c_valid_o);
    const auto head = output_row();
    CHECK(head == expected_row(beats[0]));
    CHECK_FALSE(dut.c_last_o);

    // Phase 2: drain with c_ready toggling; the remaining beats go in as allowed.
    std::size_t received = 0;
    for (std::size_t cyc = 0; cyc < 20 * depth && received < num; ++cyc) {
      if (accepted < num) present(beats[accepted]);
      else dut.a_valid_i = 0;
      dut.c_ready_i = (cyc % 3 != 1) ? 1 : 0;
      b.sim.settle();
      const bool a_fire = accepted < num && dut.a_ready_o;
      if (dut.c_valid_o && dut.c_ready_i) {
        REQUIRE(received < num);
        const auto got = output_row();
        const auto exp = expected_row(beats[received]);
        for (std::size_t j = 0; j < C; ++j)
          CHECK(fmt::format("row {} col {}: {:08x}", received, j, got[j]) ==
                fmt::format("row {} col {}: {:08x}", received, j, exp[j]));
        CHECK(bool(dut.c_last_o) == beats[received].last);
        ++received;
      }
      if (a_fire) ++accepted;
      b.sim.tick();
    }
    dut.a_valid_i = 0;
    dut.c_ready_i = 0;
    REQUIRE(received == num);
    b.sim.settle();
    CHECK_FALSE(dut.c_valid_o);
  }
}

TEST_CASE("The checker reports the first mismatch and how to replay it", "[checker]") {
  const std::uint64_t seed = 7;  // fixed: this test checks the checker itself
  Bench b(seed, Traffic::full_speed());
  const auto a = random_i8(b.rng, 3, R + 1);
  const auto w = random_i8(b.rng, R + 1, C + 2);
  auto expected = npu::ref::gemm_i8(a, w);
  const auto got = b.driver.gemm_i8(a, w);
  const auto ctx = check_context(seed);
  REQUIRE(compare_i32(ctx, "C", expected, got).ok);

  expected(1, 2) ^= 0x80;   // one flipped bit ...
  expected(2, 0) ^= 0x1;    // ... and a later one that must not be reported first
  const auto r = compare_i32(ctx, "C", expected, got);
  REQUIRE_FALSE(r.ok);
  CHECK(r.mismatches == 2);
  CHECK_THAT(r.message, Contains("row 1 col 2"));
  CHECK_THAT(r.message, Contains(fmt::format("expected 0x{:08x}", static_cast<std::uint32_t>(expected(1, 2)))));
  CHECK_THAT(r.message, Contains(fmt::format("actual 0x{:08x}", static_cast<std::uint32_t>(got.c(1, 2)))));
  CHECK_THAT(r.message, Contains(fmt::format("cycle {}", got.leave_cycle(1, 2))));
  CHECK_THAT(r.message, Contains("seed 7"));
  CHECK_THAT(r.message, Contains("tensor C"));
  CHECK_THAT(r.message, Contains("NPU_SEED=7 NPU_WAVES="));
  CHECK_THAT(r.message, Contains(current_test_name()));

  const auto af = random_bf16(b.rng, 2, 3);
  const auto wf = random_bf16(b.rng, 3, 2);
  auto ef = npu::ref::gemm_bf16(af, wf);
  const auto gf = b.driver.gemm_bf16(af, wf);
  REQUIRE(compare_fp32(ctx, "Cf", ef, gf).ok);
  ef(0, 1) ^= 1;
  const auto rf = compare_fp32(ctx, "Cf", ef, gf);
  REQUIRE_FALSE(rf.ok);
  CHECK_THAT(rf.message, Contains("row 0 col 1"));
  CHECK_THAT(rf.message, Contains(fmt::format("{:.9g}", [&] {
               float f;
               const std::uint32_t bits = gf.c(0, 1);
               std::memcpy(&f, &bits, sizeof f);
               return f;
             }())));
}

TEST_CASE("Hangs and runaway simulations fail with a clear message", "[checker]") {
  Bench b(1, Traffic::full_speed());
  // No weight tile is ever sent, so a_ready_o must stay low.
  ABeat beat;
  beat.a.assign(R, 0);
  beat.acc.assign(C, 0);
  beat.last = true;
  b.driver.set_stall_limit(200);
  REQUIRE_THROWS_WITH(b.driver.stream(std::vector<WTile>{}, {beat}), Contains("no transfer on any port for 200 cycles"));
  REQUIRE_THROWS_WITH(b.sim.wait_until([&] { return b.sim.dut().c_valid_o != 0; }, 50, "c_valid_o"),
                      Contains("timeout waiting for c_valid_o: 50 cycles"));
  MacArraySim limited({}, 10);
  REQUIRE_THROWS_AS([&] { for (int i = 0; i < 11; ++i) limited.tick(); }(), SimTimeout);
}

// At full speed the array must stream tile after tile without a bubble: the
// first weight tile loads in Rows beats even while A rows are already offered,
// the next tiles load behind the current one, and each K chunk's rows find
// their partial sums back in time. So the whole GEMM takes exactly
// Rows (first load) + tiles x M (row beats) + L*Rows + Cols (drain) cycles.
// A handshake or bank-accounting bug that only costs cycles fails here.
TEST_CASE("Back-to-back tiles stream without bubbles at full speed", "[handshake][tiles]") {
  const std::size_t depth = 2 * R + C;  // npu_pkg::PeLatency * Rows + Cols
  for (const auto seed : test_seeds({1, 2})) {
    Bench b(seed, Traffic::full_speed());
    const std::size_t m = 3 * R + C + depth;  // long enough to hide reloads and chunk dependencies
    const std::size_t k = 4 * R, n = 2 * C;   // 2 K chunks (INT8: 2*Rows deep) x 2 N tiles
    const auto a = random_i8(b.rng, m, k);
    const auto w = random_i8(b.rng, k, n);
    const auto got = b.check_i8(a, w, nullptr, "C");
    const std::size_t tiles = (k / (2 * R)) * (n / C);
    const std::uint64_t expected_cycles = R + tiles * m + depth;
    INFO("seed " << seed << ": " << got.stats.cycles << " cycles, expected " << expected_cycles
                 << " (Rows " << R << " + " << tiles << " tiles x M " << m << " + depth " << depth << ")");
    CHECK(got.stats.cycles == expected_cycles);
  }
}

// Every NaN encoding must be recognised, not only the canonical one: C_init
// and the operands carry NaNs whose payload is a single bit (the patterns
// closest to Inf), in every PE row and column.
TEST_CASE("BF16 NaN with any single payload bit in C_init and operands", "[bf16]") {
  for (const auto seed : test_seeds({1})) {
    Bench b(seed, Traffic::full_speed());
    const std::size_t m = 2 * 23;
    auto a = random_bf16(b.rng, m, R);
    auto w = random_bf16(b.rng, R, C);
    Matrix<std::uint32_t> c0(m, C, 0x3F800000u);
    for (std::size_t i = 0; i < m; ++i) {
      const std::uint32_t sign = (i >= 23) ? 0x80000000u : 0u;
      c0(i, i % C) = sign | 0x7F800000u | (1u << (i % 23));  // C_init NaN, payload bit i%23
    }
    b.check_bf16(a, w, &c0, "C (NaN in C_init)");
    for (std::size_t i = 0; i < m; ++i) {
      const auto nan = static_cast<std::uint16_t>(((i & 1u) << 15) | 0x7F80u | (1u << (i % 7)));
      a(i, i % R) = nan;  // activation NaN, payload bit i%7, in PE row i%R
    }
    b.check_bf16(a, w, nullptr, "C (NaN in A)");
    auto a2 = random_bf16(b.rng, m, R);
    for (std::size_t k = 0; k < R; ++k) w(k, k % C) = static_cast<std::uint16_t>(0x7F80u | (1u << (k % 7)));
    b.check_bf16(a2, w, nullptr, "C (NaN in W)");
  }
}
