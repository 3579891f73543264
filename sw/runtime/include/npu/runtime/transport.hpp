// How the driver reaches a device: its registers (AXI4-Lite), its memory and
// its clock. SimTransport (tb/top) implements it on the Verilated model; a
// board transport (UART/PCIe bridge) implements the same five calls.
#pragma once

#include <cstddef>
#include <cstdint>

namespace npu::rt {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::uint32_t read_reg(std::uint32_t offset) = 0;
  virtual void write_reg(std::uint32_t offset, std::uint32_t value) = 0;
  virtual void write_mem(std::uint64_t addr, const std::uint8_t* data, std::size_t n) = 0;
  virtual void read_mem(std::uint64_t addr, std::uint8_t* data, std::size_t n) = 0;
  // Lets the device run for `cycles` clock cycles (a board: about that long).
  virtual void idle(std::uint64_t cycles) = 0;
  // Device clock cycles elapsed since the transport was opened.
  virtual std::uint64_t cycles() const = 0;
};

}  // namespace npu::rt
