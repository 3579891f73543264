// rt::Device over ModelTransport (the functional model behind the register
// map): the driver runs compiled streams on it unchanged, faults arrive as
// on the RTL (code, command address, ring stopped until soft reset), and
// misuse of the register map is an error, not a silent no-op.
#include "npu/compiler/layer.hpp"
#include "npu/compiler/model_desc.hpp"
#include "npu/ref/layer.hpp"
#include "npu/regs.h"
#include "npu/runtime/device.hpp"
#include "npu/runtime/model_transport.hpp"
#include "accel_configs.hpp"
#include "random_layer.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace npu;

namespace {

using npu::test::small_config;

isa::Command load_from(std::uint32_t dram_addr) {
  isa::Transfer t;
  t.dram_addr = dram_addr;
  t.row_words = 1;
  return isa::load(t);
}

}  // namespace

TEST_CASE("ModelTransport: the device reports the configuration's sizes") {
  ref::AccelConfig c = small_config();
  rt::ModelTransport tr(c, 4);
  rt::Device dev(tr, {});
  CHECK(dev.hw().rows == c.rows);
  CHECK(dev.hw().cols == c.cols);
  CHECK(dev.hw().bus_bytes == c.bus_bytes);
  CHECK(dev.hw().vec_lanes == 4);
  CHECK(dev.hw().aspad_words == c.aspad_words);
  CHECK(dev.hw().acc_rows == c.acc_rows);
  CHECK(dev.hw().vec_maxlen == c.vec_maxlen);
}

TEST_CASE("ModelTransport: a compiled encoder stack runs through rt::Device and equals the reference") {
  const auto md = compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/test-encoder.yaml");
  const ref::LayerShape s = compiler::layer_shape(md);
  const auto T = static_cast<unsigned>(md.seq_len);
  rt::ModelTransport tr(small_config());
  rt::Device dev(tr, {});
  const ref::AccelConfig cfg = small_config();
  tb::LayerRand r(61);
  const std::vector<ref::LayerWeightsBf16> w{tb::random_weights(s, r, true), tb::random_weights(s, r, true)};
  const auto x = r.matrix(T, s.d_model, 0, 1);
  const auto want = ref::encoder_layer_bf16(ref::encoder_layer_bf16(x, s, w[0]), s, w[1]);
  const int n = static_cast<int>(T);
  const rt::Buffer buf = dev.alloc(compiler::compile_encoder_stack_bf16(s, w, n, cfg).dram_bytes);
  const auto cl = compiler::compile_encoder_stack_bf16(s, w, n, cfg, {}, buf.addr);
  dev.upload(buf, cl.weights_image, cl.weights.addr - buf.addr);
  dev.upload(buf, cl.pack_input(x), cl.input.addr - buf.addr);
  // More commands than ring entries: the driver feeds the ring as it drains.
  REQUIRE(cl.cmds.size() > 64);
  const rt::RunResult res = dev.run(cl.cmds, 1'000'000);
  INFO(res.describe());
  REQUIRE(res.ok());
  CHECK(tr.commands() == cl.cmds.size() + 1);  // and the driver's IRQ
  const auto got = cl.unpack_output(dev.download(buf, cl.output.addr - buf.addr, cl.output.bytes));
  const auto bad = ref::first_mismatch(got, want, "layer 1 y");
  INFO(bad.value_or("equal"));
  REQUIRE_FALSE(bad);
}

