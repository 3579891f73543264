// One compiled transformer layer through the whole accelerator: random
// weights (seeded), compiled by npu::compiler, run DRAM to DRAM on npu_top,
// checked bit for bit against the direct layer reference (npu::ref), and its
// figures printed: cycles against the MAC-bound ideal or the bandwidth
// roofline, the engines' busy and stall shares, and the stream's work per
// command kind and VEC function. Used by bench_top (make bench) and npu_sim
// --model (make sim MODEL=...). With NPU_BENCH_JSON=<file> each case also
// appends its figures there as one JSON line (make report plots them).
#pragma once

#include "random_layer.hpp"
#include "top_bench.hpp"

#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/compiler/prune.hpp"
#include "npu/isa.hpp"
#include "npu/ref/layer.hpp"
#include "npu/ref/layer_int8.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace npu::tb {

// NPU_BENCH_JSON=<file>: appends `record` there as one JSON line (scripts/report.py reads them).
inline void bench_record(const nlohmann::json& record) {
  const char* path = std::getenv("NPU_BENCH_JSON");
  if (path == nullptr || *path == '\0') return;
  std::ofstream f(path, std::ios::app);
  if (!(f << record.dump() << '\n')) throw std::runtime_error(std::string("NPU_BENCH_JSON: cannot append to ") + path);
}

// The fields every record has: what ran, its cycles, MACs and DRAM traffic.
inline nlohmann::json bench_fields(const std::string& kind, const std::string& what, const std::string& dtype,
                                   std::uint64_t cycles, std::uint64_t macs, unsigned peak, const rt::Counters& k,
                                   unsigned bus_bytes) {
  return {{"kind", kind}, {"what", what}, {"dtype", dtype}, {"cycles", cycles}, {"macs", macs},
          {"peak_macs_per_cycle", peak}, {"dma_rd_bytes", k.dma_rd_bytes}, {"dma_wr_bytes", k.dma_wr_bytes},
          {"bus_bytes", bus_bytes}};
}

struct LayerFigures {
  std::uint64_t cycles = 0;
  std::uint64_t bound = 0;  // the MAC-bound ideal (encoders) or the bandwidth roofline (decode)
};

// The stream's work: per command kind and VEC function (commands, GEMM MACs
// issued, LOAD/STORE bytes, VEC element-passes and the cycles they take at
// `lanes` elements per cycle), and per op of the layer (what the compiler
// labelled each command with: GEMM cycles at one tile row per cycle, VEC
// cycles, DMA bytes); then the engines' measured busy and stall shares.
// Returns the per-op work and the busy shares for bench_record.
inline nlohmann::json print_breakdown(const compiler::CompiledLayer& cl, const rt::Counters& k, const compiler::Target& t,
                            unsigned lanes) {
  struct Work {
    std::size_t cmds = 0;
    std::uint64_t amount = 0;
  };
  struct OpWork {
    std::size_t cmds = 0;
    std::uint64_t gemm_cycles = 0, vec_cycles = 0, dma_bytes = 0;
  };
  Work gemm, load, store;
  std::map<std::string, Work> vec;
  std::vector<OpWork> ops(std::max<std::size_t>(cl.op_names.size(), 1));
  for (std::size_t i = 0; i < cl.cmds.size(); ++i) {
    const isa::Command& c = cl.cmds[i];
    const isa::Work w = isa::work_of(c);
    OpWork& op = ops.at(i < cl.op_of.size() ? cl.op_of[i] : 0);
    op.cmds++;
    op.gemm_cycles += w.gemm_rows;
    op.vec_cycles += (w.vec_passes + lanes - 1) / lanes;
    op.dma_bytes += w.dma_words * t.bus_bytes;
    switch (c.op()) {
      case isa::Op::Gemm:
        gemm.cmds++;
        gemm.amount += w.gemm_rows * t.rows * t.cols * (w.int8 ? 2 : 1);
        break;
      case isa::Op::Load:
        load.cmds++;
        load.amount += w.dma_words * t.bus_bytes;
        break;
      case isa::Op::Store:
        store.cmds++;
        store.amount += w.dma_words * t.bus_bytes;
        break;
      case isa::Op::Vec: {
        Work& v = vec[isa::name(isa::VecCmd::decode(c).func)];
        v.cmds++;
        v.amount += w.vec_passes;
        break;
      }
      default:
        break;
    }
  }
  const auto pct = [&](std::uint64_t x) { return 100.0 * double(x) / double(std::max<std::uint64_t>(k.cycles, 1)); };
  fmt::print("  GEMM {} commands, {} MACs issued; LOAD {} commands, {} bytes; STORE {} commands, {} bytes\n",
             gemm.cmds, gemm.amount, load.cmds, load.amount, store.cmds, store.amount);
  std::string v;
  for (const auto& [name, w] : vec)
    v += fmt::format("{}{} {} ({} element-passes, {} cycles)", v.empty() ? "" : "; ", name, w.cmds, w.amount,
                     (w.amount + lanes - 1) / lanes);
  fmt::print("  VEC: {}\n", v);
  fmt::print("  per op (work, not measured time): commands, GEMM cycles at one tile row per cycle, VEC cycles, DMA "
             "bytes\n");
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].cmds)
      fmt::print("    {:<26} {:>5} {:>9} {:>9} {:>10}\n", i < cl.op_names.size() ? cl.op_names[i] : "other",
                 ops[i].cmds, ops[i].gemm_cycles, ops[i].vec_cycles, ops[i].dma_bytes);
  fmt::print("  busy: GEMM {:.1f} %, VEC {:.1f} %, LOAD {:.1f} %, STORE {:.1f} % of {} cycles; stalled (started, "
             "waiting for data or a port): GEMM {:.1f} %, VEC {:.1f} %, LOAD {:.1f} %, STORE {:.1f} %; DMA read {} "
             "bytes ({:.1f} per cycle), written {} bytes\n",
             pct(k.gemm_busy), pct(k.vec_busy), pct(k.load_busy), pct(k.store_busy), k.cycles, pct(k.gemm_stall),
             pct(k.vec_stall), pct(k.load_stall), pct(k.store_stall), k.dma_rd_bytes,
             double(k.dma_rd_bytes) / double(std::max<std::uint64_t>(k.cycles, 1)), k.dma_wr_bytes);
  nlohmann::json j;
  j["ops"] = nlohmann::json::array();
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].cmds)
      j["ops"].push_back({{"op", i < cl.op_names.size() ? cl.op_names[i] : "other"}, {"commands", ops[i].cmds},
                          {"gemm_cycles", ops[i].gemm_cycles}, {"vec_cycles", ops[i].vec_cycles},
                          {"dma_bytes", ops[i].dma_bytes}});
  j["busy_pct"] = {{"gemm", pct(k.gemm_busy)}, {"vec", pct(k.vec_busy)}, {"load", pct(k.load_busy)},
                   {"store", pct(k.store_busy)}};
  return j;
}

