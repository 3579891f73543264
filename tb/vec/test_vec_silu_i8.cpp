// vec_silu_i8 (256-entry table loaded through tbl_wr) against
// npu::ref::silu_i8 with tables from npu::ref::silu_i8_table for several
// scale pairs and a random table: all 256 inputs per table plus random rows,
// random back-pressure, table reloads between streams. Model: Lanes = 3.
//   NPU_SEED=<n> replays one seed, NPU_WAVES=<x.fst> writes a trace.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/ref/vector.hpp>

#include "Vvec_silu_i8.h"
#include "i8_stream.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using npu::tb::SimControl;
namespace i8 = npu::tb::i8;
using Table = std::array<std::int8_t, 256>;

constexpr unsigned kLanes = 3;
constexpr unsigned kDepth = 1;

std::uint32_t fp32_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

class SiluBench {
 public:
  explicit SiluBench(std::uint64_t seed) : seed_(seed), rng_(seed), sim_(npu::tb::env_waves()) {
    sim_.dut().tbl_wr_valid_i = 0;
    sim_.dut().in_valid_i = 0;
    sim_.reset();
  }

  void load(const Table& t) {
    table_ = t;
    std::vector<unsigned> addr(256);
    for (unsigned a = 0; a < 256; ++a) addr[a] = a;
    std::shuffle(addr.begin(), addr.end(), rng_.gen());
    i8::write_port<Vvec_silu_i8>(
        sim_, addr.size(),
        [&](Vvec_silu_i8& d, std::size_t i) {
          d.tbl_wr_addr_i = addr[i];
          d.tbl_wr_data_i = static_cast<std::uint8_t>(t[addr[i]]);
        },
        [](Vvec_silu_i8& d, bool v) { d.tbl_wr_valid_i = v; },
        [](Vvec_silu_i8& d) { return d.tbl_wr_ready_o != 0; }, rng_.gen());
  }

  // Every input once (shuffled) and `extra` random ones, in random rows.
  i8::StreamResult stream_all(std::size_t extra, i8::Flow flow = {}) {
    std::vector<std::int8_t> xs;
    for (int x = -128; x < 128; ++x) xs.push_back(static_cast<std::int8_t>(x));
    std::shuffle(xs.begin(), xs.end(), rng_.gen());
    for (std::size_t i = 0; i < extra; ++i) xs.push_back(static_cast<std::int8_t>(rng_.bits()));
    std::vector<std::vector<std::int8_t>> rows;
    for (std::size_t i = 0; i < xs.size();) {
      const std::size_t n = std::min(rng_.row_length(kLanes), xs.size() - i);
      rows.emplace_back(xs.begin() + static_cast<std::ptrdiff_t>(i), xs.begin() + static_cast<std::ptrdiff_t>(i + n));
      i += n;
    }
    return stream(rows, flow);
  }

  i8::StreamResult stream(const std::vector<std::vector<std::int8_t>>& rows, i8::Flow flow) {
    std::vector<std::size_t> lengths;
    std::vector<std::vector<std::uint16_t>> want;
    for (const auto& r : rows) {
      lengths.push_back(r.size());
      std::vector<std::uint16_t> w;
      for (const std::int8_t x : r) w.push_back(static_cast<std::uint8_t>(npu::ref::silu_i8(x, table_)));
      want.push_back(std::move(w));
    }
    return i8::run_stream<Vvec_silu_i8>(
        sim_, kLanes, i8::pack_rows(lengths, kLanes),
        [&](Vvec_silu_i8& d, const i8::BeatRef& bt) {
          for (unsigned l = 0; l < kLanes; ++l) {
            const std::uint32_t j = rng_.bits();
            npu::tb::put_bits(d.in_data_i, l * 16, 16,
                              (j & 0xFF00u) | (l < bt.count ? static_cast<std::uint8_t>(rows[bt.row][bt.offset + l]) : j & 0xFFu));
          }
          d.in_keep_i = (1u << bt.count) - 1u;
          d.in_last_i = bt.last;
        },
        want, seed_, flow);
  }

  i8::Rng& rng() { return rng_; }

 private:
  std::uint64_t seed_;
  i8::Rng rng_;
  SimControl<Vvec_silu_i8> sim_;
  Table table_{};
};

}  // namespace

TEST_CASE("vec_silu_i8: all 256 inputs for model tables of 5 scale pairs and a random table", "[vec][int8][silu]") {
  for (const std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    i8::announce(seed);
    SiluBench tb(seed);
    struct Scales { float in, inv_out; std::int32_t zp; };
    const Scales scales[] = {{0.05f, 25.0f, 0}, {0.1f, 20.0f, -20}, {0.0625f, 16.0f, 5},
                             {0.02f, 100.0f, 127}, {0.5f, 4.0f, -128}};
    int k = 0;
    for (const Scales& s : scales) {
      tb.load(npu::ref::silu_i8_table(fp32_bits(s.in), fp32_bits(s.inv_out), s.zp));
      const auto res = tb.stream_all(200);
      INFO("seed " << seed << ", table " << k++);
      if (!res.error.empty()) FAIL(res.error);
    }
    Table random{};
    for (auto& e : random) e = static_cast<std::int8_t>(tb.rng().bits());
    tb.load(random);
    const auto res = tb.stream_all(500);
    INFO("seed " << seed << ", random table");
    if (!res.error.empty()) FAIL(res.error);
  }
}

TEST_CASE("vec_silu_i8: one beat per cycle without back-pressure and latency 1", "[vec][int8][silu]") {
  SiluBench tb(3);
  tb.load(npu::ref::silu_i8_table(fp32_bits(0.05f), fp32_bits(25.0f), 0));
  i8::Flow flow;
  flow.backpressure = false;
  std::vector<std::vector<std::int8_t>> rows;
  std::size_t beats = 0;
  for (int r = 0; r < 40; ++r) {
    std::vector<std::int8_t> row;
    for (std::size_t n = tb.rng().row_length(kLanes); n > 0; --n) row.push_back(static_cast<std::int8_t>(tb.rng().bits()));
    beats += (row.size() + kLanes - 1) / kLanes;
    rows.push_back(std::move(row));
  }
  const auto res = tb.stream(rows, flow);
  if (!res.error.empty()) FAIL(res.error);
  CHECK(res.latency == kDepth);
  CHECK(res.cycles == beats + kDepth);
}

TEST_CASE("bench: vec_silu_i8", "[.][bench]") {
  SiluBench tb(1);
  tb.load(npu::ref::silu_i8_table(fp32_bits(0.05f), fp32_bits(25.0f), 0));
  std::vector<std::vector<std::int8_t>> rows;
  std::size_t elements = 0;
  for (const std::size_t n : {4096, 4095, 4094, 4096, 4096, 4093, 4096, 4096}) {
    std::vector<std::int8_t> row;
    for (std::size_t i = 0; i < n; ++i) row.push_back(static_cast<std::int8_t>(tb.rng().bits()));
    elements += n;
    rows.push_back(std::move(row));
  }
  i8::Flow flow;
  flow.backpressure = false;
  const auto res = tb.stream(rows, flow);
  if (!res.error.empty()) FAIL(res.error);
  i8::print_bench("vec_silu_i8", elements, res, kLanes);
}
