// DMA block tests (CTest prefix `dma:`): npu_dma_rd / npu_dma_wr behind
// npu_axi_rd_mux in tb_dma_top, DataW 64 and 128, against AxiMemory with the
// AxiMonitor checking every cycle. Seeds printed; NPU_SEED replays one.
#include "dma_checks.hpp"
#include "test_env.hpp"

#include "Vtb_dma_top_w128.h"
#include "Vtb_dma_top_w64.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <random>

using namespace npu::tb;
using namespace npu::tb::dma;

namespace {

template <class Model>
void random_round_trips(unsigned bb) {
  for (auto seed : test_seeds({1, 2, 3})) {
    std::printf("dma round trip DataW %u seed %llu\n", bb * 8, static_cast<unsigned long long>(seed));
    axi::AxiMemoryConfig mc;
    mc.seed = seed;
    mc.read_latency = 1 + seed % 7;
    mc.write_latency = 1 + seed % 5;
    DmaEnv<Model> env(bb, mc, 0.0, env_waves());
    std::mt19937_64 rng(seed);
    for (int t = 0; t < 6; ++t) round_trip(env, rng, seed);
  }
}

template <class Model>
void variations(unsigned bb) {
  struct V { unsigned rl, wl, interval; double stall, local_stall; bool reorder; };
  const V vs[] = {{1, 1, 1, 0.0, 0.0, false},   {40, 25, 1, 0.3, 0.0, false},
                  {100, 100, 3, 0.0, 0.3, false}, {5, 3, 2, 0.5, 0.5, true},
                  {2, 60, 1, 0.1, 0.7, true}};
  for (auto seed : test_seeds({1, 2, 3})) {
    std::printf("dma variations DataW %u seed %llu\n", bb * 8, static_cast<unsigned long long>(seed));
    for (const auto& v : vs) {
      axi::AxiMemoryConfig mc;
      mc.seed = seed; mc.read_latency = v.rl; mc.write_latency = v.wl;
      mc.beat_interval = v.interval; mc.stall_prob = v.stall; mc.reorder = v.reorder;
      mc.max_reads = 2 + seed % 3;
      DmaEnv<Model> env(bb, mc, v.local_stall, env_waves());
      std::mt19937_64 rng(seed * 977 + v.rl);
      INFO(fmt::format("latency {}/{} interval {} stall {} local stall {}", v.rl, v.wl, v.interval, v.stall, v.local_stall));
      for (int t = 0; t < 2; ++t) round_trip(env, rng, seed, 300);
    }
  }
}

template <class Model>
void load_errors(unsigned bb) {
  for (auto seed : test_seeds({1, 2, 3}))
    for (axi::Resp resp : {axi::Resp::SlvErr, axi::Resp::DecErr}) {
      std::printf("dma load error DataW %u resp %u seed %llu\n", bb * 8, static_cast<unsigned>(resp),
                  static_cast<unsigned long long>(seed));
      axi::AxiMemoryConfig mc;
      mc.seed = seed; mc.read_latency = 3 + seed; mc.stall_prob = 0.2;
      DmaEnv<Model> env(bb, mc, 0.2, env_waves());
      std::mt19937_64 rng(seed + 100 * static_cast<unsigned>(resp));
      DmaCmd c = random_cmd(rng, bb, urand(rng, 1, 100), 0, 4, 600);
      if (c.rows * c.row_words < 2) c.row_words = 2;
      env.mem().fill_random(c.dram_addr, span_end(c, bb) - c.dram_addr, rng());
      const std::uint64_t n = std::uint64_t{c.rows} * c.row_words;
      const std::uint64_t k = urand(rng, 0, static_cast<std::uint32_t>(n - 1));  // first bad beat
      const std::uint32_t r = static_cast<std::uint32_t>(k / c.row_words), w = static_cast<std::uint32_t>(k % c.row_words);
      const std::uint32_t bad = c.dram_addr + r * c.dram_stride + w * bb;
      env.mem().add_error_range(bad, bad + bb, resp);
      for (std::uint32_t rr = 0; rr < c.rows; ++rr)
        for (std::uint32_t ww = 0; ww < c.row_words; ++ww)
          env.local().set_word(c.space, c.local_addr + rr * c.local_stride + ww, std::vector<std::uint8_t>(bb, 0x3C));
      INFO(fmt::format("seed {} {} bad beat {} at 0x{:x}", seed, describe(c), k, bad));
      const auto res = env.load(c);
      REQUIRE(res.err == static_cast<unsigned>(resp));
      check_local(env, c, seed, k, 0x3C, "load with error");
      REQUIRE(env.mem().idle());
      REQUIRE_FALSE(env.monitor().outstanding());
      // The engine takes and completes the next command.
      env.mem().clear_error_ranges();
      round_trip(env, rng, seed, 200);
    }
}

template <class Model>
void store_errors(unsigned bb) {
  for (auto seed : test_seeds({1, 2, 3}))
    for (axi::Resp resp : {axi::Resp::SlvErr, axi::Resp::DecErr}) {
      std::printf("dma store error DataW %u resp %u seed %llu\n", bb * 8, static_cast<unsigned>(resp),
                  static_cast<unsigned long long>(seed));
      axi::AxiMemoryConfig mc;
      mc.seed = seed; mc.write_latency = 2 + seed; mc.stall_prob = 0.2;
      DmaEnv<Model> env(bb, mc, 0.2, env_waves());
      std::mt19937_64 rng(seed + 7 * static_cast<unsigned>(resp));
      DmaCmd c = random_cmd(rng, bb, urand(rng, 1, 100), 0, 4, 600);
      const std::uint64_t n = std::uint64_t{c.rows} * c.row_words;
      const std::uint64_t k = urand(rng, 0, static_cast<std::uint32_t>(n - 1));
      const std::uint32_t r = static_cast<std::uint32_t>(k / c.row_words), w = static_cast<std::uint32_t>(k % c.row_words);
      const std::uint32_t bad = c.dram_addr + r * c.dram_stride + w * bb;
      env.mem().add_error_range(bad, bad + bb, resp);
      INFO(fmt::format("seed {} {} bad beat {} at 0x{:x}", seed, describe(c), k, bad));
      const auto res = env.store(c);
      REQUIRE(res.err == static_cast<unsigned>(resp));
      REQUIRE(env.mem().idle());
      REQUIRE_FALSE(env.monitor().outstanding());
      env.mem().clear_error_ranges();
      round_trip(env, rng, seed, 200);
    }
}

// Four to eight LOADs back to back into disjoint local regions, one of them (with `bad`) hit
// by an error beat: every other command's words land bit for bit, the bad one's up to its
// first bad beat, dones in order with their errors; and the batch takes fewer cycles than the
// same commands one at a time, because a command issues its bursts while the one before
// receives its beats.
template <class Model>
void back_to_back(unsigned bb, bool bad) {
  for (auto seed : test_seeds({1, 2, 3, 4})) {
    std::printf("dma back-to-back loads DataW %u seed %llu%s\n", bb * 8, static_cast<unsigned long long>(seed),
                bad ? " with an error" : "");
    axi::AxiMemoryConfig mc;
    mc.seed = seed;
    mc.read_latency = 60 + 20 * (seed % 3);
    mc.stall_prob = seed % 2 ? 0.2 : 0.0;
    DmaEnv<Model> env(bb, mc, seed % 2 ? 0.2 : 0.0, env_waves());
    std::mt19937_64 rng(seed * 31 + bad);
    std::vector<DmaCmd> cmds;
    const unsigned n = urand(rng, 4, 8);
    for (unsigned i = 0; i < n; ++i) {
      DmaCmd c = random_cmd(rng, bb, 10 + 3 * i, 0, 3, 40);
      c.space = i % 2;
      c.local_addr = 512 * (i / 2) + urand(rng, 0, 16);  // disjoint per space
      cmds.push_back(c);
      env.mem().fill_random(c.dram_addr, span_end(c, bb) - c.dram_addr, rng());
    }
    const unsigned bad_cmd = bad ? urand(rng, 0, n - 1) : n;
    std::uint64_t bad_beat = ~0ull;
    if (bad) {
      const DmaCmd& c = cmds[bad_cmd];
      bad_beat = urand(rng, 0, c.rows * c.row_words - 1);
      const std::uint32_t r = static_cast<std::uint32_t>(bad_beat / c.row_words);
      const std::uint32_t w = static_cast<std::uint32_t>(bad_beat % c.row_words);
      const std::uint32_t at = c.dram_addr + r * c.dram_stride + w * bb;
      env.mem().add_error_range(at, at + bb, axi::Resp::SlvErr);
      for (std::uint32_t rr = 0; rr < c.rows; ++rr)
        for (std::uint32_t ww = 0; ww < c.row_words; ++ww)
          env.local().set_word(c.space, c.local_addr + rr * c.local_stride + ww, std::vector<std::uint8_t>(bb, 0x3C));
    }
    INFO(fmt::format("seed {}: {} loads, bad command {} beat {}", seed, n, bad_cmd, bad_beat));
    const auto res = env.load_batch(cmds);
    for (unsigned i = 0; i < n; ++i) {
      INFO(fmt::format("command {}: {}", i, describe(cmds[i])));
      REQUIRE(res[i].err == (i == bad_cmd ? static_cast<unsigned>(axi::Resp::SlvErr) : 0u));
      check_local(env, cmds[i], seed, i == bad_cmd ? bad_beat : ~0ull, 0x3C, "back-to-back load");
    }
    REQUIRE(env.mem().idle());
    REQUIRE_FALSE(env.monitor().outstanding());
    if (bad) continue;
    std::uint64_t serial = 0;
    for (const DmaCmd& c : cmds) serial += env.load(c).cycles;
    INFO(fmt::format("back to back {} cycles, one at a time {}", res.front().cycles, serial));
    REQUIRE(res.front().cycles + (n - 1) * mc.read_latency / 2 < serial);
  }
}

}  // namespace

