// One INT8 (I-BERT) encoder layer compiled into one command stream
// (npu::compiler::compile_encoder_layer_int8), run DRAM to DRAM on the
// functional model, must equal the direct reference
// (npu::ref::encoder_layer_int8) bit for bit; on a mismatch the intermediates
// left in ASPAD / WSPAD are compared with the reference's LayerTraceInt8 to
// name the first step that differs.
#include "npu/compiler/layer.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/layer_int8.hpp"
#include "npu/ref/vec_model.hpp"
#include "layer_test_configs.hpp"
#include "random_layer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace npu;
using test::base_config;
using test::fault_text;
using test::small_config;

namespace {

ref::LayerShape shape_of(std::size_t d, std::size_t heads, std::size_t hd, std::size_t ffn) {
  ref::LayerShape s;
  s.kind = ref::LayerKind::Encoder;
  s.d_model = d;
  s.heads = s.kv_heads = heads;
  s.head_dim = hd;
  s.ffn = ffn;
  s.norm = ref::LayerNormKind::LayerNorm;
  s.act = ref::LayerActivation::Gelu;
  s.eps = 1e-12f;
  return s;
}

// "tensor row r col c: got g, want w", or nothing when equal.
std::optional<std::string> mismatch(const ref::Matrix<std::int32_t>& got, const ref::Matrix<std::int32_t>& want,
                                    const std::string& name) {
  if (got.rows() != want.rows() || got.cols() != want.cols()) return name + ": shape differs";
  for (std::size_t r = 0; r < got.rows(); ++r)
    for (std::size_t c = 0; c < got.cols(); ++c)
      if (got(r, c) != want(r, c))
        return name + " row " + std::to_string(r) + " col " + std::to_string(c) + ": got " +
               std::to_string(got(r, c)) + ", want " + std::to_string(want(r, c));
  return std::nullopt;
}

// Returns the row block the compiler chose (row_block 0: the largest that fits).
unsigned check_layer_int8(const ref::LayerShape& s, unsigned T, const ref::AccelConfig& cfg, std::uint64_t seed,
                          unsigned row_block = 0) {
  CAPTURE(seed, T, s.d_model, s.heads, s.kv_heads, s.head_dim, s.ffn, cfg.rows, cfg.cols, cfg.aspad_words, row_block);
  tb::LayerRand rnd(seed);
  const ref::LayerWeightsBf16 wb = tb::random_weights(s, rnd, true);
  const ref::Matrix<std::uint16_t> xb = rnd.matrix(T, s.d_model, 0, 1);
  const ref::Matrix<double> xd = ref::bf16_to_f64(xb);
  const ref::ActivationScalesInt8 scales = ref::calibrate_encoder_int8(xd, s, wb);
  const ref::QuantLayer ql = ref::quantize_encoder_layer(wb, s, scales, true);
  const ref::Matrix<std::int8_t> xq = ref::quantize_tensor_int8(xd, ql.p.scales.x);
  ref::LayerTraceInt8 trace;
  const ref::Matrix<std::int8_t> want = ref::encoder_layer_int8(xq, s, ql, &trace);

  const compiler::CompiledLayer cl =
      compiler::compile_encoder_layer_int8(s, ql, static_cast<int>(T), cfg, 0x10000, row_block);
  CAPTURE(cl.cmds.size(), cl.row_block);
  const auto model = test::loaded_model(cl, cfg, cl.pack_input_i8(xq));
  ref::AccelModel& m = *model;
  const auto fault = m.run(cl.cmds, test::cmd_addr);
  INFO("fault: " << fault_text(fault));
  REQUIRE_FALSE(fault.has_value());
  const ref::Matrix<std::int8_t> got = cl.unpack_output_i8(m.read_dram(cl.output.addr, cl.output.bytes));

  // The on-chip intermediates in the order the layer computes them (the last head's only).
  const std::size_t hd = s.head_dim, H = s.heads, last = H - 1, g_last = last / s.group();
  std::optional<std::string> first_bad;
  const auto probe = [&](const std::string& p, const ref::Matrix<std::int32_t>& w, bool u = false) {
    if (!first_bad && cl.probes.count(p)) first_bad = mismatch(compiler::read_i8(m.mem(), cl.probes.at(p), cfg, u), w, p);
  };
  probe("k.last", ref::columns(trace.at("k"), g_last * hd, hd));
  probe("v.last", ref::columns(trace.at("v"), g_last * hd, hd));
  probe("q.last", ref::columns(trace.at("q"), last * hd, hd));
  probe("l.last", trace.at("l.h" + std::to_string(last)));
  probe("p.last", trace.at("p.h" + std::to_string(last)), true);
  for (std::size_t h = 0; h < H; ++h) probe("o.h" + std::to_string(h), ref::columns(trace.at("attn"), h * hd, hd));
  for (const char* n : {"a", "r1", "h1", "f", "f2", "r2", "y"}) probe(n, trace.at(n));
  INFO("first intermediate that differs: " << first_bad.value_or("none"));

  ref::Matrix<std::int32_t> got32(T, s.d_model), want32(T, s.d_model);
  for (std::size_t r = 0; r < T; ++r)
    for (std::size_t c = 0; c < s.d_model; ++c) got32(r, c) = got(r, c), want32(r, c) = want(r, c);
  // A meaningful comparison: the reference output is not degenerate (saturated or all zero).
  std::size_t distinct = 0;
  {
    std::vector<bool> seen(256, false);
    for (std::size_t r = 0; r < T; ++r)
      for (std::size_t c = 0; c < s.d_model; ++c)
        if (!seen[static_cast<std::uint8_t>(want(r, c))]) seen[static_cast<std::uint8_t>(want(r, c))] = true, ++distinct;
  }
  CHECK(distinct > 20);
  const auto bad = mismatch(got32, want32, "y (DRAM)");
  INFO("output: " << bad.value_or("bit-exact"));
  CHECK_FALSE(bad.has_value());
  CHECK_FALSE(first_bad.has_value());
  return cl.row_block;
}

}  // namespace

