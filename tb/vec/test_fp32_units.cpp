// Bit-exact tests of the vector engine's FP32 datapath (rtl/vec) against the
// reference model npu_ref: fp32_fma (also as adder and multiplier) under
// random back-pressure, and the combinational helpers fp32_max,
// fp32_scale_pow2, fp32_to_bf16, bf16_to_fp32.
//   NPU_SEED=<n>       replay one seed       NPU_WAVES=<x.fst>  trace fp32_fma
#include <catch2/catch.hpp>
#include <fmt/format.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <npu/ref/fp.hpp>

#include "Vfp32_fma.h"
#include "Vtb_vec_helpers.h"
#include "sim_control.hpp"
#include "test_env.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

namespace {

using npu::tb::SimControl;

constexpr std::uint32_t kOne = 0x3F800000u;      // 1.0
constexpr std::uint32_t kNegZero = 0x80000000u;  // -0.0
constexpr std::uint32_t kSign = 0x80000000u;
constexpr unsigned kFmaLatency = 3;              // vec_pkg::Fp32FmaLatency
constexpr unsigned kScaleKWidth = 10;            // tb_vec_helpers KWidth
constexpr std::uint64_t kStallLimit = 1000;      // cycles without progress

std::uint32_t pack(bool sign, int biased_exp, std::uint32_t frac) {
  return (sign ? kSign : 0u) | (static_cast<std::uint32_t>(biased_exp) << 23) |
         (frac & 0x7FFFFFu);
}
int exp_of(std::uint32_t x) { return static_cast<int>((x >> 23) & 0xFFu); }
std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// How an operation's expected value is computed (the contract's three ops).
enum class OpKind { kFma, kAdd, kMul };

struct FmaOp {
  std::uint32_t a = 0, b = 0, c = 0;
  OpKind kind = OpKind::kFma;
  const char* dist = "";
};

std::uint32_t expected(const FmaOp& op) {
  switch (op.kind) {
    case OpKind::kAdd: return npu::ref::fp32_add(op.a, op.c);
    case OpKind::kMul: return npu::ref::fp32_mul(op.a, op.b);
    case OpKind::kFma: break;
  }
  return npu::ref::fp32_fma(op.a, op.b, op.c);
}

// Operand distributions aimed at the corners of the rounding contract.
class OperandGen {
 public:
  explicit OperandGen(std::uint64_t seed) : rng_(seed) {}

  std::uint32_t bits() { return static_cast<std::uint32_t>(rng_()); }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }
  std::uint32_t frac() { return bits() & 0x7FFFFFu; }
  std::uint32_t normal(int elo, int ehi) { return pack(coin(), uniform(elo, ehi), frac()); }

  // Zeros, subnormals (DAZ), Inf, NaNs incl. signalling, extremes, ones.
  std::uint32_t special() {
    const bool s = coin();
    switch (uniform(0, 9)) {
      case 0: return pack(s, 0, 0);
      case 1: return pack(s, 0, frac() | 1u);
      case 2: return pack(s, 255, 0);
      case 3: return pack(s, 255, frac() | 1u);
      case 4: return pack(s, 255, 0x400000u | frac());
      case 5: return pack(s, 1, coin() ? 0 : frac());
      case 6: return pack(s, 254, coin() ? 0x7FFFFFu : frac());
      case 7: return pack(s, 127, 0);
      default: return normal(1, 254);
    }
  }

  // Mantissa with only a few bits set: exact products, many ties.
  std::uint32_t sparse(int elo, int ehi) {
    std::uint32_t f = 0;
    for (int n = uniform(0, 3); n > 0; --n) f |= 1u << uniform(0, 22);
    return pack(coin(), uniform(elo, ehi), f);
  }

