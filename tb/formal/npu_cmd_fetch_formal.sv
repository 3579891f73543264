// Formal harness of npu_cmd_fetch: every input free except what the design
// may assume: a reset first; RING_BASE, RING_SIZE and the window constant
// (the CSR block refuses writes to them while busy); RING_TAIL free (the
// doorbell); a dead port stays dead; a legal AXI4 slave (axi_slave_assume).
// The properties are the unit's own npu_axi_rules assertions.
module npu_cmd_fetch_formal #(
  parameter int unsigned BusBytes = 32,
  parameter int unsigned Depth    = 4,
  parameter int unsigned MaxBurst = 2,
  parameter int unsigned MaxOut   = 2,
  localparam int unsigned IdW = 1,
  localparam int unsigned DW  = BusBytes * 8
) (
  input logic            clk_i,
  input logic            rst_ni,
  input logic            enable_i,
  input logic            stop_i,
  input logic            port_dead_i,
  input logic [31:0]     ring_base_i,
  input logic [31:0]     ring_size_i,
  input logic [31:0]     ring_tail_i,
  input logic [31:0]     window_base_i,
  input logic [31:0]     window_size_i,
  input logic            rsp_ready_i,
  input logic            m_axi_arready_i,
  input logic            m_axi_rvalid_i,
  input logic [DW-1:0]   m_axi_rdata_i,
  input logic [1:0]      m_axi_rresp_i,
  input logic            m_axi_rlast_i,
  input logic [IdW-1:0]  m_axi_rid_i
);
  logic rsp_valid, busy, arvalid, rready;
  logic [511:0] rsp_cmd;
  logic [31:0] rsp_addr, araddr;
  logic [7:0] rsp_err, arlen;
  logic [2:0] arsize;
  logic [1:0] arburst;
  logic [IdW-1:0] arid;

  npu_cmd_fetch #(
    .BusBytes(BusBytes), .IdW(IdW), .Depth(Depth), .MaxBurst(MaxBurst), .MaxOut(MaxOut)
  ) dut (
    .clk_i, .rst_ni, .enable_i, .stop_i, .port_dead_i, .ring_base_i, .ring_size_i, .ring_tail_i,
    .window_base_i, .window_size_i, .rsp_valid_o(rsp_valid), .rsp_ready_i, .rsp_cmd_o(rsp_cmd),
    .rsp_addr_o(rsp_addr), .rsp_err_o(rsp_err), .busy_o(busy),
    .m_axi_arvalid_o(arvalid), .m_axi_arready_i, .m_axi_araddr_o(araddr), .m_axi_arlen_o(arlen),
    .m_axi_arsize_o(arsize), .m_axi_arburst_o(arburst), .m_axi_arid_o(arid),
    .m_axi_rvalid_i, .m_axi_rready_o(rready), .m_axi_rdata_i, .m_axi_rresp_i, .m_axi_rlast_i,
    .m_axi_rid_i);

  axi_slave_assume #(.IdW(IdW), .MaxOut(MaxOut), .Write(1'b0)) u_slave (
    .clk_i, .rst_ni, .ax_fire_i(arvalid && m_axi_arready_i), .ax_len_i(arlen), .ax_id_i(arid),
    .w_fire_i(1'b0), .w_last_i(1'b0), .rsp_valid_i(m_axi_rvalid_i), .rsp_ready_i(rready),
    .rsp_last_i(m_axi_rlast_i), .rsp_resp_i(m_axi_rresp_i), .rsp_id_i(m_axi_rid_i));

  logic init_q = 1'b1;
  logic dead_q;
  logic [127:0] regs_q;
  always_ff @(posedge clk_i) begin
    init_q <= 1'b0;
    dead_q <= port_dead_i && rst_ni;
    regs_q <= {ring_base_i, ring_size_i, window_base_i, window_size_i};
    if (init_q) assume (!rst_ni);
    if (!init_q) assume ({ring_base_i, ring_size_i, window_base_i, window_size_i} == regs_q);
    if (dead_q && rst_ni) assume (port_dead_i);
  end
endmodule
