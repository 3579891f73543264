// npu_axi_watchdog on its own (CTest prefix `dma:`), as the write port's
// watchdog (request channels AW and W, response channel B): when it counts,
// what restarts the count, the exact expiry cycle, isolation, and that only
// rst_ni revives the port.
#include "sim_control.hpp"
#include "test_env.hpp"

#include <Vnpu_axi_watchdog.h>
#include <catch2/catch.hpp>

using npu::tb::SimControl;

namespace {

class Watchdog {
 public:
  explicit Watchdog(std::uint32_t limit) : sim_(npu::tb::env_waves()) {
    auto& d = sim_.dut();
    d.limit_i = limit;
    d.outstanding_i = 0;
    d.req_valid_i = 0;
    d.req_ready_i = 0;
    d.rsp_valid_i = 0;
    d.rsp_ready_i = 0;
    sim_.reset();
  }
  Vnpu_axi_watchdog& dut() { return sim_.dut(); }
  SimControl<Vnpu_axi_watchdog>& sim() { return sim_; }
  void cycles(unsigned n) {
    for (unsigned i = 0; i < n; ++i) sim_.tick();
    sim_.settle();
  }
  bool dead() {
    sim_.settle();
    return sim_.dut().timeout_o;
  }

 private:
  SimControl<Vnpu_axi_watchdog> sim_;
};

}  // namespace

TEST_CASE("watchdog: AXI_TIMEOUT cycles with work and no handshake isolate the port") {
  Watchdog w(10);
  auto& d = w.dut();
  d.outstanding_i = 1;  // a burst awaits B
  w.cycles(9);
  CHECK_FALSE(w.dead());
  w.cycles(1);
  REQUIRE(w.dead());  // exactly at the limit
  // isolated: no request reaches the slave or is accepted, responses are
  // swallowed, and it stays so when the master gives up
  d.req_valid_i = 3;
  d.req_ready_i = 3;
  d.rsp_valid_i = 1;
  d.rsp_ready_i = 0;
  d.outstanding_i = 0;
  w.cycles(5);
  CHECK(d.req_valid_o == 0);
  CHECK(d.req_ready_o == 0);
  CHECK(d.rsp_valid_o == 0);
  CHECK(d.rsp_ready_o == 1);
  CHECK(w.dead());
}

TEST_CASE("watchdog: a VALID waiting for READY counts and any handshake restarts the count") {
  Watchdog w(10);
  auto& d = w.dut();
  // a live port passes everything through
  d.req_valid_i = 1;
  d.req_ready_i = 1;
  d.rsp_valid_i = 1;
  d.rsp_ready_i = 0;
  w.sim().settle();
  CHECK(d.req_valid_o == 1);
  CHECK(d.req_ready_o == 1);
  CHECK(d.rsp_valid_o == 1);
  CHECK(d.rsp_ready_o == 0);
  d.rsp_valid_i = 0;
  w.cycles(1);  // the AW handshake
  d.req_ready_i = 0;
  d.req_valid_i = 2;  // W waiting, nothing accepted yet
  for (int round = 0; round < 20; ++round) {
    w.cycles(9);
    REQUIRE_FALSE(w.dead());
    d.req_ready_i = 2;  // one W handshake
    w.cycles(1);
    d.req_ready_i = 0;
  }
  // a response waiting for the master's READY is the master's delay: no count
  d.req_valid_i = 0;
  d.outstanding_i = 1;
  d.rsp_valid_i = 1;
  w.cycles(100);
  CHECK_FALSE(w.dead());
  d.rsp_valid_i = 0;
  w.cycles(10);
  CHECK(w.dead());
}

TEST_CASE("watchdog: limit 0 disables it, an idle port never counts, rst_ni revives it") {
  Watchdog w(0);
  auto& d = w.dut();
  d.outstanding_i = 1;
  w.cycles(1000);
  CHECK_FALSE(w.dead());
  d.outstanding_i = 0;
  d.limit_i = 5;
  w.cycles(1000);  // nothing in flight, no VALID: not a stall
  CHECK_FALSE(w.dead());
  d.outstanding_i = 1;
  w.cycles(5);
  REQUIRE(w.dead());
  w.sim().reset();
  CHECK_FALSE(w.dead());
}
