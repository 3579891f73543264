// Building blocks of the vector engine (docs/numerics.md, "Vector engine"):
// the table functions and what is built from them (exp2, reciprocal,
// reciprocal square root, x * sigmoid), the row sum sum16, and the
// fixed-point forms of the integer path.
#include <cstdint>
#include <stdexcept>

#include "npu/ref/bf16.hpp"
#include "npu/ref/fp.hpp"
#include "npu/ref/vec_tables.hpp"
#include "npu/ref/vec_util.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref {
namespace {

using u128 = unsigned __int128;
constexpr uint32_t kFrac = 0x7FFFFFu;

template <std::size_t N>
uint32_t table_eval(const std::array<tables::Coef, N>& c, int index_bits, int out_scale, int64_t lo,
                    int64_t hi, uint32_t frac) {
  const int db = 23 - index_bits;
  const int p = tables::kInternalBits - out_scale;
  const uint32_t f = frac & kFrac;
  const tables::Coef& k = c[f >> db];
  const int64_t d = f & ((uint32_t{1} << db) - 1);
  const int64_t y = k.c0 + (((k.c1 + ((k.c2 * d) >> db)) * d) >> db);  // arithmetic shifts
  int64_t out = (y + (int64_t{1} << (p - 1))) >> p;
  if (out < lo) out = lo;
  if (out > hi) out = hi;
  return static_cast<uint32_t>(out);
}

// floor(v * 2^23) for an FP32 v with |v| < 2^8 (DAZ: zero).
int64_t fixed23(uint32_t v) {
  if (fp32_is_zero(v)) return 0;
  const int e = static_cast<int>(fp32_exponent(v)) - 127;
  const int64_t m = (fp32_fraction(v) | 0x800000u);
  int64_t mag;
  bool inexact = false;
  if (e >= 0) {
    mag = m << e;
  } else {
    const int s = -e;
    mag = s >= 63 ? 0 : (m >> s);
    inexact = s >= 63 ? true : (m & ((int64_t{1} << s) - 1)) != 0;
  }
  if (!fp32_sign(v)) return mag;
  return -mag - (inexact ? 1 : 0);
}

// A positive value man * 2^(exp - 23), man in [2^23, 2^24): the extended-range
// intermediates of times_sigmoid2 (no overflow or flush).
struct Ext {
  uint32_t man;
  int exp;
};

// RNE of sig * 2^lsb to 24 bits, unbounded exponent.
Ext round_ext(u128 sig, int lsb) {
  int width = 0;
  for (u128 t = sig; t != 0; t >>= 1) ++width;
  if (width <= 24) return {static_cast<uint32_t>(sig << (24 - width)), lsb + width - 1};
  const int drop = width - 24;
  u128 kept = sig >> drop;
  const u128 rest = sig & ((u128{1} << drop) - 1), half = u128{1} << (drop - 1);
  if (rest > half || (rest == half && (kept & 1) != 0)) ++kept;
  int exp = lsb + drop + 23;
  if (kept == (u128{1} << 24)) {
    kept >>= 1;
    ++exp;
  }
  return {static_cast<uint32_t>(kept), exp};
}

}  // namespace

uint32_t table_exp2(uint32_t frac23) {
  return table_eval(tables::kExp2, tables::kExp2IndexBits, tables::kExp2OutScale, tables::kExp2OutLo,
                    tables::kExp2OutHi, frac23);
}
uint32_t table_rcp(uint32_t frac23) {
  return table_eval(tables::kRcp, tables::kRcpIndexBits, tables::kRcpOutScale, tables::kRcpOutLo,
                    tables::kRcpOutHi, frac23);
}
uint32_t table_rsqrt(uint32_t frac23, bool odd_exponent) {
  return odd_exponent ? table_eval(tables::kRsqo, tables::kRsqoIndexBits, tables::kRsqoOutScale,
                                   tables::kRsqoOutLo, tables::kRsqoOutHi, frac23)
                      : table_eval(tables::kRsqe, tables::kRsqeIndexBits, tables::kRsqeOutScale,
                                   tables::kRsqeOutLo, tables::kRsqeOutHi, frac23);
}

uint32_t exp2_fp32(uint32_t t) {
  if (fp32_is_nan(t)) return kFp32CanonicalNan;
  if (!fp32_less(t, 0x43000000u)) return 0x7F800000u;  // t >= 128
  if (fp32_less(t, 0xC3400000u)) return 0u;            // t < -192, -Inf
  const int64_t T = fixed23(t);
  const int64_t k = T >> 23;  // floor
  const uint32_t y = table_exp2(static_cast<uint32_t>(T & kFrac));
  const int64_t biased = k + 127;
  if (biased <= 0) return 0u;
  if (biased >= 255) return 0x7F800000u;
  return static_cast<uint32_t>(biased) << 23 | (y & kFrac);
}

namespace {
// (sign, exponent) of 2^e * (table output y / 2^24), y in (2^23, 2^24].
uint32_t pack24(bool neg, uint32_t y, int e) {
  // y == 2^24 is exactly 2^e; otherwise y has its leading bit at 2^23.
  int biased = e + 127 - (y == (1u << 24) ? 0 : 1);
  if (biased <= 0) return neg ? kVecSignBit : 0u;
  if (biased >= 255) return (neg ? kVecSignBit : 0u) | 0x7F800000u;
  const uint32_t frac = y == (1u << 24) ? 0u : (y & kFrac);
  return (neg ? kVecSignBit : 0u) | static_cast<uint32_t>(biased) << 23 | frac;
}
}  // namespace

