// Vector engine model: masks, special values, fixed points and argument
// checks, i.e. the behaviour docs/numerics.md defines beyond accuracy.
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "npu/ref/fp.hpp"
#include "npu/ref/vec_accuracy.hpp"
#include "npu/ref/vector.hpp"
#include "test_util.hpp"

using namespace npu::ref;
namespace acc = npu::ref::accuracy;

namespace {
constexpr uint32_t kOne = 0x3F800000u;
constexpr uint16_t kNan = kBf16CanonicalNan;
std::vector<uint16_t> random_row(std::mt19937_64& rng, std::size_t n) {
  std::vector<uint16_t> x;
  for (std::size_t j = 0; j < n; ++j) x.push_back(acc::random_bf16_normal(rng, 0, 3));
  return x;
}
}  // namespace

TEST_CASE("softmax_bf16: causal mask keeps j <= row + offset and masked give +0", "[vec]") {
  std::mt19937_64 rng(npu::test::test_seed("softmax mask"));
  const auto x = random_row(rng, 40);
  for (int64_t row : {-3, 0, 5, 39, 50}) {
    for (int64_t offset : {-2, 0, 3}) {
      const auto y = softmax_bf16(x, kOne, CausalMask{row, offset});
      const int64_t last = row + offset;
      // The kept prefix equals the unmasked softmax of that prefix.
      std::vector<uint16_t> prefix(x.begin(), x.begin() + std::clamp<int64_t>(last + 1, 0, 40));
      const auto want = prefix.empty() ? std::vector<uint16_t>{} : softmax_bf16(prefix, kOne);
      for (std::size_t j = 0; j < x.size(); ++j) {
        if (static_cast<int64_t>(j) <= last) {
          CHECK(y[j] == want[j]);
        } else {
          CHECK(y[j] == 0x0000);
        }
      }
    }
  }
}

TEST_CASE("softmax_bf16: special rows", "[vec]") {
  // Single kept element -> exactly 1.0.
  CHECK(softmax_bf16({0x4321}, kOne) == std::vector<uint16_t>{0x3F80});
  CHECK(softmax_bf16({0xC2F0, 0x1234}, kOne, CausalMask{0, 0}) == std::vector<uint16_t>{0x3F80, 0x0000});
  // Equal elements -> exactly 1/n for n a power of two.
  CHECK(softmax_bf16(std::vector<uint16_t>(8, 0xC300), kOne) == std::vector<uint16_t>(8, 0x3E00));
  // All masked -> all +0.
  CHECK(softmax_bf16({0x3F80, 0x4000}, kOne, CausalMask{-1, 0}) == std::vector<uint16_t>{0, 0});
  // NaN, +Inf or all -Inf among kept -> kept NaN, masked +0.
  CHECK(softmax_bf16({0x3F80, 0x7F81, 0x4000}, kOne) == std::vector<uint16_t>{kNan, kNan, kNan});
  CHECK(softmax_bf16({0x3F80, 0x7F80, 0x4000}, kOne, CausalMask{1, 0}) == std::vector<uint16_t>{kNan, kNan, 0});
  CHECK(softmax_bf16({0xFF80, 0xFF80}, kOne) == std::vector<uint16_t>{kNan, kNan});
  // A masked NaN does not matter; -Inf elements give +0.
  CHECK(softmax_bf16({0x3F80, 0xFF80, 0x7FC0}, kOne, CausalMask{1, 0}) == std::vector<uint16_t>{0x3F80, 0, 0});
  // 0 * Inf in the scaling is NaN.
  CHECK(softmax_bf16({0x7F80, 0x3F80}, 0u) == std::vector<uint16_t>{kNan, kNan});
  // Far below the maximum -> exactly +0.
  CHECK(softmax_bf16({0x42C8, 0xC2C8}, kOne) == std::vector<uint16_t>{0x3F80, 0x0000});
}

TEST_CASE("softmax_bf16 / softmax_i8: argument checks", "[vec]") {
  CHECK_THROWS_AS(softmax_bf16({}, kOne), std::invalid_argument);
  CHECK_THROWS_AS(softmax_bf16(std::vector<uint16_t>(kVecMaxLen + 1, 0), kOne), std::invalid_argument);
  CHECK_NOTHROW(softmax_bf16(std::vector<uint16_t>(kVecMaxLen, 0), kOne));
  CHECK_THROWS_AS(softmax_i8({1}, 0), std::invalid_argument);
  CHECK_THROWS_AS(softmax_i8({1}, kVecMaxScaleQ20 + 1), std::invalid_argument);
  CHECK_THROWS_AS(layernorm_bf16({1, 2}, {1}, {1, 2}, 0x3727C5ACu), std::invalid_argument);
}

