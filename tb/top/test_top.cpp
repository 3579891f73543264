// Top-level tests: command streams run DRAM to DRAM through npu_top (the
// `small` configuration), driven by the runtime, checked bit-exactly.
#include "gemm_flow.hpp"
#include "top_bench.hpp"
#include "vec_cmd_gen.hpp"

#include <npu/runtime/model_transport.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <random>

using namespace npu;
using npu::tb::TopBench;

namespace {

constexpr std::uint64_t kTimeout = 2'000'000;

std::string rerun(std::uint64_t seed) {
  return fmt::format("rerun: NPU_SEED={} NPU_WAVES={} {} \"{}\"", seed,
                     tb::suggested_waves_path(Catch::getResultCapture().getCurrentTestName()),
                     tb::self_executable(), Catch::getResultCapture().getCurrentTestName());
}

void check_gemm(const compiler::GemmShape& s, std::uint64_t seed, tb::axi::AxiMemoryConfig mem = {}) {
  tb::TopBenchOptions o;
  o.mem = mem;
  TopBench bench(16, o);
  const auto run = tb::run_gemm(bench, s, seed, kTimeout);
  INFO(fmt::format("seed {} M={} K={} N={} {}: {} commands, {}", seed, s.m, s.k, s.n,
                   s.type == compiler::DType::Int8 ? "INT8" : "BF16", run.commands,
                   run.result.describe()));
  INFO(rerun(seed));
  REQUIRE(run.result.ok());
  if (run.mismatch) FAIL(*run.mismatch);
  // Performance counters: MACs issued and DMA data bytes (command fetch is
  // not DMA traffic); busy cycles bound the engines' busy cycles.
  CHECK(run.counters.macs == run.expect_macs);
  CHECK(run.counters.dma_rd_bytes == run.expect_rd_bytes);
  CHECK(run.counters.dma_wr_bytes == run.expect_wr_bytes);
  CHECK(run.counters.gemm_busy <= run.counters.cycles);
  const unsigned per_pe = s.type == compiler::DType::Int8 ? 2 : 1;  // INT8: two MACs per PE
  CHECK(run.counters.gemm_busy >= run.expect_macs / (bench.dev().hw().rows * bench.dev().hw().cols * per_pe));
  CHECK(run.counters.vec_busy == 0);
}

}  // namespace

TEST_CASE("GEMM INT8 through the accelerator matches the reference bit for bit") {
  for (auto seed : tb::test_seeds({1, 2, 3})) {
    std::mt19937_64 rng(seed);
    compiler::GemmShape s;
    s.m = 1 + rng() % 40;
    s.k = 1 + rng() % 30;
    s.n = 1 + rng() % 23;
    s.type = compiler::DType::Int8;
    check_gemm(s, seed);
  }
}

TEST_CASE("GEMM BF16 through the accelerator matches the reference bit for bit") {
  for (auto seed : tb::test_seeds({4, 5, 6})) {
    std::mt19937_64 rng(seed);
    compiler::GemmShape s;
    s.m = 1 + rng() % 40;
    s.k = 1 + rng() % 30;
    s.n = 1 + rng() % 23;
    s.type = compiler::DType::Bf16;
    check_gemm(s, seed);
  }
}

TEST_CASE("GEMM with several M blocks and chunked K overlaps load compute and store") {
  // small: ACC 256 rows -> M blocks of <= 128; WSPAD 256 words -> K chunks of
  // <= 32 tiles (128 elements), so K = 150 is split and accumulated.
  for (auto seed : tb::test_seeds({7})) {
    compiler::GemmShape s;
    s.m = 300;
    s.k = 150;
    s.n = 11;
    s.type = seed % 2 ? compiler::DType::Int8 : compiler::DType::Bf16;
    check_gemm(s, seed);
    s.type = seed % 2 ? compiler::DType::Bf16 : compiler::DType::Int8;
    check_gemm(s, seed + 1);
  }
}

