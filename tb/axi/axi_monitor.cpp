#include "axi_monitor.hpp"

#include <fmt/format.h>

#include <utility>

namespace npu::tb::axi {

AxiMonitor::AxiMonitor(AxiPort port, AxiMonitorConfig cfg)
    : port_(std::move(port)), have_port_(true), bus_bytes_(port_.bus_bytes), cfg_(cfg) {}

AxiMonitor::AxiMonitor(unsigned bus_bytes, AxiMonitorConfig cfg)
    : have_port_(false), bus_bytes_(bus_bytes), cfg_(cfg) {}

void AxiMonitor::fail(std::uint64_t cycle, const char* channel, const std::string& what) {
  auto msg = fmt::format("AXI protocol violation: cycle {}: channel {}: {}", cycle, channel, what);
  violations_.push_back(msg);
  if (cfg_.throw_on_violation) throw AxiViolation(msg);
}

void AxiMonitor::restart() {
  have_prev_ = false;
  rd_.clear();
  rbeat_.clear();
  wlen_.clear();
  wid_.clear();
  wbeat_ = 0;
  w_early_ = 0;
  bexp_.clear();
}

bool AxiMonitor::outstanding() const {
  for (const auto& [id, q] : rd_)
    if (!q.empty()) return true;
  for (const auto& [id, n] : bexp_)
    if (n) return true;
  return !wlen_.empty();
}

void AxiMonitor::check_addr(std::uint64_t cycle, const char* ch, std::uint64_t addr,
                            unsigned len, unsigned size, unsigned burst) {
  const unsigned bytes = 1u << size;
  if (burst != kBurstIncr) fail(cycle, ch, fmt::format("burst type {} is not INCR", burst));
  if (bytes != bus_bytes_)
    fail(cycle, ch, fmt::format("size {} ({} bytes) != bus width {} bytes", size, bytes, bus_bytes_));
  if (len > 255) fail(cycle, ch, fmt::format("len {} > 255", len));
  if (addr % bytes)
    fail(cycle, ch, fmt::format("address 0x{:x} not aligned to {} bytes", addr, bytes));
  const std::uint64_t last = addr + std::uint64_t{len + 1} * bytes - 1;
  if ((addr >> 12) != (last >> 12))
    fail(cycle, ch, fmt::format("burst 0x{:x}..0x{:x} ({} beats) crosses a 4 KiB boundary", addr,
                                last, len + 1));
}

void AxiMonitor::check(std::uint64_t cycle) {
  if (!have_port_) throw std::logic_error("AxiMonitor::check(cycle) needs a port");
  MasterSignals m;
  SlaveSignals s;
  port_.sample_master(m);
  port_.sample_slave(s);
  check(m, s, cycle);
}

void AxiMonitor::check(const MasterSignals& m, const SlaveSignals& s, std::uint64_t cycle) {
  // ---- stability while VALID && !READY in the previous cycle ----
  if (have_prev_) {
    if (pm_.arvalid && !ps_.arready) {
      if (!m.arvalid) fail(cycle, "AR", "ARVALID dropped before ARREADY");
      else if (m.araddr != pm_.araddr || m.arlen != pm_.arlen || m.arsize != pm_.arsize ||
               m.arburst != pm_.arburst || m.arid != pm_.arid)
        fail(cycle, "AR", fmt::format("payload changed while waiting (addr 0x{:x} -> 0x{:x}, len {} -> {})",
                                      pm_.araddr, m.araddr, pm_.arlen, m.arlen));
    }
    if (pm_.awvalid && !ps_.awready) {
      if (!m.awvalid) fail(cycle, "AW", "AWVALID dropped before AWREADY");
      else if (m.awaddr != pm_.awaddr || m.awlen != pm_.awlen || m.awsize != pm_.awsize ||
               m.awburst != pm_.awburst || m.awid != pm_.awid)
        fail(cycle, "AW", fmt::format("payload changed while waiting (addr 0x{:x} -> 0x{:x}, len {} -> {})",
                                      pm_.awaddr, m.awaddr, pm_.awlen, m.awlen));
    }
    if (pm_.wvalid && !ps_.wready) {
      if (!m.wvalid) fail(cycle, "W", "WVALID dropped before WREADY");
      else if (m.wdata != pm_.wdata || m.wstrb != pm_.wstrb || m.wlast != pm_.wlast)
        fail(cycle, "W", "WDATA/WSTRB/WLAST changed while waiting");
    }
    if (ps_.rvalid && !pm_.rready) {
      if (!s.rvalid) fail(cycle, "R", "RVALID dropped before RREADY");
      else if (s.rdata != ps_.rdata || s.rresp != ps_.rresp || s.rlast != ps_.rlast ||
               s.rid != ps_.rid)
        fail(cycle, "R", "RDATA/RRESP/RLAST/RID changed while waiting");
    }
    if (ps_.bvalid && !pm_.bready) {
      if (!s.bvalid) fail(cycle, "B", "BVALID dropped before BREADY");
      else if (s.bresp != ps_.bresp || s.bid != ps_.bid)
        fail(cycle, "B", "BRESP/BID changed while waiting");
    }
  }

  // ---- handshakes of this cycle ----
  if (m.arvalid && s.arready) {
    check_addr(cycle, "AR", m.araddr, m.arlen, m.arsize, m.arburst);
    rd_[m.arid].push_back(m.arlen);
  }
  if (s.rvalid && m.rready) {
    auto& q = rd_[s.rid];
    if (q.empty()) {
      fail(cycle, "R", fmt::format("beat with RID {} but no outstanding AR with that ID", s.rid));
    } else {
      unsigned& beat = rbeat_[s.rid];
      const bool last = beat == q.front();
      if (s.rlast != last)
        fail(cycle, "R", fmt::format("RLAST={} on beat {} of a {}-beat burst (RID {})", s.rlast,
                                     beat, q.front() + 1, s.rid));
      if (last) {
        q.pop_front();
        beat = 0;
      } else {
        ++beat;
      }
    }
  }
  if (m.awvalid && s.awready) {
    check_addr(cycle, "AW", m.awaddr, m.awlen, m.awsize, m.awburst);
    wlen_.push_back(m.awlen);
    wid_.push_back(m.awid);
  }
  if (m.wvalid && s.wready) {
    if (wlen_.empty()) {
      if (!cfg_.allow_w_before_aw)
        fail(cycle, "W", "W beat with no outstanding AW (W before AW is not allowed here)");
      ++w_early_;
    } else {
      const bool last = wbeat_ == wlen_.front();
      if (m.wlast != last)
        fail(cycle, "W", fmt::format("WLAST={} on beat {} of a {}-beat burst ({})", m.wlast, wbeat_,
                                     wlen_.front() + 1, m.wlast ? "early WLAST" : "missing WLAST"));
      if (last) {
        ++bexp_[wid_.front()];
        wlen_.pop_front();
        wid_.pop_front();
        wbeat_ = 0;
      } else {
        ++wbeat_;
      }
    }
  }
  if (s.bvalid && m.bready) {
    auto& n = bexp_[s.bid];
    if (n == 0)
      fail(cycle, "B", fmt::format("response for BID {} before the W data of any burst with that ID completed", s.bid));
    else
      --n;
  }
  pm_ = m;
  ps_ = s;
  have_prev_ = true;
}

}  // namespace npu::tb::axi
