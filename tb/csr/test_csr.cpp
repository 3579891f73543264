// npu_csr (the flat wrapper around the generated register block) through its
// AXI4-Lite slave: rw registers read back and drive their ports, read-only
// registers ignore writes and show the hardware inputs, CTRL pulses last one
// cycle, IRQ_STATUS is sticky and write-1-to-clear, irq_o, RING_TAIL hardware
// clear, 64-bit counters through _LO/_HI, unmapped addresses (SLVERR, read
// data 0) and the access policy (unaligned addresses, ring and window writes
// while busy, doorbells during a soft reset: SLVERR, no effect). Offsets and bit masks come from the generated C header
// sw/runtime/include/npu/regs.h, never from constants in this file.
//   NPU_SEED=<n> replays a seed; NPU_WAVES=<x.fst> traces.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/regs.h>

#include "Vnpu_csr.h"
#include "sim_control.hpp"
#include "test_env.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include <unistd.h>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::SimControl;

constexpr std::uint32_t kOkay = 0;
constexpr std::uint32_t kSlverr = 2;
constexpr std::uint64_t kTimeout = 100;  // cycles for any one AXI handshake

struct AxiResp {
  std::uint32_t data;
  std::uint32_t resp;
};

// One register of the map: its name (for messages) and byte offset.
struct Reg {
  const char* name;
  std::uint32_t offset;
};

#define NPU_CSR_REG(r) Reg{#r, static_cast<std::uint32_t>(offsetof(npu_csr_t, r))}

// The DUT plus an AXI4-Lite master. Bus back-pressure (bready/rready held
// low for a few cycles) and the aw/w skew come from the seed.
class CsrBench {
 public:
  explicit CsrBench(std::uint64_t seed)
      : sim_(npu::tb::env_waves(), 1'000'000), rng_(seed) {
    auto& d = sim_.dut();
    d.s_axil_awvalid_i = 0;
    d.s_axil_wvalid_i = 0;
    d.s_axil_bready_i = 0;
    d.s_axil_arvalid_i = 0;
    d.s_axil_rready_i = 0;
    d.s_axil_awprot_i = 0;
    d.s_axil_arprot_i = 0;
    sim_.reset();
  }

  Vnpu_csr& dut() { return sim_.dut(); }
  std::uint64_t cycle() const { return sim_.cycle(); }
  std::mt19937_64& rng() { return rng_; }

  // Called once per clock cycle, after settle() and before the edge.
  void on_cycle(std::function<void(Vnpu_csr&)> f) { monitor_ = std::move(f); }

  void tick() {
    sim_.settle();
    if (monitor_) monitor_(sim_.dut());
    sim_.tick();
  }

  std::uint32_t write(std::uint32_t addr, std::uint32_t data, std::uint32_t strb = 0xF) {
    auto& d = sim_.dut();
    const unsigned w_delay = static_cast<unsigned>(rng_() % 3);
    d.s_axil_awvalid_i = 1;
    d.s_axil_awaddr_i = addr;
    d.s_axil_wvalid_i = 0;
    d.s_axil_wdata_i = data;
    d.s_axil_wstrb_i = strb;
    bool aw_done = false, w_done = false;
    for (std::uint64_t n = 0; !(aw_done && w_done); ++n) {
      if (n >= kTimeout) fail_timeout("write address/data handshake", addr);
      if (n >= w_delay && !w_done) d.s_axil_wvalid_i = 1;
      sim_.settle();
      const bool aw_fire = d.s_axil_awvalid_i && d.s_axil_awready_o;
      const bool w_fire = d.s_axil_wvalid_i && d.s_axil_wready_o;
      tick();
      if (aw_fire) { aw_done = true; d.s_axil_awvalid_i = 0; }
      if (w_fire) { w_done = true; d.s_axil_wvalid_i = 0; }
    }
    hold_ready_low();
    d.s_axil_bready_i = 1;
    for (std::uint64_t n = 0;; ++n) {
      if (n >= kTimeout) fail_timeout("write response", addr);
      sim_.settle();
      if (d.s_axil_bvalid_o) {
        const std::uint32_t resp = d.s_axil_bresp_o;
        tick();
        d.s_axil_bready_i = 0;
        return resp;
      }
      tick();
    }
  }

