// Functional model of VEC commands (docs/isa.md, section VEC): the field
// checker npu_vec_check and the command engine npu_vec_engine, bit-exact,
// parameterised by AccelConfig (bus_bytes, cols, aspad_words, acc_rows,
// vec_maxlen, req_channels). Element numerics are the sw/ref/src/vec_*.cpp
// functions (docs/numerics.md, "Vector engine").
//
// Usage with the whole-accelerator model:
//   AccelModel m(cfg);
//   auto vec = install(m);        // or install(m, my_shared_vec_model)
// The hooks installed in `m` hold a shared_ptr to the VecModel, so it lives
// at least as long as `m` keeps those hooks; `vec` may be kept to inspect the
// parameter state (requant channels, SiLU table).
#pragma once

#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace npu::ref {

// Element type of a VEC stream.
enum class VecType { I8, Bf16, I32 };

// What a func reads and writes (npu_vec_decode).
struct VecFuncInfo {
  bool legal = false;
  VecType src = VecType::I8, dst = VecType::I8;  // aux/aux2 have the src type
  bool has_dst = true;    // false: REQ_PARAMS, SILU_TABLE (parameter loads)
  bool has_aux = false;   // operand b (ADD/MUL) or gamma (LayerNorm/RMSNorm)
  bool aux_rows = false;  // aux uses aux_row_stride (operand b); gamma does not
  bool has_aux2 = false;  // beta (LayerNorm)
};
VecFuncInfo vec_func_info(unsigned func);
// Every func of docs/isa.md, ascending.
const std::vector<isa::VecFunc>& vec_funcs();

unsigned vec_elem_bytes(VecType t);
// Elements per word of a stream: BusBytes / element bytes, or Cols for an
// INT32 stream in ACC.
unsigned vec_elems_per_word(VecType t, bool in_acc, const AccelConfig& cfg);

// The fields of a VEC command (docs/isa.md, words 1..13), decoded and masked
// to their widths.
struct VecFields {
  unsigned func = 0;
  unsigned src_space = 0;  // 0 ASPAD, 2 ACC (others are BAD_FIELD)
  std::uint32_t src = 0, dst = 0, aux = 0, aux2 = 0;
  unsigned src_rs = 0, src_gs = 0, dst_rs = 0, dst_gs = 0, aux_rs = 0, aux_gs = 0;
  unsigned rows = 0, n = 0;
  unsigned src_group = 0, dst_group = 0, aux_group = 0;
  std::array<std::uint32_t, 4> cfg{};

  static VecFields decode(const isa::Command& c);
};

// Word of element e of row r of a blocked stream:
// addr + r*row_stride + (e/group)*group_stride (no wrap, 64 bits).
inline std::uint64_t vec_word_of(std::uint64_t addr, std::uint64_t row_stride, std::uint64_t group_stride,
                                 std::uint64_t group, std::uint64_t r, std::uint64_t e) {
  return addr + r * row_stride + (e / group) * group_stride;
}

// npu_vec_check: ILLEGAL_OPCODE, then BAD_FIELD, then the last word of src,
// dst, aux, aux2 in that order (ACC_RANGE for an ACC source, SPAD_RANGE
// otherwise). Only func (word 0 bits 23:16) and words 1..9 matter; the
// opcode and token bits are the command processor's.
isa::Fault vec_check(const isa::Command& c, const AccelConfig& cfg);

class VecModel {
 public:
  struct ReqChannel {
    std::int32_t mult = 0;  // bits 30:0 of the first INT32 of the triple
    int shift = 0;          // bits 5:0 of the second, sign-extended
    std::int32_t bias = 0;  // the third
  };
  // ASPAD word address -> the BusBytes bytes written there.
  using WordWrites = std::map<std::uint32_t, std::vector<std::uint8_t>>;

  // Parameter memories start at zero, as after reset.
  VecModel() = default;

  isa::Fault check(const isa::Command& c, const AccelConfig& cfg) const { return vec_check(c, cfg); }

  // Runs a command that passes check() (throws std::invalid_argument
  // otherwise): reads every src/aux/aux2 element from `mem` first, updates the
  // parameter state (REQ_PARAMS, SILU_TABLE; row after row, the last row
  // wins) and returns the dst words it writes. Every dst word is written
  // whole: the group's elements in lanes 0..dst_group-1, the other lanes 0.
  // If two (row, group) pairs map to the same word, the later one (rows in
  // order, groups in order) replaces the word.
  WordWrites compute(const isa::Command& c, const LocalMemories& mem, const AccelConfig& cfg);
  // compute() and store the words into mem.aspad.
  void exec(const isa::Command& c, LocalMemories& mem, const AccelConfig& cfg);

  // Parameter state. The channel table grows to cfg.req_channels on first use.
  const std::vector<ReqChannel>& req_channels() const { return req_; }
  const std::array<std::int8_t, 256>& silu_table() const { return silu_; }
  void reset();

 private:
  std::vector<ReqChannel> req_;
  std::array<std::int8_t, 256> silu_{};
};

// Hooks `vec` into m.set_vec (check + exec); returns `vec`. The hooks own a
// reference to it (see the lifetime note at the top).
std::shared_ptr<VecModel> install(AccelModel& m, std::shared_ptr<VecModel> vec = std::make_shared<VecModel>());

}  // namespace npu::ref
