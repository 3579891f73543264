// Drives a Verilated npu_vec_engine over C++ models of its memory ports:
// ASPAD and ACC reads answer exactly one cycle after the handshake, the
// write ports apply byte strobes at the edge, and every ready is random
// (seeded) with probability p_ready. Runs one command at a time.
#pragma once

#include <npu/isa.hpp>
#include <npu/ref/accel_model.hpp>

#include <fmt/format.h>

#include "port_bits.hpp"
#include "sim_control.hpp"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>

namespace npu::tb {

template <class Model>
class VecEngineHarness {
 public:
  // (space, word) -> cycle of the last write there
  using WriteLog = std::map<std::pair<unsigned, std::uint32_t>, std::uint64_t>;

  VecEngineHarness(const ref::AccelConfig& cfg, std::uint64_t seed, double p_ready, const std::string& waves)
      : cfg_(cfg), sim_(waves), rng_(seed), p_ready_(p_ready) {
    sim_.dut().scrub_we_i = 0;  // the scrub port is npu_top's (test_top)
    sim_.reset();
  }

  SimControl<Model>& sim() { return sim_; }
  const WriteLog& writes() const { return log_; }

  // Runs c (checked) on mem; returns its cycles from the command handshake
  // to done. Throws SimTimeout after `limit` cycles.
  std::uint64_t run(const isa::Command& c, ref::LocalMemories& mem, std::uint64_t limit) {
    auto& d = sim_.dut();
    for (unsigned w = 0; w < isa::kCmdWords; ++w) put_bits(d.cmd_i, 32 * w, 32, c.w[w]);
    d.cmd_valid_i = 1;
    const std::uint64_t start = sim_.cycle();
    bool accepted = false, done = false;
    while (!done) {
      if (sim_.cycle() - start > limit)
        throw SimTimeout(fmt::format("npu_vec_engine: {} not done after {} cycles (started at cycle {})",
                                     isa::name(static_cast<isa::VecFunc>(c.func())), limit, start));
      step(mem, accepted, done);
    }
    return sim_.cycle() - start;
  }

 private:
  bool ready() { return p_ready_ >= 1.0 || std::bernoulli_distribution(p_ready_)(rng_); }

  template <class Port>
  void put_word(Port& port, const std::uint8_t* bytes, unsigned n) {
    for (unsigned i = 0; i < n; i += 4) {
      std::uint32_t v = 0;
      for (unsigned k = 0; k < 4 && i + k < n; ++k) v |= std::uint32_t{bytes[i + k]} << (8 * k);
      put_bits(port, 8 * i, std::min(32u, 8 * (n - i)), v);
    }
  }

  void step(ref::LocalMemories& mem, bool& accepted, bool& done) {
    auto& d = sim_.dut();
    const unsigned bb = cfg_.bus_bytes;
    // responses of last cycle's handshakes (data read at that edge)
    d.aspad_rd_rsp_valid_i = as_pend_;
    if (as_pend_) put_word(d.aspad_rd_rsp_data_i, as_data_.data(), bb);
    d.acc_rd_rsp_valid_i = acc_pend_;
    if (acc_pend_)
      for (unsigned l = 0; l < cfg_.cols; ++l) put_bits(d.acc_rd_rsp_data_i, 32 * l, 32, acc_data_[l]);
    d.aspad_rd_ready_i = ready();
    d.acc_rd_ready_i = ready();
    d.aspad_wr_ready_i = ready();
    d.wspad_wr_ready_i = ready();
    sim_.settle();

    const bool cmd_hs = d.cmd_valid_i && d.cmd_ready_o;
    done = accepted && d.done_o;
    const bool as_rd = d.aspad_rd_valid_o && d.aspad_rd_ready_i;
    const bool acc_rd = d.acc_rd_valid_o && d.acc_rd_ready_i;
    const std::uint32_t as_a = d.aspad_rd_addr_o, acc_a = d.acc_rd_addr_o;
    struct Wr { bool on; unsigned space; std::uint32_t addr; std::vector<std::uint8_t> data; std::uint32_t strb; };
    Wr wr[2];
    const bool as_wr = d.aspad_wr_valid_o && d.aspad_wr_ready_i;
    const bool ws_wr = d.wspad_wr_valid_o && d.wspad_wr_ready_i;
    auto capture = [&](Wr& w, bool on, unsigned space, std::uint32_t addr, const auto& data, std::uint32_t strb) {
      w.on = on, w.space = space, w.addr = addr, w.strb = strb;
      if (!on) return;
      w.data.resize(bb);
      for (unsigned i = 0; i < bb; ++i) w.data[i] = static_cast<std::uint8_t>(get_bits(data, 8 * i, 8));
    };
    capture(wr[0], as_wr, 0, d.aspad_wr_addr_o, d.aspad_wr_data_o, get_bits(d.aspad_wr_strb_o, 0, bb));
    capture(wr[1], ws_wr, 1, d.wspad_wr_addr_o, d.wspad_wr_data_o, get_bits(d.wspad_wr_strb_o, 0, bb));
    if (as_rd) {
      if (as_a >= cfg_.aspad_words) throw std::runtime_error(fmt::format("ASPAD read of word {} out of range", as_a));
      as_data_.assign(mem.aspad.begin() + std::size_t{as_a} * bb, mem.aspad.begin() + std::size_t{as_a + 1} * bb);
    }
    if (acc_rd) {
      if (acc_a >= cfg_.acc_rows) throw std::runtime_error(fmt::format("ACC read of row {} out of range", acc_a));
      acc_data_.assign(mem.acc.begin() + std::size_t{acc_a} * cfg_.cols, mem.acc.begin() + std::size_t{acc_a + 1} * cfg_.cols);
    }
    sim_.tick();
    if (cmd_hs) {
      accepted = true;
      d.cmd_valid_i = 0;
    }
    as_pend_ = as_rd;
    acc_pend_ = acc_rd;
    for (const Wr& w : wr) {
      if (!w.on) continue;
      auto& m = w.space == 0 ? mem.aspad : mem.wspad;
      const unsigned words = w.space == 0 ? cfg_.aspad_words : cfg_.wspad_words;
      if (w.addr >= words)
        throw std::runtime_error(fmt::format("{} write of word {} out of range", w.space ? "WSPAD" : "ASPAD", w.addr));
      for (unsigned i = 0; i < bb; ++i)
        if ((w.strb >> i) & 1u) m[std::size_t{w.addr} * bb + i] = w.data[i];
      log_[{w.space, w.addr}] = sim_.cycle();
    }
  }

  ref::AccelConfig cfg_;
  SimControl<Model> sim_;
  std::mt19937_64 rng_;
  double p_ready_;
  bool as_pend_ = false, acc_pend_ = false;
  std::vector<std::uint8_t> as_data_;
  std::vector<std::uint32_t> acc_data_;
  WriteLog log_;
};

}  // namespace npu::tb
