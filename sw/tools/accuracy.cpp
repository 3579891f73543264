// Prints the vector engine accuracy table (markdown) measured against
// float64/long-double math. Usage: accuracy [--seed N] [--quick]
// Exit status 1 if a measured maximum exceeds the bound the tests assert.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <fmt/core.h>

#include "npu/ref/vec_accuracy.hpp"

int main(int argc, char** argv) {
  uint64_t seed = 1;
  bool full = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--quick") {
      full = false;
    } else {
      fmt::print(stderr, "usage: {} [--seed N] [--quick]\n", argv[0]);
      return 2;
    }
  }
  int status = 0;
  fmt::print("Measured by `sw/tools/accuracy` (seed {}{}); \"bound\" is what the tests assert.\n\n", seed,
             full ? "" : ", quick");
  fmt::print("| function | path | input set | unit | max error | mean error | bound |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (const auto& c : npu::ref::accuracy::cases()) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto st = c.run(seed, full);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("| {} | {} | {} | {} | {:.4g} | {:.4g} | {:.4g} |\n", c.function, c.path, c.inputs, c.unit, st.max,
               st.mean(), c.bound);
    fmt::print(stderr, "{} {} [{}]: {} samples, {:.2f} s, worst: {}\n", c.function, c.path, c.inputs, st.count,
               secs, st.worst);
    if (st.max > c.bound + npu::ref::accuracy::kBoundSlack) status = 1;
  }
  return status;
}
