// vec_requant (INT32 -> INT8, per-channel multiplier/shift/bias from the
// parameter memory, per-row zero point) against npu::ref::requantize, with
// random back-pressure. Model: Lanes = 3, MaxChannels = 12.
//   NPU_SEED=<n> replays one seed, NPU_WAVES=<x.fst> writes a trace.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/matrix.hpp>
#include <npu/ref/requant.hpp>

#include "Vvec_requant.h"
#include "i8_stream.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace {

using npu::ref::RequantParams;
using npu::tb::SimControl;
namespace i8 = npu::tb::i8;

constexpr unsigned kLanes = 3;          // test model parameters (tb/vec/int8_eltwise.cmake)
constexpr unsigned kMaxChannels = 12;
constexpr unsigned kCountMax = 15;      // cfg_channels_i is 4 bits wide
constexpr unsigned kDepth = 3;          // pipeline latency
constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();

struct Channel {
  std::int32_t mult = 0;
  int shift = 0;
  std::int32_t bias = 0;
};

struct Row {
  unsigned channels = 1;  // as driven on cfg_channels_i
  std::int32_t zp = 0;
  std::vector<std::int32_t> x;
};

// The model's answer for a row: column j uses channel j mod C, where the
// unit treats C = 0 as 1 and C > MaxChannels as MaxChannels.
std::vector<std::uint16_t> expected_row(const Row& row, const std::vector<Channel>& mem) {
  const unsigned c = row.channels == 0 ? 1 : std::min(row.channels, kMaxChannels);
  npu::ref::Matrix<std::int32_t> acc(1, row.x.size());
  std::vector<RequantParams> per_channel;
  std::vector<std::int32_t> bias;
  for (std::size_t j = 0; j < row.x.size(); ++j) {
    acc(0, j) = row.x[j];
    const Channel& ch = mem[j % c];
    per_channel.push_back({ch.mult, ch.shift, row.zp});
    bias.push_back(ch.bias);
  }
  const auto out = npu::ref::requantize(acc, per_channel, &bias);
  std::vector<std::uint16_t> want;
  for (std::size_t j = 0; j < row.x.size(); ++j) want.push_back(static_cast<std::uint8_t>(out(0, j)));
  return want;
}

class RequantBench {
 public:
  explicit RequantBench(std::uint64_t seed) : seed_(seed), rng_(seed), sim_(npu::tb::env_waves()) {
    sim_.dut().cfg_wr_valid_i = 0;
    sim_.dut().in_valid_i = 0;
    sim_.reset();
  }

  // Writes all MaxChannels entries (in a random order) plus some dropped
  // writes to addresses >= MaxChannels, which must not alias real entries.
  void load(const std::vector<Channel>& mem) {
    mem_ = mem;
    std::vector<unsigned> addr;
    for (unsigned a = 0; a < kMaxChannels; ++a) addr.push_back(a);
    for (unsigned a = kMaxChannels; a < 16; ++a) addr.push_back(a);
    std::shuffle(addr.begin(), addr.end(), rng_.gen());
    i8::write_port<Vvec_requant>(
        sim_, addr.size(),
        [&](Vvec_requant& d, std::size_t i) {
          const unsigned a = addr[i];
          const Channel ch = a < kMaxChannels ? mem[a] : Channel{static_cast<std::int32_t>(rng_.bits() >> 1), 7, -1};
          d.cfg_wr_addr_i = a;
          d.cfg_wr_mult_i = static_cast<std::uint32_t>(ch.mult);
          d.cfg_wr_shift_i = static_cast<std::uint32_t>(ch.shift) & 0x3Fu;
          d.cfg_wr_bias_i = static_cast<std::uint32_t>(ch.bias);
        },
        [](Vvec_requant& d, bool v) { d.cfg_wr_valid_i = v; },
        [](Vvec_requant& d) { return d.cfg_wr_ready_o != 0; }, rng_.gen());
  }

