// Throughput of the BF16 norm / element-wise group with no back-pressure:
// long rows streamed back to back, cycles from reset release to the last
// output beat. Uses the test models (see bf16_norm_eltwise.cmake for Lanes
// and MaxLen). Not a test; results are checked against the model anyway.
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_eltwise_bf16.h"
#include "Vvec_layernorm_bf16.h"
#include "Vvec_rmsnorm_bf16.h"
#include "bf16_row_stream.hpp"

#include <cstdint>
#include <random>
#include <type_traits>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;
using npu::tb::vec::Bf16Row;

constexpr unsigned kEwLanes = 3, kLnLanes = 3, kLnMaxLen = 64, kRmsLanes = 4, kRmsMaxLen = 50;

std::uint16_t rnd_bf16(std::mt19937_64& rng) {  // finite, moderate
  return static_cast<std::uint16_t>(((rng() & 1u) << 15) | (std::uniform_int_distribution<int>(110, 140)(rng) << 7) |
                                    (rng() & 0x7Fu));
}

void report(const char* unit, unsigned lanes, std::size_t n, const npu::tb::vec::StreamResult& r) {
  if (!r.error.empty()) {
    fmt::print("{}: FAILED: {}\n", unit, r.error);
    return;
  }
  const double epc = static_cast<double>(r.elements) / static_cast<double>(r.cycles);
  fmt::print("{:<20} row length {:>5}: {:>7} elements {:>8} cycles  {:.3f} elements/cycle  "
             "{:.3f} elements/lane/cycle (Lanes={})\n", unit, n, r.elements, r.cycles, epc, epc / lanes, lanes);
}

template <class Dut, class Drive, class Ref>
void bench(const char* unit, unsigned lanes, std::size_t n, std::size_t rows_count, Drive drive, Ref ref) {
  std::mt19937_64 rng(7);
  std::vector<Bf16Row> rows;
  std::vector<std::vector<std::uint16_t>> want;
  for (std::size_t i = 0; i < rows_count; ++i) {
    Bf16Row r;
    r.cfg = 0x3727C5ACu;
    for (std::size_t j = 0; j < n; ++j) {
      r.x.push_back(rnd_bf16(rng));
      r.b.push_back(rnd_bf16(rng));
      r.c.push_back(rnd_bf16(rng));
    }
    want.push_back(ref(r));
    rows.push_back(std::move(r));
  }
  SimControl<Dut> sim;
  sim.dut().in_valid_i = 0;
  sim.dut().out_ready_i = 1;
  sim.reset();
  npu::tb::vec::Flow flow;
  flow.vary = false;
  report(unit, lanes, n, npu::tb::vec::stream_rows(sim, lanes, rows, want, 7, flow, 100000, "", drive));
}

template <class Dut>
auto norm_drive(unsigned lanes, bool beta) {
  return [lanes, beta](Dut& d, const Bf16Row& row, std::size_t first, bool valid, std::mt19937_64&) {
    for (unsigned l = 0; l < lanes; ++l) {
      const bool have = valid && first + l < row.x.size();
      npu::tb::put_bits(d.in_data_i, l * 16, 16, have ? row.x[first + l] : 0u);
      npu::tb::put_bits(d.in_gamma_i, l * 16, 16, have ? row.b[first + l] : 0u);
      if constexpr (std::is_same_v<Dut, Vvec_layernorm_bf16>)
        npu::tb::put_bits(d.in_beta_i, l * 16, 16, (have && beta) ? row.c[first + l] : 0u);
    }
    d.cfg_eps_i = row.cfg;
  };
}

}  // namespace

int main() {
  auto ew = [](std::uint32_t op) {
    return [op](Vvec_eltwise_bf16& d, const Bf16Row& row, std::size_t first, bool valid, std::mt19937_64&) {
      for (unsigned l = 0; l < kEwLanes; ++l) {
        const bool have = valid && first + l < row.x.size();
        npu::tb::put_bits(d.in_data_i, l * 16, 16, have ? row.x[first + l] : 0u);
        npu::tb::put_bits(d.in_b_i, l * 16, 16, have ? row.b[first + l] : 0u);
      }
      d.cfg_op_i = op;
    };
  };
  auto ew_ref = [](std::uint32_t op) {
    return [op](const Bf16Row& r) {
      std::vector<std::uint16_t> y;
      for (std::size_t j = 0; j < r.x.size(); ++j)
        y.push_back(op ? npu::ref::mul_bf16(r.x[j], r.b[j]) : npu::ref::add_bf16(r.x[j], r.b[j]));
      return y;
    };
  };
  bench<Vvec_eltwise_bf16>("eltwise_bf16 add", kEwLanes, 4095, 16, ew(0), ew_ref(0));
  bench<Vvec_eltwise_bf16>("eltwise_bf16 mul", kEwLanes, 4095, 16, ew(1), ew_ref(1));
  for (std::size_t n : {std::size_t{1}, std::size_t{16}, std::size_t{kLnMaxLen}})
    bench<Vvec_layernorm_bf16>("layernorm_bf16", kLnLanes, n, 200, norm_drive<Vvec_layernorm_bf16>(kLnLanes, true),
                               [](const Bf16Row& r) { return npu::ref::layernorm_bf16(r.x, r.b, r.c, r.cfg); });
  for (std::size_t n : {std::size_t{1}, std::size_t{16}, std::size_t{kRmsMaxLen}})
    bench<Vvec_rmsnorm_bf16>("rmsnorm_bf16", kRmsLanes, n, 200, norm_drive<Vvec_rmsnorm_bf16>(kRmsLanes, false),
                             [](const Bf16Row& r) { return npu::ref::rmsnorm_bf16(r.x, r.b, r.cfg); });
  return 0;
}
