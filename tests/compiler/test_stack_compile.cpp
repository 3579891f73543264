// A stack of BF16 encoder layers compiled into one command stream
// (npu::compiler::compile_encoder_stack_bf16), run DRAM to DRAM on the
// functional model, must equal the direct layer reference applied layer
// after layer (npu::ref::encoder_layer_bf16) bit for bit. Each inner layer's
// output is also stored to DRAM (StackOptions::store_layer_outputs), so a
// mismatch names the first layer that differs.
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/vec_model.hpp"
#include "layer_test_configs.hpp"
#include "random_layer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace npu;
using Bf16 = ref::Matrix<std::uint16_t>;
using Catch::Matchers::Contains;
using test::base_config;
using test::fault_text;
using test::small_config;

namespace {

const std::string kModels = NPU_MODELS_DIR;

// Returns the rows per block of the compiled stack (0: resident).
unsigned check_stack(const ref::LayerShape& s, unsigned layers, unsigned T, const ref::AccelConfig& cfg,
                     std::uint64_t seed, unsigned row_block = 0) {
  CAPTURE(seed, layers, T, s.d_model, s.heads, s.ffn, cfg.rows, cfg.cols, row_block);
  tb::LayerRand r(seed);
  std::vector<ref::LayerWeightsBf16> w;
  for (unsigned l = 0; l < layers; ++l) w.push_back(tb::random_weights(s, r, true));
  const Bf16 x = r.matrix(T, s.d_model, 0, 1);
  std::vector<Bf16> want{x};  // want[l + 1]: the output of layer l
  for (const auto& lw : w) want.push_back(ref::encoder_layer_bf16(want.back(), s, lw));

  compiler::StackOptions opt;
  opt.store_layer_outputs = true;
  opt.row_block = row_block;
  const compiler::CompiledLayer cl = compiler::compile_encoder_stack_bf16(s, w, static_cast<int>(T), cfg, opt);
  REQUIRE(cl.layers == layers);
  REQUIRE(cl.layer_outputs.size() == layers - 1);
  const auto model = test::loaded_model(cl, cfg, cl.pack_input(x));
  ref::AccelModel& m = *model;
  const auto fault = m.run(cl.cmds, test::cmd_addr);
  INFO(cl.cmds.size() << " commands, fault: " << fault_text(fault));
  REQUIRE_FALSE(fault);
  for (unsigned l = 0; l + 1 < layers; ++l) {
    const compiler::DramRegion& tap = cl.layer_outputs[l];
    const auto bad = ref::first_mismatch(cl.unpack_a(m.read_dram(tap.addr, tap.bytes)), want[l + 1],
                                         "layer " + std::to_string(l) + " y");
    INFO(bad.value_or("equal"));
    REQUIRE_FALSE(bad);
  }
  const auto bad = ref::first_mismatch(cl.unpack_output(m.read_dram(cl.output.addr, cl.output.bytes)), want.back(),
                                       "layer " + std::to_string(layers - 1) + " y");
  INFO(bad.value_or("equal"));
  REQUIRE_FALSE(bad);
  return cl.row_block;
}

ref::LayerShape odd_shape() {
  ref::LayerShape s;
  s.d_model = 24, s.heads = 3, s.kv_heads = 3, s.head_dim = 8, s.ffn = 40, s.eps = 1e-12f;
  return s;
}

}  // namespace

TEST_CASE("encoder stack: two test-encoder layers in one stream equal the reference layer after layer", "[layer]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  check_stack(s, 2, static_cast<unsigned>(md.seq_len), small_config(), 51);
  check_stack(s, 2, static_cast<unsigned>(md.seq_len), base_config(), 52);
}

TEST_CASE("encoder stack: three layers of an odd shape (T 13, d 24, 3 heads of 8)", "[layer]") {
  check_stack(odd_shape(), 3, 13, small_config(), 53);
}