  AxiResp read(std::uint32_t addr) {
    auto& d = sim_.dut();
    d.s_axil_arvalid_i = 1;
    d.s_axil_araddr_i = addr;
    for (std::uint64_t n = 0;; ++n) {
      if (n >= kTimeout) fail_timeout("read address handshake", addr);
      sim_.settle();
      const bool fire = d.s_axil_arready_o;
      tick();
      if (fire) break;
    }
    d.s_axil_arvalid_i = 0;
    hold_ready_low();
    d.s_axil_rready_i = 1;
    for (std::uint64_t n = 0;; ++n) {
      if (n >= kTimeout) fail_timeout("read data", addr);
      sim_.settle();
      if (d.s_axil_rvalid_o) {
        const AxiResp r{static_cast<std::uint32_t>(d.s_axil_rdata_o),
                        static_cast<std::uint32_t>(d.s_axil_rresp_o)};
        tick();
        d.s_axil_rready_i = 0;
        return r;
      }
      tick();
    }
  }

  // Expects an OKAY write.
  void write_ok(const Reg& r, std::uint32_t data, std::uint32_t strb = 0xF) {
    const std::uint32_t resp = write(r.offset, data, strb);
    INFO(fmt::format("write {} (0x{:03x}) = 0x{:08x}: bresp {} at cycle {}", r.name,
                     r.offset, data, resp, cycle()));
    REQUIRE(resp == kOkay);
  }

  // Expects an OKAY read returning `expected` in the bits of `mask`.
  void expect_read(const Reg& r, std::uint32_t expected, std::uint32_t mask = 0xFFFFFFFFu) {
    const AxiResp got = read(r.offset);
    INFO(fmt::format("register {} (0x{:03x}) at cycle {}: expected 0x{:08x} got 0x{:08x} "
                     "(mask 0x{:08x}), rresp {}",
                     r.name, r.offset, cycle(), expected, got.data, mask, got.resp));
    CHECK(got.resp == kOkay);
    CHECK((got.data & mask) == (expected & mask));
  }

  std::uint32_t rand32() { return static_cast<std::uint32_t>(rng_()); }

 private:
  void hold_ready_low() {
    const unsigned n = static_cast<unsigned>(rng_() % 4);
    for (unsigned i = 0; i < n; ++i) tick();
  }

  [[noreturn]] void fail_timeout(const char* what, std::uint32_t addr) {
    throw npu::tb::SimTimeout(fmt::format("timeout waiting for {} (address 0x{:03x}) after {} "
                                          "cycles, at cycle {}",
                                          what, addr, kTimeout, sim_.cycle()));
  }

  SimControl<Vnpu_csr> sim_;
  std::mt19937_64 rng_;
  std::function<void(Vnpu_csr&)> monitor_;
};

std::vector<std::uint64_t> seeds(const std::string& test) {
  auto s = npu::tb::test_seeds({1, 2, 3});
  for (const auto seed : s)
    fmt::print("{}: seed {} (replay: NPU_SEED={})\n", test, seed, seed);
  return s;
}

}  // namespace