  FmaOp next() {
    FmaOp op;
    switch (uniform(0, 10)) {
      case 0: op = {bits(), bits(), bits(), OpKind::kFma, "uniform bits"}; break;
      case 1: op = {special(), special(), special(), OpKind::kFma, "specials"}; break;
      case 2: op = cancellation(); break;
      case 3: op = overflow_edge(); break;
      case 4: op = ftz_edge(); break;
      case 5: op = product_edge(); break;
      case 6: op = tie(); break;
      case 7: op = near_exponents(true); break;
      case 8: op = near_exponents(false); break;
      case 9: {  // the adder: fma(a, +-1.0, c)
        FmaOp n = coin() ? near_exponents(false) : tie();
        op = {n.a, kOne, n.c, OpKind::kAdd, "add"};
        if (coin(0.2)) op.a = special(), op.c = special();
        break;
      }
      default: {  // the multiplier: fma(a, b, -0.0)
        FmaOp n = coin() ? near_exponents(false) : product_edge();
        op = {n.a, n.b, kNegZero, OpKind::kMul, "mul"};
        if (coin(0.2)) op.a = special(), op.b = special();
        break;
      }
    }
    return op;
  }

 private:
  // c close to -(a*b): massive cancellation exposes the exact product bits.
  FmaOp cancellation() {
    const std::uint32_t a = normal(1, 254);
    const int eb = std::clamp(uniform(100, 154) + 127 - exp_of(a), 1, 254);
    const std::uint32_t b = pack(coin(), eb, frac());
    const std::uint32_t p = npu::ref::fp32_mul(a, b);
    std::uint32_t c = p ^ kSign;
    if (exp_of(p) == 0 || exp_of(p) == 255) c = normal(1, 254);
    else if (coin(0.7)) c = static_cast<std::uint32_t>(static_cast<int64_t>(c) + uniform(-3, 3));
    return {a, b, c, OpKind::kFma, "cancellation"};
  }

  // Results at the 2^128 boundary: max-ish c plus a product near its half ulp,
  // or a product alone near 2^128.
  FmaOp overflow_edge() {
    const bool s = coin();
    if (coin()) {
      const std::uint32_t c = pack(s, 254, 0x7FFFFFu - static_cast<std::uint32_t>(uniform(0, 3)));
      const int ea = uniform(110, 140);
      const int eb = uniform(100, 106) + 254 - ea;  // product ~ 2^(100..106)
      const std::uint32_t a = pack(coin(0.8) ? s : !s, ea, coin() ? 0 : frac());
      return {a, pack(false, eb, coin() ? 0 : frac()), c, OpKind::kFma, "overflow edge"};
    }
    const int ea = uniform(127, 254);
    const int eb = std::clamp(uniform(380, 382) - ea, 1, 254);
    const std::uint32_t c = coin() ? pack(coin(), uniform(1, 254), frac()) : pack(coin(), 0, 0);
    return {pack(s, ea, frac()), pack(coin(), eb, frac()), c, OpKind::kFma, "overflow edge"};
  }

  // Exact result T + err with T = +-2^-126 and |err| about 2^-150: the
  // result rounds up to T or flushes to zero (tininess after rounding).
  FmaOp ftz_edge() {
    const bool s = coin();
    const int ep = -128 - uniform(0, 30);  // |p| ~ 2^ep, p of opposite sign to c
    const int ea = uniform(std::max(1, ep + 127 + 127 - 254), std::min(254, ep + 127 + 126));
    const int eb = ep + 254 - ea;
    if (eb < 1 || eb > 254) return {normal(1, 254), normal(1, 254), normal(1, 254), OpKind::kFma, "ftz edge"};
    const std::uint32_t a = pack(!s, ea, frac());
    const std::uint32_t b = pack(false, eb, frac());
    float fa, fb;
    std::memcpy(&fa, &a, 4);
    std::memcpy(&fb, &b, 4);
    const double p = static_cast<double>(fa) * static_cast<double>(fb);  // exact
    const double t = std::ldexp(s ? -1.0 : 1.0, -126);
    const std::uint32_t c = bits_of(static_cast<float>(t - p));  // c + p ~ t
    return {a, b, c, OpKind::kFma, "ftz edge"};
  }

