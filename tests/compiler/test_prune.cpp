// Tile-granular pruning (npu::compiler::prune_tiles_bf16, prune_layer_bf16)
// and the layer compiler's zero-tile skipping: the smallest tiles go first,
// a pruned layer leaves its +0 tiles out of the stream (fewer LOAD bytes and
// GEMM K tiles) and still equals the direct reference on the pruned weights.
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/compiler/prune.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/vec_model.hpp"
#include "layer_test_configs.hpp"
#include "random_layer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace npu;
using test::base_config;
using test::fault_text;
using test::small_config;

namespace {

const std::string kModels = NPU_MODELS_DIR;

struct StreamWork {
  std::uint64_t load_bytes = 0, gemm_k_tiles = 0;
};
StreamWork work(const compiler::CompiledLayer& cl) {
  StreamWork w;
  for (const auto& c : cl.cmds) {
    const isa::Work k = isa::work_of(c);
    if (c.op() == isa::Op::Load && isa::LoadCmd::decode(c).space == isa::Space::Wspad)
      w.load_bytes += k.dma_words * cl.bus_bytes;
    w.gemm_k_tiles += k.gemm_rows;
  }
  return w;
}

}  // namespace

TEST_CASE("prune: the tiles with the smallest L1 norm become +0", "[prune]") {
  const ref::AccelConfig cfg = small_config();  // 4 x 5 tiles
  const compiler::Target t = compiler::target_of(cfg);
  ref::Matrix<std::uint16_t> w(8, 10);  // 2 x 2 tiles with norms 4 < 3 < 1 < 2 (tile index order)
  const std::uint16_t value[4] = {0x4000, 0x4080, 0x3F80, 0x3F00};  // 2, 4, 1, 0.5 (sign ignored below)
  for (std::size_t r = 0; r < 8; ++r)
    for (std::size_t c = 0; c < 10; ++c) w(r, c) = value[(r / 4) * 2 + c / 5] | ((r + c) % 2 ? 0x8000 : 0);
  ref::Matrix<std::uint16_t> half = w;
  const compiler::PruneStats st = compiler::prune_tiles_bf16(half, t, 0.5);
  CHECK(st.tiles == 4);
  CHECK(st.pruned == 2);
  CHECK(half(0, 0) == w(0, 0));  // tile 0 (2.0) kept
  CHECK(half(0, 5) == w(0, 5));  // tile 1 (4.0) kept
  CHECK(half(4, 0) == 0);        // tile 2 (1.0) pruned
  CHECK(half(7, 9) == 0);        // tile 3 (0.5) pruned
  ref::Matrix<std::uint16_t> none = w;
  CHECK(compiler::prune_tiles_bf16(none, t, 0.0).pruned == 0);
  CHECK(none(7, 9) == w(7, 9));
  REQUIRE_THROWS_AS(compiler::prune_tiles_bf16(none, t, 1.5), std::invalid_argument);
}

TEST_CASE("prune: a pruned layer skips its zero tiles and equals the reference", "[prune]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const auto T = static_cast<unsigned>(md.seq_len);
  for (const ref::AccelConfig& cfg : {small_config(), base_config()}) {
    const compiler::Target t = compiler::target_of(cfg);
    tb::LayerRand r(81);
    const ref::LayerWeightsBf16 dense = tb::random_weights(s, r, true);
    const auto x = r.matrix(T, s.d_model, 0, 1);
    StreamWork before{};
    for (const double sparsity : {0.0, 0.25, 0.5}) {
      CAPTURE(sparsity, cfg.rows, cfg.cols);
      ref::LayerWeightsBf16 w = dense;
      compiler::prune_layer_bf16(w, t, sparsity);
      const auto cl = compiler::compile_encoder_layer_bf16(s, w, static_cast<int>(T), cfg);
      const auto model = test::loaded_model(cl, cfg, cl.pack_input(x));
      ref::AccelModel& m = *model;
      const auto f = m.run_concurrent(cl.cmds, test::cmd_addr,
                                      1);
      INFO("fault: " << fault_text(f));
      REQUIRE_FALSE(f);
      const auto bad = ref::first_mismatch(cl.unpack_output(m.read_dram(cl.output.addr, cl.output.bytes)),
                                           ref::encoder_layer_bf16(x, s, w), "y");
      INFO(bad.value_or("equal"));
      REQUIRE_FALSE(bad);
      const StreamWork now = work(cl);
      if (sparsity == 0.0) {
        before = now;
      } else {
        CHECK(now.load_bytes < before.load_bytes);
        CHECK(now.gemm_k_tiles < before.gemm_k_tiles);
      }
    }
  }
}
