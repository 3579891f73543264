// One BF16 encoder layer compiled into one command stream
// (npu::compiler::compile_encoder_layer_bf16), run DRAM to DRAM on the
// functional model, must equal the direct layer reference
// (npu::ref::encoder_layer_bf16) bit for bit; on a mismatch the intermediates
// left in ASPAD are compared with the reference's LayerTrace to name the
// first step that differs.
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/vec_model.hpp"
#include "layer_test_configs.hpp"
#include "random_layer.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace npu;
using Bf16 = ref::Matrix<std::uint16_t>;
using tb::random_weights;

using test::base_config;
using test::fault_text;
using test::small_config;

namespace {

const std::string kModels = NPU_MODELS_DIR;

struct LayerRun {
  Bf16 got;
  std::optional<ref::ModelFault> fault;
  std::optional<std::string> first_bad_step;  // the first intermediate that differs
  std::size_t commands = 0;
};

LayerRun run_layer(const ref::LayerShape& s, const ref::LayerWeightsBf16& w, const Bf16& x,
                   const ref::AccelConfig& cfg, const ref::LayerTrace& trace) {
  const compiler::CompiledLayer cl = compiler::compile_encoder_layer_bf16(s, w, static_cast<int>(x.rows()), cfg);
  const auto model = test::loaded_model(cl, cfg, cl.pack_input(x));
  ref::AccelModel& m = *model;
  LayerRun run;
  run.commands = cl.cmds.size();
  run.fault = m.run(cl.cmds, test::cmd_addr);
  run.got = cl.unpack_output(m.read_dram(cl.output.addr, cl.output.bytes));
  // The on-chip intermediates in the order the layer computes them.
  for (const char* name : {"r1", "h1", "f", "f2", "r2", "y"}) {
    const auto it = trace.find(name);
    if (it == trace.end() || !cl.probes.count(name)) continue;  // not in the trace, or reused as scratch
    if (auto bad = ref::first_mismatch(compiler::read_bf16(m.mem(), cl.probes.at(name), cfg), it->second, name)) {
      run.first_bad_step = *bad;
      break;
    }
  }
  return run;
}

void check_layer(const ref::LayerShape& s, unsigned T, const ref::AccelConfig& cfg, std::uint64_t seed,
                 bool biases) {
  CAPTURE(seed, T, s.d_model, s.heads, s.head_dim, s.ffn, cfg.rows, cfg.cols, biases);
  tb::LayerRand r(seed);
  const ref::LayerWeightsBf16 w = random_weights(s, r, biases);
  const Bf16 x = r.matrix(T, s.d_model, 0, 1);
  ref::LayerTrace trace;
  const Bf16 want = ref::encoder_layer_bf16(x, s, w, &trace);
  const LayerRun run = run_layer(s, w, x, cfg, trace);
  CAPTURE(run.commands);
  INFO("fault: " << fault_text(run.fault));
  REQUIRE_FALSE(run.fault);
  INFO("first differing intermediate: " << run.first_bad_step.value_or("none"));
  const auto bad = ref::first_mismatch(run.got, want, "y");
  INFO(bad.value_or("equal"));
  REQUIRE_FALSE(bad);
}

ref::LayerShape odd_shape() {  // T 13 with it: nothing a multiple of Rows = 16 or Cols = 5
  ref::LayerShape s;
  s.d_model = 24, s.heads = 3, s.kv_heads = 3, s.head_dim = 8, s.ffn = 40;
  s.eps = 1e-12f;
  return s;
}

}  // namespace

TEST_CASE("encoder layer: test-encoder on the small config equals the reference bit for bit", "[layer]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  for (std::uint64_t seed : {1u, 2u, 3u}) check_layer(s, static_cast<unsigned>(md.seq_len), small_config(), seed, true);
  check_layer(s, static_cast<unsigned>(md.seq_len), small_config(), 4, false);
}

