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
// Runs an m x 7 x 6 GEMM (seed `seed`) and requires it bit-exact.
void expect_gemm_bit_exact(TopBench& tb, unsigned m, std::uint64_t seed, const char* what) {
  compiler::GemmShape s;
  s.m = m;
  s.k = 7;
  s.n = 6;
  const auto g = tb::run_gemm(tb, s, seed, 500'000);
  INFO(what << ": " << g.result.describe());
  REQUIRE(g.result.ok());
  if (g.mismatch) FAIL(*g.mismatch);
}

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
  tb.transport().memory().clear_faults();
  dev.soft_reset();
  CHECK((dev.status() & 2u) == 0);             // STATUS.FAULT cleared
  CHECK(tb.transport().dut().irq_o == 0);
  // The bus is quiet after the soft reset: from here the monitor checks it
  // strictly again, even where a corrupting slave had it record only.
  tb.transport().monitor().restart();
  tb.transport().monitor().set_throw_on_violation(true);
  expect_gemm_bit_exact(tb, 9, 99, "GEMM after soft reset");
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

TEST_CASE("A 256th unconsumed token faults TOKEN_OVERFLOW with the pushing command's address") {
  // A long GEMM holds the GEMM queue while 256 LOAD-queue NOPs each push it a token:
  // the 8-bit counter cannot hold the 256th. The pops that balance the stream
  // (rt::Device refuses one that would leave tokens) come after.
  TopBench tb(16);
  const auto c = tb.accel_config();
  isa::GemmArgs g;
  g.m = c.acc_rows;
  g.k_tiles = 4;
  g.n_tiles = 1;
  std::vector<isa::Command> cmds{isa::gemm(g)};
  for (int i = 0; i < 256; ++i) cmds.push_back(isa::nop(isa::Queue::Load, isa::Deps{}.push_to(isa::Queue::Gemm)));
  for (int i = 0; i < 256; ++i) cmds.push_back(isa::nop(isa::Queue::Gemm, isa::Deps{}.pop_from(isa::Queue::Load)));
  expect_fault(tb, cmds, 256, Fault::TokenOverflow);
  // 255 are held: the same stream with one push fewer runs
  cmds.erase(cmds.begin() + 256);
  cmds.pop_back();
  const auto r = tb.dev().run(cmds, kTimeout);
  INFO(r.describe());
  CHECK(r.ok());
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

// ---------------------------------------------------------------- AXI watchdog
// A dead slave must never wedge the device: the port's watchdog faults
// AXI_TIMEOUT after AXI_TIMEOUT cycles without progress and isolates the port
// until hard reset, a soft reset completes anyway, and a later stream that
// needs the port faults at once.

namespace {

constexpr std::uint32_t kLimit = 2000;         // AXI_TIMEOUT of the dead-slave tests
constexpr std::uint64_t kMargin = 1500;        // fetch, dispatch, report, polling
constexpr std::uint64_t kRunBound = 10 * kLimit;  // a hang fails the run this early
constexpr std::uint64_t kSoftResetBound = 2000;
constexpr std::uint64_t kAtOnce = 400;         // "at once": far below the limit

// The monitor records instead of throwing: an isolated port withdraws its
// VALIDs (the slave is dead) and a corrupting slave breaks the rules itself.
// Checks on destruction that every violation seen is one of `allowed`.
class RecordingMonitor {
 public:
  RecordingMonitor(TopBench& tb, std::vector<std::string> allowed)
      : mon_(tb.transport().monitor()), allowed_(std::move(allowed)) {
    mon_.set_throw_on_violation(false);
  }
  ~RecordingMonitor() {
    for (const auto& v : mon_.violations()) {
      bool ok = false;
      for (const auto& a : allowed_) ok = ok || v.find(a) != std::string::npos;
      if (!ok) FAIL_CHECK("unexpected bus violation: " << v);
    }
  }
  bool saw(const std::string& what) const {
    for (const auto& v : mon_.violations())
      if (v.find(what) != std::string::npos) return true;
    return false;
  }

 private:
  tb::axi::AxiMonitor& mon_;
  std::vector<std::string> allowed_;
};

void expect_timeout(const rt::RunResult& r, std::uint32_t addr, std::uint64_t within) {
  INFO(r.describe());
  REQUIRE(r.status == rt::RunResult::Status::Fault);
  CHECK(isa::fault_name(r.fault) == "AXI_TIMEOUT");
  CHECK(r.fault_addr == addr);
  CHECK(r.cycles <= within);
}

// After a timeout: CTRL.SOFT_RESET completes although the port is dead, and
// `cmds` (command `bad` needs the dead port) faults AXI_TIMEOUT at once.
void expect_dead_after_soft_reset(TopBench& tb, const std::vector<isa::Command>& cmds,
                                  std::size_t bad) {
  auto& dev = tb.dev();
  CHECK((dev.status() & 2u) == 2u);  // STATUS.FAULT
  REQUIRE_NOTHROW(dev.soft_reset(kSoftResetBound));
  CHECK((dev.status() & 3u) == 0);  // neither BUSY nor FAULT
  const std::uint32_t addr = dev.command_addr(bad);
  expect_timeout(dev.run(cmds, kRunBound), addr, kAtOnce);
}

}  // namespace

TEST_CASE("A dead read slave during a LOAD faults AXI_TIMEOUT with the LOAD's address") {
  TopBench tb(16);
  RecordingMonitor rec(tb, {"dropped before"});
  auto& dev = tb.dev();
  auto& mem = tb.transport().memory();
  dev.set_axi_timeout(kLimit);
  const rt::Buffer src = dev.alloc(4096);
  mem.kill_reads_at(src.addr, src.addr + src.bytes);  // the LOAD's burst is never answered
  const std::uint32_t load_addr = dev.command_addr(1);
  expect_timeout(dev.run({isa::fence(), isa::load(aspad_load(src.addr, 128)), isa::fence()}, kRunBound),
                 load_addr, kLimit + kMargin);
  CHECK(mem.reads_dead());
  // the read port stays isolated: even command fetch faults now, at the ring entry
  expect_dead_after_soft_reset(tb, {isa::load(aspad_load(src.addr, 4))}, 0);
}

TEST_CASE("A dead write slave on a STORE faults AXI_TIMEOUT with the STORE's address") {
  for (const bool keep_w : {true, false}) {  // B never comes / W is never taken either
    DYNAMIC_SECTION((keep_w ? "W accepted, no B" : "no WREADY, no B")) {
      TopBench tb(16);
      RecordingMonitor rec(tb, {"WVALID dropped before WREADY", "AWVALID dropped before AWREADY"});
      auto& dev = tb.dev();
      auto& mem = tb.transport().memory();
      dev.set_axi_timeout(kLimit);
      const rt::Buffer src = dev.alloc(4096), dst = dev.alloc(4096);
      mem.kill_writes_at(dst.addr, dst.addr + dst.bytes, keep_w);
      const std::uint32_t store_addr = dev.command_addr(2);
      expect_timeout(dev.run({isa::load(aspad_load(src.addr, 64)), isa::fence(),
                              isa::store(aspad_load(dst.addr, 64))}, kRunBound),
                     store_addr, kLimit + kMargin);
      CHECK(mem.writes_dead());
      if (!keep_w) CHECK(rec.saw("WVALID dropped before WREADY"));  // withdrawn: the slave is dead
      REQUIRE_NOTHROW(dev.soft_reset(kSoftResetBound));
      CHECK((dev.status() & 3u) == 0);
      // the read port is alive: LOADs still run; a STORE faults at once
      const auto r = dev.run({isa::load(aspad_load(src.addr, 64)), isa::fence()}, kRunBound);
      INFO(r.describe());
      CHECK(r.ok());
      const std::uint32_t addr = dev.command_addr(1);
      expect_timeout(dev.run({isa::fence(), isa::store(aspad_load(dst.addr, 4))}, kRunBound), addr,
                     kAtOnce);
    }
  }
}

TEST_CASE("A read slave dead during command fetch faults AXI_TIMEOUT with the ring entry's address") {
  for (const bool accept_ar : {true, false}) {  // the fetch burst accepted / ARREADY never rises
    DYNAMIC_SECTION((accept_ar ? "AR accepted, no R" : "no ARREADY")) {
      TopBench tb(16);
      RecordingMonitor rec(tb, {"ARVALID dropped before ARREADY"});
      auto& dev = tb.dev();
      auto& mem = tb.transport().memory();
      dev.set_axi_timeout(kLimit);
      REQUIRE(dev.run({isa::fence()}, kRunBound).ok());  // ring entries 0 and 1
      const std::uint32_t entry = dev.command_addr(0);    // entry 2: not the ring base
      if (accept_ar) mem.kill_reads_at(entry, entry + 64);
      else mem.kill_reads_now();
      expect_timeout(dev.run({isa::fence(), isa::fence()}, kRunBound), entry, kLimit + kMargin);
      if (!accept_ar) CHECK(rec.saw("ARVALID dropped before ARREADY"));  // withdrawn
      expect_dead_after_soft_reset(tb, {isa::fence()}, 0);
    }
  }
}

TEST_CASE("A slow but live slave never trips the watchdog and results stay bit-exact") {
  tb::TopBenchOptions o;
  o.mem.read_latency = 40;
  o.mem.write_latency = 40;
  o.mem.beat_interval = 2;
  TopBench tb(16, o);
  auto& dev = tb.dev();
  dev.set_axi_timeout(64);
  expect_gemm_bit_exact(tb, 9, 5, "GEMM, latency 40, limit 64");
  // the same limit with a slave slower than it: AXI_TIMEOUT
  auto cfg = tb.transport().memory().config();
  cfg.read_latency = 100;
  tb.transport().memory().set_config(cfg);
  const rt::Buffer src = dev.alloc(4096);
  expect_timeout(dev.run({isa::fence(), isa::load(aspad_load(src.addr, 4))}, kRunBound),
                 dev.command_addr(0), 64 + kMargin);
}

TEST_CASE("AXI_TIMEOUT = 0 disables the watchdog") {
  tb::TopBenchOptions o;
  o.mem.read_latency = 300;
  o.mem.write_latency = 300;
  TopBench tb(16, o);
  auto& dev = tb.dev();
  dev.set_axi_timeout(0);
  expect_gemm_bit_exact(tb, 5, 6, "GEMM, latency 300, watchdog off");
  // a limit below the latency trips it: the 0 above was what kept it off
  dev.set_axi_timeout(100);
  const rt::Buffer src = dev.alloc(4096);
  expect_timeout(dev.run({isa::load(aspad_load(src.addr, 4))}, kRunBound), dev.command_addr(0),
                 100 + kMargin);
}

TEST_CASE("Read responses that break AXI fault AXI_PROTOCOL with the command's address") {
  using C = tb::axi::AxiMemory::RCorrupt;
  struct Case {
    const char* what;
    C corrupt;
    unsigned beat;  // beat of the 4-beat burst (16-byte bus) that is corrupted
  };
  // LOAD of 4 words: one 4-beat burst
  for (const Case c : {Case{"early RLAST", C::FlipLast, 1}, Case{"missing RLAST", C::FlipLast, 3},
                       Case{"wrong RID", C::WrongId, 1}, Case{"EXOKAY", C::ExOkay, 2}}) {
    DYNAMIC_SECTION("LOAD: " << c.what) {
      TopBench tb(16);
      RecordingMonitor rec(tb, {"RLAST", "RID"});
      const rt::Buffer src = tb.dev().alloc(4096);
      tb.transport().memory().corrupt_reads(src.addr + 16 * c.beat, src.addr + 16 * c.beat + 16,
                                            c.corrupt);
      expect_fault(tb, {isa::fence(), isa::load(aspad_load(src.addr, 4))}, 1, Fault::AxiProtocol);
    }
  }
  // command fetch: {FENCE, IRQ} in one burst of two 4-beat commands; the
  // corrupted beat's command is the one named
  for (const Case c : {Case{"early RLAST", C::FlipLast, 1}, Case{"missing RLAST", C::FlipLast, 7},
                       Case{"wrong RID", C::WrongId, 5}, Case{"EXOKAY", C::ExOkay, 0}}) {
    DYNAMIC_SECTION("fetch: " << c.what) {
      TopBench tb(16);
      RecordingMonitor rec(tb, {"RLAST", "RID"});
      const std::uint32_t ring = tb.dev().command_addr(0);
      tb.transport().memory().corrupt_reads(ring + 16 * c.beat, ring + 16 * c.beat + 16, c.corrupt);
      expect_fault(tb, {isa::fence()}, c.beat / 4, Fault::AxiProtocol);
    }
  }
}

TEST_CASE("A write response with the wrong BID faults AXI_PROTOCOL with the STORE's address") {
  TopBench tb(16);
  RecordingMonitor rec(tb, {"BID"});
  const rt::Buffer src = tb.dev().alloc(4096), dst = tb.dev().alloc(4096);
  tb.transport().memory().corrupt_bids(dst.addr, dst.addr + dst.bytes);
  expect_fault(tb, {isa::load(aspad_load(src.addr, 4)), isa::fence(),
                    isa::store(aspad_load(dst.addr, 4))}, 2, Fault::AxiProtocol);
}

TEST_CASE("A write response before the burst's last W faults AXI_PROTOCOL with the STORE's address") {
  TopBench tb(16);
  RecordingMonitor rec(tb, {"before the W data"});
  const rt::Buffer src = tb.dev().alloc(4096), dst = tb.dev().alloc(4096);
  tb.transport().memory().early_bresps(dst.addr, dst.addr + dst.bytes);
  expect_fault(tb, {isa::load(aspad_load(src.addr, 64)), isa::fence(),
                    isa::store(aspad_load(dst.addr, 64))}, 2, Fault::AxiProtocol);
  CHECK(rec.saw("before the W data"));
}
