// Flat AXI4 signal snapshots and the adapter (AxiPort) that binds them to the
// m_axi_* ports of any Verilated model, whatever the data width (integer
// ports up to 64 bits, VlWide above). AxiMemory and AxiMonitor only see
// AxiPort, so they work for the DMA block-test top and for npu_top alike.
#pragma once

#include <verilated.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

namespace npu::tb::axi {

enum class Resp : unsigned { Okay = 0, ExOkay = 1, SlvErr = 2, DecErr = 3 };
constexpr unsigned kBurstIncr = 1;

// Signals driven by the master (the DUT).
struct MasterSignals {
  bool arvalid = false;
  std::uint64_t araddr = 0;
  unsigned arlen = 0, arsize = 0, arburst = 0;
  std::uint32_t arid = 0;
  bool rready = false;
  bool awvalid = false;
  std::uint64_t awaddr = 0;
  unsigned awlen = 0, awsize = 0, awburst = 0;
  std::uint32_t awid = 0;
  bool wvalid = false;
  std::vector<std::uint8_t> wdata;  // bus_bytes bytes, little-endian
  std::vector<bool> wstrb;          // bus_bytes entries
  bool wlast = false;
  bool bready = false;
};

// Signals driven by the slave (the memory model).
struct SlaveSignals {
  bool arready = false;
  bool rvalid = false;
  std::vector<std::uint8_t> rdata;
  unsigned rresp = 0;
  bool rlast = false;
  std::uint32_t rid = 0;
  bool awready = false;
  bool wready = false;
  bool bvalid = false;
  unsigned bresp = 0;
  std::uint32_t bid = 0;
};

// Binding of the two snapshots to a model's ports.
struct AxiPort {
  unsigned bus_bytes = 8;
  std::function<void(MasterSignals&)> sample_master;
  std::function<void(SlaveSignals&)> sample_slave;  // reads back the slave inputs
  std::function<void(const SlaveSignals&)> drive_slave;
};

// ---- width-generic port <-> byte vector conversion ----
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void port_to_bytes(const T& port, std::vector<std::uint8_t>& out, unsigned n) {
  out.assign(n, 0);
  const auto v = static_cast<std::uint64_t>(port);
  for (unsigned i = 0; i < n && i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
template <std::size_t N>
void port_to_bytes(const VlWide<N>& port, std::vector<std::uint8_t>& out, unsigned n) {
  out.assign(n, 0);
  for (unsigned i = 0; i < n && i < 4 * N; ++i)
    out[i] = static_cast<std::uint8_t>(port.at(i / 4) >> (8 * (i % 4)));
}
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void bytes_to_port(T& port, const std::vector<std::uint8_t>& in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < in.size() && i < 8; ++i) v |= std::uint64_t{in[i]} << (8 * i);
  port = static_cast<T>(v);
}
template <std::size_t N>
void bytes_to_port(VlWide<N>& port, const std::vector<std::uint8_t>& in) {
  for (std::size_t w = 0; w < N; ++w) port.at(w) = 0;
  for (std::size_t i = 0; i < in.size() && i < 4 * N; ++i)
    port.at(i / 4) |= std::uint32_t{in[i]} << (8 * (i % 4));
}
// Strobe ports: one bit per byte (bus_bytes <= 64 for integer ports).
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void port_to_bits(const T& port, std::vector<bool>& out, unsigned n) {
  out.assign(n, false);
  const auto v = static_cast<std::uint64_t>(port);
  for (unsigned i = 0; i < n && i < 64; ++i) out[i] = (v >> i) & 1u;
}
template <std::size_t N>
void port_to_bits(const VlWide<N>& port, std::vector<bool>& out, unsigned n) {
  out.assign(n, false);
  for (unsigned i = 0; i < n && i < 32 * N; ++i) out[i] = (port.at(i / 32) >> (i % 32)) & 1u;
}

// Binds models whose AXI ports are named m_axi_<signal>_o / m_axi_<signal>_i
// (the DMA engines, their test top and npu_top). The model must outlive the port.
template <class M>
AxiPort bind_axi_io(M& m, unsigned bus_bytes) {
  AxiPort p;
  p.bus_bytes = bus_bytes;
  p.sample_master = [&m, bus_bytes](MasterSignals& s) {
    s.arvalid = m.m_axi_arvalid_o; s.araddr = m.m_axi_araddr_o; s.arlen = m.m_axi_arlen_o;
    s.arsize = m.m_axi_arsize_o; s.arburst = m.m_axi_arburst_o; s.arid = m.m_axi_arid_o;
    s.rready = m.m_axi_rready_o;
    s.awvalid = m.m_axi_awvalid_o; s.awaddr = m.m_axi_awaddr_o; s.awlen = m.m_axi_awlen_o;
    s.awsize = m.m_axi_awsize_o; s.awburst = m.m_axi_awburst_o; s.awid = m.m_axi_awid_o;
    s.wvalid = m.m_axi_wvalid_o;
    port_to_bytes(m.m_axi_wdata_o, s.wdata, bus_bytes);
    port_to_bits(m.m_axi_wstrb_o, s.wstrb, bus_bytes);
    s.wlast = m.m_axi_wlast_o; s.bready = m.m_axi_bready_o;
  };
  p.sample_slave = [&m, bus_bytes](SlaveSignals& s) {
    s.arready = m.m_axi_arready_i; s.rvalid = m.m_axi_rvalid_i;
    port_to_bytes(m.m_axi_rdata_i, s.rdata, bus_bytes);
    s.rresp = m.m_axi_rresp_i; s.rlast = m.m_axi_rlast_i; s.rid = m.m_axi_rid_i;
    s.awready = m.m_axi_awready_i; s.wready = m.m_axi_wready_i;
    s.bvalid = m.m_axi_bvalid_i; s.bresp = m.m_axi_bresp_i; s.bid = m.m_axi_bid_i;
  };
  p.drive_slave = [&m](const SlaveSignals& s) {
    m.m_axi_arready_i = s.arready; m.m_axi_rvalid_i = s.rvalid;
    bytes_to_port(m.m_axi_rdata_i, s.rdata);
    m.m_axi_rresp_i = s.rresp; m.m_axi_rlast_i = s.rlast; m.m_axi_rid_i = s.rid;
    m.m_axi_awready_i = s.awready; m.m_axi_wready_i = s.wready;
    m.m_axi_bvalid_i = s.bvalid; m.m_axi_bresp_i = s.bresp; m.m_axi_bid_i = s.bid;
  };
  return p;
}

}  // namespace npu::tb::axi
