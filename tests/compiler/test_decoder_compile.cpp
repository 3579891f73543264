// One BF16 decoder layer (LLaMA pre-norm, RoPE, grouped-query attention)
// compiled by npu::compiler::CompiledDecoder and run DRAM to DRAM on the
// functional model, with its KV cache in DRAM: a prefill (L = 0) and then
// decode steps (T = 1) on the same image and cache must equal the direct
// reference (npu::ref::decoder_layer_bf16, its KvCache carried along) bit for
// bit, output and cache. On a mismatch the intermediates left in ASPAD are
// compared with the reference's LayerTrace to name the first step that differs.
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

using test::base_config;
using test::fault_text;
using test::small_config;

namespace {

const std::string kModels = NPU_MODELS_DIR;

// One call (prefill or decode step) on the model, checked against the reference call.
void check_step(ref::AccelModel& m, const compiler::CompiledDecoder& dec, const ref::LayerShape& s,
                const ref::LayerWeightsBf16& w, ref::KvCache& cache, const Bf16& x, const ref::AccelConfig& cfg) {
  const auto L = static_cast<unsigned>(cache.length()), T = static_cast<unsigned>(x.rows());
  CAPTURE(L, T);
  ref::LayerTrace trace;
  const Bf16 want = ref::decoder_layer_bf16(x, s, w, cache, &trace);
  const compiler::CompiledLayer cl = dec.step(L, T);
  CAPTURE(cl.cmds.size(), cl.kv_chunk);
  m.write_dram(cl.input.addr, cl.pack_input(x));
  m.write_dram(cl.output.addr, std::vector<std::uint8_t>(cl.output.bytes, 0xA5));  // stale data must go
  const auto fault = m.run(cl.cmds, test::cmd_addr);
  INFO("fault: " << fault_text(fault));
  REQUIRE_FALSE(fault);
  std::string first_bad = "none";
  for (const char* name : {"n1", "r1", "n2", "f", "y"}) {
    if (!cl.probes.count(name)) continue;  // reused as scratch
    if (auto bad = ref::first_mismatch(compiler::read_bf16(m.mem(), cl.probes.at(name), cfg), trace.at(name), name)) {
      first_bad = *bad;
      break;
    }
  }
  INFO("first differing intermediate: " << first_bad);
  // The DRAM cache holds the reference cache's rows, positions 0 .. L+T-1.
  const std::vector<std::uint8_t> region = m.read_dram(dec.cache.addr, dec.cache.bytes);
  for (unsigned g = 0; g < s.kv_heads; ++g) {
    const auto n = static_cast<unsigned>(cache.length());
    const auto bad_k = ref::first_mismatch(dec.cache.k(region, g, n), cache.k[g], "cache.k" + std::to_string(g));
    INFO(bad_k.value_or("cache K equal"));
    CHECK_FALSE(bad_k);
    const auto bad_v = ref::first_mismatch(dec.cache.v(region, g, n), cache.v[g], "cache.v" + std::to_string(g));
    INFO(bad_v.value_or("cache V equal"));
    CHECK_FALSE(bad_v);
  }
  const auto bad = ref::first_mismatch(cl.unpack_output(m.read_dram(cl.output.addr, cl.output.bytes)), want, "y");
  INFO(bad.value_or("equal"));
  REQUIRE_FALSE(bad);
}

// The functional model with the decoder's image and `cache_region` as its KV cache.
ref::AccelModel decoder_model(const compiler::CompiledDecoder& dec, const ref::AccelConfig& cfg,
                              const std::vector<std::uint8_t>& cache_region) {
  ref::AccelModel m(cfg);
  ref::install(m);
  m.set_window(dec.dram_base, dec.dram_bytes);
  m.write_dram(dec.weights.addr, dec.weights_image);
  m.write_dram(dec.cache.addr, cache_region);
  return m;
}

// Prefill of T tokens, then `decodes` steps of one token each, on one image and cache.
void check_decoder(const ref::LayerShape& s, unsigned T, unsigned decodes, const ref::AccelConfig& cfg,
                   std::uint64_t seed, bool biases = false) {
  CAPTURE(seed, T, s.d_model, s.heads, s.kv_heads, s.head_dim, s.ffn, cfg.rows, cfg.cols, biases);
  tb::LayerRand r(seed);
  const ref::LayerWeightsBf16 w = tb::random_weights(s, r, biases);
  const compiler::CompiledDecoder dec(s, w, T + decodes, cfg);
  // Unwritten cache rows are stale.
  ref::AccelModel m = decoder_model(dec, cfg, std::vector<std::uint8_t>(dec.cache.bytes, 0xA5));
  ref::KvCache cache;
  check_step(m, dec, s, w, cache, r.matrix(T, s.d_model, 0, 1), cfg);
  for (unsigned i = 0; i < decodes; ++i) check_step(m, dec, s, w, cache, r.matrix(1, s.d_model, 0, 1), cfg);
}

ref::LayerShape gqa_shape() {  // 4 query heads of 6 on 2 KV heads: halves of 3, straddling every word
  ref::LayerShape s;
  s.kind = ref::LayerKind::Decoder;
  s.d_model = 24, s.heads = 4, s.kv_heads = 2, s.head_dim = 6, s.ffn = 40;
  s.norm = ref::LayerNormKind::RmsNorm;
  s.act = ref::LayerActivation::SwiGlu;
  s.eps = 1e-6f;
  s.rope = true;
  return s;
}

}  // namespace

