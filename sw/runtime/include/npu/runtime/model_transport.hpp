// ModelTransport: the runtime's Transport on the functional model
// (ref::AccelModel with the vector-engine model installed). The register
// file follows docs/register-map.md: ID, VERSION and HW_* from the
// configuration; the ring (RING_BASE/SIZE/HEAD/TAIL), CTRL.ENABLE and
// SOFT_RESET, IRQ_STATUS (write 1 to clear), WINDOW_BASE/SIZE, ERR_CODE and
// ERR_CMD_ADDR behave as on the RTL, so rt::Device runs unchanged on it.
//
// The model has no timing: a RING_TAIL write executes every ring entry up to
// the tail at once (STATUS.BUSY never reads 1), CYCLES counts the cycles the
// host idles, and the busy, stall, MACS and DMA byte counters read 0. A fault
// stops the ring until CTRL.SOFT_RESET, as on the RTL.
#pragma once

#include "npu/ref/accel_model.hpp"
#include "npu/ref/vec_model.hpp"
#include "npu/regs.h"
#include "npu/runtime/transport.hpp"

#include <cstdint>
#include <memory>

namespace npu::rt {

class ModelTransport : public Transport {
 public:
  explicit ModelTransport(const ref::AccelConfig& cfg, unsigned vec_lanes = 1);

  std::uint32_t read_reg(std::uint32_t offset) override;
  void write_reg(std::uint32_t offset, std::uint32_t value) override;
  void write_mem(std::uint64_t addr, const std::uint8_t* data, std::size_t n) override;
  void read_mem(std::uint64_t addr, std::uint8_t* data, std::size_t n) override;
  void idle(std::uint64_t cycles) override { cycles_ += cycles; }
  std::uint64_t cycles() const override { return cycles_; }

  ref::AccelModel& model() { return model_; }
  // Commands executed since the transport was opened.
  std::uint64_t commands() const { return commands_; }

 private:
  void execute();  // ring entries RING_HEAD .. RING_TAIL-1, until a fault
  void soft_reset();

  ref::AccelModel model_;
  std::shared_ptr<ref::VecModel> vec_;  // installed in model_
  unsigned vec_lanes_;
  std::uint64_t cycles_ = 0, cycles_cleared_ = 0, commands_ = 0;
  std::uint32_t ctrl_ = 0, ring_base_ = 0, ring_size_ = 0, head_ = 0, tail_ = 0;
  std::uint32_t irq_enable_ = 0, irq_status_ = 0, window_base_ = 0, window_size_ = 0;
  std::uint32_t axi_timeout_ = NPU_CSR__AXI_TIMEOUT__CYCLES_reset;
  std::uint32_t err_code_ = 0, err_cmd_addr_ = 0;
  bool faulted_ = false;
};

}  // namespace npu::rt