  // A product whose significand is within an ulp or two of 2.0, placed so the
  // result lands on 2^-126 (FTZ edge), 2^128 (overflow edge) or anywhere.
  FmaOp product_edge() {
    const std::uint64_t ma = (1u << 23) | frac();
    const std::uint64_t mb = ((std::uint64_t{1} << 47) / ma) + static_cast<std::uint64_t>(uniform(-1, 1));
    if (mb < (1u << 23) || mb >= (1u << 24)) return tie();
    int sum;  // ea + eb
    switch (uniform(0, 2)) {
      case 0: sum = 127 + uniform(-1, 1); break;   // near 2^-126
      case 1: sum = 381 + uniform(-1, 1); break;   // near 2^128
      default: sum = uniform(130, 380); break;
    }
    const int ea = std::clamp(uniform(sum - 254, sum - 1), 1, 254);
    const int eb = std::clamp(sum - ea, 1, 254);
    const std::uint32_t c = coin(0.6) ? kNegZero : (coin() ? 0u : normal(1, 254));
    return {pack(coin(), ea, static_cast<std::uint32_t>(ma)),
            pack(coin(), eb, static_cast<std::uint32_t>(mb)), c, OpKind::kFma, "product edge"};
  }

  // c + (odd multiple of half an ulp of c): every such sum is a tie (unless
  // it drops an exponent), so round-to-even decides.
  FmaOp tie() {
    const std::uint32_t c = normal(30, 254);
    const std::uint32_t k = (bits() & 0xFFFu) | 1u;
    int l = 0;
    while ((k >> (l + 1)) != 0) ++l;                      // floor(log2 k)
    const int j = uniform(-3, 3);                          // split as (a*2^-j)*(2^j)
    const int ea = exp_of(c) - 24 + l - j;
    const int eb = 127 + j;
    if (ea < 1 || ea > 254) return {normal(1, 254), kOne, c, OpKind::kFma, "tie"};
    const std::uint32_t a = pack(coin(), ea, (k << (23 - l)) & 0x7FFFFFu);
    return {a, pack(coin(0.1), eb, 0), c, OpKind::kFma, "tie"};
  }

  // Product and c within 30 binades of each other (alignment, partial
  // cancellation, carries); sparse mantissas give exact results and ties.
  FmaOp near_exponents(bool sparse_mantissas) {
    auto gen = [&](int lo, int hi) { return sparse_mantissas ? sparse(lo, hi) : normal(lo, hi); };
    const std::uint32_t a = gen(60, 194);
    const std::uint32_t b = gen(60, 194);
    const int ec = std::clamp(exp_of(a) + exp_of(b) - 127 + uniform(-30, 30), 1, 254);
    return {a, b, gen(ec, ec), OpKind::kFma, sparse_mantissas ? "sparse near" : "near exponents"};
  }

  std::mt19937_64 rng_;
};

// Exact a*b + c below 2^-126 in magnitude? (a*b is exact in double; TwoSum
// gives the exact sum as s + e.) For the ftz-edge operands only.
bool exact_below_min(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
  float fa, fb, fc;
  std::memcpy(&fa, &a, 4);
  std::memcpy(&fb, &b, 4);
  std::memcpy(&fc, &c, 4);
  const double p = static_cast<double>(fa) * fb, x = fc;
  const double s = x + p, bb = s - x, e = (x - (s - bb)) + (p - bb);
  const double t = std::ldexp(1.0, -126);
  return std::fabs(s) < t || (std::fabs(s) == t && (s > 0) != (e > 0) && e != 0);
}

// Proof that the stimulus reaches the contract's corners.
struct Coverage {
  std::uint64_t ftz_round_up = 0;   // exact result below 2^-126, rounded up to it
  std::uint64_t ftz_flush = 0;      // finite nonzero operands, result flushed to zero
  std::uint64_t overflow = 0;       // finite operands, result Inf
  std::uint64_t cancel_zero = 0;    // nonzero operands cancelling exactly to +0
  std::uint64_t nan = 0;

