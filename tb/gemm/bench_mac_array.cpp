// Simulation speed of the MAC array alone (make bench): the model of the
// configuration it is built for, fed a new A row every cycle and a weight tile
// whenever the array takes one, in INT8 and BF16. Prints simulated cycles per
// second, so the array's share of npu_top's speed can be read off.
#include "Vmac_array.h"
#include "verilated.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <random>

namespace {

constexpr unsigned kRows = NPU_ROWS, kCols = NPU_COLS;
constexpr unsigned kMaxN = kRows > kCols ? kRows : kCols;

template <class Port>
void randomize(Port& p, unsigned bits, std::mt19937& rng, std::uint32_t mask) {
  for (unsigned w = 0; w < (bits + 31) / 32; ++w) p[w] = rng() & mask;
}

struct Result {
  double cycles_per_s;
  std::uint64_t rows_out;
};

Result run(unsigned mode, std::uint64_t cycles) {
  VerilatedContext ctx;
  Vmac_array m(&ctx, "TOP");
  std::mt19937 rng(1);
  m.clk_i = 0;
  m.rst_ni = 0;
  m.eval();
  m.rst_ni = 1;
  m.eval();
  // BF16 operands of moderate magnitude (exponent below 0x7F: no overflow to Inf)
  const std::uint32_t a_mask = mode == 1 ? 0x3F7F3F7Fu : 0xFFFFFFFFu;
  std::uint64_t rows = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t c = 0; c < cycles; ++c) {
    m.w_valid_i = 1;
    m.w_tr_i = 0;
    randomize(m.w_data_i, kMaxN * 16, rng, a_mask);
    m.a_valid_i = 1;
    m.a_mode_i = mode;
    m.a_last_i = (c % 64) == 63;
    randomize(m.a_data_i, kRows * 16, rng, a_mask);
    randomize(m.a_acc_i, kCols * 32, rng, 0x3FFFFFFFu);
    m.c_ready_i = 1;
    m.clk_i = 1;
    m.eval();
    rows += m.c_valid_o;
    m.clk_i = 0;
    m.eval();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.final();
  return {cycles / s, rows};
}

}  // namespace

int main() {
  constexpr std::uint64_t kCycles = 200'000;
  fmt::print("mac_array {}x{} ({}), {} cycles per mode\n", kRows, kCols, NPU_CONFIG_NAME, kCycles);
  for (unsigned mode : {0u, 1u}) {
    const Result r = run(mode, kCycles);
    fmt::print("  {:<5} {:.0f} cycles/s, {} result rows\n", mode == 1 ? "BF16" : "INT8", r.cycles_per_s,
               r.rows_out);
    if (r.rows_out == 0) {
      fmt::print("  no result rows: the array did not run\n");
      return 1;
    }
  }
  return 0;
}
