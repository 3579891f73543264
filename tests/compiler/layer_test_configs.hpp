// The accelerator configurations the layer-compiler tests run on the
// functional model (accel_configs.hpp), a model loaded with a compiled layer,
// and the text of a model fault.
#pragma once

#include "accel_configs.hpp"
#include "npu/compiler/layer.hpp"
#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/vec_model.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace npu::test {

// The DRAM address of command i in AccelModel::run in these tests.
inline std::uint32_t cmd_addr(std::size_t i) { return static_cast<std::uint32_t>(0x1000 + 64 * i); }

// A functional model with a compiled layer loaded: its DRAM window, the constant image,
// `input` at the input region and 0xA5 over the output region (stale data must go).
inline std::unique_ptr<ref::AccelModel> loaded_model(const compiler::CompiledLayer& cl, const ref::AccelConfig& cfg,
                                                     const std::vector<std::uint8_t>& input) {
  auto m = std::make_unique<ref::AccelModel>(cfg);
  ref::install(*m);
  m->set_window(cl.dram_base, cl.dram_bytes);
  m->write_dram(cl.weights.addr, cl.weights_image);
  m->write_dram(cl.input.addr, input);
  m->write_dram(cl.output.addr, std::vector<std::uint8_t>(cl.output.bytes, 0xA5));
  return m;
}

// Command addresses of AccelModel::run in these tests: cmd_addr.
inline std::string fault_text(const std::optional<ref::ModelFault>& f) {
  return f ? isa::fault_name(f->code) + " at command " + std::to_string((f->cmd_addr - 0x1000) / 64)
           : std::string("none");
}

}  // namespace npu::test
