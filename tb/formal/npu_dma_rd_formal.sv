// Formal harness of npu_dma_rd: every input free except what the design may
// assume: a reset first, commands as npu_cmd_check passes them (DRAM address
// and stride multiples of the bus word), a dead port stays dead (the
// watchdog's isolation is sticky), and a legal AXI4 slave (axi_slave_assume).
// The properties are the engine's own npu_axi_rules assertions.
module npu_dma_rd_formal #(
  parameter int unsigned DataW          = 32,
  parameter int unsigned MaxOutstanding = 2,
  parameter int unsigned MaxBurst       = 4,
  localparam int unsigned AddrW = 32,
  localparam int unsigned IdW   = 1,
  localparam int unsigned LocalAW = 8
) (
  input logic               clk_i,
  input logic               rst_ni,
  input logic               cmd_valid_i,
  input logic [AddrW-1:0]   cmd_dram_addr_i,
  input logic [31:0]        cmd_dram_stride_i,
  input logic [15:0]        cmd_rows_i,
  input logic [15:0]        cmd_row_words_i,
  input logic [1:0]         cmd_space_i,
  input logic [LocalAW-1:0] cmd_local_addr_i,
  input logic [LocalAW-1:0] cmd_local_stride_i,
  input logic               done_ready_i,
  input logic               port_dead_i,
  input logic               m_axi_arready_i,
  input logic               m_axi_rvalid_i,
  input logic [DataW-1:0]   m_axi_rdata_i,
  input logic [1:0]         m_axi_rresp_i,
  input logic               m_axi_rlast_i,
  input logic [IdW-1:0]     m_axi_rid_i,
  input logic               lw_req_ready_i
);
  localparam int unsigned Off = $clog2(DataW / 8);

  logic cmd_ready, arvalid, rready;
  logic [AddrW-1:0] araddr;
  logic [7:0] arlen;
  logic [2:0] arsize;
  logic [1:0] arburst;
  logic [IdW-1:0] arid;
  logic done_valid, busy, stall, beat, pending, lw_valid, lw_we;
  logic [1:0] done_err, lw_space;
  logic [7:0] done_fault;
  logic [LocalAW-1:0] lw_addr;
  logic [DataW-1:0] lw_wdata;
  logic [DataW/8-1:0] lw_wstrb;

  npu_dma_rd #(
    .AddrW(AddrW), .DataW(DataW), .IdW(IdW), .LocalAW(LocalAW),
    .MaxOutstanding(MaxOutstanding), .MaxBurst(MaxBurst)
  ) dut (
    .clk_i, .rst_ni, .cmd_valid_i, .cmd_ready_o(cmd_ready), .cmd_dram_addr_i, .cmd_dram_stride_i,
    .cmd_rows_i, .cmd_row_words_i, .cmd_space_i, .cmd_local_addr_i, .cmd_local_stride_i,
    .done_valid_o(done_valid), .done_ready_i, .done_err_o(done_err), .done_fault_o(done_fault),
    .port_dead_i, .busy_o(busy), .stall_o(stall), .beat_o(beat), .axi_pending_o(pending),
    .m_axi_arvalid_o(arvalid), .m_axi_arready_i, .m_axi_araddr_o(araddr), .m_axi_arlen_o(arlen),
    .m_axi_arsize_o(arsize), .m_axi_arburst_o(arburst), .m_axi_arid_o(arid),
    .m_axi_rvalid_i, .m_axi_rready_o(rready), .m_axi_rdata_i, .m_axi_rresp_i, .m_axi_rlast_i,
    .m_axi_rid_i, .lw_req_valid_o(lw_valid), .lw_req_ready_i, .lw_req_we_o(lw_we),
    .lw_req_addr_o(lw_addr), .lw_req_wdata_o(lw_wdata), .lw_req_wstrb_o(lw_wstrb),
    .lw_space_o(lw_space));

  axi_slave_assume #(.IdW(IdW), .MaxOut(MaxOutstanding), .Write(1'b0)) u_slave (
    .clk_i, .rst_ni, .ax_fire_i(arvalid && m_axi_arready_i), .ax_len_i(arlen), .ax_id_i(arid),
    .w_fire_i(1'b0), .w_last_i(1'b0), .rsp_valid_i(m_axi_rvalid_i), .rsp_ready_i(rready),
    .rsp_last_i(m_axi_rlast_i), .rsp_resp_i(m_axi_rresp_i), .rsp_id_i(m_axi_rid_i));

  logic init_q = 1'b1;
  logic dead_q;
  always_ff @(posedge clk_i) begin
    init_q <= 1'b0;
    dead_q <= port_dead_i && rst_ni;
    if (init_q) assume (!rst_ni);
    if (cmd_valid_i) assume (cmd_dram_addr_i[Off-1:0] == '0 && cmd_dram_stride_i[Off-1:0] == '0);
    if (dead_q && rst_ni) assume (port_dead_i);
  end
endmodule
