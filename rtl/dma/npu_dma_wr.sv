// STORE engine: 2D local memory -> DRAM over an AXI4 write channel.
// Local words are read in order through the local read port into a small
// data FIFO (a read is only issued when the FIFO has room for its response).
// AW bursts come from npu_dma_burst_gen (up to MaxOutstanding bursts awaiting
// B); W beats of a burst start only after its AW handshake. After the first
// error response no new AW is issued; W data of issued bursts is still sent.
// done after every B of the command, with the first error: done_err_o the
// BRESP, done_fault_o the fault code (npu_isa_pkg::fault_e). A B that breaks
// the AXI rules (BID not the one issued, EXOKAY, no burst awaiting B) is an
// error response (AXI_PROTOCOL). When the port is declared dead (port_dead_i,
// the watchdog) the command ends at once with AXI_TIMEOUT.
module npu_dma_wr #(
  parameter int unsigned AddrW          = 32,
  parameter int unsigned DataW          = 64,
  parameter int unsigned IdW            = 1,
  parameter int unsigned LocalAW        = 24,
  parameter int unsigned MaxOutstanding = 4,
  parameter int unsigned MaxBurst       = 256,
  parameter int unsigned FifoDepth      = 4,
  parameter logic [IdW-1:0] AwId        = '0,
  localparam int unsigned BusBytes = DataW / 8,
  localparam int unsigned OutW     = $clog2(MaxOutstanding + 1),
  localparam int unsigned FCntW    = $clog2(FifoDepth + 1),
  // words read locally minus words committed to issued bursts (signed)
  localparam int unsigned AheadW   = $clog2(MaxOutstanding * MaxBurst + FifoDepth + 2) + 2
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // command
  input  logic               cmd_valid_i,
  output logic               cmd_ready_o,
  input  logic [AddrW-1:0]   cmd_dram_addr_i,
  input  logic [31:0]        cmd_dram_stride_i,
  input  logic [15:0]        cmd_rows_i,
  input  logic [15:0]        cmd_row_words_i,
  input  logic [1:0]         cmd_space_i,
  input  logic [LocalAW-1:0] cmd_local_addr_i,
  input  logic [LocalAW-1:0] cmd_local_stride_i,
  // done
  output logic               done_valid_o,
  input  logic               done_ready_i,
  output logic [1:0]         done_err_o,
  output logic [7:0]         done_fault_o,
  // the AXI port timed out and is isolated: end the command, issue nothing
  input  logic               port_dead_i,
  // status
  output logic               busy_o,
  output logic               stall_o,
  output logic               beat_o,
  output logic               axi_pending_o,  // a burst is issued and not answered by B
  // AXI4 write master
  output logic               m_axi_awvalid_o,
  input  logic               m_axi_awready_i,
  output logic [AddrW-1:0]   m_axi_awaddr_o,
  output logic [7:0]         m_axi_awlen_o,
  output logic [2:0]         m_axi_awsize_o,
  output logic [1:0]         m_axi_awburst_o,
  output logic [IdW-1:0]     m_axi_awid_o,
  output logic               m_axi_wvalid_o,
  input  logic               m_axi_wready_i,
  output logic [DataW-1:0]   m_axi_wdata_o,
  output logic [DataW/8-1:0] m_axi_wstrb_o,
  output logic               m_axi_wlast_o,
  input  logic               m_axi_bvalid_i,
  output logic               m_axi_bready_o,
  input  logic [1:0]         m_axi_bresp_i,
  input  logic [IdW-1:0]     m_axi_bid_i,
  // local memory read port
  output logic               lr_req_valid_o,
  input  logic               lr_req_ready_i,
  output logic               lr_req_we_o,
  output logic [LocalAW-1:0] lr_req_addr_o,
  output logic [DataW-1:0]   lr_req_wdata_o,
  output logic [DataW/8-1:0] lr_req_wstrb_o,
  output logic [1:0]         lr_space_o,
  input  logic               lr_rsp_valid_i,
  input  logic [DataW-1:0]   lr_rsp_rdata_i
);

  typedef enum logic [1:0] {StIdle, StRun, StDone} state_e;
  state_e state_q, state_d;

  logic cmd_fire, done_fire;
  assign cmd_ready_o  = (state_q == StIdle);
  assign cmd_fire     = cmd_valid_i && cmd_ready_o;
  assign done_valid_o = (state_q == StDone);
  assign done_fire    = done_valid_o && done_ready_i;

  logic       err_q;
  logic [1:0] err_code_q;
  logic [7:0] fault_q;
  assign done_err_o   = err_code_q;
  assign done_fault_o = fault_q;

  logic [OutW-1:0] out_q;  // bursts loaded into AW not yet answered by B

  // ---------------- AW side ----------------
  logic             gen_valid, aw_load;
  logic [7:0]       gen_len;

  npu_dma_addr_chan #(
    .AddrW(AddrW), .DataW(DataW), .MaxBurst(MaxBurst)
  ) u_aw (
    .clk_i, .rst_ni,
    .start_i       (cmd_fire),
    .dram_addr_i   (cmd_dram_addr_i),
    .dram_stride_i (cmd_dram_stride_i),
    .rows_i        (cmd_rows_i),
    .row_words_i   (cmd_row_words_i),
    .abort_i       (err_q || port_dead_i),
    .issue_en_i    ((state_q == StRun) && (out_q < OutW'(MaxOutstanding))),
    .pending_o     (gen_valid),
    .load_o        (aw_load),
    .load_len_o    (gen_len),
    .ax_valid_o    (m_axi_awvalid_o),
    .ax_ready_i    (m_axi_awready_i),
    .ax_addr_o     (m_axi_awaddr_o),
    .ax_len_o      (m_axi_awlen_o)
  );

  logic aw_fire;
  assign aw_fire = m_axi_awvalid_o && m_axi_awready_i;

  assign m_axi_awsize_o  = 3'($clog2(BusBytes));
  assign m_axi_awburst_o = 2'b01;  // INCR
  assign m_axi_awid_o    = AwId;

  // Lengths of bursts whose AW has been accepted and whose W is not complete.
  logic       len_empty, len_full;
  logic [7:0] len_head;
  logic       w_fire, w_last_fire;
  logic [OutW-1:0] unused_len_cnt;

  logic u_len_fifo_not_full, u_len_fifo_not_empty;
  npu_fifo #(.Width(8), .Depth(MaxOutstanding)) u_len_fifo (
    .clk_i, .rst_ni,
    .clr_i       (1'b0),
    .in_valid_i  (aw_fire),
    .in_ready_o  (u_len_fifo_not_full),
    .in_data_i   (m_axi_awlen_o),
    .out_valid_o (u_len_fifo_not_empty),
    .out_ready_i (w_last_fire),
    .out_data_o  (len_head),
    .count_o     (unused_len_cnt)
  );
  assign len_empty = !u_len_fifo_not_empty;
  assign len_full = !u_len_fifo_not_full;

  // ---------------- local read side ----------------
  logic [15:0]        row_words_q, lword_q, rows_left_q;
  logic [1:0]         space_q;
  logic [LocalAW-1:0] lstride_q, lrow_base_q, laddr_q;
  logic               lr_active_q;     // words left to read
  logic               inflight_q;      // a read response arrives this cycle
  logic signed [AheadW-1:0] ahead_q;   // words read - words committed to bursts

  logic             d_empty, d_full, d_flush;
  logic [DataW-1:0] d_head;
  logic [FCntW-1:0] d_count;
  logic             lr_fire, lr_room;

  assign lr_room = ({1'b0, d_count} + (FCntW+1)'(inflight_q)) < (FCntW+1)'(FifoDepth);
  assign lr_req_valid_o = (state_q == StRun) && lr_active_q && lr_room &&
                          (!err_q || ahead_q < 0);
  assign lr_req_we_o    = 1'b0;
  assign lr_req_addr_o  = laddr_q;
  assign lr_req_wdata_o = '0;
  assign lr_req_wstrb_o = '0;
  assign lr_space_o     = space_q;
  assign lr_fire        = lr_req_valid_o && lr_req_ready_i;

  logic u_data_fifo_not_full, u_data_fifo_not_empty;
  npu_fifo #(.Width(DataW), .Depth(FifoDepth)) u_data_fifo (
    .clk_i, .rst_ni,
    .clr_i       (d_flush),
    .in_valid_i  (lr_rsp_valid_i && inflight_q),
    .in_ready_o  (u_data_fifo_not_full),
    .in_data_i   (lr_rsp_rdata_i),
    .out_valid_o (u_data_fifo_not_empty),
    .out_ready_i (w_fire),
    .out_data_o  (d_head),
    .count_o     (d_count)
  );
  assign d_empty = !u_data_fifo_not_empty;
  assign d_full = !u_data_fifo_not_full;

  // ---------------- W side ----------------
  logic [7:0] wbeat_q;
  assign m_axi_wvalid_o = !d_empty && !len_empty;
  assign m_axi_wdata_o  = d_head;
  assign m_axi_wstrb_o  = '1;
  assign m_axi_wlast_o  = (wbeat_q == len_head);
  assign w_fire         = m_axi_wvalid_o && m_axi_wready_i;
  assign w_last_fire    = w_fire && m_axi_wlast_o;

  // ---------------- B side ----------------
  logic b_fire, b_proto, b_bad;
  assign m_axi_bready_o = (state_q == StRun);
  assign b_fire         = m_axi_bvalid_i && m_axi_bready_o;
  // A B is legal only for a burst whose last W has been handshaken (AXI4
  // A3.3.1): wdone_q counts those bursts not yet answered.
  logic [OutW-1:0] wdone_q;
  assign b_proto        = (m_axi_bid_i != AwId) || (m_axi_bresp_i == npu_pkg::RespExokay) ||
                          (out_q == '0) || (wdone_q == '0);
  assign b_bad          = m_axi_bresp_i[1] || b_proto;

  // ---------------- control ----------------
  always_comb begin
    state_d = state_q;
    unique case (state_q)
      StIdle: if (cmd_fire) state_d = StRun;
      // a dead port ends the command, once the local read in flight has landed
      StRun:  if ((((!gen_valid || err_q) && !m_axi_awvalid_o && out_q == '0) || port_dead_i) &&
                  !inflight_q)
                state_d = StDone;
      StDone: if (done_fire) state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end
  // Words read ahead of an aborted command are dropped.
  assign d_flush = (state_q == StRun) && (state_d == StDone);

  logic signed [AheadW-1:0] ahead_inc, ahead_dec;
  assign ahead_inc = lr_fire ? AheadW'(1) : '0;
  assign ahead_dec = aw_load ? AheadW'({1'b0, gen_len}) + AheadW'(1) : '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      row_words_q <= '0;
      rows_left_q <= '0;
      space_q     <= '0;
      lstride_q   <= '0;
      lrow_base_q <= '0;
      laddr_q     <= '0;
      lword_q     <= '0;
      lr_active_q <= 1'b0;
      inflight_q  <= 1'b0;
      ahead_q     <= '0;
      err_q       <= 1'b0;
      err_code_q  <= '0;
      fault_q     <= npu_isa_pkg::ErrNone;
      out_q       <= '0;
      wbeat_q     <= '0;
      wdone_q     <= '0;
    end else begin
      state_q    <= state_d;
      inflight_q <= lr_fire;
      if (cmd_fire) begin
        row_words_q <= cmd_row_words_i;
        rows_left_q <= cmd_rows_i;
        space_q     <= cmd_space_i;
        lstride_q   <= cmd_local_stride_i;
        lrow_base_q <= cmd_local_addr_i;
        laddr_q     <= cmd_local_addr_i;
        lword_q     <= '0;
        lr_active_q <= (cmd_rows_i != '0) && (cmd_row_words_i != '0);
        ahead_q     <= '0;
        err_q       <= 1'b0;
        err_code_q  <= '0;
        fault_q     <= npu_isa_pkg::ErrNone;
      end else begin
        ahead_q <= ahead_q + ahead_inc - ahead_dec;
      end
      if (lr_fire) begin
        if (lword_q == row_words_q - 16'd1) begin
          lword_q     <= '0;
          rows_left_q <= rows_left_q - 16'd1;
          lrow_base_q <= lrow_base_q + lstride_q;
          laddr_q     <= lrow_base_q + lstride_q;
          if (rows_left_q == 16'd1) lr_active_q <= 1'b0;
        end else begin
          lword_q <= lword_q + 16'd1;
          laddr_q <= laddr_q + LocalAW'(1);
        end
      end
      if (w_fire) wbeat_q <= m_axi_wlast_o ? 8'd0 : wbeat_q + 8'd1;
      if (b_fire && b_bad && !err_q) begin
        err_q      <= 1'b1;
        err_code_q <= m_axi_bresp_i;
        fault_q    <= npu_pkg::axi_fault(b_proto, m_axi_bresp_i);
      end else if (state_q == StRun && port_dead_i && !err_q) begin
        err_q   <= 1'b1;
        fault_q <= npu_isa_pkg::ErrAxiTimeout;
      end
      // a B with nothing awaiting it (a protocol error) is not counted
      if (aw_load && !(b_fire && out_q != '0)) out_q <= out_q + OutW'(1);
      else if (!aw_load && b_fire && out_q != '0) out_q <= out_q - OutW'(1);
      if (w_last_fire && !(b_fire && wdone_q != '0)) wdone_q <= wdone_q + OutW'(1);
      else if (!w_last_fire && b_fire && wdone_q != '0) wdone_q <= wdone_q - OutW'(1);
    end
  end

  assign busy_o  = (state_q != StIdle);
  assign axi_pending_o = (out_q != '0);
  assign beat_o  = w_fire;
  assign stall_o = (state_q == StRun) && !w_fire;

  logic unused_misc;
  assign unused_misc = ^{len_full, d_full, unused_len_cnt};

  // AXI4 rules of the AW/W/B port (assertions only)
  npu_axi_rules #(
    .AddrW(AddrW), .DataW(DataW), .IdW(IdW), .MaxOut(MaxOutstanding), .MaxBurst(MaxBurst), .Write(1'b1)
  ) u_rules (
    .clk_i, .rst_ni, .dead_i(port_dead_i), .pending_i(axi_pending_o),
    .ax_valid_i(m_axi_awvalid_o), .ax_ready_i(m_axi_awready_i), .ax_addr_i(m_axi_awaddr_o),
    .ax_len_i(m_axi_awlen_o), .ax_size_i(m_axi_awsize_o), .ax_burst_i(m_axi_awburst_o),
    .ax_id_i(m_axi_awid_o), .w_valid_i(m_axi_wvalid_o), .w_ready_i(m_axi_wready_i),
    .w_data_i(m_axi_wdata_o), .w_strb_i(m_axi_wstrb_o), .w_last_i(m_axi_wlast_o),
    .rsp_valid_i(m_axi_bvalid_i), .rsp_ready_i(m_axi_bready_o));

endmodule
