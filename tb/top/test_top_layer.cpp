// Compiled transformer layers (npu::compiler::compile_encoder_layer_bf16,
// compile_encoder_stack_bf16, compile_encoder_layer_int8, CompiledDecoder) run DRAM to DRAM through the
// Verilated npu_top and equal, bit for bit, the direct layer reference
// (npu::ref::encoder_layer_bf16, encoder_layer_int8, decoder_layer_bf16),
// which is written from the op-level functions and never sees the command
// stream.
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/compiler/prune.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/layer_int8.hpp"
#include "npu/runtime/model_transport.hpp"
#include "random_layer.hpp"
#include "top_bench.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

using namespace npu;
using npu::tb::TopBench;

namespace {

// Random weights (with biases) and input of `s` over T tokens from `seed`, and the
// reference output.
struct LayerData {
  ref::LayerWeightsBf16 w;
  ref::Matrix<std::uint16_t> x, want;
};
LayerData random_layer(const ref::LayerShape& s, unsigned T, std::uint64_t seed) {
  tb::LayerRand r(seed);
  LayerData d;
  d.w = random_weights(s, r, true);
  d.x = r.matrix(T, s.d_model, 0, 1);
  d.want = ref::encoder_layer_bf16(d.x, s, d.w);
  return d;
}

// The cycle budget of a layer: every MAC of its GEMMs at one per PE per
// cycle, every bus word it moves and every element of its VEC work at one
// per cycle, plus 2,000 cycles per command (DRAM round trips, fill and
// drain, the serial token chain), times 4.
std::uint64_t layer_timeout(const ref::LayerShape& s, unsigned T, const ref::AccelConfig& c, std::size_t cmds) {
  const std::uint64_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn, t = T;
  const std::uint64_t macs = s.macs(t);
  const std::uint64_t words = (d * (q + 2 * kv) + q * d + 2 * d * f) * 2 / c.bus_bytes + 4 * t * d;
  const std::uint64_t elems = 8 * t * (d + f) + 3 * s.heads * t * t;
  return 4 * (macs / (c.rows * c.cols) + words + elems + 2000 * cmds);
}

// Uploads x, runs the layer's commands within `timeout` cycles and requires
// its output (in `buf`) to equal `want` bit for bit.
// BF16 (uint16_t bit patterns) or INT8 layers.
template <class E>
void run_and_compare(TopBench& tb, const rt::Buffer& buf, const compiler::CompiledLayer& cl, const ref::Matrix<E>& x,
                     const ref::Matrix<E>& want, std::uint64_t timeout) {
  constexpr bool int8 = std::is_same_v<E, std::int8_t>;
  auto& dev = tb.dev();
  if constexpr (int8) dev.upload(buf, cl.pack_input_i8(x), cl.input.addr - buf.addr);
  else dev.upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
  INFO(fmt::format("{} commands, timeout {} cycles", cl.cmds.size(), timeout));
  const auto res = dev.run(cl.cmds, timeout);
  INFO(res.describe());
  REQUIRE(res.ok());
  const auto bytes = dev.download(buf, cl.output.addr - buf.addr, cl.output.bytes);
  ref::Matrix<E> got;
  if constexpr (int8) got = cl.unpack_output_i8(bytes);
  else got = cl.unpack_output(bytes);
  const auto bad = ref::first_mismatch(got, want, "y");
  INFO(fmt::format("{} (run ended at cycle {})", bad.value_or("equal"), tb.cycle()));
  REQUIRE_FALSE(bad);
}

}  // namespace

TEST_CASE("A compiled BF16 encoder layer runs on npu_top and equals the direct layer reference bit for bit") {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  ref::LayerShape odd;  // nothing a multiple of the 4x5 array; 3 heads of 8
  odd.d_model = 24, odd.heads = 3, odd.kv_heads = 3, odd.head_dim = 8, odd.ffn = 40, odd.eps = 1e-12f;
  struct Case {
    ref::LayerShape s;
    unsigned T;
  };
  const Case cases[] = {{compiler::layer_shape(md), static_cast<unsigned>(md.seq_len)}, {odd, 13}};
  for (auto seed : tb::test_seeds({41, 42})) {
    for (const Case& k : cases) {
      const ref::LayerShape& s = k.s;
      const unsigned T = k.T;
      INFO("seed " << seed << " (replay: NPU_SEED=" << seed << "), T " << T << " d " << s.d_model << " heads "
                   << s.heads << " ffn " << s.ffn);
      TopBench tb(16);
      auto& dev = tb.dev();
      const ref::AccelConfig cfg = tb.accel_config();
      const auto [w, x, want] = random_layer(s, T, seed);

      // Compile once for the size, then at the buffer the device gives it.
      const std::uint32_t bytes = compiler::compile_encoder_layer_bf16(s, w, static_cast<int>(T), cfg).dram_bytes;
      const rt::Buffer buf = dev.alloc(bytes, 64);
      const compiler::CompiledLayer cl = compiler::compile_encoder_layer_bf16(s, w, static_cast<int>(T), cfg, buf.addr);
      dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
      run_and_compare(tb, buf, cl, x, want, layer_timeout(s, T, cfg, cl.cmds.size()));
    }
  }
}

