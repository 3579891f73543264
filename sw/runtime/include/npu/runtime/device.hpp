// The driver API: one Device per accelerator, whatever the transport.
//   Device dev(transport, {window_base, window_size});
//   Buffer a = dev.alloc(bytes);  dev.upload(a, data);
//   RunResult r = dev.run(commands, timeout_cycles);   // ring, doorbell, wait
//   auto out = dev.download(c, 0, n);  Counters k = dev.counters();
#pragma once

#include "npu/isa.hpp"
#include "npu/runtime/transport.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace npu::rt {

// Sizes read from the device's HW_* registers.
struct HwConfig {
  unsigned rows = 0, cols = 0, bus_bytes = 0;
  unsigned aspad_words = 0, wspad_words = 0, acc_rows = 0, vec_maxlen = 0;
  unsigned vec_lanes = 0;  // VEC elements per cycle
  // Bus words per ACC row in the DMA view (docs/isa.md §2).
  unsigned acc_words_per_row() const;
};

struct Counters {
  std::uint64_t cycles = 0, gemm_busy = 0, gemm_stall = 0, vec_busy = 0, vec_stall = 0;
  std::uint64_t load_busy = 0, load_stall = 0, store_busy = 0, store_stall = 0;
  std::uint64_t macs = 0, dma_rd_bytes = 0, dma_wr_bytes = 0;
  // MACs issued / (busy cycles * peak MACs per cycle), peak = rows * cols for
  // BF16 and 2 * rows * cols for INT8 (two INT8 MACs per PE).
  double mac_utilization(const HwConfig& hw, bool int8 = false) const;
};

struct RunResult {
  enum class Status { Done, Fault, Timeout };
  Status status = Status::Done;
  isa::Fault fault = isa::Fault::None;
  std::uint32_t fault_addr = 0;     // DRAM address of the faulting command
  std::uint64_t cycles = 0;         // device cycles from doorbell to completion
  std::string detail;               // timeouts: STATUS and RING_HEAD; faults: why, if known
  bool ok() const { return status == Status::Done; }
  std::string describe() const;
};

struct Buffer {
  std::uint32_t addr = 0;
  std::size_t bytes = 0;
};

// A run timeout sized to the work of a stream: every engine's work one after
// the other at one unit per cycle (LOAD/STORE bus words, GEMM rows x K tiles x
// N tiles, VEC element-passes over the lanes) plus 2,000 cycles per command
// (DRAM latency, fill and drain), times 2. A stuck stream fails after a few
// times its real length, not after a fixed limit.
std::uint64_t run_timeout(const std::vector<isa::Command>& cmds, const HwConfig& hw);

class Device {
 public:
  struct Options {
    std::uint32_t window_base = 0x1000'0000;
    std::uint32_t window_size = 0x1000'0000;
    unsigned ring_entries = 64;
    unsigned poll_interval = 32;    // cycles between status polls
    // AXI_TIMEOUT.CYCLES, written by the constructor: cycles an AXI port may
    // wait with a transaction outstanding and no handshake before the device
    // faults AXI_TIMEOUT and isolates the port until hard reset; 0 disables.
    std::uint32_t axi_timeout = 65536;
    // CTRL.SCRUB: a soft reset also zeroes ASPAD, WSPAD, ACC and the VEC
    // parameter buffer and LUT, so a stream cannot read what an earlier one
    // left (costs the largest memory's words in cycles per soft reset).
    bool scrub_on_reset = false;
  };

  // Reads ID and the HW_* registers; throws std::runtime_error naming the
  // register and its value if ID is wrong or a size is implausible (0, or a
  // BUS_BYTES that is not a power of two >= 2*ROWS and >= 2*COLS).
  Device(Transport& t, Options o);

  const HwConfig& hw() const { return hw_; }
  Transport& transport() { return t_; }

  // Device memory: a bump allocator over the window (after the ring).
  Buffer alloc(std::size_t bytes, std::size_t align = 64);
  void free_all();
  void upload(const Buffer& b, const std::vector<std::uint8_t>& data, std::size_t offset = 0);
  std::vector<std::uint8_t> download(const Buffer& b, std::size_t offset, std::size_t n);

  // Appends an IRQ command, feeds the ring (waiting for space), rings the
  // doorbell and waits for the IRQ or a fault, at most timeout_cycles.
  // Throws std::invalid_argument (before touching the device) for a stream
  // that contains an IRQ, pops a token no earlier command of it pushed, or
  // leaves a token unpopped: token counters outlive a run. Throws
  // std::runtime_error if RING_HEAD reads an index outside the ring.
  RunResult run(const std::vector<isa::Command>& cmds, std::uint64_t timeout_cycles);

  // CTRL.SOFT_RESET, then waits for the device to go idle; the ring
  // restarts at index 0 and IRQ_STATUS is cleared.
  void soft_reset(std::uint64_t timeout_cycles = 100000);

  // The DRAM window every command must stay inside (WINDOW_BASE/SIZE); the
  // constructor sets Options' window. Allocation is unaffected.
  void set_window(std::uint32_t base, std::uint32_t size);
  // AXI_TIMEOUT.CYCLES (see Options::axi_timeout).
  void set_axi_timeout(std::uint32_t cycles);

  // Throws std::runtime_error if a counter's high word changes on each of
  // a few HI/LO/HI reads (a broken device or bus).
  Counters counters();
  void clear_counters();
  std::uint32_t status();
  std::uint32_t ring_base() const { return ring_.addr; }
  // DRAM address of the ring entry the next run's command i goes to.
  std::uint32_t command_addr(std::size_t i) const {
    return ring_.addr + static_cast<std::uint32_t>((tail_ + i) % opt_.ring_entries) * isa::kCmdBytes;
  }

 private:
  std::uint32_t reg(std::uint32_t off) { return t_.read_reg(off); }
  void set_reg(std::uint32_t off, std::uint32_t v) { t_.write_reg(off, v); }
  std::uint64_t reg64(std::uint32_t lo_off);  // throws std::runtime_error if HI never settles
  unsigned ring_head();                        // RING_HEAD; throws std::runtime_error if outside the ring
  void program_ring();
  std::uint32_t ctrl_bits(std::uint32_t bits) const;  // CTRL with the options' bits (SCRUB)
  static void check_stream(const std::vector<isa::Command>& cmds);

  Transport& t_;
  Options opt_;
  HwConfig hw_;
  Buffer ring_;
  unsigned tail_ = 0;                // next ring index the driver writes
  std::uint64_t next_free_ = 0;      // allocator cursor (absolute address)
};

}  // namespace npu::rt
