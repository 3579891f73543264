// Bit-exact FP32 / BF16 arithmetic with integer operations only: no host FPU,
// so the result does not depend on the host's rounding mode or flags.
//
// Every operation computes its exact real result, described as an `Exact`
// value, and hands it to round_to_fp32(), the single rounding rule of the
// numerics contract: round to a 24-bit significand (nearest, ties to even)
// with unbounded exponent, then overflow to +-Inf or flush to +-0.
#include "npu/ref/fp.hpp"

#include <stdexcept>

#include "npu/ref/bf16.hpp"

namespace npu::ref {
namespace {

using u128 = unsigned __int128;

constexpr int kSigBits = 24;      // FP32 significand width including the hidden bit
constexpr int kExpBias = 127;
constexpr int kMinExp = -126;     // exponent of the smallest normal, 2^-126
constexpr int kMaxExp = 127;      // exponent of the largest binade
constexpr uint32_t kSignBit = 0x80000000u;
constexpr uint32_t kFp32Inf = 0x7F800000u;

uint32_t signed_zero(bool neg) { return neg ? kSignBit : 0u; }
uint32_t signed_inf(bool neg) { return signed_zero(neg) | kFp32Inf; }

int bit_width(u128 v) {
  const auto hi = static_cast<uint64_t>(v >> 64);
  const auto lo = static_cast<uint64_t>(v);
  if (hi != 0) return 128 - __builtin_clzll(hi);
  if (lo != 0) return 64 - __builtin_clzll(lo);
  return 0;
}

// A nonzero exact magnitude (sig + frac) * 2^exp with frac == 0 when !sticky
// and 0 < frac < 1 when sticky ("something nonzero below sig's last bit").
struct Exact {
  bool neg;
  u128 sig;
  int exp;
  bool sticky;
};

// The one rounding rule shared by add, mul, fma and bf16_mac.
uint32_t round_to_fp32(const Exact& x) {
  const int width = bit_width(x.sig);
  if (width == 0) throw std::logic_error("round_to_fp32: exact zero must be handled by the caller");
  // The round bit must lie inside sig, or sticky alone cannot decide a tie.
  if (x.sticky && width <= kSigBits) throw std::logic_error("round_to_fp32: sticky without round bit");

  uint64_t kept;  // result = kept * 2^exp with kept in [2^23, 2^24]
  int exp;
  if (width <= kSigBits) {
    kept = static_cast<uint64_t>(x.sig) << (kSigBits - width);
    exp = x.exp - (kSigBits - width);
  } else {
    const int drop = width - kSigBits;
    kept = static_cast<uint64_t>(x.sig >> drop);
    const u128 rest = x.sig & ((u128{1} << drop) - 1);
    const u128 half = u128{1} << (drop - 1);
    const bool above_half = rest > half || (rest == half && x.sticky);
    const bool tie = rest == half && !x.sticky;
    if (above_half || (tie && (kept & 1u) != 0)) ++kept;
    exp = x.exp + drop;
    if (kept == (uint64_t{1} << kSigBits)) {  // rounding carried into a new binade
      kept >>= 1;
      ++exp;
    }
  }

  const int leading_exp = exp + (kSigBits - 1);  // exponent of the leading bit
  if (leading_exp > kMaxExp) return signed_inf(x.neg);
  if (leading_exp < kMinExp) return signed_zero(x.neg);  // FTZ, decided after rounding
  const auto biased = static_cast<uint32_t>(leading_exp + kExpBias);
  return signed_zero(x.neg) | (biased << 23) | (static_cast<uint32_t>(kept) & 0x7FFFFFu);
}

// A decoded FP32 operand; DAZ happens here.
struct Operand {
  enum class Kind { kZero, kFinite, kInf, kNan };
  Kind kind;
  bool neg;
  uint64_t sig;  // kFinite only: value = sig * 2^exp, sig in [2^23, 2^24)
  int exp;
};

Operand decode(uint32_t f) {
  const bool neg = fp32_sign(f);
  if (fp32_is_nan(f)) return {Operand::Kind::kNan, neg, 0, 0};
  if (fp32_is_inf(f)) return {Operand::Kind::kInf, neg, 0, 0};
  if (fp32_is_zero(f)) return {Operand::Kind::kZero, neg, 0, 0};  // DAZ
  const uint64_t sig = fp32_fraction(f) | (uint32_t{1} << 23);
  const int exp = static_cast<int>(fp32_exponent(f)) - kExpBias - (kSigBits - 1);
  return {Operand::Kind::kFinite, neg, sig, exp};
}

// An exact nonzero term sig * 2^exp (sig < 2^63), e.g. an operand or a product.
struct Term {
  bool neg;
  uint64_t sig;
  int exp;
};

uint32_t round_term(const Term& t) { return round_to_fp32({t.neg, t.sig, t.exp, false}); }

// x + y for nonzero exact terms, rounded once. The larger magnitude is placed
// in a 128-bit window with 64 guard bits; only bits of the smaller term that
// fall off the window's end are summarised in the sticky flag.
uint32_t round_sum(Term x, Term y) {
  constexpr int kTop = 62;  // both significands are normalised to [2^62, 2^63)
  constexpr int kGuard = 64;
  for (Term* t : {&x, &y}) {
    const int shift = kTop + 1 - bit_width(t->sig);
    t->sig <<= shift;
    t->exp -= shift;
  }
  const bool x_larger = x.exp > y.exp || (x.exp == y.exp && x.sig >= y.sig);
  const Term& hi = x_larger ? x : y;
  const Term& lo = x_larger ? y : x;
  const int distance = hi.exp - lo.exp;

  const u128 hi_w = u128{hi.sig} << kGuard;
  const u128 lo_full = u128{lo.sig} << kGuard;
  u128 lo_w = 0;
  bool sticky = true;  // lo is nonzero, so if it is shifted out entirely it is all sticky
  if (distance < 128) {
    lo_w = lo_full >> distance;
    sticky = distance > 0 && (lo_full & ((u128{1} << distance) - 1)) != 0;
  }

  const int exp = hi.exp - kGuard;
  if (hi.neg == lo.neg) return round_to_fp32({hi.neg, hi_w + lo_w, exp, sticky});
  // hi - (lo_w + frac) = (hi - lo_w - 1) + (1 - frac) with 0 < 1 - frac < 1.
  const u128 diff = hi_w - lo_w - (sticky ? 1 : 0);
  if (diff == 0 && !sticky) return 0u;  // exact cancellation x + (-x) is +0
  return round_to_fp32({hi.neg, diff, exp, sticky});
}

Term as_term(const Operand& op) { return {op.neg, op.sig, op.exp}; }

bool is(const Operand& op, Operand::Kind kind) { return op.kind == kind; }

}  // namespace

uint32_t fp32_round(bool neg, unsigned __int128 sig, int lsb_exp) {
  return round_to_fp32({neg, sig, lsb_exp, false});
}

uint32_t bf16_to_fp32(uint16_t b) {
  if (bf16_is_nan(b)) return kFp32CanonicalNan;
  if (bf16_is_zero(b)) return signed_zero(bf16_sign(b));  // DAZ
  return static_cast<uint32_t>(b) << 16;
}

uint16_t fp32_to_bf16(uint32_t f) {
  if (fp32_is_nan(f)) return kBf16CanonicalNan;
  if (fp32_is_zero(f)) return static_cast<uint16_t>(signed_zero(fp32_sign(f)) >> 16);  // DAZ
  uint32_t upper = f >> 16;
  const uint32_t lower = f & 0xFFFFu;
  // Nearest, ties to even. A carry out of the fraction bumps the exponent,
  // which is exactly right, including max-finite rounding up to Inf.
  if (lower > 0x8000u || (lower == 0x8000u && (upper & 1u) != 0)) ++upper;
  return static_cast<uint16_t>(upper);
}

uint32_t fp32_add(uint32_t a, uint32_t b) {
  using K = Operand::Kind;
  const Operand x = decode(a);
  const Operand y = decode(b);
  if (is(x, K::kNan) || is(y, K::kNan)) return kFp32CanonicalNan;
  if (is(x, K::kInf) && is(y, K::kInf)) return x.neg == y.neg ? signed_inf(x.neg) : kFp32CanonicalNan;
  if (is(x, K::kInf)) return signed_inf(x.neg);
  if (is(y, K::kInf)) return signed_inf(y.neg);
  if (is(x, K::kZero) && is(y, K::kZero)) return signed_zero(x.neg && y.neg);
  if (is(x, K::kZero)) return round_term(as_term(y));
  if (is(y, K::kZero)) return round_term(as_term(x));
  return round_sum(as_term(x), as_term(y));
}

uint32_t fp32_mul(uint32_t a, uint32_t b) {
  using K = Operand::Kind;
  const Operand x = decode(a);
  const Operand y = decode(b);
  const bool neg = x.neg != y.neg;
  if (is(x, K::kNan) || is(y, K::kNan)) return kFp32CanonicalNan;
  if (is(x, K::kInf) || is(y, K::kInf)) {
    return is(x, K::kZero) || is(y, K::kZero) ? kFp32CanonicalNan : signed_inf(neg);
  }
  if (is(x, K::kZero) || is(y, K::kZero)) return signed_zero(neg);
  return round_term({neg, x.sig * y.sig, x.exp + y.exp});  // 48-bit exact product
}

uint32_t fp32_fma(uint32_t a, uint32_t b, uint32_t c) {
  using K = Operand::Kind;
  const Operand x = decode(a);
  const Operand y = decode(b);
  const Operand z = decode(c);
  const bool prod_neg = x.neg != y.neg;
  if (is(x, K::kNan) || is(y, K::kNan) || is(z, K::kNan)) return kFp32CanonicalNan;
  if (is(x, K::kInf) || is(y, K::kInf)) {
    if (is(x, K::kZero) || is(y, K::kZero)) return kFp32CanonicalNan;  // 0 * Inf
    if (is(z, K::kInf) && z.neg != prod_neg) return kFp32CanonicalNan;  // Inf - Inf
    return signed_inf(prod_neg);
  }
  if (is(z, K::kInf)) return signed_inf(z.neg);

  const bool prod_zero = is(x, K::kZero) || is(y, K::kZero);
  if (prod_zero && is(z, K::kZero)) return signed_zero(prod_neg && z.neg);
  if (prod_zero) return round_term(as_term(z));
  const Term product{prod_neg, x.sig * y.sig, x.exp + y.exp};  // exact, never rounded
  if (is(z, K::kZero)) return round_term(product);
  return round_sum(product, as_term(z));
}

uint32_t bf16_mac(uint16_t a, uint16_t b, uint32_t acc) {
  // A BF16 widens exactly to FP32, so this is one fused rounding of acc + a*b.
  return fp32_fma(bf16_to_fp32(a), bf16_to_fp32(b), acc);
}

}  // namespace npu::ref
