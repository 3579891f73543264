// DmaEnv<Model>: drives a Verilated tb_dma_top (any DataW): command and done
// ports of both engines, a C++ local memory on the lw/lr ports, AxiMemory as
// the DRAM and AxiMonitor on the AXI port, all through one cycle loop.
#pragma once

#include "axi_memory.hpp"
#include "axi_monitor.hpp"
#include "axi_port.hpp"
#include "sim_control.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace npu::tb::dma {

struct DmaCmd {
  std::uint32_t dram_addr = 0;
  std::uint32_t dram_stride = 0;
  std::uint32_t rows = 1;
  std::uint32_t row_words = 1;
  std::uint32_t space = 0;
  std::uint32_t local_addr = 0;
  std::uint32_t local_stride = 0;
};

struct DmaResult {
  unsigned err = 0;
  std::uint64_t cycles = 0;  // command accepted -> done
  std::uint64_t beats = 0;   // beat_o pulses during the command
};

// Local memory (word-addressed per space) on the tb top's lw/lr ports.
class LocalMem {
 public:
  LocalMem(unsigned bus_bytes, double stall_prob, std::uint64_t seed)
      : bb_(bus_bytes), stall_prob_(stall_prob), rng_(seed) {}
  std::vector<std::uint8_t> word(unsigned space, std::uint32_t addr) const {
    auto it = mem_.find(key(space, addr));
    return it == mem_.end() ? std::vector<std::uint8_t>(bb_, 0) : it->second;
  }
  void set_word(unsigned space, std::uint32_t addr, std::vector<std::uint8_t> w) {
    mem_[key(space, addr)] = std::move(w);
  }
  void set_stall(double p) { stall_prob_ = p; }
  std::uint64_t writes() const { return writes_; }

  template <class M>
  void drive(M& m) {
    m.lw_req_ready_i = !stall();
    m.lr_req_ready_i = !stall();
    m.lr_rsp_valid_i = rsp_valid_;
    axi::bytes_to_port(m.lr_rsp_rdata_i, rsp_data_);
  }
  template <class M>
  void step(M& m, std::uint64_t cycle) {
    if (m.lw_req_valid_o && m.lw_req_ready_i) {
      std::vector<bool> strb;
      axi::port_to_bits(m.lw_req_wstrb_o, strb, bb_);
      for (bool b : strb)
        if (!b || !m.lw_req_we_o)
          throw std::runtime_error(fmt::format("cycle {}: load local write with we=0 or partial strobe", cycle));
      std::vector<std::uint8_t> w;
      axi::port_to_bytes(m.lw_req_wdata_o, w, bb_);
      set_word(m.lw_space_o, m.lw_req_addr_o, w);
      ++writes_;
    }
    rsp_valid_ = false;
    if (m.lr_req_valid_o && m.lr_req_ready_i) {
      if (m.lr_req_we_o)
        throw std::runtime_error(fmt::format("cycle {}: store engine wrote its local read port", cycle));
      rsp_valid_ = true;
      rsp_data_ = word(m.lr_space_o, m.lr_req_addr_o);
    }
  }

 private:
  static std::uint64_t key(unsigned space, std::uint32_t addr) {
    return (std::uint64_t{space} << 32) | addr;
  }
  bool stall() {
    return stall_prob_ > 0 && std::bernoulli_distribution(stall_prob_)(rng_);
  }
  unsigned bb_;
  double stall_prob_;
  std::mt19937_64 rng_;
  std::unordered_map<std::uint64_t, std::vector<std::uint8_t>> mem_;
  bool rsp_valid_ = false;
  std::vector<std::uint8_t> rsp_data_ = std::vector<std::uint8_t>(bb_, 0);
  std::uint64_t writes_ = 0;
};

template <class Model>
class DmaEnv {
 public:
  DmaEnv(unsigned bus_bytes, axi::AxiMemoryConfig mcfg, double local_stall,
         std::string waves = {})
      : bb_(bus_bytes),
        sim_(std::move(waves)),
        mem_(axi::bind_axi_io(sim_.dut(), bus_bytes), mcfg),
        mon_(axi::bind_axi_io(sim_.dut(), bus_bytes)),
        local_(bus_bytes, local_stall, mcfg.seed ^ 0x5a5a) {
    auto& d = sim_.dut();
    d.rd_cmd_valid_i = 0; d.wr_cmd_valid_i = 0;
    d.rd_done_ready_i = 0; d.wr_done_ready_i = 0;
    d.f_axi_arvalid_i = 0; d.f_axi_rready_i = 1;
    mem_.drive();
    local_.drive(d);
    sim_.reset();
  }

  Model& dut() { return sim_.dut(); }
  SimControl<Model>& sim() { return sim_; }
  axi::AxiMemory& mem() { return mem_; }
  axi::AxiMonitor& monitor() { return mon_; }
  LocalMem& local() { return local_; }
  unsigned bus_bytes() const { return bb_; }

