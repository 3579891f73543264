#include "stimulus.hpp"

#include <array>

namespace npu::tb {
namespace {

template <class T>
T pick(std::mt19937_64& rng, const T* values, std::size_t n) {
  return values[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)];
}

bool coin(std::mt19937_64& rng) { return (rng() & 1u) != 0; }

constexpr std::array<std::uint16_t, 16> kBf16Specials = {
    0x0000, 0x8000,                  // +-0
    0x0001, 0x807F, 0x0040,          // subnormals: read as zero (DAZ)
    0x7F80, 0xFF80,                  // +-Inf
    0x7FC0, 0xFFC1, 0x7F81, 0xFF80 | 0x0055,  // NaNs (quiet, payload, signalling)
    0x7F7F, 0xFF7F,                  // +-max finite
    0x0080, 0x8080,                  // +-min normal
    0x3F80};                         // 1.0

constexpr std::array<std::uint32_t, 14> kFp32Specials = {
    0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x7F800000, 0xFF800000,
    0x7FC00000, 0xFFC12345, 0x7F800001, 0x7F7FFFFF, 0xFF7FFFFF, 0x00800000,
    0x80800000, 0x3F800000};

}  // namespace

ref::Matrix<std::int8_t> random_i8(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
  ref::Matrix<std::int8_t> m(rows, cols);
  std::uniform_int_distribution<int> d(-128, 127);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = static_cast<std::int8_t>(d(rng));
  return m;
}

ref::Matrix<std::int8_t> extreme_i8(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
  static constexpr std::int8_t kValues[] = {-128, -128, -128, 127, 127, -127, -1, 0, 1};
  ref::Matrix<std::int8_t> m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = pick(rng, kValues, std::size(kValues));
  return m;
}

ref::Matrix<std::int32_t> random_i32(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
  ref::Matrix<std::int32_t> m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = static_cast<std::int32_t>(rng());
  return m;
}

std::uint16_t random_bf16(std::mt19937_64& rng, int exp_span) {
  const int e = std::uniform_int_distribution<int>(-exp_span, exp_span)(rng) + 127;
  const auto frac = static_cast<std::uint16_t>(rng() & 0x7F);
  return static_cast<std::uint16_t>((coin(rng) ? 0x8000 : 0) | (e << 7) | frac);
}

ref::Matrix<std::uint16_t> random_bf16(std::mt19937_64& rng, std::size_t rows, std::size_t cols,
                                       int exp_span) {
  ref::Matrix<std::uint16_t> m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = random_bf16(rng, exp_span);
  return m;
}

ref::Matrix<std::uint16_t> special_bf16(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
  ref::Matrix<std::uint16_t> m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j)
      m(i, j) = coin(rng) ? pick(rng, kBf16Specials.data(), kBf16Specials.size())
                          : random_bf16(rng, 40);
  return m;
}

std::uint32_t random_fp32(std::mt19937_64& rng, int exp_span) {
  const int e = std::uniform_int_distribution<int>(-exp_span, exp_span)(rng) + 127;
  const auto frac = static_cast<std::uint32_t>(rng() & 0x7FFFFF);
  return (coin(rng) ? 0x80000000u : 0u) | (static_cast<std::uint32_t>(e) << 23) | frac;
}

ref::Matrix<std::uint32_t> random_fp32(std::mt19937_64& rng, std::size_t rows, std::size_t cols,
                                       int exp_span) {
  ref::Matrix<std::uint32_t> m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = random_fp32(rng, exp_span);
  return m;
}

ref::Matrix<std::uint32_t> special_fp32(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
  ref::Matrix<std::uint32_t> m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j)
      m(i, j) = coin(rng) ? pick(rng, kFp32Specials.data(), kFp32Specials.size())
                          : random_fp32(rng, 80);
  return m;
}

}  // namespace npu::tb