  void count(const FmaOp& op, std::uint32_t want) {
    auto finite_nonzero = [](std::uint32_t x) { return exp_of(x) != 0 && exp_of(x) != 255; };
    const bool finite = finite_nonzero(op.a) && finite_nonzero(op.b) &&
                        (exp_of(op.c) != 255);
    if (want == npu::ref::kFp32CanonicalNan) ++nan;
    if (!finite) return;
    if ((want & 0x7FFFFFFFu) == 0x7F800000u) ++overflow;
    if (want == 0 && finite_nonzero(op.c) && op.kind != OpKind::kMul &&
        npu::ref::fp32_mul(op.a, op.b) == (op.c ^ kSign)) ++cancel_zero;
    if (std::string(op.dist) == "ftz edge") {
      if ((want & 0x7FFFFFFFu) == 0) ++ftz_flush;
      else if ((want & 0x7FFFFFFFu) == 0x00800000u && exact_below_min(op.a, op.b, op.c)) ++ftz_round_up;
    } else if ((want & 0x7FFFFFFFu) == 0 && exp_of(op.c) == 0) {
      ++ftz_flush;
    }
  }
};

// Second opinion for diagnosing mismatches only: the host's fmaf with
// MXCSR FTZ|DAZ (the contract's rounding on x86), NaN canonicalised.
std::optional<std::uint32_t> host_fma(const FmaOp& op) {
#if defined(__x86_64__)
  struct MxcsrGuard {  // restores the caller's MXCSR
    unsigned saved = _mm_getcsr();
    MxcsrGuard() { _mm_setcsr(saved | 0x8040u); }  // FTZ (bit 15) | DAZ (bit 6)
    ~MxcsrGuard() { _mm_setcsr(saved); }
  } guard;
  float fa, fb, fc;
  std::memcpy(&fa, &op.a, 4);
  std::memcpy(&fb, &op.b, 4);
  std::memcpy(&fc, &op.c, 4);
  const volatile float r = std::fmaf(fa, fb, fc);
  if (std::isnan(r)) return npu::ref::kFp32CanonicalNan;
  return bits_of(r);
#else
  (void)op;
  return std::nullopt;
#endif
}

struct InFlight {
  FmaOp op;
  std::uint32_t want;
  std::uint32_t tag;
};

