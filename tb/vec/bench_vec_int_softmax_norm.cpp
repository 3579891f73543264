// Throughput bench of vec_softmax_i8 and vec_norm_i32 (Lanes = 4,
// MaxLen = 1024): streams long rows with no back-pressure, checks them
// bit-exactly, and prints elements, cycles, elements/cycle and
// elements/lane/cycle per unit. Runs the hidden "[bench]" cases; extra
// Catch2 arguments pass through.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_norm_i32.h"
#include "Vvec_softmax_i8.h"
#include "int_row_stream.hpp"

#include <cstdint>
#include <random>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::introw::Flow;

constexpr unsigned kLanes = 4;
constexpr std::size_t kRowLen = 1024;  // = MaxLen of the bench models
constexpr int kRows = 4;
constexpr std::uint64_t kSeed = 1;

void report(const char* unit, std::size_t elems, const npu::tb::introw::RunStats& st) {
  const double epc = static_cast<double>(elems) / static_cast<double>(st.cycles);
  fmt::print("{:16} rows {}x{} lanes {}: elements {} cycles {} elements/cycle {:.3f} "
             "elements/lane/cycle {:.3f} first output after {} cycles\n",
             unit, kRows, kRowLen, kLanes, elems, st.cycles, epc, epc / kLanes, st.first_out);
}

}  // namespace

TEST_CASE("bench vec_softmax_i8", "[.][bench]") {
  std::mt19937_64 rng(kSeed);
  std::uniform_int_distribution<int> val(-128, 127);
  std::vector<std::vector<int8_t>> rows(kRows);
  std::vector<std::vector<std::uint8_t>> expected;
  for (auto& r : rows) {
    for (std::size_t j = 0; j < kRowLen; ++j) r.push_back(static_cast<int8_t>(val(rng)));
    expected.push_back(npu::ref::softmax_i8(r, 1u << 19));
  }
  SimControl<Vvec_softmax_i8> sim(npu::tb::env_waves());
  sim.reset();
  auto drive = [&](Vvec_softmax_i8& d, std::size_t row, std::size_t off, std::size_t n) {
    for (unsigned l = 0; l < kLanes; ++l)
      npu::tb::put_bits(d.in_data_i, l * 16, 16, l < n ? static_cast<std::uint8_t>(rows[row][off + l]) : 0u);
    d.cfg_scale_q20_i = 1u << 19;
    d.cfg_mask_en_i = 0;
  };
  const auto st = npu::tb::introw::run_rows(sim, kLanes, std::vector<std::size_t>(kRows, kRowLen), expected,
                                            drive, [](Vvec_softmax_i8&) {}, Flow{}, rng, kSeed);
  INFO(st.error);
  REQUIRE(st.error.empty());
  report("vec_softmax_i8", kRows * kRowLen, st);
}

TEST_CASE("bench vec_norm_i32", "[.][bench]") {
  std::mt19937_64 rng(kSeed);
  std::normal_distribution<double> g(100.0, 800.0);
  std::uniform_int_distribution<int> gam(-128, 127);
  const npu::ref::IntNormParams p{64, {1 << 30, -13, 0}};
  std::vector<std::vector<int32_t>> xs(kRows), betas(kRows);
  std::vector<std::vector<int8_t>> gammas(kRows);
  std::vector<std::vector<std::uint8_t>> expected;
  for (int r = 0; r < kRows; ++r) {
    for (std::size_t j = 0; j < kRowLen; ++j) {
      xs[r].push_back(static_cast<int32_t>(g(rng)));
      gammas[r].push_back(static_cast<int8_t>(gam(rng)));
      betas[r].push_back(gam(rng) * 1000);
    }
    const auto y = (r % 2) ? npu::ref::rmsnorm_i32(xs[r], gammas[r], betas[r], p)
                           : npu::ref::layernorm_i32(xs[r], gammas[r], betas[r], p);
    expected.emplace_back(y.begin(), y.end());
  }
  SimControl<Vvec_norm_i32> sim(npu::tb::env_waves());
  sim.reset();
  auto drive = [&](Vvec_norm_i32& d, std::size_t row, std::size_t off, std::size_t n) {
    for (unsigned l = 0; l < kLanes; ++l) {
      const bool k = l < n;
      npu::tb::put_bits(d.in_data_i, l * 32, 32, k ? static_cast<std::uint32_t>(xs[row][off + l]) : 0u);
      npu::tb::put_bits(d.in_gamma_i, l * 8, 8, k ? static_cast<std::uint8_t>(gammas[row][off + l]) : 0u);
      npu::tb::put_bits(d.in_beta_i, l * 32, 32, k ? static_cast<std::uint32_t>(betas[row][off + l]) : 0u);
    }
    d.cfg_rms_i = row % 2;
    d.cfg_eps_q16_i = p.eps_q16;
    d.cfg_mult_i = static_cast<std::uint32_t>(p.out.multiplier);
    d.cfg_shift_i = static_cast<std::uint32_t>(p.out.shift) & 0x3Fu;
    d.cfg_zp_i = static_cast<std::uint32_t>(p.out.zero_point);
  };
  const auto st = npu::tb::introw::run_rows(sim, kLanes, std::vector<std::size_t>(kRows, kRowLen), expected,
                                            drive, [](Vvec_norm_i32&) {}, Flow{}, rng, kSeed);
  INFO(st.error);
  REQUIRE(st.error.empty());
  report("vec_norm_i32", kRows * kRowLen, st);
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (session.configData().testsOrTags.empty()) session.configData().testsOrTags = {"[bench]"};
  return session.run();
}
