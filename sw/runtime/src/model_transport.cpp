#include "npu/runtime/model_transport.hpp"

#include "npu/ref/vec_model.hpp"
#include "npu/regs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace npu::rt {
namespace {

constexpr std::uint32_t off(std::size_t o) { return static_cast<std::uint32_t>(o); }
#define NPU_REG(name) off(offsetof(npu_csr_t, name))

constexpr std::uint32_t kDeviceId = 0x4E505531, kVersion = 1;

std::uint32_t check_u32(std::uint64_t addr, std::size_t n, const char* what) {
  if (addr + n > (std::uint64_t{1} << 32))
    throw std::out_of_range(fmt::format("ModelTransport {}: 0x{:x} + {} bytes is beyond the 32-bit bus", what,
                                        addr, n));
  return static_cast<std::uint32_t>(addr);
}

}  // namespace

ModelTransport::ModelTransport(const ref::AccelConfig& cfg, unsigned vec_lanes)
    : model_(cfg), vec_(ref::install(model_)), vec_lanes_(vec_lanes) {}

void ModelTransport::write_mem(std::uint64_t addr, const std::uint8_t* data, std::size_t n) {
  model_.write_dram(check_u32(addr, n, "write_mem"), std::vector<std::uint8_t>(data, data + n));
}

void ModelTransport::read_mem(std::uint64_t addr, std::uint8_t* data, std::size_t n) {
  const auto bytes = model_.read_dram(check_u32(addr, n, "read_mem"), n);
  std::copy(bytes.begin(), bytes.end(), data);
}

std::uint32_t ModelTransport::read_reg(std::uint32_t offset) {
  const ref::AccelConfig& c = model_.config();
  const std::uint64_t cyc = cycles_ - cycles_cleared_;
  if (offset == NPU_REG(ID)) return kDeviceId;
  if (offset == NPU_REG(VERSION)) return kVersion;
  if (offset == NPU_REG(HW_ROWS_COLS)) return c.rows | c.cols << 8 | c.bus_bytes << 16 | vec_lanes_ << 24;
  if (offset == NPU_REG(HW_ASPAD_WORDS)) return c.aspad_words;
  if (offset == NPU_REG(HW_WSPAD_WORDS)) return c.wspad_words;
  if (offset == NPU_REG(HW_ACC_ROWS)) return c.acc_rows;
  if (offset == NPU_REG(HW_VEC_MAXLEN)) return c.vec_maxlen;
  if (offset == NPU_REG(CTRL)) return ctrl_ & (NPU_CSR__CTRL__ENABLE_bm | NPU_CSR__CTRL__SCRUB_bm);
  if (offset == NPU_REG(STATUS))
    return (faulted_ ? NPU_CSR__STATUS__FAULT_bm : 0u) | (head_ == tail_ ? NPU_CSR__STATUS__IDLE_bm : 0u);
  if (offset == NPU_REG(RING_BASE)) return ring_base_;
  if (offset == NPU_REG(RING_SIZE)) return ring_size_;
  if (offset == NPU_REG(RING_HEAD)) return head_;
  if (offset == NPU_REG(RING_TAIL)) return tail_;
  if (offset == NPU_REG(IRQ_ENABLE)) return irq_enable_;
  if (offset == NPU_REG(IRQ_STATUS)) return irq_status_;
  if (offset == NPU_REG(WINDOW_BASE)) return window_base_;
  if (offset == NPU_REG(WINDOW_SIZE)) return window_size_;
  if (offset == NPU_REG(AXI_TIMEOUT)) return axi_timeout_;
  if (offset == NPU_REG(ERR_CODE)) return err_code_;
  if (offset == NPU_REG(ERR_CMD_ADDR)) return err_cmd_addr_;
  if (offset == NPU_REG(CYCLES_LO)) return static_cast<std::uint32_t>(cyc);
  if (offset == NPU_REG(CYCLES_HI)) return static_cast<std::uint32_t>(cyc >> 32);
  if (offset > NPU_REG(CYCLES_HI) && offset <= NPU_REG(DMA_WR_BYTES_HI) && offset % 4 == 0) return 0;
  throw std::out_of_range(fmt::format("ModelTransport: read of unmapped register offset 0x{:x}", offset));
}

