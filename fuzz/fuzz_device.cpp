// fuzz_device: rt::Device over a Transport whose registers read values from
// the fuzz input (a broken or hostile device, or a bad bus). The driver must
// not divide by zero, loop forever, or write outside its window; it reports
// such a device with the exceptions its API documents (std::runtime_error,
// std::invalid_argument, std::out_of_range).
//
// Input: byte 0 bit0 set = the ID register reads the right ID, bit1 = HW_ROWS_COLS
// reads a valid geometry (so the fuzzer gets past the constructor); byte 1 =
// ring entries; then each register read consumes 4 bytes (0 when exhausted),
// interleaved with the operations chosen by the fuzzer.
#include "npu/isa.hpp"
#include "npu/regs.h"
#include "npu/runtime/device.hpp"
#include "npu/runtime/transport.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

using namespace npu;

namespace {

// Bytes in input order (unlike Input, so seeds are easy to write):
// little-endian integers, 0 once the input is exhausted.
class Input {
 public:
  Input(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  template <class T>
  T ConsumeIntegral() {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < sizeof(T); ++i, ++at_)
      if (at_ < n_) v |= std::uint64_t{d_[at_]} << (8 * i);
    return static_cast<T>(v);
  }
  template <class T>
  T ConsumeIntegralInRange(T lo, T hi) {
    const std::uint64_t range = std::uint64_t(hi - lo) + 1;
    const std::uint64_t v = range <= 0x100 ? ConsumeIntegral<std::uint8_t>()
                            : range <= 0x10000 ? ConsumeIntegral<std::uint16_t>() : ConsumeIntegral<std::uint32_t>();
    return static_cast<T>(lo + (range == 0 ? v : v % range));
  }
  bool ConsumeBool() { return ConsumeIntegral<std::uint8_t>() & 1; }
  std::size_t remaining_bytes() const { return at_ < n_ ? n_ - at_ : 0; }

 private:
  const std::uint8_t* d_;
  std::size_t n_, at_ = 0;
};

constexpr std::uint32_t kWindowBase = 0x1000'0000, kWindowSize = 0x0010'0000;

class FuzzTransport : public rt::Transport {
 public:
  FuzzTransport(Input& in, bool id_ok, bool geometry_ok)
      : in_(in), id_ok_(id_ok), geometry_ok_(geometry_ok) {}
  std::uint32_t read_reg(std::uint32_t offset) override {
    if (offset == offsetof(npu_csr_t, ID) && id_ok_) return 0x4E505531;
    if (offset == offsetof(npu_csr_t, HW_ROWS_COLS) && geometry_ok_) return 4 | 5 << 8 | 16 << 16 | 4 << 24;
    return in_.ConsumeIntegral<std::uint32_t>();
  }
  void write_reg(std::uint32_t, std::uint32_t) override {}
  void write_mem(std::uint64_t addr, const std::uint8_t*, std::size_t n) override { inside(addr, n); }
  void read_mem(std::uint64_t addr, std::uint8_t* data, std::size_t n) override {
    inside(addr, n);
    for (std::size_t i = 0; i < n; ++i) data[i] = in_.ConsumeIntegral<std::uint8_t>();
  }
  void idle(std::uint64_t c) override { cycles_ += c; }
  std::uint64_t cycles() const override { return cycles_; }

 private:
  // The driver touches only the window it was given (ring and buffers).
  static void inside(std::uint64_t addr, std::size_t n) {
    if (addr < kWindowBase || addr + n > std::uint64_t{kWindowBase} + kWindowSize) std::abort();
  }
  Input& in_;
  bool id_ok_, geometry_ok_;
  std::uint64_t cycles_ = 0;
};

isa::Command command(Input& in) {
  isa::Command c;
  // opcode LOAD..FENCE with random tokens, or anything
  c.w[0] = in.ConsumeBool() ? in.ConsumeIntegral<std::uint32_t>()
                            : (1 + in.ConsumeIntegralInRange<std::uint32_t>(0, 5)) |
                                  in.ConsumeIntegralInRange<std::uint32_t>(0, 0xFF) << 8;
  for (unsigned i = 1; i < isa::kCmdWords; ++i) c.w[i] = in.ConsumeIntegral<std::uint32_t>();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t flags = in.ConsumeIntegral<std::uint8_t>();
  FuzzTransport t(in, flags & 1, flags & 2);
  rt::Device::Options o;
  o.window_base = kWindowBase;
  o.window_size = kWindowSize;
  o.ring_entries = 2 + in.ConsumeIntegral<std::uint8_t>() % 63;
  o.poll_interval = 32;
  try {
    rt::Device dev(t, o);
    const rt::HwConfig& hw = dev.hw();
    (void)hw.acc_words_per_row();
    for (unsigned step = 0; step < 16 && in.remaining_bytes() > 0; ++step) {
      try {
        switch (in.ConsumeIntegralInRange<unsigned>(0, 5)) {
          case 0: {
            std::vector<isa::Command> cmds(in.ConsumeIntegralInRange<unsigned>(0, 4));
            for (auto& c : cmds) c = command(in);
            const auto r = dev.run(cmds, in.ConsumeIntegralInRange<std::uint64_t>(0, 20000));
            (void)r.describe();
            break;
          }
          case 1: dev.soft_reset(in.ConsumeIntegralInRange<std::uint64_t>(0, 20000)); break;
          case 2: (void)dev.counters().mac_utilization(hw, in.ConsumeBool()); break;
          case 3: {
            const auto b = dev.alloc(in.ConsumeIntegralInRange<std::size_t>(0, 1u << 16),
                                     std::size_t{1} << in.ConsumeIntegralInRange<unsigned>(0, 12));
            dev.upload(b, std::vector<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 64)));
            (void)dev.download(b, in.ConsumeIntegralInRange<std::size_t>(0, 64),
                               in.ConsumeIntegralInRange<std::size_t>(0, 64));
            break;
          }
          case 4: (void)dev.status(); dev.clear_counters(); break;
          case 5: dev.free_all(); break;
        }
      } catch (const std::invalid_argument&) {  // run: bad stream; alloc: alignment
      } catch (const std::out_of_range&) {      // upload/download past a buffer
      } catch (const std::runtime_error&) {     // device misbehaves, window full, reset timeout
      }
    }
  } catch (const std::runtime_error&) {  // no accelerator, implausible HW_* registers
  }
  return 0;
}