  i8::StreamResult stream(const std::vector<Row>& rows, i8::Flow flow = {}) {
    std::vector<std::size_t> lengths;
    std::vector<std::vector<std::uint16_t>> want;
    for (const Row& r : rows) {
      lengths.push_back(r.x.size());
      want.push_back(expected_row(r, mem_));
    }
    const auto beats = i8::pack_rows(lengths, kLanes);
    return i8::run_stream<Vvec_requant>(
        sim_, kLanes, beats,
        [&](Vvec_requant& d, const i8::BeatRef& b) {
          const Row& r = rows[b.row];
          for (unsigned l = 0; l < kLanes; ++l)  // junk in lanes not kept
            npu::tb::put_bits(d.in_data_i, l * 32, 32,
                              l < b.count ? static_cast<std::uint32_t>(r.x[b.offset + l]) : rng_.bits());
          d.in_keep_i = (1u << b.count) - 1u;
          d.in_last_i = b.last;
          // Only the first beat's configuration counts: junk elsewhere.
          d.cfg_channels_i = b.first ? r.channels : rng_.bits() & kCountMax;
          d.cfg_zero_point_i = b.first ? static_cast<std::uint32_t>(r.zp) : rng_.bits();
        },
        want, seed_, flow);
  }

  i8::Rng& rng() { return rng_; }

 private:
  std::uint64_t seed_;
  i8::Rng rng_;
  SimControl<Vvec_requant> sim_;
  std::vector<Channel> mem_;
};

std::int32_t random_x(i8::Rng& g) {
  switch (g.uniform(0, 4)) {
    case 0: return static_cast<std::int32_t>(g.bits());
    case 1: return static_cast<std::int32_t>(g.uniform(-65536, 65536));
    case 2: {
      const std::int32_t e[] = {kI32Min, kI32Min + 1, kI32Max, kI32Max - 1, 0, -1, 1};
      return e[g.uniform(0, 6)];
    }
    default: {  // odd multiple of 2^j: exact rounding ties for power-of-two multipliers
      const int j = static_cast<int>(g.uniform(0, 30));
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(2 * g.uniform(-1000, 1000) + 1) << j);
    }
  }
}

Channel random_channel(i8::Rng& g) {
  Channel c;
  switch (g.uniform(0, 3)) {
    case 0: c.mult = static_cast<std::int32_t>(g.uniform(0, kI32Max)); break;
    case 1: c.mult = static_cast<std::int32_t>(g.uniform(1 << 30, kI32Max)); break;
    case 2: {
      const std::int32_t e[] = {0, 1, 1 << 30, kI32Max};
      c.mult = e[g.uniform(0, 3)];
      break;
    }
    default: c.mult = std::int32_t{1} << g.uniform(0, 30); break;
  }
  c.shift = static_cast<int>(g.coin(0.7) ? g.uniform(-31, 30) : g.uniform(-12, 2));
  switch (g.uniform(0, 2)) {
    case 0: c.bias = 0; break;
    case 1: c.bias = static_cast<std::int32_t>(g.uniform(-(1 << 20), 1 << 20)); break;
    default: c.bias = static_cast<std::int32_t>(g.bits()); break;
  }
  return c;
}

std::int32_t random_zp(i8::Rng& g) {
  switch (g.uniform(0, 3)) {
    case 0: return 0;
    case 1: return static_cast<std::int32_t>(g.bits());
    default: return static_cast<std::int32_t>(g.uniform(-128, 127));
  }
}

}  // namespace

