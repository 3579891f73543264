// npu_vec_engine (VEC commands over its memory ports) and npu_vec_check (the
// VEC field checker) against the reference model (sw/ref vec_model), bit for
// bit. The engine is Verilated at the `small` memory shape (Cols 5, BusBytes
// 16, ASPAD 1024, WSPAD 256, ACC 256 words, MaxLen 64) with VEC_LANES lanes
// (vec_engine.cmake builds one test per lane count). After every command all
// three memories must equal the model's, byte for byte: the first mismatch
// names the func, space, word, byte, both values and the cycle of the write.
//   NPU_SEED=<n> replays one seed, NPU_WAVES=<x.fst> writes a trace.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/isa.hpp>
#include <npu/ref/accel_model.hpp>
#include <npu/ref/vec_model.hpp>

#include VEC_ENGINE_HEADER
#include VEC_CHECK_HEADER
#include "port_bits.hpp"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "vec_cmd_gen.hpp"
#include "vec_engine_harness.hpp"
#include "replay_catch.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace ref = npu::ref;
namespace isa = npu::isa;
using npu::tb::VecCmdGen;
using Engine = VEC_ENGINE_CLASS;
using Checker = VEC_CHECK_CLASS;
using Harness = npu::tb::VecEngineHarness<Engine>;

ref::AccelConfig config() {
  ref::AccelConfig c;
  c.rows = 4, c.cols = 5, c.bus_bytes = 16;
  c.aspad_words = 1024, c.wspad_words = 256, c.acc_rows = 256, c.vec_maxlen = 64;
  return c;
}

ref::LocalMemories memories(const ref::AccelConfig& c) {
  ref::LocalMemories m;
  m.aspad.assign(std::size_t{c.aspad_words} * c.bus_bytes, 0);
  m.wspad.assign(std::size_t{c.wspad_words} * c.bus_bytes, 0);
  m.acc.assign(std::size_t{c.acc_rows} * c.cols, 0);
  return m;
}

std::string describe(const isa::VecCmd& c) {
  return fmt::format("{} rows {} n {} src {}@{} rs {} gs {} g {} | aux {}@{} rs {} gs {} g {} | dst {}@{} rs {} gs {} "
                     "g {}{} | cfg {:08X} {:08X} {:08X} {:08X}",
                     isa::name(c.func), c.rows, c.n, isa::name(c.src_space), c.src_addr, c.src_row_stride,
                     c.src_group_stride, c.src_group, isa::name(c.aux_space), c.aux_addr, c.aux_row_stride,
                     c.aux_group_stride, c.aux_group, isa::name(c.dst_space), c.dst_addr, c.dst_row_stride,
                     c.dst_group_stride, c.dst_group, c.dst_pairs ? " pairs" : "", c.cfg0, c.cfg1, c.cfg2, c.cfg3);
}

// The first byte where the RTL's memories differ from the model's.
std::optional<std::string> first_mismatch(const ref::LocalMemories& got, const ref::LocalMemories& want,
                                          const ref::AccelConfig& cfg, const Harness::WriteLog& log) {
  auto when = [&](unsigned space, std::uint32_t w) {
    auto it = log.find({space, w});
    return it == log.end() ? std::string("never written") : fmt::format("written at cycle {}", it->second);
  };
  for (unsigned s = 0; s < 2; ++s) {
    const auto& g = s == 0 ? got.aspad : got.wspad;
    const auto& e = s == 0 ? want.aspad : want.wspad;
    for (std::size_t i = 0; i < g.size(); ++i)
      if (g[i] != e[i]) {
        const auto w = static_cast<std::uint32_t>(i / cfg.bus_bytes);
        std::string gw, ew;  // the whole word, byte 0 first
        for (unsigned b = 0; b < cfg.bus_bytes; ++b) {
          gw += fmt::format("{:02X}", g[std::size_t{w} * cfg.bus_bytes + b]);
          ew += fmt::format("{:02X}", e[std::size_t{w} * cfg.bus_bytes + b]);
        }
        return fmt::format("{} word {} byte {}: RTL 0x{:02X}, model 0x{:02X} ({}); word RTL {} model {}",
                           s == 0 ? "ASPAD" : "WSPAD", w, i % cfg.bus_bytes, g[i], e[i], when(s, w), gw, ew);
      }
  }
  for (std::size_t i = 0; i < got.acc.size(); ++i)
    if (got.acc[i] != want.acc[i])
      return fmt::format("ACC row {} col {}: RTL 0x{:08X}, model 0x{:08X} (the engine never writes ACC)",
                         i / cfg.cols, i % cfg.cols, got.acc[i], want.acc[i]);
  return std::nullopt;
}

// Generous bound on one command's cycles: a few times the beats it needs.
std::uint64_t cycle_limit(const isa::VecCmd& c, double p_ready) {
  const isa::VecFuncInfo fi = isa::vec_func_info(static_cast<unsigned>(c.func));
  const std::uint64_t beats = std::uint64_t{c.rows} * fi.passes * (c.n + 2);
  return 2000 + static_cast<std::uint64_t>(4.0 * beats / p_ready) + std::uint64_t{c.rows} * fi.passes * 200;
}

struct Bench {
  ref::AccelConfig cfg = config();
  ref::LocalMemories mem = memories(cfg);
  ref::VecModel model;
  VecCmdGen gen;
  Harness h;
  Bench(std::uint64_t seed, double p_ready)
      : gen(cfg, seed), h(cfg, seed ^ 0x5EED, p_ready, npu::tb::env_waves()), p(p_ready) {
    gen.fill(mem);
  }
  double p;

