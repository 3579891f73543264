// Constrained-random command streams through npu_top, compared with the
// functional model (npu::ref::AccelModel) on the DRAM output region. A FENCE
// is inserted wherever a command would race a command of another queue on
// the same memory (the queues run concurrently); some streams end in an
// illegal command whose fault code and address must match the model's. Even
// seeds run the stream as two runs back to back, without a reset between.
#include "random_stream.hpp"
#include "top_bench.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <vector>

using namespace npu;

namespace {

void run_random_stream(std::uint64_t seed, unsigned length) {
  INFO(fmt::format("seed {} (replay: NPU_SEED={} {} \"{}\")", seed, seed, tb::self_executable(),
                   Catch::getResultCapture().getCurrentTestName()));
  std::mt19937_64 rng(seed);
  tb::TopBenchOptions o;
  o.mem.read_latency = 1 + rng() % 40;
  o.mem.write_latency = 1 + rng() % 40;
  o.mem.stall_prob = (rng() % 3) * 0.15;
  o.mem.seed = seed;
  tb::TopBench bench(16, o);
  auto& dev = bench.dev();
  tb::RandomStream gen(bench, rng());
  auto stream = gen.generate(length, /*end_with_fault=*/seed % 3 == 0);
  // Debug knob: NPU_STREAM_CUT=k keeps the first k commands and then dumps
  // ASPAD words 0..127 and ACC rows 0..31 into the output region, so a
  // mismatch can be bisected to the command that caused it.
  if (const char* cut = std::getenv("NPU_STREAM_CUT")) {
    stream.cmds.resize(std::min<std::size_t>(std::stoul(cut), stream.cmds.size()));
    stream.cmds.push_back(isa::fence());
    isa::Transfer a;
    a.dram_addr = gen.out_base();
    a.row_words = 128;
    stream.cmds.push_back(isa::store(a));
    isa::Transfer c;
    c.dram_addr = gen.out_base() + 4096;
    c.row_words = 32 * gen.config().acc_words_per_row();
    c.space = isa::Space::Acc;
    stream.cmds.push_back(isa::store(c));
  }
  INFO(fmt::format("{} commands, {} fences inserted", stream.cmds.size(), stream.fences));
  fmt::print("[random stream] seed {}: {} commands, {} fences, {} 4 KiB transfers, {}\n", seed,
             stream.cmds.size(), stream.fences, stream.full_bursts,
             seed % 2 == 0 ? "two runs back to back" : "one run");

  if (std::getenv("NPU_DUMP_STREAM"))
    for (std::size_t i = 0; i < stream.cmds.size(); ++i) {
      std::string w;
      for (auto x : stream.cmds[i].w) w += fmt::format(" {:08x}", x);
      fmt::print("cmd {:3} @0x{:08x}:{}\n", i, dev.command_addr(i), w);
    }
  // Even seeds run the stream as two back-to-back runs with no reset between them (the
  // first run's state is the second's start); the model runs it as one.
  const std::size_t split = seed % 2 == 0 ? stream.cmds.size() / 2 : 0;
  std::vector<std::uint32_t> addr(stream.cmds.size());
  for (std::size_t i = 0; i < split; ++i) addr[i] = dev.command_addr(i);
  rt::RunResult got;
  if (split > 0) {
    const std::vector<isa::Command> first(stream.cmds.begin(), stream.cmds.begin() + split);
    got = dev.run(first, 5'000'000);
    INFO("first of two runs: " << got.describe());
    REQUIRE(got.ok());
  }
  for (std::size_t i = split; i < stream.cmds.size(); ++i) addr[i] = dev.command_addr(i - split);
  got = dev.run(std::vector<isa::Command>(stream.cmds.begin() + split, stream.cmds.end()), 5'000'000);
  ref::AccelModel model = gen.model();
  const auto want = model.run(stream.cmds, [&addr](std::size_t i) { return addr[i]; });
  INFO(got.describe());
  if (want) {
    REQUIRE(got.status == rt::RunResult::Status::Fault);
    CHECK(isa::fault_name(got.fault) == isa::fault_name(want->code));
    CHECK(got.fault_addr == want->cmd_addr);
  } else {
    REQUIRE(got.ok());
  }
  const auto expect = model.read_dram(gen.out_base(), gen.out_bytes());
  const auto actual = dev.download(gen.out_buffer(), 0, gen.out_bytes());
  for (std::size_t i = 0; i < expect.size(); ++i)
    if (expect[i] != actual[i])
      FAIL(fmt::format("DRAM output byte 0x{:08x} (offset {}): expected 0x{:02x}, got 0x{:02x} "
                       "(run ended at cycle {})", gen.out_base() + i, i, expect[i], actual[i],
                       bench.cycle()));
}

}  // namespace

TEST_CASE("Random command streams match the functional model") {
  for (auto seed : tb::test_seeds({21, 22, 23, 24, 25, 26})) run_random_stream(seed, 60);
}

TEST_CASE("Random command streams match the functional model over many seeds", "[nightly]") {
  for (auto seed : tb::test_seeds({101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
                                   113, 114, 115, 116, 117, 118, 119, 120}))
    run_random_stream(seed, 200);
}