TEST_CASE("GEMM is bit-exact under memory latency back-pressure and random stalls") {
  for (auto seed : tb::test_seeds({11, 12})) {
    std::mt19937_64 rng(seed);
    tb::axi::AxiMemoryConfig mem;
    mem.read_latency = 1 + rng() % 60;
    mem.write_latency = 1 + rng() % 60;
    mem.beat_interval = 1 + rng() % 3;
    mem.stall_prob = 0.3;
    mem.seed = seed;
    mem.reorder = true;
    compiler::GemmShape s;
    s.m = 1 + rng() % 70;
    s.k = 1 + rng() % 50;
    s.n = 1 + rng() % 17;
    s.type = rng() % 2 ? compiler::DType::Int8 : compiler::DType::Bf16;
    check_gemm(s, seed, mem);
  }
}

TEST_CASE("Back-to-back GEMMs of different modes keep each weight tile's mode") {
  // The W loader prefetches the next GEMM's tiles while the previous GEMM's
  // rows still stream: INT8, BF16, INT8 with no FENCE between them.
  for (auto seed : tb::test_seeds({51, 52})) {
    std::mt19937_64 rng(seed);
    TopBench bench(16);
    auto& dev = bench.dev();
    const auto t = bench.target();
    const unsigned M = 32, K = 2 * t.rows, N = t.cols, bb = t.bus_bytes, wpr = t.acc_words_per_row();
    ref::Matrix<std::int8_t> ai(M, K), wi(K, N);
    ref::Matrix<std::uint16_t> af(M, K), wf(K, N);
    for (unsigned i = 0; i < M; ++i)
      for (unsigned k = 0; k < K; ++k) {
        ai(i, k) = static_cast<std::int8_t>(rng());
        af(i, k) = tb::random_bf16(rng);
      }
    for (unsigned k = 0; k < K; ++k)
      for (unsigned j = 0; j < N; ++j) {
        wi(k, j) = static_cast<std::int8_t>(rng());
        wf(k, j) = tb::random_bf16(rng);
      }
    const auto ai_d = compiler::pack_a_i8(ai, t), af_d = compiler::pack_a_bf16(af, t);
    const auto wi_d = compiler::pack_w_i8(wi, t), wf_d = compiler::pack_w_bf16(wf, t);
    const rt::Buffer a1 = dev.alloc(ai_d.size()), a2 = dev.alloc(af_d.size());
    const rt::Buffer w1 = dev.alloc(wi_d.size()), w2 = dev.alloc(wf_d.size());
    const rt::Buffer c = dev.alloc(3 * M * wpr * bb);
    dev.upload(a1, ai_d);
    dev.upload(a2, af_d);
    dev.upload(w1, wi_d);
    dev.upload(w2, wf_d);
    auto load = [&](const rt::Buffer& b, isa::Space sp, std::uint32_t local) {
      return tb::load_buffer(b, sp, local, bb);
    };
    auto gemm = [&](bool bf16, std::uint32_t a, std::uint32_t w, std::uint32_t acc) {
      isa::GemmArgs g;
      g.bf16 = bf16;
      g.a_addr = a;
      g.w_addr = w;
      g.acc_addr = acc;
      g.m = M;
      g.k_tiles = bf16 ? 2 : 1;  // K = 2*Rows: two BF16 tiles, one INT8 tile
      g.a_kstride = M;
      g.w_kstride = t.rows;
      return isa::gemm(g);
    };
    isa::Transfer st;
    st.dram_addr = c.addr;
    st.row_words = 3 * M * wpr;
    st.space = isa::Space::Acc;
    const std::vector<isa::Command> cmds = {
        load(a1, isa::Space::Aspad, 0), load(a2, isa::Space::Aspad, 2 * M),
        load(w1, isa::Space::Wspad, 0), load(w2, isa::Space::Wspad, 2 * t.rows), isa::fence(),
        gemm(false, 0, 0, 0), gemm(true, 2 * M, 2 * t.rows, M), gemm(false, 0, 0, 2 * M),
        isa::fence(), isa::store(st)};
    const auto r = dev.run(cmds, kTimeout);
    INFO(fmt::format("seed {}: {}", seed, r.describe()));
    REQUIRE(r.ok());
    const auto bytes = dev.download(c, 0, c.bytes);
    compiler::GemmShape s;
    s.m = 3 * M;
    s.k = K;
    s.n = N;
    const auto got = compiler::unpack_c(bytes, s, t);
    const auto ci = ref::gemm_i8(ai, wi);
    const auto cf = ref::gemm_bf16(af, wf);
    ref::Matrix<std::uint32_t> want(3 * M, N);
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N; ++j) {
        want(i, j) = static_cast<std::uint32_t>(ci(i, j));
        want(M + i, j) = cf(i, j);
        want(2 * M + i, j) = static_cast<std::uint32_t>(ci(i, j));
      }
    if (auto mm = tb::first_mismatch("C (INT8 | BF16 | INT8 rows)", want, got, bench.cycle()))
      FAIL(fmt::format("seed {}: {}", seed, *mm));
  }
}

