// Command encoding of the accelerator (docs/isa.md), shared by the runtime,
// the compiler and the functional model. Header-only.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace npu::isa {

constexpr unsigned kCmdBytes = 64;
constexpr unsigned kCmdWords = 16;

enum class Op : std::uint8_t {
  Load = 0x01, Store = 0x02, Gemm = 0x03, Vec = 0x04, Nop = 0x05, Fence = 0x06, Irq = 0x07
};
enum class Space : std::uint8_t { Aspad = 0, Wspad = 1, Acc = 2 };
enum class Queue : std::uint8_t { Load = 0, Compute = 1, Store = 2 };

enum class VecFunc : std::uint8_t {
  Requant = 0x01, ReqParams = 0x02, GeluI8 = 0x03, SiluI8 = 0x04, SiluTable = 0x05,
  AddI8 = 0x06, MulI8 = 0x07, SoftmaxI8 = 0x08,
  SoftmaxBf16 = 0x10, LayerNormBf16 = 0x11, RmsNormBf16 = 0x12, GeluBf16 = 0x13,
  SiluBf16 = 0x14, AddBf16 = 0x15, MulBf16 = 0x16
};

enum class Fault : std::uint8_t {
  None = 0, IllegalOpcode = 1, AddrWindow = 2, SpadRange = 3, AccRange = 4, Align = 5,
  BadField = 6, AxiSlverr = 7, AxiDecerr = 8
};

inline std::string fault_name(Fault f) {
  switch (f) {
    case Fault::None: return "NONE";
    case Fault::IllegalOpcode: return "ILLEGAL_OPCODE";
    case Fault::AddrWindow: return "ADDR_WINDOW";
    case Fault::SpadRange: return "SPAD_RANGE";
    case Fault::AccRange: return "ACC_RANGE";
    case Fault::Align: return "ALIGN";
    case Fault::BadField: return "BAD_FIELD";
    case Fault::AxiSlverr: return "AXI_SLVERR";
    case Fault::AxiDecerr: return "AXI_DECERR";
  }
  return "UNKNOWN(" + std::to_string(static_cast<unsigned>(f)) + ")";
}

// Dependency tokens a command pops before and pushes after it runs.
struct Deps {
  bool pop_prev = false, pop_next = false, push_prev = false, push_next = false;
};

// One 64-byte command.
struct Command {
  std::array<std::uint32_t, kCmdWords> w{};

  Op op() const { return static_cast<Op>(w[0] & 0xFF); }
  Deps deps() const {
    return {bool(w[0] >> 8 & 1), bool(w[0] >> 9 & 1), bool(w[0] >> 10 & 1), bool(w[0] >> 11 & 1)};
  }
  unsigned func() const { return w[0] >> 16 & 0xFF; }
  void set_deps(Deps d) {
    w[0] = (w[0] & ~0xF00u) | unsigned(d.pop_prev) << 8 | unsigned(d.pop_next) << 9 |
           unsigned(d.push_prev) << 10 | unsigned(d.push_next) << 11;
  }
};

inline std::uint32_t word0(Op op, unsigned func, Deps d) {
  return static_cast<std::uint32_t>(op) | unsigned(d.pop_prev) << 8 | unsigned(d.pop_next) << 9 |
         unsigned(d.push_prev) << 10 | unsigned(d.push_next) << 11 | (func & 0xFF) << 16;
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
  bool bf16 = false, accumulate = false;
  std::uint32_t a_addr = 0, w_addr = 0, acc_addr = 0;
  unsigned m = 1, k_tiles = 1;
  std::uint32_t a_kstride = 0, w_kstride = 0;
};
inline Command gemm(const GemmArgs& g, Deps d = {}) {
  Command c;
  c.w[0] = word0(Op::Gemm, unsigned(g.bf16) | unsigned(g.accumulate) << 1, d);
  c.w[1] = g.a_addr & 0xFFFFFF;
  c.w[2] = g.w_addr & 0xFFFFFF;
  c.w[3] = g.acc_addr & 0xFFFFFF;
  c.w[4] = pack16(g.m, g.k_tiles);
  c.w[5] = g.a_kstride & 0xFFFFFF;
  c.w[6] = g.w_kstride & 0xFFFFFF;
  return c;
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
  std::uint32_t aux2_addr = 0;
  unsigned rows = 1, n = 1;
  std::array<std::uint32_t, 4> cfg{};
};
inline Command vec(const VecArgs& v, Deps d = {}) {
  Command c;
  c.w[0] = word0(Op::Vec, static_cast<unsigned>(v.func), d);
  c.w[1] = local(v.src.addr, v.src.space);
  c.w[2] = pack16(v.src.row_stride, v.src.group_stride);
  c.w[3] = v.dst.addr & 0xFFFFFF;
  c.w[4] = pack16(v.dst.row_stride, v.dst.group_stride);
  c.w[5] = v.aux.addr & 0xFFFFFF;
  c.w[6] = v.aux2_addr & 0xFFFFFF;
  c.w[7] = pack16(v.rows, v.n);
  c.w[8] = (v.src.group & 0xFF) | (v.dst.group & 0xFF) << 8 | (v.aux.group & 0xFF) << 16;
  c.w[9] = pack16(v.aux.row_stride, v.aux.group_stride);
  for (unsigned i = 0; i < 4; ++i) c.w[10 + i] = v.cfg[i];
  return c;
}

inline Command nop(Queue q, Deps d) {
  Command c;
  c.w[0] = word0(Op::Nop, 0, d);
  c.w[1] = static_cast<std::uint32_t>(q);
  return c;
}
inline Command fence() { Command c; c.w[0] = word0(Op::Fence, 0, {}); return c; }
inline Command irq() { Command c; c.w[0] = word0(Op::Irq, 0, {}); return c; }

}  // namespace npu::isa