namespace {

// The stream `cl` (in `buf` of `bytes` on the RTL device `dev`, already run) through the
// same driver on the functional model (ModelTransport): the whole region it wrote after
// the output address, byte for byte.
void same_on_model(rt::Device& dev, const rt::Buffer& buf, const compiler::CompiledLayer& cl, std::uint32_t bytes,
                   const std::vector<std::uint8_t>& input, const ref::AccelConfig& cfg, std::uint64_t timeout) {
  rt::ModelTransport mt(cfg);
  rt::Device mdev(mt, {TopBench::kWindowBase, TopBench::kWindowSize});
  const rt::Buffer mbuf = mdev.alloc(bytes, 64);
  REQUIRE(mbuf.addr == buf.addr);  // the same allocator over the same window
  mdev.upload(mbuf, cl.weights_image, cl.weights.addr - mbuf.addr);
  mdev.upload(mbuf, input, cl.input.addr - mbuf.addr);
  const auto mres = mdev.run(cl.cmds, timeout);
  INFO(mres.describe());
  REQUIRE(mres.ok());
  const std::size_t out_off = cl.output.addr - buf.addr, out_len = bytes - out_off;
  const auto rtl_bytes = dev.download(buf, out_off, out_len), model_bytes = mdev.download(mbuf, out_off, out_len);
  std::size_t i = 0;
  while (i < out_len && rtl_bytes[i] == model_bytes[i]) ++i;
  INFO(fmt::format("RTL vs model: first differing byte {} of {} after the output address", i, out_len));
  REQUIRE(i == out_len);
}

// Two layers of `s` over T tokens as one stream (row blocks of `row_block` rows, or 0: the
// compiler's choice): layer 0's output and the stack's output bit for bit on npu_top, and the
// same stream on the functional model leaves the same bytes.
void check_stack_on_top(const ref::LayerShape& s, unsigned T, unsigned row_block, std::uint64_t default_seed) {
  for (auto seed : tb::test_seeds({default_seed})) {
    INFO("seed " << seed << " (replay: NPU_SEED=" << seed << "), T " << T << ", row_block " << row_block);
    TopBench tb(16);
    auto& dev = tb.dev();
    const ref::AccelConfig cfg = tb.accel_config();
    tb::LayerRand r(seed);
    const std::vector<ref::LayerWeightsBf16> w{random_weights(s, r, true), random_weights(s, r, true)};
    const ref::Matrix<std::uint16_t> x = r.matrix(T, s.d_model, 0, 1);
    const ref::Matrix<std::uint16_t> y0 = ref::encoder_layer_bf16(x, s, w[0]);
    const ref::Matrix<std::uint16_t> want = ref::encoder_layer_bf16(y0, s, w[1]);

    compiler::StackOptions opt;
    opt.store_layer_outputs = true;  // layer 0's output too, to name the layer that differs
    opt.row_block = row_block;
    const int n = static_cast<int>(T);
    const std::uint32_t bytes = compiler::compile_encoder_stack_bf16(s, w, n, cfg, opt).dram_bytes;
    const rt::Buffer buf = dev.alloc(bytes, 64);
    const compiler::CompiledLayer cl = compiler::compile_encoder_stack_bf16(s, w, n, cfg, opt, buf.addr);
    REQUIRE(cl.row_block == row_block);
    dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
    // The layer-0 comparison first: run_and_compare requires the stack's output.
    dev.upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
    const std::uint64_t timeout = 2 * layer_timeout(s, T, cfg, cl.cmds.size());
    const auto res = dev.run(cl.cmds, timeout);
    INFO(res.describe());
    REQUIRE(res.ok());
    const compiler::DramRegion& tap = cl.layer_outputs.at(0);
    const auto bad0 = ref::first_mismatch(cl.unpack_a(dev.download(buf, tap.addr - buf.addr, tap.bytes)), y0,
                                          "layer 0 y");
    INFO(bad0.value_or("layer 0 equal"));
    REQUIRE_FALSE(bad0);
    run_and_compare(tb, buf, cl, x, want, timeout);

    same_on_model(dev, buf, cl, bytes, cl.pack_input(x), cfg, timeout);
  }
}

}  // namespace

