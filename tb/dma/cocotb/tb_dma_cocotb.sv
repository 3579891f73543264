// cocotb wrapper: npu_dma_rd + npu_dma_wr on one flat AXI4 master (plain
// m_axi_* names for cocotbext-axi) and an RTL local memory of Depth words
// (writes from the load engine, 1-cycle reads for the store engine).
module tb_dma_cocotb #(
  parameter int unsigned DataW = 64,
  parameter int unsigned Depth = 4096,
  localparam int unsigned SW = DataW / 8
) (
  input  logic             clk,
  input  logic             rst_n,
  input  logic             rd_cmd_valid,
  output logic             rd_cmd_ready,
  input  logic             wr_cmd_valid,
  output logic             wr_cmd_ready,
  input  logic [31:0]      cmd_dram_addr,
  input  logic [31:0]      cmd_dram_stride,
  input  logic [15:0]      cmd_rows,
  input  logic [15:0]      cmd_row_words,
  input  logic [23:0]      cmd_local_addr,
  input  logic [23:0]      cmd_local_stride,
  output logic             rd_done_valid,
  output logic [1:0]       rd_done_err,
  output logic             wr_done_valid,
  output logic [1:0]       wr_done_err,
  output logic             m_axi_arvalid,
  input  logic             m_axi_arready,
  output logic [31:0]      m_axi_araddr,
  output logic [7:0]       m_axi_arlen,
  output logic [2:0]       m_axi_arsize,
  output logic [1:0]       m_axi_arburst,
  output logic [0:0]       m_axi_arid,
  input  logic             m_axi_rvalid,
  output logic             m_axi_rready,
  input  logic [DataW-1:0] m_axi_rdata,
  input  logic [1:0]       m_axi_rresp,
  input  logic             m_axi_rlast,
  input  logic [0:0]       m_axi_rid,
  output logic             m_axi_awvalid,
  input  logic             m_axi_awready,
  output logic [31:0]      m_axi_awaddr,
  output logic [7:0]       m_axi_awlen,
  output logic [2:0]       m_axi_awsize,
  output logic [1:0]       m_axi_awburst,
  output logic [0:0]       m_axi_awid,
  output logic             m_axi_wvalid,
  input  logic             m_axi_wready,
  output logic [DataW-1:0] m_axi_wdata,
  output logic [SW-1:0]    m_axi_wstrb,
  output logic             m_axi_wlast,
  input  logic             m_axi_bvalid,
  output logic             m_axi_bready,
  input  logic [1:0]       m_axi_bresp,
  input  logic [0:0]       m_axi_bid
);

  logic             lw_valid, lw_we, lr_valid, lr_we, lr_rsp_valid;
  logic [23:0]      lw_addr, lr_addr;
  logic [DataW-1:0] lw_wdata, lr_wdata, lr_rdata;
  logic [SW-1:0]    lw_wstrb, lr_wstrb;
  logic [1:0]       lw_space, lr_space;
  logic             rd_busy, rd_stall, rd_beat, wr_busy, wr_stall, wr_beat;

  npu_dma_rd #(.DataW(DataW), .IdW(1)) u_rd (
    .clk_i(clk), .rst_ni(rst_n),
    .cmd_valid_i(rd_cmd_valid), .cmd_ready_o(rd_cmd_ready),
    .cmd_dram_addr_i(cmd_dram_addr), .cmd_dram_stride_i(cmd_dram_stride),
    .cmd_rows_i(cmd_rows), .cmd_row_words_i(cmd_row_words), .cmd_space_i(2'd0),
    .cmd_local_addr_i(cmd_local_addr), .cmd_local_stride_i(cmd_local_stride),
    .done_valid_o(rd_done_valid), .done_ready_i(1'b1), .done_err_o(rd_done_err), .done_fault_o(), .port_dead_i(1'b0), .axi_pending_o(),
    .busy_o(rd_busy), .stall_o(rd_stall), .beat_o(rd_beat),
    .m_axi_arvalid_o(m_axi_arvalid), .m_axi_arready_i(m_axi_arready),
    .m_axi_araddr_o(m_axi_araddr), .m_axi_arlen_o(m_axi_arlen), .m_axi_arsize_o(m_axi_arsize),
    .m_axi_arburst_o(m_axi_arburst), .m_axi_arid_o(m_axi_arid),
    .m_axi_rvalid_i(m_axi_rvalid), .m_axi_rready_o(m_axi_rready), .m_axi_rdata_i(m_axi_rdata),
    .m_axi_rresp_i(m_axi_rresp), .m_axi_rlast_i(m_axi_rlast), .m_axi_rid_i(m_axi_rid),
    .lw_req_valid_o(lw_valid), .lw_req_ready_i(1'b1), .lw_req_we_o(lw_we),
    .lw_req_addr_o(lw_addr), .lw_req_wdata_o(lw_wdata), .lw_req_wstrb_o(lw_wstrb),
    .lw_space_o(lw_space)
  );

  npu_dma_wr #(.DataW(DataW), .IdW(1)) u_wr (
    .clk_i(clk), .rst_ni(rst_n),
    .cmd_valid_i(wr_cmd_valid), .cmd_ready_o(wr_cmd_ready),
    .cmd_dram_addr_i(cmd_dram_addr), .cmd_dram_stride_i(cmd_dram_stride),
    .cmd_rows_i(cmd_rows), .cmd_row_words_i(cmd_row_words), .cmd_space_i(2'd0),
    .cmd_local_addr_i(cmd_local_addr), .cmd_local_stride_i(cmd_local_stride),
    .done_valid_o(wr_done_valid), .done_ready_i(1'b1), .done_err_o(wr_done_err), .done_fault_o(), .port_dead_i(1'b0), .axi_pending_o(),
    .busy_o(wr_busy), .stall_o(wr_stall), .beat_o(wr_beat),
    .m_axi_awvalid_o(m_axi_awvalid), .m_axi_awready_i(m_axi_awready),
    .m_axi_awaddr_o(m_axi_awaddr), .m_axi_awlen_o(m_axi_awlen), .m_axi_awsize_o(m_axi_awsize),
    .m_axi_awburst_o(m_axi_awburst), .m_axi_awid_o(m_axi_awid),
    .m_axi_wvalid_o(m_axi_wvalid), .m_axi_wready_i(m_axi_wready), .m_axi_wdata_o(m_axi_wdata),
    .m_axi_wstrb_o(m_axi_wstrb), .m_axi_wlast_o(m_axi_wlast),
    .m_axi_bvalid_i(m_axi_bvalid), .m_axi_bready_o(m_axi_bready), .m_axi_bresp_i(m_axi_bresp),
    .m_axi_bid_i(m_axi_bid),
    .lr_req_valid_o(lr_valid), .lr_req_ready_i(1'b1), .lr_req_we_o(lr_we),
    .lr_req_addr_o(lr_addr), .lr_req_wdata_o(lr_wdata), .lr_req_wstrb_o(lr_wstrb),
    .lr_space_o(lr_space), .lr_rsp_valid_i(lr_rsp_valid), .lr_rsp_rdata_i(lr_rdata)
  );

  logic [DataW-1:0] mem_q [Depth];
  always_ff @(posedge clk) begin
    if (lw_valid && lw_we) mem_q[lw_addr[$clog2(Depth)-1:0]] <= lw_wdata;
    lr_rdata <= mem_q[lr_addr[$clog2(Depth)-1:0]];
  end
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) lr_rsp_valid <= 1'b0;
    else        lr_rsp_valid <= lr_valid && !lr_we;
  end

endmodule
