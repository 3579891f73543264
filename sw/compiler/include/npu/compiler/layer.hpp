// Layer lowering: one BF16 transformer layer compiled into one command stream
// that runs DRAM to DRAM (docs/numerics.md, "Transformer layers, BF16").
//
// The lowering is a sequence of op emitters (matmul with a fused VEC
// epilogue, row-wise VEC, one attention head) over tensors placed in DRAM,
// ASPAD (the BF16 encoder: by lifetime), WSPAD and ACC, so that a layer graph
// with fusion passes can be put on top later. Weights are packed with the GEMM
// compiler's layouts (gemm.hpp) once, into one DRAM image. Tokens come from
// memory footprints (schedule.hpp), so the queues overlap.
//
// Head split and merge need no data movement: Wq, Wk, Wv are packed per head
// (columns h*hd ..) so every head's result starts at ACC lane 0, and Wo per
// head (rows h*hd ..) so the output projection accumulates head after head in
// K order, each head's A tile padded on its own.
//
// The decoder (CompiledDecoder, below) reuses the same emitters, with RoPE
// in the Q/K matmul epilogues, the KV cache in DRAM, the causal mask in the
// softmax, SwiGLU over two accumulators and the residuals fused as ADD_BF16.
//
// Long sequences (the BF16 and INT8 encoders): row blocks with the attention output and
// layer outputs in DRAM (StackOptions::row_block). Not yet: an INT8 stack,
// SwiGLU in the encoder. K padding of an on-chip A
// operand is +0 (VEC writes +0 lanes), where pack_a_bf16 uses -0: it differs
// from the reference only if a partial sum is -0 (an FTZ underflow).
#pragma once

#include "npu/compiler/gemm.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/layer_int8.hpp"
#include "npu/ref/matrix.hpp"

#include <cstdint>
#include <map>
#include <memory>
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
  // INT8 destinations only (VEC dst_pairs): rows 2i and 2i+1 share the words of row i, element
  // (r, c) in byte 2*(c % group) + (r & 1): the INT8 W tile layout (K = rows).
  bool pairs = false;

  std::uint32_t word(unsigned r, unsigned c) const {
    return addr + (pairs ? r / 2 : r) * row_stride + (c / group) * group_stride;
  }
  // The block of rows r0.. and columns c0.. (c0 a multiple of group: streams start at lane 0).
  Placement sub(unsigned r0, unsigned c0, unsigned nrows, unsigned ncols) const;
  isa::Stream stream() const;
};

struct DramRegion {
  std::uint32_t addr = 0, bytes = 0;
};

struct CompiledLayer {
  std::vector<isa::Command> cmds;
  // The op each command was emitted for (an index into op_names: "K, V, Q projections",
  // "attention: softmax", "FFN up", ...; "other" for what no op claims), for per-op figures.
  std::vector<std::string> op_names;
  std::vector<std::uint16_t> op_of;
  // Every byte the stream reads or writes: [dram_base, dram_base + dram_bytes).
  std::uint32_t dram_base = 0, dram_bytes = 0;
  DramRegion weights, input, output;
  std::vector<std::uint8_t> weights_image;  // written once to weights.addr (weights, parameters, zeros)
  unsigned seq_len = 0, d_model = 0;
  bool output_a_layout = false;  // the output region holds Y in the GEMM A layout (the decoder's)
  unsigned bus_bytes = 0, out_row_words = 0;
  Target target;
  unsigned layers = 1;
  // Rows per block of the row-blocked encoder (0: resident, every tensor on chip over all rows).
  unsigned row_block = 0;
  // Decoder steps: positions per chunk of K^T and V streamed from the DRAM cache (0: the whole
  // cache of a KV head in WSPAD).
  unsigned kv_chunk = 0;
  // With StackOptions::store_layer_outputs, or always when row-blocked: the output of every layer
  // but the last, in the GEMM A layout (unpack_a), after the output region.
  std::vector<DramRegion> layer_outputs;
  // Intermediates left in ASPAD after a run ("h1", "r1", "f", "o.h0", ...),
  // to localise a mismatch against a ref::LayerTrace.
  std::map<std::string, Placement> probes;

