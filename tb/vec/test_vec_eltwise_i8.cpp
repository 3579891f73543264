// vec_eltwise_i8 (INT8 residual add / multiply with requantization) against
// npu::ref::add_i8 / mul_i8: all 65,536 (a, b) pairs for several parameter
// sets of each op, rows of the sets interleaved (per-row configuration),
// random back-pressure. Model: Lanes = 3.
//   NPU_SEED=<n> replays one seed, NPU_WAVES=<x.fst> writes a trace.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_eltwise_i8.h"
#include "i8_stream.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace {

using npu::ref::IntAddParams;
using npu::ref::IntMulParams;
using npu::tb::SimControl;
namespace i8 = npu::tb::i8;

constexpr unsigned kLanes = 3;
constexpr unsigned kDepth = 3;
constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();

// One parameter set of either op, as driven on the cfg inputs.
struct OpParams {
  bool mul = false;
  std::int32_t za = 0, zb = 0, ka = 0, kb = 0;
  npu::ref::RequantParams out{};
};

std::int8_t reference(const OpParams& p, std::int8_t a, std::int8_t b) {
  if (p.mul) return npu::ref::mul_i8(a, b, IntMulParams{p.za, p.zb, p.out});
  return npu::ref::add_i8(a, b, IntAddParams{p.za, p.zb, p.ka, p.kb, p.out});
}

struct Row {
  std::size_t set = 0;
  std::vector<std::int8_t> a, b;
};

i8::StreamResult run(SimControl<Vvec_eltwise_i8>& sim, const std::vector<OpParams>& sets,
                     const std::vector<Row>& rows, std::uint64_t seed, i8::Flow flow) {
  i8::Rng junk(seed + 99);
  std::vector<std::size_t> lengths;
  std::vector<std::vector<std::uint16_t>> want;
  for (const Row& r : rows) {
    lengths.push_back(r.a.size());
    std::vector<std::uint16_t> w;
    for (std::size_t j = 0; j < r.a.size(); ++j)
      w.push_back(static_cast<std::uint8_t>(reference(sets[r.set], r.a[j], r.b[j])));
    want.push_back(std::move(w));
  }
  return i8::run_stream<Vvec_eltwise_i8>(
      sim, kLanes, i8::pack_rows(lengths, kLanes),
      [&](Vvec_eltwise_i8& d, const i8::BeatRef& bt) {
        const Row& r = rows[bt.row];
        for (unsigned l = 0; l < kLanes; ++l) {  // random high bytes and unkept lanes
          const std::uint32_t ja = junk.bits(), jb = junk.bits();
          const bool kept = l < bt.count;
          npu::tb::put_bits(d.in_data_i, l * 16, 16,
                            (ja & 0xFF00u) | (kept ? static_cast<std::uint8_t>(r.a[bt.offset + l]) : ja & 0xFFu));
          npu::tb::put_bits(d.in_b_i, l * 16, 16,
                            (jb & 0xFF00u) | (kept ? static_cast<std::uint8_t>(r.b[bt.offset + l]) : jb & 0xFFu));
        }
        d.in_keep_i = (1u << bt.count) - 1u;
        d.in_last_i = bt.last;
        const OpParams& p = sets[r.set];
        const bool f = bt.first;  // junk configuration after the first beat
        d.cfg_op_i = f ? p.mul : junk.bits() & 1u;
        d.cfg_za_i = f ? static_cast<std::uint8_t>(p.za) : junk.bits() & 0xFFu;
        d.cfg_zb_i = f ? static_cast<std::uint8_t>(p.zb) : junk.bits() & 0xFFu;
        d.cfg_ka_i = f ? static_cast<std::uint16_t>(p.ka) : junk.bits() & 0xFFFFu;
        d.cfg_kb_i = f ? static_cast<std::uint16_t>(p.kb) : junk.bits() & 0xFFFFu;
        d.cfg_mult_i = f ? static_cast<std::uint32_t>(p.out.multiplier) : junk.bits() >> 1;
        d.cfg_shift_i = f ? static_cast<std::uint32_t>(p.out.shift) & 0x3Fu : junk.bits() & 0x3Fu;
        d.cfg_zero_point_i = f ? static_cast<std::uint32_t>(p.out.zero_point) : junk.bits();
      },
      want, seed, flow);
}

