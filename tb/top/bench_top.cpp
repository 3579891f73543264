// Whole-accelerator figures on `base` (npu_top 16x16, BusBytes 32, 16 vector
// lanes), memory latency 100: (1) the M = 1, K = N = 576 GEMM (one decode-step
// projection of SmolLM2) in INT8 and BF16, DRAM to DRAM, bit-exact; (2) a
// GEMM and a softmax on chip, each alone and both at once (GEMM and VEC
// queues run concurrently), cycles from doorbell to done; (3) one compiled
// BF16 encoder layer of the all-MiniLM-L6-v2 shape (d 384, 12 heads of 32,
// FFN 1536) over 16, 32 and 128 tokens (128: row-blocked) and of the
// bert-base shape (d 768, FFN 3072) over 128 tokens, bit-exact against the
// direct layer reference, with its MAC utilization and engine busy shares;
// (4) the MiniLM layer at T 32 with 25 and 50 % of its weight tiles pruned
// (zero tiles are skipped); (5) the INT8 (I-BERT) MiniLM layer at the longest
// sequence up to 128 its resident lowering fits; (6) one SmolLM2-135M decode
// step at context 128 and 512 against its bandwidth roofline. Run by `make
// bench`; `bench_top_bin --layer <model> <T>`, `--layer-int8 <model> <T>` or
// `--decode <context>` runs one case.
#include "gemm_flow.hpp"
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/compiler/prune.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/layer_int8.hpp"
#include "random_layer.hpp"
#include "top_bench.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <string>

using namespace npu;

