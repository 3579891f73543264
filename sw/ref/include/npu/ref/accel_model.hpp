// Functional model of the whole accelerator: executes a command stream
// (docs/isa.md) on DRAM, scratchpad and accumulator images, in program order,
// with the same fault checks as the command processor. Tests compare the
// RTL's DRAM with this model's after a run. Tokens and queues do not change
// results for race-free streams, so run() ignores them; run_concurrent()
// follows them, to find streams that are not race-free.
#pragma once

#include "npu/isa.hpp"
#include "npu/ref/paged_memory.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace npu::ref {

struct AccelConfig {
  unsigned rows = 4, cols = 5, bus_bytes = 16;
  unsigned aspad_words = 1024, wspad_words = 256, acc_rows = 256, vec_maxlen = 64;
  unsigned acc_words_per_row() const;
};

struct ModelFault {
  isa::Fault code = isa::Fault::None;
  std::uint32_t cmd_addr = 0;
};

// Local memories, as the VEC executor sees them.
struct LocalMemories {
  std::vector<std::uint8_t> aspad;            // aspad_words * bus_bytes
  std::vector<std::uint8_t> wspad;            // wspad_words * bus_bytes
  std::vector<std::uint32_t> acc;             // acc_rows * cols
};

class AccelModel {
 public:
  explicit AccelModel(const AccelConfig& cfg);

  // DRAM: a byte map over [base, base+size); everything else is an error
  // range only if registered with add_error_range.
  void set_window(std::uint32_t base, std::uint32_t size) { win_base_ = base; win_size_ = size; }
  void write_dram(std::uint32_t addr, const std::vector<std::uint8_t>& bytes);
  std::vector<std::uint8_t> read_dram(std::uint32_t addr, std::size_t n) const;
  void add_error_range(std::uint32_t lo, std::uint32_t hi, isa::Fault f);

  // Runs `cmds`; command i sits at DRAM address cmd_addr(i) (the ring
  // wraps). Stops at the first fault and returns it.
  std::optional<ModelFault> run(const std::vector<isa::Command>& cmds,
                                const std::function<std::uint32_t(std::size_t)>& cmd_addr);

  // Runs `cmds` as the command processor may: each queue in order, a command
  // only once the tokens it pops have been pushed, the next queue chosen at
  // random from `seed` (in bursts, so one queue can run far ahead). A stream
  // whose tokens miss a dependency gives a different result for some seed;
  // tokens that can never be satisfied throw std::runtime_error (deadlock)
  // naming the waiting commands. A push to a counter at 255 is TOKEN_OVERFLOW.
  std::optional<ModelFault> run_concurrent(const std::vector<isa::Command>& cmds,
                                           const std::function<std::uint32_t(std::size_t)>& cmd_addr,
                                           std::uint64_t seed);

  // Fault check of one command without executing it.
  isa::Fault check(const isa::Command& c) const;

  LocalMemories& mem() { return mem_; }
  const AccelConfig& config() const { return cfg_; }

  // VEC executor, installed by the vector-engine model (vec_model.hpp);
  // without one, VEC commands are ILLEGAL_OPCODE.
  using VecExec = std::function<void(const isa::Command&, LocalMemories&, const AccelConfig&)>;
  using VecCheck = std::function<isa::Fault(const isa::Command&, const AccelConfig&)>;
  void set_vec(VecCheck check, VecExec exec) { vec_check_ = std::move(check); vec_exec_ = std::move(exec); }

 private:
  std::optional<isa::Fault> dma_error(std::uint64_t lo, std::uint64_t hi) const;
  std::optional<isa::Fault> exec(const isa::Command& c);
  void gemm(const isa::Command& c);
  std::uint8_t* local_word(isa::Space s, std::uint32_t word, std::vector<std::uint8_t>& tmp);

  AccelConfig cfg_;
  LocalMemories mem_;
  PagedMemory dram_;
  std::uint32_t win_base_ = 0, win_size_ = 0;
  struct ErrRange { std::uint32_t lo, hi; isa::Fault f; };
  std::vector<ErrRange> errors_;
  VecCheck vec_check_;
  VecExec vec_exec_;
};

}  // namespace npu::ref
