// Dependency tokens from footprints (npu::compiler::footprint, assign_tokens):
// the footprints are exact, the tokens order every conflicting pair of
// commands in different queues and nothing else, and compiled layers run on
// the functional model with the queues interleaved at random
// (AccelModel::run_concurrent) give the same bytes as in program order.
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/compiler/schedule.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/vec_model.hpp"
#include "layer_test_configs.hpp"
#include "random_layer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace npu;
using compiler::Access;
using compiler::Resource;
using test::base_config;
using test::fault_text;
using test::small_config;

namespace {

const std::string kModels = NPU_MODELS_DIR;

bool has(const std::vector<Access>& fp, Resource r, std::uint64_t lo, std::uint64_t hi, bool write) {
  for (const Access& a : fp)
    if (a.res == r && a.lo == lo && a.hi == hi && a.write == write) return true;
  return false;
}

isa::Transfer transfer(std::uint32_t dram, unsigned rows, unsigned words, isa::Space s, std::uint32_t local,
                       unsigned local_stride = 0) {
  isa::Transfer t;
  t.dram_addr = dram;
  t.dram_stride = words * 16;
  t.rows = rows;
  t.row_words = words;
  t.space = s;
  t.local_addr = local;
  t.local_stride = local_stride;
  return t;
}

isa::Command gemm(std::uint32_t a, std::uint32_t w, std::uint32_t acc, unsigned m) {
  isa::GemmArgs g;
  g.bf16 = true;
  g.a_addr = a, g.w_addr = w, g.acc_addr = acc, g.m = m;
  g.k_tiles = 2, g.a_kstride = m, g.w_kstride = 4;
  g.n_tiles = 1;
  g.acc_nstride = m;
  return isa::gemm(g);
}

// DRAM after running `cmds` in program order, or interleaved with `seed`.
std::vector<std::uint8_t> run(const compiler::CompiledLayer& cl, const std::vector<std::uint8_t>& input,
                              const ref::AccelConfig& cfg, std::optional<std::uint64_t> seed) {
  const auto model = test::loaded_model(cl, cfg, input);
  ref::AccelModel& m = *model;
  const auto f = seed ? m.run_concurrent(cl.cmds, test::cmd_addr, *seed) : m.run(cl.cmds, test::cmd_addr);
  INFO("fault: " << fault_text(f));
  REQUIRE_FALSE(f);
  return m.read_dram(cl.dram_base, cl.dram_bytes);
}

void check_interleavings(const compiler::CompiledLayer& cl, const std::vector<std::uint8_t>& input,
                         const ref::AccelConfig& cfg) {
  const auto want = run(cl, input, cfg, std::nullopt);
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto got = run(cl, input, cfg, seed);
    std::size_t i = 0;
    while (i < want.size() && got[i] == want[i]) ++i;
    INFO("interleaving seed " << seed << ": first differing DRAM byte at 0x" << std::hex << cl.dram_base + i);
    REQUIRE(i == want.size());
  }
}

}  // namespace

TEST_CASE("schedule: footprints are the exact words a command touches", "[schedule]") {
  const ref::AccelConfig cfg = small_config();  // 4x5, 16-byte bus, 2 bus words per ACC row
  // LOAD of 3 rows of 2 words, local stride 5: three runs in ASPAD, three in DRAM.
  const auto ld = compiler::footprint(isa::load(transfer(0x100, 3, 2, isa::Space::Aspad, 10, 5)), cfg);
  CHECK(has(ld, Resource::Aspad, 10, 12, true));
  CHECK(has(ld, Resource::Aspad, 15, 17, true));
  CHECK(has(ld, Resource::Aspad, 20, 22, true));
  CHECK(has(ld, Resource::Dram, 0x10, 0x16, false));  // rows back to back: one run of bus words
  // GEMM: A k-tiles, W tiles, ACC rows written (and read when accumulating).
  const auto g = compiler::footprint(gemm(0, 100, 8, 3), cfg);
  CHECK(has(g, Resource::Aspad, 0, 6, false));
  CHECK(has(g, Resource::Wspad, 100, 108, false));
  CHECK(has(g, Resource::Acc, 8, 11, true));
  CHECK(g.size() == 3);
  // STORE from ACC: bus words 2r, 2r+1 are row r.
  const auto st = compiler::footprint(isa::store(transfer(0x200, 1, 4, isa::Space::Acc, 6)), cfg);
  CHECK(has(st, Resource::Acc, 3, 5, false));
  // VEC in the A layout: one run of rows per group.
  isa::VecArgs v;
  v.func = isa::VecFunc::AddBf16;
  v.src = {40, isa::Space::Aspad, 1, 7, 4};
  v.aux = {80, isa::Space::Aspad, 1, 7, 4};
  v.dst = {120, isa::Space::Aspad, 1, 7, 4};
  v.rows = 3;
  v.n = 8;
  const auto vf = compiler::footprint(isa::vec(v), cfg);
  CHECK(has(vf, Resource::Aspad, 40, 43, false));
  CHECK(has(vf, Resource::Aspad, 47, 50, false));
  CHECK(has(vf, Resource::Aspad, 127, 130, true));
}

