// GEMM lowering: device layouts of A, W and C, and the tiled, double-buffered
// command stream for C = A x W on any M, K, N (docs/isa.md, "GEMM").
//
// Device layouts (one bus word per array row; D = K depth of a tile: Rows for
// BF16, 2*Rows for INT8, whose elements are one byte each):
//   A  [kt][m]      word = A[m][kt*D .. +D-1], element e at byte e (INT8) or halfword e
//                   (K padded: BF16 -0, INT8 0)
//   W  [nt][kt][r]  word = PE row r of the tile: halfword j = W[kt*D+r][nt*Cols+j] (BF16),
//                   or bytes 2j, 2j+1 = W[kt*D+2r][..], W[kt*D+2r+1][..] (INT8); padded with 0
//   C  [nt][m][p]   AccWordsPerRow words = C[m][nt*Cols .. +Cols-1] as 32-bit
#pragma once

#include "npu/isa.hpp"
#include "npu/ref/matrix.hpp"

#include <cstdint>
#include <vector>

namespace npu::compiler {

// The array and memory sizes a stream is compiled for (HwConfig mirrors it).
struct Target {
  unsigned rows = 4, cols = 4, bus_bytes = 16;
  unsigned aspad_words = 1024, wspad_words = 256, acc_rows = 256;
  unsigned acc_words_per_row() const;
};

enum class DType { Int8, Bf16 };

struct GemmShape {
  unsigned m = 1, k = 1, n = 1;
  DType type = DType::Int8;
  // K depth of one tile: Rows (BF16) or 2*Rows (INT8: two per PE).
  unsigned k_depth(const Target& t) const { return type == DType::Int8 ? 2 * t.rows : t.rows; }
  unsigned k_tiles(const Target& t) const { return (k + k_depth(t) - 1) / k_depth(t); }
  unsigned n_tiles(const Target& t) const { return (n + t.cols - 1) / t.cols; }
};

// Host-side packing. Element type: int8_t for Int8, uint16_t (BF16 bits) for Bf16.
std::vector<std::uint8_t> pack_a_i8(const ref::Matrix<std::int8_t>& a, const Target& t);
std::vector<std::uint8_t> pack_a_bf16(const ref::Matrix<std::uint16_t>& a, const Target& t);
std::vector<std::uint8_t> pack_w_i8(const ref::Matrix<std::int8_t>& w, const Target& t);
std::vector<std::uint8_t> pack_w_bf16(const ref::Matrix<std::uint16_t>& w, const Target& t);
// W^T tiles for a GEMM with w_transposed (C = A x B^T, e.g. Q x K^T): B is given
// N x K (row n = the K elements of output column n, e.g. token n's key).
// Layout [nt][kt][j]: word j of tile (kt, nt) = B[nt*Cols+j][kt*D .. +D-1] packed
// as an A word; so w_kstride = Cols and w_nstride = k_tiles * Cols.
std::vector<std::uint8_t> pack_wt_i8(const ref::Matrix<std::int8_t>& b, const Target& t);
std::vector<std::uint8_t> pack_wt_bf16(const ref::Matrix<std::uint16_t>& b, const Target& t);
std::size_t c_bytes(const GemmShape& s, const Target& t);
// C as raw 32-bit words (int32 or FP32 bits), M x N.
ref::Matrix<std::uint32_t> unpack_c(const std::vector<std::uint8_t>& dev, const GemmShape& s,
                                    const Target& t);

// How the stream tiles the problem (chosen by plan_gemm).
struct GemmPlan {
  unsigned m_block = 0;       // rows per GEMM command (ACC buffer rows)
  unsigned k_chunk = 0;       // K tiles per GEMM command
  unsigned steps = 0;         // GEMM commands
};
GemmPlan plan_gemm(const GemmShape& s, const Target& t);

// DRAM byte addresses of the packed operands.
struct GemmBuffers {
  std::uint32_t a = 0, w = 0, c = 0;
};

// Commands for C = A x W with load / compute / store overlapped through two
// buffers of each kind and dependency tokens (VTA-style; no tokens are left
// over at the end).
std::vector<isa::Command> emit_gemm(const GemmShape& s, const Target& t, const GemmBuffers& b,
                                    GemmPlan* plan_out = nullptr);

}  // namespace npu::compiler