namespace {

tb::TopBenchOptions options() {
  tb::TopBenchOptions o;
  o.mem.read_latency = 100;
  o.mem.write_latency = 100;
  o.waves = "";
  return o;
}

std::uint64_t run_cycles(tb::TopBench& b, const std::vector<isa::Command>& cmds) {
  const auto r = b.dev().run(cmds, 50'000'000);
  if (!r.ok()) throw std::runtime_error("bench_top: " + r.describe());
  return r.cycles;
}

struct LayerCase {
  std::string model;  // models/<model>.yaml
  unsigned T;
  double sparsity;
};

// One compiled BF16 encoder layer, doorbell to done, bit-exact against the direct reference.
void bench_layer(tb::TopBench& bench, const LayerCase& lc) {
  const auto t = bench.target();
  const unsigned T = lc.T;
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/" + lc.model + ".yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const ref::AccelConfig cfg = bench.accel_config();
  tb::LayerRand r(9);
  ref::LayerWeightsBf16 w = tb::random_weights(s, r, true);
  compiler::prune_layer_bf16(w, t, lc.sparsity);
  const ref::Matrix<std::uint16_t> x = r.matrix(T, s.d_model, 0, 1);
  const int n = static_cast<int>(T);
  const std::uint32_t bytes = compiler::compile_encoder_layer_bf16(s, w, n, cfg).dram_bytes;
  bench.dev().free_all();
  const rt::Buffer buf = bench.dev().alloc(bytes, 64);
  const compiler::CompiledLayer cl = compiler::compile_encoder_layer_bf16(s, w, n, cfg, buf.addr);
  bench.dev().upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
  bench.dev().upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
  bench.dev().clear_counters();
  const std::uint64_t macs = s.macs(T);
  const std::uint64_t ideal = macs / (t.rows * t.cols);
  const auto res = bench.dev().run(cl.cmds, 4 * ideal + 1'000'000);  // a few times the ideal, plus a margin
  if (!res.ok()) throw std::runtime_error("bench_top: " + res.describe());
  const std::uint64_t cycles = res.cycles;
  const rt::Counters k = bench.dev().counters();
  const auto got = cl.unpack_output(bench.dev().download(buf, cl.output.addr - buf.addr, cl.output.bytes));
  if (auto bad = ref::first_mismatch(got, ref::encoder_layer_bf16(x, s, w), "y"))
    throw std::runtime_error("bench_top: encoder layer mismatch: " + *bad);
  fmt::print("BF16 encoder layer {} shape, T {}{}, {:.0f} % tiles pruned: {} commands, {:>8} cycles (ideal {}), "
             "{} dense MACs, MAC utilization {:.1f} % (of the dense MACs), bit-exact\n",
             md.name, T, cl.row_block ? fmt::format(" (row blocks of {})", cl.row_block) : "", 100 * lc.sparsity,
             cl.cmds.size(), cycles, ideal, macs, 100.0 * double(macs) / (double(cycles) * t.rows * t.cols));
  const auto pct = [&](std::uint64_t busy) { return 100.0 * double(busy) / double(k.cycles); };
  fmt::print("  busy: GEMM {:.1f} %, VEC {:.1f} %, LOAD {:.1f} %, STORE {:.1f} % of {} cycles; DMA read {} bytes "
             "({:.1f} bytes/cycle), written {} bytes\n",
             pct(k.gemm_busy), pct(k.vec_busy), pct(k.load_busy), pct(k.store_busy), k.cycles, k.dma_rd_bytes,
             double(k.dma_rd_bytes) / double(k.cycles), k.dma_wr_bytes);
  fmt::print("  stalled (a command started, waiting for data or a port): GEMM {:.1f} %, VEC {:.1f} %, LOAD {:.1f} %, "
             "STORE {:.1f} %; MACs counted {} ({:.1f} % of peak while GEMM busy)\n",
             pct(k.gemm_stall), pct(k.vec_stall), pct(k.load_stall), pct(k.store_stall), k.macs,
             100.0 * k.mac_utilization(bench.dev().hw()));
}

// One SmolLM2-135M decode step at context L (a cache of L random positions written by
// KvCacheLayout::put), doorbell to done, bit-exact against the direct reference, and its
// bandwidth roofline: the weights' own bytes (2 per BF16 weight) and the K/V bytes it reads,
// over the bus bytes per cycle.
void bench_decode(tb::TopBench& bench, unsigned L) {
  const auto t = bench.target();
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/smollm2-135m.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const ref::AccelConfig cfg = bench.accel_config();
  tb::LayerRand r(10);
  const ref::LayerWeightsBf16 w = tb::random_weights(s, r, false);
  bench.dev().free_all();
  const std::uint32_t bytes = compiler::CompiledDecoder(s, w, L + 1, cfg).dram_bytes;
  const rt::Buffer buf = bench.dev().alloc(bytes, 64);
  const compiler::CompiledDecoder dec(s, w, L + 1, cfg, buf.addr);
  bench.dev().upload(buf, dec.weights_image, dec.weights.addr - buf.addr);
  ref::KvCache cache = tb::random_cache(s, r, L);
  bench.dev().upload(buf, dec.cache.image(cache), dec.cache.addr - buf.addr);
  const ref::Matrix<std::uint16_t> x = r.matrix(1, s.d_model, 0, 1);
  const ref::Matrix<std::uint16_t> want = ref::decoder_layer_bf16(x, s, w, cache);
  const compiler::CompiledLayer cl = dec.step(L, 1);
  bench.dev().upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
  bench.dev().clear_counters();
  const std::uint64_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn;
  const std::uint64_t weight_bytes = 2 * (d * (q + 2 * kv) + q * d + 3 * d * f);
  const std::uint64_t kv_bytes = 2 * 2 * std::uint64_t{L} * kv;
  const std::uint64_t roofline = (weight_bytes + kv_bytes) / t.bus_bytes;
  const auto res = bench.dev().run(cl.cmds, 8 * roofline + 1'000'000);  // a few times the roofline, plus a margin
  if (!res.ok()) throw std::runtime_error("bench_top: decode step: " + res.describe());
  const rt::Counters k = bench.dev().counters();
  const auto got = cl.unpack_output(bench.dev().download(buf, cl.output.addr - buf.addr, cl.output.bytes));
  if (auto bad = ref::first_mismatch(got, want, "y"))
    throw std::runtime_error("bench_top: decode step mismatch: " + *bad);
  fmt::print("BF16 decoder layer {} shape, one decode step at context {}: {} commands, {:>7} cycles; bandwidth "
             "roofline {} cycles ({} weight + {} K/V bytes / {} per cycle): {:.2f} x the roofline, bit-exact\n",
             md.name, L, cl.cmds.size(), res.cycles, roofline, weight_bytes, kv_bytes, t.bus_bytes,
             double(res.cycles) / double(roofline));
  const auto pct = [&](std::uint64_t busy) { return 100.0 * double(busy) / double(k.cycles); };
  fmt::print("  busy: GEMM {:.1f} %, VEC {:.1f} %, LOAD {:.1f} %, STORE {:.1f} %; stalled: GEMM {:.1f} %, LOAD {:.1f} %; "
             "DMA read {} bytes ({:.1f} bytes/cycle)\n",
             pct(k.gemm_busy), pct(k.vec_busy), pct(k.load_busy), pct(k.store_busy), pct(k.gemm_stall),
             pct(k.load_stall), k.dma_rd_bytes, double(k.dma_rd_bytes) / double(k.cycles));
}

// One compiled INT8 (I-BERT) encoder layer of `model` at T tokens (row-blocked where it does
// not fit ASPAD), bit-exact against ref::encoder_layer_int8; utilization against the INT8 peak
// of 2 * Rows * Cols MACs.
void bench_layer_int8(tb::TopBench& bench, const std::string& model, unsigned T) {
  const auto t = bench.target();
  const compiler::ModelDesc md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/" + model + ".yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const ref::AccelConfig cfg = bench.accel_config();
  tb::LayerRand r(11);
  const ref::LayerWeightsBf16 wb = tb::random_weights(s, r, true);
  // Scales calibrated on 16 rows.
  const ref::QuantLayer ql =
      ref::quantize_encoder_layer(wb, s, ref::calibrate_encoder_int8(ref::bf16_to_f64(r.matrix(16, s.d_model, 0, 1)), s, wb), true);
  const ref::Matrix<std::int8_t> xq = ref::quantize_tensor_int8(ref::bf16_to_f64(r.matrix(T, s.d_model, 0, 1)), ql.p.scales.x);
  const std::uint32_t bytes = compiler::compile_encoder_layer_int8(s, ql, static_cast<int>(T), cfg).dram_bytes;
  bench.dev().free_all();
  const rt::Buffer buf = bench.dev().alloc(bytes, 64);
  const compiler::CompiledLayer cl = compiler::compile_encoder_layer_int8(s, ql, static_cast<int>(T), cfg, buf.addr);
  bench.dev().upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
  bench.dev().upload(buf, cl.pack_input_i8(xq), cl.input.addr - buf.addr);
  bench.dev().clear_counters();
  const std::uint64_t macs = s.macs(T);
  const std::uint64_t ideal = macs / (2 * t.rows * t.cols);
  const auto res = bench.dev().run(cl.cmds, 8 * ideal + 1'000'000);  // a few times the ideal, plus a margin
  if (!res.ok()) throw std::runtime_error("bench_top: INT8 layer: " + res.describe());
  const rt::Counters k = bench.dev().counters();
  const auto got = cl.unpack_output_i8(bench.dev().download(buf, cl.output.addr - buf.addr, cl.output.bytes));
  const auto want = ref::encoder_layer_int8(xq, s, ql);
  for (std::size_t i = 0; i < T; ++i)
    for (std::size_t c = 0; c < s.d_model; ++c)
      if (got(i, c) != want(i, c))
        throw std::runtime_error(fmt::format("bench_top: INT8 layer mismatch: tensor y row {} col {}: got {} want {}", i,
                                             c, got(i, c), want(i, c)));
  fmt::print("INT8 encoder layer {} shape, T {} (row blocks of {}): {} commands, "
             "{:>8} cycles (ideal {}), {} MACs, MAC utilization {:.1f} % of the INT8 peak ({} MACs/cycle), bit-exact\n",
             md.name, T, cl.row_block, cl.cmds.size(), res.cycles, ideal, macs,
             100.0 * double(macs) / (double(res.cycles) * 2 * t.rows * t.cols), 2 * t.rows * t.cols);
  const auto pct = [&](std::uint64_t busy) { return 100.0 * double(busy) / double(k.cycles); };
  fmt::print("  busy: GEMM {:.1f} %, VEC {:.1f} %, LOAD {:.1f} %, STORE {:.1f} %; stalled: GEMM {:.1f} %, VEC {:.1f} %, "
             "LOAD {:.1f} %; DMA read {} bytes\n",
             pct(k.gemm_busy), pct(k.vec_busy), pct(k.load_busy), pct(k.store_busy), pct(k.gemm_stall),
             pct(k.vec_stall), pct(k.load_stall), k.dma_rd_bytes);
}

}  // namespace

