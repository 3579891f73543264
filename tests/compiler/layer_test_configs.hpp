// The accelerator configurations the layer-compiler tests run on the
// functional model, and the text of a model fault.
#pragma once

#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"

#include <optional>
#include <string>

namespace npu::test {

inline ref::AccelConfig small_config() { return ref::AccelConfig{}; }  // configs/small.yaml
inline ref::AccelConfig base_config() {                                // configs/base.yaml
  ref::AccelConfig c;
  c.rows = 16, c.cols = 16, c.bus_bytes = 32;
  c.aspad_words = 8192, c.wspad_words = 2048, c.acc_rows = 1024, c.vec_maxlen = 1024;
  return c;
}

// Command addresses of AccelModel::run in these tests: 0x1000 + 64 i.
inline std::string fault_text(const std::optional<ref::ModelFault>& f) {
  return f ? isa::fault_name(f->code) + " at command " + std::to_string((f->cmd_addr - 0x1000) / 64)
           : std::string("none");
}

}  // namespace npu::test
