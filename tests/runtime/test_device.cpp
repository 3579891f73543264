// rt::Device against a device that misbehaves (a tiny fake Transport): HW_*
// registers that read 0 or an impossible geometry are refused in the
// constructor, naming the register; a 64-bit counter whose high word never
// settles is reported instead of read forever; a RING_HEAD outside the ring
// is refused. Found by fuzz/fuzz_device.cpp (docs/verification.md, "Fuzzing").
#include "npu/regs.h"
#include "npu/runtime/device.hpp"
#include "npu/runtime/transport.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>

using namespace npu;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint32_t reg_of(std::size_t o) { return static_cast<std::uint32_t>(o); }
#define REG(name) reg_of(offsetof(npu_csr_t, name))

// Registers are a map (unknown ones read 0); memory is discarded. A HI word
// listed in `spin` reads a new value on every read.
struct FakeTransport : rt::Transport {
  std::map<std::uint32_t, std::uint32_t> regs{
      {REG(ID), 0x4E505531},
      {REG(HW_ROWS_COLS), 4 | 5 << 8 | 16 << 16 | 4 << 24},
      {REG(HW_ASPAD_WORDS), 1024},
      {REG(HW_WSPAD_WORDS), 256},
      {REG(HW_ACC_ROWS), 256},
      {REG(HW_VEC_MAXLEN), 64},
  };
  std::uint32_t spin = ~0u;          // offset of a HI word that changes on every read
  unsigned spin_reads = 0;
  std::uint32_t wrap_once = ~0u;     // offset of a HI word that changes once (a real wrap)
  std::uint64_t cycles_ = 0;

  std::uint32_t read_reg(std::uint32_t off) override {
    if (off == spin) {
      // Today's driver would spin here forever: fail the test instead of hanging it.
      if (++spin_reads > 10000) throw std::logic_error("test transport: the driver keeps re-reading HI");
      return spin_reads;
    }
    if (off == wrap_once && regs[off] == 7) return regs[off] = 8, 7;
    const auto it = regs.find(off);
    return it == regs.end() ? 0 : it->second;
  }
  void write_reg(std::uint32_t off, std::uint32_t v) override {
    if (off != REG(RING_HEAD)) regs[off] = v;
  }
  void write_mem(std::uint64_t, const std::uint8_t*, std::size_t) override {}
  void read_mem(std::uint64_t, std::uint8_t* d, std::size_t n) override { std::fill(d, d + n, 0); }
  void idle(std::uint64_t c) override { cycles_ += c; }
  std::uint64_t cycles() const override { return cycles_; }
};

}  // namespace

TEST_CASE("Device: a plausible fake device is accepted") {
  FakeTransport t;
  rt::Device dev(t, {});
  CHECK(dev.hw().bus_bytes == 16);
  CHECK(dev.hw().acc_words_per_row() == 2);
}

TEST_CASE("Device: AXI_TIMEOUT is programmed from the options and by set_axi_timeout") {
  FakeTransport t;
  rt::Device::Options o;
  o.axi_timeout = 1234;
  rt::Device dev(t, o);
  CHECK(t.regs[REG(AXI_TIMEOUT)] == 1234);
  dev.set_axi_timeout(0);  // 0: the watchdog is off
  CHECK(t.regs[REG(AXI_TIMEOUT)] == 0);
  CHECK(isa::fault_name(isa::Fault::AxiTimeout) == "AXI_TIMEOUT");
  CHECK(isa::fault_name(isa::Fault::AxiProtocol) == "AXI_PROTOCOL");
}

TEST_CASE("Device: HW_ROWS_COLS with BUS_BYTES 0 is refused, naming the register and its value") {
  FakeTransport t;
  t.regs[REG(HW_ROWS_COLS)] = 4 | 5 << 8 | 0 << 16 | 4 << 24;  // acc_words_per_row() would divide by 0
  REQUIRE_THROWS_AS(rt::Device(t, {}), std::runtime_error);
  REQUIRE_THROWS_WITH(rt::Device(t, {}), Contains("HW_ROWS_COLS") && Contains("0x04000504"));
}

TEST_CASE("Device: an impossible array or bus geometry is refused") {
  for (std::uint32_t rc : {0u | 5 << 8 | 16 << 16 | 4 << 24,    // ROWS 0
                           4u | 0 << 8 | 16 << 16 | 4 << 24,    // COLS 0
                           4u | 5 << 8 | 16 << 16 | 0u << 24,   // VEC_LANES 0
                           4u | 5 << 8 | 24 << 16 | 4 << 24,    // BUS_BYTES not a power of two
                           4u | 9 << 8 | 16 << 16 | 4 << 24}) { // BUS_BYTES < 2*COLS
    CAPTURE(rc);
    FakeTransport t;
    t.regs[REG(HW_ROWS_COLS)] = rc;
    REQUIRE_THROWS_WITH(rt::Device(t, {}), Contains("HW_ROWS_COLS"));
  }
}

TEST_CASE("Device: a scratchpad, accumulator or vector size of 0 is refused, naming the register") {
  const std::pair<std::uint32_t, const char*> regs[] = {{REG(HW_ASPAD_WORDS), "HW_ASPAD_WORDS"},
                                                        {REG(HW_WSPAD_WORDS), "HW_WSPAD_WORDS"},
                                                        {REG(HW_ACC_ROWS), "HW_ACC_ROWS"},
                                                        {REG(HW_VEC_MAXLEN), "HW_VEC_MAXLEN"}};
  for (const auto& [off, name] : regs) {
    CAPTURE(name);
    FakeTransport t;
    t.regs[off] = 0;
    REQUIRE_THROWS_WITH(rt::Device(t, {}), Contains(name) && Contains("0x00000000"));
  }
}

TEST_CASE("Device: a counter whose high word changes on every read is reported, not read forever") {
  FakeTransport t;
  rt::Device dev(t, {});
  t.spin = REG(CYCLES_LO) + 4;
  REQUIRE_THROWS_AS(dev.counters(), std::runtime_error);
  CHECK(t.spin_reads < 20);
  t.spin_reads = 0;
  REQUIRE_THROWS_WITH(dev.counters(), Contains("high word changed"));
}

TEST_CASE("Device: a counter whose low word wraps once between reads is read right") {
  FakeTransport t;
  rt::Device dev(t, {});
  t.wrap_once = REG(CYCLES_LO) + 4;
  t.regs[t.wrap_once] = 7;
  t.regs[REG(CYCLES_LO)] = 5;
  CHECK(dev.counters().cycles == (std::uint64_t{8} << 32 | 5));
}

TEST_CASE("Device: a RING_HEAD outside the ring is refused instead of writing past the ring") {
  struct HeadTransport : FakeTransport {
    std::uint32_t read_reg(std::uint32_t off) override {
      return off == REG(RING_HEAD) ? 1000 : FakeTransport::read_reg(off);
    }
  } t;
  REQUIRE_THROWS_WITH(rt::Device(t, {}), Contains("RING_HEAD reads 1000"));
}
