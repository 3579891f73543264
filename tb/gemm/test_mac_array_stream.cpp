// mac_array with WStream = 1 (the configuration npu_gemm_engine uses): tiles
// load while the previous tile's rows still pass, and A rows may start one
// cycle after a tile's first beat. Checked bit-exactly, with W^T (column)
// tiles, back-pressure on the A and C ports, and the tile turnover at M = 1.
// Replay: NPU_SEED=<seed> [NPU_WAVES=<file.fst>] test_mac_array_stream "<test name>"
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "mac_array_test_util.hpp"
#include "npu/ref/fp.hpp"
#include "stimulus.hpp"

using npu::ref::Matrix;
using namespace npu::tb;

namespace {

const std::size_t R = MacArrayDriver::rows();
const std::size_t C = MacArrayDriver::cols();

// One row through a tile, as the reference computes it (BF16 chain over k,
// or INT8 pairs with int32 wrap-around).
std::vector<std::uint32_t> expect_row(const ABeat& beat, const Matrix<std::uint16_t>& w) {
  std::vector<std::uint32_t> out(C);
  for (std::size_t j = 0; j < C; ++j) {
    std::uint32_t acc = beat.acc[j];
    for (std::size_t k = 0; k < R; ++k) {
      if (beat.bf16) {
        acc = npu::ref::bf16_mac(beat.a[k], w(k, j), acc);
        continue;
      }
      for (unsigned h = 0; h < 2; ++h) {
        const unsigned ab = beat.a[k] >> (8 * h) & 0xFF;
        const std::int32_t av = beat.a_unsigned ? std::int32_t(ab) : std::int32_t(static_cast<std::int8_t>(ab));
        acc += static_cast<std::uint32_t>(av * static_cast<std::int8_t>(w(k, j) >> (8 * h) & 0xFF));
      }
    }
    out[j] = acc;
  }
  return out;
}

// Random tiles (row or column beats, random modes) with 1..4 rows each.
void random_tiles(Traffic traffic, std::size_t max_rows) {
  for (const auto seed : test_seeds({1, 2, 3})) {
    Bench b(seed, traffic);
    std::vector<WTile> tiles;
    std::vector<ABeat> beats;
    std::vector<std::size_t> tile_of;
    for (std::size_t t = 0; t < 24; ++t) {
      tiles.push_back({random_bf16(b.rng, R, C, 6), (b.rng() & 1u) != 0});
      const auto rows = b.uniform(1, max_rows);
      for (std::size_t i = 0; i < rows; ++i) {
        ABeat beat;
        beat.bf16 = (b.rng() & 1u) != 0;
        beat.a_unsigned = !beat.bf16 && (b.rng() & 1u) != 0;
        for (std::size_t k = 0; k < R; ++k)
          beat.a.push_back(beat.bf16 ? random_bf16(b.rng, 6) : static_cast<std::uint16_t>(b.rng()));
        for (std::size_t j = 0; j < C; ++j)
          beat.acc.push_back(beat.bf16 ? random_fp32(b.rng, 8) : static_cast<std::uint32_t>(b.rng()));
        beat.last = (i + 1 == rows);
        beats.push_back(beat);
        tile_of.push_back(t);
      }
    }
    const auto got = b.driver.stream(tiles, beats);
    REQUIRE(got.size() == beats.size());
    for (std::size_t i = 0; i < beats.size(); ++i) {
      const auto want = expect_row(beats[i], tiles[tile_of[i]].w);
      for (std::size_t j = 0; j < C; ++j)
        if (want[j] != got[i].c[j])
          FAIL(fmt::format("seed {} row {} (tile {}, {}, {}) col {}: expected 0x{:08x}, got 0x{:08x}, "
                           "left at cycle {}; rerun: {}",
                           seed, i, tile_of[i], tiles[tile_of[i]].transposed ? "column beats" : "row beats",
                           beats[i].bf16 ? "BF16" : (beats[i].a_unsigned ? "UINT8 x INT8" : "INT8"), j,
                           want[j], got[i].c[j], got[i].cycle, rerun_command(check_context(seed))));
      CHECK(got[i].last == beats[i].last);
    }
  }
}

}  // namespace

TEST_CASE("Row and column tiles of mixed modes, full speed", "[stream][tiles]") {
  random_tiles(Traffic::full_speed(), 4);
}
TEST_CASE("Row and column tiles of mixed modes, gaps and back-pressure", "[stream][backpressure]") {
  random_tiles(Traffic::random(0.55), 4);
}
TEST_CASE("One-row tiles, the decode case, gaps and back-pressure", "[stream][backpressure]") {
  random_tiles(Traffic::random(0.7), 1);
}

TEST_CASE("GEMMs through the streaming weight port match the reference", "[stream]") {
  for (const auto seed : test_seeds({4, 5})) {
    Bench b(seed, Traffic::random(0.6));
    for (int i = 0; i < 3; ++i) {
      const std::size_t m = b.uniform(1, 12), k = b.uniform(1, 3 * 2 * R + 3), n = b.uniform(1, 3 * C + 2);
      b.check_i8(random_i8(b.rng, m, k), random_i8(b.rng, k, n), nullptr, "C (INT8)");
      const auto c0 = random_fp32(b.rng, m, n);
      b.check_bf16(random_bf16(b.rng, m, k), random_bf16(b.rng, k, n), &c0, "C (BF16)");
    }
  }
}

// At M = 1 each tile is used by one row. Loading tile n+2 into a bank waits
// only until tile n's row has passed the bottom PE row (not until it has left
// the array), and a row may use a tile from the cycle after its first beat,
// so tiles turn over every ~max(Rows, Cols) + 1 cycles: a GEMV runs at the
// speed its weights arrive.
TEST_CASE("Tiles turn over at weight-port speed when M = 1", "[stream][throughput]") {
  for (const auto seed : test_seeds({1})) {
    Bench b(seed, Traffic::full_speed());
    std::vector<WTile> tiles;
    std::vector<ABeat> beats;
    const std::size_t n_tiles = 40;
    for (std::size_t t = 0; t < n_tiles; ++t) {
      tiles.push_back({random_bf16(b.rng, R, C, 6), t % 3 == 2});
      ABeat beat;
      beat.bf16 = true;
      for (std::size_t k = 0; k < R; ++k) beat.a.push_back(random_bf16(b.rng, 6));
      for (std::size_t j = 0; j < C; ++j) beat.acc.push_back(random_fp32(b.rng, 6));
      beat.last = true;
      beats.push_back(beat);
    }
    const auto got = b.driver.stream(tiles, beats);
    REQUIRE(got.size() == n_tiles);
    for (std::size_t t = 0; t < n_tiles; ++t) {
      const auto want = expect_row(beats[t], tiles[t].w);
      for (std::size_t j = 0; j < C; ++j) REQUIRE(fmt::format("{:08x}", got[t].c[j]) == fmt::format("{:08x}", want[j]));
    }
    // Steady state: results leave at the rate tiles are turned over.
    const double per_tile = double(got.back().cycle - got[4].cycle) / double(n_tiles - 5);
    const double bound = double(std::max(R, C)) + 2.0;
    INFO(fmt::format("seed {}: {:.2f} cycles per one-row tile (bound {:.1f})", seed, per_tile, bound));
    CHECK(per_tile <= bound);
  }
}