uint32_t rcp_fp32(uint32_t v) {
  if (fp32_is_nan(v)) return kFp32CanonicalNan;
  if (fp32_is_zero(v)) return (v & kVecSignBit) | 0x7F800000u;
  if (fp32_is_inf(v)) return v & kVecSignBit;
  const int e = static_cast<int>(fp32_exponent(v)) - 127;
  return pack24(fp32_sign(v), table_rcp(fp32_fraction(v)), -e);
}

uint32_t rsqrt_fp32(uint32_t v) {
  if (fp32_is_nan(v)) return kFp32CanonicalNan;
  if (fp32_is_zero(v)) return 0x7F800000u;
  if (fp32_sign(v)) return kFp32CanonicalNan;
  if (fp32_is_inf(v)) return 0u;
  const int e = static_cast<int>(fp32_exponent(v)) - 127;
  const bool odd = (e & 1) != 0;
  const int half = (e - (odd ? 1 : 0)) / 2;  // exact: e - odd is even
  return pack24(false, table_rsqrt(fp32_fraction(v), odd), -half);
}

uint32_t i32_to_fp32(int32_t x) {
  if (x == 0) return 0u;
  const bool neg = x < 0;
  const uint64_t mag = neg ? uint64_t(0) - static_cast<uint64_t>(static_cast<int64_t>(x)) : static_cast<uint64_t>(x);
  return fp32_round(neg, mag, 0);
}

uint32_t times_sigmoid2(uint32_t x, uint32_t t) {
  if (fp32_is_nan(x) || fp32_is_nan(t)) return kFp32CanonicalNan;
  const uint32_t u = fp32_neg(t);                    // E = 2^u = 2^-t
  if (!fp32_less(u, 0x43800000u)) return x & kVecSignBit;  // u >= 256: x * sigmoid -> signed zero
  Ext r;
  if (fp32_less(u, 0xC2800000u)) {  // u < -64: 1 + E rounds to 1, R = 1
    r = {1u << 23, 0};
  } else {
    const int64_t T = fixed23(u);
    const int k = static_cast<int>(T >> 23);
    const uint32_t y = table_exp2(static_cast<uint32_t>(T & kFrac));  // E = y * 2^(k-23)
    Ext d;
    if (k > 40) {
      d = {y, k};  // 1 < half an ulp of E: 1 + E rounds to E
    } else {
      const int lo = k < 0 ? k : 0;                   // LSB exponent lo - 23
      const u128 sig = (u128{1} << (23 - lo)) + (u128{y} << (k - lo));
      d = round_ext(sig, lo - 23);
    }
    const uint32_t yr = table_rcp(d.man & kFrac);     // 1/D = yr * 2^(-24 - d.exp)
    r = yr == (1u << 24) ? Ext{1u << 23, -d.exp} : Ext{yr, -d.exp - 1};
  }
  if (fp32_is_inf(x)) return x;                      // R is finite and positive
  if (fp32_is_zero(x)) return x & kVecSignBit;
  const u128 xm = fp32_fraction(x) | 0x800000u;
  const int xe = static_cast<int>(fp32_exponent(x)) - 127;
  return fp32_round(fp32_sign(x), xm * r.man, xe - 23 + r.exp - 23);
}

uint32_t sum16(const std::vector<uint32_t>& v, const std::vector<bool>* kept) {
  std::array<uint32_t, 16> p{};
  for (std::size_t j = 0; j < v.size(); ++j)
    if (!kept || (*kept)[j]) p[j % 16] = fp32_add(p[j % 16], v[j]);
  for (std::size_t w = 1; w < 16; w *= 2)  // ((P0+P1)+(P2+P3))+... : pairs, then pairs of pairs
    for (std::size_t c = 0; c < 16; c += 2 * w) p[c] = fp32_add(p[c], p[c + w]);
  return p[0];
}

namespace {
int bit_length(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }
uint32_t frac23_of(uint64_t v, int b) {
  return static_cast<uint32_t>(b >= 23 ? (v >> (b - 23)) : (v << (23 - b))) & kFrac;
}
}  // namespace

FixedRecip fixed_rcp(uint64_t v) {
  if (v == 0) throw std::invalid_argument("fixed_rcp: v must be >= 1");
  const int b = bit_length(v) - 1;
  return {table_rcp(frac23_of(v, b)), b};
}

FixedRecip fixed_rsqrt(uint64_t v) {
  if (v == 0) throw std::invalid_argument("fixed_rsqrt: v must be >= 1");
  const int b = bit_length(v) - 1;
  const bool odd = (b & 1) != 0;
  return {table_rsqrt(frac23_of(v, b), odd), (b - (odd ? 1 : 0)) / 2};
}

int64_t floor_div(int64_t a, int64_t b) {
  if (b <= 0) throw std::invalid_argument("floor_div: divisor must be positive");
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

}  // namespace npu::ref
