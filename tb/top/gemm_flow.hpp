// One GEMM, DRAM to DRAM through the whole accelerator: random operands,
// packed by the compiler, run as a tiled command stream, checked bit-exactly
// against the reference GEMM.
#pragma once

#include "top_bench.hpp"

#include "npu/compiler/gemm.hpp"
#include "npu/ref/gemm.hpp"

#include <chrono>
#include <random>

namespace npu::tb {

struct GemmRun {
  rt::RunResult result;
  std::optional<std::string> mismatch;
  rt::Counters counters;
  compiler::GemmPlan plan;
  std::size_t commands = 0;
  // What the performance counters must show, from the command stream itself.
  std::uint64_t expect_macs = 0, expect_rd_bytes = 0, expect_wr_bytes = 0;
  // Host time and cycles of dev.run() alone (no operand set-up, no reference GEMM).
  double run_seconds = 0;
  std::uint64_t run_cycles = 0;
};

inline std::uint16_t random_bf16(std::mt19937_64& rng) {
  // finite, moderate magnitudes so sums stay meaningful; sign random
  const unsigned exp = 120 + rng() % 14, mant = rng() & 0x7F, sign = rng() & 1;
  return static_cast<std::uint16_t>(sign << 15 | exp << 7 | mant);
}

inline GemmRun run_gemm(TopBench& tb, const compiler::GemmShape& s, std::uint64_t seed,
                        std::uint64_t timeout_cycles) {
  std::mt19937_64 rng(seed);
  const compiler::Target t = tb.target();
  auto& dev = tb.dev();
  dev.free_all();
  GemmRun run;
  std::vector<std::uint8_t> a_dev, w_dev;
  ref::Matrix<std::uint32_t> expect;
  if (s.type == compiler::DType::Int8) {
    ref::Matrix<std::int8_t> a(s.m, s.k), w(s.k, s.n);
    for (unsigned i = 0; i < s.m; ++i)
      for (unsigned k = 0; k < s.k; ++k) a(i, k) = static_cast<std::int8_t>(rng());
    for (unsigned k = 0; k < s.k; ++k)
      for (unsigned j = 0; j < s.n; ++j) w(k, j) = static_cast<std::int8_t>(rng());
    a_dev = compiler::pack_a_i8(a, t);
    w_dev = compiler::pack_w_i8(w, t);
    const auto c = ref::gemm_i8(a, w);
    expect = ref::Matrix<std::uint32_t>(s.m, s.n);
    for (unsigned i = 0; i < s.m; ++i)
      for (unsigned j = 0; j < s.n; ++j) expect(i, j) = static_cast<std::uint32_t>(c(i, j));
  } else {
    ref::Matrix<std::uint16_t> a(s.m, s.k), w(s.k, s.n);
    for (unsigned i = 0; i < s.m; ++i)
      for (unsigned k = 0; k < s.k; ++k) a(i, k) = random_bf16(rng);
    for (unsigned k = 0; k < s.k; ++k)
      for (unsigned j = 0; j < s.n; ++j) w(k, j) = random_bf16(rng);
    a_dev = compiler::pack_a_bf16(a, t);
    w_dev = compiler::pack_w_bf16(w, t);
    expect = ref::gemm_bf16(a, w);
  }
  compiler::GemmBuffers b;
  const rt::Buffer ab = dev.alloc(a_dev.size()), wb = dev.alloc(w_dev.size());
  const rt::Buffer cb = dev.alloc(compiler::c_bytes(s, t));
  dev.upload(ab, a_dev);
  dev.upload(wb, w_dev);
  dev.upload(cb, std::vector<std::uint8_t>(cb.bytes, 0xA5));  // stale data must be overwritten
  b.a = ab.addr;
  b.w = wb.addr;
  b.c = cb.addr;
  const auto cmds = compiler::emit_gemm(s, t, b, &run.plan);
  run.commands = cmds.size();
  for (const auto& c : cmds) {
    const isa::Work w = isa::work_of(c);
    if (c.op() == isa::Op::Load) run.expect_rd_bytes += w.dma_words * t.bus_bytes;
    if (c.op() == isa::Op::Store) run.expect_wr_bytes += w.dma_words * t.bus_bytes;
    // Rows*Cols MACs per A row and tile, twice that in INT8 (two per PE)
    run.expect_macs += w.gemm_rows * t.rows * t.cols * (w.int8 ? 2 : 1);
  }
  dev.clear_counters();
  const std::uint64_t c0 = tb.cycle();
  const auto t0 = std::chrono::steady_clock::now();
  run.result = dev.run(cmds, timeout_cycles);
  run.run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.run_cycles = tb.cycle() - c0;
  run.counters = dev.counters();
  if (!run.result.ok()) return run;
  const auto got = compiler::unpack_c(dev.download(cb, 0, cb.bytes), s, t);
  run.mismatch = first_mismatch("C", expect, got, tb.cycle());
  return run;
}

}  // namespace npu::tb
