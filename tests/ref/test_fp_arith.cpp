// fp32_add / fp32_mul / fp32_fma / bf16_mac against the CPU's IEEE arithmetic
// with MXCSR FTZ|DAZ set (the contract's reference machine), NaNs canonicalised.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <iterator>
#include <random>
#include <string>

#include "npu/ref/fp.hpp"
#include "test_util.hpp"

using npu::test::as_bits;
using npu::test::as_float;
using npu::test::canonical;

namespace {

using Operands = std::array<uint32_t, 3>;  // unused trailing entries are 0

// --- the oracle: host SSE arithmetic; volatile so nothing is constant-folded ---

__attribute__((noinline)) uint32_t cpu_add(uint32_t a, uint32_t b) {
  volatile float x = as_float(a);
  volatile float y = as_float(b);
  return canonical(as_bits(x + y));
}

__attribute__((noinline)) uint32_t cpu_mul(uint32_t a, uint32_t b) {
  volatile float x = as_float(a);
  volatile float y = as_float(b);
  return canonical(as_bits(x * y));
}

__attribute__((noinline)) uint32_t cpu_fma(uint32_t a, uint32_t b, uint32_t c) {
  volatile float x = as_float(a);
  volatile float y = as_float(b);
  volatile float z = as_float(c);
  return canonical(as_bits(std::fma(x, y, z)));  // fmaf: correctly rounded
}

// A BF16 is the top half of an FP32; the CPU's DAZ handles BF16 subnormals.
uint32_t cpu_bf16_mac(uint32_t a, uint32_t b, uint32_t acc) { return cpu_fma(a << 16, b << 16, acc); }

// --- operand generator aimed at the hard cases ---

class OperandGen {
 public:
  explicit OperandGen(uint64_t seed) : rng_(seed) {}

  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  bool coin() { return (rng_() & 1) != 0; }
  int spread(int n) { return static_cast<int>(below(2 * n + 1)) - n; }  // uniform in [-n, n]
  uint32_t low_bits(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(rng_() >> (64 - n)); }

  // Fractions with many trailing zeros (exact sums, ties), near all-ones
  // (carries into the next binade) or near zero, besides uniform ones.
  uint32_t fraction() {
    switch (below(5)) {
      case 0: return low_bits(23) & ~((1u << below(24)) - 1);
      case 1: return 0x7FFFFFu ^ low_bits(below(8));
      case 2: return low_bits(below(8));
      default: return low_bits(23);
    }
  }

  // Biased exponent, often at the edges of the range.
  int exponent() {
    static constexpr int kEdges[] = {0, 1, 2, 3, 125, 126, 127, 128, 252, 253, 254, 255};
    return below(4) == 0 ? kEdges[below(std::size(kEdges))] : static_cast<int>(below(256));
  }

  static uint32_t pack(bool neg, int exp, uint32_t frac) {
    const auto e = static_cast<uint32_t>(exp < 0 ? 0 : exp > 255 ? 255 : exp);
    return (neg ? 0x80000000u : 0u) | (e << 23) | frac;
  }

  uint32_t special() {
    static constexpr uint32_t kSpecials[] = {
        0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x80800000, 0x7F7FFFFF,
        0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x3F800000};
    return kSpecials[below(std::size(kSpecials))];
  }

  uint32_t any() { return below(16) == 0 ? special() : pack(coin(), exponent(), fraction()); }

  // b such that a*b lands near biased exponent `target` (which may be out of range).
  uint32_t factor_for(uint32_t a, int target) {
    return pack(coin(), target + 127 - biased_exp(a) + spread(1), fraction());
  }

  Operands add_operands() {
    const uint32_t a = any();
    switch (below(4)) {
      case 0: return {a, any(), 0};
      case 1: return {a, pack(coin(), biased_exp(a) + spread(2), fraction()), 0};  // cancellation
      case 2: return {a, pack(coin(), biased_exp(a) + spread(30), fraction()), 0};
      default: {  // near-total cancellation: -a give or take a few ulps
        const auto delta = static_cast<int32_t>(low_bits(below(9))) * (coin() ? 1 : -1);
        return {a, (a ^ 0x80000000u) + static_cast<uint32_t>(delta), 0};
      }
    }
  }

