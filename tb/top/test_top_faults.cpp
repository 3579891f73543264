// Every fault kind of docs/isa.md §5 is provoked through the whole
// accelerator: the run must stop with the right code and the faulting
// command's address, nothing may hang, and after a soft reset a GEMM must
// run bit-exactly again.
#include "gemm_flow.hpp"
#include "top_bench.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace npu;
using npu::isa::Fault;
using npu::tb::TopBench;

namespace {

constexpr std::uint64_t kTimeout = 200'000;

// Runs `cmds` (the faulting one at index `bad`), checks the report, then
// soft-resets and proves the device works.
void expect_fault(TopBench& tb, const std::vector<isa::Command>& cmds, std::size_t bad,
                  Fault code) {
  auto& dev = tb.dev();
  const std::uint32_t bad_addr = dev.command_addr(bad);
  const auto r = dev.run(cmds, kTimeout);
  INFO(r.describe());
  REQUIRE(r.status == rt::RunResult::Status::Fault);
  CHECK(isa::fault_name(r.fault) == isa::fault_name(code));
  CHECK(r.fault_addr == bad_addr);
  CHECK((dev.status() & 2u) == 2u);            // STATUS.FAULT
  CHECK(tb.transport().dut().irq_o == 1);      // IRQ_ENABLE.FAULT is set by the driver
  // A run before the soft reset reports the fault at once (not a timeout).
  const auto stale = dev.run({isa::fence()}, kTimeout);
  INFO(stale.describe());
  CHECK(stale.status == rt::RunResult::Status::Fault);
  CHECK(stale.fault_addr == bad_addr);
  CHECK(stale.cycles == 0);
  tb.transport().memory().clear_error_ranges();
  dev.soft_reset();
  CHECK((dev.status() & 2u) == 0);             // STATUS.FAULT cleared
  CHECK(tb.transport().dut().irq_o == 0);
  compiler::GemmShape s;
  s.m = 9;
  s.k = 7;
  s.n = 6;
  const auto g = tb::run_gemm(tb, s, 99, 500'000);
  INFO("GEMM after soft reset: " << g.result.describe());
  REQUIRE(g.result.ok());
  if (g.mismatch) FAIL(*g.mismatch);
}

isa::Transfer aspad_load(std::uint32_t dram, unsigned words) {
  isa::Transfer t;
  t.dram_addr = dram;
  t.rows = 1;
  t.row_words = words;
  t.space = isa::Space::Aspad;
  return t;
}

}  // namespace

TEST_CASE("Illegal opcodes and VEC funcs fault with their command address") {
  TopBench tb(16);
  const rt::Buffer buf = tb.dev().alloc(4096);
  isa::Command zero;  // opcode 0x00
  expect_fault(tb, {isa::load(aspad_load(buf.addr, 4)), isa::fence(), zero}, 2,
               Fault::IllegalOpcode);
  isa::Command unknown;
  unknown.w[0] = 0x3F;
  expect_fault(tb, {unknown}, 0, Fault::IllegalOpcode);
  isa::VecArgs v;
  v.func = static_cast<isa::VecFunc>(0x7E);
  v.n = 4;
  v.src.group = v.dst.group = 4;
  expect_fault(tb, {isa::load(aspad_load(buf.addr, 4)), isa::vec(v)}, 1, Fault::IllegalOpcode);
}

TEST_CASE("DRAM outside the window faults ADDR_WINDOW before any transfer") {
  TopBench tb(16);
  const std::uint32_t end = TopBench::kWindowBase + TopBench::kWindowSize;
  expect_fault(tb, {isa::load(aspad_load(TopBench::kWindowBase - 16, 1))}, 0, Fault::AddrWindow);
  // the last byte of a 2D transfer one past the window
  isa::Transfer t = aspad_load(end - 1024, 1);
  t.rows = 3;
  t.dram_stride = 512;
  t.local_stride = 1;
  expect_fault(tb, {isa::fence(), isa::store(t)}, 1, Fault::AddrWindow);
  // the last byte of a transfer exactly one past a window that ends off the
  // bus grid: the same transfer runs inside the full window and faults here
  tb.dev().set_window(TopBench::kWindowBase, TopBench::kWindowSize - 1);
  expect_fault(tb, {isa::load(aspad_load(end - 16, 1))}, 0, Fault::AddrWindow);
  tb.dev().set_window(TopBench::kWindowBase, TopBench::kWindowSize);
  REQUIRE(tb.dev().run({isa::load(aspad_load(end - 16, 1))}, kTimeout).ok());
  // wrap-around past 2^32 is not a way in
  isa::Transfer w = aspad_load(0xFFFFFFF0u, 2);
  expect_fault(tb, {isa::load(w)}, 0, Fault::AddrWindow);
}

TEST_CASE("Scratchpad and accumulator overflows fault SPAD_RANGE and ACC_RANGE") {
  TopBench tb(16);
  const auto& hw = tb.dev().hw();
  const rt::Buffer buf = tb.dev().alloc(64 * 1024);
  isa::Transfer t = aspad_load(buf.addr, 2);
  t.local_addr = hw.aspad_words - 1;  // last word fits, the second does not
  expect_fault(tb, {isa::load(t)}, 0, Fault::SpadRange);
  t = aspad_load(buf.addr, 1);
  t.space = isa::Space::Wspad;
  t.rows = 2;
  t.local_addr = hw.wspad_words - 2;
  t.local_stride = 2;
  expect_fault(tb, {isa::load(t)}, 0, Fault::SpadRange);
  isa::GemmArgs g;
  g.m = 2;
  g.k_tiles = 1;
  g.acc_addr = hw.acc_rows - 1;
  expect_fault(tb, {isa::gemm(g)}, 0, Fault::AccRange);
  g.acc_addr = 0;
  g.a_addr = hw.aspad_words - 4;
  g.k_tiles = 2;
  g.a_kstride = 3;  // last A word: aspad_words - 4 + 3 + 1
  expect_fault(tb, {isa::gemm(g)}, 0, Fault::SpadRange);
  isa::Transfer s = aspad_load(buf.addr, hw.acc_words_per_row());
  s.space = isa::Space::Acc;
  s.local_addr = (hw.acc_rows - 1) * hw.acc_words_per_row() + 1;
  expect_fault(tb, {isa::store(s)}, 0, Fault::AccRange);
}

TEST_CASE("Misaligned DRAM addresses and strides fault ALIGN") {
  TopBench tb(16);
  const rt::Buffer buf = tb.dev().alloc(4096);
  expect_fault(tb, {isa::load(aspad_load(buf.addr + 8, 1))}, 0, Fault::Align);
  isa::Transfer t = aspad_load(buf.addr, 1);
  t.rows = 2;
  t.dram_stride = 24;
  expect_fault(tb, {isa::store(t)}, 0, Fault::Align);
}

TEST_CASE("Zero counts bad spaces and impossible tokens fault BAD_FIELD") {
  TopBench tb(16);
  const rt::Buffer buf = tb.dev().alloc(4096);
  isa::Transfer t = aspad_load(buf.addr, 1);
  t.rows = 0;
  expect_fault(tb, {isa::load(t)}, 0, Fault::BadField);
  t = aspad_load(buf.addr, 1);
  t.space = isa::Space::Acc;  // LOAD into ACC is not supported
  expect_fault(tb, {isa::load(t)}, 0, Fault::BadField);
  // a command takes no token from or to its own queue; FENCE takes none
  expect_fault(tb, {isa::load(aspad_load(buf.addr, 1), isa::Deps{}.pop_from(isa::Queue::Load))}, 0,
               Fault::BadField);
  isa::GemmArgs gt;
  expect_fault(tb, {isa::gemm(gt, isa::Deps{}.push_to(isa::Queue::Gemm))}, 0, Fault::BadField);
  isa::Command f = isa::fence();
  isa::set_deps(f, isa::Deps{}.pop_from(isa::Queue::Vec));
  expect_fault(tb, {f}, 0, Fault::BadField);
  isa::GemmArgs g;
  g.m = 0;
  expect_fault(tb, {isa::gemm(g)}, 0, Fault::BadField);
  isa::VecArgs v;
  v.func = isa::VecFunc::GeluBf16;
  v.n = 8;
  v.src.group = 0;
  v.dst.group = 4;
  expect_fault(tb, {isa::vec(v)}, 0, Fault::BadField);
}

TEST_CASE("AXI error responses fault AXI_SLVERR and AXI_DECERR and stop the stream") {
  TopBench tb(16);
  auto& mem = tb.transport().memory();
  const rt::Buffer src = tb.dev().alloc(4096), dst = tb.dev().alloc(4096);
  tb.dev().upload(dst, std::vector<std::uint8_t>(4096, 0x5A));
  // SLVERR in the middle of a LOAD; the STORE after it must not run
  mem.add_error_range(src.addr + 1024, src.addr + 1040, tb::axi::Resp::SlvErr);
  isa::Transfer st = aspad_load(dst.addr, 64);
  expect_fault(tb, {isa::load(aspad_load(src.addr, 128)), isa::fence(), isa::store(st)}, 0,
               Fault::AxiSlverr);
  CHECK(tb.dev().download(dst, 0, 4096) == std::vector<std::uint8_t>(4096, 0x5A));
  // DECERR on a STORE's write response
  mem.add_error_range(dst.addr + 2048, dst.addr + 2064, tb::axi::Resp::DecErr);
  expect_fault(tb, {isa::load(aspad_load(src.addr, 128)), isa::fence(),
                    isa::store(aspad_load(dst.addr, 256))}, 2, Fault::AxiDecerr);
}

TEST_CASE("An AXI error while fetching a command faults with that command's address") {
  TopBench tb(16);
  auto& mem = tb.transport().memory();
  const std::uint32_t bad = tb.dev().command_addr(1);
  mem.add_error_range(bad, bad + 64, tb::axi::Resp::SlvErr);
  expect_fault(tb, {isa::fence(), isa::fence(), isa::fence()}, 1, Fault::AxiSlverr);
}