namespace detail {

// Runs `cmds` within `timeout` cycles; throws naming `what` on a fault or a timeout.
inline rt::RunResult run_layer(TopBench& bench, const std::vector<isa::Command>& cmds, std::uint64_t timeout,
                               const std::string& what) {
  bench.dev().clear_counters();
  const auto res = bench.dev().run(cmds, timeout);
  if (!res.ok()) throw std::runtime_error(what + ": " + res.describe());
  return res;
}

// A layer compiled at the address of a device buffer that holds all its DRAM, its constant
// image uploaded: compile(base) is called twice, for the size and at the buffer.
struct PlacedLayer {
  rt::Buffer buf;
  compiler::CompiledLayer cl;
};
template <class Compile>
PlacedLayer place_layer(TopBench& bench, const Compile& compile) {
  bench.dev().free_all();
  PlacedLayer p;
  p.buf = bench.dev().alloc(compile(0x10000u).dram_bytes, 64);
  p.cl = compile(p.buf.addr);
  bench.dev().upload(p.buf, p.cl.weights_image, p.cl.weights.addr - p.buf.addr);
  return p;
}

// Uploads the input, runs the layer and returns its output region's bytes.
inline std::vector<std::uint8_t> run_placed(TopBench& bench, const PlacedLayer& p, const std::vector<std::uint8_t>& in,
                                            std::uint64_t timeout, const std::string& what, rt::RunResult& res) {
  bench.dev().upload(p.buf, in, p.cl.input.addr - p.buf.addr);
  res = run_layer(bench, p.cl.cmds, timeout, what);
  return bench.dev().download(p.buf, p.cl.output.addr - p.buf.addr, p.cl.output.bytes);
}

inline void print_utilization(const std::string& what, const compiler::CompiledLayer& cl, std::uint64_t cycles,
                              std::uint64_t ideal, std::uint64_t macs, unsigned peak, bool pruned = false) {
  fmt::print("{}: {} commands, {:>8} cycles (ideal {}), {} {}MACs, MAC utilization {:.1f} % of {} MACs/cycle{}, "
             "bit-exact\n",
             what, cl.cmds.size(), cycles, ideal, macs, pruned ? "dense " : "",
             100.0 * double(macs) / (double(cycles) * peak), peak, pruned ? " (counting the dense MACs)" : "");
}

}  // namespace detail