TEST_CASE("csr: identity and hardware configuration are read-only", "[csr]") {
  for (const std::uint64_t seed : seeds("identity")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    const std::uint32_t rows = b.rand32() & 0xFF, cols = b.rand32() & 0xFF,
                        bus = b.rand32() & 0xFF, lanes = b.rand32() & 0xFF;
    d.hw_rows_i = rows;
    d.hw_vec_lanes_i = lanes;
    d.hw_cols_i = cols;
    d.hw_bus_bytes_i = bus;
    d.hw_aspad_words_i = b.rand32();
    d.hw_wspad_words_i = b.rand32();
    d.hw_acc_rows_i = b.rand32();
    d.hw_vec_maxlen_i = b.rand32();
    const std::uint32_t geom = (rows << NPU_CSR__HW_ROWS_COLS__ROWS_bp) |
                               (cols << NPU_CSR__HW_ROWS_COLS__COLS_bp) |
                               (bus << NPU_CSR__HW_ROWS_COLS__BUS_BYTES_bp) |
                               (lanes << NPU_CSR__HW_ROWS_COLS__VEC_LANES_bp);
    const std::vector<std::pair<Reg, std::uint32_t>> ro = {
        {NPU_CSR_REG(ID), NPU_CSR__ID__ID_reset},
        {NPU_CSR_REG(VERSION), NPU_CSR__VERSION__VERSION_reset},
        {NPU_CSR_REG(HW_ROWS_COLS), geom},
        {NPU_CSR_REG(HW_ASPAD_WORDS), d.hw_aspad_words_i},
        {NPU_CSR_REG(HW_WSPAD_WORDS), d.hw_wspad_words_i},
        {NPU_CSR_REG(HW_ACC_ROWS), d.hw_acc_rows_i},
        {NPU_CSR_REG(HW_VEC_MAXLEN), d.hw_vec_maxlen_i},
    };
    CHECK(NPU_CSR__ID__ID_reset == 0x4E505531u);
    for (const auto& [r, v] : ro) {
      b.expect_read(r, v);
      b.write_ok(r, ~v);  // ignored, answered OKAY
      b.expect_read(r, v);
    }
  }
}

TEST_CASE("csr: rw registers read back and drive their ports", "[csr]") {
  for (const std::uint64_t seed : seeds("rw")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    struct Rw {
      Reg reg;
      std::function<std::uint32_t(Vnpu_csr&)> port;
      std::uint32_t mask;
      std::uint32_t reset = 0;
    };
    const std::vector<Rw> rw = {
        {NPU_CSR_REG(RING_BASE), [](Vnpu_csr& m) { return m.ring_base_o; }, 0xFFFFFFFFu},
        {NPU_CSR_REG(RING_SIZE), [](Vnpu_csr& m) { return m.ring_size_o; }, 0xFFFFFFFFu},
        {NPU_CSR_REG(RING_TAIL), [](Vnpu_csr& m) { return m.ring_tail_o; }, 0xFFFFFFFFu},
        {NPU_CSR_REG(WINDOW_BASE), [](Vnpu_csr& m) { return m.window_base_o; }, 0xFFFFFFFFu},
        {NPU_CSR_REG(WINDOW_SIZE), [](Vnpu_csr& m) { return m.window_size_o; }, 0xFFFFFFFFu},
        {NPU_CSR_REG(CTRL), [](Vnpu_csr& m) { return m.ctrl_enable_o; }, NPU_CSR__CTRL__ENABLE_bm},
        {NPU_CSR_REG(AXI_TIMEOUT), [](Vnpu_csr& m) { return m.axi_timeout_o; }, 0xFFFFFFFFu,
         NPU_CSR__AXI_TIMEOUT__CYCLES_reset},
    };
    // Reset values: 0, and the watchdog's default limit.
    for (const auto& r : rw) {
      b.expect_read(r.reg, r.reset, r.mask);
      CHECK(r.port(d) == r.reset);
    }
    b.expect_read(NPU_CSR_REG(IRQ_ENABLE), 0);
    for (int round = 0; round < 4; ++round) {
      std::vector<std::uint32_t> vals;
      for (const auto& r : rw) {
        vals.push_back(b.rand32() & r.mask);
        b.write_ok(r.reg, vals.back());
      }
      for (std::size_t i = 0; i < rw.size(); ++i) {
        b.expect_read(rw[i].reg, vals[i], rw[i].mask);
        INFO(fmt::format("port of {}: expected 0x{:08x} got 0x{:08x} at cycle {}", rw[i].reg.name,
                         vals[i], rw[i].port(d), b.cycle()));
        CHECK(rw[i].port(d) == vals[i]);  // every mask starts at bit 0
      }
      const std::uint32_t en = b.rand32() & (NPU_CSR__IRQ_ENABLE__DONE_bm | NPU_CSR__IRQ_ENABLE__FAULT_bm);
      b.write_ok(NPU_CSR_REG(IRQ_ENABLE), en);
      b.expect_read(NPU_CSR_REG(IRQ_ENABLE), en);
    }
    // Byte strobes: only the strobed byte lanes change.
    const Reg base = NPU_CSR_REG(WINDOW_BASE);
    b.write_ok(base, 0x11223344u);
    b.write_ok(base, 0xAABBCCDDu, 0x5);
    b.expect_read(base, 0x11BB33DDu);
    CHECK(d.window_base_o == 0x11BB33DDu);
  }
}

