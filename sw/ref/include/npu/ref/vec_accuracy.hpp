// Accuracy of the vector engine model against float64/long-double math.
// This is the ORACLE shared by tests/ref/test_vec_accuracy.cpp and
// sw/tools/accuracy.cpp (so the asserted bounds and the published table are
// the same numbers). It uses libm and is not part of the bit-exact model.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "npu/ref/fp.hpp"
#include "npu/ref/requant.hpp"
#include "npu/ref/vector.hpp"

namespace npu::ref::accuracy {

using real = long double;

inline real fp32_value(uint32_t f) {
  if (((f >> 23) & 0xFFu) == 0) return (f >> 31) ? -0.0L : 0.0L;  // DAZ
  float v;
  std::memcpy(&v, &f, sizeof v);
  return v;
}
inline real bf16_value(uint16_t b) { return fp32_value(uint32_t{b} << 16); }
inline uint32_t fp32_bits(float v) {
  uint32_t f;
  std::memcpy(&f, &v, sizeof f);
  return f;
}

// Correctly rounded (RNE) BF16 of y with the contract's FTZ/overflow rule.
inline uint16_t to_bf16(real y) {
  if (std::isnan(y)) return kBf16CanonicalNan;
  const uint16_t sign = std::signbit(y) ? 0x8000 : 0;
  const real a = std::fabs(y);
  if (a == 0) return sign;
  if (std::isinf(a)) return sign | 0x7F80;
  int e = 0;
  const real m = std::frexp(a, &e);             // a = m * 2^e, m in [0.5, 1)
  real q = std::nearbyint(std::ldexp(m, 8));    // 8 significant bits, ties to even
  if (q == 256) {
    q = 128;
    ++e;
  }
  const int ex = e - 1;  // result in [2^ex, 2^(ex+1))
  if (ex < -126) return sign;
  if (ex > 127) return sign | 0x7F80;
  return static_cast<uint16_t>(sign | ((ex + 127) << 7) | (static_cast<int>(q) - 128));
}

// Position of a BF16 value on the line of representable values (subnormals,
// which the contract never produces, are skipped; +0 == -0).
inline int64_t bf16_ordinal(uint16_t b) {
  const int64_t mag = ((b >> 7) & 0xFF) == 0 ? 0 : int64_t{b & 0x7FFF} - 0x7F;
  return (b & 0x8000) ? -mag : mag;
}
inline bool bf16_nan(uint16_t b) { return ((b >> 7) & 0xFF) == 0xFF && (b & 0x7F) != 0; }
// Distance in BF16 ulps; a NaN against a non-NaN counts as 1e9.
inline double bf16_ulp_diff(uint16_t got, uint16_t want) {
  if (bf16_nan(got) || bf16_nan(want)) return bf16_nan(got) == bf16_nan(want) ? 0.0 : 1e9;
  return static_cast<double>(std::llabs(bf16_ordinal(got) - bf16_ordinal(want)));
}

// TFLite QuantizeMultiplier: real = M * 2^(s - 31), M in [2^30, 2^31).
inline RequantParams quantize_multiplier(double real_multiplier, int32_t zero_point) {
  int e = 0;
  const double m = std::frexp(real_multiplier, &e);
  auto q = static_cast<int64_t>(std::llround(m * 2147483648.0));
  if (q == (int64_t{1} << 31)) {
    q /= 2;
    ++e;
  }
  return {static_cast<int32_t>(q), e, zero_point};
}

struct Stats {
  double max = 0;
  double sum = 0;
  uint64_t count = 0;
  std::string worst;  // description of the worst element
  void add(double err, const std::function<std::string()>& describe) {
    if (err > max || count == 0) {
      if (err > max) worst = describe();
      max = std::max(max, err);
    }
    sum += err;
    ++count;
  }
  double mean() const { return count == 0 ? 0.0 : sum / static_cast<double>(count); }
};

// ---- float64 references ----------------------------------------------------
// x * scale as the FP32 product does it: exact here, but +-Inf past FP32 range.
inline real scaled_logit(uint16_t x, uint32_t scale) {
  const real s = bf16_value(x) * fp32_value(scale);
  constexpr real kOverflow = 0x1.ffffff0p127L;  // rounds to 2^128 in FP32
  return std::fabs(s) >= kOverflow ? std::copysign(static_cast<real>(INFINITY), s) : s;
}

inline std::vector<real> softmax_exact(const std::vector<uint16_t>& x, uint32_t scale,
                                       const std::optional<CausalMask>& mask) {
  const std::size_t n = x.size();
  auto kept = [&](std::size_t j) { return !mask || static_cast<int64_t>(j) <= mask->row + mask->offset; };
  std::vector<real> y(n, 0);
  real max = -INFINITY;
  bool any = false, nan = false;
  for (std::size_t j = 0; j < n; ++j) {
    if (!kept(j)) continue;
    const real s = scaled_logit(x[j], scale);
    if (std::isnan(s)) nan = true;
    else max = any ? std::max(max, s) : s;
    any = true;
  }
  if (!any) return y;
  real sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (!kept(j)) continue;
    const real s = scaled_logit(x[j], scale);
    y[j] = nan ? NAN : std::exp(s - max);  // IEEE: Inf - Inf is NaN
    sum += y[j];
  }
  for (std::size_t j = 0; j < n; ++j) {
    if (kept(j)) y[j] /= sum;
  }
  return y;
}