// Streams `count` random operations through fp32_fma with the given
// probabilities of in_valid / out_ready (re-drawn per phase when `vary`),
// checks every result bit-exactly and in order. Returns the first mismatch
// (empty if none).
std::string run_fma_stream(std::uint64_t seed, std::uint64_t count, bool vary, Coverage& cover) {
  SimControl<Vfp32_fma> sim(npu::tb::env_waves());
  auto& dut = sim.dut();
  OperandGen gen(seed);
  std::mt19937_64 flow(seed ^ 0x9E3779B97F4A7C15ull);
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(flow); };
  static constexpr double kPhases[][2] = {{1.0, 1.0}, {1.0, 0.5}, {0.5, 1.0}, {0.3, 0.3},
                                          {1.0, 0.1}, {0.9, 0.9}, {0.1, 1.0}};
  double p_in = 1.0, p_out = 1.0;
  std::uint64_t phase_at = ~std::uint64_t{0};

  dut.in_valid_i = 0;
  dut.out_ready_i = 0;
  sim.reset();

  std::deque<InFlight> queue;
  FmaOp pending;                     // driven while has_pending
  bool has_pending = false;
  std::uint64_t sent = 0, received = 0, mismatches = 0, last_progress = sim.cycle();
  std::uint64_t rtl_matches_host = 0;  // of the mismatches
  std::string first;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> held;  // stalled output

  while (received < count) {
    if (vary && sent % 4096 == 0 && sent != phase_at) {
      phase_at = sent;
      const auto& ph = kPhases[std::uniform_int_distribution<int>(0, 6)(flow)];
      p_in = ph[0];
      p_out = ph[1];
    }
    if (!has_pending && sent < count && chance(p_in)) {
      pending = gen.next();
      has_pending = true;
    }
    dut.in_valid_i = has_pending;
    if (has_pending) {
      dut.a_i = pending.a;
      dut.b_i = pending.b;
      dut.c_i = pending.c;
      dut.tag_i = static_cast<std::uint32_t>(sent);
    }
    dut.out_ready_i = chance(p_out);
    sim.settle();

    if (held && (!dut.out_valid_o || dut.r_o != held->first || dut.tag_o != held->second))
      return fmt::format("cycle {}: output changed while stalled (was r=0x{:08x} tag={})",
                         sim.cycle(), held->first, held->second);
    held.reset();
    if (dut.out_valid_o) {
      if (queue.empty()) return fmt::format("cycle {}: out_valid_o with nothing in flight", sim.cycle());
      if (dut.out_ready_i) {
        const InFlight& f = queue.front();
        const std::uint32_t got = dut.r_o;
        if (dut.tag_o != f.tag)
          return fmt::format("cycle {}: tag {} out, expected {} (order or tag lost)",
                             sim.cycle(), dut.tag_o, f.tag);
        if (got != f.want) {
          const auto host = host_fma(f.op);
          if (host && *host == got) ++rtl_matches_host;
          if (mismatches++ == 0)
            first = fmt::format(
                "first mismatch at cycle {} (op #{}, {} / {}): a=0x{:08x} b=0x{:08x} c=0x{:08x} "
                "expected=0x{:08x} actual=0x{:08x} (host fmaf FTZ|DAZ: {})",
                sim.cycle(), f.tag,
                f.op.kind == OpKind::kFma ? "fma" : f.op.kind == OpKind::kAdd ? "add" : "mul",
                f.op.dist, f.op.a, f.op.b, f.op.c, f.want, got,
                host ? fmt::format("0x{:08x}", *host) : std::string("n/a"));
        }
        queue.pop_front();
        ++received;
        last_progress = sim.cycle();
      } else {
        held.emplace(dut.r_o, dut.tag_o);
      }
    }
    if (has_pending && dut.in_ready_o) {
      queue.push_back({pending, expected(pending), static_cast<std::uint32_t>(sent)});
      cover.count(pending, queue.back().want);
      ++sent;
      has_pending = false;
      last_progress = sim.cycle();
    }
    if (sim.cycle() - last_progress > kStallLimit)
      return fmt::format("timeout: no handshake for {} cycles at cycle {} ({} sent, {} received)",
                         kStallLimit, sim.cycle(), sent, received);
    sim.tick();
  }
  fmt::print("  {} operations in {} cycles; coverage: ftz round-up {}, ftz flush {}, "
             "overflow {}, exact cancellation {}, NaN {}\n", count, sim.cycle(), cover.ftz_round_up,
             cover.ftz_flush, cover.overflow, cover.cancel_zero, cover.nan);
  if (mismatches != 0)
    return fmt::format("{} mismatches ({} of them agree with the host fmaf); {}", mismatches,
                       rtl_matches_host, first);
  return {};
}

void announce(std::uint64_t seed, const char* test) {
  fmt::print("[{}] seed {} (replay: NPU_SEED={} {} \"{}\")\n", test, seed, seed,
             npu::tb::self_executable(), test);
}

// The combinational helpers: set inputs, evaluate, read outputs.
class Helpers {
 public:
  Helpers() : ctx_(std::make_unique<VerilatedContext>()),
              dut_(std::make_unique<Vtb_vec_helpers>(ctx_.get(), "TOP")) {}
  Helpers(const Helpers&) = delete;
  Helpers& operator=(const Helpers&) = delete;
  ~Helpers() { dut_->final(); }

