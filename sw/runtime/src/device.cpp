#include "npu/runtime/device.hpp"

#include "npu/regs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>

namespace npu::rt {
namespace {

constexpr std::uint32_t off(std::size_t o) { return static_cast<std::uint32_t>(o); }
#define NPU_REG(name) off(offsetof(npu_csr_t, name))

constexpr std::uint32_t kCtrlEnable = NPU_CSR__CTRL__ENABLE_bm;
constexpr std::uint32_t kCtrlSoftReset = NPU_CSR__CTRL__SOFT_RESET_bm;
constexpr std::uint32_t kCtrlCntClear = NPU_CSR__CTRL__CNT_CLEAR_bm;
constexpr std::uint32_t kCtrlScrub = NPU_CSR__CTRL__SCRUB_bm;
constexpr std::uint32_t kIrqDone = NPU_CSR__IRQ_STATUS__DONE_bm;
constexpr std::uint32_t kIrqFault = NPU_CSR__IRQ_STATUS__FAULT_bm;
constexpr std::uint32_t kStatusBusy = NPU_CSR__STATUS__BUSY_bm;
constexpr std::uint32_t kStatusFault = NPU_CSR__STATUS__FAULT_bm;
constexpr std::uint32_t kStatusIdle = NPU_CSR__STATUS__IDLE_bm;
constexpr std::uint32_t kDeviceId = 0x4E505531;

}  // namespace

unsigned HwConfig::acc_words_per_row() const {
  const unsigned raw = (4 * cols + bus_bytes - 1) / bus_bytes;
  unsigned p = 1;
  while (p < raw) p <<= 1;
  return p;
}

double Counters::mac_utilization(const HwConfig& hw, bool int8) const {
  if (cycles == 0) return 0.0;
  return double(macs) / (double(cycles) * hw.rows * hw.cols * (int8 ? 2 : 1));
}

std::string RunResult::describe() const {
  switch (status) {
    case Status::Done: return fmt::format("done in {} cycles", cycles);
    case Status::Fault:
      return fmt::format("fault {} ({}) at command 0x{:08x} after {} cycles{}{}",
                         isa::fault_name(fault), static_cast<unsigned>(fault), fault_addr,
                         cycles, detail.empty() ? "" : ": ", detail);
    case Status::Timeout: return fmt::format("timeout after {} cycles: {}", cycles, detail);
  }
  return "?";
}

Device::Device(Transport& t, Options o) : t_(t), opt_(o) {
  const std::uint32_t id = reg(NPU_REG(ID));
  if (id != kDeviceId)
    throw std::runtime_error(fmt::format("no accelerator: ID register reads 0x{:08x}, "
                                         "expected 0x{:08x}", id, kDeviceId));
  const std::uint32_t rc = reg(NPU_REG(HW_ROWS_COLS));
  hw_.rows = rc & 0xFF;
  hw_.cols = rc >> 8 & 0xFF;
  hw_.bus_bytes = rc >> 16 & 0xFF;
  hw_.vec_lanes = rc >> 24 & 0xFF;
  hw_.aspad_words = reg(NPU_REG(HW_ASPAD_WORDS));
  hw_.wspad_words = reg(NPU_REG(HW_WSPAD_WORDS));
  hw_.acc_rows = reg(NPU_REG(HW_ACC_ROWS));
  hw_.vec_maxlen = reg(NPU_REG(HW_VEC_MAXLEN));
  // Sizes the driver divides by or allocates from: a device (or bus) that reads
  // 0 or an impossible geometry is reported here, not as a crash later.
  const auto bad = [](const char* name, std::uint32_t value, const char* want) {
    return std::runtime_error(fmt::format("implausible accelerator: {} reads 0x{:08x}; {}", name, value, want));
  };
  if (hw_.rows == 0 || hw_.cols == 0 || hw_.vec_lanes == 0)
    throw bad("HW_ROWS_COLS", rc, "ROWS, COLS and VEC_LANES must be >= 1");
  if (hw_.bus_bytes == 0 || (hw_.bus_bytes & (hw_.bus_bytes - 1)) != 0 || hw_.bus_bytes < 2 * hw_.rows ||
      hw_.bus_bytes < 2 * hw_.cols)
    throw bad("HW_ROWS_COLS", rc, "BUS_BYTES must be a power of two >= 2*ROWS and >= 2*COLS");
  if (hw_.aspad_words == 0) throw bad("HW_ASPAD_WORDS", hw_.aspad_words, "expected >= 1");
  if (hw_.wspad_words == 0) throw bad("HW_WSPAD_WORDS", hw_.wspad_words, "expected >= 1");
  if (hw_.acc_rows == 0) throw bad("HW_ACC_ROWS", hw_.acc_rows, "expected >= 1");
  if (hw_.vec_maxlen == 0) throw bad("HW_VEC_MAXLEN", hw_.vec_maxlen, "expected >= 1");
  if (opt_.ring_entries < 2) throw std::invalid_argument("ring needs at least 2 entries");
  next_free_ = opt_.window_base;
  ring_ = alloc(std::size_t{opt_.ring_entries} * isa::kCmdBytes, 64);
  set_reg(NPU_REG(WINDOW_BASE), opt_.window_base);
  set_reg(NPU_REG(WINDOW_SIZE), opt_.window_size);
  set_reg(NPU_REG(AXI_TIMEOUT), opt_.axi_timeout);
  set_reg(NPU_REG(IRQ_ENABLE), kIrqDone | kIrqFault);
  program_ring();
}

std::uint32_t Device::ctrl_bits(std::uint32_t bits) const {
  return bits | (opt_.scrub_on_reset ? kCtrlScrub : 0u);
}

void Device::program_ring() {
  set_reg(NPU_REG(CTRL), ctrl_bits(0));
  set_reg(NPU_REG(RING_BASE), ring_.addr);
  set_reg(NPU_REG(RING_SIZE), opt_.ring_entries);
  tail_ = ring_head();
  set_reg(NPU_REG(RING_TAIL), tail_);
  set_reg(NPU_REG(IRQ_STATUS), kIrqDone | kIrqFault);
  set_reg(NPU_REG(CTRL), ctrl_bits(kCtrlEnable));
}

Buffer Device::alloc(std::size_t bytes, std::size_t align) {
  if (align == 0 || (align & (align - 1)) != 0)
    throw std::invalid_argument("alloc: alignment must be a power of two");
  const std::uint64_t a = (next_free_ + align - 1) & ~std::uint64_t(align - 1);
  const std::uint64_t end = std::uint64_t{opt_.window_base} + opt_.window_size;
  if (a + bytes > end)
    throw std::runtime_error(fmt::format("alloc: {} bytes do not fit in the device window "
                                         "(0x{:x} of 0x{:x} bytes used)", bytes,
                                         next_free_ - opt_.window_base, opt_.window_size));
  next_free_ = a + bytes;
  return Buffer{static_cast<std::uint32_t>(a), bytes};
}

void Device::free_all() {
  next_free_ = std::uint64_t{ring_.addr} + ring_.bytes;
}

void Device::upload(const Buffer& b, const std::vector<std::uint8_t>& data, std::size_t offset) {
  if (offset + data.size() > b.bytes)
    throw std::out_of_range(fmt::format("upload: {} bytes at offset {} overrun a {}-byte buffer",
                                        data.size(), offset, b.bytes));
  t_.write_mem(b.addr + offset, data.data(), data.size());
}

std::vector<std::uint8_t> Device::download(const Buffer& b, std::size_t offset, std::size_t n) {
  if (offset + n > b.bytes)
    throw std::out_of_range(fmt::format("download: {} bytes at offset {} overrun a {}-byte "
                                        "buffer", n, offset, b.bytes));
  std::vector<std::uint8_t> out(n);
  t_.read_mem(b.addr + offset, out.data(), n);
  return out;
}

void Device::check_stream(const std::vector<isa::Command>& cmds) {
  // Token counters persist across runs: a pop with no push earlier in the
  // same run would be satisfied by a token another run left behind, and a
  // push nobody pops would satisfy a later run's pop too early.
  constexpr unsigned kQ = 4;
  const auto qname = [](unsigned q) { return isa::name(static_cast<isa::Queue>(q)); };
  const isa::TokenCounts count = isa::count_tokens(cmds, [&](std::size_t i, unsigned f) {
    throw std::invalid_argument(fmt::format("run: command {} ({}) pops a token from queue {} that no earlier "
                                            "command of this run pushed (tokens must not cross runs)",
                                            i, isa::name(cmds[i].op()), qname(f)));
  });
  for (unsigned f = 0; f < kQ; ++f)
    for (unsigned t = 0; t < kQ; ++t)
      if (count[f][t] != 0)
        throw std::invalid_argument(fmt::format("run: {} token(s) from queue {} to queue {} are never popped; they "
                                                "would satisfy a later run's pops", count[f][t], qname(f),
                                                qname(t)));
}

std::uint64_t run_timeout(const std::vector<isa::Command>& cmds, const HwConfig& hw) {
  std::uint64_t work = 0;
  for (const auto& c : cmds) {
    const isa::Work w = isa::work_of(c);
    work += 2000 + w.dma_words + w.gemm_rows + w.vec_passes / std::max(1u, hw.vec_lanes);
    if (c.op() == isa::Op::Vec) work += isa::VecCmd::decode(c).rows;  // a row's own latency
  }
  return 2 * work;
}

RunResult Device::run(const std::vector<isa::Command>& cmds, std::uint64_t timeout_cycles) {
  // A fault stops the command processor until soft reset: a run started on a
  // faulted device reports that fault at once instead of timing out.
  if (reg(NPU_REG(STATUS)) & kStatusFault) {
    RunResult res;
    res.status = RunResult::Status::Fault;
    res.fault = static_cast<isa::Fault>(reg(NPU_REG(ERR_CODE)) & 0xFF);
    res.fault_addr = reg(NPU_REG(ERR_CMD_ADDR));
    res.detail = "the device is still stopped by an earlier fault: soft_reset() first";
    return res;
  }
  check_stream(cmds);
  std::vector<isa::Command> all = cmds;
  all.push_back(isa::irq());
  set_reg(NPU_REG(IRQ_STATUS), kIrqDone | kIrqFault);

  const std::uint64_t start = t_.cycles();
  const unsigned n = opt_.ring_entries;
  std::size_t next = 0;
  RunResult res;
  for (;;) {
    // Feed the ring: one slot always stays empty (head == tail means empty).
    if (next < all.size()) {
      const unsigned head = ring_head();
      unsigned fed = 0;
      while (next < all.size() && (tail_ + 1) % n != head) {
        std::uint8_t bytes[isa::kCmdBytes];
        for (unsigned w = 0; w < isa::kCmdWords; ++w)
          for (unsigned b = 0; b < 4; ++b) bytes[4 * w + b] = all[next].w[w] >> (8 * b) & 0xFF;
        t_.write_mem(ring_.addr + std::uint64_t{tail_} * isa::kCmdBytes, bytes, sizeof bytes);
        tail_ = (tail_ + 1) % n;
        ++next;
        ++fed;
      }
      if (fed) set_reg(NPU_REG(RING_TAIL), tail_);
    }
    const std::uint32_t irq = reg(NPU_REG(IRQ_STATUS));
    res.cycles = t_.cycles() - start;
    if (irq & kIrqFault) {
      res.status = RunResult::Status::Fault;
      res.fault = static_cast<isa::Fault>(reg(NPU_REG(ERR_CODE)) & 0xFF);
      res.fault_addr = reg(NPU_REG(ERR_CMD_ADDR));
      return res;
    }
    // DONE may come from an IRQ inside the stream: the run is over only when,
    // with every command submitted, STATUS also says the ring is drained and
    // every engine idle (the appended IRQ is the ring's last entry). DONE
    // stays set until then, so the final IRQ's cannot be cleared unseen.
    if ((irq & kIrqDone) && next == all.size()) {
      const std::uint32_t st = reg(NPU_REG(STATUS));
      if ((st & kStatusIdle) && !(st & kStatusFault)) {
        set_reg(NPU_REG(IRQ_STATUS), kIrqDone);
        res.status = RunResult::Status::Done;
        return res;
      }
    }
    if (res.cycles >= timeout_cycles) {
      res.status = RunResult::Status::Timeout;
      res.detail = fmt::format("STATUS 0x{:x}, RING_HEAD {}, RING_TAIL {}, {} of {} commands "
                               "submitted", reg(NPU_REG(STATUS)), reg(NPU_REG(RING_HEAD)),
                               tail_, next, all.size());
      return res;
    }
    t_.idle(opt_.poll_interval);
  }
}

void Device::soft_reset(std::uint64_t timeout_cycles) {
  set_reg(NPU_REG(CTRL), ctrl_bits(kCtrlSoftReset));
  const std::uint64_t start = t_.cycles();
  while (reg(NPU_REG(STATUS)) & kStatusBusy) {
    if (t_.cycles() - start > timeout_cycles)
      throw std::runtime_error(fmt::format("soft reset: device still busy after {} cycles",
                                           timeout_cycles));
    t_.idle(opt_.poll_interval);
  }
  program_ring();
}

unsigned Device::ring_head() {
  // The driver writes the ring at RING_HEAD onwards: an index past the ring
  // would put commands outside it (and let "full" never be seen).
  const std::uint32_t head = reg(NPU_REG(RING_HEAD));
  if (head >= opt_.ring_entries)
    throw std::runtime_error(fmt::format("RING_HEAD reads {}, outside the {}-entry ring", head, opt_.ring_entries));
  return head;
}

std::uint32_t Device::status() { return reg(NPU_REG(STATUS)); }

void Device::set_axi_timeout(std::uint32_t cycles) {
  opt_.axi_timeout = cycles;
  set_reg(NPU_REG(AXI_TIMEOUT), cycles);
}

void Device::set_window(std::uint32_t base, std::uint32_t size) {
  set_reg(NPU_REG(WINDOW_BASE), base);
  set_reg(NPU_REG(WINDOW_SIZE), size);
}

std::uint64_t Device::reg64(std::uint32_t lo_off) {
  // HI, LO, HI again: retry if the low word wrapped in between. A counter
  // wraps its low word at most once per 2^32 cycles, so a HI that changes on
  // every try is a broken device or bus: report it instead of spinning.
  constexpr unsigned kTries = 4;
  std::uint32_t hi = 0, hi2 = 0;
  for (unsigned i = 0; i < kTries; ++i) {
    hi = reg(lo_off + 4);
    const std::uint32_t lo = reg(lo_off);
    hi2 = reg(lo_off + 4);
    if (hi2 == hi) return std::uint64_t{hi} << 32 | lo;
  }
  throw std::runtime_error(fmt::format("64-bit counter at 0x{:03x}: the high word changed on each of {} reads "
                                       "(last 0x{:08x} then 0x{:08x})", lo_off, kTries, hi, hi2));
}

Counters Device::counters() {
  Counters c;
  c.cycles = reg64(NPU_REG(CYCLES_LO));
  c.gemm_busy = reg64(NPU_REG(GEMM_BUSY_LO));
  c.gemm_stall = reg64(NPU_REG(GEMM_STALL_LO));
  c.vec_busy = reg64(NPU_REG(VEC_BUSY_LO));
  c.vec_stall = reg64(NPU_REG(VEC_STALL_LO));
  c.load_busy = reg64(NPU_REG(LOAD_BUSY_LO));
  c.load_stall = reg64(NPU_REG(LOAD_STALL_LO));
  c.store_busy = reg64(NPU_REG(STORE_BUSY_LO));
  c.store_stall = reg64(NPU_REG(STORE_STALL_LO));
  c.macs = reg64(NPU_REG(MACS_LO));
  c.dma_rd_bytes = reg64(NPU_REG(DMA_RD_BYTES_LO));
  c.dma_wr_bytes = reg64(NPU_REG(DMA_WR_BYTES_LO));
  return c;
}

void Device::clear_counters() {
  set_reg(NPU_REG(CTRL), ctrl_bits(kCtrlEnable | kCtrlCntClear));
}

}  // namespace npu::rt