TEST_CASE("schedule: tokens order conflicts across queues and nothing else", "[schedule]") {
  const ref::AccelConfig cfg = small_config();
  std::vector<isa::Command> cmds{
      isa::load(transfer(0x000, 1, 6, isa::Space::Aspad, 0)),   // 0 A
      isa::load(transfer(0x100, 1, 8, isa::Space::Wspad, 0)),   // 1 W buffer 0
      isa::load(transfer(0x200, 1, 8, isa::Space::Wspad, 64)),  // 2 W buffer 1: runs ahead
      gemm(0, 0, 0, 3),                                         // 3 needs 0, 1
      gemm(0, 64, 16, 3),                                       // 4 needs 2
      isa::load(transfer(0x300, 1, 8, isa::Space::Wspad, 0)),   // 5 overwrites buffer 0: after 3
      isa::store(transfer(0x400, 1, 2, isa::Space::Acc, 0)),    // 6 ACC row 0: after 3
  };
  const compiler::TokenStats st = compiler::assign_tokens(cmds, cfg);
  using isa::Queue;
  const auto bit = [](Queue q) { return isa::bit(q); };
  CHECK(cmds[0].push() == 0);            // 3 waits for 1, which comes after 0 in the load queue
  CHECK(cmds[1].push() == bit(Queue::Gemm));
  CHECK(cmds[2].push() == bit(Queue::Gemm));
  CHECK(cmds[3].pop() == bit(Queue::Load));
  CHECK(cmds[3].push() == (bit(Queue::Load) | bit(Queue::Store)));
  CHECK(cmds[4].pop() == bit(Queue::Load));
  CHECK(cmds[5].pop() == bit(Queue::Gemm));  // write after read
  CHECK(cmds[6].pop() == bit(Queue::Gemm));  // read after write
  CHECK(st.tokens == 4);
}

TEST_CASE("schedule: run_concurrent finds a missing token and a deadlock", "[schedule]") {
  const ref::AccelConfig cfg = small_config();
  // LOAD then STORE of the same ASPAD word without a token: some interleaving
  // stores the stale word.
  std::vector<isa::Command> cmds{isa::load(transfer(0x1000, 1, 1, isa::Space::Aspad, 0)),
                                 isa::store(transfer(0x2000, 1, 1, isa::Space::Aspad, 0))};
  const auto result = [&](std::optional<std::uint64_t> seed) {
    ref::AccelModel m(cfg);
    m.set_window(0, 0x10000);
    m.write_dram(0x1000, std::vector<std::uint8_t>(16, 0x5A));
    const auto f = seed ? m.run_concurrent(cmds, test::cmd_addr, *seed) : m.run(cmds, test::cmd_addr);
    REQUIRE_FALSE(f);
    return m.read_dram(0x2000, 16);
  };
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 16 && !differs; ++seed) differs = result(seed) != result(std::nullopt);
  CHECK(differs);
  compiler::assign_tokens(cmds, cfg);
  for (std::uint64_t seed = 1; seed <= 16; ++seed) CHECK(result(seed) == result(std::nullopt));
  // A pop nobody pushes for.
  isa::set_deps(cmds[0], {});
  isa::set_deps(cmds[1], isa::Deps{}.pop_from(isa::Queue::Load));
  ref::AccelModel m(cfg);
  m.set_window(0, 0x10000);
  CHECK_THROWS_WITH(m.run_concurrent(cmds, test::cmd_addr, 1), Catch::Matchers::Contains("deadlock"));
}

TEST_CASE("schedule: compiled layers give the same bytes under random queue interleavings", "[schedule]") {
  const compiler::ModelDesc enc = compiler::load_model_desc(kModels + "/test-encoder.yaml");
  const ref::LayerShape es = compiler::layer_shape(enc);
  const auto T = static_cast<unsigned>(enc.seq_len);
  for (const ref::AccelConfig& cfg : {small_config(), base_config()}) {
    tb::LayerRand r(71);
    const std::vector<ref::LayerWeightsBf16> w{tb::random_weights(es, r, true), tb::random_weights(es, r, true)};
    const auto x = r.matrix(T, es.d_model, 0, 1);
    const auto cl = compiler::compile_encoder_stack_bf16(es, w, static_cast<int>(T), cfg);
    check_interleavings(cl, cl.pack_input(x), cfg);

    const ref::Matrix<double> xd = ref::bf16_to_f64(x);
    const ref::QuantLayer ql = ref::quantize_encoder_layer(w[0], es, ref::calibrate_encoder_int8(xd, es, w[0]), true);
    const auto ci = compiler::compile_encoder_layer_int8(es, ql, static_cast<int>(T), cfg);
    check_interleavings(ci, ci.pack_input_i8(ref::quantize_tensor_int8(xd, ql.p.scales.x)), cfg);

    const compiler::ModelDesc dec = compiler::load_model_desc(kModels + "/test-decoder.yaml");
    const ref::LayerShape ds = compiler::layer_shape(dec);
    const auto cd = compiler::compile_decoder_layer_bf16(ds, tb::random_weights(ds, r, false), 6, 0, 8, cfg);
    check_interleavings(cd, cd.pack_input(r.matrix(6, ds.d_model, 0, 1)), cfg);
  }
}