  std::pair<std::uint32_t, std::uint32_t> max_min(std::uint32_t a, std::uint32_t b) {
    dut_->max_a_i = a;
    dut_->max_b_i = b;
    dut_->eval();
    return {dut_->max_o, dut_->min_o};
  }
  std::uint32_t scale(std::uint32_t x, int k) {
    dut_->scale_x_i = x;
    dut_->scale_k_i = static_cast<std::uint32_t>(k) & ((1u << kScaleKWidth) - 1);
    dut_->eval();
    return dut_->scale_r_o;
  }
  std::uint16_t to_bf16(std::uint32_t f) {
    dut_->f2b_f_i = f;
    dut_->eval();
    return dut_->f2b_b_o;
  }
  std::uint32_t to_fp32(std::uint16_t b) {
    dut_->b2f_b_i = b;
    dut_->eval();
    return dut_->b2f_f_o;
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vtb_vec_helpers> dut_;
};

// Independent oracle for max/min: DAZ decode to double, NaN rule, -0 < +0.
std::pair<std::uint32_t, std::uint32_t> ref_max_min(std::uint32_t a, std::uint32_t b) {
  auto daz = [](std::uint32_t x) { return exp_of(x) == 0 ? (x & kSign) : x; };
  auto is_nan = [](std::uint32_t x) { return exp_of(x) == 255 && (x & 0x7FFFFFu) != 0; };
  if (is_nan(a) || is_nan(b)) return {npu::ref::kFp32CanonicalNan, npu::ref::kFp32CanonicalNan};
  a = daz(a);
  b = daz(b);
  float fa, fb;
  std::memcpy(&fa, &a, 4);
  std::memcpy(&fb, &b, 4);
  bool a_greater = fa > fb || (fa == fb && !(a & kSign) && (b & kSign));
  return a_greater ? std::pair{a, b} : std::pair{b, a};
}

// x * 2^k through the model's multiplier, in same-sign steps 2^+-126 and
// 2^+-127 are exact: an intermediate flushes or overflows only if the
// final result does.
std::uint32_t ref_scale(std::uint32_t x, int k) {
  do {  // at least once, so NaN is canonicalised and DAZ applied for k = 0
    const int step = std::clamp(k, -126, 127);
    x = npu::ref::fp32_mul(x, pack(false, step + 127, 0));
    k -= step;
  } while (k != 0);
  return x;
}

}  // namespace

TEST_CASE("fp32_fma: 10^6 random operations, random back-pressure, bit-exact", "[vec][fma]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    announce(seed, "fp32_fma: 10^6 random operations, random back-pressure, bit-exact");
    Coverage cover;
    const std::string err = run_fma_stream(seed, 1'000'000, true, cover);
    INFO("seed " << seed);
    if (!err.empty()) FAIL(err);
    CHECK(cover.ftz_round_up > 100);
    CHECK(cover.ftz_flush > 100);
    CHECK(cover.overflow > 100);
    CHECK(cover.cancel_zero > 100);
    CHECK(cover.nan > 100);
  }
}

TEST_CASE("fp32_fma: latency and full throughput without back-pressure", "[vec][fma]") {
  SimControl<Vfp32_fma> sim;
  auto& dut = sim.dut();
  dut.in_valid_i = 0;
  dut.out_ready_i = 1;
  sim.reset();
  constexpr std::uint32_t kOps = 200;
  std::uint32_t got = 0;
  // One operation per cycle: 1.0 * i + 0 gives i exactly; tag = i.
  for (std::uint32_t i = 0; i < kOps + kFmaLatency; ++i) {
    dut.in_valid_i = i < kOps;
    dut.a_i = bits_of(static_cast<float>(i + 1));
    dut.b_i = kOne;
    dut.c_i = 0;
    dut.tag_i = i;
    sim.settle();
    if (i < kOps) REQUIRE(dut.in_ready_o);
    if (i < kFmaLatency) {
      REQUIRE_FALSE(dut.out_valid_o);
    } else {
      INFO("cycle " << sim.cycle());
      REQUIRE(dut.out_valid_o);
      REQUIRE(dut.tag_o == got);
      REQUIRE(dut.r_o == bits_of(static_cast<float>(got + 1)));
      ++got;
    }
    sim.tick();
  }
  sim.settle();
  REQUIRE_FALSE(dut.out_valid_o);
  REQUIRE(got == kOps);
}

TEST_CASE("fp32_fma: fills while stalled and drains in order", "[vec][fma]") {
  SimControl<Vfp32_fma> sim;
  auto& dut = sim.dut();
  dut.in_valid_i = 1;
  dut.out_ready_i = 0;
  sim.reset();
  std::uint32_t accepted = 0;
  for (int i = 0; i < 10; ++i) {  // three stages: exactly three accepted
    dut.a_i = bits_of(static_cast<float>(accepted + 1));
    dut.b_i = kOne;
    dut.c_i = kNegZero;
    dut.tag_i = accepted;
    sim.settle();
    if (dut.in_ready_o) ++accepted;
    sim.tick();
  }
  REQUIRE(accepted == kFmaLatency);
  dut.in_valid_i = 0;
  dut.out_ready_i = 1;
  for (std::uint32_t i = 0; i < kFmaLatency; ++i) {
    sim.wait_until([&] { return dut.out_valid_o != 0; }, 5, "fp32_fma result");
    REQUIRE(dut.tag_o == i);
    REQUIRE(dut.r_o == bits_of(static_cast<float>(i + 1)));
    sim.tick();
  }
  sim.settle();
  REQUIRE_FALSE(dut.out_valid_o);
}