// One BF16 encoder layer of shape `s` at T tokens with `sparsity` of its weight tiles pruned;
// utilization counts the dense MACs.
inline LayerFigures run_encoder_bf16(TopBench& bench, const std::string& name, const ref::LayerShape& s, unsigned T,
                                     double sparsity, std::uint64_t seed) {
  const compiler::Target t = bench.target();
  const ref::AccelConfig cfg = bench.accel_config();
  LayerRand r(seed);
  ref::LayerWeightsBf16 w = random_weights(s, r, true);
  compiler::prune_layer_bf16(w, t, sparsity);
  const ref::Matrix<std::uint16_t> x = r.matrix(T, s.d_model, 0, 1);
  const detail::PlacedLayer p = detail::place_layer(bench, [&](std::uint32_t base) {
    return compiler::compile_encoder_layer_bf16(s, w, static_cast<int>(T), cfg, base);
  });
  const compiler::CompiledLayer& cl = p.cl;
  const std::uint64_t macs = s.macs(T), peak = t.rows * t.cols, ideal = macs / peak;
  const std::string what =
      fmt::format("BF16 encoder layer {} shape, T {}{}, {:.0f} % tiles pruned", name, T,
                  cl.row_block ? fmt::format(" (row blocks of {})", cl.row_block) : "", 100 * sparsity);
  rt::RunResult res;  // a few times the ideal, plus a margin
  const auto got = cl.unpack_output(detail::run_placed(bench, p, cl.pack_input(x), 4 * ideal + 1'000'000, what, res));
  const rt::Counters k = bench.dev().counters();
  if (auto bad = ref::first_mismatch(got, ref::encoder_layer_bf16(x, s, w), "y"))
    throw std::runtime_error(what + ": mismatch: " + *bad);
  detail::print_utilization(what, cl, res.cycles, ideal, macs, static_cast<unsigned>(peak), sparsity > 0);
  nlohmann::json j = print_breakdown(cl, k, t, bench.dev().hw().vec_lanes);
  j.update(bench_fields("encoder", what, "bf16", res.cycles, macs, static_cast<unsigned>(peak), k, t.bus_bytes));
  j.update({{"model", name}, {"tokens", T}, {"ideal_cycles", ideal}, {"pruned", sparsity}});
  bench_record(j);
  return {res.cycles, ideal};
}

// One INT8 (I-BERT) encoder layer at T tokens, scales calibrated on 16 rows; utilization
// against the INT8 peak of 2 * Rows * Cols MACs per cycle.
inline LayerFigures run_encoder_int8(TopBench& bench, const std::string& name, const ref::LayerShape& s, unsigned T,
                                     std::uint64_t seed) {
  const compiler::Target t = bench.target();
  const ref::AccelConfig cfg = bench.accel_config();
  LayerRand r(seed);
  const ref::LayerWeightsBf16 wb = random_weights(s, r, true);
  const ref::QuantLayer ql = ref::quantize_encoder_layer(
      wb, s, ref::calibrate_encoder_int8(ref::bf16_to_f64(r.matrix(16, s.d_model, 0, 1)), s, wb), true);
  const ref::Matrix<std::int8_t> xq =
      ref::quantize_tensor_int8(ref::bf16_to_f64(r.matrix(T, s.d_model, 0, 1)), ql.p.scales.x);
  const detail::PlacedLayer p = detail::place_layer(bench, [&](std::uint32_t base) {
    return compiler::compile_encoder_layer_int8(s, ql, static_cast<int>(T), cfg, base);
  });
  const compiler::CompiledLayer& cl = p.cl;
  const std::uint64_t macs = s.macs(T), peak = 2 * t.rows * t.cols, ideal = macs / peak;
  const std::string what = fmt::format("INT8 encoder layer {} shape, T {} (row blocks of {})", name, T, cl.row_block);
  rt::RunResult res;
  const auto got = cl.unpack_output_i8(detail::run_placed(bench, p, cl.pack_input_i8(xq), 8 * ideal + 1'000'000, what, res));
  const rt::Counters k = bench.dev().counters();
  if (auto bad = ref::first_mismatch(got, ref::encoder_layer_int8(xq, s, ql), "y"))
    throw std::runtime_error(what + ": mismatch: " + *bad);
  detail::print_utilization(what, cl, res.cycles, ideal, macs, static_cast<unsigned>(peak));
  nlohmann::json j = print_breakdown(cl, k, t, bench.dev().hw().vec_lanes);
  j.update(bench_fields("encoder", what, "int8", res.cycles, macs, static_cast<unsigned>(peak), k, t.bus_bytes));
  j.update({{"model", name}, {"tokens", T}, {"ideal_cycles", ideal}, {"pruned", 0.0}});
  bench_record(j);
  return {res.cycles, ideal};
}