TEST_CASE("random 2D load and store round trip DataW 64") { random_round_trips<Vtb_dma_top_w64>(8); }
TEST_CASE("random 2D load and store round trip DataW 128") { random_round_trips<Vtb_dma_top_w128>(16); }
TEST_CASE("latency stall and bandwidth variations DataW 64") { variations<Vtb_dma_top_w64>(8); }
TEST_CASE("latency stall and bandwidth variations DataW 128") { variations<Vtb_dma_top_w128>(16); }
TEST_CASE("load SLVERR and DECERR inside a transfer DataW 64") { load_errors<Vtb_dma_top_w64>(8); }
TEST_CASE("load SLVERR and DECERR inside a transfer DataW 128") { load_errors<Vtb_dma_top_w128>(16); }
TEST_CASE("store SLVERR and DECERR inside a transfer DataW 64") { store_errors<Vtb_dma_top_w64>(8); }
TEST_CASE("store SLVERR and DECERR inside a transfer DataW 128") { store_errors<Vtb_dma_top_w128>(16); }
TEST_CASE("back-to-back loads overlap and land bit for bit DataW 64") { back_to_back<Vtb_dma_top_w64>(8, false); }
TEST_CASE("back-to-back loads overlap and land bit for bit DataW 128") { back_to_back<Vtb_dma_top_w128>(16, false); }
TEST_CASE("an error beat in a batch of loads faults only its command DataW 64") { back_to_back<Vtb_dma_top_w64>(8, true); }
TEST_CASE("an error beat in a batch of loads faults only its command DataW 128") {
  back_to_back<Vtb_dma_top_w128>(16, true);
}