TEST_CASE("fp32_fma: contract corner cases", "[vec][fma]") {
  const std::uint32_t nan = npu::ref::kFp32CanonicalNan;
  const std::uint32_t inf = 0x7F800000u, min_normal = 0x00800000u, max_normal = 0x7F7FFFFFu;
  struct Case { std::uint32_t a, b, c, want; const char* what; };
  const Case cases[] = {
      {0x7F800001u, kOne, 0, nan, "sNaN input -> canonical NaN"},
      {kOne, 0xFFC12345u, 0, nan, "NaN payload not propagated"},
      {inf, 0, 0, nan, "Inf * 0"},
      {0x00000001u, inf, 0, nan, "subnormal (DAZ) * Inf"},
      {inf, kOne, inf | kSign, nan, "Inf - Inf"},
      {inf, kOne | kSign, inf | kSign, inf | kSign, "-Inf + -Inf"},
      {kOne, kOne, kOne | kSign, 0, "exact cancellation -> +0"},
      {kSign, kOne, kSign, kSign, "(-0) + (-0) = -0"},
      {0, kOne, kSign, 0, "(+0) + (-0) = +0"},
      {0x00400000u | kSign, kOne, 0x00000001u | kSign, kSign, "DAZ: -sub + -sub = -0"},
      {0x00000123u, kOne, 0x40000000u, 0x40000000u, "DAZ: subnormal product ignored"},
      {min_normal, 0x3F000000u, kNegZero, 0, "2^-127 flushes to +0"},
      {min_normal | kSign, 0x3F000000u, kNegZero, kSign, "-2^-127 flushes to -0"},
      {0x3F7FFFFFu, min_normal, kNegZero, 0, "(1-2^-24)*2^-126 exact: below, flush"},
      {max_normal, 0x40000000u, kNegZero, inf, "overflow -> Inf"},
      {max_normal, kOne, 0x73000000u, inf, "MAX + half ulp ties up to Inf"},
      {max_normal, kOne, 0x72FFFFFFu, max_normal, "MAX + just under half ulp stays"},
  };
  for (const Case& t : cases) {
    INFO(t.what);
    CHECK(npu::ref::fp32_fma(t.a, t.b, t.c) == t.want);  // the model agrees with the table
    SimControl<Vfp32_fma> sim;
    auto& dut = sim.dut();
    dut.in_valid_i = 0;
    dut.out_ready_i = 1;
    sim.reset();
    dut.in_valid_i = 1;
    dut.a_i = t.a;
    dut.b_i = t.b;
    dut.c_i = t.c;
    dut.tag_i = 7;
    sim.tick();
    dut.in_valid_i = 0;
    sim.wait_until([&] { return dut.out_valid_o != 0; }, kFmaLatency + 1, "fp32_fma result");
    CHECK(dut.r_o == t.want);
    CHECK(dut.tag_o == 7u);
  }
}

TEST_CASE("bf16_to_fp32: exhaustive, bit-exact", "[vec][convert]") {
  Helpers h;
  std::uint32_t bad = 0;
  std::string first;
  for (std::uint32_t b = 0; b <= 0xFFFFu; ++b) {
    const std::uint32_t want = npu::ref::bf16_to_fp32(static_cast<std::uint16_t>(b));
    const std::uint32_t got = h.to_fp32(static_cast<std::uint16_t>(b));
    if (got != want && bad++ == 0)
      first = fmt::format("b=0x{:04x} expected=0x{:08x} actual=0x{:08x}", b, want, got);
  }
  INFO(first);
  REQUIRE(bad == 0);
}