TEST_CASE("csr: read-only status registers show hardware and ignore writes", "[csr]") {
  for (const std::uint64_t seed : seeds("ro status")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    for (int round = 0; round < 4; ++round) {
      const std::uint32_t st = b.rand32() & 7u;
      d.status_busy_i = (st >> NPU_CSR__STATUS__BUSY_bp) & 1u;
      d.status_fault_i = (st >> NPU_CSR__STATUS__FAULT_bp) & 1u;
      d.status_idle_i = (st >> NPU_CSR__STATUS__IDLE_bp) & 1u;
      d.ring_head_i = b.rand32();
      d.err_code_i = b.rand32() & 0xFF;
      d.err_cmd_addr_i = b.rand32();
      const std::vector<std::pair<Reg, std::uint32_t>> ro = {
          {NPU_CSR_REG(STATUS), st},
          {NPU_CSR_REG(RING_HEAD), d.ring_head_i},
          {NPU_CSR_REG(ERR_CODE), d.err_code_i},
          {NPU_CSR_REG(ERR_CMD_ADDR), d.err_cmd_addr_i},
      };
      for (const auto& [r, v] : ro) {
        b.write_ok(r, ~v);
        b.expect_read(r, v);
      }
    }
  }
}

TEST_CASE("csr: SOFT_RESET and CNT_CLEAR give exactly one-cycle pulses", "[csr]") {
  for (const std::uint64_t seed : seeds("pulses")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    const Reg ctrl = NPU_CSR_REG(CTRL);
    unsigned soft = 0, clear = 0;
    b.on_cycle([&](Vnpu_csr& m) {
      soft += m.ctrl_soft_reset_o;
      clear += m.ctrl_cnt_clear_o;
    });
    b.write_ok(ctrl, NPU_CSR__CTRL__ENABLE_bm);
    CHECK(soft == 0);
    CHECK(clear == 0);
    b.write_ok(ctrl, NPU_CSR__CTRL__ENABLE_bm | NPU_CSR__CTRL__SOFT_RESET_bm);
    for (int i = 0; i < 8; ++i) b.tick();
    INFO(fmt::format("cycles with ctrl_soft_reset_o high: {} (expected 1), cycle {}", soft, b.cycle()));
    CHECK(soft == 1);
    CHECK(clear == 0);
    CHECK(d.ctrl_enable_o == 1);  // the pulse leaves ENABLE alone
    b.expect_read(ctrl, NPU_CSR__CTRL__ENABLE_bm);  // pulse bits read as 0
    b.write_ok(ctrl, NPU_CSR__CTRL__CNT_CLEAR_bm);
    for (int i = 0; i < 8; ++i) b.tick();
    INFO(fmt::format("cycles with ctrl_cnt_clear_o high: {} (expected 1)", clear));
    CHECK(clear == 1);
    CHECK(soft == 1);
    CHECK(d.ctrl_enable_o == 0);
    // Two writes give two pulses.
    b.write_ok(ctrl, NPU_CSR__CTRL__SOFT_RESET_bm | NPU_CSR__CTRL__CNT_CLEAR_bm);
    b.write_ok(ctrl, NPU_CSR__CTRL__SOFT_RESET_bm);
    for (int i = 0; i < 8; ++i) b.tick();
    CHECK(soft == 3);
    CHECK(clear == 2);
    b.expect_read(ctrl, 0);
  }
}

