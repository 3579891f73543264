// AxiMemory: a sparse, byte-addressed AXI4 slave memory model on an AxiPort.
// Usage per cycle (SimControl convention): drive(); <model settle>;
// monitor.check(); step(); <tick>. Outputs never depend combinationally on
// the master's outputs; a raised RVALID/BVALID is held until accepted.
#pragma once

#include "axi_port.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace npu::tb::axi {

struct AxiMemoryConfig {
  unsigned read_latency = 1;    // cycles from AR handshake to the first R beat (>= 1)
  unsigned write_latency = 1;   // cycles from AW handshake to B (at least 1 after WLAST)
  unsigned beat_interval = 1;   // at most one R beat / one W beat every N cycles
  double stall_prob = 0.0;      // per-cycle probability of holding a ready / a valid low
  std::uint64_t seed = 1;
  bool reorder = false;         // answer different IDs out of order
  unsigned max_reads = 16;      // read bursts accepted and not finished
  unsigned max_writes = 16;     // write bursts accepted and not answered
};

struct AxiMemoryStats {
  std::uint64_t ar = 0, aw = 0, r_beats = 0, w_beats = 0, b = 0;
};

class AxiMemory {
 public:
  AxiMemory(AxiPort port, AxiMemoryConfig cfg);

  // Drives the slave outputs for the current cycle.
  void drive();
  // After settle, before the rising edge: samples the master, completes the
  // handshakes of this cycle and prepares the next cycle's outputs.
  void step();

  // Error injection: every beat touching [lo, hi) answers `resp`; written
  // beats there are not stored.
  void add_error_range(std::uint64_t lo, std::uint64_t hi, Resp resp);
  void clear_error_ranges() { errors_.clear(); }

  // Dead slave. The first AR handshake touching [lo, hi) kills the read side:
  // that burst and every later one is never answered and ARREADY never rises
  // again (an R beat already valid is held until accepted, as AXI requires).
  void kill_reads_at(std::uint64_t lo, std::uint64_t hi);
  // The same for the first AW touching [lo, hi): no AWREADY and no BVALID from
  // then on; WREADY too, unless keep_w (W data is taken, B never comes).
  void kill_writes_at(std::uint64_t lo, std::uint64_t hi, bool keep_w = false);
  // Kills the read side now: ARREADY never rises again, nothing is answered.
  void kill_reads_now() { rd_dead_ = true; }
  bool reads_dead() const { return rd_dead_; }
  bool writes_dead() const { return wr_dead_; }

  // Protocol corruption of every R beat whose address is in [lo, hi).
  enum class RCorrupt { FlipLast, WrongId, ExOkay };  // RLAST inverted, RID ^ 1, RRESP EXOKAY
  void corrupt_reads(std::uint64_t lo, std::uint64_t hi, RCorrupt what);
  // BID ^ 1 on the B of every write burst starting in [lo, hi).
  void corrupt_bids(std::uint64_t lo, std::uint64_t hi);
  // Every write burst starting in [lo, hi) gets its (only) B right after its
  // AW, before its last W beat: a slave that breaks AXI.
  void early_bresps(std::uint64_t lo, std::uint64_t hi);
  // Removes error ranges, kills not yet triggered and corruptions (a dead
  // side stays dead).
  void clear_faults();
  void set_config(const AxiMemoryConfig& cfg);
  const AxiMemoryConfig& config() const { return cfg_; }

  void write_bytes(std::uint64_t addr, const std::vector<std::uint8_t>& data);
  std::vector<std::uint8_t> read_bytes(std::uint64_t addr, std::size_t n) const;
  void fill(std::uint64_t addr, std::size_t n, std::uint8_t value);
  void fill_random(std::uint64_t addr, std::size_t n, std::uint64_t seed);
  std::uint8_t byte(std::uint64_t addr) const;

  bool idle() const;  // nothing accepted and unanswered
  // System reset: every accepted burst is dropped and the outputs go low; the
  // contents, error ranges and dead sides stay (DRAM keeps its data).
  void reset();
  const AxiMemoryStats& stats() const { return stats_; }
  std::uint64_t cycle() const { return now_; }

 private:
  struct Burst {
    std::uint32_t id = 0;
    std::uint64_t addr = 0;
    unsigned len = 0, size = 0;
    unsigned beat = 0;
    std::uint64_t ready_cycle = 0;
    unsigned resp = 0;  // writes: worst response so far
    bool early_b = false;  // writes: B before the last W (early_bresps)
    bool b_sent = false;   // that B has been taken
  };

  bool stall();
  // The oldest accepted write burst still taking W beats (an early-answered
  // one stays in aw_q_ after its last beat until its B is taken).
  std::deque<Burst>::iterator next_w_burst() {
    return std::find_if(aw_q_.begin(), aw_q_.end(), [](const Burst& b) { return b.beat <= b.len; });
  }
  unsigned resp_for(std::uint64_t addr, unsigned nbytes) const;
  std::uint64_t beat_addr(const Burst& b) const;
  void set_byte(std::uint64_t addr, std::uint8_t v);
  // Index of the next burst to answer among `q` (oldest per ID; random among
  // IDs when reordering), only those ready by `cycle`.
  std::optional<std::size_t> pick(const std::deque<Burst>& q, std::uint64_t cycle);

  AxiPort port_;
  AxiMemoryConfig cfg_;
  std::mt19937_64 rng_;
  std::unordered_map<std::uint64_t, std::vector<std::uint8_t>> pages_;
  struct ErrRange { std::uint64_t lo, hi; Resp resp; };
  std::vector<ErrRange> errors_;
  struct Range {
    std::uint64_t lo = 0, hi = 0;
    bool overlaps(std::uint64_t a, std::uint64_t n) const { return a < hi && a + n > lo; }
  };
  std::optional<Range> rd_kill_, wr_kill_;
  bool rd_dead_ = false, wr_dead_ = false, keep_w_ = false;
  struct RCorruptRange { Range r; RCorrupt what; };
  std::vector<RCorruptRange> rcorrupt_;
  std::vector<Range> bcorrupt_, bearly_;
  std::uint32_t b_real_id_ = 0;  // the ID of the burst whose B is on the bus
  bool b_is_early_ = false;      // that B is an early one (the burst is still in aw_q_)

  SlaveSignals out_;
  MasterSignals in_;
  std::uint64_t now_ = 0;

  std::deque<Burst> rd_q_;              // accepted read bursts
  std::optional<std::size_t> r_cur_;    // burst being answered (index into rd_q_)
  std::uint64_t next_r_cycle_ = 0;
  std::deque<Burst> aw_q_;              // accepted AW awaiting W data, in order
  std::uint64_t next_w_cycle_ = 0;
  std::deque<Burst> b_q_;               // complete bursts awaiting B
  AxiMemoryStats stats_;
};

}  // namespace npu::tb::axi
