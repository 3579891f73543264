// gemm_i8 / gemm_bf16 against naive loops written here: int64 sums reduced
// mod 2^32, and the CPU's fmaf under FTZ|DAZ in k order.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "npu/ref/gemm.hpp"
#include "test_util.hpp"

using npu::ref::gemm_bf16;
using npu::ref::gemm_i8;
using npu::ref::Matrix;

namespace {

// Wrap-around is addition mod 2^32, so one wide sum reduced at the end is equal.
int32_t naive_i8(const Matrix<int8_t>& a, const Matrix<int8_t>& b, std::size_t m, std::size_t n, int32_t init) {
  int64_t sum = init;
  for (std::size_t k = 0; k < a.cols(); ++k) sum += int64_t{a(m, k)} * int64_t{b(k, n)};
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(sum)));
}

// Must run under FtzDazGuard.
uint32_t naive_bf16(const Matrix<uint16_t>& a, const Matrix<uint16_t>& b, std::size_t m, std::size_t n,
                    uint32_t init) {
  volatile float acc = npu::test::as_float(init);
  for (std::size_t k = 0; k < a.cols(); ++k) {
    const float x = npu::test::as_float(uint32_t{a(m, k)} << 16);
    const float w = npu::test::as_float(uint32_t{b(k, n)} << 16);
    acc = std::fma(x, w, acc);
  }
  return npu::test::canonical(npu::test::as_bits(acc));
}

// BF16 values of moderate range (so sums cancel and round), plus some specials.
uint16_t random_bf16(std::mt19937_64& rng) {
  static constexpr uint16_t kSpecials[] = {0x0000, 0x8000, 0x0001, 0x7F80, 0xFF80, 0x7FC0, 0x7F7F, 0x0080};
  if (rng() % 64 == 0) return kSpecials[rng() % std::size(kSpecials)];
  const auto sign = static_cast<uint16_t>((rng() & 1) << 15);
  const auto exp = static_cast<uint16_t>(127 - 6 + rng() % 13);
  return static_cast<uint16_t>(sign | (exp << 7) | (rng() & 0x7F));
}

}  // namespace

TEST_CASE("gemm_i8 matches a naive loop", "[gemm]") {
  const uint64_t seed = npu::test::test_seed("gemm_i8");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 300; ++iter) {
    const std::size_t rows = rng() % 7;
    const std::size_t depth = 1 + rng() % 33;
    const std::size_t cols = 1 + rng() % 7;
    Matrix<int8_t> a(rows, depth);
    Matrix<int8_t> b(depth, cols);
    Matrix<int32_t> c_init(rows, cols);
    const bool extremes = iter % 3 == 0;  // -128 * -128 everywhere, C_init near the wrap point
    for (std::size_t i = 0; i < rows * depth; ++i) a.data()[i] = extremes ? -128 : static_cast<int8_t>(rng());
    for (std::size_t i = 0; i < depth * cols; ++i) b.data()[i] = extremes ? -128 : static_cast<int8_t>(rng());
    for (std::size_t i = 0; i < rows * cols; ++i) {
      c_init.data()[i] = extremes ? std::numeric_limits<int32_t>::max() - static_cast<int32_t>(rng() % 1000)
                                  : static_cast<int32_t>(static_cast<uint32_t>(rng()));
    }
    const auto overwrite = gemm_i8(a, b);
    const auto accumulate = gemm_i8(a, b, &c_init);
    REQUIRE(overwrite.rows() == rows);
    REQUIRE(overwrite.cols() == cols);
    for (std::size_t m = 0; m < rows; ++m) {
      for (std::size_t n = 0; n < cols; ++n) {
        INFO("iter " << iter << " m " << m << " n " << n);
        REQUIRE(overwrite(m, n) == naive_i8(a, b, m, n, 0));
        REQUIRE(accumulate(m, n) == naive_i8(a, b, m, n, c_init(m, n)));
      }
    }
  }
}

