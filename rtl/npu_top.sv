// The accelerator: command processor, GEMM engine, vector engine, LOAD/STORE
// DMA, scratchpads, accumulator memory and register block behind one AXI4
// master (memory), one AXI4-Lite slave (registers) and one interrupt.
// docs/architecture.md §3 has the block diagram; docs/isa.md the commands.
module npu_top #(
  parameter int unsigned Rows           = 4,
  parameter int unsigned Cols           = 5,
  parameter int unsigned BusBytes       = 16,
  parameter int unsigned AspadWords     = 1024,
  parameter int unsigned WspadWords     = 256,
  parameter int unsigned AccRows        = 256,
  parameter int unsigned DmaOutstanding = 4,
  parameter int unsigned VecMaxLen      = 64,
  parameter int unsigned VecLanes       = 4,
  localparam int unsigned DW            = BusBytes * 8,
  localparam int unsigned IdW           = 2
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  output logic             irq_o,
  // AXI4 master to memory
  output logic             m_axi_arvalid_o,
  input  logic             m_axi_arready_i,
  output logic [31:0]      m_axi_araddr_o,
  output logic [7:0]       m_axi_arlen_o,
  output logic [2:0]       m_axi_arsize_o,
  output logic [1:0]       m_axi_arburst_o,
  output logic [IdW-1:0]   m_axi_arid_o,
  input  logic             m_axi_rvalid_i,
  output logic             m_axi_rready_o,
  input  logic [DW-1:0]    m_axi_rdata_i,
  input  logic [1:0]       m_axi_rresp_i,
  input  logic             m_axi_rlast_i,
  input  logic [IdW-1:0]   m_axi_rid_i,
  output logic             m_axi_awvalid_o,
  input  logic             m_axi_awready_i,
  output logic [31:0]      m_axi_awaddr_o,
  output logic [7:0]       m_axi_awlen_o,
  output logic [2:0]       m_axi_awsize_o,
  output logic [1:0]       m_axi_awburst_o,
  output logic [IdW-1:0]   m_axi_awid_o,
  output logic             m_axi_wvalid_o,
  input  logic             m_axi_wready_i,
  output logic [DW-1:0]    m_axi_wdata_o,
  output logic [DW/8-1:0]  m_axi_wstrb_o,
  output logic             m_axi_wlast_o,
  input  logic             m_axi_bvalid_i,
  output logic             m_axi_bready_o,
  input  logic [1:0]       m_axi_bresp_i,
  input  logic [IdW-1:0]   m_axi_bid_i,
  // AXI4-Lite slave: registers
  input  logic             s_axil_awvalid_i,
  output logic             s_axil_awready_o,
  input  logic [11:0]      s_axil_awaddr_i,
  input  logic [2:0]       s_axil_awprot_i,
  input  logic             s_axil_wvalid_i,
  output logic             s_axil_wready_o,
  input  logic [31:0]      s_axil_wdata_i,
  input  logic [3:0]       s_axil_wstrb_i,
  output logic             s_axil_bvalid_o,
  input  logic             s_axil_bready_i,
  output logic [1:0]       s_axil_bresp_o,
  input  logic             s_axil_arvalid_i,
  output logic             s_axil_arready_o,
  input  logic [11:0]      s_axil_araddr_i,
  input  logic [2:0]       s_axil_arprot_i,
  output logic             s_axil_rvalid_o,
  input  logic             s_axil_rready_i,
  output logic [31:0]      s_axil_rdata_o,
  output logic [1:0]       s_axil_rresp_o
);
  localparam int unsigned AccDW     = Cols * npu_pkg::AccW;
  localparam int unsigned AspadAW   = $clog2(AspadWords);
  localparam int unsigned WspadAW   = $clog2(WspadWords);
  localparam int unsigned AccAW     = $clog2(AccRows);
  localparam int unsigned AccWprRaw = (4 * Cols + BusBytes - 1) / BusBytes;
  localparam int unsigned AccWprW   = $clog2(AccWprRaw);       // log2 of words per ACC row
  localparam int unsigned AccWpr    = 1 << AccWprW;
  localparam int unsigned LocalAW   = 24;

  // ------------------------------------------------------------ registers
  logic        ctrl_enable, ctrl_soft_reset, ctrl_cnt_clear;
  logic [31:0] ring_base, ring_size, ring_head, ring_tail, window_base, window_size;
  logic [31:0] axi_timeout;  // AXI_TIMEOUT.CYCLES: the bus watchdog's limit
  logic        cp_fault, cp_fault_set, cp_irq_done, cp_busy, cp_fetch_busy;
  logic [7:0]  err_code;
  logic [31:0] err_addr;
  logic [63:0] cnt_cycles, cnt_gemm_busy, cnt_gemm_stall, cnt_vec_busy, cnt_vec_stall;
  logic [63:0] cnt_load_busy, cnt_load_stall, cnt_store_busy, cnt_store_stall;
  logic [63:0] cnt_macs, cnt_rd_bytes, cnt_wr_bytes;

  // Soft reset: held pending (no dispatch) until nothing is in flight on
  // AXI and every engine is idle, then the core is reset for one cycle. The
  // registers and counters keep their values. A port the watchdog declared
  // dead is isolated, so its clients (fetch and LOAD, or STORE) are not
  // waited for: nothing of theirs can still reach or come from the bus.
  logic srst_pend_q, srst_q, core_rst_n, core_quiet;
  logic ctrl_scrub, scrub_busy, scrub_we;  // CTRL.SCRUB: zero the memories after a soft reset
  logic rd_dead, wr_dead;  // AXI ports isolated by their watchdogs (until rst_ni)
  assign core_rst_n = rst_ni && !srst_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      srst_pend_q <= 1'b0;
      srst_q      <= 1'b0;
    end else begin
      srst_q <= srst_pend_q && core_quiet;
      if (ctrl_soft_reset) srst_pend_q <= 1'b1;
      else if (srst_q)     srst_pend_q <= 1'b0;
    end
  end

  npu_csr u_csr (
    .clk_i, .rst_ni,
    .s_axil_awvalid_i, .s_axil_awready_o, .s_axil_awaddr_i, .s_axil_awprot_i,
    .s_axil_wvalid_i, .s_axil_wready_o, .s_axil_wdata_i, .s_axil_wstrb_i,
    .s_axil_bvalid_o, .s_axil_bready_i, .s_axil_bresp_o,
    .s_axil_arvalid_i, .s_axil_arready_o, .s_axil_araddr_i, .s_axil_arprot_i,
    .s_axil_rvalid_o, .s_axil_rready_i, .s_axil_rdata_o, .s_axil_rresp_o,
    .hw_rows_i(8'(Rows)), .hw_cols_i(8'(Cols)), .hw_vec_lanes_i(8'(VecLanes)), .hw_bus_bytes_i(8'(BusBytes)),
    .hw_aspad_words_i(32'(AspadWords)), .hw_wspad_words_i(32'(WspadWords)),
    .hw_acc_rows_i(32'(AccRows)), .hw_vec_maxlen_i(32'(VecMaxLen)),
    .ctrl_enable_o(ctrl_enable), .ctrl_soft_reset_o(ctrl_soft_reset),
    .ctrl_cnt_clear_o(ctrl_cnt_clear), .ctrl_scrub_o(ctrl_scrub),
    .status_busy_i(cp_busy || srst_pend_q || scrub_busy), .status_fault_i(cp_fault),
    .status_idle_i(!cp_busy && !srst_pend_q && !scrub_busy),
    .soft_reset_pending_i(srst_pend_q || scrub_busy),
    .ring_base_o(ring_base), .ring_size_o(ring_size), .ring_head_i(ring_head),
    .ring_tail_o(ring_tail), .ring_tail_clear_i(srst_q),
    .irq_done_set_i(cp_irq_done), .irq_fault_set_i(cp_fault_set), .irq_o,
    .window_base_o(window_base), .window_size_o(window_size), .axi_timeout_o(axi_timeout),
    .err_code_i(err_code), .err_cmd_addr_i(err_addr),
    .cnt_cycles_i(cnt_cycles), .cnt_gemm_busy_i(cnt_gemm_busy),
    .cnt_gemm_stall_i(cnt_gemm_stall), .cnt_vec_busy_i(cnt_vec_busy),
    .cnt_vec_stall_i(cnt_vec_stall), .cnt_load_busy_i(cnt_load_busy),
    .cnt_load_stall_i(cnt_load_stall), .cnt_store_busy_i(cnt_store_busy),
    .cnt_store_stall_i(cnt_store_stall), .cnt_macs_i(cnt_macs),
    .cnt_dma_rd_bytes_i(cnt_rd_bytes), .cnt_dma_wr_bytes_i(cnt_wr_bytes));

  // ------------------------------------------------------------ command processor
  logic         ld_valid, ld_ready, ld_done, st_valid, st_ready, st_done;
  logic [511:0] ld_cmd, st_cmd, gm_cmd, vc_cmd;
  logic [7:0]   ld_err, st_err;
  logic         gemm_valid, gemm_ready, gemm_done, gemm_idle;
  logic         vec_valid, vec_ready, vec_done, vec_busy;
  logic         ld_busy, st_busy, ld_axi_pending, st_axi_pending;

  // fetch AXI read (mux port 0)
  logic           f_arvalid, f_arready, f_rvalid, f_rready, f_rlast;
  logic [31:0]    f_araddr;
  logic [7:0]     f_arlen;
  logic [2:0]     f_arsize;
  logic [1:0]     f_arburst, f_rresp;
  logic [0:0]     f_arid, f_rid;
  logic [DW-1:0]  f_rdata;

  npu_cmdproc #(
    .Rows(Rows), .Cols(Cols), .BusBytes(BusBytes), .AspadWords(AspadWords),
    .WspadWords(WspadWords), .AccRows(AccRows), .AccWpr(AccWpr), .VecMaxLen(VecMaxLen),
    .IdW(1)
  ) u_cmdproc (
    .clk_i, .rst_ni(core_rst_n),
    .enable_i(ctrl_enable), .stop_i(srst_pend_q || scrub_busy),
    .ring_base_i(ring_base), .ring_size_i(ring_size), .ring_tail_i(ring_tail),
    .ring_head_o(ring_head), .window_base_i(window_base), .window_size_i(window_size),
    .irq_done_o(cp_irq_done), .fault_o(cp_fault), .fault_set_o(cp_fault_set),
    .err_code_o(err_code), .err_addr_o(err_addr), .busy_o(cp_busy),
    .fetch_busy_o(cp_fetch_busy), .rd_dead_i(rd_dead),
    .ld_valid_o(ld_valid), .ld_ready_i(ld_ready), .ld_cmd_o(ld_cmd), .ld_done_i(ld_done),
    .ld_err_i(ld_err), .ld_idle_i(!ld_busy),
    .st_valid_o(st_valid), .st_ready_i(st_ready), .st_cmd_o(st_cmd), .st_done_i(st_done),
    .st_err_i(st_err), .st_idle_i(!st_busy),
    .gemm_cmd_o(gm_cmd), .gemm_valid_o(gemm_valid), .gemm_ready_i(gemm_ready), .gemm_done_i(gemm_done),
    .gemm_idle_i(gemm_idle),
    .vec_cmd_o(vc_cmd), .vec_valid_o(vec_valid), .vec_ready_i(vec_ready), .vec_done_i(vec_done),
    .vec_idle_i(!vec_busy),
    .m_axi_arvalid_o(f_arvalid), .m_axi_arready_i(f_arready), .m_axi_araddr_o(f_araddr),
    .m_axi_arlen_o(f_arlen), .m_axi_arsize_o(f_arsize), .m_axi_arburst_o(f_arburst),
    .m_axi_arid_o(f_arid), .m_axi_rvalid_i(f_rvalid), .m_axi_rready_o(f_rready),
    .m_axi_rdata_i(f_rdata), .m_axi_rresp_i(f_rresp), .m_axi_rlast_i(f_rlast),
    .m_axi_rid_i(f_rid));

  assign core_quiet = gemm_idle && !vec_busy && (rd_dead || (!ld_busy && !cp_fetch_busy)) &&
                      (wr_dead || !st_busy);

  // ------------------------------------------------------------ memories
  // ASPAD: read port 0 GEMM A (dedicated: the array never waits), read port 1
  // VEC and DMA store (round-robin); writers DMA load and VEC (round-robin).
  logic                 as_rd0_en, as_rd0_rsp_q;
  // Scrub (CTRL.SCRUB): after the soft reset, one word of every memory per
  // cycle is written zero while the engines are held idle: ASPAD, WSPAD, ACC
  // and the vector engine's parameter buffer and LUT.
  localparam int unsigned VecParamWords = (VecMaxLen + VecLanes - 1) / VecLanes;
  localparam int unsigned VecStateWords = VecParamWords > 256 ? VecParamWords : 256;
  localparam int unsigned SpadWords  = (AspadWords > WspadWords ? AspadWords : WspadWords) > AccRows ?
                                       (AspadWords > WspadWords ? AspadWords : WspadWords) : AccRows;
  localparam int unsigned ScrubWords = SpadWords > VecStateWords ? SpadWords : VecStateWords;
  localparam int unsigned ScrubAW    = ScrubWords > 1 ? $clog2(ScrubWords) : 1;
  logic [ScrubAW-1:0] scrub_addr;
  npu_scrub #(.Words(ScrubWords)) u_scrub (
    .clk_i, .rst_ni, .start_i(srst_q && ctrl_scrub), .busy_o(scrub_busy), .we_o(scrub_we),
    .addr_o(scrub_addr));
  logic scrub_as, scrub_ws, scrub_acc;
  assign scrub_as  = scrub_we && 32'(scrub_addr) < AspadWords;
  assign scrub_ws  = scrub_we && 32'(scrub_addr) < WspadWords;
  assign scrub_acc = scrub_we && 32'(scrub_addr) < AccRows;

  logic [AspadAW-1:0]   as_rd0_a;
  logic [1:0]           as_rd_valid, as_rd_ready, as_rd_rsp;
  logic [2*AspadAW-1:0] as_rd_addr;
  logic                 as_rd1_en;
  logic [AspadAW-1:0]   as_rd1_a;
  logic [2*DW-1:0]      as_rdata;
  logic [1:0]           as_wr_valid, as_wr_ready;
  logic [2*AspadAW-1:0] as_wr_addr;
  logic [2*DW-1:0]      as_wr_data;
  logic [2*DW/8-1:0]    as_wr_strb;
  logic                 as_wr_en;
  logic [AspadAW-1:0]   as_wr_a;
  logic [DW-1:0]        as_wdata;
  logic [DW/8-1:0]      as_wstrb;
  logic [1:0]           as_wr_rsp_unused;
  logic [DW-1:0]        as_rd_wd_unused;
  logic [DW/8-1:0]      as_rd_ws_unused;

  npu_mem_arb #(.N(2), .AW(AspadAW), .DW(DW), .Prio0(0)) u_as_rd_arb (
    .clk_i, .rst_ni(core_rst_n), .req_valid_i(as_rd_valid), .req_ready_o(as_rd_ready),
    .req_addr_i(as_rd_addr), .req_wdata_i('0), .req_wstrb_i('0), .rsp_valid_o(as_rd_rsp),
    .mem_en_o(as_rd1_en), .mem_addr_o(as_rd1_a), .mem_wdata_o(as_rd_wd_unused),
    .mem_wstrb_o(as_rd_ws_unused));
  npu_mem_arb #(.N(2), .AW(AspadAW), .DW(DW), .Prio0(0)) u_as_wr_arb (
    .clk_i, .rst_ni(core_rst_n), .req_valid_i(as_wr_valid), .req_ready_o(as_wr_ready),
    .req_addr_i(as_wr_addr), .req_wdata_i(as_wr_data), .req_wstrb_i(as_wr_strb),
    .rsp_valid_o(as_wr_rsp_unused),
    .mem_en_o(as_wr_en), .mem_addr_o(as_wr_a), .mem_wdata_o(as_wdata), .mem_wstrb_o(as_wstrb));
  npu_mem #(.Words(AspadWords), .DW(DW), .NumRd(2)) u_aspad (
    .clk_i, .rd_en_i({as_rd1_en, as_rd0_en}), .rd_addr_i({as_rd1_a, as_rd0_a}),
    .rd_data_o(as_rdata),
    .wr_en_i(as_wr_en || scrub_as), .wr_addr_i(scrub_we ? AspadAW'(scrub_addr) : as_wr_a),
    .wr_data_i(scrub_we ? '0 : as_wdata), .wr_strb_i(scrub_we ? '1 : as_wstrb));
  always_ff @(posedge clk_i or negedge core_rst_n) begin
    if (!core_rst_n) as_rd0_rsp_q <= 1'b0;
    else             as_rd0_rsp_q <= as_rd0_en;
  end

  // WSPAD: reader GEMM W (fixed priority: its reads are never refused) and DMA
  // store; writers DMA load and VEC (round-robin, below).
  logic               ws_rd_en, ws_wr_en, ws_rd_mem_en;
  logic [WspadAW-1:0] ws_rd_a, ws_rd_mem_a;
  logic [DW-1:0]      ws_rdata;
  logic [1:0]         ws_rd_valid, ws_rd_ready, ws_rd_rsp;
  logic [2*WspadAW-1:0] ws_rd_addr;
  logic [DW-1:0]      ws_rd_wd_unused;
  logic [DW/8-1:0]    ws_rd_ws_unused;
  logic [LocalAW-1:0] lw_addr;
  logic [DW-1:0]      lw_data;
  logic [1:0]         lw_space;
  logic               lw_valid, lw_ready, lw_we;
  logic [DW/8-1:0]    lw_strb;

  assign ws_rd_valid[0] = ws_rd_en;
  assign ws_rd_addr[0 +: WspadAW] = ws_rd_a;
  npu_mem_arb #(.N(2), .AW(WspadAW), .DW(DW), .Prio0(1)) u_ws_rd_arb (
    .clk_i, .rst_ni(core_rst_n), .req_valid_i(ws_rd_valid), .req_ready_o(ws_rd_ready),
    .req_addr_i(ws_rd_addr), .req_wdata_i('0), .req_wstrb_i('0), .rsp_valid_o(ws_rd_rsp),
    .mem_en_o(ws_rd_mem_en), .mem_addr_o(ws_rd_mem_a), .mem_wdata_o(ws_rd_wd_unused),
    .mem_wstrb_o(ws_rd_ws_unused));
  // WSPAD writers: DMA load and VEC (round-robin)
  logic [1:0]           ws_wr_valid, ws_wr_ready, ws_wr_rsp_unused;
  logic [2*WspadAW-1:0] ws_wr_addr;
  logic [2*DW-1:0]      ws_wr_data;
  logic [2*DW/8-1:0]    ws_wr_strb;
  logic [WspadAW-1:0]   ws_wr_a;
  logic [DW-1:0]        ws_wdata;
  logic [DW/8-1:0]      ws_wstrb;
  npu_mem_arb #(.N(2), .AW(WspadAW), .DW(DW), .Prio0(0)) u_ws_wr_arb (
    .clk_i, .rst_ni(core_rst_n), .req_valid_i(ws_wr_valid), .req_ready_o(ws_wr_ready),
    .req_addr_i(ws_wr_addr), .req_wdata_i(ws_wr_data), .req_wstrb_i(ws_wr_strb),
    .rsp_valid_o(ws_wr_rsp_unused),
    .mem_en_o(ws_wr_en), .mem_addr_o(ws_wr_a), .mem_wdata_o(ws_wdata), .mem_wstrb_o(ws_wstrb));
  npu_mem #(.Words(WspadWords), .DW(DW), .NumRd(1)) u_wspad (
    .clk_i, .rd_en_i(ws_rd_mem_en), .rd_addr_i(ws_rd_mem_a), .rd_data_o(ws_rdata),
    .wr_en_i(ws_wr_en || scrub_ws), .wr_addr_i(scrub_we ? WspadAW'(scrub_addr) : ws_wr_a),
    .wr_data_i(scrub_we ? '0 : ws_wdata), .wr_strb_i(scrub_we ? '1 : ws_wstrb));

  // ACC: read port 0 gemm (dedicated), read port 1 vec / DMA store; writer gemm.
  logic               acc_rd0_en, acc_rd1_en, acc_wr_en;
  logic [AccAW-1:0]   acc_rd0_a, acc_rd1_a, acc_wr_a;
  logic [2*AccDW-1:0] acc_rdata;
  logic [AccDW-1:0]   acc_wdata;
  logic [1:0]         acc_rd_valid, acc_rd_ready, acc_rd_rsp;
  logic [2*AccAW-1:0] acc_rd_addr;
  logic [AccDW-1:0]   acc_rd_wd_unused;
  logic [AccDW/8-1:0] acc_rd_ws_unused;

  npu_mem_arb #(.N(2), .AW(AccAW), .DW(AccDW), .Prio0(0)) u_acc_rd_arb (
    .clk_i, .rst_ni(core_rst_n), .req_valid_i(acc_rd_valid), .req_ready_o(acc_rd_ready),
    .req_addr_i(acc_rd_addr), .req_wdata_i('0), .req_wstrb_i('0), .rsp_valid_o(acc_rd_rsp),
    .mem_en_o(acc_rd1_en), .mem_addr_o(acc_rd1_a), .mem_wdata_o(acc_rd_wd_unused),
    .mem_wstrb_o(acc_rd_ws_unused));
  npu_mem #(.Words(AccRows), .DW(AccDW), .NumRd(2)) u_acc (
    .clk_i, .rd_en_i({acc_rd1_en, acc_rd0_en}), .rd_addr_i({acc_rd1_a, acc_rd0_a}),
    .rd_data_o(acc_rdata), .wr_en_i(acc_wr_en || scrub_acc),
    .wr_addr_i(scrub_we ? AccAW'(scrub_addr) : acc_wr_a), .wr_data_i(scrub_we ? '0 : acc_wdata),
    .wr_strb_i('1));

  // ------------------------------------------------------------ GEMM engine
  logic gemm_busy, gemm_stall, gemm_row_fire, gemm_row_int8;
  npu_isa_pkg::cmd_gemm_t gemm_cmd;
  assign gemm_cmd = gm_cmd;

  npu_gemm_engine #(
    .Rows(Rows), .Cols(Cols), .BusBytes(BusBytes), .AspadAW(AspadAW), .WspadAW(WspadAW),
    .AccRows(AccRows)
  ) u_gemm (
    .clk_i, .rst_ni(core_rst_n),
    .cmd_valid_i(gemm_valid), .cmd_ready_o(gemm_ready),
    .cmd_mode_i({gemm_cmd.a_unsigned, gemm_cmd.bf16}), .cmd_w_tr_i(gemm_cmd.w_transposed),
    .cmd_accumulate_i(gemm_cmd.accumulate),
    .cmd_a_addr_i(gemm_cmd.a_addr[AspadAW-1:0]), .cmd_w_addr_i(gemm_cmd.w_addr[WspadAW-1:0]),
    .cmd_acc_addr_i(gemm_cmd.acc_addr[AccAW-1:0]), .cmd_m_i(gemm_cmd.m),
    .cmd_k_tiles_i(gemm_cmd.k_tiles), .cmd_a_kstride_i(gemm_cmd.a_kstride[AspadAW-1:0]),
    .cmd_w_kstride_i(gemm_cmd.w_kstride[WspadAW-1:0]), .cmd_n_tiles_i(gemm_cmd.n_tiles),
    .cmd_w_nstride_i(gemm_cmd.w_nstride[WspadAW-1:0]),
    .cmd_acc_nstride_i(gemm_cmd.acc_nstride[AccAW-1:0]),
    .done_o(gemm_done), .idle_o(gemm_idle), .busy_o(gemm_busy), .stall_o(gemm_stall),
    .row_fire_o(gemm_row_fire), .row_int8_o(gemm_row_int8),
    .a_req_valid_o(as_rd0_en), .a_req_ready_i(1'b1),
    .a_req_addr_o(as_rd0_a), .a_rsp_valid_i(as_rd0_rsp_q),
    .a_rsp_data_i(as_rdata[0 +: DW]),
    .w_rd_en_o(ws_rd_en), .w_rd_addr_o(ws_rd_a), .w_rd_data_i(ws_rdata),
    .acc_rd_en_o(acc_rd0_en), .acc_rd_addr_o(acc_rd0_a), .acc_rd_data_i(acc_rdata[0 +: AccDW]),
    .acc_wr_en_o(acc_wr_en), .acc_wr_addr_o(acc_wr_a), .acc_wr_data_o(acc_wdata));

  // ------------------------------------------------------------ vector engine
  logic vec_stall;
  npu_vec_engine #(
    .Cols(Cols), .BusBytes(BusBytes), .AspadAW(AspadAW), .WspadAW(WspadAW), .AccAW(AccAW),
    .MaxLen(VecMaxLen), .Lanes(VecLanes), .ScrubAW(ScrubAW)
  ) u_vec (
    .clk_i, .rst_ni(core_rst_n),
    .cmd_valid_i(vec_valid), .cmd_ready_o(vec_ready), .cmd_i(vc_cmd),
    .done_o(vec_done), .busy_o(vec_busy), .stall_o(vec_stall),
    .aspad_rd_valid_o(as_rd_valid[0]), .aspad_rd_ready_i(as_rd_ready[0]),
    .aspad_rd_addr_o(as_rd_addr[0 +: AspadAW]), .aspad_rd_rsp_valid_i(as_rd_rsp[0]),
    .aspad_rd_rsp_data_i(as_rdata[DW +: DW]),
    .acc_rd_valid_o(acc_rd_valid[0]), .acc_rd_ready_i(acc_rd_ready[0]),
    .acc_rd_addr_o(acc_rd_addr[0 +: AccAW]), .acc_rd_rsp_valid_i(acc_rd_rsp[0]),
    .acc_rd_rsp_data_i(acc_rdata[AccDW +: AccDW]),
    .aspad_wr_valid_o(as_wr_valid[1]), .aspad_wr_ready_i(as_wr_ready[1]),
    .aspad_wr_addr_o(as_wr_addr[AspadAW +: AspadAW]), .aspad_wr_data_o(as_wr_data[DW +: DW]),
    .aspad_wr_strb_o(as_wr_strb[DW/8 +: DW/8]),
    .wspad_wr_valid_o(ws_wr_valid[1]), .wspad_wr_ready_i(ws_wr_ready[1]),
    .wspad_wr_addr_o(ws_wr_addr[WspadAW +: WspadAW]), .wspad_wr_data_o(ws_wr_data[DW +: DW]),
    .wspad_wr_strb_o(ws_wr_strb[DW/8 +: DW/8]),
    .scrub_we_i(scrub_we), .scrub_addr_i(scrub_addr));

  // ------------------------------------------------------------ DMA
  // read channel: port 0 command fetch, port 1 DMA load
  logic          d_arvalid, d_arready, d_rvalid, d_rready, d_rlast;
  logic [31:0]   d_araddr;
  logic [7:0]    d_arlen;
  logic [2:0]    d_arsize;
  logic [1:0]    d_arburst, d_rresp, ld_err2, st_err2;
  logic [0:0]    d_arid, d_rid;
  logic [DW-1:0] d_rdata;
  logic          ld_stall, ld_beat, st_stall, st_beat;
  logic          mx_arvalid, mx_arready, mx_rvalid, mx_rready;             // mux <-> read watchdog
  logic          wr_awvalid, wr_awready, wr_wvalid, wr_wready, wr_bvalid, wr_bready;  // write watchdog
  npu_isa_pkg::cmd_load_t  ld_f;
  npu_isa_pkg::cmd_store_t st_f;
  assign ld_f = ld_cmd;
  assign st_f = st_cmd;

  npu_axi_rd_mux #(.AddrW(32), .DataW(DW), .IdW(1)) u_rd_mux (
    .clk_i, .rst_ni(core_rst_n),
    .s0_axi_arvalid_i(f_arvalid), .s0_axi_arready_o(f_arready), .s0_axi_araddr_i(f_araddr),
    .s0_axi_arlen_i(f_arlen), .s0_axi_arsize_i(f_arsize), .s0_axi_arburst_i(f_arburst),
    .s0_axi_arid_i(f_arid), .s0_axi_rvalid_o(f_rvalid), .s0_axi_rready_i(f_rready),
    .s0_axi_rdata_o(f_rdata), .s0_axi_rresp_o(f_rresp), .s0_axi_rlast_o(f_rlast),
    .s0_axi_rid_o(f_rid),
    .s1_axi_arvalid_i(d_arvalid), .s1_axi_arready_o(d_arready), .s1_axi_araddr_i(d_araddr),
    .s1_axi_arlen_i(d_arlen), .s1_axi_arsize_i(d_arsize), .s1_axi_arburst_i(d_arburst),
    .s1_axi_arid_i(d_arid), .s1_axi_rvalid_o(d_rvalid), .s1_axi_rready_i(d_rready),
    .s1_axi_rdata_o(d_rdata), .s1_axi_rresp_o(d_rresp), .s1_axi_rlast_o(d_rlast),
    .s1_axi_rid_o(d_rid),
    .m_axi_arvalid_o(mx_arvalid), .m_axi_arready_i(mx_arready), .m_axi_araddr_o,
    .m_axi_arlen_o, .m_axi_arsize_o, .m_axi_arburst_o, .m_axi_arid_o,
    .m_axi_rvalid_i(mx_rvalid), .m_axi_rready_o(mx_rready), .m_axi_rdata_i,
    .m_axi_rresp_i, .m_axi_rlast_i, .m_axi_rid_i);

  // Watchdogs on the two AXI ports (reset by rst_ni only: a soft reset must
  // not reconnect a dead slave). The read port has work while a fetch or a
  // LOAD burst is in flight, the write port while a STORE burst awaits B.
  npu_axi_watchdog #(.NReq(1), .NRsp(1)) u_rd_wdog (
    .clk_i, .rst_ni, .limit_i(axi_timeout), .outstanding_i(cp_fetch_busy || ld_axi_pending),
    .req_valid_i(mx_arvalid), .req_ready_o(mx_arready),
    .rsp_valid_o(mx_rvalid), .rsp_ready_i(mx_rready),
    .req_valid_o(m_axi_arvalid_o), .req_ready_i(m_axi_arready_i),
    .rsp_valid_i(m_axi_rvalid_i), .rsp_ready_o(m_axi_rready_o),
    .timeout_o(rd_dead));
  npu_axi_watchdog #(.NReq(2), .NRsp(1)) u_wr_wdog (
    .clk_i, .rst_ni, .limit_i(axi_timeout), .outstanding_i(st_axi_pending),
    .req_valid_i({wr_wvalid, wr_awvalid}), .req_ready_o({wr_wready, wr_awready}),
    .rsp_valid_o(wr_bvalid), .rsp_ready_i(wr_bready),
    .req_valid_o({m_axi_wvalid_o, m_axi_awvalid_o}), .req_ready_i({m_axi_wready_i, m_axi_awready_i}),
    .rsp_valid_i(m_axi_bvalid_i), .rsp_ready_o(m_axi_bready_o),
    .timeout_o(wr_dead));

  npu_dma_rd #(
    .AddrW(32), .DataW(DW), .IdW(1), .LocalAW(LocalAW), .MaxOutstanding(DmaOutstanding)
  ) u_dma_rd (
    .clk_i, .rst_ni(core_rst_n),
    .cmd_valid_i(ld_valid), .cmd_ready_o(ld_ready),
    .cmd_dram_addr_i(ld_f.dram_addr), .cmd_dram_stride_i(ld_f.dram_stride),
    .cmd_rows_i(ld_f.rows), .cmd_row_words_i(ld_f.row_words),
    .cmd_space_i(ld_f.space), .cmd_local_addr_i(ld_f.local_addr),
    .cmd_local_stride_i(ld_f.local_stride),
    .done_valid_o(ld_done), .done_ready_i(1'b1), .done_err_o(ld_err2), .done_fault_o(ld_err),
    .port_dead_i(rd_dead),
    .busy_o(ld_busy), .stall_o(ld_stall), .beat_o(ld_beat), .axi_pending_o(ld_axi_pending),
    .m_axi_arvalid_o(d_arvalid), .m_axi_arready_i(d_arready), .m_axi_araddr_o(d_araddr),
    .m_axi_arlen_o(d_arlen), .m_axi_arsize_o(d_arsize), .m_axi_arburst_o(d_arburst),
    .m_axi_arid_o(d_arid), .m_axi_rvalid_i(d_rvalid), .m_axi_rready_o(d_rready),
    .m_axi_rdata_i(d_rdata), .m_axi_rresp_i(d_rresp), .m_axi_rlast_i(d_rlast),
    .m_axi_rid_i(d_rid),
    .lw_req_valid_o(lw_valid), .lw_req_ready_i(lw_ready), .lw_req_we_o(lw_we),
    .lw_req_addr_o(lw_addr), .lw_req_wdata_o(lw_data), .lw_req_wstrb_o(lw_strb),
    .lw_space_o(lw_space));

  // load writes: ASPAD and WSPAD through their write arbiters (client 0)
  assign ws_wr_valid[0] = lw_valid && (lw_space == npu_isa_pkg::SpaceWspad);
  assign ws_wr_addr[0 +: WspadAW] = lw_addr[WspadAW-1:0];
  assign ws_wr_data[0 +: DW]      = lw_data;
  assign ws_wr_strb[0 +: DW/8]    = lw_strb;
  assign as_wr_valid[0] = lw_valid && (lw_space == npu_isa_pkg::SpaceAspad);
  assign as_wr_addr[0 +: AspadAW] = lw_addr[AspadAW-1:0];
  assign as_wr_data[0 +: DW]      = lw_data;
  assign as_wr_strb[0 +: DW/8]    = lw_strb;
  assign lw_ready = (lw_space == npu_isa_pkg::SpaceWspad) ? ws_wr_ready[0] : as_wr_ready[0];

  // store reads: ASPAD (read client 1) or ACC (read port 1, client 1; a bus
  // word is a slice of an ACC row, zero past 4*Cols bytes)
  logic               lr_valid, lr_ready, lr_rsp_valid, lr_we;
  logic [LocalAW-1:0] lr_addr;
  logic [DW-1:0]      lr_wdata_unused, lr_rdata;
  logic [DW/8-1:0]    lr_wstrb_unused;
  logic [1:0]         lr_space;
  logic [AccWpr*DW-1:0] acc_row_padded;
  logic [(AccWprW > 0 ? AccWprW : 1)-1:0] lr_part_q;

  assign as_rd_valid[1] = lr_valid && (lr_space == npu_isa_pkg::SpaceAspad);
  assign as_rd_addr[AspadAW +: AspadAW] = lr_addr[AspadAW-1:0];
  assign ws_rd_valid[1] = lr_valid && (lr_space == npu_isa_pkg::SpaceWspad);
  assign ws_rd_addr[WspadAW +: WspadAW] = lr_addr[WspadAW-1:0];
  assign acc_rd_valid[1] = lr_valid && (lr_space == npu_isa_pkg::SpaceAcc);
  assign acc_rd_addr[AccAW +: AccAW] = AccAW'(lr_addr >> AccWprW);
  assign lr_ready = (lr_space == npu_isa_pkg::SpaceAcc)   ? acc_rd_ready[1] :
                    (lr_space == npu_isa_pkg::SpaceWspad) ? ws_rd_ready[1] : as_rd_ready[1];
  assign acc_row_padded = (AccWpr*DW)'(acc_rdata[AccDW +: AccDW]);
  assign lr_rsp_valid = as_rd_rsp[1] || ws_rd_rsp[1] || acc_rd_rsp[1];
  assign lr_rdata = acc_rd_rsp[1] ? acc_row_padded[32'(lr_part_q) * DW +: DW] :
                    ws_rd_rsp[1]  ? ws_rdata : as_rdata[DW +: DW];

  if (AccWprW > 0) begin : g_part
    always_ff @(posedge clk_i or negedge core_rst_n) begin
      if (!core_rst_n)                     lr_part_q <= '0;
      else if (lr_valid && lr_ready)       lr_part_q <= lr_addr[AccWprW-1:0];
    end
  end else begin : g_nopart
    assign lr_part_q = '0;
  end

  npu_dma_wr #(
    .AddrW(32), .DataW(DW), .IdW(IdW), .LocalAW(LocalAW), .MaxOutstanding(DmaOutstanding)
  ) u_dma_wr (
    .clk_i, .rst_ni(core_rst_n),
    .cmd_valid_i(st_valid), .cmd_ready_o(st_ready),
    .cmd_dram_addr_i(st_f.dram_addr), .cmd_dram_stride_i(st_f.dram_stride),
    .cmd_rows_i(st_f.rows), .cmd_row_words_i(st_f.row_words),
    .cmd_space_i(st_f.space), .cmd_local_addr_i(st_f.local_addr),
    .cmd_local_stride_i(st_f.local_stride),
    .done_valid_o(st_done), .done_ready_i(1'b1), .done_err_o(st_err2), .done_fault_o(st_err),
    .port_dead_i(wr_dead),
    .busy_o(st_busy), .stall_o(st_stall), .beat_o(st_beat), .axi_pending_o(st_axi_pending),
    .m_axi_awvalid_o(wr_awvalid), .m_axi_awready_i(wr_awready), .m_axi_awaddr_o,
    .m_axi_awlen_o, .m_axi_awsize_o, .m_axi_awburst_o, .m_axi_awid_o,
    .m_axi_wvalid_o(wr_wvalid), .m_axi_wready_i(wr_wready), .m_axi_wdata_o,
    .m_axi_wstrb_o, .m_axi_wlast_o, .m_axi_bvalid_i(wr_bvalid), .m_axi_bready_o(wr_bready),
    .m_axi_bresp_i, .m_axi_bid_i,
    .lr_req_valid_o(lr_valid), .lr_req_ready_i(lr_ready), .lr_req_we_o(lr_we),
    .lr_req_addr_o(lr_addr), .lr_req_wdata_o(lr_wdata_unused),
    .lr_req_wstrb_o(lr_wstrb_unused), .lr_space_o(lr_space),
    .lr_rsp_valid_i(lr_rsp_valid), .lr_rsp_rdata_i(lr_rdata));

  // ------------------------------------------------------------ counters
  npu_perf #(.MacsPerRow(Rows * Cols), .BusBytes(BusBytes)) u_perf (
    .clk_i, .rst_ni, .clr_i(ctrl_cnt_clear),
    .busy_i(cp_busy), .gemm_busy_i(gemm_busy), .gemm_stall_i(gemm_stall),
    .vec_busy_i(vec_busy), .vec_stall_i(vec_stall),
    .load_busy_i(ld_busy), .load_stall_i(ld_stall),
    .store_busy_i(st_busy), .store_stall_i(st_stall),
    .row_fire_i(gemm_row_fire), .row_int8_i(gemm_row_int8), .rd_beat_i(ld_beat), .wr_beat_i(st_beat),
    .cycles_o(cnt_cycles), .gemm_busy_o(cnt_gemm_busy), .gemm_stall_o(cnt_gemm_stall),
    .vec_busy_o(cnt_vec_busy), .vec_stall_o(cnt_vec_stall),
    .load_busy_o(cnt_load_busy), .load_stall_o(cnt_load_stall),
    .store_busy_o(cnt_store_busy), .store_stall_o(cnt_store_stall),
    .macs_o(cnt_macs), .rd_bytes_o(cnt_rd_bytes), .wr_bytes_o(cnt_wr_bytes));

  logic unused;
  assign unused = ^{ws_wr_rsp_unused, lw_we, lr_we, lr_wdata_unused, lr_wstrb_unused, as_wr_rsp_unused,
                    lw_addr[LocalAW-1:WspadAW], lr_addr[LocalAW-1:AspadAW], as_rd_wd_unused,
                    as_rd_ws_unused, ws_rd_rsp[0], ws_rd_ready[0], ws_rd_wd_unused, ws_rd_ws_unused, acc_rd_wd_unused, acc_rd_ws_unused,
                    ld_f, st_f, gemm_cmd, ld_err2, st_err2};
endmodule
