// Top-level tests: command streams run DRAM to DRAM through npu_top (the
// `small` configuration), driven by the runtime, checked bit-exactly.
#include "gemm_flow.hpp"
#include "top_bench.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>

using namespace npu;
using npu::tb::TopBench;

namespace {

constexpr std::uint64_t kTimeout = 2'000'000;

std::string rerun(std::uint64_t seed) {
  return fmt::format("rerun: NPU_SEED={} NPU_WAVES={} {} \"{}\"", seed,
                     tb::suggested_waves_path(Catch::getResultCapture().getCurrentTestName()),
                     tb::self_executable(), Catch::getResultCapture().getCurrentTestName());
}

void check_gemm(const compiler::GemmShape& s, std::uint64_t seed, tb::axi::AxiMemoryConfig mem = {}) {
  tb::TopBenchOptions o;
  o.mem = mem;
  TopBench bench(16, o);
  const auto run = tb::run_gemm(bench, s, seed, kTimeout);
  INFO(fmt::format("seed {} M={} K={} N={} {}: {} commands, {}", seed, s.m, s.k, s.n,
                   s.type == compiler::DType::Int8 ? "INT8" : "BF16", run.commands,
                   run.result.describe()));
  INFO(rerun(seed));
  REQUIRE(run.result.ok());
  if (run.mismatch) FAIL(*run.mismatch);
  // Performance counters: MACs issued and DMA data bytes (command fetch is
  // not DMA traffic); busy cycles bound the engines' busy cycles.
  CHECK(run.counters.macs == run.expect_macs);
  CHECK(run.counters.dma_rd_bytes == run.expect_rd_bytes);
  CHECK(run.counters.dma_wr_bytes == run.expect_wr_bytes);
  CHECK(run.counters.gemm_busy <= run.counters.cycles);
  CHECK(run.counters.gemm_busy >= run.expect_macs / (bench.dev().hw().rows * bench.dev().hw().cols));
  CHECK(run.counters.vec_busy == 0);
}

}  // namespace

TEST_CASE("GEMM INT8 through the accelerator matches the reference bit for bit") {
  for (auto seed : tb::test_seeds({1, 2, 3})) {
    std::mt19937_64 rng(seed);
    compiler::GemmShape s;
    s.m = 1 + rng() % 40;
    s.k = 1 + rng() % 30;
    s.n = 1 + rng() % 23;
    s.type = compiler::DType::Int8;
    check_gemm(s, seed);
  }
}

TEST_CASE("GEMM BF16 through the accelerator matches the reference bit for bit") {
  for (auto seed : tb::test_seeds({4, 5, 6})) {
    std::mt19937_64 rng(seed);
    compiler::GemmShape s;
    s.m = 1 + rng() % 40;
    s.k = 1 + rng() % 30;
    s.n = 1 + rng() % 23;
    s.type = compiler::DType::Bf16;
    check_gemm(s, seed);
  }
}

TEST_CASE("GEMM with several M blocks and chunked K overlaps load compute and store") {
  // small: ACC 256 rows -> M blocks of <= 128; WSPAD 256 words -> K chunks of
  // <= 32 tiles (128 elements), so K = 150 is split and accumulated.
  for (auto seed : tb::test_seeds({7})) {
    compiler::GemmShape s;
    s.m = 300;
    s.k = 150;
    s.n = 11;
    s.type = seed % 2 ? compiler::DType::Int8 : compiler::DType::Bf16;
    check_gemm(s, seed);
    s.type = seed % 2 ? compiler::DType::Bf16 : compiler::DType::Int8;
    check_gemm(s, seed + 1);
  }
}

TEST_CASE("GEMM is bit-exact under memory latency back-pressure and random stalls") {
  for (auto seed : tb::test_seeds({11, 12})) {
    std::mt19937_64 rng(seed);
    tb::axi::AxiMemoryConfig mem;
    mem.read_latency = 1 + rng() % 60;
    mem.write_latency = 1 + rng() % 60;
    mem.beat_interval = 1 + rng() % 3;
    mem.stall_prob = 0.3;
    mem.seed = seed;
    mem.reorder = true;
    compiler::GemmShape s;
    s.m = 1 + rng() % 70;
    s.k = 1 + rng() % 50;
    s.n = 1 + rng() % 17;
    s.type = rng() % 2 ? compiler::DType::Int8 : compiler::DType::Bf16;
    check_gemm(s, seed, mem);
  }
}