  void run(const isa::VecCmd& c) {
    const isa::Command cmd = c.encode();
    INFO(describe(c));
    REQUIRE(ref::vec_check(cmd, cfg) == isa::Fault::None);
    ref::LocalMemories want = mem;
    model.exec(cmd, want, cfg);
    h.run(cmd, mem, cycle_limit(c, p));
    const auto bad = first_mismatch(mem, want, cfg, h.writes());
    if (bad) FAIL(*bad);
  }

  // One command of f, with the parameter buffer or LUT loaded first when f reads them.
  void one(isa::VecFunc f, unsigned max_rows = 5, unsigned max_n = 0) {
    const isa::VecFuncInfo fi = isa::vec_func_info(static_cast<unsigned>(f));
    if (fi.params) run(gen.params_for(f, cfg.vec_maxlen, mem));
    if (f == isa::VecFunc::LutI8 || f == isa::VecFunc::Requant) run(gen.lut_load(mem));
    run(gen.make(f, mem, max_rows, max_n));
  }
};

std::vector<isa::VecFunc> compute_funcs() {
  std::vector<isa::VecFunc> v;
  for (isa::VecFunc f : isa::kVecFuncValues)
    if (f != isa::VecFunc::Params && f != isa::VecFunc::LutLoad) v.push_back(f);
  return v;
}

}  // namespace

TEST_CASE("npu_vec_engine computes every function bit for bit under random back-pressure") {
  for (std::uint64_t seed : npu::tb::test_seeds({1, 2})) {
    npu::tb::announce(seed);
    Bench b(seed, 0.7);
    for (isa::VecFunc f : compute_funcs()) {
      INFO("seed " << seed << " func " << isa::name(f));
      for (int i = 0; i < 3; ++i) b.one(f);
    }
  }
}

TEST_CASE("npu_vec_engine keeps rows in flight apart on long multi-pass rows without stalls") {
  for (std::uint64_t seed : npu::tb::test_seeds({3})) {
    npu::tb::announce(seed);
    Bench b(seed, 1.0);
    for (isa::VecFunc f : {isa::VecFunc::SoftmaxBf16, isa::VecFunc::LayernormBf16, isa::VecFunc::RmsnormBf16,
                           isa::VecFunc::SoftmaxI8, isa::VecFunc::LayernormI32, isa::VecFunc::RmsnormI32}) {
      INFO("seed " << seed << " func " << isa::name(f));
      for (int i = 0; i < 2; ++i) b.one(f, 9);
    }
  }
}

TEST_CASE("npu_vec_engine random sequences of every function", "[nightly]") {
  for (std::uint64_t seed : npu::tb::test_seeds({11, 12, 13, 14, 15, 16, 17, 18})) {
    npu::tb::announce(seed);
    Bench b(seed, seed % 2 ? 0.5 : 0.95);
    const auto funcs = compute_funcs();
    for (int i = 0; i < 200; ++i) {
      const isa::VecFunc f = funcs[b.gen.rng()() % funcs.size()];
      INFO("seed " << seed << " command " << i << " func " << isa::name(f));
      b.one(f, 12);
    }
  }
}

TEST_CASE("npu_vec_check agrees with the model's vec_check on random commands") {
  const ref::AccelConfig cfg = config();
  VerilatedContext ctx;
  Checker chk(&ctx, "TOP");
  npu::tb::CoverageWriter coverage(ctx);
  for (std::uint64_t seed : npu::tb::test_seeds({21})) {
    npu::tb::announce(seed);
    std::mt19937_64 rng(seed);
    ref::LocalMemories scratch = memories(cfg);
    VecCmdGen gen(cfg, seed);
    const auto funcs = compute_funcs();
    for (int i = 0; i < 20000; ++i) {
      // a valid command with a few fields disturbed towards their limits
      isa::Command c = gen.make(isa::kVecFuncValues[rng() % isa::kVecFuncValues.size()], scratch).encode();
      const unsigned flips = static_cast<unsigned>(rng() % 3);
      for (unsigned k = 0; k < flips; ++k) {
        const auto& fd = isa::VecCmd::kFields[1 + rng() % (isa::VecCmd::kFields.size() - 1)];
        const std::uint32_t m = fd.width >= 32 ? 0xFFFFFFFFu : ((1u << fd.width) - 1u);
        std::uint32_t v = 0;
        switch (rng() % 5) {
          case 0: v = 0; break;
          case 1: v = 1; break;
          case 2: v = m; break;
          case 3: v = (isa::get_field(c, fd.word, fd.lsb, fd.width) + 1) & m; break;
          default: v = static_cast<std::uint32_t>(rng()) & m; break;
        }
        c.w[fd.word] = (c.w[fd.word] & ~(m << fd.lsb)) | (v << fd.lsb);
      }
      for (unsigned w = 0; w < isa::kCmdWords; ++w) npu::tb::put_bits(chk.cmd_i, 32 * w, 32, c.w[w]);
      chk.eval();
      const auto want = ref::vec_check(c, cfg);
      INFO("command " << i << ": " << describe(isa::VecCmd::decode(c)));
      REQUIRE(isa::fault_name(static_cast<isa::Fault>(chk.code_o)) == isa::fault_name(want));
      REQUIRE(static_cast<bool>(chk.fault_o) == (want != isa::Fault::None));
    }
  }
}
