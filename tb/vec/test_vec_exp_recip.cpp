// Bit-exact tests of the BF16-path building blocks against npu_ref:
// vec_exp_neg_split (exp_neg_split / exp_neg), vec_recip (recip_split /
// recip), the vec_recip_seed ROM, and fp32_acc (sequential fp32_add).
//   NPU_SEED=<n> replays one seed; NPU_WAVES=<x.fst> traces the run.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/fp.hpp>
#include <npu/ref/vector.hpp>

#include "Vfp32_acc.h"
#include "Vvec_exp_neg_split.h"
#include "Vvec_recip.h"
#include "Vvec_recip_seed.h"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "v1_stream.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::v1::FlowControl;
constexpr std::uint64_t kStallLimit = 1000;
constexpr std::uint32_t kSign = 0x80000000u;

std::uint32_t pack(bool s, unsigned e, std::uint32_t f) {
  return (s ? kSign : 0u) | (e << 23) | (f & 0x7FFFFFu);
}

class Gen {
 public:
  explicit Gen(std::uint64_t seed) : rng_(seed) {}
  std::uint32_t bits() { return static_cast<std::uint32_t>(rng_()); }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin() { return (rng_() & 1u) != 0; }
  std::uint32_t special(bool s) {
    switch (uniform(0, 5)) {
      case 0: return pack(s, 0, 0);
      case 1: return pack(s, 0, bits() | 1u);        // subnormal: DAZ
      case 2: return pack(s, 255, 0);                // Inf
      case 3: return pack(s, 255, bits() | 1u);      // NaN
      case 4: return pack(s, 1, bits());
      default: return pack(s, 254, bits());
    }
  }
  // exp argument: v <= 0 (sign set) or +0.
  std::uint32_t exp_arg() {
    switch (uniform(0, 5)) {
      case 0: return special(true);
      case 1: return coin() ? 0u : kSign;
      case 2: return pack(true, static_cast<unsigned>(uniform(125, 134)), bits());  // near cutoff
      case 3: return pack(true, static_cast<unsigned>(uniform(90, 128)), bits());   // small |v|
      default: return pack(true, static_cast<unsigned>(uniform(100, 133)), bits());
    }
  }
  std::uint32_t recip_arg() {
    if (uniform(0, 7) == 0) return special(coin());
    return bits();
  }
  std::uint32_t add_arg(std::uint32_t other) {
    switch (uniform(0, 6)) {
      case 0: return special(coin());
      case 1: return bits();
      case 2: {  // near cancellation
        std::uint32_t c = other ^ kSign;
        return static_cast<std::uint32_t>(static_cast<std::int64_t>(c) + uniform(-3, 3));
      }
      case 3: return pack(coin(), static_cast<unsigned>(uniform(1, 4)), bits());       // FTZ edge
      case 4: return pack(coin(), static_cast<unsigned>(uniform(250, 254)), bits());   // overflow
      default: {
        const int e = static_cast<int>((other >> 23) & 0xFF) + uniform(-30, 30);
        return pack(coin(), static_cast<unsigned>(std::clamp(e, 1, 254)), bits());
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

// Streams `count` operands through a one-input valid/ready block whose tag
// carries the operand index; check(index, dut) returns an error or "".
template <class Dut>
std::string run_unary(std::uint64_t seed, std::uint64_t count, const std::string& test,
                      const std::function<std::uint32_t(std::uint64_t)>& operand,
                      const std::function<std::string(std::uint64_t, std::uint32_t, const Dut&)>& check) {
  SimControl<Dut> sim(npu::tb::env_waves());
  auto& dut = sim.dut();
  FlowControl flow(seed, true);
  dut.in_valid_i = 0;
  dut.out_ready_i = 0;
  sim.reset();
  std::deque<std::uint32_t> queue;  // operands in flight
  std::uint64_t sent = 0, got = 0, last_progress = sim.cycle();
  bool pending = false;
  while (got < count) {
    flow.step(sim.cycle());
    if (!pending && sent < count && flow.offer()) pending = true;
    dut.in_valid_i = pending;
    dut.v_i = pending ? operand(sent) : 0u;
    dut.tag_i = static_cast<std::uint32_t>(sent);
    dut.out_ready_i = flow.accept();
    sim.settle();
    if (dut.out_valid_o && dut.out_ready_i) {
      if (queue.empty()) return fmt::format("cycle {}: output with nothing in flight", sim.cycle());
      if (dut.tag_o != static_cast<std::uint32_t>(got))
        return fmt::format("cycle {}: tag {} out, expected {}", sim.cycle(), dut.tag_o, got);
      const std::string err = check(got, queue.front(), dut);
      if (!err.empty())
        return fmt::format("cycle {}, operand #{} v=0x{:08x}: {}\n{}", sim.cycle(), got,
                           queue.front(), err, npu::tb::v1::rerun_hint(seed, test));
      queue.pop_front();
      ++got;
      last_progress = sim.cycle();
    }
    if (pending && dut.in_ready_o) {
      queue.push_back(dut.v_i);
      ++sent;
      pending = false;
      last_progress = sim.cycle();
    }
    if (sim.cycle() - last_progress > kStallLimit)
      return fmt::format("timeout: no handshake for {} cycles at cycle {}", kStallLimit, sim.cycle());
    sim.tick();
  }
  return {};
}

}  // namespace

TEST_CASE("vec_exp_neg_split: random v <= 0 and specials under back-pressure", "[vec][v1][exp]") {
  const std::string test = "vec_exp_neg_split: random v <= 0 and specials under back-pressure";
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    npu::tb::v1::announce(seed, test);
    Gen gen(seed);
    std::vector<std::uint32_t> ops(200000);
    for (auto& v : ops) v = gen.exp_arg();
    const std::string err = run_unary<Vvec_exp_neg_split>(
        seed, ops.size(), test, [&](std::uint64_t i) { return ops[i]; },
        [](std::uint64_t, std::uint32_t v, const Vvec_exp_neg_split& dut) -> std::string {
          const auto want = npu::ref::exp_neg_split(v);
          const std::uint32_t want_e = npu::ref::exp_neg(v);
          const auto k = static_cast<std::int32_t>(npu::tb::v1::sext10(dut.k_o));
          if (dut.p_o != want.p || k != want.k || dut.e_o != want_e)
            return fmt::format("expected p=0x{:08x} k={} e=0x{:08x}, actual p=0x{:08x} k={} e=0x{:08x}",
                               want.p, want.k, want_e, dut.p_o, k, dut.e_o);
          return {};
        });
    INFO("seed " << seed);
    INFO(err);
    REQUIRE(err.empty());
  }
}

TEST_CASE("vec_recip: random bits and specials under back-pressure", "[vec][v1][recip]") {
  const std::string test = "vec_recip: random bits and specials under back-pressure";
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    npu::tb::v1::announce(seed, test);
    Gen gen(seed);
    std::vector<std::uint32_t> ops(200000);
    for (std::size_t i = 0; i < ops.size(); ++i)
      ops[i] = i < 128 * 8 ? pack(i & 1, static_cast<unsigned>(gen.uniform(1, 254)),
                                  static_cast<std::uint32_t>(i / 8) << 16 | (gen.bits() & 0xFFFFu))
                           : gen.recip_arg();
    const std::string err = run_unary<Vvec_recip>(
        seed, ops.size(), test, [&](std::uint64_t i) { return ops[i]; },
        [](std::uint64_t, std::uint32_t v, const Vvec_recip& dut) -> std::string {
          const std::uint32_t want = npu::ref::recip(v);
          if (dut.r_o != want) return fmt::format("recip expected 0x{:08x}, actual 0x{:08x}", want, dut.r_o);
          const unsigned e = (v >> 23) & 0xFFu;
          if (e != 0 && e != 255) {
            const auto s = npu::ref::recip_split(v);
            const auto got_e = static_cast<std::int32_t>(npu::tb::v1::sext10(dut.e_o));
            if (dut.m_o != s.m || got_e != s.e)
              return fmt::format("recip_split expected m=0x{:08x} e={}, actual m=0x{:08x} e={}", s.m,
                                 s.e, dut.m_o, got_e);
          }
          return {};
        });
    INFO("seed " << seed);
    INFO(err);
    REQUIRE(err.empty());
  }
}

TEST_CASE("vec_recip_seed: all 128 entries equal the model table", "[vec][v1][recip]") {
  VerilatedContext ctx;
  Vvec_recip_seed dut(&ctx, "TOP");
  for (unsigned i = 0; i < 128; ++i) {
    dut.idx_i = static_cast<std::uint8_t>(i);
    dut.eval();
    INFO(fmt::format("index {}: expected 0x{:08x} actual 0x{:08x}", i, npu::ref::recip_seed(i), dut.seed_o));
    REQUIRE(dut.seed_o == npu::ref::recip_seed(i));
  }
  dut.final();
}

TEST_CASE("fp32_acc: pairwise sums and running sums equal fp32_add", "[vec][v1][acc]") {
  const std::string test = "fp32_acc: pairwise sums and running sums equal fp32_add";
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    npu::tb::v1::announce(seed, test);
    SimControl<Vfp32_acc> sim(npu::tb::env_waves());
    auto& dut = sim.dut();
    Gen gen(seed);
    dut.clear_i = 0;
    dut.valid_i = 0;
    sim.reset();
    INFO("seed " << seed);
    // Pairs: clear to a, then add b.
    for (int i = 0; i < 300000; ++i) {
      const std::uint32_t a = gen.coin() ? gen.bits() : gen.add_arg(gen.bits());
      const std::uint32_t b = gen.add_arg(a);
      dut.clear_i = 1;
      dut.init_i = a;
      dut.valid_i = gen.coin();  // clear has priority: this data is dropped
      dut.data_i = gen.bits();
      sim.tick();
      dut.clear_i = 0;
      dut.valid_i = 1;
      dut.data_i = b;
      sim.tick();
      dut.valid_i = 0;
      sim.settle();
      const std::uint32_t want = npu::ref::fp32_add(a, b);
      if (dut.acc_o != want)
        FAIL(fmt::format("cycle {}: 0x{:08x} + 0x{:08x}: expected 0x{:08x}, actual 0x{:08x}\n{}",
                         sim.cycle(), a, b, want, dut.acc_o, npu::tb::v1::rerun_hint(seed, test)));
    }
    // Running sums from +0 with idle cycles in between.
    for (int row = 0; row < 200; ++row) {
      dut.clear_i = 1;
      dut.init_i = 0;
      sim.tick();
      dut.clear_i = 0;
      std::uint32_t want = 0;
      const int base_exp = gen.uniform(60, 190);
      for (int j = 0; j < 256; ++j) {
        const std::uint32_t x = gen.uniform(0, 20) == 0 ? gen.special(gen.coin())
                                : pack(gen.coin(), static_cast<unsigned>(base_exp + gen.uniform(-8, 8)), gen.bits());
        dut.valid_i = gen.uniform(0, 3) != 0;
        dut.data_i = x;
        if (dut.valid_i) want = npu::ref::fp32_add(want, x);
        sim.tick();
        sim.settle();
        if (dut.acc_o != want)
          FAIL(fmt::format("cycle {}: row {} element {}: expected 0x{:08x}, actual 0x{:08x}\n{}", sim.cycle(),
                           row, j, want, dut.acc_o, npu::tb::v1::rerun_hint(seed, test)));
      }
      dut.valid_i = 0;
    }
  }
}