// Q x K^T without a host transpose: K is loaded as it is (one row per token)
// into WSPAD and used as column tiles (w_transposed); all N tiles of the
// scores run in one GEMM command (n_tiles), and the INT8 case reads Q as
// uint8 (a_unsigned), as attention probabilities would be. The K tiles are
// also stored back from WSPAD (STORE reads WSPAD) and must come out unchanged.
TEST_CASE("GEMM with transposed weight tiles, unsigned A and several N tiles per command") {
  for (auto seed : tb::test_seeds({61, 62})) {
    for (const bool bf16 : {false, true}) {
      std::mt19937_64 rng(seed);
      TopBench bench(16);
      auto& dev = bench.dev();
      const auto t = bench.target();
      const unsigned M = 1 + rng() % 9, K = 3 + rng() % 20, N = 2 + rng() % 14;
      const unsigned bb = t.bus_bytes, wpr = t.acc_words_per_row();
      const unsigned depth = bf16 ? t.rows : 2 * t.rows, kt_n = (K + depth - 1) / depth;
      const unsigned nt_n = (N + t.cols - 1) / t.cols;
      std::vector<std::uint8_t> q_d, k_d;
      ref::Matrix<std::uint32_t> want(M, N);
      if (bf16) {
        ref::Matrix<std::uint16_t> q(M, K), k(N, K), kt(K, N);
        for (unsigned i = 0; i < M; ++i)
          for (unsigned e = 0; e < K; ++e) q(i, e) = tb::random_bf16(rng);
        for (unsigned j = 0; j < N; ++j)
          for (unsigned e = 0; e < K; ++e) kt(e, j) = k(j, e) = tb::random_bf16(rng);
        q_d = compiler::pack_a_bf16(q, t);
        k_d = compiler::pack_wt_bf16(k, t);
        want = ref::gemm_bf16(q, kt);
      } else {
        ref::Matrix<std::int8_t> q(M, K), k(N, K);
        for (unsigned i = 0; i < M; ++i)
          for (unsigned e = 0; e < K; ++e) q(i, e) = static_cast<std::int8_t>(rng());
        for (unsigned j = 0; j < N; ++j)
          for (unsigned e = 0; e < K; ++e) k(j, e) = static_cast<std::int8_t>(rng());
        q_d = compiler::pack_a_i8(q, t);
        k_d = compiler::pack_wt_i8(k, t);
        for (unsigned i = 0; i < M; ++i)
          for (unsigned j = 0; j < N; ++j) {
            std::int64_t s = 0;
            for (unsigned e = 0; e < K; ++e) s += std::int64_t{static_cast<std::uint8_t>(q(i, e))} * k(j, e);
            want(i, j) = static_cast<std::uint32_t>(s);
          }
      }
      const rt::Buffer qb = dev.alloc(q_d.size()), kb = dev.alloc(k_d.size()), kback = dev.alloc(k_d.size());
      const rt::Buffer cb = dev.alloc(std::size_t{nt_n} * M * wpr * bb);
      dev.upload(qb, q_d);
      dev.upload(kb, k_d);
      isa::GemmArgs g;
      g.bf16 = bf16;
      g.a_unsigned = !bf16;
      g.w_transposed = true;
      g.m = M;
      g.k_tiles = kt_n;
      g.n_tiles = nt_n;
      g.a_kstride = M;
      g.w_kstride = t.cols;
      g.w_nstride = kt_n * t.cols;
      g.acc_nstride = M;
      isa::Transfer st;
      st.dram_addr = cb.addr;
      st.row_words = nt_n * M * wpr;
      st.space = isa::Space::Acc;
      isa::Transfer sk;
      sk.dram_addr = kback.addr;
      sk.row_words = static_cast<unsigned>(k_d.size() / bb);
      sk.space = isa::Space::Wspad;
      const std::vector<isa::Command> cmds = {
          tb::load_buffer(qb, isa::Space::Aspad, 0, bb), tb::load_buffer(kb, isa::Space::Wspad, 0, bb),
          isa::fence(), isa::gemm(g), isa::fence(), isa::store(st), isa::store(sk)};
      const auto r = dev.run(cmds, kTimeout);
      INFO(fmt::format("seed {} {} M={} K={} N={}: {}", seed, bf16 ? "BF16" : "UINT8 x INT8", M, K, N,
                       r.describe()));
      REQUIRE(r.ok());
      compiler::GemmShape s;
      s.m = M;
      s.k = K;
      s.n = N;
      const auto got = compiler::unpack_c(dev.download(cb, 0, cb.bytes), s, t);
      if (auto mm = tb::first_mismatch("C = Q x K^T", want, got, bench.cycle())) FAIL(*mm);
      CHECK(dev.download(kback, 0, k_d.size()) == k_d);
    }
  }
}

