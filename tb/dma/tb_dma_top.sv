// DMA block-test top: npu_dma_rd behind npu_axi_rd_mux (port 0; port 1 is a
// second read master driven by the testbench, f_axi_*), npu_dma_wr on the
// write channel. Local memory ports go to the C++ testbench.
module tb_dma_top #(
  parameter int unsigned DataW          = 64,
  parameter int unsigned IdW            = 2,
  parameter int unsigned MaxOutstanding = 4,
  localparam int unsigned AW  = 32,
  localparam int unsigned LAW = 24,
  localparam int unsigned SW  = DataW / 8
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // load command / done / status
  input  logic             rd_cmd_valid_i,
  output logic             rd_cmd_ready_o,
  input  logic [AW-1:0]    rd_cmd_dram_addr_i,
  input  logic [31:0]      rd_cmd_dram_stride_i,
  input  logic [15:0]      rd_cmd_rows_i,
  input  logic [15:0]      rd_cmd_row_words_i,
  input  logic [1:0]       rd_cmd_space_i,
  input  logic [LAW-1:0]   rd_cmd_local_addr_i,
  input  logic [LAW-1:0]   rd_cmd_local_stride_i,
  output logic             rd_done_valid_o,
  input  logic             rd_done_ready_i,
  output logic [1:0]       rd_done_err_o,
  output logic             rd_busy_o,
  output logic             rd_stall_o,
  output logic             rd_beat_o,
  // store command / done / status
  input  logic             wr_cmd_valid_i,
  output logic             wr_cmd_ready_o,
  input  logic [AW-1:0]    wr_cmd_dram_addr_i,
  input  logic [31:0]      wr_cmd_dram_stride_i,
  input  logic [15:0]      wr_cmd_rows_i,
  input  logic [15:0]      wr_cmd_row_words_i,
  input  logic [1:0]       wr_cmd_space_i,
  input  logic [LAW-1:0]   wr_cmd_local_addr_i,
  input  logic [LAW-1:0]   wr_cmd_local_stride_i,
  output logic             wr_done_valid_o,
  input  logic             wr_done_ready_i,
  output logic [1:0]       wr_done_err_o,
  output logic             wr_busy_o,
  output logic             wr_stall_o,
  output logic             wr_beat_o,
  // local write port (load)
  output logic             lw_req_valid_o,
  input  logic             lw_req_ready_i,
  output logic             lw_req_we_o,
  output logic [LAW-1:0]   lw_req_addr_o,
  output logic [DataW-1:0] lw_req_wdata_o,
  output logic [SW-1:0]    lw_req_wstrb_o,
  output logic [1:0]       lw_space_o,
  // local read port (store)
  output logic             lr_req_valid_o,
  input  logic             lr_req_ready_i,
  output logic             lr_req_we_o,
  output logic [LAW-1:0]   lr_req_addr_o,
  output logic [DataW-1:0] lr_req_wdata_o,
  output logic [SW-1:0]    lr_req_wstrb_o,
  output logic [1:0]       lr_space_o,
  input  logic             lr_rsp_valid_i,
  input  logic [DataW-1:0] lr_rsp_rdata_i,
  // second read master into the mux (testbench-driven)
  input  logic             f_axi_arvalid_i,
  output logic             f_axi_arready_o,
  input  logic [AW-1:0]    f_axi_araddr_i,
  input  logic [7:0]       f_axi_arlen_i,
  output logic             f_axi_rvalid_o,
  input  logic             f_axi_rready_i,
  output logic [DataW-1:0] f_axi_rdata_o,
  output logic [1:0]       f_axi_rresp_o,
  output logic             f_axi_rlast_o,
  // AXI4 master
  output logic             m_axi_arvalid_o,
  input  logic             m_axi_arready_i,
  output logic [AW-1:0]    m_axi_araddr_o,
  output logic [7:0]       m_axi_arlen_o,
  output logic [2:0]       m_axi_arsize_o,
  output logic [1:0]       m_axi_arburst_o,
  output logic [IdW:0]     m_axi_arid_o,
  input  logic             m_axi_rvalid_i,
  output logic             m_axi_rready_o,
  input  logic [DataW-1:0] m_axi_rdata_i,
  input  logic [1:0]       m_axi_rresp_i,
  input  logic             m_axi_rlast_i,
  input  logic [IdW:0]     m_axi_rid_i,
  output logic             m_axi_awvalid_o,
  input  logic             m_axi_awready_i,
  output logic [AW-1:0]    m_axi_awaddr_o,
  output logic [7:0]       m_axi_awlen_o,
  output logic [2:0]       m_axi_awsize_o,
  output logic [1:0]       m_axi_awburst_o,
  output logic [IdW:0]     m_axi_awid_o,
  output logic             m_axi_wvalid_o,
  input  logic             m_axi_wready_i,
  output logic [DataW-1:0] m_axi_wdata_o,
  output logic [SW-1:0]    m_axi_wstrb_o,
  output logic             m_axi_wlast_o,
  input  logic             m_axi_bvalid_i,
  output logic             m_axi_bready_o,
  input  logic [1:0]       m_axi_bresp_i,
  input  logic [IdW:0]     m_axi_bid_i
);

  logic             d_arvalid, d_arready, d_rvalid, d_rready, d_rlast;
  logic [AW-1:0]    d_araddr;
  logic [7:0]       d_arlen;
  logic [2:0]       d_arsize;
  logic [1:0]       d_arburst, d_rresp;
  logic [IdW-1:0]   d_arid, d_rid, f_rid;
  logic [DataW-1:0] d_rdata;

  npu_dma_rd #(.DataW(DataW), .IdW(IdW), .MaxOutstanding(MaxOutstanding),
               .ArId(IdW'(1))) u_rd (
    .clk_i, .rst_ni,
    .cmd_valid_i(rd_cmd_valid_i), .cmd_ready_o(rd_cmd_ready_o),
    .cmd_dram_addr_i(rd_cmd_dram_addr_i), .cmd_dram_stride_i(rd_cmd_dram_stride_i),
    .cmd_rows_i(rd_cmd_rows_i), .cmd_row_words_i(rd_cmd_row_words_i),
    .cmd_space_i(rd_cmd_space_i), .cmd_local_addr_i(rd_cmd_local_addr_i),
    .cmd_local_stride_i(rd_cmd_local_stride_i),
    .done_valid_o(rd_done_valid_o), .done_ready_i(rd_done_ready_i), .done_err_o(rd_done_err_o), .done_fault_o(), .port_dead_i(1'b0), .axi_pending_o(),
    .busy_o(rd_busy_o), .stall_o(rd_stall_o), .beat_o(rd_beat_o),
    .m_axi_arvalid_o(d_arvalid), .m_axi_arready_i(d_arready), .m_axi_araddr_o(d_araddr),
    .m_axi_arlen_o(d_arlen), .m_axi_arsize_o(d_arsize), .m_axi_arburst_o(d_arburst),
    .m_axi_arid_o(d_arid), .m_axi_rvalid_i(d_rvalid), .m_axi_rready_o(d_rready),
    .m_axi_rdata_i(d_rdata), .m_axi_rresp_i(d_rresp), .m_axi_rlast_i(d_rlast),
    .m_axi_rid_i(d_rid),
    .lw_req_valid_o, .lw_req_ready_i, .lw_req_we_o, .lw_req_addr_o, .lw_req_wdata_o,
    .lw_req_wstrb_o, .lw_space_o
  );

  npu_axi_rd_mux #(.DataW(DataW), .IdW(IdW)) u_mux (
    .clk_i, .rst_ni,
    .s0_axi_arvalid_i(d_arvalid), .s0_axi_arready_o(d_arready), .s0_axi_araddr_i(d_araddr),
    .s0_axi_arlen_i(d_arlen), .s0_axi_arsize_i(d_arsize), .s0_axi_arburst_i(d_arburst),
    .s0_axi_arid_i(d_arid), .s0_axi_rvalid_o(d_rvalid), .s0_axi_rready_i(d_rready),
    .s0_axi_rdata_o(d_rdata), .s0_axi_rresp_o(d_rresp), .s0_axi_rlast_o(d_rlast),
    .s0_axi_rid_o(d_rid),
    .s1_axi_arvalid_i(f_axi_arvalid_i), .s1_axi_arready_o(f_axi_arready_o),
    .s1_axi_araddr_i(f_axi_araddr_i), .s1_axi_arlen_i(f_axi_arlen_i),
    .s1_axi_arsize_i(3'($clog2(SW))), .s1_axi_arburst_i(2'b01), .s1_axi_arid_i('0),
    .s1_axi_rvalid_o(f_axi_rvalid_o), .s1_axi_rready_i(f_axi_rready_i),
    .s1_axi_rdata_o(f_axi_rdata_o), .s1_axi_rresp_o(f_axi_rresp_o),
    .s1_axi_rlast_o(f_axi_rlast_o), .s1_axi_rid_o(f_rid),
    .m_axi_arvalid_o, .m_axi_arready_i, .m_axi_araddr_o, .m_axi_arlen_o, .m_axi_arsize_o,
    .m_axi_arburst_o, .m_axi_arid_o, .m_axi_rvalid_i, .m_axi_rready_o, .m_axi_rdata_i,
    .m_axi_rresp_i, .m_axi_rlast_i, .m_axi_rid_i
  );

  logic [IdW-1:0] wr_awid;
  npu_dma_wr #(.DataW(DataW), .IdW(IdW), .MaxOutstanding(MaxOutstanding),
               .AwId(IdW'(2))) u_wr (
    .clk_i, .rst_ni,
    .cmd_valid_i(wr_cmd_valid_i), .cmd_ready_o(wr_cmd_ready_o),
    .cmd_dram_addr_i(wr_cmd_dram_addr_i), .cmd_dram_stride_i(wr_cmd_dram_stride_i),
    .cmd_rows_i(wr_cmd_rows_i), .cmd_row_words_i(wr_cmd_row_words_i),
    .cmd_space_i(wr_cmd_space_i), .cmd_local_addr_i(wr_cmd_local_addr_i),
    .cmd_local_stride_i(wr_cmd_local_stride_i),
    .done_valid_o(wr_done_valid_o), .done_ready_i(wr_done_ready_i), .done_err_o(wr_done_err_o), .done_fault_o(), .port_dead_i(1'b0), .axi_pending_o(),
    .busy_o(wr_busy_o), .stall_o(wr_stall_o), .beat_o(wr_beat_o),
    .m_axi_awvalid_o, .m_axi_awready_i, .m_axi_awaddr_o, .m_axi_awlen_o, .m_axi_awsize_o,
    .m_axi_awburst_o, .m_axi_awid_o(wr_awid), .m_axi_wvalid_o, .m_axi_wready_i,
    .m_axi_wdata_o, .m_axi_wstrb_o, .m_axi_wlast_o, .m_axi_bvalid_i, .m_axi_bready_o,
    .m_axi_bresp_i, .m_axi_bid_i(m_axi_bid_i[IdW-1:0]),
    .lr_req_valid_o, .lr_req_ready_i, .lr_req_we_o, .lr_req_addr_o, .lr_req_wdata_o,
    .lr_req_wstrb_o, .lr_space_o, .lr_rsp_valid_i, .lr_rsp_rdata_i
  );
  assign m_axi_awid_o = {1'b0, wr_awid};

endmodule