  Operands mul_operands() {
    // Products near the overflow (254) and underflow (1) thresholds.
    static constexpr int kTargets[] = {-1, 0, 1, 2, 127, 253, 254, 255};
    const uint32_t a = any();
    if (below(4) == 0) return {a, any(), 0};
    return {a, factor_for(a, kTargets[below(std::size(kTargets))]), 0};
  }

  // fma operands; with bf16_inputs, a and b are BF16 (returned in the low half).
  Operands fma_operands(bool bf16_inputs) {
    const uint32_t mode = below(6);
    const int target = mode == 5 ? static_cast<int>(below(30)) - 27  // tiny products, near-tiny c
                                 : below(2) == 0 ? static_cast<int>(below(254)) + 1
                                                 : std::array{-1, 0, 1, 2, 253, 254, 255}[below(7)];
    uint32_t a = any();
    uint32_t b = below(8) == 0 ? any() : factor_for(a, target);
    if (bf16_inputs) {
      a &= 0xFFFF0000u;
      b &= 0xFFFF0000u;
    }
    const bool prod_neg = ((a ^ b) >> 31) != 0;
    const int prod_exp = biased_exp(a) + biased_exp(b) - 127;
    uint32_t c = 0;
    switch (mode) {
      case 0: c = any(); break;
      case 1: c = pack(!prod_neg, prod_exp + spread(2), fraction()); break;  // cancellation
      case 2: {  // deep cancellation: c = -round(a*b) give or take a few ulps
        const auto delta = static_cast<int32_t>(low_bits(below(9))) * (coin() ? 1 : -1);
        c = (npu::ref::fp32_mul(a, b) ^ 0x80000000u) + static_cast<uint32_t>(delta);
        break;
      }
      case 3: c = pack(coin(), prod_exp + spread(30), fraction()); break;
      case 4: c = pack(!prod_neg, prod_exp + spread(2), fraction()); break;
      default: c = pack(coin(), 1 + static_cast<int>(below(3)), fraction()); break;  // FTZ after rounding
    }
    if (bf16_inputs) return {a >> 16, b >> 16, c};
    return {a, b, c};
  }

 private:
  static int biased_exp(uint32_t f) { return static_cast<int>((f >> 23) & 0xFF); }