TEST_CASE("A soft reset with CTRL.SCRUB zeroes the scratchpads and ACC and without it the next stream reads what the last one left") {
  for (const bool scrub : {false, true}) {
    INFO("CTRL.SCRUB " << scrub);
    tb::TopBenchOptions o;
    o.scrub_on_reset = scrub;
    TopBench bench(16, o);
    auto& dev = bench.dev();
    const auto c = bench.accel_config();
    const unsigned bb = c.bus_bytes, wpr = c.acc_words_per_row();
    std::mt19937_64 rng(77);
    std::vector<std::uint8_t> a(std::size_t{c.aspad_words} * bb), w(std::size_t{c.wspad_words} * bb);
    for (auto& b : a) b = static_cast<std::uint8_t>(rng() | 1);  // no zero byte
    for (auto& b : w) b = static_cast<std::uint8_t>(rng() | 1);
    const rt::Buffer ab = dev.alloc(a.size()), wb = dev.alloc(w.size());
    const rt::Buffer acc_out = dev.alloc(std::size_t{c.acc_rows} * wpr * bb);
    const rt::Buffer a_out = dev.alloc(a.size()), w_out = dev.alloc(w.size());
    dev.upload(ab, a);
    dev.upload(wb, w);
    // stream 1: fill both scratchpads, then a GEMM writes every ACC row
    isa::GemmArgs g;
    g.m = c.acc_rows;
    const auto r1 = dev.run({tb::load_buffer(ab, isa::Space::Aspad, 0, bb),
                             tb::load_buffer(wb, isa::Space::Wspad, 0, bb), isa::fence(), isa::gemm(g)},
                            kTimeout);
    INFO(r1.describe());
    REQUIRE(r1.ok());
    const std::uint64_t before = bench.cycle();
    dev.soft_reset();
    const std::uint64_t reset_cycles = bench.cycle() - before;
    // stream 2 only stores what the memories hold
    const auto r2 = dev.run({tb::store_buffer(a_out, isa::Space::Aspad, 0, bb),
                             tb::store_buffer(w_out, isa::Space::Wspad, 0, bb),
                             tb::store_buffer(acc_out, isa::Space::Acc, 0, bb)},
                            kTimeout);
    INFO(r2.describe());
    REQUIRE(r2.ok());
    const auto a_got = dev.download(a_out, 0, a.size()), w_got = dev.download(w_out, 0, w.size());
    const auto acc_got = dev.download(acc_out, 0, acc_out.bytes);
    const auto nonzero = [](const std::vector<std::uint8_t>& v) {
      return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](std::uint8_t x) { return x != 0; }));
    };
    fmt::print("[scrub {}] soft reset {} cycles; nonzero bytes after it: ASPAD {}, WSPAD {}, ACC {}\n", scrub,
               reset_cycles, nonzero(a_got), nonzero(w_got), nonzero(acc_got));
    if (scrub) {
      CHECK(nonzero(a_got) == 0);
      CHECK(nonzero(w_got) == 0);
      CHECK(nonzero(acc_got) == 0);
      // one word of every memory per cycle: at least the largest memory's words
      CHECK(reset_cycles >= std::max({c.aspad_words, c.wspad_words, c.acc_rows}));
    } else {
      CHECK(a_got == a);
      CHECK(w_got == w);
      CHECK(nonzero(acc_got) > 0);
    }
  }
}

