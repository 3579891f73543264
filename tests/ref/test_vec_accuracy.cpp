// Vector engine accuracy against float64/long-double math: the same cases and
// bounds as the published table (sw/tools/accuracy). Default suite: fewer
// random rows; [nightly]: the full table input sets.
#include <catch2/catch.hpp>

#include "npu/ref/vec_accuracy.hpp"
#include "test_util.hpp"

namespace acc = npu::ref::accuracy;

namespace {
void run_cases(bool full) {
  const uint64_t seed = npu::test::test_seed(full ? "vec accuracy (full)" : "vec accuracy");
  for (const auto& c : acc::cases()) {
    const auto st = c.run(seed, full);
    INFO(c.function << " / " << c.path << " / " << c.inputs << ": max " << st.max << " " << c.unit << " (bound "
                    << c.bound << "), mean " << st.mean() << ", worst " << st.worst);
    CHECK(st.count > 0);
    CHECK(st.max <= c.bound + acc::kBoundSlack);
  }
}
}  // namespace

TEST_CASE("vec accuracy: every table row within its bound", "[vec]") { run_cases(false); }

TEST_CASE("vec accuracy: full table input sets", "[vec][nightly]") { run_cases(true); }

TEST_CASE("vec accuracy: the metrics can fail", "[vec]") {
  // A deliberately wrong pairing must show large errors, so a passing run
  // above is not an artefact of the measurement.
  const auto wrong = acc::unary_bf16_error(npu::ref::silu_bf16, acc::gelu_tanh_exact);
  CHECK(wrong.max > 10);
  CHECK(acc::bf16_ulp_diff(0x3F80, 0x3F81) == 1);
  CHECK(acc::bf16_ulp_diff(0x0080, 0x8080) == 2);
  CHECK(acc::bf16_ulp_diff(0x7FC0, 0x3F80) > 1e6);
  CHECK(acc::to_bf16(1.0L + 1.0L / 256) == 0x3F80);          // tie -> even
  CHECK(acc::to_bf16(1.0L + 3.0L / 256) == 0x3F82);          // tie -> even (up)
  CHECK(acc::to_bf16(std::ldexp(1.0L, -127)) == 0x0000);     // FTZ
  CHECK(acc::to_bf16(std::ldexp(1.0L, 128)) == 0x7F80);      // overflow
}
