// INT32 -> INT8 requantization (TFLite single-rounding
// MultiplyByQuantizedMultiplier), see docs/numerics.md.
#pragma once

#include <cstdint>
#include <vector>

#include "npu/ref/matrix.hpp"

namespace npu::ref {

struct RequantParams {
  int32_t multiplier;  // Q0.31, in [0, 2^31 - 1]
  int shift;           // in [-31, 30], positive = left
  int32_t zero_point;
};

// round_half_up(x * multiplier * 2^(shift - 31)) saturated to int32.
// Throws std::invalid_argument if multiplier or shift is out of range.
int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);
// clamp(multiply_by_quantized_multiplier(acc, M, s) + zero_point, -128, 127).
int8_t requantize(int32_t acc, const RequantParams& p);
// Column c uses per_channel[c] (size must equal acc.cols()); bias, if given,
// must have acc.cols() entries and is added (wrapping) before requantizing.
Matrix<int8_t> requantize(const Matrix<int32_t>& acc, const std::vector<RequantParams>& per_channel,
                          const std::vector<int32_t>* bias = nullptr);

}  // namespace npu::ref
