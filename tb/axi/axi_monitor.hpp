// AxiMonitor: cycle-by-cycle AXI4 protocol checker on an AxiPort (or on
// snapshots fed directly). Checks, with channel and cycle in every message:
//  - all 5 channels: VALID dropped or payload changed while VALID && !READY;
//  - AR/AW: burst not INCR, size != bus width, unaligned address, AxLEN > 255,
//    a burst crossing a 4 KiB boundary;
//  - W: beat with no outstanding AW (unless allowed), WLAST missing or early;
//  - R: beat for an ID with no outstanding AR, RLAST wrong (per-ID order);
//  - B: response for an ID with no burst whose W data is complete.
#pragma once

#include "axi_port.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace npu::tb::axi {

class AxiViolation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AxiMonitorConfig {
  bool allow_w_before_aw = false;  // else a W beat before its AW is a violation
  bool throw_on_violation = true;  // else only recorded (violations())
};

class AxiMonitor {
 public:
  AxiMonitor(AxiPort port, AxiMonitorConfig cfg = {});
  // Without a port: feed snapshots with check(m, s, cycle).
  AxiMonitor(unsigned bus_bytes, AxiMonitorConfig cfg = {});

  // Samples both sides through the port (after settle, before the edge).
  void check(std::uint64_t cycle);
  void check(const MasterSignals& m, const SlaveSignals& s, std::uint64_t cycle);

  const std::vector<std::string>& violations() const { return violations_; }
  // Fault-injection tests: record violations instead of throwing (and back).
  void set_throw_on_violation(bool t) { cfg_.throw_on_violation = t; }
  // Forgets every burst in flight and the previous cycle: for a bus that was
  // quiesced by the DUT (soft reset after a fault) and starts afresh.
  void restart();
  void clear_violations() { violations_.clear(); }
  bool outstanding() const;  // bursts started and not finished

 private:
  void fail(std::uint64_t cycle, const char* channel, const std::string& what);
  void check_addr(std::uint64_t cycle, const char* ch, std::uint64_t addr, unsigned len,
                  unsigned size, unsigned burst);

  AxiPort port_;
  bool have_port_;
  unsigned bus_bytes_;
  AxiMonitorConfig cfg_;
  std::vector<std::string> violations_;
  bool have_prev_ = false;
  MasterSignals pm_;
  SlaveSignals ps_;
  std::map<std::uint32_t, std::deque<unsigned>> rd_;  // per ID: lengths; front = current
  std::map<std::uint32_t, unsigned> rbeat_;
  std::deque<unsigned> wlen_;                         // AW lengths awaiting W, in order
  std::deque<std::uint32_t> wid_;
  unsigned wbeat_ = 0;
  unsigned w_early_ = 0;                              // W beats ahead of AW (if allowed)
  std::map<std::uint32_t, unsigned> bexp_;            // per ID: bursts awaiting B
};

}  // namespace npu::tb::axi
