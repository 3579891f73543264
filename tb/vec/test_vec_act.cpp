// vec_act_bf16 (Lanes = 3): every BF16 input through GELU and SiLU, bit-exact
// against npu::ref::gelu_bf16 / silu_bf16, in rows of random length (keep
// prefix on last beats), per-row cfg_func_i switching and random back-pressure.
//   NPU_SEED=<n> replays one seed; NPU_WAVES=<x.fst> traces the run.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_act_bf16.h"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "v1_stream.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::v1::RowCase;
constexpr unsigned kLanes = 3;  // matches -GLanes in bf16_softmax_act.cmake
constexpr std::uint64_t kStallLimit = 1000;

// Rows of random length covering `values` once, for function `silu`.
void add_rows(std::vector<RowCase>& rows, std::vector<bool>& silu, const std::vector<std::uint16_t>& values,
              bool is_silu, std::mt19937_64& rng) {
  std::size_t i = 0;
  while (i < values.size()) {
    const std::size_t n = std::min<std::size_t>(values.size() - i, std::uniform_int_distribution<int>(1, 40)(rng));
    RowCase r;
    r.label = is_silu ? "silu" : "gelu";
    for (std::size_t j = 0; j < n; ++j, ++i) {
      r.in.push_back(values[i]);
      r.want.push_back(is_silu ? npu::ref::silu_bf16(values[i]) : npu::ref::gelu_bf16(values[i]));
    }
    rows.push_back(std::move(r));
    silu.push_back(is_silu);
  }
}

std::string run(std::uint64_t seed, const std::string& test, std::vector<std::uint16_t> values, bool vary,
                npu::tb::v1::StreamStats* stats = nullptr) {
  std::mt19937_64 rng(seed);
  std::vector<RowCase> gelu_rows, silu_rows, rows;
  std::vector<bool> gelu_f, silu_f, func;
  std::shuffle(values.begin(), values.end(), rng);
  add_rows(gelu_rows, gelu_f, values, false, rng);
  std::shuffle(values.begin(), values.end(), rng);
  add_rows(silu_rows, silu_f, values, true, rng);
  // Interleave the two row lists randomly.
  std::size_t a = 0, b = 0;
  while (a < gelu_rows.size() || b < silu_rows.size()) {
    const bool take_silu = a == gelu_rows.size() || (b < silu_rows.size() && (rng() & 1u));
    rows.push_back(take_silu ? silu_rows[b++] : gelu_rows[a++]);
    func.push_back(take_silu);
  }
  SimControl<Vvec_act_bf16> sim(npu::tb::env_waves());
  sim.dut().in_valid_i = 0;
  sim.dut().out_ready_i = 0;
  sim.reset();
  std::mt19937_64 noise(seed + 17);
  return npu::tb::v1::run_rows<Vvec_act_bf16>(
      sim, seed, test, kLanes, rows, vary,
      [&](Vvec_act_bf16& dut, std::size_t row, bool first) {
        // Only the first beat's value counts; anything else must be ignored.
        dut.cfg_func_i = first && row < func.size() ? func[row] : (noise() & 1u);
      },
      kStallLimit, stats);
}

}  // namespace

TEST_CASE("vec_act_bf16: all 65536 inputs for GELU and SiLU under back-pressure", "[vec][v1][act]") {
  const std::string test = "vec_act_bf16: all 65536 inputs for GELU and SiLU under back-pressure";
  std::vector<std::uint16_t> all(65536);
  std::iota(all.begin(), all.end(), std::uint16_t{0});
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    npu::tb::v1::announce(seed, test);
    INFO("seed " << seed);
    const std::string err = run(seed, test, all, true);
    INFO(err);
    REQUIRE(err.empty());
  }
}

TEST_CASE("vec_act_bf16: random inputs more seeds and full throughput", "[vec][v1][act]") {
  const std::string test = "vec_act_bf16: random inputs more seeds and full throughput";
  for (const std::uint64_t seed : npu::tb::test_seeds({2, 3})) {
    npu::tb::v1::announce(seed, test);
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    std::vector<std::uint16_t> values(6000);
    for (auto& v : values) v = static_cast<std::uint16_t>(rng());
    const std::string err = run(seed, test, values, true);
    INFO(err);
    REQUIRE(err.empty());
    // No back-pressure: one beat per cycle after the pipeline fills.
    npu::tb::v1::StreamStats st;
    const std::string err2 = run(seed, test, values, false, &st);
    INFO(err2);
    REQUIRE(err2.empty());
    INFO("cycles " << st.cycles << " beats " << st.beats);
    CHECK(st.cycles <= st.beats + 64);  // one beat per cycle plus the pipeline latency (57)
  }
}