void ModelTransport::write_reg(std::uint32_t offset, std::uint32_t v) {
  if (offset == NPU_REG(CTRL)) {
    ctrl_ = v & (NPU_CSR__CTRL__ENABLE_bm | NPU_CSR__CTRL__SCRUB_bm);
    if (v & NPU_CSR__CTRL__SOFT_RESET_bm) soft_reset();
    if (v & NPU_CSR__CTRL__CNT_CLEAR_bm) cycles_cleared_ = cycles_;
    execute();
  } else if (offset == NPU_REG(RING_BASE)) {
    ring_base_ = v;
  } else if (offset == NPU_REG(RING_SIZE)) {
    ring_size_ = v;
  } else if (offset == NPU_REG(RING_TAIL)) {
    tail_ = v;
    execute();
  } else if (offset == NPU_REG(IRQ_ENABLE)) {
    irq_enable_ = v & (NPU_CSR__IRQ_ENABLE__DONE_bm | NPU_CSR__IRQ_ENABLE__FAULT_bm);
  } else if (offset == NPU_REG(IRQ_STATUS)) {
    irq_status_ &= ~v;  // write 1 to clear
  } else if (offset == NPU_REG(WINDOW_BASE)) {
    window_base_ = v;
    model_.set_window(window_base_, window_size_);
  } else if (offset == NPU_REG(WINDOW_SIZE)) {
    window_size_ = v;
    model_.set_window(window_base_, window_size_);
  } else if (offset == NPU_REG(AXI_TIMEOUT)) {
    axi_timeout_ = v;  // kept for reads: the model has no bus to time out
  } else {
    throw std::out_of_range(fmt::format("ModelTransport: write of 0x{:x} to read-only or unmapped register offset "
                                        "0x{:x}", v, offset));
  }
}

void ModelTransport::soft_reset() {
  if (ctrl_ & NPU_CSR__CTRL__SCRUB_bm) {  // CTRL.SCRUB: every local memory word to zero
    auto& m = model_.mem();
    std::fill(m.aspad.begin(), m.aspad.end(), 0);
    std::fill(m.wspad.begin(), m.wspad.end(), 0);
    std::fill(m.acc.begin(), m.acc.end(), 0);
    vec_->reset();  // the parameter buffer and the LUT
  }
  head_ = tail_ = 0;
  faulted_ = false;
  err_code_ = 0;
}

void ModelTransport::execute() {
  if (!(ctrl_ & NPU_CSR__CTRL__ENABLE_bm) || faulted_ || ring_size_ == 0) return;
  while (head_ != tail_) {
    if (head_ >= ring_size_)
      throw std::runtime_error(fmt::format("ModelTransport: RING_HEAD {} is outside a ring of {} entries "
                                           "(RING_TAIL {})", head_, ring_size_, tail_));
    const std::uint32_t addr = ring_base_ + head_ * isa::kCmdBytes;
    const auto bytes = model_.read_dram(addr, isa::kCmdBytes);
    isa::Command c;
    for (unsigned w = 0; w < isa::kCmdWords; ++w)
      for (unsigned b = 0; b < 4; ++b) c.w[w] |= std::uint32_t{bytes[4 * w + b]} << (8 * b);
    head_ = (head_ + 1) % ring_size_;
    ++commands_;
    if (const auto f = model_.run({c}, [addr](std::size_t) { return addr; })) {
      faulted_ = true;
      err_code_ = static_cast<std::uint32_t>(f->code);
      err_cmd_addr_ = f->cmd_addr;
      irq_status_ |= NPU_CSR__IRQ_STATUS__FAULT_bm;
      return;
    }
    if (c.op() == isa::Op::Irq) irq_status_ |= NPU_CSR__IRQ_STATUS__DONE_bm;
  }
}

}  // namespace npu::rt