TEST_CASE("An IRQ inside a stream sets DONE early but run() returns only when the whole stream has run") {
  tb::TopBenchOptions o;
  o.mem.read_latency = 40;  // the work after the IRQ takes thousands of cycles
  o.mem.write_latency = 40;
  TopBench bench(16, o);
  auto& dev = bench.dev();
  const unsigned bb = bench.accel_config().bus_bytes;
  const std::size_t bytes = 128 * bb;
  std::vector<std::uint8_t> src(bytes);
  std::mt19937_64 rng(5);
  for (auto& b : src) b = static_cast<std::uint8_t>(rng());
  const rt::Buffer in = dev.alloc(bytes), mid = dev.alloc(bytes), out = dev.alloc(bytes);
  dev.upload(in, src);
  dev.upload(out, std::vector<std::uint8_t>(bytes, 0));
  // copy in -> mid, IRQ (a FENCE that sets DONE), then mid -> out four times over
  std::vector<isa::Command> cmds{tb::load_buffer(in, isa::Space::Aspad, 0, bb), isa::fence(),
                                 tb::store_buffer(mid, isa::Space::Aspad, 0, bb), isa::irq()};
  for (int i = 0; i < 4; ++i) {
    cmds.push_back(tb::load_buffer(mid, isa::Space::Wspad, 0, bb));
    cmds.push_back(isa::fence());
    cmds.push_back(tb::store_buffer(out, isa::Space::Wspad, 0, bb));
    cmds.push_back(isa::fence());
  }
  const auto r = dev.run(cmds, kTimeout);
  INFO(r.describe());
  REQUIRE(r.ok());
  CHECK((dev.status() & 4u) != 0);  // STATUS.IDLE
  const auto got = dev.download(out, 0, bytes);
  for (std::size_t i = 0; i < bytes; ++i)
    if (got[i] != src[i])
      FAIL(fmt::format("out byte {}: expected 0x{:02x}, got 0x{:02x} (run returned at cycle {})", i, src[i],
                       got[i], bench.cycle()));
}

