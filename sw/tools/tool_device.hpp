// The device the command-line tools run on (--backend): the functional model
// (rt::ModelTransport) or, in the tools built with NPU_TOOL_RTL
// (build/sim/npu_embed_rtl, npu_generate_rtl, which link the Verilated `base`
// npu_top), the RTL itself through SimTransport at memory latency 100. Both
// are the `base` configuration behind the same rt::Device.
#pragma once

#include "npu/ref/accel_model.hpp"
#include "npu/runtime/device.hpp"
#include "npu/runtime/model_transport.hpp"

#ifdef NPU_TOOL_RTL
#include "top_bench.hpp"
#endif

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace npu::tools {

// configs/base.yaml
inline ref::AccelConfig base_config() {
  ref::AccelConfig c;
  c.rows = 16, c.cols = 16, c.bus_bytes = 32;
  c.aspad_words = 8192, c.wspad_words = 2048, c.acc_rows = 1024, c.vec_maxlen = 1024;
  return c;
}

class ToolDevice {
 public:
  static constexpr std::uint32_t kWindowBase = 0x1000'0000;

  // backend "model" or "rtl"; the window the driver allocates from and the ring size.
  ToolDevice(const std::string& backend, std::uint32_t window_size, unsigned ring_entries) {
    if (backend == "model") {
      model_ = std::make_unique<rt::ModelTransport>(base_config());
      rt::Device::Options o;
      o.window_base = kWindowBase, o.window_size = window_size, o.ring_entries = ring_entries;
      dev_ = std::make_unique<rt::Device>(*model_, o);
    } else if (backend == "rtl") {
#ifdef NPU_TOOL_RTL
      tb::TopBenchOptions o;
      o.mem.read_latency = o.mem.write_latency = 100;
      o.window_size = window_size, o.ring_entries = ring_entries;
      o.cycle_limit = ~std::uint64_t{0};  // every run has its own timeout, sized to its work
      rtl_ = std::make_unique<tb::TopBench>(base_config().bus_bytes, o);
#else
      throw std::runtime_error(
          "this build has no RTL backend: the *_rtl tools have it (cmake --build build --target npu_embed_rtl "
          "npu_generate_rtl; they link the Verilated base npu_top, build/sim/)");
#endif
    } else {
      throw std::runtime_error("--backend must be 'model' or 'rtl', not '" + backend + "'");
    }
  }

  rt::Device& dev() {
#ifdef NPU_TOOL_RTL
    if (rtl_) return rtl_->dev();
#endif
    return *dev_;
  }
  bool rtl() const { return !model_; }
  const char* name() const { return rtl() ? "the Verilated RTL (memory latency 100)" : "the functional model"; }

 private:
  std::unique_ptr<rt::ModelTransport> model_;
  std::unique_ptr<rt::Device> dev_;
#ifdef NPU_TOOL_RTL
  std::unique_ptr<tb::TopBench> rtl_;
#endif
};

}  // namespace npu::tools
