// vec_gelu_i8 (I-BERT i-GELU + requantization) against npu::ref::gelu_i8:
// all 256 inputs for several input scales x output requantizations, rows of
// the sets interleaved (per-row configuration), plus random rows, with
// random back-pressure. Model: Lanes = 3.
//   NPU_SEED=<n> replays one seed, NPU_WAVES=<x.fst> writes a trace.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_gelu_i8.h"
#include "i8_stream.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

using npu::ref::RequantParams;
using npu::tb::SimControl;
namespace i8 = npu::tb::i8;

constexpr unsigned kLanes = 3;
constexpr unsigned kDepth = 7;
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();

struct GeluParams {
  std::uint32_t scale_q20 = 1u << 20;
  RequantParams out{};
};

struct Row {
  std::size_t set = 0;
  std::vector<std::int8_t> x;
};

// (M, s) representing `real` > 0 (TFLite QuantizeMultiplier), zero point zp.
RequantParams make_requant(double real, std::int32_t zp) {
  int e = 0;
  const double q = std::frexp(real, &e);  // real = q * 2^e, q in [0.5, 1)
  auto m = static_cast<std::int64_t>(std::llround(q * 2147483648.0));
  if (m == (std::int64_t{1} << 31)) m /= 2, ++e;
  e = std::clamp(e, -31, 30);
  return {static_cast<std::int32_t>(m), e, zp};
}

i8::StreamResult run(SimControl<Vvec_gelu_i8>& sim, const std::vector<GeluParams>& sets,
                     const std::vector<Row>& rows, std::uint64_t seed, i8::Flow flow) {
  i8::Rng junk(seed + 77);
  std::vector<std::size_t> lengths;
  std::vector<std::vector<std::uint16_t>> want;
  for (const Row& r : rows) {
    lengths.push_back(r.x.size());
    std::vector<std::uint16_t> w;
    for (const std::int8_t x : r.x)
      w.push_back(static_cast<std::uint8_t>(npu::ref::gelu_i8(x, sets[r.set].scale_q20, sets[r.set].out)));
    want.push_back(std::move(w));
  }
  return i8::run_stream<Vvec_gelu_i8>(
      sim, kLanes, i8::pack_rows(lengths, kLanes),
      [&](Vvec_gelu_i8& d, const i8::BeatRef& bt) {
        const Row& r = rows[bt.row];
        for (unsigned l = 0; l < kLanes; ++l) {
          const std::uint32_t j = junk.bits();
          npu::tb::put_bits(d.in_data_i, l * 16, 16,
                            (j & 0xFF00u) | (l < bt.count ? static_cast<std::uint8_t>(r.x[bt.offset + l]) : j & 0xFFu));
        }
        d.in_keep_i = (1u << bt.count) - 1u;
        d.in_last_i = bt.last;
        const GeluParams& p = sets[r.set];
        const bool f = bt.first;
        d.cfg_scale_q20_i = f ? p.scale_q20 : junk.bits() & 0x7FFFFFu;
        d.cfg_mult_i = f ? static_cast<std::uint32_t>(p.out.multiplier) : junk.bits() >> 1;
        d.cfg_shift_i = f ? static_cast<std::uint32_t>(p.out.shift) & 0x3Fu : junk.bits() & 0x3Fu;
        d.cfg_zero_point_i = f ? static_cast<std::uint32_t>(p.out.zero_point) : junk.bits();
      },
      want, seed, flow);
}