TEST_CASE("layer int8 compile: the I-BERT encoder layer equals encoder_layer_int8 bit for bit",
          "[compiler][layer][int8]") {
  struct Case {
    ref::LayerShape shape;
    unsigned t;
  };
  const Case cases[] = {{shape_of(40, 2, 20, 64), 7}, {shape_of(24, 3, 8, 40), 13}};
  for (const auto& cfg : {small_config(), base_config()})
    for (const Case& c : cases)
      for (std::uint64_t seed : {1u, 2u}) CHECK(check_layer_int8(c.shape, c.t, cfg, seed) == c.t);
}

TEST_CASE("layer int8 compile: row blocks give the same bits as one block", "[compiler][layer][int8]") {
  const ref::LayerShape odd = shape_of(24, 3, 8, 40);
  // Blocks of 4, 4, 4, 1 rows (the last one short), of one row, balanced 5 5 3.
  CHECK(check_layer_int8(odd, 13, small_config(), 3, 4) == 4);
  CHECK(check_layer_int8(odd, 13, small_config(), 4, 1) == 1);
  CHECK(check_layer_int8(odd, 13, base_config(), 5, 6) == 5);
  ref::LayerShape gq = shape_of(24, 4, 6, 40);  // grouped-query heads of 6 that straddle words
  gq.kv_heads = 2;
  CHECK(check_layer_int8(gq, 9, small_config(), 6, 2) == 2);
  // Tight memories: M, N and K blocking inside each row block, split VEC rows; attention
  // blocks of 2 rows (ACC 16) and ASPADs where L and P hold all 13 rows (300 words), two
  // blocks (200), two blocks with one set of head buffers (150), one block (140).
  ref::AccelConfig c = small_config();
  c.acc_rows = 32, c.wspad_words = 128, c.vec_maxlen = 48;
  CHECK(check_layer_int8(odd, 13, c, 7, 6) == 5);
  for (unsigned words : {300u, 200u, 150u, 140u}) {
    ref::AccelConfig tight = small_config();
    tight.acc_rows = 16, tight.aspad_words = words;
    CAPTURE(words);
    CHECK(check_layer_int8(odd, 13, tight, 8 + words, 4) > 0);
  }
}

