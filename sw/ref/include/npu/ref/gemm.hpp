// Reference GEMMs: C = C_init + A * B with the accumulation order of the array
// (k = 0..K-1 strictly in order, see docs/numerics.md).
#pragma once

#include <cstdint>

#include "npu/ref/matrix.hpp"

namespace npu::ref {

enum class GemmMode { kInt8, kBf16 };

// a: MxK, b: KxN, c_init: MxN or nullptr (start from 0). int32 wrap-around.
// Throws std::invalid_argument on shape mismatch.
Matrix<int32_t> gemm_i8(const Matrix<int8_t>& a, const Matrix<int8_t>& b,
                        const Matrix<int32_t>* c_init = nullptr);
// BF16 inputs, FP32 accumulators (bit patterns), chained bf16_mac; c_init
// nullptr starts from +0.0. Throws std::invalid_argument on shape mismatch.
Matrix<uint32_t> gemm_bf16(const Matrix<uint16_t>& a, const Matrix<uint16_t>& b,
                           const Matrix<uint32_t>* c_init = nullptr);

}  // namespace npu::ref
