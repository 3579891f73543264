// Random operand generators for GEMM tests (all seeded by the caller).
#pragma once

#include <cstdint>
#include <random>

#include "npu/ref/matrix.hpp"

namespace npu::tb {

// Uniform int8 in [-128, 127].
ref::Matrix<std::int8_t> random_i8(std::mt19937_64& rng, std::size_t rows, std::size_t cols);
// Only the extremes -128, -127, 127, -1, 0, 1 (heavily -128 / 127).
ref::Matrix<std::int8_t> extreme_i8(std::mt19937_64& rng, std::size_t rows, std::size_t cols);
// Uniform int32 (full range).
ref::Matrix<std::int32_t> random_i32(std::mt19937_64& rng, std::size_t rows, std::size_t cols);

// Finite normal BF16 with unbiased exponent in [-exp_span, exp_span], random sign.
std::uint16_t random_bf16(std::mt19937_64& rng, int exp_span = 8);
ref::Matrix<std::uint16_t> random_bf16(std::mt19937_64& rng, std::size_t rows, std::size_t cols,
                                       int exp_span = 8);
// BF16 where roughly half the elements are special: +-0, subnormals (DAZ),
// +-Inf, quiet/signalling NaNs with payloads, max finite, min normal.
ref::Matrix<std::uint16_t> special_bf16(std::mt19937_64& rng, std::size_t rows, std::size_t cols);

// Finite normal FP32 with unbiased exponent in [-exp_span, exp_span].
std::uint32_t random_fp32(std::mt19937_64& rng, int exp_span = 8);
ref::Matrix<std::uint32_t> random_fp32(std::mt19937_64& rng, std::size_t rows, std::size_t cols,
                                       int exp_span = 8);
// FP32 accumulators with the same kinds of specials as special_bf16.
ref::Matrix<std::uint32_t> special_fp32(std::mt19937_64& rng, std::size_t rows, std::size_t cols);

}  // namespace npu::tb