TEST_CASE("A soft reset with CTRL.SCRUB also clears the VEC parameter buffer and LUT, as the model does") {
  // The same runtime calls on the RTL and on rt::ModelTransport: PARAMS and
  // LUT_LOAD, a soft reset, then REQUANT and LUT_I8 read what is left.
  std::vector<std::uint8_t> dumps[2];
  for (const bool scrub : {false, true}) {
    INFO("CTRL.SCRUB " << scrub);
    tb::TopBenchOptions o;
    o.scrub_on_reset = scrub;
    TopBench bench(16, o);
    const auto cfg = bench.accel_config();
    rt::ModelTransport model_tr(cfg, bench.dev().hw().vec_lanes);
    rt::Device model_dev(model_tr, bench.device_options());
    tb::VecCmdGen gen(cfg, 31);
    gen.set_acc_allowed(false);
    // four ASPAD images, each with the stream of one VEC command
    std::vector<std::vector<std::uint8_t>> images;
    std::vector<isa::Command> vecs;
    const auto add = [&](auto&& make) {
      ref::LocalMemories m;
      m.aspad.assign(std::size_t{cfg.aspad_words} * cfg.bus_bytes, 0);
      m.wspad.assign(std::size_t{cfg.wspad_words} * cfg.bus_bytes, 0);
      m.acc.assign(std::size_t{cfg.acc_rows} * cfg.cols, 0);
      vecs.push_back(make(m).encode());
      images.push_back(m.aspad);
    };
    add([&](ref::LocalMemories& m) { return gen.params_for(isa::VecFunc::Requant, cfg.vec_maxlen, m); });
    add([&](ref::LocalMemories& m) { return gen.lut_load(m); });
    add([&](ref::LocalMemories& m) {
      auto c = gen.make(isa::VecFunc::Requant, m, 2);
      c.cfg1 = 0;  // no LUT: REQUANT shows the parameters alone
      return c;
    });
    add([&](ref::LocalMemories& m) { return gen.make(isa::VecFunc::LutI8, m, 2); });
    const unsigned bb = cfg.bus_bytes;
    std::vector<std::vector<std::uint8_t>> outs;
    for (rt::Device* dev : {&bench.dev(), &model_dev}) {
      std::vector<rt::Buffer> in;
      for (const auto& im : images) {
        in.push_back(dev->alloc(im.size()));
        dev->upload(in.back(), im);
      }
      const std::size_t dump_bytes = std::size_t{cfg.aspad_words + cfg.wspad_words} * bb;
      const rt::Buffer out = dev->alloc(2 * dump_bytes);
      const auto step = [&](unsigned k) {
        return std::vector<isa::Command>{tb::load_buffer(in[k], isa::Space::Aspad, 0, bb), isa::fence(), vecs[k]};
      };
      auto first = step(0);
      const auto second = step(1);
      first.push_back(isa::fence());
      first.insert(first.end(), second.begin(), second.end());
      const auto r1 = dev->run(first, kTimeout);
      INFO(r1.describe());
      REQUIRE(r1.ok());
      dev->soft_reset();
      std::vector<isa::Command> after;  // each command, then both scratchpads into out
      for (unsigned k = 2; k < 4; ++k) {
        const auto s = step(k);
        after.insert(after.end(), s.begin(), s.end());
        after.push_back(isa::fence());
        isa::Transfer a;
        a.dram_addr = static_cast<std::uint32_t>(out.addr + (k - 2) * dump_bytes);
        a.row_words = cfg.aspad_words;
        after.push_back(isa::store(a));
        isa::Transfer w = a;
        w.space = isa::Space::Wspad;
        w.dram_addr += cfg.aspad_words * bb;
        w.row_words = cfg.wspad_words;
        after.push_back(isa::store(w));
        after.push_back(isa::fence());
      }
      const auto r2 = dev->run(after, kTimeout);
      INFO(r2.describe());
      REQUIRE(r2.ok());
      outs.push_back(dev->download(out, 0, out.bytes));
    }
    for (std::size_t i = 0; i < outs[0].size(); ++i)
      if (outs[0][i] != outs[1][i])
        FAIL(fmt::format("local memory dump byte {}: model 0x{:02x}, RTL 0x{:02x}", i, outs[1][i], outs[0][i]));
    dumps[scrub] = outs[1];
  }
  // The two cases must tell apart: without the scrub REQUANT and LUT_I8 see
  // the old parameters and table.
  CHECK(dumps[0] != dumps[1]);
}
