// Command encoding of the accelerator (docs/isa.md), shared by the runtime,
// the compiler and the functional model. Header-only. The enums, Command and
// the per-command field structs come from sw/isa/npu_isa.yaml (isa_gen.hpp);
// this file adds the builders the compiler and tests use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "npu/isa_gen.hpp"

namespace npu::isa {

inline std::string fault_name(Fault f) { return name(f); }

// The queue a command runs in (NOP: its target; FENCE/IRQ run in none).
inline Queue queue_of(Op op) {
  switch (op) {
    case Op::Load: return Queue::Load;
    case Op::Gemm: return Queue::Gemm;
    case Op::Vec: return Queue::Vec;
    default: return Queue::Store;
  }
}
// The queue a command's tokens belong to: a NOP's target, else its opcode's queue.
inline Queue queue_of(const Command& c) {
  return c.op() == Op::Nop ? NopCmd::decode(c).target : queue_of(c.op());
}
// Bit of queue q in a token mask.
constexpr unsigned bit(Queue q) { return 1u << static_cast<unsigned>(q); }

// The dependency tokens of a stream in program order: count[from][to] is what was pushed
// and not yet popped after the last command. A pop with nothing pushed before it calls
// on_empty_pop(command index, from queue) and is not counted. Bits from or to a command's
// own queue and any on FENCE or IRQ (the device's BAD_FIELD) do not count.
using TokenCounts = std::array<std::array<unsigned, 4>, 4>;
template <class OnEmptyPop>
TokenCounts count_tokens(const std::vector<Command>& cmds, OnEmptyPop on_empty_pop) {
  TokenCounts count{};
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    const Command& c = cmds[i];
    if (c.op() == Op::Fence || c.op() == Op::Irq) continue;
    const unsigned q = static_cast<unsigned>(queue_of(c));
    for (unsigned p = 0; p < 4; ++p) {
      if (p == q) continue;
      if (c.pop() >> p & 1u) {
        if (count[p][q] == 0)
          on_empty_pop(i, p);
        else
          --count[p][q];
      }
      if (c.push() >> p & 1u) ++count[q][p];
    }
  }
  return count;
}

// Dependency tokens: pop = queues whose token the command waits for and
// consumes before it runs, push = queues it sends one to when it is done.
struct Deps {
  unsigned pop = 0, push = 0;
  Deps& pop_from(Queue q) { pop |= bit(q); return *this; }
  Deps& push_to(Queue q) { push |= bit(q); return *this; }
};
inline Deps deps(const Command& c) { return {c.pop(), c.push()}; }
inline void set_deps(Command& c, Deps d) {
  c.w[0] = (c.w[0] & ~0xFF00u) | (d.pop & 0xFu) << 8 | (d.push & 0xFu) << 12;
}

inline std::uint32_t word0(Op op, unsigned func, Deps d) {
  return static_cast<std::uint32_t>(op) | (d.pop & 0xFu) << 8 | (d.push & 0xFu) << 12 | (func & 0xFF) << 16;
}
inline std::uint32_t local(std::uint32_t addr, Space s) {
  return (addr & 0xFFFFFF) | static_cast<std::uint32_t>(s) << 24;
}
inline std::uint32_t pack16(unsigned lo, unsigned hi) { return (lo & 0xFFFF) | (hi & 0xFFFF) << 16; }

// 2D transfer: `rows` rows of `row_words` bus words.
struct Transfer {
  std::uint32_t dram_addr = 0, dram_stride = 0;
  unsigned rows = 1, row_words = 1;
  Space space = Space::Aspad;
  std::uint32_t local_addr = 0, local_stride = 0;
};

inline Command make_transfer(Op op, const Transfer& t, Deps d) {
  Command c;
  c.w[0] = word0(op, 0, d);
  c.w[1] = t.dram_addr;
  c.w[2] = t.dram_stride;
  c.w[3] = pack16(t.rows, t.row_words);
  c.w[4] = local(t.local_addr, t.space);
  c.w[5] = t.local_stride & 0xFFFFFF;
  return c;
}
inline Command load(const Transfer& t, Deps d = {}) { return make_transfer(Op::Load, t, d); }
inline Command store(const Transfer& t, Deps d = {}) { return make_transfer(Op::Store, t, d); }