  // x (T x d) in the GEMM A layout (pack_a_bf16), for input.addr.
  std::vector<std::uint8_t> pack_input(const ref::Matrix<std::uint16_t>& x) const;
  // The output region's bytes as T x d: row r at r*out_row_words bus words, element e at halfword e
  // (or the A layout when output_a_layout).
  ref::Matrix<std::uint16_t> unpack_output(const std::vector<std::uint8_t>& bytes) const;
  // A layer_outputs region's bytes as T x d (the inverse of pack_input).
  ref::Matrix<std::uint16_t> unpack_a(const std::vector<std::uint8_t>& bytes) const;
  // The INT8 layer's forms: x (T x d int8) in the INT8 GEMM A layout (pack_a_i8); the output
  // region as T x d int8, row r at r*out_row_words bus words, element e at byte e.
  std::vector<std::uint8_t> pack_input_i8(const ref::Matrix<std::int8_t>& x) const;
  ref::Matrix<std::int8_t> unpack_output_i8(const std::vector<std::uint8_t>& bytes) const;
  // An inner INT8 layer's output (a layer_outputs region: the INT8 A layout) as T x d int8.
  ref::Matrix<std::int8_t> unpack_a_i8(const std::vector<std::uint8_t>& bytes) const;
};

// A BF16 tensor read back from local memory (ASPAD or WSPAD) by its placement.
ref::Matrix<std::uint16_t> read_bf16(const ref::LocalMemories& mem, const Placement& p, const ref::AccelConfig& cfg);

// An INT8 (or uint8) tensor read back from ASPAD or WSPAD by its placement (pairs included),
// widened to int32 (uint8 when `is_unsigned`).
ref::Matrix<std::int32_t> read_i8(const ref::LocalMemories& mem, const Placement& p, const ref::AccelConfig& cfg,
                                  bool is_unsigned = false);

// BERT post-norm encoder layer (LayerNorm or RMSNorm, GELU) over seq_len
// tokens. Throws std::invalid_argument when the shape is not an encoder or
// does not fit the configuration (softmax and norm rows longer than
// vec_maxlen, on-chip tensors beyond ASPAD/WSPAD).
CompiledLayer compile_encoder_layer_bf16(const ref::LayerShape& shape, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base = 0x10000);
CompiledLayer compile_encoder_layer_bf16(const ModelDesc& model, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base = 0x10000);

struct StackOptions {
  bool store_layer_outputs = false;  // STORE each inner layer's output to CompiledLayer::layer_outputs
  // Rows per block of the row-blocked form. 0: the resident form when the layer's
  // tensors fit ASPAD over all rows, else row blocks as large as fit.
  unsigned row_block = 0;
};

// A stack of BF16 encoder layers of one shape (layers[0] first) as one stream with no host round
// trip: each layer's output stays in ASPAD as the next layer's input. A sequence whose tensors
// do not all fit ASPAD is row-blocked: the attention runs over all rows with its output
// spilled to DRAM, the rest of the layer in blocks of rows, layer outputs in DRAM. The CompiledLayer's
// probes are those of the last layer. Throws as compile_encoder_layer_bf16 does, naming the layer.
CompiledLayer compile_encoder_stack_bf16(const ref::LayerShape& shape, const std::vector<ref::LayerWeightsBf16>& layers,
                                         int seq_len, const ref::AccelConfig& cfg, const StackOptions& opt = {},
                                         std::uint32_t dram_base = 0x10000);

// BERT encoder layer on the INT8 path (I-BERT; docs/numerics.md, "Transformer layers, INT8
// (I-BERT)"): the integer steps of ref::encoder_layer_int8 as one DRAM-to-DRAM stream, in the
// row-blocked form (attention over all rows, head outputs spilled to DRAM, the rest in blocks
// of row_block rows; 0: the largest that fits, CompiledLayer::row_block says which). Input x
// int8 in the INT8 A layout (pack_input_i8), output Y int8 (unpack_output_i8). Probes, where
// still intact at the end: "q.last", "l.last", "p.last" (uint8); with one
// row block "o.h<i>", "x", "a", "r1", "r2", "f", "f2", "y". Throws std::invalid_argument as
// the BF16 form does.
CompiledLayer compile_encoder_layer_int8(const ref::LayerShape& shape, const ref::QuantLayer& ql, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base = 0x10000,
                                         unsigned row_block = 0);

// A stack of INT8 encoder layers in one stream (layer l's int8 output is layer l+1's input
// as it is, whatever the scales), in the row-blocked form, every inner layer's output in DRAM
// (CompiledLayer::layer_outputs, the INT8 A layout). Probes only for one layer. Throws naming
// the layer whose tensors do not have the shape.
CompiledLayer compile_encoder_stack_int8(const ref::LayerShape& shape, const std::vector<ref::QuantLayer>& layers,
                                         int seq_len, const ref::AccelConfig& cfg, const StackOptions& opt = {},
                                         std::uint32_t dram_base = 0x10000);