// Two INT8 layers in one stream equal encoder_layer_int8 applied twice (layer 1 takes layer
// 0's int8 output as it is), the inner output in DRAM too.
void check_stack_int8(const ref::LayerShape& s, unsigned T, const ref::AccelConfig& cfg, std::uint64_t seed,
                      unsigned row_block) {
  CAPTURE(seed, T, s.d_model, s.heads, s.kv_heads, cfg.rows, cfg.cols, row_block);
  tb::LayerRand rnd(seed);
  std::vector<ref::QuantLayer> layers;
  for (int l = 0; l < 2; ++l) {
    const ref::LayerWeightsBf16 wb = tb::random_weights(s, rnd, true);
    const ref::Matrix<double> cal = ref::bf16_to_f64(rnd.matrix(T, s.d_model, 0, 1));
    layers.push_back(ref::quantize_encoder_layer(wb, s, ref::calibrate_encoder_int8(cal, s, wb), true));
  }
  const ref::Matrix<std::int8_t> xq =
      ref::quantize_tensor_int8(ref::bf16_to_f64(rnd.matrix(T, s.d_model, 0, 1)), layers[0].p.scales.x);
  const ref::Matrix<std::int8_t> y0 = ref::encoder_layer_int8(xq, s, layers[0]);
  const ref::Matrix<std::int8_t> want = ref::encoder_layer_int8(y0, s, layers[1]);

  compiler::StackOptions opt;
  opt.row_block = row_block;
  const compiler::CompiledLayer cl = compiler::compile_encoder_stack_int8(s, layers, static_cast<int>(T), cfg, opt);
  REQUIRE(cl.layer_outputs.size() == 1);
  const auto model = test::loaded_model(cl, cfg, cl.pack_input_i8(xq));
  ref::AccelModel& m = *model;
  const auto fault = m.run(cl.cmds, test::cmd_addr);
  INFO("fault: " << fault_text(fault));
  REQUIRE_FALSE(fault.has_value());
  // Layer 0's output in the INT8 A layout, the stack's in rows.
  const auto got0 = cl.unpack_a_i8(m.read_dram(cl.layer_outputs[0].addr, cl.layer_outputs[0].bytes));
  const auto got1 = cl.unpack_output_i8(m.read_dram(cl.output.addr, cl.output.bytes));
  const auto bad0 = ref::first_mismatch(got0, y0, "layer 0 y (DRAM)");
  const auto bad1 = ref::first_mismatch(got1, want, "layer 1 y (DRAM)");
  INFO(bad0.value_or("layer 0 bit-exact") << "; " << bad1.value_or("layer 1 bit-exact"));
  CHECK_FALSE(bad0.has_value());
  CHECK_FALSE(bad1.has_value());
}

TEST_CASE("layer int8 compile: a two-layer INT8 stack equals the layer reference applied twice",
          "[compiler][layer][int8]") {
  const ref::LayerShape odd = shape_of(24, 3, 8, 40);
  check_stack_int8(odd, 13, small_config(), 21, 0);
  check_stack_int8(odd, 13, small_config(), 22, 5);
  check_stack_int8(shape_of(40, 2, 20, 64), 7, base_config(), 23, 0);
  REQUIRE_THROWS_WITH(compiler::compile_encoder_stack_int8(odd, {}, 13, small_config()),
                      Catch::Matchers::Contains("at least one layer"));
  // A bad tensor is rejected naming its layer.
  tb::LayerRand rnd(24);
  const ref::LayerWeightsBf16 wb = tb::random_weights(odd, rnd, true);
  const ref::QuantLayer ql = ref::quantize_encoder_layer(
      wb, odd, ref::calibrate_encoder_int8(ref::bf16_to_f64(rnd.matrix(8, 24, 0, 1)), odd, wb), true);
  std::vector<ref::QuantLayer> bad{ql, ql};
  bad[1].w.ffn2.rq.pop_back();
  REQUIRE_THROWS_WITH(compiler::compile_encoder_stack_int8(odd, bad, 13, small_config()),
                      Catch::Matchers::Contains("layer 1: ffn2 does not have the layer's shape"));
}

TEST_CASE("layer int8 compile: the all-MiniLM-L6-v2 layer shape at 128 tokens on base", "[compiler][layer][int8]") {
  const ref::LayerShape s = shape_of(384, 12, 32, 1536);
  tb::LayerRand rnd(9);
  const ref::LayerWeightsBf16 wb = tb::random_weights(s, rnd, true);
  const ref::QuantLayer ql =
      ref::quantize_encoder_layer(wb, s, ref::calibrate_encoder_int8(ref::bf16_to_f64(rnd.matrix(8, 384, 0, 1)), s, wb), true);
  const auto cl = compiler::compile_encoder_layer_int8(s, ql, 128, base_config());
  CHECK(cl.row_block >= 32);
  CHECK(cl.row_block < 128);
  // Beyond what one-row blocks hold (x over all rows for the projections), the error names
  // the space, the peak and the buffers.
  REQUIRE_THROWS_WITH(compiler::compile_encoder_layer_int8(s, ql, 1000, base_config()),
                      Catch::Matchers::Contains("ASPAD: the layer's buffers need") && Catch::Matchers::Contains("x="));
}

TEST_CASE("layer int8 compile: the all-MiniLM-L6-v2 layer at 128 tokens on base equals the reference",
          "[compiler][layer][int8]") {
  CHECK(check_layer_int8(shape_of(384, 12, 32, 1536), 128, base_config(), 10) < 128);
}
