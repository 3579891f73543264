// Dependency tokens from memory footprints: the compiler emits commands in
// program order without tokens, and assign_tokens makes each command wait
// (pop) for exactly the latest earlier command of every other queue whose
// memory accesses conflict with its own (read after write, write after read,
// write after write), with the push on that command. Commands of one queue
// run in order, so nothing else is needed (docs/isa.md, "Queues and
// dependency tokens"); queues otherwise run ahead of each other, which is
// what double-buffered placements turn into overlap.
#pragma once

#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"

#include <cstdint>
#include <vector>

namespace npu::compiler {

enum class Resource : std::uint8_t { Aspad, Wspad, Acc, Dram };

// A run of words [lo, hi) a command reads or writes: local words (ACC: rows)
// or DRAM bus words (byte address / BusBytes).
struct Access {
  Resource res = Resource::Aspad;
  std::uint64_t lo = 0, hi = 0;
  bool write = false;
};

// Every word `c` reads or writes, as runs, exactly (strided layouts give one
// run per row or group). FENCE, IRQ and NOP access nothing.
std::vector<Access> footprint(const isa::Command& c, const ref::AccelConfig& cfg);

struct TokenStats {
  std::size_t tokens = 0;      // pop/push pairs set
  std::size_t fences = 0;      // FENCE/IRQ barriers seen
};

// Replaces every LOAD/STORE/GEMM/VEC command's pop and push masks with the
// minimal set described above. Every push is consumed by a later pop of the
// same stream, so the counters end where they started.
TokenStats assign_tokens(std::vector<isa::Command>& cmds, const ref::AccelConfig& cfg);

}  // namespace npu::compiler