// ---- decoder (LLaMA pre-norm, RoPE, grouped-query attention, KV cache in DRAM) ----
//
// RoPE: ROPE_BF16 pairs element i with n/2 + i and needs n/2 a multiple of
// the stream group, and src, aux and dst groups equal. So Q and K heads are
// computed in a padded form: each half of the head is padded to hp (a
// multiple of Rows) columns, and Wq/Wk are packed with only Rows of every
// Cols columns used, so the FP32 accumulator reads as an ACC stream of group
// Rows and ROPE_BF16 writes the A layout (Q) and the K^T tile layout (K)
// directly. The zero pad columns of Q and K add +0 products to Q.K^T (the
// same sums unless a partial sum is -0, as for the K padding above). This
// needs Rows <= Cols.

// The K (after RoPE) and V rows of every cached position, per KV head, in
// DRAM in the layouts the attention loads: K as rows of K^T tiles (k_rows
// rows of `capacity` words, word = Rows lanes of the padded head, column c of
// the head at padded column c (c < hd/2) or half + c - hd/2), V as W tiles
// (v_rows rows of `capacity` words, word = Cols lanes).
struct KvCacheLayout {
  std::uint32_t addr = 0, bytes = 0;
  unsigned kv_heads = 0, head_dim = 0, capacity = 0, half = 0;
  unsigned k_rows = 0, v_rows = 0, rows = 0, cols = 0, bus_bytes = 0;

  std::uint32_t row_bytes() const { return capacity * bus_bytes; }
  std::uint32_t k_addr(unsigned g) const { return addr + g * (k_rows + v_rows) * row_bytes(); }
  std::uint32_t v_addr(unsigned g) const { return k_addr(g) + k_rows * row_bytes(); }
  // Positions 0..n-1 of KV head g (n x head_dim) from the bytes of [addr, addr + bytes).
  ref::Matrix<std::uint16_t> k(const std::vector<std::uint8_t>& region, unsigned g, unsigned n) const;
  ref::Matrix<std::uint16_t> v(const std::vector<std::uint8_t>& region, unsigned g, unsigned n) const;
  // Writes positions 0..n-1 of KV head g (K and V n x head_dim) into the region's bytes (a cache
  // filled without a prefill, e.g. for a decode step at a long context).
  void put(std::vector<std::uint8_t>& region, unsigned g, const ref::Matrix<std::uint16_t>& k,
           const ref::Matrix<std::uint16_t>& v) const;
  // The region's bytes holding every KV head of `c` (put), `fill` elsewhere.
  std::vector<std::uint8_t> image(const ref::KvCache& c, std::uint8_t fill = 0) const;
};

// One decoder layer packed once (weights, norm parameters, the RoPE table of
// every position < capacity, zeros) with a KV cache region of `capacity`
// positions; step(L, T) compiles the call for T tokens at positions
// L..L+T-1 (prefill: L = 0; decode: T = 1), which appends their K/V to the
// cache and attends over all L + T positions. Every step uses the same DRAM
// image and regions: [weights | cache | input | output]. Throws
// std::invalid_argument for what is not lowered (no RoPE, Rows > Cols) or
// does not fit the configuration or the capacity.
class CompiledDecoder {
 public:
  CompiledDecoder(const ref::LayerShape& shape, const ref::LayerWeightsBf16& w, unsigned capacity,
                  const ref::AccelConfig& cfg, std::uint32_t dram_base = 0x10000);
  // The step's commands; its weights_image is empty (write weights_image once).
  CompiledLayer step(unsigned cache_len, unsigned tokens) const;

  std::uint32_t dram_base = 0, dram_bytes = 0;
  DramRegion weights, input, output;  // input and output sized for `capacity` tokens
  std::vector<std::uint8_t> weights_image;
  KvCacheLayout cache;

 private:
  struct Packed;  // the packed addresses and parameter sets, shared by copies
  std::shared_ptr<const Packed> p_;
};

// One decoder call as a stand-alone stream (the weights image included).
CompiledLayer compile_decoder_layer_bf16(const ref::LayerShape& shape, const ref::LayerWeightsBf16& w, int tokens,
                                         int cache_len, unsigned capacity, const ref::AccelConfig& cfg,
                                         std::uint32_t dram_base = 0x10000);

}  // namespace npu::compiler