TEST_CASE("encoder stack: row blocks give the same bits as the resident layer", "[layer]") {
  // Blocks of 4, 4, 4, 1 rows (the last one short) and of one row; every layer's output via DRAM.
  CHECK(check_stack(odd_shape(), 3, 13, small_config(), 57, 4) == 4);
  CHECK(check_stack(odd_shape(), 1, 13, small_config(), 58, 1) == 1);
  CHECK(check_stack(odd_shape(), 2, 13, base_config(), 59, 5) == 5);  // 5 5 3 (balanced 13 / 3)
  ref::LayerShape gq;  // grouped-query heads of 6 that straddle words, RMSNorm
  gq.d_model = 24, gq.heads = 4, gq.kv_heads = 2, gq.head_dim = 6, gq.ffn = 40;
  gq.norm = ref::LayerNormKind::RmsNorm, gq.eps = 1e-6f;
  CHECK(check_stack(gq, 2, 9, small_config(), 60, 2) == 2);
  // Tight memories: M, N and K blocking inside each row block, split VEC rows.
  ref::AccelConfig c = small_config();
  c.acc_rows = 32, c.wspad_words = 128, c.vec_maxlen = 32;
  CHECK(check_stack(odd_shape(), 2, 13, c, 61, 6) == 5);  // 5 4 4
  // Attention blocks of 2 rows (ACC 16), and an ASPAD so small that the heads share one set
  // of Q, P and O buffers (220 words) and then P holds a single block (190 words).
  for (unsigned words : {300u, 220u, 190u}) {
    ref::AccelConfig tight = small_config();
    tight.acc_rows = 16, tight.aspad_words = words;
    CAPTURE(words);
    CHECK(check_stack(odd_shape(), 2, 13, tight, 64 + words, 4) > 0);
  }
}

TEST_CASE("encoder stack: a bad tensor is rejected naming its layer", "[layer]") {
  ref::LayerShape s;
  s.d_model = 24, s.heads = 3, s.kv_heads = 3, s.head_dim = 8, s.ffn = 40, s.eps = 1e-12f;
  tb::LayerRand r(54);
  std::vector<ref::LayerWeightsBf16> w{tb::random_weights(s, r, true), tb::random_weights(s, r, true)};
  w[1].w2 = r.matrix(40, 23, 0, 1);
  REQUIRE_THROWS_WITH(compiler::compile_encoder_stack_bf16(s, w, 13, small_config()),
                      Contains("layer 1") && Contains("W2 is 40x23, expected 40x24"));
  REQUIRE_THROWS_WITH(compiler::compile_encoder_stack_bf16(s, {}, 13, small_config()), Contains("at least one layer"));
}

TEST_CASE("encoder stack: the all-MiniLM-L6-v2 shape, 6 layers on base, 16 tokens", "[nightly]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/minilm-l6.yaml");
  check_stack(compiler::layer_shape(md), static_cast<unsigned>(md.layers), 16, base_config(), 55);
}

TEST_CASE("encoder stack: ASPAD buffers share words by lifetime, so MiniLM fits 40 tokens on base", "[layer]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/minilm-l6.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  tb::LayerRand r(56);
  const std::vector<ref::LayerWeightsBf16> w{tb::random_weights(s, r, true)};
  const auto cl = compiler::compile_encoder_stack_bf16(s, w, 40, base_config());
  CHECK(cl.seq_len == 40);
  CHECK(cl.row_block == 0);
  // Beyond it the layer is row-blocked; at 128 tokens in blocks of 43 rows.
  CHECK(compiler::compile_encoder_stack_bf16(s, w, 48, base_config()).row_block == 48);
  CHECK(compiler::compile_encoder_stack_bf16(s, w, 128, base_config()).row_block > 32);
  // bert-base (d 768, FFN 3072) at 128 tokens: x alone is 6,144 of base's 8,192 words.
  const ref::LayerShape bb = compiler::layer_shape(compiler::load_model_desc(kModels + "/bert-base.yaml"));
  const std::vector<ref::LayerWeightsBf16> wb{tb::random_weights(bb, r, true)};
  CHECK(compiler::compile_encoder_stack_bf16(bb, wb, 128, base_config()).row_block >= 16);
  // Beyond what even one-row blocks hold (x over all rows for the projections), the
  // error names the space, the peak and the buffers.
  REQUIRE_THROWS_WITH(compiler::compile_encoder_stack_bf16(s, w, 400, base_config()),
                      Contains("ASPAD: the layer's buffers need") && Contains("x="));
}

TEST_CASE("encoder stack: the all-MiniLM-L6-v2 layer shape on base, row-blocked at 48 tokens", "[layer]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/minilm-l6.yaml");
  CHECK(check_stack(compiler::layer_shape(md), 1, 48, base_config(), 62) == 48);
}

TEST_CASE("encoder stack: two all-MiniLM-L6-v2 layers on base at 128 tokens, row-blocked", "[nightly]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/minilm-l6.yaml");
  CHECK(check_stack(compiler::layer_shape(md), 2, 128, base_config(), 63) > 32);
}

TEST_CASE("encoder stack: a bert-base layer on base at 128 tokens, row-blocked", "[nightly]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/bert-base.yaml");
  CHECK(check_stack(compiler::layer_shape(md), 1, 128, base_config(), 65) > 0);
}
