// Reset behaviour: npu_top built with --x-assign unique --x-initial unique
// powers up with every flop and memory bit random (per seed). After the
// hard reset the accelerator must report idle, no fault, head 0, and run a
// GEMM bit-exactly; soft reset must recover from a fault the same way.
#include "gemm_flow.hpp"
#include "top_bench.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace npu;

TEST_CASE("After a hard reset from random state the accelerator is idle and computes exactly") {
  for (auto seed : tb::test_seeds({1, 2, 3, 4})) {
    INFO(fmt::format("x-initial seed {} (replay: NPU_SEED={})", seed, seed));
    tb::TopBenchOptions o;
    o.x_seed = seed;
    tb::TopBench tb(16, o);
    auto& dev = tb.dev();
    CHECK((dev.status() & 0x7u) == 0x4u);  // IDLE, not BUSY, no FAULT
    CHECK(dev.counters().macs == 0);
    for (auto type : {compiler::DType::Int8, compiler::DType::Bf16}) {
      compiler::GemmShape s;
      s.m = 13;
      s.k = 9;
      s.n = 7;
      s.type = type;
      const auto r = tb::run_gemm(tb, s, seed, 500'000);
      INFO(r.result.describe());
      REQUIRE(r.result.ok());
      if (r.mismatch) FAIL(*r.mismatch);
    }
  }
}
