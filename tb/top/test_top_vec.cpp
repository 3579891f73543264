// Every VEC function through npu_top, DRAM to DRAM, against the functional
// model; and a GEMM -> REQUANT (through the i-GELU LUT) -> GEMM chain that stays
// on chip, checked against the reference functions (npu::ref) computed on the
// host independently of the command model.
#include "gemm_flow.hpp"
#include "top_bench.hpp"
#include "vec_cmd_gen.hpp"

#include "npu/ref/accel_model.hpp"
#include "npu/ref/requant.hpp"
#include "npu/ref/vec_model.hpp"
#include "npu/ref/vector.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>
#include <set>

using namespace npu;
using npu::tb::TopBench;

namespace {

constexpr std::uint64_t kTimeout = 2'000'000;

}  // namespace

TEST_CASE("Every VEC function runs DRAM to DRAM through npu_top as the functional model says") {
  for (auto seed : tb::test_seeds({31, 32})) {
    INFO("seed " << seed << " (replay: NPU_SEED=" << seed << ")");
    TopBench tb(16);
    auto& dev = tb.dev();
    const ref::AccelConfig cfg = tb.accel_config();
    const unsigned bb = cfg.bus_bytes;
    tb::VecCmdGen gen(cfg, seed);
    gen.set_acc_allowed(false);  // DMA fills ASPAD and WSPAD; ACC is the GEMM's
    for (isa::VecFunc f : isa::kVecFuncValues) {
      if (f == isa::VecFunc::Params || f == isa::VecFunc::LutLoad) continue;
      INFO("func " << isa::name(f));
      dev.free_all();
      ref::LocalMemories mem;
      mem.aspad.assign(std::size_t{cfg.aspad_words} * bb, 0);
      mem.wspad.assign(std::size_t{cfg.wspad_words} * bb, 0);
      mem.acc.assign(std::size_t{cfg.acc_rows} * cfg.cols, 0);
      gen.fill(mem);
      // parameters and LUT first (their streams at ASPAD 0), then the func
      std::vector<isa::Command> vec;
      const isa::VecFuncInfo fi = isa::vec_func_info(static_cast<unsigned>(f));
      if (fi.params) vec.push_back(gen.params_for(f, cfg.vec_maxlen, mem).encode());
      if (f == isa::VecFunc::Requant || f == isa::VecFunc::LutI8) vec.push_back(gen.lut_load(mem).encode());
      ref::LocalMemories pre = mem;  // the parameter streams must survive the func's own inputs
      const isa::VecCmd c = gen.make(f, mem, 4);
      INFO(fmt::format("rows {} n {}", c.rows, c.n));
      // images: ASPAD after the func's inputs, with the PARAMS/LUT words of pre kept
      // (the func's src region starts at ASPAD 0 too, so run them from a copy at the top)
      const rt::Buffer as = dev.alloc(mem.aspad.size()), ws = dev.alloc(mem.wspad.size());
      const rt::Buffer as2 = dev.alloc(pre.aspad.size());
      const rt::Buffer out_as = dev.alloc(mem.aspad.size()), out_ws = dev.alloc(mem.wspad.size());
      dev.upload(as, mem.aspad);
      dev.upload(ws, mem.wspad);
      dev.upload(as2, pre.aspad);
      std::vector<isa::Command> cmds;
      if (!vec.empty()) {  // PARAMS / LUT_LOAD on the pre image
        cmds.push_back(tb::load_buffer(as2, isa::Space::Aspad, 0, bb));
        cmds.push_back(isa::fence());
        cmds.insert(cmds.end(), vec.begin(), vec.end());
        cmds.push_back(isa::fence());
      }
      cmds.push_back(tb::load_buffer(as, isa::Space::Aspad, 0, bb));
      cmds.push_back(tb::load_buffer(ws, isa::Space::Wspad, 0, bb));
      cmds.push_back(isa::fence());
      cmds.push_back(c.encode());
      cmds.push_back(isa::fence());
      cmds.push_back(tb::store_buffer(out_as, isa::Space::Aspad, 0, bb));
      cmds.push_back(tb::store_buffer(out_ws, isa::Space::Wspad, 0, bb));

      ref::AccelModel model(cfg);
      ref::install(model);
      model.set_window(TopBench::kWindowBase, TopBench::kWindowSize);
      for (const rt::Buffer* b : {&as, &ws, &as2})
        model.write_dram(b->addr, dev.download(*b, 0, b->bytes));
      const auto want_fault = model.run(cmds, [&dev](std::size_t i) { return dev.command_addr(i); });
      REQUIRE_FALSE(want_fault);
      const auto r = dev.run(cmds, kTimeout);
      INFO(r.describe());
      REQUIRE(r.ok());
      for (const rt::Buffer* b : {&out_as, &out_ws}) {
        const auto want = model.read_dram(b->addr, b->bytes);
        const auto got = dev.download(*b, 0, b->bytes);
        for (std::size_t i = 0; i < want.size(); ++i)
          if (want[i] != got[i])
            FAIL(fmt::format("{} word {} byte {}: RTL 0x{:02X}, model 0x{:02X} (run ended at cycle {})",
                             b == &out_as ? "ASPAD" : "WSPAD", i / bb, i % bb, got[i], want[i], tb.cycle()));
      }
    }
  }
}

