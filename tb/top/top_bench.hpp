// TopBench: one Verilated npu_top driven through the runtime (Device over
// SimTransport), with helpers that compare device results bit-exactly and
// report the first mismatch with tensor, index, both values and the cycle.
#pragma once

#include "npu/compiler/gemm.hpp"
#include "npu/compiler/layer.hpp"  // target_of
#include "npu/ref/accel_model.hpp"
#include "npu/ref/matrix.hpp"
#include "npu/runtime/device.hpp"
#include "sim_transport.hpp"
#include "test_env.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace npu::tb {

struct TopBenchOptions {
  axi::AxiMemoryConfig mem;
  std::string waves = env_waves();
  int trace_depth = 0;          // 0: every signal; n: n levels below TOP
  std::uint64_t cycle_limit = SimControl<Vnpu_top>::kDefaultCycleLimit;
  unsigned ring_entries = 64;
  std::uint64_t x_seed = 0;     // != 0: random initial state (x-initial unique models)
  std::uint32_t window_size = 0x0100'0000;  // the device memory the driver allocates from
  bool scrub_on_reset = false;              // rt::Device::Options::scrub_on_reset (CTRL.SCRUB)
};

class TopBench {
 public:
  static constexpr std::uint32_t kWindowBase = 0x1000'0000;
  static constexpr std::uint32_t kWindowSize = 0x0100'0000;  // the default window_size

  explicit TopBench(unsigned bus_bytes, TopBenchOptions o = {})
      : transport_(bus_bytes, o.mem, o.waves, o.trace_depth, o.cycle_limit, o.x_seed) {
    dev_opt_.window_base = kWindowBase;
    dev_opt_.window_size = o.window_size;
    dev_opt_.ring_entries = o.ring_entries;
    dev_opt_.scrub_on_reset = o.scrub_on_reset;
    device_ = std::make_unique<rt::Device>(transport_, dev_opt_);
  }

  // Hard reset of the whole system (SimTransport::hard_reset) and a new driver:
  // the registers are back at their reset values and earlier buffers are gone.
  void hard_reset() {
    device_.reset();
    transport_.hard_reset();
    device_ = std::make_unique<rt::Device>(transport_, dev_opt_);
  }

  rt::Device& dev() { return *device_; }
  const rt::Device::Options& device_options() const { return dev_opt_; }
  SimTransport& transport() { return transport_; }
  std::uint64_t cycle() const { return transport_.cycles(); }

  // The device's sizes as the functional model and the compiler see them.
  ref::AccelConfig accel_config() const {
    const auto& h = device_->hw();
    ref::AccelConfig c;
    c.rows = h.rows, c.cols = h.cols, c.bus_bytes = h.bus_bytes;
    c.aspad_words = h.aspad_words, c.wspad_words = h.wspad_words, c.acc_rows = h.acc_rows;
    c.vec_maxlen = h.vec_maxlen;
    return c;
  }
  compiler::Target target() const { return compiler::target_of(accel_config()); }

 private:
  SimTransport transport_;
  rt::Device::Options dev_opt_;
  std::unique_ptr<rt::Device> device_;
};

// A transfer of a whole device buffer, as one row of bus words, at `local`.
inline isa::Transfer whole_buffer(const rt::Buffer& b, isa::Space space, std::uint32_t local,
                                  unsigned bus_bytes) {
  isa::Transfer x;
  x.dram_addr = b.addr;
  x.row_words = static_cast<unsigned>(b.bytes / bus_bytes);
  x.space = space;
  x.local_addr = local;
  return x;
}
inline isa::Command load_buffer(const rt::Buffer& b, isa::Space space, std::uint32_t local,
                                unsigned bus_bytes) {
  return isa::load(whole_buffer(b, space, local, bus_bytes));
}
inline isa::Command store_buffer(const rt::Buffer& b, isa::Space space, std::uint32_t local,
                                 unsigned bus_bytes) {
  return isa::store(whole_buffer(b, space, local, bus_bytes));
}

// First differing element of two equally shaped matrices of raw bits, or
// nullopt. `what` names the tensor.
template <class T>
std::optional<std::string> first_mismatch(const char* what, const ref::Matrix<T>& expect,
                                          const ref::Matrix<T>& got, std::uint64_t cycle) {
  for (std::size_t r = 0; r < expect.rows(); ++r)
    for (std::size_t c = 0; c < expect.cols(); ++c)
      if (expect(r, c) != got(r, c))
        return fmt::format("{}[{}][{}]: expected 0x{:08x}, got 0x{:08x} (run ended at cycle {})",
                           what, r, c, static_cast<std::uint64_t>(expect(r, c)),
                           static_cast<std::uint64_t>(got(r, c)), cycle);
  return std::nullopt;
}

}  // namespace npu::tb