TEST_CASE("A compiled stack of two BF16 encoder layers runs as one stream on npu_top, bit for bit per layer") {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  check_stack_on_top(compiler::layer_shape(md), static_cast<unsigned>(md.seq_len), 0, 45);
}

TEST_CASE("A row-blocked BF16 encoder stack (attention output and layer outputs in DRAM) runs on npu_top bit for bit") {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  check_stack_on_top(compiler::layer_shape(md), static_cast<unsigned>(md.seq_len), 3, 46);
  ref::LayerShape odd;  // 13 rows in blocks of 5, 5, 3
  odd.d_model = 24, odd.heads = 3, odd.kv_heads = 3, odd.head_dim = 8, odd.ffn = 40, odd.eps = 1e-12f;
  check_stack_on_top(odd, 13, 5, 47);
}

TEST_CASE("A pruned BF16 encoder layer skips its zero tiles on npu_top and equals the reference bit for bit") {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const auto T = static_cast<unsigned>(md.seq_len);
  for (auto seed : tb::test_seeds({46})) {
    for (const double sparsity : {0.25, 0.5}) {
      INFO("seed " << seed << " (replay: NPU_SEED=" << seed << "), sparsity " << sparsity);
      TopBench tb(16);
      auto& dev = tb.dev();
      const ref::AccelConfig cfg = tb.accel_config();
      tb::LayerRand r(seed);
      ref::LayerWeightsBf16 w = random_weights(s, r, true);
      compiler::prune_layer_bf16(w, compiler::target_of(cfg), sparsity);
      const ref::Matrix<std::uint16_t> x = r.matrix(T, s.d_model, 0, 1);
      const int n = static_cast<int>(T);
      const std::uint32_t bytes = compiler::compile_encoder_layer_bf16(s, w, n, cfg).dram_bytes;
      const rt::Buffer buf = dev.alloc(bytes, 64);
      const compiler::CompiledLayer cl = compiler::compile_encoder_layer_bf16(s, w, n, cfg, buf.addr);
      dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
      run_and_compare(tb, buf, cl, x, ref::encoder_layer_bf16(x, s, w), layer_timeout(s, T, cfg, cl.cmds.size()));
    }
  }
}

namespace {

// test-decoder: a prefill of its seq_len tokens, then `decodes` steps; output and DRAM cache bit
// for bit after every call. Returns the largest K/V chunk of a step (0: none streamed).
unsigned check_decoder_on_top(unsigned decodes, std::uint64_t default_seed) {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-decoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const auto T = static_cast<unsigned>(md.seq_len);
  const unsigned kDecodes = decodes;
  unsigned chunk = 0;
  for (auto seed : tb::test_seeds({default_seed})) {
    INFO("seed " << seed << " (replay: NPU_SEED=" << seed << ")");
    TopBench tb(16);
    auto& dev = tb.dev();
    const ref::AccelConfig cfg = tb.accel_config();
    tb::LayerRand r(seed);
    const ref::LayerWeightsBf16 w = random_weights(s, r, false);
    // Packed once for the size, then at the buffer the device gives it.
    const std::uint32_t bytes = compiler::CompiledDecoder(s, w, T + kDecodes, cfg).dram_bytes;
    const rt::Buffer buf = dev.alloc(bytes, 64);
    const compiler::CompiledDecoder dec(s, w, T + kDecodes, cfg, buf.addr);
    dev.upload(buf, dec.weights_image, dec.weights.addr - buf.addr);
    ref::KvCache cache;
    for (unsigned step = 0; step <= kDecodes; ++step) {
      const unsigned L = static_cast<unsigned>(cache.length()), n = step == 0 ? T : 1;
      INFO("cache length " << L << ", tokens " << n);
      const ref::Matrix<std::uint16_t> x = r.matrix(n, s.d_model, 0, 1);
      const ref::Matrix<std::uint16_t> want = ref::decoder_layer_bf16(x, s, w, cache);
      const compiler::CompiledLayer cl = dec.step(L, n);
      chunk = std::max(chunk, cl.kv_chunk);
      run_and_compare(tb, buf, cl, x, want, layer_timeout(s, L + n, cfg, cl.cmds.size()));
      const auto region = dev.download(buf, dec.cache.addr - buf.addr, dec.cache.bytes);
      for (unsigned g = 0; g < s.kv_heads; ++g) {
        const auto len = static_cast<unsigned>(cache.length());
        const auto bad_k = ref::first_mismatch(dec.cache.k(region, g, len), cache.k[g], fmt::format("cache.k{}", g));
        const auto bad_v = ref::first_mismatch(dec.cache.v(region, g, len), cache.v[g], fmt::format("cache.v{}", g));
        INFO(bad_k.value_or("cache K equal") << "; " << bad_v.value_or("cache V equal"));
        REQUIRE_FALSE(bad_k);
        REQUIRE_FALSE(bad_v);
      }
    }
  }
  return chunk;
}

}  // namespace