std::vector<Row> exhaustive_rows(std::size_t nsets, i8::Rng& g) {
  std::vector<int> next(nsets, -128);
  std::vector<std::size_t> open;
  for (std::size_t s = 0; s < nsets; ++s) open.push_back(s);
  std::vector<Row> rows;
  while (!open.empty()) {
    const auto k = static_cast<std::size_t>(g.uniform(0, static_cast<std::int64_t>(open.size()) - 1));
    Row r{open[k], {}};
    for (std::size_t n = g.row_length(kLanes); n > 0 && next[r.set] < 128; --n)
      r.x.push_back(static_cast<std::int8_t>(next[r.set]++));
    if (next[r.set] == 128) open.erase(open.begin() + static_cast<std::ptrdiff_t>(k));
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

TEST_CASE("vec_gelu_i8: all 256 inputs x 6 input scales x 4 output requantizations", "[vec][int8][gelu]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    i8::announce(seed);
    SimControl<Vvec_gelu_i8> sim(npu::tb::env_waves());
    sim.dut().in_valid_i = 0;
    sim.reset();
    i8::Rng g(seed);
    // S_q: the smallest, 2^-6, ~0.05, 1.0, ~2.67 and the largest (4.0).
    const std::uint32_t scales[] = {1u, 1u << 14, 52429u, 1u << 20, 0x2AAAAAu, 1u << 22};
    std::vector<GeluParams> sets;
    for (const std::uint32_t sq : scales) {
      const double s_in = sq / 1048576.0;
      const double s_out = std::max(s_in * 127.0, 1e-6) / 127.0;  // output range ~ input range
      for (const RequantParams& out :
           {make_requant(std::ldexp(1.0, -20) / s_out, 0), make_requant(std::ldexp(1.0, -20) / (2.5 * s_out), -20),
            RequantParams{kI32Max, 30, 0}, RequantParams{1 << 30, -20, 77}})
        sets.push_back({sq, out});
    }
    const auto rows = exhaustive_rows(sets.size(), g);
    const auto res = run(sim, sets, rows, seed, {});
    INFO("seed " << seed);
    if (!res.error.empty()) FAIL(res.error);
    fmt::print("  {} inputs ({} sets) in {} rows, {} cycles\n", sets.size() * 256, sets.size(), rows.size(),
               res.cycles);
  }
}

TEST_CASE("vec_gelu_i8: random scales and requantization per row with random back-pressure", "[vec][int8][gelu]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2, 3})) {
    i8::announce(seed);
    SimControl<Vvec_gelu_i8> sim(npu::tb::env_waves());
    sim.dut().in_valid_i = 0;
    sim.reset();
    i8::Rng g(seed);
    std::vector<GeluParams> sets;
    std::vector<Row> rows;
    for (int r = 0; r < 400; ++r) {
      GeluParams p;
      p.scale_q20 = static_cast<std::uint32_t>(g.coin() ? g.uniform(1, 1 << 22) : g.uniform(1 << 13, 1 << 19));
      p.out = g.coin(0.7) ? make_requant(std::ldexp(1.0, -20) / (p.scale_q20 / 1048576.0) * std::ldexp(1.0, static_cast<int>(g.uniform(-3, 3))),
                                         static_cast<std::int32_t>(g.uniform(-128, 127)))
                          : RequantParams{static_cast<std::int32_t>(g.uniform(0, kI32Max)), static_cast<int>(g.uniform(-31, 30)),
                                          static_cast<std::int32_t>(g.bits())};
      sets.push_back(p);
      Row row{sets.size() - 1, {}};
      for (std::size_t n = g.row_length(kLanes); n > 0; --n) row.x.push_back(static_cast<std::int8_t>(g.bits()));
      rows.push_back(std::move(row));
    }
    const auto res = run(sim, sets, rows, seed, {});
    INFO("seed " << seed);
    if (!res.error.empty()) FAIL(res.error);
  }
}

TEST_CASE("vec_gelu_i8: one beat per cycle without back-pressure and latency 7", "[vec][int8][gelu]") {
  SimControl<Vvec_gelu_i8> sim(npu::tb::env_waves());
  sim.dut().in_valid_i = 0;
  sim.reset();
  i8::Rng g(9);
  const std::vector<GeluParams> sets = {{52429u, make_requant(std::ldexp(1.0, -20) / 0.05, 0)}};
  std::vector<Row> rows;
  std::size_t beats = 0;
  for (int r = 0; r < 40; ++r) {
    Row row{0, {}};
    for (std::size_t n = g.row_length(kLanes); n > 0; --n) row.x.push_back(static_cast<std::int8_t>(g.bits()));
    beats += (row.x.size() + kLanes - 1) / kLanes;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = run(sim, sets, rows, 9, flow);
  if (!res.error.empty()) FAIL(res.error);
  CHECK(res.latency == kDepth);
  CHECK(res.cycles == beats + kDepth);
}

TEST_CASE("bench: vec_gelu_i8", "[.][bench]") {
  SimControl<Vvec_gelu_i8> sim;
  sim.dut().in_valid_i = 0;
  sim.reset();
  i8::Rng g(1);
  const std::vector<GeluParams> sets = {{52429u, make_requant(std::ldexp(1.0, -20) / 0.05, 0)}};
  std::vector<Row> rows;
  std::size_t elements = 0;
  for (const std::size_t n : {4096, 4095, 4094, 4096, 4096, 4093, 4096, 4096}) {
    Row row{0, {}};
    for (std::size_t i = 0; i < n; ++i) row.x.push_back(static_cast<std::int8_t>(g.bits()));
    elements += n;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = run(sim, sets, rows, 1, flow);
  if (!res.error.empty()) FAIL(res.error);
  i8::print_bench("vec_gelu_i8", elements, res, kLanes);
}
