// Formal harness of npu_dma_wr: every input free except what the design may
// assume: a reset first, commands as npu_cmd_check passes them (DRAM address
// and stride multiples of the bus word), a dead port stays dead, the local
// memory answers a read exactly one cycle after accepting it (npu_mem), and
// a legal AXI4 slave (axi_slave_assume). The properties are the engine's own
// npu_axi_rules assertions.
module npu_dma_wr_formal #(
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
  input logic               m_axi_awready_i,
  input logic               m_axi_wready_i,
  input logic               m_axi_bvalid_i,
  input logic [1:0]         m_axi_bresp_i,
  input logic [IdW-1:0]     m_axi_bid_i,
  input logic               lr_req_ready_i,
  input logic               lr_rsp_valid_i,
  input logic [DataW-1:0]   lr_rsp_rdata_i
);
  localparam int unsigned Off = $clog2(DataW / 8);

  logic cmd_ready, awvalid, wvalid, wlast, bready;
  logic [AddrW-1:0] awaddr;
  logic [7:0] awlen;
  logic [2:0] awsize;
  logic [1:0] awburst;
  logic [IdW-1:0] awid;
  logic [DataW-1:0] wdata;
  logic [DataW/8-1:0] wstrb;
  logic done_valid, busy, stall, beat, pending, lr_valid, lr_we;
  logic [1:0] done_err, lr_space;
  logic [7:0] done_fault;
  logic [LocalAW-1:0] lr_addr;
  logic [DataW-1:0] lr_wdata;
  logic [DataW/8-1:0] lr_wstrb;

  npu_dma_wr #(
    .AddrW(AddrW), .DataW(DataW), .IdW(IdW), .LocalAW(LocalAW),
    .MaxOutstanding(MaxOutstanding), .MaxBurst(MaxBurst)
  ) dut (
    .clk_i, .rst_ni, .cmd_valid_i, .cmd_ready_o(cmd_ready), .cmd_dram_addr_i, .cmd_dram_stride_i,
    .cmd_rows_i, .cmd_row_words_i, .cmd_space_i, .cmd_local_addr_i, .cmd_local_stride_i,
    .done_valid_o(done_valid), .done_ready_i, .done_err_o(done_err), .done_fault_o(done_fault),
    .port_dead_i, .busy_o(busy), .stall_o(stall), .beat_o(beat), .axi_pending_o(pending),
    .m_axi_awvalid_o(awvalid), .m_axi_awready_i, .m_axi_awaddr_o(awaddr), .m_axi_awlen_o(awlen),
    .m_axi_awsize_o(awsize), .m_axi_awburst_o(awburst), .m_axi_awid_o(awid),
    .m_axi_wvalid_o(wvalid), .m_axi_wready_i, .m_axi_wdata_o(wdata), .m_axi_wstrb_o(wstrb),
    .m_axi_wlast_o(wlast), .m_axi_bvalid_i, .m_axi_bready_o(bready), .m_axi_bresp_i, .m_axi_bid_i,
    .lr_req_valid_o(lr_valid), .lr_req_ready_i, .lr_req_we_o(lr_we), .lr_req_addr_o(lr_addr),
    .lr_req_wdata_o(lr_wdata), .lr_req_wstrb_o(lr_wstrb), .lr_space_o(lr_space),
    .lr_rsp_valid_i, .lr_rsp_rdata_i);

  axi_slave_assume #(.IdW(IdW), .MaxOut(MaxOutstanding), .Write(1'b1)) u_slave (
    .clk_i, .rst_ni, .ax_fire_i(awvalid && m_axi_awready_i), .ax_len_i(awlen), .ax_id_i(awid),
    .w_fire_i(wvalid && m_axi_wready_i), .w_last_i(wlast), .rsp_valid_i(m_axi_bvalid_i),
    .rsp_ready_i(bready), .rsp_last_i(1'b0), .rsp_resp_i(m_axi_bresp_i), .rsp_id_i(m_axi_bid_i));

  logic init_q = 1'b1;
  logic dead_q, lr_fire_q;
  always_ff @(posedge clk_i) begin
    init_q    <= 1'b0;
    dead_q    <= port_dead_i && rst_ni;
    lr_fire_q <= lr_valid && lr_req_ready_i && rst_ni;
    if (init_q) assume (!rst_ni);
    if (cmd_valid_i) assume (cmd_dram_addr_i[Off-1:0] == '0 && cmd_dram_stride_i[Off-1:0] == '0);
    if (dead_q && rst_ni) assume (port_dead_i);
    if (rst_ni) assume (lr_rsp_valid_i == lr_fire_q);
  end
endmodule