TEST_CASE("A GEMM, REQUANT through the i-GELU LUT, GEMM chain stays on chip and matches the reference") {
  // small: 4x5 array, 16-byte words, INT8 K tiles of 2*Rows = 8. C1 = A1 (8x16) x
  // W1 (16x8): two K tiles, two N tiles; requantized per channel into the next
  // GEMM's A layout (group = 2*Rows) and through the LUT of i-GELU on the way,
  // C2 = G (8x8) x W2 (8x5).
  for (auto seed : tb::test_seeds({41, 42, 43})) {
    std::mt19937_64 rng(seed);
    TopBench tb(16);
    auto& dev = tb.dev();
    const auto t = tb.target();
    REQUIRE(t.rows == 4);
    REQUIRE(t.cols == 5);
    const unsigned M = 8, K1 = 16, N1 = 8, N2 = 5, bb = t.bus_bytes;
    const unsigned kd = 2 * t.rows, kt1 = (K1 + kd - 1) / kd, kt2 = (N1 + kd - 1) / kd;
    ref::Matrix<std::int8_t> a1(M, K1), w1(K1, N1), w2(N1, N2);
    for (auto* m : {&a1, &w1, &w2})
      for (std::size_t i = 0; i < m->rows(); ++i)
        for (std::size_t j = 0; j < m->cols(); ++j) (*m)(i, j) = static_cast<std::int8_t>(rng());
    std::vector<ref::RequantParams> rq(N1);
    std::vector<std::int32_t> bias(N1);
    const std::int32_t zp = static_cast<std::int32_t>(rng() % 11) - 5;
    for (unsigned j = 0; j < N1; ++j) {
      rq[j] = {static_cast<std::int32_t>((1u << 30) + rng() % (1u << 30)),
               -static_cast<int>(7 + rng() % 4), zp};
      bias[j] = static_cast<std::int32_t>(rng() % 2001) - 1000;
    }
    const std::uint32_t gelu_scale = 1u << 17;  // S = 1/8
    const ref::RequantParams gelu_out{1 << 30, -16, 0};  // Q.20 -> scale 1/8

    // host reference, from the ref functions directly
    const auto lut = ref::gelu_i8_table(gelu_scale, gelu_out);
    const auto c1 = ref::gemm_i8(a1, w1);
    ref::Matrix<std::int8_t> g(M, N1);
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N1; ++j) {
        const auto acc = static_cast<std::int32_t>(static_cast<std::uint32_t>(c1(i, j)) +
                                                   static_cast<std::uint32_t>(bias[j]));
        g(i, j) = ref::gelu_i8(ref::requantize(acc, rq[j]), gelu_scale, gelu_out);
        REQUIRE(g(i, j) == ref::lut_i8(ref::requantize(acc, rq[j]), lut));
      }
    const auto c2 = ref::gemm_i8(g, w2);
    std::set<int> distinct;
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N1; ++j) distinct.insert(g(i, j));
    REQUIRE(distinct.size() >= 8);  // the chain carries information, not saturation

    // device buffers
    const auto a1_dev = compiler::pack_a_i8(a1, t);
    const auto w1_dev = compiler::pack_w_i8(w1, t);
    const auto w2_dev = compiler::pack_w_i8(w2, t);
    // PARAMS channels: P0 multiplier, P1 bias, P2 shift; then the 256 LUT bytes
    std::vector<std::uint8_t> params(3 * N1 * 4);
    for (unsigned j = 0; j < N1; ++j) {
      const std::uint32_t v[3] = {static_cast<std::uint32_t>(rq[j].multiplier),
                                  static_cast<std::uint32_t>(bias[j]),
                                  static_cast<std::uint32_t>(rq[j].shift) & 0x3F};
      for (unsigned k = 0; k < 3; ++k)
        for (unsigned b = 0; b < 4; ++b) params[(3 * j + k) * 4 + b] = v[k] >> (8 * b) & 0xFF;
    }
    std::vector<std::uint8_t> lut_bytes(256);
    for (unsigned i = 0; i < 256; ++i) lut_bytes[i] = static_cast<std::uint8_t>(lut[i]);
    const rt::Buffer lb = dev.alloc(lut_bytes.size());
    dev.upload(lb, lut_bytes);
    const rt::Buffer ab = dev.alloc(a1_dev.size()), w1b = dev.alloc(w1_dev.size());
    const rt::Buffer w2b = dev.alloc(w2_dev.size()), pb = dev.alloc(params.size());
    const unsigned wpr = t.acc_words_per_row();
    const rt::Buffer cb = dev.alloc(M * wpr * bb);
    dev.upload(ab, a1_dev);
    dev.upload(w1b, w1_dev);
    dev.upload(w2b, w2_dev);
    dev.upload(pb, params);

    const auto load = [&](const rt::Buffer& b, isa::Space sp, std::uint32_t local) {
      return tb::load_buffer(b, sp, local, bb);
    };
    const std::uint32_t kA1 = 0, kP = 64, kL = 96, kY = 192, kW1 = 0, kW2 = 64;
    std::vector<isa::Command> cmds = {load(ab, isa::Space::Aspad, kA1),
                                      load(w1b, isa::Space::Wspad, kW1),
                                      load(w2b, isa::Space::Wspad, kW2),
                                      load(pb, isa::Space::Aspad, kP),
                                      load(lb, isa::Space::Aspad, kL), isa::fence()};
    for (unsigned nt = 0; nt < 2; ++nt) {
      isa::GemmArgs gm;
      gm.a_addr = kA1;
      gm.w_addr = kW1 + nt * kt1 * t.rows;
      gm.acc_addr = nt * M;
      gm.m = M;
      gm.k_tiles = kt1;
      gm.a_kstride = M;
      gm.w_kstride = t.rows;
      // GEMM and VEC run in different queues: the last GEMM tells REQUANT its
      // ACC rows are there (the GEMM queue retires in order).
      cmds.push_back(isa::gemm(gm, nt == 1 ? isa::Deps{}.push_to(isa::Queue::Vec) : isa::Deps{}));
    }
    isa::VecArgs p;
    p.func = isa::VecFunc::Params;
    p.n = 3 * N1;
    p.src = {kP, isa::Space::Aspad, 0, 1, bb / 4};
    cmds.push_back(isa::vec(p));
    isa::VecArgs lv;
    lv.func = isa::VecFunc::LutLoad;
    lv.n = 256;
    lv.src = {kL, isa::Space::Aspad, 0, 1, bb};
    cmds.push_back(isa::vec(lv));
    isa::VecArgs rqv;
    rqv.func = isa::VecFunc::Requant;
    rqv.rows = M;
    rqv.n = N1;
    rqv.src = {0, isa::Space::Acc, 1, M, t.cols};      // ACC [nt][m], Cols channels per row
    rqv.dst = {kY, isa::Space::Aspad, 1, M, kd};       // A layout [kt][m], 2*Rows per word
    rqv.cfg = {static_cast<std::uint32_t>(zp), 1 /* through the LUT */, 0, 0};
    cmds.push_back(isa::vec(rqv, isa::Deps{}.pop_from(isa::Queue::Gemm).push_to(isa::Queue::Gemm)));
    isa::GemmArgs g2;
    g2.a_addr = kY;
    g2.w_addr = kW2;
    g2.acc_addr = 2 * M;
    g2.m = M;
    g2.k_tiles = kt2;
    g2.a_kstride = M;
    g2.w_kstride = t.rows;
    cmds.push_back(isa::gemm(g2, isa::Deps{}.pop_from(isa::Queue::Vec)));
    cmds.push_back(isa::fence());
    isa::Transfer st;
    st.dram_addr = cb.addr;
    st.row_words = M * wpr;
    st.space = isa::Space::Acc;
    st.local_addr = 2 * M * wpr;
    cmds.push_back(isa::store(st));

    const auto r = dev.run(cmds, kTimeout);
    INFO(fmt::format("seed {}: {}", seed, r.describe()));
    REQUIRE(r.ok());
    compiler::GemmShape s2;
    s2.m = M;
    s2.k = N1;
    s2.n = N2;
    const auto got = compiler::unpack_c(dev.download(cb, 0, cb.bytes), s2, t);
    ref::Matrix<std::uint32_t> want(M, N2);
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N2; ++j) want(i, j) = static_cast<std::uint32_t>(c2(i, j));
    if (auto mm = tb::first_mismatch("C2", want, got, tb.cycle())) FAIL(fmt::format("seed {}: {}", seed, *mm));
  }
}
