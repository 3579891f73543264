// The accelerator configurations the layer-compiler tests run on the
// functional model (accel_configs.hpp), and the text of a model fault.
#pragma once

#include "accel_configs.hpp"
#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"

#include <optional>
#include <string>

namespace npu::test {

// Command addresses of AccelModel::run in these tests: 0x1000 + 64 i.
inline std::string fault_text(const std::optional<ref::ModelFault>& f) {
  return f ? isa::fault_name(f->code) + " at command " + std::to_string((f->cmd_addr - 0x1000) / 64)
           : std::string("none");
}

}  // namespace npu::test
