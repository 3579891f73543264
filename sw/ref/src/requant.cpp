#include "npu/ref/requant.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace npu::ref {
namespace {

constexpr int kMinShift = -31;
constexpr int kMaxShift = 30;

// floor(v / 2^n) for 1 <= n <= 62, written so it does not rely on how >>
// treats negative numbers.
int64_t floor_shift(int64_t v, int n) {
  return v >= 0 ? v >> n : -(((-(v + 1)) >> n) + 1);
}

}  // namespace

int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  if (multiplier < 0) {
    throw std::invalid_argument("requant multiplier " + std::to_string(multiplier) + " outside [0, 2^31-1]");
  }
  if (shift < kMinShift || shift > kMaxShift) {
    throw std::invalid_argument("requant shift " + std::to_string(shift) + " outside [-31, 30]");
  }
  // |x * M| <= 2^62 and the rounding term <= 2^61, so int64 cannot overflow.
  const int total_shift = 31 - shift;  // in [1, 62]
  const int64_t product = int64_t{x} * int64_t{multiplier};
  const int64_t rounded = floor_shift(product + (int64_t{1} << (total_shift - 1)), total_shift);
  const int64_t lo = std::numeric_limits<int32_t>::min();
  const int64_t hi = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(std::clamp(rounded, lo, hi));
}

int8_t requantize(int32_t acc, const RequantParams& p) {
  const int64_t scaled = multiply_by_quantized_multiplier(acc, p.multiplier, p.shift);
  return static_cast<int8_t>(std::clamp<int64_t>(scaled + p.zero_point, -128, 127));
}

Matrix<int8_t> requantize(const Matrix<int32_t>& acc, const std::vector<RequantParams>& per_channel,
                          const std::vector<int32_t>* bias) {
  if (per_channel.size() != acc.cols()) {
    throw std::invalid_argument("requantize: " + std::to_string(per_channel.size()) +
                                " channel parameters for " + std::to_string(acc.cols()) + " columns");
  }
  if (bias != nullptr && bias->size() != acc.cols()) {
    throw std::invalid_argument("requantize: " + std::to_string(bias->size()) + " biases for " +
                                std::to_string(acc.cols()) + " columns");
  }
  Matrix<int8_t> out(acc.rows(), acc.cols());
  for (std::size_t r = 0; r < acc.rows(); ++r) {
    for (std::size_t c = 0; c < acc.cols(); ++c) {
      uint32_t x = static_cast<uint32_t>(acc(r, c));
      if (bias != nullptr) x += static_cast<uint32_t>((*bias)[c]);  // wrapping add
      out(r, c) = requantize(static_cast<int32_t>(x), per_channel[c]);
    }
  }
  return out;
}

}  // namespace npu::ref