inline std::vector<real> norm_exact(const std::vector<real>& x, const std::vector<real>& gamma,
                                    const std::vector<real>* beta, real eps, bool subtract_mean) {
  const auto n = static_cast<real>(x.size());
  real mean = 0;
  if (subtract_mean) {
    for (real v : x) mean += v;
    mean /= n;
  }
  real var = 0;
  for (real v : x) var += (v - mean) * (v - mean);
  const real inv = 1 / std::sqrt(var / n + eps);
  std::vector<real> y(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) y[j] = (x[j] - mean) * inv * gamma[j] + (beta ? (*beta)[j] : 0);
  return y;
}

inline real sigmoid_times(real x, real w) {
  if (std::isinf(x)) return x > 0 ? x : -0.0L;
  return x / (1 + std::exp(-w));
}
inline real gelu_tanh_exact(real x) {
  const real w = 2 * std::sqrt(2 / 3.14159265358979323846264338327950288L) * (x + 0.044715L * x * x * x);
  return sigmoid_times(x, w);  // 0.5 x (1 + tanh(w/2)) without cancellation
}
inline real gelu_erf_exact(real x) { return 0.5L * x * (1 + std::erf(x / std::sqrt(2.0L))); }
inline real silu_exact(real x) { return sigmoid_times(x, x); }

// ---- input generators ------------------------------------------------------
inline uint16_t random_bf16_normal(std::mt19937_64& rng, double mean, double sd) {
  return to_bf16(std::normal_distribution<double>(mean, sd)(rng));
}
inline std::size_t random_length(std::mt19937_64& rng) {
  // Half short rows, half up to the maximum.
  const std::size_t hi = std::uniform_int_distribution<int>(0, 1)(rng) ? 64 : kVecMaxLen;
  return std::uniform_int_distribution<std::size_t>(1, hi)(rng);
}

// One row of a row-wise test: input, scale, mask.
struct SoftmaxRow {
  std::string name;
  std::vector<uint16_t> x;
  uint32_t scale;
  std::optional<CausalMask> mask;
};