TEST_CASE("vec_requant: every shift x multiplier 0 1 2^30 2^31-1 at the int32 range ends", "[vec][int8][requant]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1})) {
    i8::announce(seed);
    RequantBench tb(seed);
    std::vector<Channel> combos;
    for (int s = -31; s <= 30; ++s)
      for (const std::int32_t m : {0, 1, 1 << 30, kI32Max}) combos.push_back({m, s, 0});
    const std::vector<std::int32_t> xs = {kI32Min, kI32Min + 1, -(1 << 30), -65537, -65536, -257, -129, -128,
                                          -3, -2, -1, 0, 1, 2, 3, 127, 128, 255, 65536, 1 << 30,
                                          kI32Max - 1, kI32Max};
    const std::vector<std::int32_t> zps = {0, -128, 127, 5, kI32Min, kI32Max, -100000};
    std::uint64_t elements = 0;
    for (std::size_t g = 0; g < combos.size(); g += kMaxChannels) {
      std::vector<Channel> mem(kMaxChannels);
      for (unsigned c = 0; c < kMaxChannels; ++c) mem[c] = combos[(g + c) % combos.size()];
      tb.load(mem);
      std::vector<Row> rows;
      for (const std::int32_t x : xs)
        for (const std::int32_t zp : zps) rows.push_back({kMaxChannels, zp, std::vector<std::int32_t>(kMaxChannels, x)});
      const auto res = tb.stream(rows);
      INFO("seed " << seed << ", channel group " << g / kMaxChannels);
      if (!res.error.empty()) FAIL(res.error);
      elements += rows.size() * kMaxChannels;
    }
    fmt::print("  {} elements ({} (M, s) pairs x {} x x {} zero points)\n", elements, combos.size(),
               xs.size(), zps.size());
  }
}

TEST_CASE("vec_requant: random rows and channel counts with bias with random back-pressure", "[vec][int8][requant]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2, 3})) {
    i8::announce(seed);
    RequantBench tb(seed);
    i8::Rng& g = tb.rng();
    std::uint64_t elements = 0;
    for (int load = 0; load < 4; ++load) {
      std::vector<Channel> mem;
      for (unsigned c = 0; c < kMaxChannels; ++c) mem.push_back(random_channel(g));
      tb.load(mem);
      std::vector<Row> rows;
      for (int r = 0; r < 150; ++r) {
        Row row;
        // Mostly 1..MaxChannels; sometimes 0 (acts as 1) or above MaxChannels (acts as MaxChannels).
        row.channels = static_cast<unsigned>(g.coin(0.9) ? g.uniform(1, kMaxChannels) : g.uniform(0, kCountMax));
        if (row.channels > kMaxChannels || row.channels == 0) row.channels = g.coin() ? 0 : kCountMax;
        row.zp = random_zp(g);
        row.x.resize(g.row_length(kLanes, 40));
        for (auto& x : row.x) x = random_x(g);
        elements += row.x.size();
        rows.push_back(std::move(row));
      }
      const auto res = tb.stream(rows);
      INFO("seed " << seed << ", parameter load " << load);
      if (!res.error.empty()) FAIL(res.error);
    }
    fmt::print("  {} elements\n", elements);
  }
}

TEST_CASE("vec_requant: one beat per cycle without back-pressure and latency 3", "[vec][int8][requant]") {
  RequantBench tb(7);
  i8::Rng& g = tb.rng();
  std::vector<Channel> mem;
  for (unsigned c = 0; c < kMaxChannels; ++c) mem.push_back(random_channel(g));
  tb.load(mem);
  std::vector<Row> rows;
  std::size_t beats = 0;
  for (int r = 0; r < 40; ++r) {
    Row row{static_cast<unsigned>(g.uniform(1, kMaxChannels)), random_zp(g), {}};
    row.x.resize(g.row_length(kLanes, 40));
    for (auto& x : row.x) x = random_x(g);
    beats += (row.x.size() + kLanes - 1) / kLanes;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = tb.stream(rows, flow);
  if (!res.error.empty()) FAIL(res.error);
  CHECK(res.latency == kDepth);
  CHECK(res.cycles == beats + kDepth);
}

TEST_CASE("bench: vec_requant", "[.][bench]") {
  RequantBench tb(1);
  i8::Rng& g = tb.rng();
  std::vector<Channel> mem;
  for (unsigned c = 0; c < kMaxChannels; ++c) mem.push_back(random_channel(g));
  tb.load(mem);
  std::vector<Row> rows;
  std::size_t elements = 0;
  for (const std::size_t n : {4096, 4095, 4094, 4096, 4096, 4093, 4096, 4096}) {
    Row row{kMaxChannels, 3, std::vector<std::int32_t>(n)};
    for (auto& x : row.x) x = random_x(g);
    elements += n;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = tb.stream(rows, flow);
  if (!res.error.empty()) FAIL(res.error);
  i8::print_bench("vec_requant", elements, res, kLanes);
}
