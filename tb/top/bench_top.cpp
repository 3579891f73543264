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
// (zero tiles are skipped); (5) the INT8 (I-BERT) MiniLM layer at T 128
// (row-blocked); (6) one SmolLM2-135M decode step at context 128 and 512
// against its bandwidth roofline. Run by `make bench`; `bench_top_bin --layer
// <model> <T> [<pruned tile fraction>]`, `--layer-int8 <model> <T>`,
// `--decode <context>` or `--gemm <M> <K> <N> int8|bf16` (one tiled GEMM DRAM to
// DRAM) runs one case. NPU_BENCH_JSON=<file> appends each case's figures there
// (make report).
#include "gemm_flow.hpp"
#include "layer_flow.hpp"
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

compiler::ModelDesc model(const std::string& name) {
  return compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/" + name + ".yaml");
}

// A BF16 encoder layer of models/<name>.yaml at T tokens, `sparsity` of its weight tiles pruned.
void bench_layer(tb::TopBench& bench, const std::string& name, unsigned T, double sparsity = 0.0) {
  const compiler::ModelDesc md = model(name);
  tb::run_encoder_bf16(bench, md.name, compiler::layer_shape(md), T, sparsity, 9);
}
void bench_layer_int8(tb::TopBench& bench, const std::string& name, unsigned T) {
  const compiler::ModelDesc md = model(name);
  tb::run_encoder_int8(bench, md.name, compiler::layer_shape(md), T, 11);
}
// One tiled GEMM DRAM to DRAM, bit-exact, and its MAC utilization; returns its cycles.
std::uint64_t bench_gemm(tb::TopBench& bench, unsigned m, unsigned k, unsigned n, const std::string& type) {
  if (type != "int8" && type != "bf16") throw std::invalid_argument("--gemm: the type is int8 or bf16, not " + type);
  compiler::GemmShape s;
  s.m = m, s.k = k, s.n = n;
  s.type = type == "int8" ? compiler::DType::Int8 : compiler::DType::Bf16;
  const compiler::Target t = bench.target();
  const std::uint64_t macs = std::uint64_t{m} * k * n;
  const unsigned peak = t.rows * t.cols * (type == "int8" ? 2 : 1);
  const auto run = tb::run_gemm(bench, s, 7, 20 * (macs / peak) + 2'000'000);  // a few times the ideal
  if (!run.result.ok()) throw std::runtime_error("bench_top: GEMM " + run.result.describe());
  if (run.mismatch) throw std::runtime_error("bench_top: GEMM mismatch " + *run.mismatch);
  const std::string what = fmt::format("GEMM M={} K={} N={} {}", m, k, n, type == "int8" ? "INT8" : "BF16");
  fmt::print("{}: {} cycles, {} commands, MAC utilization {:.1f} % of {} MACs/cycle, DMA read {} bytes, "
             "bit-exact\n", what, run.result.cycles, run.commands,
             100.0 * double(macs) / (double(run.result.cycles) * peak), peak, run.counters.dma_rd_bytes);
  nlohmann::json j = tb::bench_fields("gemm", what, type, run.result.cycles, macs, peak, run.counters, t.bus_bytes);
  j.update({{"m", m}, {"k", k}, {"n", n}});
  tb::bench_record(j);
  return run.result.cycles;
}

// One SmolLM2-135M decode step at context L against its bandwidth roofline.
void bench_decode(tb::TopBench& bench, unsigned L) {
  const compiler::ModelDesc md = model("smollm2-135m");
  tb::run_decode_step(bench, md.name, compiler::layer_shape(md), L, 10);
}

}  // namespace

int main(int argc, char** argv) try {
  tb::TopBench bench(32, options());
  const auto t = bench.target();
  fmt::print("npu_top base ({}x{}, BusBytes {}, {} vector lanes), memory latency 100\n", t.rows, t.cols,
             t.bus_bytes, bench.dev().hw().vec_lanes);
  if ((argc == 4 || argc == 5) && std::string(argv[1]) == "--layer") {
    const double sparsity = argc == 5 ? std::stod(argv[4]) : 0.0;
    if (!(sparsity >= 0.0 && sparsity < 1.0)) throw std::invalid_argument("the pruned tile fraction is not in [0, 1)");
    bench_layer(bench, argv[2], static_cast<unsigned>(std::stoul(argv[3])), sparsity);
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
  if (argc == 6 && std::string(argv[1]) == "--gemm") {
    bench_gemm(bench, static_cast<unsigned>(std::stoul(argv[2])), static_cast<unsigned>(std::stoul(argv[3])),
               static_cast<unsigned>(std::stoul(argv[4])), argv[5]);
    return 0;
  }
  if (argc != 1) {
    fmt::print(stderr, "usage: bench_top_bin [--layer <model in models/> <tokens> [<pruned tile fraction>] | "
                       "--layer-int8 <model> <tokens> | --decode <context> | --gemm <M> <K> <N> int8|bf16]\n");
    return 2;
  }

  // (1) M = 1 GEMM, K = N = 576
  const std::uint64_t int8 = bench_gemm(bench, 1, 576, 576, "int8"), bf16 = bench_gemm(bench, 1, 576, 576, "bf16");
  fmt::print("INT8 / BF16 cycles: {:.3f}\n", double(int8) / double(bf16));

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
  for (const auto& [name, T] : {std::pair<const char*, unsigned>{"minilm-l6", 16}, {"minilm-l6", 32},
                                {"minilm-l6", 128}, {"bert-base", 128}})
    bench_layer(bench, name, T);
  for (double sparsity : {0.25, 0.5}) bench_layer(bench, "minilm-l6", 32, sparsity);
  // (5) the INT8 MiniLM layer at 128 tokens, (6) SmolLM2 decode steps against their bandwidth
  // roofline
  bench_layer_int8(bench, "minilm-l6", 128);
  for (unsigned L : {128u, 512u}) bench_decode(bench, L);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "bench_top: {}\n", e.what());
  return 1;
}