TEST_CASE("softmax_i8: masks and single element and saturation to 255", "[vec]") {
  // (scales are base 2: 1 << 20 means a logit step of 1 halves the weight)
  CHECK(softmax_i8({0, -1}, 1u << 20) == std::vector<uint8_t>{171, 85});  // 2/3, 1/3
  CHECK(softmax_i8({-5}, 1u << 20) == std::vector<uint8_t>{255});
  CHECK(softmax_i8({3, 100, 7}, 1u << 20, CausalMask{0, 0}) == std::vector<uint8_t>{255, 0, 0});
  CHECK(softmax_i8({3, 4}, 1u << 20, CausalMask{-1, 0}) == std::vector<uint8_t>{0, 0});
  CHECK(softmax_i8(std::vector<int8_t>(4, -128), 1u << 18) == std::vector<uint8_t>(4, 64));
  // 127 vs -128 at scale 1: exp(-255) underflows to 0.
  CHECK(softmax_i8({127, -128}, 1u << 20) == std::vector<uint8_t>{255, 0});
}

TEST_CASE("layernorm/rmsnorm bf16: constant rows and specials", "[vec]") {
  const uint32_t eps = 0x3727C5ACu;
  // Constant row: x - mean = 0 exactly, output = beta exactly.
  const std::vector<uint16_t> beta = {0x3F80, 0xC040, 0x0000, 0x4110};
  CHECK(layernorm_bf16(std::vector<uint16_t>(4, 0x4120), std::vector<uint16_t>(4, 0x3F80), beta, eps) == beta);
  // Zero row in RMSNorm -> +0.
  CHECK(rmsnorm_bf16(std::vector<uint16_t>(3, 0), std::vector<uint16_t>(3, 0x3F80), eps) ==
        std::vector<uint16_t>(3, 0));
  // Symmetric row: +-1 normalise to +-1/sqrt(1 + eps) -> BF16 +-1.
  CHECK(layernorm_bf16({0x3F80, 0xBF80}, {0x3F80, 0x3F80}, {0, 0}, eps) == std::vector<uint16_t>{0x3F80, 0xBF80});
  CHECK(rmsnorm_bf16({0x4000, 0xC000}, {0x3F80, 0x4000}, eps) == std::vector<uint16_t>{0x3F80, 0xC000});
  // NaN anywhere poisons the row; so does Inf in LayerNorm (Inf - Inf).
  const std::vector<uint16_t> ones = {0x3F80, 0x3F80, 0x3F80};
  for (uint16_t y : layernorm_bf16({0x3F80, 0x7F80, 0x4000}, ones, {0, 0, 0}, eps)) CHECK(y == kNan);
  for (uint16_t y : layernorm_bf16({0x3F80, 0xFFC1, 0x4000}, ones, {0, 0, 0}, eps)) CHECK(y == kNan);
  for (uint16_t y : rmsnorm_bf16({0x3F80, 0xFFC1, 0x4000}, ones, eps)) CHECK(y == kNan);
  // RMSNorm with Inf: rsqrt(Inf) = +0, so finite elements give +0, Inf * 0 = NaN.
  CHECK(rmsnorm_bf16({0x3F80, 0x7F80, 0xC000}, ones, eps) == std::vector<uint16_t>{0x0000, kNan, 0x8000});
}

TEST_CASE("gelu/silu bf16: special values and fixed points", "[vec]") {
  CHECK(gelu_bf16(0x0000) == 0x0000);
  CHECK(gelu_bf16(0x8000) == 0x8000);
  CHECK(gelu_bf16(0x0001) == 0x0000);  // DAZ
  CHECK(gelu_bf16(0x7F80) == 0x7F80);
  CHECK(gelu_bf16(0xFF80) == 0x8000);
  CHECK(gelu_bf16(0x7FA0) == kNan);
  CHECK(silu_bf16(0x7F80) == 0x7F80);
  CHECK(silu_bf16(0xFF80) == 0x8000);
  CHECK(silu_bf16(0xFFC0) == kNan);
  CHECK(silu_bf16(0x4220) == 0x4220);  // silu(40) = 40 in BF16
  CHECK(gelu_bf16(0x4120) == 0x4120);  // gelu(10) = 10
  CHECK(gelu_bf16(0x3F80) == 0x3F57);  // gelu_tanh(1) = 0.84119 -> 0.83984
  CHECK(silu_bf16(0x3F80) == 0x3F3B);  // silu(1) = 0.73106 -> 0.73047
  // Large negative inputs are not flushed before the final product:
  // silu(-85) = -85 e^-85 ~ -1.0e-35 is a normal number.
  CHECK(silu_bf16(0xC2AA) != 0x8000);
  CHECK(acc::bf16_ulp_diff(silu_bf16(0xC2AA), acc::to_bf16(acc::silu_exact(-85.0L))) == 0);
}

