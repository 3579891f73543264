// SimTransport: the runtime's Transport on the Verilated npu_top. Registers
// go through a cycle-accurate AXI4-Lite master; device memory is AxiMemory
// (latency, stalls and error ranges configurable), which the host reaches by
// backdoor in zero time; AxiMonitor checks every cycle of the AXI4 master.
#pragma once

#include "axi_memory.hpp"
#include "axi_monitor.hpp"
#include "axi_port.hpp"
#include "npu/runtime/transport.hpp"
#include "sim_control.hpp"

#include <Vnpu_top.h>
#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace npu::tb {

class SimTransport : public rt::Transport {
 public:
  // Cycles any single AXI4-Lite access may take before the test fails.
  static constexpr std::uint64_t kRegTimeout = 1000;

  // trace_depth: 0 traces every signal, n > 0 only n levels below TOP.
  SimTransport(unsigned bus_bytes, axi::AxiMemoryConfig mem_cfg, std::string waves = {},
               int trace_depth = 0,
               std::uint64_t cycle_limit = SimControl<Vnpu_top>::kDefaultCycleLimit,
               std::uint64_t x_seed = 0)
      : sim_(std::move(waves), cycle_limit, trace_depth, x_seed),
        mem_(axi::bind_axi_io(sim_.dut(), bus_bytes), mem_cfg),
        mon_(axi::bind_axi_io(sim_.dut(), bus_bytes)) {
    auto& d = sim_.dut();
    d.s_axil_awvalid_i = 0;
    d.s_axil_wvalid_i = 0;
    d.s_axil_bready_i = 0;
    d.s_axil_arvalid_i = 0;
    d.s_axil_rready_i = 0;
    d.s_axil_awprot_i = 0;
    d.s_axil_arprot_i = 0;
    d.s_axil_wstrb_i = 0xF;
    mem_.drive();
    sim_.reset();
  }

  // A reset of the whole system in the middle of anything: the memory drops
  // its bursts, the accelerator's reset is asserted, the monitor starts over.
  void hard_reset() {
    mem_.reset();
    mem_.drive();
    sim_.reset();
    mon_.restart();
  }

  Vnpu_top& dut() { return sim_.dut(); }
  SimControl<Vnpu_top>& sim() { return sim_; }
  axi::AxiMemory& memory() { return mem_; }
  axi::AxiMonitor& monitor() { return mon_; }

  std::uint32_t read_reg(std::uint32_t offset) override {
    auto& d = sim_.dut();
    d.s_axil_araddr_i = offset;
    d.s_axil_arvalid_i = 1;
    d.s_axil_rready_i = 1;
    const std::uint64_t start = sim_.cycle();
    bool addr_done = false;
    for (;;) {
      settle();
      const bool ar = d.s_axil_arvalid_i && d.s_axil_arready_o;
      if (addr_done && d.s_axil_rvalid_o) {
        const std::uint32_t v = d.s_axil_rdata_o;
        const unsigned resp = d.s_axil_rresp_o;
        finish_cycle();
        d.s_axil_rready_i = 0;
        if (resp != 0)
          throw std::runtime_error(fmt::format("register read at 0x{:03x}: RRESP {}", offset, resp));
        return v;
      }
      finish_cycle();
      if (ar) {
        addr_done = true;
        d.s_axil_arvalid_i = 0;
      }
      timeout(start, "AXI4-Lite read", offset);
    }
  }

  void write_reg(std::uint32_t offset, std::uint32_t value) override {
    auto& d = sim_.dut();
    d.s_axil_awaddr_i = offset;
    d.s_axil_awvalid_i = 1;
    d.s_axil_wdata_i = value;
    d.s_axil_wvalid_i = 1;
    d.s_axil_bready_i = 1;
    const std::uint64_t start = sim_.cycle();
    for (;;) {
      settle();
      const bool aw = d.s_axil_awvalid_i && d.s_axil_awready_o;
      const bool w = d.s_axil_wvalid_i && d.s_axil_wready_o;
      const bool b = !d.s_axil_awvalid_i && !d.s_axil_wvalid_i && d.s_axil_bvalid_o;
      const unsigned resp = d.s_axil_bresp_o;
      finish_cycle();
      if (aw) d.s_axil_awvalid_i = 0;
      if (w) d.s_axil_wvalid_i = 0;
      if (b) {
        d.s_axil_bready_i = 0;
        if (resp != 0)
          throw std::runtime_error(fmt::format("register write at 0x{:03x}: BRESP {}", offset, resp));
        return;
      }
      timeout(start, "AXI4-Lite write", offset);
    }
  }

  void write_mem(std::uint64_t addr, const std::uint8_t* data, std::size_t n) override {
    mem_.write_bytes(addr, std::vector<std::uint8_t>(data, data + n));
  }
  void read_mem(std::uint64_t addr, std::uint8_t* data, std::size_t n) override {
    const auto v = mem_.read_bytes(addr, n);
    std::copy(v.begin(), v.end(), data);
  }
  void idle(std::uint64_t cycles) override {
    for (std::uint64_t i = 0; i < cycles; ++i) {
      settle();
      finish_cycle();
    }
  }
  std::uint64_t cycles() const override { return sim_.cycle(); }

 private:
  void settle() {
    mem_.drive();
    sim_.settle();
  }
  // Checks the bus, lets the memory sample this cycle's handshakes, ticks.
  void finish_cycle() {
    mon_.check(sim_.cycle());
    mem_.step();
    sim_.tick();
  }
  void timeout(std::uint64_t start, const char* what, std::uint32_t offset) {
    if (sim_.cycle() - start > kRegTimeout)
      throw SimTimeout(fmt::format("{} at 0x{:03x}: no response within {} cycles (cycle {})",
                                   what, offset, kRegTimeout, sim_.cycle()));
  }

  SimControl<Vnpu_top> sim_;
  axi::AxiMemory mem_;
  axi::AxiMonitor mon_;
};

}  // namespace npu::tb