  // One clock cycle: drive the models, settle, `observe` (sees settled
  // outputs), check the protocol, update the models, rising edge.
  template <class F>
  void cycle(F&& observe) {
    auto& d = sim_.dut();
    mem_.drive();
    local_.drive(d);
    sim_.settle();
    observe();
    mon_.check(sim_.cycle());
    mem_.step();
    local_.step(d, sim_.cycle());
    sim_.tick();
  }
  void cycle() {
    cycle([] {});
  }

  DmaResult load(const DmaCmd& c, std::uint64_t timeout = 2'000'000) { return run(true, c, timeout); }
  DmaResult store(const DmaCmd& c, std::uint64_t timeout = 2'000'000) { return run(false, c, timeout); }

  // LOADs presented back to back (each one's valid from the cycle after the one before is
  // taken), dones collected in order. Result i: its done's error; cycles of result 0: from
  // the first command taken to the last done. Throws SimTimeout after `timeout` cycles.
  std::vector<DmaResult> load_batch(const std::vector<DmaCmd>& cmds, std::uint64_t timeout = 2'000'000) {
    auto& d = sim_.dut();
    std::vector<DmaResult> res(cmds.size());
    std::size_t next = 0, done = 0;
    std::uint64_t first = 0;
    const std::uint64_t start = sim_.cycle();
    d.rd_done_ready_i = 1;
    while (done < cmds.size()) {
      if (next < cmds.size()) {
        const DmaCmd& c = cmds[next];
        d.rd_cmd_dram_addr_i = c.dram_addr; d.rd_cmd_dram_stride_i = c.dram_stride;
        d.rd_cmd_rows_i = c.rows; d.rd_cmd_row_words_i = c.row_words; d.rd_cmd_space_i = c.space;
        d.rd_cmd_local_addr_i = c.local_addr; d.rd_cmd_local_stride_i = c.local_stride;
      }
      d.rd_cmd_valid_i = next < cmds.size();
      bool taken = false;
      cycle([&] {
        taken = d.rd_cmd_valid_i && d.rd_cmd_ready_o;
        if (d.rd_done_valid_o) res.at(done++).err = d.rd_done_err_o;
      });
      if (taken && next++ == 0) first = sim_.cycle();
      if (sim_.cycle() - start > timeout)
        throw SimTimeout(fmt::format("load batch: {} of {} commands taken, {} done within {} cycles (cycle {})",
                                     next, cmds.size(), done, timeout, sim_.cycle()));
    }
    d.rd_cmd_valid_i = 0;
    d.rd_done_ready_i = 0;
    res.front().cycles = sim_.cycle() - first;
    return res;
  }

 private:
  DmaResult run(bool is_load, const DmaCmd& c, std::uint64_t timeout) {
    auto& d = sim_.dut();
    if (is_load) {
      d.rd_cmd_dram_addr_i = c.dram_addr; d.rd_cmd_dram_stride_i = c.dram_stride;
      d.rd_cmd_rows_i = c.rows; d.rd_cmd_row_words_i = c.row_words; d.rd_cmd_space_i = c.space;
      d.rd_cmd_local_addr_i = c.local_addr; d.rd_cmd_local_stride_i = c.local_stride;
      d.rd_cmd_valid_i = 1;
    } else {
      d.wr_cmd_dram_addr_i = c.dram_addr; d.wr_cmd_dram_stride_i = c.dram_stride;
      d.wr_cmd_rows_i = c.rows; d.wr_cmd_row_words_i = c.row_words; d.wr_cmd_space_i = c.space;
      d.wr_cmd_local_addr_i = c.local_addr; d.wr_cmd_local_stride_i = c.local_stride;
      d.wr_cmd_valid_i = 1;
    }
    const char* what = is_load ? "load" : "store";
    const std::uint64_t start = sim_.cycle();
    bool fired = false;
    while (!fired) {
      cycle([&] { fired = is_load ? d.rd_cmd_ready_o : d.wr_cmd_ready_o; });
      if (sim_.cycle() - start > timeout)
        throw SimTimeout(fmt::format("{}: command not accepted within {} cycles (cycle {})", what, timeout, sim_.cycle()));
    }
    d.rd_cmd_valid_i = 0;
    d.wr_cmd_valid_i = 0;
    const std::uint64_t accepted = sim_.cycle();
    DmaResult r;
    bool done = false;
    if (is_load) d.rd_done_ready_i = 1; else d.wr_done_ready_i = 1;
    while (!done) {
      cycle([&] {
        if (is_load ? d.rd_beat_o : d.wr_beat_o) ++r.beats;
        done = is_load ? d.rd_done_valid_o : d.wr_done_valid_o;
        if (done) r.err = is_load ? d.rd_done_err_o : d.wr_done_err_o;
      });
      if (sim_.cycle() - accepted > timeout)
        throw SimTimeout(fmt::format("{}: no done within {} cycles (accepted at cycle {}, now {})",
                                     what, timeout, accepted, sim_.cycle()));
    }
    d.rd_done_ready_i = 0;
    d.wr_done_ready_i = 0;
    r.cycles = sim_.cycle() - accepted;
    return r;
  }

  unsigned bb_;
  SimControl<Model> sim_;
  axi::AxiMemory mem_;
  axi::AxiMonitor mon_;
  LocalMem local_;
};

}  // namespace npu::tb::dma
