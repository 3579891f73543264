// vec_softmax_bf16 (Lanes = 3, MaxLen = 64) bit-exact against
// npu::ref::softmax_bf16: random rows with and without causal masks, and edge
// rows (all equal, dominant max, huge range, all masked but one, all masked,
// length 1 and MaxLen, NaN/Inf/zero/subnormal inputs, NaN/0/huge scales),
// under random back-pressure on both ports and several seeds.
//   NPU_SEED=<n> replays one seed; NPU_WAVES=<x.fst> traces the run.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_softmax_bf16.h"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "v1_stream.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::v1::RowCase;
constexpr unsigned kLanes = 3;    // matches -GLanes in bf16_softmax_act.cmake
constexpr unsigned kMaxLen = 64;  // matches -GMaxLen
constexpr std::uint64_t kStallLimit = 2000;

struct Cfg {
  std::uint32_t scale;
  std::optional<npu::ref::CausalMask> mask;
};

class RowGen {
 public:
  explicit RowGen(std::uint64_t seed) : rng_(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::uint16_t bf16(int elo, int ehi) {
    return static_cast<std::uint16_t>(((rng_() & 1u) << 15) | (static_cast<unsigned>(uniform(elo, ehi)) << 7) |
                                      (rng_() & 0x7Fu));
  }
  std::uint32_t scale() {
    switch (uniform(0, 4)) {
      case 0: return 0x3F800000u;  // 1
      case 1: return 0x3DB504F3u;  // 1/sqrt(128)
      case 2: return 0x3E000000u;  // 1/8
      default: return (static_cast<std::uint32_t>(uniform(115, 130)) << 23) | (rng_() & 0x7FFFFFu);
    }
  }
  std::optional<npu::ref::CausalMask> mask(int n) {
    if (uniform(0, 1) == 0) return std::nullopt;
    return npu::ref::CausalMask{uniform(0, n + 3), uniform(-8, 4)};
  }
  std::vector<std::uint16_t> random_row(int n) {
    const int centre = uniform(120, 134);
    std::vector<std::uint16_t> x(static_cast<std::size_t>(n));
    for (auto& v : x) v = bf16(centre - 6, centre + 3);
    return x;
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

void add(std::vector<RowCase>& rows, std::vector<Cfg>& cfgs, std::vector<std::uint16_t> x, Cfg c,
         std::string label) {
  RowCase r;
  r.want = npu::ref::softmax_bf16(x, c.scale, c.mask);
  r.in = std::move(x);
  r.label = c.mask ? fmt::format("{}, mask row {} offset {}", label, c.mask->row, c.mask->offset) : label;
  rows.push_back(std::move(r));
  cfgs.push_back(c);
}

void edge_rows(std::vector<RowCase>& rows, std::vector<Cfg>& cfgs, RowGen& g) {
  const std::uint32_t one = 0x3F800000u;
  const std::uint16_t nan = 0x7FC1, pinf = 0x7F80, ninf = 0xFF80;
  add(rows, cfgs, std::vector<std::uint16_t>(37, 0x4040), {one, {}}, "all equal");
  add(rows, cfgs, std::vector<std::uint16_t>(kMaxLen, 0xC2F0), {one, {}}, "all equal MaxLen");
  auto dom = g.random_row(20);
  dom[7] = 0x4300;  // 128: every other exp underflows
  add(rows, cfgs, dom, {one, {}}, "one dominant max");
  std::vector<std::uint16_t> range;
  for (int i = 0; i < 40; ++i) range.push_back(g.bf16(1, 254));
  add(rows, cfgs, range, {one, {}}, "huge dynamic range");
  add(rows, cfgs, range, {0x00800000u, {}}, "tiny scale");
  add(rows, cfgs, g.random_row(30), {one, npu::ref::CausalMask{0, 0}}, "all masked but one");
  add(rows, cfgs, g.random_row(30), {one, npu::ref::CausalMask{3, -4}}, "all masked");
  add(rows, cfgs, g.random_row(1), {one, {}}, "length 1");
  add(rows, cfgs, g.random_row(1), {one, npu::ref::CausalMask{0, -1}}, "length 1 masked");
  add(rows, cfgs, g.random_row(kMaxLen), {g.scale(), {}}, "length MaxLen");
  add(rows, cfgs, g.random_row(kMaxLen), {g.scale(), npu::ref::CausalMask{40, 0}}, "length MaxLen masked");
  auto with = [&](std::vector<std::uint16_t> x, std::size_t at, std::uint16_t v) { x.at(at) = v; return x; };
  add(rows, cfgs, with(g.random_row(10), 4, nan), {one, {}}, "NaN input");
  add(rows, cfgs, with(g.random_row(10), 9, nan), {one, npu::ref::CausalMask{5, 0}}, "NaN masked out");
  add(rows, cfgs, with(g.random_row(10), 2, pinf), {one, {}}, "+Inf input");
  add(rows, cfgs, with(g.random_row(10), 2, ninf), {one, {}}, "-Inf input");
  add(rows, cfgs, std::vector<std::uint16_t>(8, ninf), {one, {}}, "all -Inf");
  add(rows, cfgs, {0x0000, 0x8000, 0x0001, 0x8042, 0x0000}, {one, {}}, "zeros and subnormals");
  add(rows, cfgs, {0x8000, 0x0000, 0xBF80}, {one, {}}, "-0 before +0");
  add(rows, cfgs, g.random_row(12), {0x7FC00000u, {}}, "NaN scale");
  add(rows, cfgs, g.random_row(12), {0x00000000u, {}}, "zero scale");
  add(rows, cfgs, g.random_row(12), {0x7F000000u, {}}, "huge scale (Inf products)");
  add(rows, cfgs, g.random_row(12), {0xBF800000u, {}}, "negative scale");
  add(rows, cfgs, {0x7F7F, 0x7F7F, 0xFF7F}, {0x7F000000u, {}}, "+Inf max from overflow");
}

std::string run(std::uint64_t seed, const std::string& test, int random_rows, bool vary,
                npu::tb::v1::StreamStats* stats = nullptr) {
  RowGen g(seed);
  std::vector<RowCase> rows;
  std::vector<Cfg> cfgs;
  edge_rows(rows, cfgs, g);
  for (int i = 0; i < random_rows; ++i) {
    const int n = g.uniform(0, 5) == 0 ? g.uniform(1, 4) : g.uniform(1, kMaxLen);
    add(rows, cfgs, g.random_row(n), {g.scale(), g.mask(n)}, fmt::format("random {}", i));
  }
  SimControl<Vvec_softmax_bf16> sim(npu::tb::env_waves());
  sim.dut().in_valid_i = 0;
  sim.dut().out_ready_i = 0;
  sim.reset();
  std::mt19937_64 noise(seed + 17);
  return npu::tb::v1::run_rows<Vvec_softmax_bf16>(
      sim, seed, test, kLanes, rows, vary,
      [&](Vvec_softmax_bf16& dut, std::size_t row, bool first) {
        if (first && row < cfgs.size()) {
          const Cfg& c = cfgs[row];
          dut.cfg_scale_i = c.scale;
          dut.cfg_mask_en_i = c.mask.has_value();
          dut.cfg_mask_row_i = c.mask ? static_cast<std::uint32_t>(c.mask->row) : 0u;
          dut.cfg_mask_offset_i = c.mask ? static_cast<std::uint32_t>(c.mask->offset) : 0u;
        } else {  // only the first beat's configuration counts
          dut.cfg_scale_i = static_cast<std::uint32_t>(noise());
          dut.cfg_mask_en_i = noise() & 1u;
          dut.cfg_mask_row_i = static_cast<std::uint32_t>(noise());
          dut.cfg_mask_offset_i = static_cast<std::uint32_t>(noise());
        }
      },
      kStallLimit, stats);
}

}  // namespace

TEST_CASE("vec_softmax_bf16: edge rows and random rows under back-pressure", "[vec][v1][softmax]") {
  const std::string test = "vec_softmax_bf16: edge rows and random rows under back-pressure";
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2, 3})) {
    npu::tb::v1::announce(seed, test);
    INFO("seed " << seed);
    const std::string err = run(seed, test, 1000, true);
    INFO(err);
    REQUIRE(err.empty());
  }
}

TEST_CASE("vec_softmax_bf16: cycles per row without back-pressure", "[vec][v1][softmax]") {
  const std::string test = "vec_softmax_bf16: cycles per row without back-pressure";
  const std::uint64_t seed = npu::tb::test_seeds({4}).front();
  npu::tb::v1::announce(seed, test);
  npu::tb::v1::StreamStats st;
  const std::string err = run(seed, test, 100, false, &st);
  INFO(err);
    REQUIRE(err.empty());
  fmt::print("  {} elements, {} beats in {} cycles\n", st.elements, st.beats, st.cycles);
}