inline std::vector<SoftmaxRow> softmax_random_rows(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  const uint32_t scales[] = {0x3F800000u, 0x3E000000u, fp32_bits(static_cast<float>(1 / std::sqrt(128.0)))};
  const double sds[] = {0.5, 2, 8, 32};
  std::vector<SoftmaxRow> rows;
  for (int i = 0; i < count; ++i) {
    SoftmaxRow r;
    r.name = "random#" + std::to_string(i);
    const std::size_t n = random_length(rng);
    const double sd = sds[rng() % 4];
    for (std::size_t j = 0; j < n; ++j) r.x.push_back(random_bf16_normal(rng, 0, sd));
    r.scale = scales[rng() % 3];
    if (rng() % 2) {
      const auto row = static_cast<int64_t>(rng() % n);
      r.mask = CausalMask{row, rng() % 2 ? 0 : std::uniform_int_distribution<int64_t>(-row, int64_t(n))(rng)};
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

inline std::vector<SoftmaxRow> softmax_edge_rows(uint64_t seed) {
  std::mt19937_64 rng(seed);
  constexpr uint32_t one = 0x3F800000u;
  auto normal_row = [&](std::size_t n, double sd) {
    std::vector<uint16_t> x;
    for (std::size_t j = 0; j < n; ++j) x.push_back(random_bf16_normal(rng, 0, sd));
    return x;
  };
  std::vector<SoftmaxRow> rows;
  rows.push_back({"all equal", std::vector<uint16_t>(1000, 0x4040), one, std::nullopt});
  auto dom = normal_row(777, 1);
  dom[333] = 0x42C8;  // 100.0
  rows.push_back({"one dominant max", dom, one, std::nullopt});
  rows.push_back({"all -128", std::vector<uint16_t>(300, 0xC300), one, std::nullopt});
  std::vector<uint16_t> huge;
  for (int j = 0; j < 512; ++j) {
    const int e = std::uniform_int_distribution<int>(-40, 40)(rng);
    huge.push_back(to_bf16((rng() % 2 ? -1.0L : 1.0L) * std::ldexp(1.0L + (rng() % 128) / 128.0L, e)));
  }
  rows.push_back({"huge dynamic range", huge, one, std::nullopt});
  auto small_range = normal_row(512, 1e-3);
  rows.push_back({"tiny dynamic range", small_range, one, std::nullopt});
  rows.push_back({"all masked but one", normal_row(200, 3), one, CausalMask{0, 0}});
  rows.push_back({"all masked", normal_row(50, 3), one, CausalMask{-1, 0}});
  rows.push_back({"length 1", normal_row(1, 3), one, std::nullopt});
  rows.push_back({"max length", normal_row(kVecMaxLen, 4), 0x3E000000u, std::nullopt});
  rows.push_back({"max length causal", normal_row(kVecMaxLen, 4), 0x3E000000u, CausalMask{2047, 0}});
  auto with = [&](std::vector<uint16_t> x, std::size_t j, uint16_t v) {
    x[j] = v;
    return x;
  };
  rows.push_back({"NaN", with(normal_row(64, 2), 7, 0x7FC1), one, std::nullopt});
  rows.push_back({"NaN masked out", with(normal_row(64, 2), 40, 0xFFFF), one, CausalMask{20, 0}});
  rows.push_back({"+Inf", with(normal_row(64, 2), 9, 0x7F80), one, std::nullopt});
  rows.push_back({"some -Inf", with(with(normal_row(64, 2), 3, 0xFF80), 60, 0xFF80), one, std::nullopt});
  rows.push_back({"all -Inf", std::vector<uint16_t>(16, 0xFF80), one, std::nullopt});
  rows.push_back({"+-0 and subnormals", {0x0000, 0x8000, 0x0001, 0x8045, 0x3F80}, one, std::nullopt});
  rows.push_back({"scale overflow", with(normal_row(8, 2), 2, 0x7F00), 0x7F000000u, std::nullopt});
  return rows;
}

// ---- the published measurements ---------------------------------------------
struct Case {
  std::string function;
  std::string path;
  std::string inputs;
  std::string unit;
  double bound;  // asserted maximum error
  std::function<Stats(uint64_t seed, bool full)> run;
};

inline Stats softmax_rows_error(const std::vector<SoftmaxRow>& rows) {
  Stats st;
  for (const auto& r : rows) {
    const auto got = softmax_bf16(r.x, r.scale, r.mask);
    const auto want = softmax_exact(r.x, r.scale, r.mask);
    for (std::size_t j = 0; j < got.size(); ++j) {
      const uint16_t w = to_bf16(want[j]);
      st.add(bf16_ulp_diff(got[j], w), [&] {
        return r.name + " n=" + std::to_string(r.x.size()) + " j=" + std::to_string(j) + " got " +
               std::to_string(got[j]) + " want " + std::to_string(w);
      });
    }
  }
  return st;
}

struct NormRow {
  std::vector<uint16_t> x, gamma, beta;
};

inline std::vector<NormRow> norm_rows(uint64_t seed, int count, bool edge) {
  std::mt19937_64 rng(seed);
  std::vector<NormRow> rows;
  auto make = [&](std::vector<uint16_t> x) {
    NormRow r;
    r.x = std::move(x);
    for (std::size_t j = 0; j < r.x.size(); ++j) {
      r.gamma.push_back(random_bf16_normal(rng, 1, 0.25));
      r.beta.push_back(random_bf16_normal(rng, 0, 0.5));
    }
    rows.push_back(std::move(r));
  };
  if (edge) {
    make(std::vector<uint16_t>(100, 0x4120));  // all equal
    make({0x3F80});                             // length 1
    std::vector<uint16_t> x;
    for (std::size_t j = 0; j < kVecMaxLen; ++j) x.push_back(random_bf16_normal(rng, 5, 3));
    make(x);  // max length
    x.clear();
    for (int j = 0; j < 256; ++j) {
      const int e = std::uniform_int_distribution<int>(-20, 20)(rng);
      x.push_back(to_bf16((rng() % 2 ? -1.0L : 1.0L) * std::ldexp(1.0L + (rng() % 128) / 128.0L, e)));
    }
    make(x);  // huge dynamic range
    x.assign(64, 0x4480);
    x[5] = 0x4481;
    make(x);  // large offset, one ulp of spread
    return rows;
  }
  for (int i = 0; i < count; ++i) {
    const std::size_t n = random_length(rng);
    const double sd = std::pow(10.0, std::uniform_real_distribution<double>(-3, 3)(rng));
    const double mean = sd * std::uniform_real_distribution<double>(-3, 3)(rng);
    std::vector<uint16_t> x;
    for (std::size_t j = 0; j < n; ++j) x.push_back(random_bf16_normal(rng, mean, sd));
    make(x);
  }
  return rows;
}

// BF16 ulp of |v| (at least the smallest normal's ulp).
inline real bf16_ulp_of(real v) {
  int e = 0;
  std::frexp(std::max(std::fabs(v), std::ldexp(1.0L, -126)), &e);
  return std::ldexp(1.0L, e - 1 - 7);
}
// LayerNorm error in BF16 ulps of max(|y|, |beta|): the final z*gamma + beta
// may cancel, and then no FP32 pipeline can keep ulps of the tiny result.
// RMSNorm (no beta) is measured in plain BF16 ulps of the result.
inline Stats norm_error(const std::vector<NormRow>& rows, bool layer) {
  constexpr uint32_t eps = 0x3727C5ACu;  // 1e-5
  Stats st;
  for (const auto& r : rows) {
    const auto got = layer ? layernorm_bf16(r.x, r.gamma, r.beta, eps) : rmsnorm_bf16(r.x, r.gamma, eps);
    std::vector<real> x, g, b;
    for (std::size_t j = 0; j < r.x.size(); ++j) {
      x.push_back(bf16_value(r.x[j]));
      g.push_back(bf16_value(r.gamma[j]));
      b.push_back(bf16_value(r.beta[j]));
    }
    const auto want = norm_exact(x, g, layer ? &b : nullptr, fp32_value(eps), layer);
    for (std::size_t j = 0; j < got.size(); ++j) {
      const uint16_t w = to_bf16(want[j]);
      const double err = layer ? static_cast<double>(std::fabs(bf16_value(got[j]) - want[j]) /
                                                     bf16_ulp_of(std::max(std::fabs(want[j]), std::fabs(b[j]))))
                               : bf16_ulp_diff(got[j], w);
      st.add(err, [&] {
        return "n=" + std::to_string(r.x.size()) + " j=" + std::to_string(j) + " got " + std::to_string(got[j]) +
               " want " + std::to_string(w);
      });
    }
  }
  return st;
}

inline Stats unary_bf16_error(uint16_t (*model)(uint16_t), real (*exact)(real)) {
  Stats st;
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto x = static_cast<uint16_t>(b);
    const uint16_t got = model(x);
    const uint16_t want = bf16_nan(x) ? kBf16CanonicalNan : to_bf16(exact(bf16_value(x)));
    st.add(bf16_ulp_diff(got, want), [&] {
      return "x=" + std::to_string(x) + " got " + std::to_string(got) + " want " + std::to_string(want);
    });
  }
  return st;
}

// Absolute error of the model's GELU (tanh form) against the erf form.
inline Stats gelu_vs_erf_abs(real lo, real hi) {
  Stats st;
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto x = static_cast<uint16_t>(b);
    const real xv = bf16_value(x);
    if (bf16_nan(x) || !(xv >= lo && xv <= hi)) continue;
    const real err = std::fabs(bf16_value(gelu_bf16(x)) - gelu_erf_exact(xv));
    st.add(static_cast<double>(err), [&] { return "x=" + std::to_string(static_cast<double>(xv)); });
  }
  return st;
}

inline Stats binary_bf16_error(uint16_t (*model)(uint16_t, uint16_t), bool is_add, uint64_t seed, int b_count) {
  std::mt19937_64 rng(seed);
  Stats st;
  for (int i = 0; i < b_count; ++i) {
    const auto b = static_cast<uint16_t>(rng());
    for (uint32_t a32 = 0; a32 < 0x10000; ++a32) {
      const auto a = static_cast<uint16_t>(a32);
      const uint16_t got = model(a, b);
      const real av = bf16_value(a), bv = bf16_value(b);
      const uint16_t want = (bf16_nan(a) || bf16_nan(b)) ? kBf16CanonicalNan : to_bf16(is_add ? av + bv : av * bv);
      st.add(bf16_ulp_diff(got, want), [&] {
        return "a=" + std::to_string(a) + " b=" + std::to_string(b) + " got " + std::to_string(got) + " want " +
               std::to_string(want);
      });
    }
  }
  return st;
}

// Integer outputs: |code - ideal| in output LSBs, ideal clamped to the range.
inline double lsb_error(int64_t code, real ideal, real lo, real hi) {
  return static_cast<double>(std::fabs(static_cast<real>(code) - std::clamp(ideal, lo, hi)));
}

inline Stats softmax_i8_error(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  const double scales[] = {0.02, 0.05, 0.1, 0.25, 1.0};
  Stats st;
  for (int i = 0; i < count; ++i) {
    const std::size_t n = random_length(rng);
    // base-2 scale S2 = S log2(e) in Q.20, as a compiler passes it
    const auto scale_q20 = static_cast<uint32_t>(std::lround(scales[rng() % 5] * 1.4426950408889634 * 1048576.0));
    const int kind = static_cast<int>(rng() % 3);
    std::vector<int8_t> x;
    for (std::size_t j = 0; j < n; ++j) {
      int v = kind == 0 ? static_cast<int>(rng() % 256) - 128
                        : static_cast<int>(std::lround(std::normal_distribution<double>(0, kind == 1 ? 10 : 40)(rng)));
      x.push_back(static_cast<int8_t>(std::clamp(v, -128, 127)));
    }
    std::optional<CausalMask> mask;
    if (rng() % 2) mask = CausalMask{static_cast<int64_t>(rng() % n), 0};
    const auto got = softmax_i8(x, scale_q20, mask);
    std::vector<real> e(n, 0);
    real max = -INFINITY, sum = 0;
    const real s = static_cast<real>(scale_q20) / 1048576.0L;  // log2 units
    auto kept = [&](std::size_t j) { return !mask || static_cast<int64_t>(j) <= mask->row + mask->offset; };
    for (std::size_t j = 0; j < n; ++j)
      if (kept(j)) max = std::max(max, x[j] * s);
    for (std::size_t j = 0; j < n; ++j)
      if (kept(j)) sum += e[j] = std::exp2(x[j] * s - max);
    for (std::size_t j = 0; j < n; ++j) {
      st.add(lsb_error(got[j], 256 * e[j] / sum, 0, 255), [&] {
        return "n=" + std::to_string(n) + " S_q20=" + std::to_string(scale_q20) + " j=" + std::to_string(j) +
               " got " + std::to_string(got[j]);
      });
    }
  }
  return st;
}

struct ScalePair {
  double in, out;
  int32_t zero_point;
};
inline const std::vector<ScalePair>& unary_i8_scales() {
  static const std::vector<ScalePair> pairs = {{0.0625, 0.0625, 0}, {0.05, 0.05, -20}, {0.1, 0.08, 0}, {0.02, 0.01, -100}};
  return pairs;
}

inline Stats gelu_i8_error() {
  Stats st;
  for (const auto& sp : unary_i8_scales()) {
    const auto scale_q20 = static_cast<uint32_t>(std::lround(sp.in * 1048576.0));
    const real s = static_cast<real>(scale_q20) / 1048576.0L;
    const RequantParams out = quantize_multiplier(1.0 / 1048576.0 / sp.out, sp.zero_point);
    for (int x = -128; x < 128; ++x) {
      const int8_t got = gelu_i8(static_cast<int8_t>(x), scale_q20, out);
      st.add(lsb_error(got, gelu_erf_exact(x * s) / sp.out + sp.zero_point, -128, 127),
             [&] { return "x=" + std::to_string(x) + " S_in=" + std::to_string(sp.in) + " got " + std::to_string(got); });
    }
  }
  return st;
}

// i-GELU value (before requantization) against erf GELU, real units.
inline Stats gelu_i8_abs_error() {
  Stats st;
  for (const auto& sp : unary_i8_scales()) {
    const auto scale_q20 = static_cast<uint32_t>(std::lround(sp.in * 1048576.0));
    const real s = static_cast<real>(scale_q20) / 1048576.0L;
    for (int x = -128; x < 128; ++x) {
      const real got = gelu_i8_q20(static_cast<int8_t>(x), scale_q20) / 1048576.0L;
      st.add(static_cast<double>(std::fabs(got - gelu_erf_exact(x * s))),
             [&] { return "x=" + std::to_string(x) + " S_in=" + std::to_string(sp.in); });
    }
  }
  return st;
}

inline Stats silu_i8_error() {
  Stats st;
  for (const auto& sp : unary_i8_scales()) {
    const uint32_t in = fp32_bits(static_cast<float>(sp.in));
    const uint32_t inv_out = fp32_bits(static_cast<float>(1.0 / sp.out));
    const auto table = silu_i8_table(in, inv_out, sp.zero_point);
    for (int x = -128; x < 128; ++x) {
      const int8_t got = lut_i8(static_cast<int8_t>(x), table);
      const real ideal = silu_exact(x * fp32_value(in)) * fp32_value(inv_out) + sp.zero_point;
      st.add(lsb_error(got, ideal, -128, 127),
             [&] { return "x=" + std::to_string(x) + " S_in=" + std::to_string(sp.in) + " got " + std::to_string(got); });
    }
  }
  return st;
}

inline Stats norm_i32_error(uint64_t seed, int count, bool layer) {
  std::mt19937_64 rng(seed);
  // gamma scale 2^-6, beta scale 2^-20 (= 2^-14 * 2^-6), output scale 2^-4.
  const RequantParams out = quantize_multiplier(1.0 / 65536.0, 0);
  Stats st;
  for (int i = 0; i < count; ++i) {
    const std::size_t n = random_length(rng);
    const double sd = std::pow(10.0, std::uniform_real_distribution<double>(0, 3.5)(rng));
    const double mean = layer ? sd * std::uniform_real_distribution<double>(-2, 2)(rng) : 0;
    std::vector<int32_t> x;
    std::vector<int8_t> g;
    std::vector<int32_t> b;
    std::vector<real> xr, gr, br;
    for (std::size_t j = 0; j < n; ++j) {
      const auto v = static_cast<int32_t>(std::lround(std::normal_distribution<double>(mean, sd)(rng)));
      x.push_back(std::clamp(v, -kVecNormMaxAbsInput, kVecNormMaxAbsInput));
      g.push_back(static_cast<int8_t>(static_cast<int>(rng() % 256) - 128));
      b.push_back(static_cast<int32_t>(std::lround(std::normal_distribution<double>(0, 1 << 20)(rng))));
      xr.push_back(x.back());
      gr.push_back(g.back() / 64.0L);
      br.push_back(b.back() / 1048576.0L);
    }
    const IntNormParams p{1, out};
    const auto got = layer ? layernorm_i32(x, g, b, p) : rmsnorm_i32(x, g, b, p);
    const auto want = norm_exact(xr, gr, &br, 1.0L / 65536, layer);
    for (std::size_t j = 0; j < n; ++j) {
      st.add(lsb_error(got[j], want[j] * 16, -128, 127), [&] {
        return "n=" + std::to_string(n) + " sd=" + std::to_string(sd) + " j=" + std::to_string(j) + " got " +
               std::to_string(got[j]) + " want " + std::to_string(static_cast<double>(want[j] * 16));
      });
    }
  }
  return st;
}

inline Stats eltwise_i8_error(bool is_add) {
  Stats st;
  struct Cfg {
    double sa, sb, so;
    int32_t za, zb, zo;
  };
  const Cfg cfgs[] = {{0.1, 0.1, 0.1, 0, 0, 0}, {0.1, 0.05, 0.12, 3, -7, 5}, {0.02, 0.3, 0.25, -128, 127, -3}};
  for (const auto& c : cfgs) {
    for (int a = -128; a < 128; ++a) {
      for (int b = -128; b < 128; ++b) {
        int8_t got = 0;
        real ideal = 0;
        if (is_add) {
          const double smax = std::max(c.sa, c.sb);
          const IntAddParams p{c.za, c.zb, static_cast<int32_t>(std::lround(c.sa / smax * 16384)),
                               static_cast<int32_t>(std::lround(c.sb / smax * 16384)),
                               quantize_multiplier(smax / 16384 / c.so, c.zo)};
          got = add_i8(static_cast<int8_t>(a), static_cast<int8_t>(b), p);
          ideal = ((a - c.za) * static_cast<real>(c.sa) + (b - c.zb) * static_cast<real>(c.sb)) / c.so + c.zo;
        } else {
          const IntMulParams p{c.za, c.zb, quantize_multiplier(c.sa * c.sb / c.so, c.zo)};
          got = mul_i8(static_cast<int8_t>(a), static_cast<int8_t>(b), p);
          ideal = (a - c.za) * static_cast<real>(c.sa) * (b - c.zb) * static_cast<real>(c.sb) / c.so + c.zo;
        }
        st.add(lsb_error(got, ideal, -128, 127),
               [&] { return "a=" + std::to_string(a) + " b=" + std::to_string(b) + " got " + std::to_string(got); });
      }
    }
  }
  return st;
}

// Comparison slack for bounds that are exact halves (ties of the rounding).
inline constexpr double kBoundSlack = 1e-9;

// The table. `full` selects the nightly/tool input sizes; the default test
// suite runs the same cases with fewer random rows against the same bounds.
inline std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"softmax", "BF16", "random rows n<=4096, masks", "BF16 ulp", 1,
               [](uint64_t s, bool full) { return softmax_rows_error(softmax_random_rows(s, full ? 400 : 30)); }});
  c.push_back({"softmax", "BF16", "edge rows (equal, dominant, -128, range, masks, NaN/Inf/0)", "BF16 ulp", 1,
               [](uint64_t s, bool) { return softmax_rows_error(softmax_edge_rows(s)); }});
  c.push_back({"layernorm", "BF16", "random rows, sd 1e-3..1e3", "BF16 ulp of max(abs y, abs beta)", 1,
               [](uint64_t s, bool full) { return norm_error(norm_rows(s, full ? 300 : 25, false), true); }});
  c.push_back({"layernorm", "BF16", "edge rows", "BF16 ulp of max(abs y, abs beta)", 1,
               [](uint64_t s, bool) { return norm_error(norm_rows(s, 0, true), true); }});
  c.push_back({"rmsnorm", "BF16", "random rows, sd 1e-3..1e3", "BF16 ulp", 1,
               [](uint64_t s, bool full) { return norm_error(norm_rows(s, full ? 300 : 25, false), false); }});
  c.push_back({"rmsnorm", "BF16", "edge rows", "BF16 ulp", 1,
               [](uint64_t s, bool) { return norm_error(norm_rows(s, 0, true), false); }});
  c.push_back({"gelu (tanh form)", "BF16", "all 65536 BF16", "BF16 ulp", 1,
               [](uint64_t, bool) { return unary_bf16_error(gelu_bf16, gelu_tanh_exact); }});
  c.push_back({"gelu (tanh form) vs erf GELU", "BF16", "BF16 in [-8, 8]", "absolute", 0.01,
               [](uint64_t, bool) { return gelu_vs_erf_abs(-8, 8); }});
  c.push_back({"silu", "BF16", "all 65536 BF16", "BF16 ulp", 1,
               [](uint64_t, bool) { return unary_bf16_error(silu_bf16, silu_exact); }});
  c.push_back({"add", "BF16", "all 65536 a x random b", "BF16 ulp", 0,
               [](uint64_t s, bool full) { return binary_bf16_error(add_bf16, true, s, full ? 64 : 4); }});
  c.push_back({"mul", "BF16", "all 65536 a x random b", "BF16 ulp", 1,
               [](uint64_t s, bool full) { return binary_bf16_error(mul_bf16, false, s, full ? 64 : 4); }});
  c.push_back({"softmax (base-2 integer exp)", "INT8->UINT8", "random rows, S 0.02..1", "LSB 2^-8", 1,
               [](uint64_t s, bool full) { return softmax_i8_error(s, full ? 400 : 40); }});
  c.push_back({"gelu (i-GELU) vs erf GELU", "INT8", "all 256 x 4 scale pairs", "output LSB", 2.5,
               [](uint64_t, bool) { return gelu_i8_error(); }});
  c.push_back({"gelu (i-GELU) vs erf GELU, before requant", "INT8", "all 256 x 4 input scales", "absolute", 0.02,
               [](uint64_t, bool) { return gelu_i8_abs_error(); }});
  c.push_back({"silu (table)", "INT8", "all 256 x 4 scale pairs", "output LSB", 0.5,
               [](uint64_t, bool) { return silu_i8_error(); }});
  c.push_back({"layernorm", "INT32->INT8", "random rows, sd 1..3000", "output LSB", 1,
               [](uint64_t s, bool full) { return norm_i32_error(s, full ? 200 : 20, true); }});
  c.push_back({"rmsnorm", "INT32->INT8", "random rows, sd 1..3000", "output LSB", 1,
               [](uint64_t s, bool full) { return norm_i32_error(s, full ? 200 : 20, false); }});
  c.push_back({"residual add", "INT8", "all 65536 pairs x 3 scale sets", "output LSB", 0.5,
               [](uint64_t, bool) { return eltwise_i8_error(true); }});
  c.push_back({"mul", "INT8", "all 65536 pairs x 3 scale sets", "output LSB", 0.5,
               [](uint64_t, bool) { return eltwise_i8_error(false); }});
  return c;
}

}  // namespace npu::ref::accuracy