int main(int argc, char** argv) try {
  tb::TopBench bench(32, options());
  const auto t = bench.target();
  fmt::print("npu_top base ({}x{}, BusBytes {}, {} vector lanes), memory latency 100\n", t.rows, t.cols,
             t.bus_bytes, bench.dev().hw().vec_lanes);
  if (argc == 4 && std::string(argv[1]) == "--layer") {
    bench_layer(bench, {argv[2], static_cast<unsigned>(std::stoul(argv[3])), 0.0});
    return 0;
  }
  if (argc == 4 && std::string(argv[1]) == "--layer-int8") {
    bench_layer_int8(bench, argv[2], static_cast<unsigned>(std::stoul(argv[3])));
    return 0;
  }
  if (argc == 3 && std::string(argv[1]) == "--decode") {
    bench_decode(bench, static_cast<unsigned>(std::stoul(argv[2])));
    return 0;
  }
  if (argc != 1) {
    fmt::print(stderr, "usage: bench_top_bin [--layer <model in models/> <tokens> | --layer-int8 <model> <tokens> | "
                       "--decode <context>]\n");
    return 2;
  }

  // (1) M = 1 GEMM, K = N = 576
  std::uint64_t cyc[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    compiler::GemmShape s;
    s.m = 1, s.k = 576, s.n = 576;
    s.type = i == 0 ? compiler::DType::Int8 : compiler::DType::Bf16;
    const auto run = tb::run_gemm(bench, s, 7, 50'000'000);
    if (!run.result.ok()) throw std::runtime_error("bench_top: GEMM " + run.result.describe());
    if (run.mismatch) throw std::runtime_error("bench_top: GEMM mismatch " + *run.mismatch);
    cyc[i] = run.result.cycles;
    fmt::print("GEMM M=1 K=576 N=576 {:<4}: {:>7} cycles, {} commands, DMA read {} bytes, bit-exact\n",
               i == 0 ? "INT8" : "BF16", cyc[i], run.commands, run.counters.dma_rd_bytes);
  }
  fmt::print("INT8 / BF16 cycles: {:.3f}\n", double(cyc[0]) / double(cyc[1]));

  // (2) GEMM and softmax on chip: A at ASPAD [0, 2048), scores at [4096, 5632), probabilities at 6000
  isa::GemmArgs g;
  g.bf16 = true;
  g.m = 512, g.k_tiles = 4, g.n_tiles = 2;
  g.a_addr = 0, g.a_kstride = 512;
  g.w_addr = 0, g.w_kstride = t.rows, g.w_nstride = 4 * t.rows;
  g.acc_addr = 0, g.acc_nstride = 512;
  isa::VecArgs v;
  v.func = isa::VecFunc::SoftmaxBf16;
  v.rows = 96, v.n = 256;
  v.src = {4096, isa::Space::Aspad, 16, 1, 16};
  v.dst = {6000, isa::Space::Aspad, 16, 1, 16};
  v.cfg = {0x3DB504F3u /* 1/sqrt(64) * 0.71 */, 0, 0, 0};
  const std::uint64_t gemm = run_cycles(bench, {isa::gemm(g)});
  const std::uint64_t soft = run_cycles(bench, {isa::vec(v)});
  const std::uint64_t both = run_cycles(bench, {isa::gemm(g), isa::vec(v)});
  fmt::print("GEMM BF16 m=512 k_tiles=4 n_tiles=2 alone: {:>7} cycles\n", gemm);
  fmt::print("SOFTMAX_BF16 96 rows x 256 alone:          {:>7} cycles ({:.2f} element-passes/cycle)\n", soft,
             96.0 * 256 * 3 / double(soft));
  fmt::print("both at once (GEMM and VEC queues):        {:>7} cycles = {:.3f} x the longer alone\n", both,
             double(both) / double(std::max(gemm, soft)));

  // (3) compiled encoder layers; (4) the T = 32 layer with 25 and 50 % of its weight tiles pruned
  for (const LayerCase& lc : {LayerCase{"minilm-l6", 16, 0.0}, LayerCase{"minilm-l6", 32, 0.0},
                              LayerCase{"minilm-l6", 128, 0.0}, LayerCase{"bert-base", 128, 0.0},
                              LayerCase{"minilm-l6", 32, 0.25}, LayerCase{"minilm-l6", 32, 0.5}})
    bench_layer(bench, lc);
  // (5) the INT8 MiniLM layer at the longest sequence it fits, (6) SmolLM2 decode steps against
  // their bandwidth roofline
  bench_layer_int8(bench, "minilm-l6", 128);
  for (unsigned L : {128u, 512u}) bench_decode(bench, L);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "bench_top: {}\n", e.what());
  return 1;
}