// One BF16 decode step at context L (a cache of L random positions written by
// KvCacheLayout::put) and its bandwidth roofline: the weights' own bytes (2 per BF16
// weight) and the K/V bytes it reads, over the bus bytes per cycle.
inline LayerFigures run_decode_step(TopBench& bench, const std::string& name, const ref::LayerShape& s, unsigned L,
                                    std::uint64_t seed) {
  const compiler::Target t = bench.target();
  const ref::AccelConfig cfg = bench.accel_config();
  LayerRand r(seed);
  const ref::LayerWeightsBf16 w = random_weights(s, r, false);
  bench.dev().free_all();
  const rt::Buffer buf = bench.dev().alloc(compiler::CompiledDecoder(s, w, L + 1, cfg).dram_bytes, 64);
  const compiler::CompiledDecoder dec(s, w, L + 1, cfg, buf.addr);
  bench.dev().upload(buf, dec.weights_image, dec.weights.addr - buf.addr);
  ref::KvCache cache = random_cache(s, r, L);  // decoder_layer_bf16 appends the new row
  bench.dev().upload(buf, dec.cache.image(cache), dec.cache.addr - buf.addr);
  const ref::Matrix<std::uint16_t> x = r.matrix(1, s.d_model, 0, 1);
  const ref::Matrix<std::uint16_t> want = ref::decoder_layer_bf16(x, s, w, cache);
  const compiler::CompiledLayer cl = dec.step(L, 1);
  bench.dev().upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
  const std::uint64_t d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), f = s.ffn;
  const std::uint64_t branches = s.act == ref::LayerActivation::SwiGlu ? 3 : 2;
  const std::uint64_t weight_bytes = 2 * (d * (q + 2 * kv) + q * d + branches * d * f);
  const std::uint64_t kv_bytes = 2 * 2 * std::uint64_t{L} * kv;
  const std::uint64_t roofline = (weight_bytes + kv_bytes) / t.bus_bytes;
  const std::string what = fmt::format("BF16 decoder layer {} shape, one decode step at context {}", name, L);
  const auto res = detail::run_layer(bench, cl.cmds, 8 * roofline + 1'000'000, what);  // a few times the roofline
  const rt::Counters k = bench.dev().counters();
  const auto got = cl.unpack_output(bench.dev().download(buf, cl.output.addr - buf.addr, cl.output.bytes));
  if (auto bad = ref::first_mismatch(got, want, "y")) throw std::runtime_error(what + ": mismatch: " + *bad);
  fmt::print("{}: {} commands, {:>7} cycles; bandwidth roofline {} cycles ({} weight + {} K/V bytes / {} per "
             "cycle): {:.2f} x the roofline, bit-exact\n",
             what, cl.cmds.size(), res.cycles, roofline, weight_bytes, kv_bytes, t.bus_bytes,
             double(res.cycles) / double(roofline));
  nlohmann::json j = print_breakdown(cl, k, t, bench.dev().hw().vec_lanes);
  const std::uint64_t step_macs = d * (q + 2 * kv) + q * d + branches * d * f + 2 * std::uint64_t{L + 1} * q;
  j.update(bench_fields("decode", what, "bf16", res.cycles, step_macs, t.rows * t.cols, k, t.bus_bytes));
  j.update({{"model", name}, {"context", L}, {"roofline_cycles", roofline}});
  bench_record(j);
  return {res.cycles, roofline};
}

// The layer a model description asks for: an encoder layer at T tokens in its dtype, or a
// decoder's decode step at context T.
inline LayerFigures run_model_layer(TopBench& bench, const compiler::ModelDesc& md, unsigned T, std::uint64_t seed) {
  const ref::LayerShape s = compiler::layer_shape(md);
  if (md.kind == compiler::LayerKind::Decoder) {
    if (md.dtype != compiler::DType::Bf16)
      throw std::runtime_error(md.name + ": the INT8 decoder is not lowered yet (dtype: bf16 runs)");
    return run_decode_step(bench, md.name, s, T, seed);
  }
  if (md.dtype == compiler::DType::Int8) return run_encoder_int8(bench, md.name, s, T, seed);
  return run_encoder_bf16(bench, md.name, s, T, 0.0, seed);
}

}  // namespace npu::tb
