// Tile-granular magnitude pruning (issue 10): whole weight tiles of the MAC
// array's shape (K tiles of Rows rows by N tiles of Cols columns, the grid of
// pack_w_bf16) set to +0, the tiles with the smallest L1 norm first. The layer
// compiler neither loads nor multiplies a +0 tile (emit_matmul's tile masks),
// so the cycles saved are the LOADs and GEMM K tiles left out.
//
// Skipping a tile leaves out products of +0 and the activations: the same
// FP32 sums, except that a sum which is -0 stays -0 (the reference adds +0
// products and gets +0) and an Inf or NaN activation no longer meets a 0.
// Q, K and V are compiled per head (columns h*head_dim ..): their tiles line
// up with this grid when head_dim is a multiple of Cols.
#pragma once

#include "npu/compiler/gemm.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/matrix.hpp"

#include <cstddef>
#include <cstdint>

namespace npu::compiler {

struct PruneStats {
  std::size_t tiles = 0, pruned = 0;  // tiles in the matrices, tiles set to +0
};

// Sets round(sparsity * tiles) tiles of w to +0 (ties: lower tile index kept
// first, so the result is deterministic). Throws std::invalid_argument for a
// sparsity outside [0, 1].
PruneStats prune_tiles_bf16(ref::Matrix<std::uint16_t>& w, const Target& t, double sparsity);

// The same for every weight matrix of a layer (Wq, Wk, Wv, Wo, W1, W2, W3), each at `sparsity`.
PruneStats prune_layer_bf16(ref::LayerWeightsBf16& w, const Target& t, double sparsity);

}  // namespace npu::compiler