TEST_CASE("decoder layer: test-decoder prefill and decode steps equal the reference (small)", "[layer][decoder]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-decoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  for (std::uint64_t seed : {21u, 22u}) check_decoder(s, static_cast<unsigned>(md.seq_len), 3, small_config(), seed);
}

TEST_CASE("decoder layer: test-decoder prefill and decode steps equal the reference (base)", "[layer][decoder]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-decoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  check_decoder(s, static_cast<unsigned>(md.seq_len), 3, base_config(), 23);
}

TEST_CASE("decoder layer: grouped-query heads of 6 (d 24, 4 on 2 KV heads, FFN 40, T 5)", "[layer][decoder]") {
  for (std::uint64_t seed : {24u, 25u}) {
    check_decoder(gqa_shape(), 5, 3, small_config(), seed);
    check_decoder(gqa_shape(), 5, 3, base_config(), seed);
  }
}

TEST_CASE("decoder layer: biases (CVT_BF16 before ROPE, SWIGLU and the residual ADD)", "[layer][decoder]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-decoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  check_decoder(s, static_cast<unsigned>(md.seq_len), 3, small_config(), 31, true);
  check_decoder(s, static_cast<unsigned>(md.seq_len), 3, base_config(), 32, true);
  check_decoder(gqa_shape(), 5, 3, small_config(), 33, true);
}

TEST_CASE("decoder layer: LayerNorm and GELU with biases", "[layer][decoder]") {
  ref::LayerShape s = gqa_shape();
  s.norm = ref::LayerNormKind::LayerNorm;
  s.act = ref::LayerActivation::Gelu;
  s.eps = 1e-5f;
  for (bool biases : {false, true}) {
    check_decoder(s, 5, 3, small_config(), 34, biases);
    check_decoder(s, 5, 3, base_config(), 35, biases);
  }
}

TEST_CASE("decoder layer: unsupported decoders are rejected", "[layer][decoder]") {
  ref::LayerShape s = gqa_shape();
  tb::LayerRand r(26);
  const auto w = tb::random_weights(s, r, false);
  const compiler::CompiledDecoder dec(s, w, 8, small_config());
  REQUIRE_THROWS_AS(dec.step(6, 3), std::invalid_argument);  // beyond the cache capacity
  ref::AccelConfig tall = small_config();
  tall.rows = 8, tall.cols = 4;
  REQUIRE_THROWS_AS(compiler::CompiledDecoder(s, w, 8, tall), std::invalid_argument);  // Rows > Cols
  s.rope = false;
  REQUIRE_THROWS_AS(compiler::CompiledDecoder(s, w, 8, small_config()), std::invalid_argument);  // not lowered
}

TEST_CASE("decoder layer: tight memories force M and K blocking, masked row blocks and split SwiGLU rows",
          "[layer][decoder]") {
  // ACC 24 rows: attention and matmul row blocks (the mask offset and the cs
  // rows follow the block); WSPAD 160 words: K chunks; vec_maxlen 32 < FFN 40:
  // the SwiGLU epilogue over two accumulators in column chunks.
  ref::AccelConfig c = small_config();
  c.acc_rows = 24, c.wspad_words = 128, c.vec_maxlen = 32;
  for (std::uint64_t seed : {27u, 28u}) check_decoder(gqa_shape(), 11, 3, c, seed);
}

TEST_CASE("decoder layer: a stand-alone call equals the reference and leaves no tokens", "[layer][decoder]") {
  const ref::LayerShape s = gqa_shape();
  tb::LayerRand r(36);
  const auto w = tb::random_weights(s, r, true);
  const Bf16 x = r.matrix(4, s.d_model, 0, 1);
  const compiler::CompiledLayer cl = compiler::compile_decoder_layer_bf16(s, w, 4, 0, 8, small_config());
  const auto model = test::loaded_model(cl, small_config(), cl.pack_input(x));
  ref::AccelModel& m = *model;
  const auto fault = m.run(cl.cmds, test::cmd_addr);
  INFO("fault: " << fault_text(fault));
  REQUIRE_FALSE(fault);
  ref::KvCache cache;
  const auto bad = ref::first_mismatch(cl.unpack_output(m.read_dram(cl.output.addr, cl.output.bytes)),
                                       ref::decoder_layer_bf16(x, s, w, cache), "y");
  INFO(bad.value_or("equal"));
  REQUIRE_FALSE(bad);
  // Every push is consumed by the next command's pop: the token counters end at zero.
  int balance[4][4] = {};
  for (const auto& c : cl.cmds) {
    const unsigned q = static_cast<unsigned>(isa::queue_of(c.op()));
    for (unsigned o = 0; o < 4; ++o) {
      if (c.pop() >> o & 1u) --balance[o][q];
      REQUIRE(balance[o][q] >= 0);
    }
    for (unsigned o = 0; o < 4; ++o)
      if (c.push() >> o & 1u) ++balance[q][o];
  }
  for (auto& row : balance)
    for (int b : row) REQUIRE(b == 0);
}