// Every (a, b) pair of every set, cut into random rows whose sets interleave.
std::vector<Row> exhaustive_rows(std::size_t nsets, i8::Rng& g) {
  std::vector<std::uint32_t> next(nsets, 0);  // next pair index per set
  std::vector<Row> rows;
  std::vector<std::size_t> open;
  for (std::size_t s = 0; s < nsets; ++s) open.push_back(s);
  while (!open.empty()) {
    const std::size_t k = static_cast<std::size_t>(g.uniform(0, static_cast<std::int64_t>(open.size()) - 1));
    const std::size_t s = open[k];
    Row r;
    r.set = s;
    for (std::size_t n = g.row_length(kLanes); n > 0 && next[s] < 65536; --n, ++next[s]) {
      r.a.push_back(static_cast<std::int8_t>(next[s] >> 8));
      r.b.push_back(static_cast<std::int8_t>(next[s] & 0xFFu));
    }
    rows.push_back(std::move(r));
    if (next[s] == 65536) open.erase(open.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return rows;
}

const std::vector<OpParams>& parameter_sets() {
  static const std::vector<OpParams> sets = {
      // Residual add: saturating int8 add (the doc's k = 1, M = 2^30, s = 1).
      {false, 0, 0, 1, 1, {1 << 30, 1, 0}},
      // Realistic: S_a/S_max = 0.8, S_b = S_max, output scale ~ 1.41 S_max.
      {false, -5, 17, 13107, 16384, {1518500250, -13, 3}},
      // Range ends: extreme zero points and k, saturation, zp = INT32_MIN.
      {false, -128, 127, -32767, 32767, {kI32Max, 30, kI32Min}},
      {false, 127, -128, 32767, 32767, {1, -31, kI32Max}},
      // Multiply.
      {true, 0, 0, 0, 0, {1 << 30, -6, 0}},
      {true, -128, 127, 0, 0, {kI32Max, -16, -7}},
      {true, 3, -9, 0, 0, {1, 30, 100}},
  };
  return sets;
}

OpParams random_params(i8::Rng& g) {
  OpParams p;
  p.mul = g.coin();
  p.za = static_cast<std::int32_t>(g.uniform(-128, 127));
  p.zb = static_cast<std::int32_t>(g.uniform(-128, 127));
  if (!p.mul) {
    p.ka = static_cast<std::int32_t>(g.uniform(-32767, 32767));
    p.kb = static_cast<std::int32_t>(g.uniform(-32767, 32767));
  }
  p.out.multiplier = static_cast<std::int32_t>(g.uniform(0, kI32Max));
  p.out.shift = static_cast<int>(g.coin() ? g.uniform(-31, 30) : g.uniform(-20, 0));
  p.out.zero_point = static_cast<std::int32_t>(g.coin(0.8) ? g.uniform(-128, 127) : static_cast<std::int32_t>(g.bits()));
  return p;
}

}  // namespace

TEST_CASE("vec_eltwise_i8: all 65536 pairs x 4 add and 3 mul parameter sets", "[vec][int8][eltwise]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    i8::announce(seed);
    SimControl<Vvec_eltwise_i8> sim(npu::tb::env_waves());
    sim.dut().in_valid_i = 0;
    sim.reset();
    i8::Rng g(seed);
    const auto& sets = parameter_sets();
    const auto rows = exhaustive_rows(sets.size(), g);
    const auto res = run(sim, sets, rows, seed, {});
    INFO("seed " << seed);
    if (!res.error.empty()) FAIL(res.error);
    fmt::print("  {} pairs in {} rows, {} cycles\n", sets.size() * 65536, rows.size(), res.cycles);
  }
}

TEST_CASE("vec_eltwise_i8: random parameters per row with random back-pressure", "[vec][int8][eltwise]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2, 3})) {
    i8::announce(seed);
    SimControl<Vvec_eltwise_i8> sim(npu::tb::env_waves());
    sim.dut().in_valid_i = 0;
    sim.reset();
    i8::Rng g(seed);
    std::vector<OpParams> sets;
    std::vector<Row> rows;
    for (int r = 0; r < 600; ++r) {
      sets.push_back(random_params(g));
      Row row;
      row.set = sets.size() - 1;
      for (std::size_t n = g.row_length(kLanes); n > 0; --n) {
        row.a.push_back(static_cast<std::int8_t>(g.bits()));
        row.b.push_back(static_cast<std::int8_t>(g.bits()));
      }
      rows.push_back(std::move(row));
    }
    const auto res = run(sim, sets, rows, seed, {});
    INFO("seed " << seed);
    if (!res.error.empty()) FAIL(res.error);
  }
}

TEST_CASE("vec_eltwise_i8: one beat per cycle without back-pressure and latency 3", "[vec][int8][eltwise]") {
  SimControl<Vvec_eltwise_i8> sim(npu::tb::env_waves());
  sim.dut().in_valid_i = 0;
  sim.reset();
  i8::Rng g(5);
  std::vector<OpParams> sets;
  std::vector<Row> rows;
  std::size_t beats = 0;
  for (int r = 0; r < 50; ++r) {
    sets.push_back(random_params(g));
    Row row;
    row.set = sets.size() - 1;
    for (std::size_t n = g.row_length(kLanes); n > 0; --n) {
      row.a.push_back(static_cast<std::int8_t>(g.bits()));
      row.b.push_back(static_cast<std::int8_t>(g.bits()));
    }
    beats += (row.a.size() + kLanes - 1) / kLanes;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = run(sim, sets, rows, 5, flow);
  if (!res.error.empty()) FAIL(res.error);
  CHECK(res.latency == kDepth);
  CHECK(res.cycles == beats + kDepth);
}

TEST_CASE("bench: vec_eltwise_i8", "[.][bench]") {
  SimControl<Vvec_eltwise_i8> sim;
  sim.dut().in_valid_i = 0;
  sim.reset();
  i8::Rng g(1);
  std::vector<OpParams> sets;
  std::vector<Row> rows;
  std::size_t elements = 0;
  for (const std::size_t n : {4096, 4095, 4094, 4096, 4096, 4093, 4096, 4096}) {
    sets.push_back(random_params(g));
    Row row;
    row.set = sets.size() - 1;
    for (std::size_t i = 0; i < n; ++i) {
      row.a.push_back(static_cast<std::int8_t>(g.bits()));
      row.b.push_back(static_cast<std::int8_t>(g.bits()));
    }
    elements += n;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = run(sim, sets, rows, 1, flow);
  if (!res.error.empty()) FAIL(res.error);
  i8::print_bench("vec_eltwise_i8", elements, res, kLanes);
}