TEST_CASE("csr: IRQ_STATUS is sticky and write-1-to-clear - irq output", "[csr]") {
  for (const std::uint64_t seed : seeds("irq")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    const Reg st = NPU_CSR_REG(IRQ_STATUS), en = NPU_CSR_REG(IRQ_ENABLE);
    const std::uint32_t done = NPU_CSR__IRQ_STATUS__DONE_bm, fault = NPU_CSR__IRQ_STATUS__FAULT_bm;
    auto pulse = [&](std::uint8_t& in) {
      in = 1;
      b.tick();
      in = 0;
      for (unsigned i = 0; i < 1 + b.rand32() % 4; ++i) b.tick();
    };
    b.expect_read(st, 0);
    CHECK(d.irq_o == 0);
    pulse(d.irq_done_set_i);
    b.expect_read(st, done);  // sticky after the pulse
    CHECK(d.irq_o == 0);      // not enabled
    b.write_ok(en, NPU_CSR__IRQ_ENABLE__FAULT_bm);
    CHECK(d.irq_o == 0);
    b.write_ok(en, NPU_CSR__IRQ_ENABLE__DONE_bm);
    CHECK(d.irq_o == 1);
    b.write_ok(st, 0);  // writing 0 keeps it
    b.expect_read(st, done);
    b.write_ok(st, fault);  // clearing the other bit keeps it
    b.expect_read(st, done);
    CHECK(d.irq_o == 1);
    pulse(d.irq_fault_set_i);
    b.expect_read(st, done | fault);
    b.write_ok(st, done);
    b.expect_read(st, fault);
    CHECK(d.irq_o == 0);  // FAULT not enabled
    b.write_ok(en, NPU_CSR__IRQ_ENABLE__DONE_bm | NPU_CSR__IRQ_ENABLE__FAULT_bm);
    CHECK(d.irq_o == 1);
    b.write_ok(st, fault);
    b.expect_read(st, 0);
    CHECK(d.irq_o == 0);
    // Set again after a clear.
    pulse(d.irq_done_set_i);
    CHECK(d.irq_o == 1);
    b.write_ok(st, done);
    CHECK(d.irq_o == 0);
    pulse(d.irq_done_set_i);
    CHECK(d.irq_o == 1);
    b.expect_read(st, done);
  }
}

TEST_CASE("csr: an IRQ_STATUS event in the cycle of a clearing write is not lost", "[csr]") {
  // Run 1 finds the clock edge at which a write-1-to-clear of DONE takes
  // effect (irq_o falls after it); run 2, with the same seed and so the same
  // handshake timing, pulses DONE's event at exactly that edge: the event wins.
  for (const std::uint64_t seed : seeds("irq-race")) {
    INFO("seed " << seed);
    const Reg st = NPU_CSR_REG(IRQ_STATUS), en = NPU_CSR_REG(IRQ_ENABLE);
    const std::uint32_t done = NPU_CSR__IRQ_STATUS__DONE_bm;
    const auto prepare = [&](CsrBench& b) {
      b.write_ok(en, NPU_CSR__IRQ_ENABLE__DONE_bm);
      b.dut().irq_done_set_i = 1;
      b.tick();
      b.dut().irq_done_set_i = 0;
      b.tick();
      REQUIRE(b.dut().irq_o == 1);
    };
    long edge = -1;
    {
      CsrBench b(seed);
      prepare(b);
      long n = 0;
      b.on_cycle([&](Vnpu_csr& d) {
        if (edge < 0 && d.irq_o == 0) edge = n - 1;  // cleared by the edge that ended cycle n-1
        ++n;
      });
      b.write_ok(st, done);
      b.on_cycle({});
      REQUIRE(edge >= 0);
    }
    CsrBench b(seed);
    prepare(b);
    long n = 0;
    b.on_cycle([&](Vnpu_csr& d) { d.irq_done_set_i = n++ == edge ? 1 : 0; });
    b.write_ok(st, done);
    b.on_cycle({});
    b.dut().irq_done_set_i = 0;
    b.expect_read(st, done);
    CHECK(b.dut().irq_o == 1);
  }
}

