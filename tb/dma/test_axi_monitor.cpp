// AxiMonitor self-test (CTest prefix `dma:`): bad bursts driven directly into
// the monitor must each be reported with channel and cycle; a clean sequence
// must not be.
#include "axi_monitor.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace npu::tb::axi;

namespace {

constexpr unsigned kBB = 8;

MasterSignals idle_master() {
  MasterSignals m;
  m.wdata.assign(kBB, 0);
  m.wstrb.assign(kBB, true);
  m.arsize = 3; m.awsize = 3; m.arburst = 1; m.awburst = 1;
  m.rready = true; m.bready = true;
  return m;
}
SlaveSignals idle_slave() {
  SlaveSignals s;
  s.rdata.assign(kBB, 0);
  s.arready = true; s.awready = true; s.wready = true;
  return s;
}

AxiMonitor recorder() {
  AxiMonitorConfig c;
  c.throw_on_violation = false;
  return AxiMonitor(kBB, c);
}

void expect_one(const AxiMonitor& mon, const std::string& channel, const std::string& what) {
  INFO((mon.violations().empty() ? std::string("(none)") : mon.violations().front()));
  REQUIRE(mon.violations().size() == 1);
  CHECK(mon.violations().front().find("channel " + channel) != std::string::npos);
  CHECK(mon.violations().front().find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("monitor accepts a clean read and write burst") {
  auto mon = recorder();
  auto m = idle_master();
  auto s = idle_slave();
  m.arvalid = true; m.araddr = 0xFF0; m.arlen = 1;
  m.awvalid = true; m.awaddr = 0x2000; m.awlen = 1;
  mon.check(m, s, 0);
  m.arvalid = false; m.awvalid = false;
  m.wvalid = true;
  s.rvalid = true;
  mon.check(m, s, 1);
  m.wlast = true; s.rlast = true;
  mon.check(m, s, 2);
  m.wvalid = false; s.rvalid = false; s.bvalid = true;
  mon.check(m, s, 3);
  CHECK(mon.violations().empty());
  CHECK_FALSE(mon.outstanding());
}

TEST_CASE("monitor catches a burst crossing 4 KiB") {
  auto mon = recorder();
  auto m = idle_master();
  m.arvalid = true; m.araddr = 0xFF8; m.arlen = 1;
  mon.check(m, idle_slave(), 7);
  expect_one(mon, "AR", "4 KiB");
  CHECK(mon.violations().front().find("cycle 7") != std::string::npos);
}

TEST_CASE("monitor catches a non INCR burst and a wrong size") {
  auto mon = recorder();
  auto m = idle_master();
  m.awvalid = true; m.awaddr = 0x100; m.awburst = 2;
  mon.check(m, idle_slave(), 0);
  expect_one(mon, "AW", "not INCR");
  auto mon2 = recorder();
  m.awburst = 1; m.awsize = 2;
  mon2.check(m, idle_slave(), 0);
  expect_one(mon2, "AW", "bus width");
}

TEST_CASE("monitor catches ARVALID dropped and AW payload changed while not ready") {
  auto mon = recorder();
  auto m = idle_master();
  auto s = idle_slave();
  s.arready = false;
  m.arvalid = true; m.araddr = 0x40;
  mon.check(m, s, 0);
  m.arvalid = false;
  mon.check(m, s, 1);
  expect_one(mon, "AR", "dropped");

  auto mon2 = recorder();
  m = idle_master();
  s.awready = false;
  m.awvalid = true; m.awaddr = 0x40;
  mon2.check(m, s, 0);
  m.awaddr = 0x80;
  mon2.check(m, s, 1);
  expect_one(mon2, "AW", "payload changed");
}

TEST_CASE("monitor catches early and missing WLAST and W before AW") {
  auto mon = recorder();
  auto m = idle_master();
  auto s = idle_slave();
  m.awvalid = true; m.awaddr = 0x0; m.awlen = 3;
  mon.check(m, s, 0);
  m.awvalid = false; m.wvalid = true; m.wlast = true;  // beat 0 of 4
  mon.check(m, s, 1);
  expect_one(mon, "W", "early WLAST");

  auto mon2 = recorder();
  m = idle_master();
  m.awvalid = true; m.awlen = 0;
  mon2.check(m, s, 0);
  m.awvalid = false; m.wvalid = true; m.wlast = false;  // single beat without WLAST
  mon2.check(m, s, 1);
  expect_one(mon2, "W", "missing WLAST");

  auto mon3 = recorder();
  m = idle_master();
  m.wvalid = true; m.wlast = true;
  mon3.check(m, s, 0);
  expect_one(mon3, "W", "no outstanding AW");
}

TEST_CASE("monitor catches wrong RLAST and unexpected R and B") {
  auto mon = recorder();
  auto m = idle_master();
  auto s = idle_slave();
  m.arvalid = true; m.arlen = 2; m.arid = 1;
  mon.check(m, s, 0);
  m.arvalid = false;
  s.rvalid = true; s.rid = 1; s.rlast = true;
  mon.check(m, s, 1);
  expect_one(mon, "R", "RLAST=true");

  auto mon2 = recorder();
  s = idle_slave();
  s.rvalid = true; s.rid = 3;
  mon2.check(idle_master(), s, 0);
  expect_one(mon2, "R", "no outstanding AR");

  auto mon3 = recorder();
  s = idle_slave();
  s.bvalid = true; s.bid = 0;
  mon3.check(idle_master(), s, 0);
  expect_one(mon3, "B", "before the W data");
}

TEST_CASE("monitor throws by default") {
  AxiMonitor mon(kBB);
  auto m = idle_master();
  m.arvalid = true; m.araddr = 0xFF8; m.arlen = 1;
  CHECK_THROWS_AS(mon.check(m, idle_slave(), 0), AxiViolation);
}
