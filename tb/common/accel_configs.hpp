// The accelerator configurations tests run on the functional model
// (configs/small.yaml and configs/base.yaml, as ref::AccelConfig), shared by
// tests/compiler, tests/runtime and tests/models.
#pragma once

#include "npu/ref/accel_model.hpp"

namespace npu::test {

inline ref::AccelConfig small_config() { return ref::AccelConfig{}; }  // configs/small.yaml
inline ref::AccelConfig base_config() {                                // configs/base.yaml
  ref::AccelConfig c;
  c.rows = 16, c.cols = 16, c.bus_bytes = 32;
  c.aspad_words = 8192, c.wspad_words = 2048, c.acc_rows = 1024, c.vec_maxlen = 1024;
  return c;
}

}  // namespace npu::test