TEST_CASE("A compiled BF16 decoder layer runs prefill and decode steps on npu_top bit for bit, KV cache in DRAM") {
  CHECK(check_decoder_on_top(2, 43) == 0);
}

TEST_CASE("Decode steps at a context too long for WSPAD stream K/V from the DRAM cache on npu_top, bit for bit") {
  CHECK(check_decoder_on_top(9, 48) > 0);  // 16 and more positions stream on small
}

TEST_CASE("A compiled INT8 (I-BERT) encoder layer runs on npu_top and equals the direct layer reference bit for bit") {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const auto T = static_cast<unsigned>(md.seq_len);
  // One block of every row, and blocks of 4 (the last one short).
  for (auto seed : tb::test_seeds({44}))
    for (unsigned row_block : {0u, 4u}) {
      INFO("seed " << seed << " (replay: NPU_SEED=" << seed << "), row block " << row_block);
      TopBench tb(16);
      auto& dev = tb.dev();
      const ref::AccelConfig cfg = tb.accel_config();
      tb::LayerRand r(seed);
      const ref::LayerWeightsBf16 wb = random_weights(s, r, true);
      const ref::Matrix<double> xd = ref::bf16_to_f64(r.matrix(T, s.d_model, 0, 1));
      const ref::QuantLayer ql = ref::quantize_encoder_layer(wb, s, ref::calibrate_encoder_int8(xd, s, wb), true);
      const ref::Matrix<std::int8_t> xq = ref::quantize_tensor_int8(xd, ql.p.scales.x);
      const ref::Matrix<std::int8_t> want = ref::encoder_layer_int8(xq, s, ql);

      const int n = static_cast<int>(T);
      const std::uint32_t bytes = compiler::compile_encoder_layer_int8(s, ql, n, cfg, 0x10000, row_block).dram_bytes;
      const rt::Buffer buf = dev.alloc(bytes, 64);
      const compiler::CompiledLayer cl = compiler::compile_encoder_layer_int8(s, ql, n, cfg, buf.addr, row_block);
      CHECK(cl.row_block == (row_block ? row_block : T));
      dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
      run_and_compare(tb, buf, cl, xq, want, layer_timeout(s, T, cfg, cl.cmds.size()));
    }
}

TEST_CASE("A two-layer INT8 (I-BERT) encoder stack runs on npu_top bit for bit, layer 0's output in DRAM") {
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const auto T = static_cast<unsigned>(md.seq_len);
  REQUIRE(md.layers == 2);
  for (auto seed : tb::test_seeds({47})) {
    INFO("seed " << seed << " (replay: NPU_SEED=" << seed << ")");
    TopBench tb(16);
    auto& dev = tb.dev();
    const ref::AccelConfig cfg = tb.accel_config();
    tb::LayerRand r(seed);
    std::vector<ref::QuantLayer> layers;
    for (int l = 0; l < md.layers; ++l) {
      const ref::LayerWeightsBf16 wb = random_weights(s, r, true);
      const ref::Matrix<double> cal = ref::bf16_to_f64(r.matrix(T, s.d_model, 0, 1));
      layers.push_back(ref::quantize_encoder_layer(wb, s, ref::calibrate_encoder_int8(cal, s, wb), true));
    }
    const ref::Matrix<std::int8_t> xq =
        ref::quantize_tensor_int8(ref::bf16_to_f64(r.matrix(T, s.d_model, 0, 1)), layers[0].p.scales.x);
    const ref::Matrix<std::int8_t> want = ref::encoder_layer_int8(ref::encoder_layer_int8(xq, s, layers[0]), s, layers[1]);
    const int n = static_cast<int>(T);
    const rt::Buffer buf = dev.alloc(compiler::compile_encoder_stack_int8(s, layers, n, cfg).dram_bytes, 64);
    const compiler::CompiledLayer cl = compiler::compile_encoder_stack_int8(s, layers, n, cfg, {}, buf.addr);
    dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
    run_and_compare(tb, buf, cl, xq, want, 2 * layer_timeout(s, T, cfg, cl.cmds.size()));
  }
}

