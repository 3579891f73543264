#include "npu/compiler/prune.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace npu::compiler {
namespace {

double bf16_value(std::uint16_t b) {
  const std::uint32_t bits = std::uint32_t{b} << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

PruneStats prune_tiles_bf16(ref::Matrix<std::uint16_t>& w, const Target& t, double sparsity) {
  if (!(sparsity >= 0.0 && sparsity <= 1.0))
    throw std::invalid_argument("prune_tiles_bf16: sparsity must be in [0, 1]");
  const std::size_t kt_n = (w.rows() + t.rows - 1) / t.rows, nt_n = (w.cols() + t.cols - 1) / t.cols;
  std::vector<double> norm(kt_n * nt_n, 0.0);
  for (std::size_t r = 0; r < w.rows(); ++r)
    for (std::size_t c = 0; c < w.cols(); ++c)
      norm[(r / t.rows) * nt_n + c / t.cols] += std::fabs(bf16_value(w(r, c)));
  std::vector<std::size_t> order(norm.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return norm[a] < norm[b]; });
  PruneStats st;
  st.tiles = norm.size();
  st.pruned = static_cast<std::size_t>(std::llround(sparsity * static_cast<double>(st.tiles)));
  for (std::size_t i = 0; i < st.pruned; ++i) {
    const std::size_t kt = order[i] / nt_n, nt = order[i] % nt_n;
    for (std::size_t r = kt * t.rows; r < std::min(w.rows(), (kt + 1) * t.rows); ++r)
      for (std::size_t c = nt * t.cols; c < std::min(w.cols(), (nt + 1) * t.cols); ++c) w(r, c) = 0;
  }
  return st;
}

PruneStats prune_layer_bf16(ref::LayerWeightsBf16& w, const Target& t, double sparsity) {
  PruneStats all;
  for (ref::Matrix<std::uint16_t>* m : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3}) {
    if (m->rows() == 0) continue;  // W3 only with SwiGLU
    const PruneStats st = prune_tiles_bf16(*m, t, sparsity);
    all.tiles += st.tiles;
    all.pruned += st.pruned;
  }
  return all;
}

}  // namespace npu::compiler