TEST_CASE("decoder layer: the SmolLM2-135M layer shape on base, prefill of 16 and 2 decode steps", "[nightly]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/smollm2-135m.yaml");
  check_decoder(compiler::layer_shape(md), 16, 2, base_config(), 31);
}

TEST_CASE("decoder layer: long contexts stream K^T and V from the DRAM cache in chunks", "[layer][decoder]") {
  // On small, 16 positions of test-decoder's one KV head no longer fit half of WSPAD:
  // decode steps from 9 cached positions on read the cache in chunks of 5 (K^T) and
  // 8 (V) positions, the last V chunk padded with +0. With a larger ASPAD a prefill of
  // 17 streams too (two row blocks of ACC).
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-decoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  tb::LayerRand r(72);
  const compiler::CompiledDecoder dec(s, tb::random_weights(s, r, false), 20, small_config());
  CHECK(dec.step(0, 9).kv_chunk == 0);
  CHECK(dec.step(15, 1).kv_chunk == 5);
  check_decoder(s, 9, 10, small_config(), 73);
  check_decoder(s, 9, 9, small_config(), 74, true);
  ref::AccelConfig big = small_config();
  big.aspad_words = 4096;
  CHECK(compiler::CompiledDecoder(s, tb::random_weights(s, r, false), 20, big).step(0, 17).kv_chunk == 5);
  check_decoder(s, 17, 2, big, 75);
  check_decoder(gqa_shape(), 30, 2, big, 76);  // grouped-query heads of 6 on 2 KV heads
  ref::AccelConfig c = base_config();  // base with a WSPAD of 256 words
  c.wspad_words = 256;
  check_decoder(s, 20, 2, c, 77);
}

TEST_CASE("decoder layer: a cache written by KvCacheLayout::put serves a decode step as a prefill's does",
          "[layer][decoder]") {
  const compiler::ModelDesc md = compiler::load_model_desc(kModels + "/test-decoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  for (const ref::AccelConfig& cfg : {small_config(), base_config()}) {
    tb::LayerRand r(71);
    const ref::LayerWeightsBf16 w = tb::random_weights(s, r, false);
    const unsigned L = 9;
    const compiler::CompiledDecoder dec(s, w, L + 1, cfg);
    // A cache of L positions the host made up (no prefill), round trip through the layout.
    ref::KvCache cache = tb::random_cache(s, r, L);
    const std::vector<std::uint8_t> region = dec.cache.image(cache, 0xA5);
    for (unsigned g = 0; g < s.kv_heads; ++g) {
      REQUIRE_FALSE(ref::first_mismatch(dec.cache.k(region, g, L), cache.k[g], "k"));
      REQUIRE_FALSE(ref::first_mismatch(dec.cache.v(region, g, L), cache.v[g], "v"));
    }
    std::vector<std::uint8_t> scratch = region;
    REQUIRE_THROWS_AS(dec.cache.put(scratch, s.kv_heads, cache.k[0], cache.v[0]), std::invalid_argument);
    std::vector<std::uint8_t> short_region(8);
    REQUIRE_THROWS_AS(dec.cache.put(short_region, 0, cache.k[0], cache.v[0]), std::invalid_argument);
    REQUIRE_THROWS_AS(dec.cache.image(ref::KvCache{}), std::invalid_argument);
    ref::AccelModel m = decoder_model(dec, cfg, region);
    check_step(m, dec, s, w, cache, r.matrix(1, s.d_model, 0, 1), cfg);
  }
}

TEST_CASE("decoder layer: a SmolLM2-135M decode step at context 512 streams the cache and equals the reference",
          "[layer][decoder]") {
  // 512 cached positions of the real shape (three KV heads of 64, three query heads each):
  // too long for WSPAD on base, so K^T and V stream in chunks, one GEMM per chunk for all
  // three heads of a group.
  const ref::LayerShape s = compiler::layer_shape(compiler::load_model_desc(kModels + "/smollm2-135m.yaml"));
  const ref::AccelConfig cfg = base_config();
  tb::LayerRand r(78);
  const ref::LayerWeightsBf16 w = tb::random_weights(s, r, false);
  const unsigned L = 512;
  const compiler::CompiledDecoder dec(s, w, L + 1, cfg);
  REQUIRE(dec.step(L, 1).kv_chunk > 0);
  ref::KvCache cache = tb::random_cache(s, r, L);
  ref::AccelModel m = decoder_model(dec, cfg, dec.cache.image(cache, 0xA5));
  check_step(m, dec, s, w, cache, r.matrix(1, s.d_model, 0, 1), cfg);
}