TEST_CASE("encoder layer: test-encoder on the base config equals the reference bit for bit", "[layer]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  for (std::uint64_t seed : {5u, 6u}) check_layer(s, static_cast<unsigned>(md.seq_len), base_config(), seed, true);
}

TEST_CASE("encoder layer: odd shape (T 13, d 24, 3 heads of 8, FFN 40) equals the reference", "[layer]") {
  for (std::uint64_t seed : {7u, 8u}) {
    check_layer(odd_shape(), 13, small_config(), seed, true);
    check_layer(odd_shape(), 13, base_config(), seed, true);
  }
  check_layer(odd_shape(), 13, small_config(), 9, false);
}

TEST_CASE("encoder layer: grouped-query heads and RMSNorm", "[layer]") {
  ref::LayerShape s;  // 4 query heads of 6 on 2 KV heads: head slices straddle A and ACC words
  s.d_model = 24, s.heads = 4, s.kv_heads = 2, s.head_dim = 6, s.ffn = 40;
  check_layer(s, 9, small_config(), 13, true);
  check_layer(s, 9, base_config(), 14, true);
  s.norm = ref::LayerNormKind::RmsNorm;
  s.eps = 1e-6f;
  check_layer(s, 9, small_config(), 15, true);
}

TEST_CASE("encoder layer: shapes the configuration cannot hold are rejected", "[layer]") {
  ref::LayerShape s = odd_shape();
  tb::LayerRand r(16);
  const auto w = random_weights(s, r, true);
  ref::AccelConfig c = small_config();
  c.vec_maxlen = 16;  // a LayerNorm row of d 24 cannot be split
  REQUIRE_THROWS_AS(compiler::compile_encoder_layer_bf16(s, w, 13, c), std::invalid_argument);
  REQUIRE_THROWS_AS(compiler::compile_encoder_layer_bf16(s, w, 2000, small_config()), std::invalid_argument);
  s.kind = ref::LayerKind::Decoder;
  REQUIRE_THROWS_AS(compiler::compile_encoder_layer_bf16(s, w, 13, small_config()), std::invalid_argument);
}

TEST_CASE("encoder layer: tight memories force M, N and K blocking and split VEC rows", "[layer]") {
  // ACC 32 rows: row blocks in every matmul and in attention; WSPAD 128
  // words: K chunks that accumulate; vec_maxlen 32 < FFN 40: the GELU
  // epilogue and its PARAMS in two column chunks.
  ref::AccelConfig c = small_config();
  c.acc_rows = 32, c.wspad_words = 128, c.vec_maxlen = 32;
  for (std::uint64_t seed : {11u, 12u}) check_layer(odd_shape(), 13, c, seed, true);
}

TEST_CASE("encoder layer: the stream stays within the model's limits and leaves no tokens", "[layer]") {
  const ref::LayerShape s = odd_shape();
  tb::LayerRand r(10);
  const auto cl = compiler::compile_encoder_layer_bf16(s, random_weights(s, r, true), 13, small_config());
  // Every push is consumed by the next command's pop: the token counters end at zero.
  int balance[4][4] = {};
  for (const auto& c : cl.cmds) {
    const unsigned q = static_cast<unsigned>(isa::queue_of(c.op()));
    for (unsigned o = 0; o < 4; ++o) {  // pops wait for tokens already sent
      if (c.pop() >> o & 1u) --balance[o][q];
      REQUIRE(balance[o][q] >= 0);
    }
    for (unsigned o = 0; o < 4; ++o)
      if (c.push() >> o & 1u) ++balance[q][o];
  }
  for (auto& row : balance)
    for (int b : row) REQUIRE(b == 0);
  REQUIRE(cl.cmds.front().op() == isa::Op::Load);
  REQUIRE(cl.cmds.back().op() == isa::Op::Store);
}

TEST_CASE("encoder layer: the all-MiniLM-L6-v2 layer shape on base, 16 tokens", "[nightly]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/minilm-l6.yaml");
  check_layer(compiler::layer_shape(md), 16, base_config(), 32, true);
}
