// Throughput of the group V1 units with no back-pressure (test shapes:
// Lanes = 3, softmax MaxLen = 64): elements, cycles, elements per cycle and
// per lane per cycle. Results are still checked against the model.
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_act_bf16.h"
#include "Vvec_softmax_bf16.h"
#include "sim_control.hpp"
#include "v1_stream.hpp"

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr unsigned kLanes = 3;
constexpr unsigned kMaxLen = 64;

void report(const char* unit, const npu::tb::v1::StreamStats& st) {
  const double epc = static_cast<double>(st.elements) / static_cast<double>(st.cycles);
  fmt::print("{:<28} elements {:>7}  cycles {:>7}  elements/cycle {:.3f}  elements/lane/cycle {:.3f}\n", unit,
             st.elements, st.cycles, epc, epc / kLanes);
}

std::vector<std::uint16_t> random_row(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint16_t> x(n);
  for (auto& v : x) v = static_cast<std::uint16_t>(((rng() & 1u) << 15) | ((120u + rng() % 14u) << 7) | (rng() & 0x7Fu));
  return x;
}

}  // namespace

int main() {
  std::mt19937_64 rng(1);
  int status = 0;
  for (const bool silu : {false, true}) {
    std::vector<npu::tb::v1::RowCase> rows;
    for (int r = 0; r < 10; ++r) {
      npu::tb::v1::RowCase c;
      c.in = random_row(rng, 3000);
      for (auto v : c.in) c.want.push_back(silu ? npu::ref::silu_bf16(v) : npu::ref::gelu_bf16(v));
      c.label = silu ? "silu" : "gelu";
      rows.push_back(std::move(c));
    }
    npu::tb::SimControl<Vvec_act_bf16> sim;
    sim.dut().in_valid_i = 0;
    sim.dut().out_ready_i = 0;
    sim.reset();
    npu::tb::v1::StreamStats st;
    const std::string err = npu::tb::v1::run_rows<Vvec_act_bf16>(
        sim, 1, "bench", kLanes, rows, false,
        [&](Vvec_act_bf16& dut, std::size_t, bool) { dut.cfg_func_i = silu; }, 1000, &st);
    if (!err.empty()) { fmt::print(stderr, "{}\n", err); status = 1; }
    report(silu ? "vec_act_bf16 (SiLU)" : "vec_act_bf16 (GELU)", st);
  }
  for (const std::size_t n : {std::size_t{kMaxLen}, std::size_t{8}}) {
    std::vector<npu::tb::v1::RowCase> rows;
    for (int r = 0; r < 200; ++r) {
      npu::tb::v1::RowCase c;
      c.in = random_row(rng, n);
      c.want = npu::ref::softmax_bf16(c.in, 0x3F800000u);
      c.label = "softmax";
      rows.push_back(std::move(c));
    }
    npu::tb::SimControl<Vvec_softmax_bf16> sim;
    sim.dut().in_valid_i = 0;
    sim.dut().out_ready_i = 0;
    sim.reset();
    npu::tb::v1::StreamStats st;
    const std::string err = npu::tb::v1::run_rows<Vvec_softmax_bf16>(
        sim, 1, "bench", kLanes, rows, false,
        [&](Vvec_softmax_bf16& dut, std::size_t, bool) {
          dut.cfg_scale_i = 0x3F800000u;
          dut.cfg_mask_en_i = 0;
        },
        5000, &st);
    if (!err.empty()) { fmt::print(stderr, "{}\n", err); status = 1; }
    report(fmt::format("vec_softmax_bf16 (n = {})", n).c_str(), st);
  }
  return status;
}