TEST_CASE("ModelTransport: a fault stops the ring with its code and command address until soft reset") {
  rt::ModelTransport tr(small_config());
  rt::Device dev(tr, {});
  const rt::Buffer buf = dev.alloc(64);
  const std::vector<isa::Command> cmds{load_from(buf.addr), load_from(0x100), load_from(buf.addr)};
  const std::uint32_t bad_addr = dev.command_addr(1);
  const rt::RunResult res = dev.run(cmds, 10'000);
  REQUIRE(res.status == rt::RunResult::Status::Fault);
  CHECK(res.fault == isa::Fault::AddrWindow);
  CHECK(res.fault_addr == bad_addr);
  CHECK(tr.commands() == 2);  // nothing after the faulting command ran
  CHECK((dev.status() & NPU_CSR__STATUS__FAULT_bm) != 0);
  // Still stopped: a new run reports the same fault at once, not a timeout.
  const rt::RunResult stale = dev.run({load_from(buf.addr)}, 1'000);
  CHECK(stale.status == rt::RunResult::Status::Fault);
  CHECK(stale.fault_addr == bad_addr);
  CHECK_THAT(stale.describe(), Catch::Matchers::Contains("soft_reset() first"));
  dev.soft_reset();
  CHECK((dev.status() & NPU_CSR__STATUS__FAULT_bm) == 0);
  const rt::RunResult again = dev.run({load_from(buf.addr)}, 1'000);
  INFO(again.describe());
  CHECK(again.ok());
}

TEST_CASE("ModelTransport: a soft reset zeroes the local memories only with CTRL.SCRUB") {
  for (const bool scrub : {false, true}) {
    INFO("scrub_on_reset " << scrub);
    rt::ModelTransport tr(small_config());
    rt::Device::Options o;
    o.scrub_on_reset = scrub;
    rt::Device dev(tr, o);
    const rt::Buffer in = dev.alloc(16), out = dev.alloc(16);
    dev.upload(in, std::vector<std::uint8_t>(16, 0x5A));
    REQUIRE(dev.run({load_from(in.addr)}, 10'000).ok());
    CHECK((tr.read_reg(static_cast<std::uint32_t>(offsetof(npu_csr_t, CTRL))) & NPU_CSR__CTRL__SCRUB_bm) == (scrub ? NPU_CSR__CTRL__SCRUB_bm : 0u));
    dev.soft_reset();
    isa::Transfer t;
    t.dram_addr = out.addr;
    t.row_words = 1;
    REQUIRE(dev.run({isa::store(t)}, 10'000).ok());
    CHECK(dev.download(out, 0, 16) == std::vector<std::uint8_t>(16, scrub ? 0x00 : 0x5A));
  }
}

TEST_CASE("ModelTransport: unmapped and read-only registers are errors") {
  rt::ModelTransport tr(small_config());
  CHECK_THROWS_AS(tr.read_reg(0x1000), std::out_of_range);
  CHECK_THROWS_AS(tr.write_reg(offsetof(npu_csr_t, ID), 1), std::out_of_range);
  CHECK_THROWS_AS(tr.write_reg(offsetof(npu_csr_t, RING_HEAD), 1), std::out_of_range);
  std::uint8_t b[8] = {};
  CHECK_THROWS_AS(tr.write_mem(0xFFFF'FFFC, b, sizeof b), std::out_of_range);
}

TEST_CASE("Device::run refuses streams whose tokens would cross runs and accepts IRQs inside a stream") {
  rt::ModelTransport tr(small_config());
  rt::Device dev(tr, {});
  const rt::Buffer buf = dev.alloc(64);
  using isa::Queue;
  const isa::Command ld = load_from(buf.addr);
  isa::Command ld_push = ld;
  isa::set_deps(ld_push, isa::Deps{}.push_to(Queue::Gemm));
  isa::GemmArgs g;
  const isa::Command gemm_pop = isa::gemm(g, isa::Deps{}.pop_from(Queue::Load));
  // A pop with no push earlier in the run would take a token a previous run left.
  CHECK_THROWS_WITH(dev.run({gemm_pop}, 1000),
                    Catch::Matchers::Contains("command 0 (GEMM) pops a token from queue LOAD"));
  // A push nobody pops would satisfy the next run's pop too early.
  CHECK_THROWS_WITH(dev.run({ld_push}, 1000),
                    Catch::Matchers::Contains("1 token(s) from queue LOAD to queue GEMM are never popped"));
  CHECK(tr.commands() == 0);  // nothing reached the device
  const rt::RunResult ok = dev.run({ld_push, isa::fence(), gemm_pop}, 1000);
  INFO(ok.describe());
  CHECK(ok.ok());
  // An IRQ inside the stream sets DONE before the rest has run; the run still
  // ends only with the appended IRQ (test_top checks the timing on the RTL).
  const rt::RunResult mid = dev.run({ld, isa::irq(), ld}, 1000);
  INFO(mid.describe());
  CHECK(mid.ok());
  CHECK(tr.commands() == 4 + 4);  // both runs, each with the driver's IRQ
}