TEST_CASE("add/mul bf16: rounding and DAZ and NaN", "[vec]") {
  CHECK(add_bf16(0x3F80, 0x3B80) == 0x3F80);  // 1 + 2^-8: tie to even
  CHECK(add_bf16(0x3F81, 0x3B80) == 0x3F82);  // tie to even (up)
  CHECK(add_bf16(0x3F80, 0xBF80) == 0x0000);
  CHECK(add_bf16(0x7F80, 0xFF80) == kNan);
  CHECK(mul_bf16(0x0001, 0x7F80) == kNan);    // DAZ 0 * Inf
  CHECK(mul_bf16(0x4040, 0xC000) == 0xC0C0);  // 3 * -2
  CHECK(mul_bf16(0x1F80, 0x1F80) == 0x0000);  // 2^-64 * 2^-64 = 2^-128: flush
}

TEST_CASE("integer functions: fixed points and argument checks", "[vec]") {
  const RequantParams unit{1 << 30, 1, 0};  // multiplier 1.0
  // Residual add with unit scales is a saturating add.
  const IntAddParams add{0, 0, 1, 1, unit};
  CHECK(add_i8(100, 27, add) == 127);
  CHECK(add_i8(100, 28, add) == 127);
  CHECK(add_i8(-100, -29, add) == -128);
  CHECK(add_i8(-5, 3, add) == -2);
  const IntMulParams mul{0, 0, unit};
  CHECK(mul_i8(11, -11, mul) == -121);
  CHECK(mul_i8(12, 12, mul) == 127);
  CHECK_THROWS_AS(add_i8(1, 1, IntAddParams{0, 0, 1 << 15, 1, unit}), std::invalid_argument);
  // i-GELU: 0 -> 0; large positive x -> x (erf clipped to 1).
  CHECK(gelu_i8_q20(0, 1u << 16) == 0);
  CHECK(gelu_i8_q20(100, 1u << 16) == 100 * (1 << 16));
  CHECK(gelu_i8_q20(-100, 1u << 16) == 0);
  // SiLU table: silu(0) = 0 -> zero point.
  const auto t = silu_i8_table(0x3D800000u, 0x41800000u, 7);  // S_in 1/16, 1/S_out 16
  CHECK(lut_i8(0, t) == 7);
  CHECK(lut_i8(127, t) == 127);
  CHECK_THROWS_AS(silu_i8_table(0u, 0x41800000u, 0), std::invalid_argument);
  // Integer norms: constant rows normalise to 0 -> output = requant(beta).
  const IntNormParams p{1, RequantParams{1 << 30, -15, 0}};  // 2^-16
  const auto y = layernorm_i32(std::vector<int32_t>(5, 1234), std::vector<int8_t>(5, 64),
                               std::vector<int32_t>(5, 3 << 16), p);
  CHECK(y == std::vector<int8_t>(5, 3));
  CHECK_THROWS_AS(norm_i32_q14({1 << 15}, true, 1), std::invalid_argument);
  CHECK_THROWS_AS(norm_i32_q14({1}, true, 0), std::invalid_argument);
  // {-1, +1}: variance 1 (Q.16 65536) + eps 1: +-16384 / sqrt(1 + 2^-16) = +-16383.875,
  // floored (the table rsqrt is within 1 of it).
  CHECK(norm_i32_q14({-1, 1}, true, 1) == std::vector<int32_t>{-16384, 16383});
  CHECK(norm_i32_q14({-3, 1}, true, 1) == std::vector<int32_t>{-16384, 16383});  // mean -1 (half up)
}

TEST_CASE("integer norms: extreme rows stay inside their widths", "[vec]") {
  std::vector<int32_t> x(kVecMaxLen, -kVecNormMaxAbsInput);
  x[0] = kVecNormMaxAbsInput;  // one outlier at the maximum length
  const auto y = norm_i32_q14(x, true, 1);
  CHECK(y[0] > 63 * 16384);  // ~ sqrt(n-1) = 63.99 standard deviations
  CHECK(y[0] < 64 * 16384);
  const auto r = norm_i32_q14(x, false, 1);
  CHECK(r[1] == -16384);
}