struct GemmArgs {
  bool bf16 = false, accumulate = false, w_transposed = false, a_unsigned = false;
  std::uint32_t a_addr = 0, w_addr = 0, acc_addr = 0;
  unsigned m = 1, k_tiles = 1, n_tiles = 1;
  std::uint32_t a_kstride = 0, w_kstride = 0, w_nstride = 0, acc_nstride = 0;
};
inline Command gemm(const GemmArgs& g, Deps d = {}) {
  GemmCmd c;
  c.pop = d.pop;
  c.push = d.push;
  c.bf16 = g.bf16;
  c.accumulate = g.accumulate;
  c.w_transposed = g.w_transposed;
  c.a_unsigned = g.a_unsigned;
  c.a_addr = g.a_addr & 0xFFFFFF;
  c.w_addr = g.w_addr & 0xFFFFFF;
  c.acc_addr = g.acc_addr & 0xFFFFFF;
  c.m = g.m & 0xFFFF;
  c.k_tiles = g.k_tiles & 0xFFFF;
  c.n_tiles = g.n_tiles & 0xFFFF;
  c.a_kstride = g.a_kstride & 0xFFFFFF;
  c.w_kstride = g.w_kstride & 0xFFFFFF;
  c.w_nstride = g.w_nstride & 0xFFFFFF;
  c.acc_nstride = g.acc_nstride & 0xFFFFFF;
  return c.encode();
}

// Blocked stream addressing: element e of row r at word
// addr + r*row_stride + (e/group)*group_stride, lane e%group.
struct Stream {
  std::uint32_t addr = 0;
  Space space = Space::Aspad;
  unsigned row_stride = 0, group_stride = 0, group = 1;
};
struct VecArgs {
  VecFunc func = VecFunc::GeluBf16;
  Stream src, dst, aux;
  bool dst_pairs = false;  // INT8 dst: rows 2i, 2i+1 share words (even / odd bytes)
  unsigned rows = 1, n = 1;
  std::array<std::uint32_t, 4> cfg{};
};
inline Command vec(const VecArgs& v, Deps d = {}) {
  VecCmd c;
  c.pop = d.pop;
  c.push = d.push;
  c.func = v.func;
  c.src_addr = v.src.addr & 0xFFFFFF;
  c.src_space = v.src.space;
  c.src_row_stride = v.src.row_stride & 0xFFFF;
  c.src_group_stride = v.src.group_stride & 0xFFFF;
  c.dst_addr = v.dst.addr & 0xFFFFFF;
  c.dst_space = v.dst.space;
  c.dst_pairs = v.dst_pairs;
  c.dst_row_stride = v.dst.row_stride & 0xFFFF;
  c.dst_group_stride = v.dst.group_stride & 0xFFFF;
  c.aux_addr = v.aux.addr & 0xFFFFFF;
  c.aux_space = v.aux.space;
  c.aux_row_stride = v.aux.row_stride & 0xFFFF;
  c.aux_group_stride = v.aux.group_stride & 0xFFFF;
  c.rows = v.rows & 0xFFFF;
  c.n = v.n & 0xFFFF;
  c.src_group = v.src.group & 0xFF;
  c.dst_group = v.dst.group & 0xFF;
  c.aux_group = v.aux.group & 0xFF;
  c.cfg0 = v.cfg[0];
  c.cfg1 = v.cfg[1];
  c.cfg2 = v.cfg[2];
  c.cfg3 = v.cfg[3];
  return c.encode();
}

inline Command nop(Queue q, Deps d) {
  Command c;
  c.w[0] = word0(Op::Nop, 0, d);
  c.w[1] = static_cast<std::uint32_t>(q);
  return c;
}
inline Command fence() { Command c; c.w[0] = word0(Op::Fence, 0, {}); return c; }
inline Command irq() { Command c; c.w[0] = word0(Op::Irq, 0, {}); return c; }

// What one command asks of its engine: GEMM tile rows (m x k_tiles x n_tiles: the array
// takes one a cycle; MACs = tile rows x Rows x Cols, twice that in INT8), bus words a
// LOAD/STORE moves, VEC element-passes (rows x n x passes of the func).
struct Work {
  std::uint64_t gemm_rows = 0, dma_words = 0, vec_passes = 0;
  bool int8 = false;  // an INT8 GEMM
};
inline Work work_of(const Command& c) {
  Work w;
  switch (c.op()) {
    case Op::Gemm: {
      const auto g = GemmCmd::decode(c);
      w.gemm_rows = std::uint64_t{g.m} * g.k_tiles * g.n_tiles;
      w.int8 = !g.bf16;
      break;
    }
    case Op::Load: {
      const auto l = LoadCmd::decode(c);
      w.dma_words = std::uint64_t{l.rows} * l.row_words;
      break;
    }
    case Op::Store: {
      const auto s = StoreCmd::decode(c);
      w.dma_words = std::uint64_t{s.rows} * s.row_words;
      break;
    }
    case Op::Vec: {
      const auto v = VecCmd::decode(c);
      w.vec_passes = std::uint64_t{v.rows} * v.n * vec_func_info(static_cast<unsigned>(v.func)).passes;
      break;
    }
    default:
      break;
  }
  return w;
}

}  // namespace npu::isa