  std::mt19937_64 rng_;
};

struct Op {
  const char* name;
  uint32_t (*model)(const Operands&);
  uint32_t (*cpu)(const Operands&);
  Operands (*generate)(OperandGen&);
};

const Op kAdd{"fp32_add", [](const Operands& o) { return npu::ref::fp32_add(o[0], o[1]); },
              [](const Operands& o) { return cpu_add(o[0], o[1]); },
              [](OperandGen& g) { return g.add_operands(); }};
const Op kMul{"fp32_mul", [](const Operands& o) { return npu::ref::fp32_mul(o[0], o[1]); },
              [](const Operands& o) { return cpu_mul(o[0], o[1]); },
              [](OperandGen& g) { return g.mul_operands(); }};
const Op kFma{"fp32_fma", [](const Operands& o) { return npu::ref::fp32_fma(o[0], o[1], o[2]); },
              [](const Operands& o) { return cpu_fma(o[0], o[1], o[2]); },
              [](OperandGen& g) { return g.fma_operands(false); }};
const Op kMac{"bf16_mac",
              [](const Operands& o) {
                return npu::ref::bf16_mac(static_cast<uint16_t>(o[0]), static_cast<uint16_t>(o[1]), o[2]);
              },
              [](const Operands& o) { return cpu_bf16_mac(o[0], o[1], o[2]); },
              [](OperandGen& g) { return g.fma_operands(true); }};

std::string describe(const Op& op, const Operands& o, uint32_t got, uint32_t want) {
  return fmt::format("{}({:#x}, {:#x}, {:#x}) = {:#010x}, CPU says {:#010x}", op.name, o[0], o[1], o[2], got,
                     want);
}

void compare_random(const Op& op, uint64_t count) {
  const uint64_t seed = npu::test::test_seed(op.name);
  INFO(op.name << " seed " << seed << " (replay with NPU_SEED=" << seed << ")");
  OperandGen gen(seed);
  npu::test::Mismatches bad;
  {
    const npu::test::FtzDazGuard ftz_daz;
    for (uint64_t i = 0; i < count; ++i) {
      const Operands o = op.generate(gen);
      const uint32_t want = op.cpu(o);
      const uint32_t got = op.model(o);
      if (got != want) bad.add(describe(op, o, got, want));
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);
}

// Hand-picked operands: zeros, subnormals, threshold values, ties, Inf, NaNs.
constexpr uint32_t kEdgeOperands[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x80800000, 0x00800001, 0x00FFFFFF,
    0x01000000, 0x0C800000, 0x0D800000, 0xA6000000, 0x33800000, 0x34000000, 0x3F000000, 0x3F800000,
    0xBF800000, 0x3F800001, 0x3FFFFFFF, 0x40000000, 0xC0400000, 0x4B800000, 0x5F800000, 0x1F800000,
    0x20000000, 0x7F000000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFFFE, 0x7F800000, 0xFF800000, 0x7FC00000,
    0xFFC00001, 0x7F800001, 0x7FBFFFFF};

}  // namespace

TEST_CASE("fp32 arithmetic on all combinations of edge operands", "[fp][arith]") {
  npu::test::Mismatches bad;
  {
    const npu::test::FtzDazGuard ftz_daz;
    for (uint32_t a : kEdgeOperands) {
      for (uint32_t b : kEdgeOperands) {
        for (const Op* op : {&kAdd, &kMul}) {
          const Operands o{a, b, 0};
          if (op->model(o) != op->cpu(o)) bad.add(describe(*op, o, op->model(o), op->cpu(o)));
        }
        for (uint32_t c : kEdgeOperands) {
          const Operands f{a, b, c};
          if (kFma.model(f) != kFma.cpu(f)) bad.add(describe(kFma, f, kFma.model(f), kFma.cpu(f)));
          const Operands m{a >> 16, b >> 16, c};
          if (kMac.model(m) != kMac.cpu(m)) bad.add(describe(kMac, m, kMac.model(m), kMac.cpu(m)));
        }
      }
    }
  }
  INFO(bad.report());
  CHECK(bad.count() == 0);
}

TEST_CASE("fp32 arithmetic: results spelled out by the contract", "[fp][arith]") {
  using namespace npu::ref;
  // Signs of zero.
  CHECK(fp32_add(0x3F800000, 0xBF800000) == 0x00000000);  // x + (-x) = +0
  CHECK(fp32_add(0x80000000, 0x80000000) == 0x80000000);
  CHECK(fp32_add(0x00000000, 0x80000000) == 0x00000000);
  CHECK(fp32_add(0x807FFFFF, 0x80000000) == 0x80000000);  // DAZ: -0 + -0
  CHECK(fp32_add(0x00000001, 0x80000000) == 0x00000000);  // DAZ: +0 + -0
  CHECK(fp32_fma(0x80000000, 0x3F800000, 0x80000000) == 0x80000000);
  CHECK(fp32_fma(0x80000000, 0x3F800000, 0x00000000) == 0x00000000);
  CHECK(fp32_fma(0x3F800000, 0x3F800000, 0xBF800000) == 0x00000000);
  // Ties to even.
  CHECK(fp32_add(0x3F800000, 0x33800000) == 0x3F800000);  // 1 + 2^-24
  CHECK(fp32_add(0x3F800001, 0x33800000) == 0x3F800002);
  CHECK(fp32_mul(0x3F800001, 0x3F800001) == 0x3F800002);
  // Overflow and flush-to-zero (tininess after rounding, sign of exact result).
  CHECK(fp32_add(0x7F7FFFFF, 0x7F7FFFFF) == 0x7F800000);
  CHECK(fp32_mul(0x7F000000, 0x40000000) == 0x7F800000);
  CHECK(fp32_add(0x00800001, 0x80800000) == 0x00000000);  // +2^-149 flushes to +0
  CHECK(fp32_add(0x80800001, 0x00800000) == 0x80000000);  // -2^-149 flushes to -0
  CHECK(fp32_mul(0x20000000, 0x20000000) == 0x00800000);  // 2^-126 exactly
  CHECK(fp32_mul(0x1F800000, 0x20000000) == 0x00000000);  // 2^-127
  CHECK(fp32_mul(0x9F800000, 0x20000000) == 0x80000000);
  CHECK(fp32_fma(0x0D800000, 0xA6000000, 0x00800000) == 0x00800000);  // 2^-126 - 2^-151 rounds up
  CHECK(fp32_fma(0x0D800000, 0x26000000, 0x80800000) == 0x80800000);
  CHECK(fp32_fma(0x0D800000, 0xA6800000, 0x00800000) == 0x00000000);  // 2^-126 - 2^-150 is tiny
  // The product inside fma is never rounded or overflowed on its own.
  CHECK(fp32_fma(0x7F7FFFFF, 0x40000000, 0xFF7FFFFF) == 0x7F7FFFFF);
  // NaN cases all give the canonical NaN.
  CHECK(fp32_add(0x7F800000, 0xFF800000) == kFp32CanonicalNan);
  CHECK(fp32_add(0x7F800001, 0x3F800000) == kFp32CanonicalNan);
  CHECK(fp32_mul(0x7F800000, 0x00000001) == kFp32CanonicalNan);  // Inf * (DAZ) 0
  CHECK(fp32_fma(0x00000000, 0x7F800000, 0x3F800000) == kFp32CanonicalNan);
  CHECK(fp32_fma(0x7F800000, 0x3F800000, 0xFF800000) == kFp32CanonicalNan);
  CHECK(fp32_fma(0x3F800000, 0x3F800000, 0xFFC12345) == kFp32CanonicalNan);
  // bf16_mac.
  CHECK(bf16_mac(0x8000, 0x0000, 0x3F800000) == 0x3F800000);
  CHECK(bf16_mac(0x0001, 0x3F80, 0x12345678) == 0x12345678);  // BF16 subnormal is 0
  CHECK(bf16_mac(0x7FC1, 0x3F80, 0x00000000) == kFp32CanonicalNan);
  CHECK(bf16_mac(0x3F80, 0x3F80, 0x3F800000) == 0x40000000);
}

TEST_CASE("fp32_add random vs CPU", "[fp][arith]") { compare_random(kAdd, npu::test::env_u64("NPU_FP_OPS", 10'000'000)); }
TEST_CASE("fp32_mul random vs CPU", "[fp][arith]") { compare_random(kMul, npu::test::env_u64("NPU_FP_OPS", 10'000'000)); }
TEST_CASE("fp32_fma random vs CPU", "[fp][arith]") { compare_random(kFma, npu::test::env_u64("NPU_FP_OPS", 10'000'000)); }
TEST_CASE("bf16_mac random vs CPU", "[fp][arith]") { compare_random(kMac, npu::test::env_u64("NPU_FP_OPS", 10'000'000)); }

// 10^9 operations in all, split over the four operations.
TEST_CASE("fp32 arithmetic 10^9 random vs CPU", "[fp][arith][nightly][.]") {
  const uint64_t per_op = npu::test::env_u64("NPU_NIGHTLY_OPS", 250'000'000);
  for (const Op* op : {&kAdd, &kMul, &kFma, &kMac}) compare_random(*op, per_op);
}

// The padding identity the array relies on: -0 * +0 contributes nothing.
TEST_CASE("bf16_mac(-0, +0, acc) == acc bit-exactly", "[fp][arith][padding]") {
  npu::test::Mismatches bad;
  auto check = [&](uint32_t acc) {
    const uint32_t got = npu::ref::bf16_mac(0x8000, 0x0000, acc);
    // DAZ and NaN canonicalisation apply to acc as to any input.
    const bool nan = ((acc >> 23) & 0xFF) == 0xFF && (acc & 0x7FFFFF) != 0;
    const bool sub = ((acc >> 23) & 0xFF) == 0;
    const uint32_t want = nan ? 0x7FC00000u : sub ? (acc & 0x80000000u) : acc;
    if (got != want) bad.add(fmt::format("bf16_mac(0x8000, 0, {:#010x}) = {:#010x}", acc, got));
  };
  for (uint32_t acc : kEdgeOperands) check(acc);
  for (uint32_t hi = 0; hi <= 0xFFFF; ++hi) {  // every sign/exponent/top fraction, several low halves
    for (uint32_t lo : {0x0000u, 0x0001u, 0x8000u, 0xFFFFu}) check((hi << 16) | lo);
  }
  const uint64_t seed = npu::test::test_seed("padding identity");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1'000'000; ++i) check(static_cast<uint32_t>(rng()));
  INFO(bad.report());
  CHECK(bad.count() == 0);
}