TEST_CASE("gemm_bf16 matches a naive fmaf loop", "[gemm]") {
  const uint64_t seed = npu::test::test_seed("gemm_bf16");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  npu::test::Mismatches bad;
  for (int iter = 0; iter < 300; ++iter) {
    const std::size_t rows = rng() % 7;
    const std::size_t depth = 1 + rng() % 33;
    const std::size_t cols = 1 + rng() % 7;
    Matrix<uint16_t> a(rows, depth);
    Matrix<uint16_t> b(depth, cols);
    Matrix<uint32_t> c_init(rows, cols);
    for (std::size_t i = 0; i < rows * depth; ++i) a.data()[i] = random_bf16(rng);
    for (std::size_t i = 0; i < depth * cols; ++i) b.data()[i] = random_bf16(rng);
    for (std::size_t i = 0; i < rows * cols; ++i) {
      c_init.data()[i] = (uint32_t{random_bf16(rng)} << 16) | static_cast<uint32_t>(rng() & 0xFFFF);
    }
    const auto overwrite = gemm_bf16(a, b);
    const auto accumulate = gemm_bf16(a, b, &c_init);
    const npu::test::FtzDazGuard ftz_daz;
    for (std::size_t m = 0; m < rows; ++m) {
      for (std::size_t n = 0; n < cols; ++n) {
        const uint32_t want0 = naive_bf16(a, b, m, n, 0);
        const uint32_t want1 = naive_bf16(a, b, m, n, c_init(m, n));
        if (overwrite(m, n) != want0 || accumulate(m, n) != want1) {
          bad.add(fmt::format("iter {} C[{}][{}]: overwrite {:#010x} want {:#010x}, accumulate {:#010x} want {:#010x}",
                              iter, m, n, overwrite(m, n), want0, accumulate(m, n), want1));
        }
      }
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);
}

TEST_CASE("gemm_bf16 accumulates strictly in k order", "[gemm]") {
  // 2^24 + 1 rounds back to 2^24 (tie to even), so forward order gives 0;
  // the reverse order would give 1.
  Matrix<uint16_t> a(1, 3);
  a(0, 0) = 0x4B80;  // 2^24
  a(0, 1) = 0x3F80;  // 1
  a(0, 2) = 0xCB80;  // -2^24
  const Matrix<uint16_t> b(3, 1, 0x3F80);
  CHECK(gemm_bf16(a, b)(0, 0) == 0x00000000u);
  const Matrix<uint32_t> init(1, 1, 0x80000000u);  // -0 start: products sum to +0 anyway
  CHECK(gemm_bf16(a, b, &init)(0, 0) == 0x00000000u);
}

TEST_CASE("gemm_bf16 padding K with A = -0, B = +0 changes nothing", "[gemm][padding]") {
  const uint64_t seed = npu::test::test_seed("gemm_bf16 padding");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 100; ++iter) {
    const std::size_t rows = 1 + rng() % 5;
    const std::size_t depth = 1 + rng() % 9;
    const std::size_t padded = depth + 1 + rng() % 4;
    const std::size_t cols = 1 + rng() % 5;
    Matrix<uint16_t> a(rows, depth);
    Matrix<uint16_t> b(depth, cols);
    Matrix<uint16_t> a_pad(rows, padded, 0x8000);
    Matrix<uint16_t> b_pad(padded, cols, 0x0000);
    Matrix<uint32_t> c_init(rows, cols);
    for (std::size_t m = 0; m < rows; ++m) {
      for (std::size_t k = 0; k < depth; ++k) a_pad(m, k) = a(m, k) = random_bf16(rng);
    }
    for (std::size_t k = 0; k < depth; ++k) {
      for (std::size_t n = 0; n < cols; ++n) b_pad(k, n) = b(k, n) = random_bf16(rng);
    }
    for (std::size_t i = 0; i < rows * cols; ++i) c_init.data()[i] = uint32_t{random_bf16(rng)} << 16;
    const auto plain = gemm_bf16(a, b, &c_init);
    const auto padded_result = gemm_bf16(a_pad, b_pad, &c_init);
    for (std::size_t i = 0; i < rows * cols; ++i) REQUIRE(plain.data()[i] == padded_result.data()[i]);
  }
}

TEST_CASE("gemm shape mismatches throw", "[gemm]") {
  const Matrix<int8_t> a8(2, 3);
  const Matrix<int8_t> b8(4, 2);
  const Matrix<int8_t> b8_ok(3, 2);
  const Matrix<int32_t> c_bad(2, 3);
  CHECK_THROWS_AS(gemm_i8(a8, b8), std::invalid_argument);
  CHECK_THROWS_AS(gemm_i8(a8, b8_ok, &c_bad), std::invalid_argument);
  CHECK_NOTHROW(gemm_i8(a8, b8_ok));

  const Matrix<uint16_t> a16(2, 3);
  const Matrix<uint16_t> b16(2, 2);
  const Matrix<uint16_t> b16_ok(3, 4);
  const Matrix<uint32_t> c16_bad(4, 2);
  CHECK_THROWS_AS(gemm_bf16(a16, b16), std::invalid_argument);
  CHECK_THROWS_AS(gemm_bf16(a16, b16_ok, &c16_bad), std::invalid_argument);
  CHECK(gemm_bf16(a16, b16_ok).cols() == 4);
}

TEST_CASE("Matrix is row-major and bounds-checked", "[gemm][matrix]") {
  Matrix<int32_t> m(2, 3, 7);
  CHECK(m.rows() == 2);
  CHECK(m.cols() == 3);
  m(1, 2) = 42;
  CHECK(m.data()[1 * 3 + 2] == 42);
  CHECK(m(0, 0) == 7);
  CHECK_THROWS_AS(m(2, 0), std::out_of_range);
  CHECK_THROWS_AS(m(0, 3), std::out_of_range);
  const Matrix<int32_t> empty;
  CHECK(empty.rows() == 0);
  CHECK_THROWS_AS(empty(0, 0), std::out_of_range);
}
