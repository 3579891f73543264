// Layer lowering: one BF16 transformer layer compiled into one command stream
// that runs DRAM to DRAM (docs/numerics.md, "Transformer layers, BF16").
//
// The lowering is a sequence of op emitters (matmul with a fused VEC
// epilogue, row-wise VEC, one attention head) over tensors placed in DRAM,
// ASPAD, WSPAD and ACC by simple bump allocators, so that a layer graph with
// fusion passes can be put on top later. Weights are packed with the GEMM
// compiler's layouts (gemm.hpp) once, into one DRAM image.
//
// Head split and merge need no data movement: Wq, Wk, Wv are packed per head
// (columns h*hd ..) so every head's result starts at ACC lane 0, and Wo per
// head (rows h*hd ..) so the output projection accumulates head after head in
// K order, each head's A tile padded on its own.
//
// Not yet: overlap between queues (every command waits for the one before it
// in another queue), DRAM spill of intermediates that do not fit ASPAD, the
// decoder (RoPE, KV cache, causal mask) and SwiGLU. K padding of an on-chip A
// operand is +0 (VEC writes +0 lanes), where pack_a_bf16 uses -0: it differs
// from the reference only if a partial sum is -0 (an FTZ underflow).
#pragma once

#include "npu/compiler/gemm.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/matrix.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace npu::compiler {

// The GEMM compiler's view of an accelerator configuration.
Target target_of(const ref::AccelConfig& cfg);
// The BF16 layer shape of a model description (its dtype is not looked at).
ref::LayerShape layer_shape(const ModelDesc& m);

// An on-chip tensor of rows x cols elements in blocked stream addressing
// (docs/isa.md, VEC): element (r, c) is in word addr + r*row_stride +
// (c/group)*group_stride, lane c % group. The GEMM A layout is group = Rows,
// row_stride 1, group_stride = rows; a GEMM result in ACC is group = Cols.
struct Placement {
  isa::Space space = isa::Space::Aspad;
  std::uint32_t addr = 0;
  unsigned row_stride = 0, group_stride = 0, group = 1;
  unsigned rows = 0, cols = 0;

  std::uint32_t word(unsigned r, unsigned c) const { return addr + r * row_stride + (c / group) * group_stride; }
  // The block of rows r0.. and columns c0.. (c0 a multiple of group: streams start at lane 0).
  Placement sub(unsigned r0, unsigned c0, unsigned nrows, unsigned ncols) const;
  isa::Stream stream() const;
};

struct DramRegion {
  std::uint32_t addr = 0, bytes = 0;
};

struct CompiledLayer {
  std::vector<isa::Command> cmds;
  // Every byte the stream reads or writes: [dram_base, dram_base + dram_bytes).
  std::uint32_t dram_base = 0, dram_bytes = 0;
  DramRegion weights, input, output;
  std::vector<std::uint8_t> weights_image;  // written once to weights.addr (weights, parameters, zeros)
  unsigned seq_len = 0, d_model = 0;
  unsigned bus_bytes = 0, out_row_words = 0;
  Target target;
  // Intermediates left in ASPAD after a run ("h1", "r1", "f", "o.h0", ...),
  // to localise a mismatch against a ref::LayerTrace.
  std::map<std::string, Placement> probes;

  // x (T x d) in the GEMM A layout (pack_a_bf16), for input.addr.
  std::vector<std::uint8_t> pack_input(const ref::Matrix<std::uint16_t>& x) const;
  // The output region's bytes as T x d: row r at r*out_row_words bus words, element e at halfword e.
  ref::Matrix<std::uint16_t> unpack_output(const std::vector<std::uint8_t>& bytes) const;
};

// A BF16 tensor read back from local memory (ASPAD or WSPAD) by its placement.
ref::Matrix<std::uint16_t> read_bf16(const ref::LocalMemories& mem, const Placement& p, const ref::AccelConfig& cfg);

// BERT post-norm encoder layer (LayerNorm or RMSNorm, GELU) over seq_len
// tokens. Throws std::invalid_argument when the shape is not an encoder or
// does not fit the configuration (softmax and norm rows longer than
// vec_maxlen, on-chip tensors beyond ASPAD/WSPAD).
CompiledLayer compile_encoder_layer_bf16(const ref::LayerShape& shape, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base = 0x10000);
CompiledLayer compile_encoder_layer_bf16(const ModelDesc& model, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base = 0x10000);

}  // namespace npu::compiler