TEST_CASE("csr: RING_TAIL is cleared by hardware", "[csr]") {
  for (const std::uint64_t seed : seeds("ring tail")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    const Reg tail = NPU_CSR_REG(RING_TAIL);
    const std::uint32_t v = b.rand32() | 1u;
    b.write_ok(tail, v);
    b.expect_read(tail, v);
    CHECK(d.ring_tail_o == v);
    d.ring_tail_clear_i = 1;
    b.tick();
    d.ring_tail_clear_i = 0;
    b.tick();
    INFO(fmt::format("ring_tail_o after the clear: 0x{:08x}, cycle {}", d.ring_tail_o, b.cycle()));
    CHECK(d.ring_tail_o == 0);
    b.expect_read(tail, 0);
    b.write_ok(tail, v);  // software can write it again
    b.expect_read(tail, v);
  }
}

TEST_CASE("csr: 64-bit counters read through LO and HI", "[csr]") {
  for (const std::uint64_t seed : seeds("counters")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    struct Cnt {
      Reg lo, hi;
      std::function<QData&(Vnpu_csr&)> port;
    };
#define NPU_CSR_CNT(n, p) \
  Cnt { NPU_CSR_REG(n##_LO), NPU_CSR_REG(n##_HI), [](Vnpu_csr& m) -> QData& { return m.p; } }
    const std::vector<Cnt> cnts = {
        NPU_CSR_CNT(CYCLES, cnt_cycles_i),
        NPU_CSR_CNT(GEMM_BUSY, cnt_gemm_busy_i),
        NPU_CSR_CNT(GEMM_STALL, cnt_gemm_stall_i),
        NPU_CSR_CNT(VEC_BUSY, cnt_vec_busy_i),
        NPU_CSR_CNT(VEC_STALL, cnt_vec_stall_i),
        NPU_CSR_CNT(LOAD_BUSY, cnt_load_busy_i),
        NPU_CSR_CNT(LOAD_STALL, cnt_load_stall_i),
        NPU_CSR_CNT(STORE_BUSY, cnt_store_busy_i),
        NPU_CSR_CNT(STORE_STALL, cnt_store_stall_i),
        NPU_CSR_CNT(MACS, cnt_macs_i),
        NPU_CSR_CNT(DMA_RD_BYTES, cnt_dma_rd_bytes_i),
        NPU_CSR_CNT(DMA_WR_BYTES, cnt_dma_wr_bytes_i),
    };
#undef NPU_CSR_CNT
    for (int round = 0; round < 2; ++round) {
      std::vector<std::uint64_t> vals;
      for (const auto& c : cnts) {
        vals.push_back(b.rng()());
        c.port(b.dut()) = vals.back();
      }
      for (std::size_t i = 0; i < cnts.size(); ++i) {
        b.expect_read(cnts[i].lo, static_cast<std::uint32_t>(vals[i]));
        b.expect_read(cnts[i].hi, static_cast<std::uint32_t>(vals[i] >> 32));
        b.write_ok(cnts[i].lo, 0);  // read-only: ignored, OKAY
        b.expect_read(cnts[i].lo, static_cast<std::uint32_t>(vals[i]));
      }
    }
  }
}

TEST_CASE("csr: unmapped addresses answer SLVERR and read as 0", "[csr]") {
  for (const std::uint64_t seed : seeds("unmapped")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    // Holes of the map (reserved members of the generated struct) and the
    // space past its end.
    const std::vector<std::uint32_t> holes = {
        static_cast<std::uint32_t>(offsetof(npu_csr_t, RESERVED_1c_1f)),
        static_cast<std::uint32_t>(offsetof(npu_csr_t, RESERVED_28_2f)) + 4,
        static_cast<std::uint32_t>(offsetof(npu_csr_t, RESERVED_68_ff)) + 0x40,
        static_cast<std::uint32_t>(sizeof(npu_csr_t)),
        0xFFC,
    };
    const Reg probe = NPU_CSR_REG(WINDOW_SIZE);
    b.write_ok(probe, 0x5A5A5A5Au);
    for (const std::uint32_t a : holes) {
      const AxiResp r = b.read(a);
      INFO(fmt::format("read 0x{:03x}: rdata 0x{:08x} rresp {} at cycle {}", a, r.data, r.resp,
                       b.cycle()));
      CHECK(r.resp == kSlverr);
      CHECK(r.data == 0);
      const std::uint32_t wr = b.write(a, 0xFFFFFFFFu);
      INFO(fmt::format("write 0x{:03x}: bresp {}", a, wr));
      CHECK(wr == kSlverr);
      b.expect_read(probe, 0x5A5A5A5Au);  // nothing else was written
    }
  }
}

TEST_CASE("csr: unaligned addresses answer SLVERR and change nothing", "[csr]") {
  for (const std::uint64_t seed : seeds("unaligned")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    // Every byte offset 1..3 of a rw register, a read-only one and a counter.
    const std::vector<Reg> regs = {NPU_CSR_REG(WINDOW_BASE), NPU_CSR_REG(RING_TAIL),
                                   NPU_CSR_REG(ID), NPU_CSR_REG(CYCLES_LO)};
    b.write_ok(NPU_CSR_REG(WINDOW_BASE), 0x12345678u);
    b.write_ok(NPU_CSR_REG(RING_TAIL), 0x9u);
    for (const Reg& r : regs) {
      for (std::uint32_t off = 1; off < 4; ++off) {
        const std::uint32_t a = r.offset + off;
        const AxiResp rd = b.read(a);
        INFO(fmt::format("read {}+{} (0x{:03x}): rdata 0x{:08x} rresp {} at cycle {}", r.name, off,
                         a, rd.data, rd.resp, b.cycle()));
        CHECK(rd.resp == kSlverr);
        CHECK(rd.data == 0);
        const std::uint32_t wr = b.write(a, 0xFFFFFFFFu);
        INFO(fmt::format("write {}+{} (0x{:03x}): bresp {}", r.name, off, a, wr));
        CHECK(wr == kSlverr);
      }
    }
    b.expect_read(NPU_CSR_REG(WINDOW_BASE), 0x12345678u);
    b.expect_read(NPU_CSR_REG(RING_TAIL), 0x9u);
    CHECK(d.window_base_o == 0x12345678u);
    CHECK(d.ring_tail_o == 0x9u);
  }
}

TEST_CASE("csr: ring and window registers refuse writes while busy", "[csr]") {
  for (const std::uint64_t seed : seeds("busy")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    struct Guarded {
      Reg reg;
      std::function<std::uint32_t(Vnpu_csr&)> port;
    };
    const std::vector<Guarded> guarded = {
        {NPU_CSR_REG(RING_BASE), [](Vnpu_csr& m) { return m.ring_base_o; }},
        {NPU_CSR_REG(RING_SIZE), [](Vnpu_csr& m) { return m.ring_size_o; }},
        {NPU_CSR_REG(WINDOW_BASE), [](Vnpu_csr& m) { return m.window_base_o; }},
        {NPU_CSR_REG(WINDOW_SIZE), [](Vnpu_csr& m) { return m.window_size_o; }},
    };
    std::vector<std::uint32_t> vals;
    for (const auto& g : guarded) {
      vals.push_back(b.rand32());
      b.write_ok(g.reg, vals.back());  // idle: accepted
    }
    d.status_busy_i = 1;
    for (std::size_t i = 0; i < guarded.size(); ++i) {
      const std::uint32_t wr = b.write(guarded[i].reg.offset, ~vals[i]);
      INFO(fmt::format("write {} while busy: bresp {} at cycle {}", guarded[i].reg.name, wr, b.cycle()));
      CHECK(wr == kSlverr);
      b.expect_read(guarded[i].reg, vals[i]);  // reads still work
      CHECK(guarded[i].port(d) == vals[i]);
    }
    // The doorbell, IRQ and control registers stay writable while busy.
    b.write_ok(NPU_CSR_REG(RING_TAIL), 3);
    b.write_ok(NPU_CSR_REG(IRQ_ENABLE), NPU_CSR__IRQ_ENABLE__DONE_bm);
    b.write_ok(NPU_CSR_REG(AXI_TIMEOUT), 100);
    CHECK(d.ring_tail_o == 3);
    d.status_busy_i = 0;
    for (std::size_t i = 0; i < guarded.size(); ++i) {
      b.write_ok(guarded[i].reg, ~vals[i]);  // idle again: accepted
      CHECK(guarded[i].port(d) == ~vals[i]);
    }
  }
}

TEST_CASE("csr: a doorbell written while a soft reset is pending is refused", "[csr]") {
  for (const std::uint64_t seed : seeds("doorbell")) {
    INFO("seed " << seed);
    CsrBench b(seed);
    auto& d = b.dut();
    b.write_ok(NPU_CSR_REG(RING_TAIL), 5);
    d.status_busy_i = 1;
    d.soft_reset_pending_i = 1;
    const std::uint32_t wr = b.write(NPU_CSR_REG(RING_TAIL).offset, 6);
    INFO(fmt::format("RING_TAIL write during soft reset: bresp {} at cycle {}", wr, b.cycle()));
    CHECK(wr == kSlverr);
    b.expect_read(NPU_CSR_REG(RING_TAIL), 5);
    CHECK(d.ring_tail_o == 5);
    d.soft_reset_pending_i = 0;
    b.write_ok(NPU_CSR_REG(RING_TAIL), 6);  // busy but no reset pending: a doorbell
    CHECK(d.ring_tail_o == 6);
  }
}

// The trace window of tb/common/sim_control.hpp, on the smallest model: the
// FST (read back with GTKWave's fst2vcd) holds only the cycles asked for.
namespace {

std::vector<std::uint64_t> fst_times(const std::string& path) {
  const std::string cmd = "fst2vcd -f '" + path + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::vector<std::uint64_t> times;
  char line[512];
  while (std::fgets(line, sizeof line, p))
    if (line[0] == '#') times.push_back(std::strtoull(line + 1, nullptr, 10));
  const int rc = pclose(p);
  INFO("fst2vcd exit status " << rc << " on " << path);
  REQUIRE(rc == 0);
  return times;
}

std::vector<std::uint64_t> traced_times(const std::string& path, const npu::tb::TraceWindow* w) {
  {
    SimControl<Vnpu_csr> sim(path, 1000);
    if (w) sim.set_trace_window(*w);
    sim.reset();
    for (int i = 0; i < 60; ++i) sim.tick();
  }
  return fst_times(path);
}

}  // namespace

TEST_CASE("sim_control: a trace window records only the cycles inside it", "[csr][waves]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("npu_trace_window_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto all = traced_times((dir / "all.fst").string(), nullptr);
  REQUIRE(!all.empty());
  CHECK(all.front() == 0);
  CHECK(all.back() >= 60 * 10 - 5);
  const npu::tb::TraceWindow w{20, 30};  // cycles 20..29: times 200..295 (10 per cycle)
  const auto win = traced_times((dir / "window.fst").string(), &w);
  REQUIRE(!win.empty());
  INFO(fmt::format("window [{}, {}): first time {}, last time {}", w.from, w.to, win.front(), win.back()));
  CHECK(win.front() >= 200);
  CHECK(win.back() <= 295);
  CHECK(win.size() < all.size());
  REQUIRE_THROWS_AS(SimControl<Vnpu_csr>().set_trace_window({5, 5}), std::invalid_argument);
  std::filesystem::remove_all(dir);
}