TEST_CASE("fp32_to_bf16: every upper half x rounding-relevant lower halves, plus random", "[vec][convert]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    announce(seed, "fp32_to_bf16: every upper half x rounding-relevant lower halves, plus random");
    Helpers h;
    std::mt19937_64 rng(seed);
    std::uint64_t bad = 0;
    std::string first;
    auto check = [&](std::uint32_t f) {
      const std::uint16_t want = npu::ref::fp32_to_bf16(f);
      const std::uint16_t got = h.to_bf16(f);
      if (got != want && bad++ == 0)
        first = fmt::format("f=0x{:08x} expected=0x{:04x} actual=0x{:04x}", f, want, got);
    };
    for (std::uint32_t hi = 0; hi <= 0xFFFFu; ++hi)
      for (const std::uint32_t lo : {0x0000u, 0x0001u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu,
                                     static_cast<std::uint32_t>(rng()) & 0xFFFFu})
        check((hi << 16) | lo);
    for (int i = 0; i < 200'000; ++i) check(static_cast<std::uint32_t>(rng()));
    INFO("seed " << seed << ": " << first);
    REQUIRE(bad == 0);
  }
}

TEST_CASE("fp32_max: random and special pairs against an independent oracle", "[vec][max]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    announce(seed, "fp32_max: random and special pairs against an independent oracle");
    Helpers h;
    OperandGen gen(seed);
    std::uint64_t bad = 0;
    std::string first;
    for (int i = 0; i < 300'000; ++i) {
      std::uint32_t a, b;
      switch (i % 4) {
        case 0: a = gen.bits(); b = gen.bits(); break;
        case 1: a = gen.special(); b = gen.special(); break;
        case 2: a = gen.bits(); b = a ^ (gen.coin() ? kSign : (1u << gen.uniform(0, 22))); break;
        default: a = gen.special() & ~0x7FFFFFu; b = gen.special() & ~0x7FFFFFu; break;  // zeros, Inf
      }
      const auto want = ref_max_min(a, b);
      const auto got = h.max_min(a, b);
      if (got != want && bad++ == 0)
        first = fmt::format("a=0x{:08x} b=0x{:08x} expected max/min=0x{:08x}/0x{:08x} actual=0x{:08x}/0x{:08x}",
                            a, b, want.first, want.second, got.first, got.second);
    }
    INFO("seed " << seed << ": " << first);
    REQUIRE(bad == 0);
  }
}

TEST_CASE("fp32_scale_pow2: equals the model's fp32_mul by 2^k over the whole k range", "[vec][scale]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    announce(seed, "fp32_scale_pow2: equals the model's fp32_mul by 2^k over the whole k range");
    Helpers h;
    OperandGen gen(seed);
    const int kmin = -(1 << (kScaleKWidth - 1)), kmax = (1 << (kScaleKWidth - 1)) - 1;
    std::uint64_t bad = 0;
    std::string first;
    auto check = [&](std::uint32_t x, int k) {
      const std::uint32_t want = ref_scale(x, k);
      const std::uint32_t got = h.scale(x, k);
      if (got != want && bad++ == 0)
        first = fmt::format("x=0x{:08x} k={} expected=0x{:08x} actual=0x{:08x}", x, k, want, got);
    };
    for (int i = 0; i < 200'000; ++i) {
      const std::uint32_t x = gen.coin(0.2) ? gen.special() : gen.bits();
      int k;
      switch (i % 3) {
        case 0: k = gen.uniform(kmin, kmax); break;
        case 1: k = gen.uniform(-300, 300); break;
        default: k = (gen.coin() ? 1 : 255) - exp_of(x) + gen.uniform(-2, 2); break;  // edges
      }
      check(x, std::clamp(k, kmin, kmax));
    }
    for (const int k : {kmin, kmax, 0, 1, -1, 126, -126, 127, -127, 253, -253, 254, -254})
      for (const std::uint32_t x : {0x00800000u, 0x7F7FFFFFu, 0x3F800000u, 0xBFC00000u, 0x80000000u,
                                    0x00000001u, 0x7F800000u, 0xFF800000u, 0x7FA00000u})
        check(x, k);
    INFO("seed " << seed << ": " << first);
    REQUIRE(bad == 0);
  }
}