TEST_CASE("A soft or hard reset in the middle of a compiled layer stops it cleanly and the layer then runs bit for bit") {
  // LOAD, GEMM, VEC and STORE overlap in a compiled layer: stopping it at cycles spread over
  // its run catches every engine mid-command. The device must go idle within a bound with no
  // AXI violation (the monitor throws), and the whole layer run again must equal the reference.
  ref::LayerShape s;
  s.d_model = 24, s.heads = 3, s.kv_heads = 3, s.head_dim = 8, s.ffn = 40, s.eps = 1e-12f;
  const unsigned T = 13;
  for (auto seed : tb::test_seeds({48})) {
    INFO("seed " << seed << " (replay: NPU_SEED=" << seed << ")");
    TopBench tb(16);
    auto& dev = tb.dev();
    const ref::AccelConfig cfg = tb.accel_config();
    const auto [w, x, want] = random_layer(s, T, seed);
    compiler::StackOptions opt;
    opt.row_block = 4;  // several phases: attention, then four row blocks with their STOREs
    const int n = static_cast<int>(T);
    const std::vector<ref::LayerWeightsBf16> one{w};
    const std::uint32_t bytes = compiler::compile_encoder_stack_bf16(s, one, n, cfg, opt).dram_bytes;
    const rt::Buffer buf = dev.alloc(bytes, 64);
    const compiler::CompiledLayer cl = compiler::compile_encoder_stack_bf16(s, one, n, cfg, opt, buf.addr);
    dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
    const std::uint64_t timeout = layer_timeout(s, T, cfg, cl.cmds.size());
    dev.upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
    const auto full = dev.run(cl.cmds, timeout);
    REQUIRE(full.ok());
    const std::uint64_t N = full.cycles;
    unsigned bus_cut = 0;  // cuts with an AXI burst requested or in flight
    for (unsigned i = 1; i < 12; ++i) {
      const std::uint64_t cut = N * i / 12;
      INFO("soft reset at cycle " << cut << " of " << N);
      dev.upload(buf, std::vector<std::uint8_t>(cl.output.bytes, 0xA5), cl.output.addr - buf.addr);
      const auto part = dev.run(cl.cmds, cut);
      REQUIRE(part.status == rt::RunResult::Status::Timeout);  // stopped in the middle
      const auto& d = tb.transport().dut();
      bus_cut += !tb.transport().memory().idle() || d.m_axi_arvalid_o || d.m_axi_awvalid_o || d.m_axi_wvalid_o;
      REQUIRE_NOTHROW(dev.soft_reset(100'000));
      CHECK((dev.status() & 0x7u) == 0x4u);  // IDLE, not BUSY, no FAULT
      run_and_compare(tb, buf, cl, x, want, timeout);
    }
    INFO(bus_cut << " of 11 cuts with an AXI burst in flight");
    CHECK(bus_cut > 0);

    // A hard reset of the whole system (accelerator and memory) in the middle of bursts: a new
    // driver on the same memory contents, the layer uploaded again, run bit for bit.
    unsigned burst_cuts = 0;
    for (unsigned i = 1; i < 6; ++i) {
      const std::uint64_t cut = N * i / 6;
      INFO("hard reset at cycle " << cut << " of " << N);
      REQUIRE(tb.dev().run(cl.cmds, cut).status == rt::RunResult::Status::Timeout);
      burst_cuts += !tb.transport().memory().idle();
      tb.hard_reset();
      auto& dev2 = tb.dev();
      CHECK((dev2.status() & 0x7u) == 0x4u);
      const rt::Buffer buf2 = dev2.alloc(bytes, 64);
      REQUIRE(buf2.addr == buf.addr);  // the same allocator over the same window: the stream's addresses hold
      dev2.upload(buf2, cl.weights_image, cl.weights.addr - buf2.addr);
      dev2.upload(buf2, std::vector<std::uint8_t>(cl.output.bytes, 0xA5), cl.output.addr - buf2.addr);
      run_and_compare(tb, buf2, cl, x, want, timeout);
    }
    INFO(burst_cuts << " of 5 hard resets with a burst in flight");
    CHECK(burst_cuts > 0);
  }
}
