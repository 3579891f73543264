// Functional model of VEC commands (docs/isa.md, section VEC): the field
// checker npu_vec_check and the vector engine npu_vec_engine, bit-exact,
// parameterised by AccelConfig (bus_bytes, cols, aspad_words, wspad_words,
// acc_rows, vec_maxlen). Element numerics are the sw/ref/src/vec_*.cpp
// functions (docs/numerics.md, "Vector engine").
//
// Usage with the whole-accelerator model:
//   AccelModel m(cfg);
//   auto vec = install(m);        // or install(m, my_shared_vec_model)
// The hooks installed in `m` hold a shared_ptr to the VecModel, so it lives
// at least as long as `m` keeps those hooks; `vec` may be kept to inspect the
// parameter buffer and the LUT.
#pragma once

#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace npu::ref {

unsigned vec_elem_bytes(isa::Elem t);
// Elements per word of a stream of type t: BusBytes / element bytes, or Cols
// for a 32-bit stream in ACC.
unsigned vec_elems_per_word(isa::Elem t, isa::Space space, const AccelConfig& cfg);
// The element type of a stream of func `f` in `space` (Elem::None: not allowed).
isa::Elem vec_src_type(const isa::VecFuncInfo& f, isa::Space space);
isa::Elem vec_aux_type(const isa::VecFuncInfo& f, isa::Space space);

// Word of element e of row r of a blocked stream:
// addr + r*row_stride + (e/group)*group_stride (no wrap, 64 bits).
inline std::uint64_t vec_word_of(std::uint64_t addr, std::uint64_t row_stride, std::uint64_t group_stride,
                                 std::uint64_t group, std::uint64_t r, std::uint64_t e) {
  return addr + r * row_stride + (e / group) * group_stride;
}

// npu_vec_check: ILLEGAL_OPCODE, then BAD_FIELD, then the last word of src,
// dst, aux in that order (ACC_RANGE for an ACC stream, SPAD_RANGE otherwise).
// The opcode and token bits are the command processor's.
isa::Fault vec_check(const isa::Command& c, const AccelConfig& cfg);

class VecModel {
 public:
  // One channel of the parameter buffer (PARAMS): three 32-bit values.
  using Channel = std::array<std::uint32_t, 3>;
  // Word address in the dst space -> (byte index -> value) written there.
  using WordWrites = std::map<std::uint32_t, std::map<unsigned, std::uint8_t>>;

  // Parameter buffer and LUT start at zero, as after reset.
  VecModel() = default;

  isa::Fault check(const isa::Command& c, const AccelConfig& cfg) const { return vec_check(c, cfg); }

  // Runs a command that passes check() (throws std::invalid_argument
  // otherwise): reads every src/aux element from `mem` first, updates the
  // parameter buffer or the LUT (PARAMS, LUT_LOAD; row after row) and returns
  // the dst bytes it writes. Without dst_pairs every dst word is written
  // whole (the group's elements in lanes 0..dst_group-1, the other lanes 0);
  // with dst_pairs only the bytes of the row. If two (row, group) pairs map to
  // the same word, the later one (rows in order, groups in order) wins.
  WordWrites compute(const isa::Command& c, const LocalMemories& mem, const AccelConfig& cfg);
  // compute() and store the bytes into the dst space of mem.
  void exec(const isa::Command& c, LocalMemories& mem, const AccelConfig& cfg);

  const std::vector<Channel>& params() const { return params_; }
  const std::array<std::int8_t, 256>& lut() const { return lut_; }
  void reset();

 private:
  std::vector<Channel> params_;
  std::array<std::int8_t, 256> lut_{};
};

// Hooks `vec` into m.set_vec (check + exec); returns `vec`. The hooks own a
// reference to it (see the lifetime note at the top).
std::shared_ptr<VecModel> install(AccelModel& m, std::shared_ptr<VecModel> vec = std::make_shared<VecModel>());

}  // namespace npu::ref
