// GEMM engine: runs GEMM commands (docs/isa.md) on mac_array.
//   sequencer  -> one descriptor per (K tile, N tile), K outer, to the W loader
//                 and the A issuer
//   W loader   -> reads the tile's WSPAD words (Rows, or Cols when transposed)
//                 into the array's weight port, back to back, so the array can
//                 run in its WStream mode (a tile per ~max(Rows, Cols) cycles at M = 1)
//   A issuer   -> per row: ASPAD read (A) and, if C_init is the ACC row, an ACC
//                 read; waits while that ACC row still has a result in flight
//   write-back -> every C row is written to its ACC row (the array never
//                 stalls: the ACC write port is dedicated)
// WSPAD and ACC ports are raw (dedicated); ASPAD goes through an arbiter
// where this engine has fixed priority.
module npu_gemm_engine #(
  parameter int unsigned Rows     = 4,
  parameter int unsigned Cols     = 4,
  parameter int unsigned BusBytes = 16,
  parameter int unsigned AspadAW  = 10,
  parameter int unsigned WspadAW  = 8,
  parameter int unsigned AccRows  = 64,
  localparam int unsigned AccAW   = (AccRows > 1) ? $clog2(AccRows) : 1,
  localparam int unsigned DW      = BusBytes * 8,
  localparam int unsigned AccDW   = Cols * npu_pkg::AccW
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // command (fields already range-checked)
  input  logic               cmd_valid_i,
  output logic               cmd_ready_o,
  input  logic [npu_pkg::ModeW-1:0] cmd_mode_i,
  input  logic               cmd_w_tr_i,
  input  logic               cmd_accumulate_i,
  input  logic [AspadAW-1:0] cmd_a_addr_i,
  input  logic [WspadAW-1:0] cmd_w_addr_i,
  input  logic [AccAW-1:0]   cmd_acc_addr_i,
  input  logic [15:0]        cmd_m_i,
  input  logic [15:0]        cmd_k_tiles_i,
  input  logic [AspadAW-1:0] cmd_a_kstride_i,
  input  logic [WspadAW-1:0] cmd_w_kstride_i,
  input  logic [15:0]        cmd_n_tiles_i,
  input  logic [WspadAW-1:0] cmd_w_nstride_i,
  input  logic [AccAW-1:0]   cmd_acc_nstride_i,
  output logic               done_o,       // a command's last row is in ACC
  output logic               idle_o,
  output logic               busy_o,
  output logic               stall_o,
  output logic               row_fire_o,   // one A row entered: Rows*Cols MACs (BF16)
  output logic               row_int8_o,   // ... or 2*Rows*Cols (INT8)
  // ASPAD read client
  output logic               a_req_valid_o,
  input  logic               a_req_ready_i,
  output logic [AspadAW-1:0] a_req_addr_o,
  input  logic               a_rsp_valid_i,
  input  logic [DW-1:0]      a_rsp_data_i,
  // WSPAD raw read port
  output logic               w_rd_en_o,
  output logic [WspadAW-1:0] w_rd_addr_o,
  input  logic [DW-1:0]      w_rd_data_i,
  // ACC raw read and write ports
  output logic               acc_rd_en_o,
  output logic [AccAW-1:0]   acc_rd_addr_o,
  input  logic [AccDW-1:0]   acc_rd_data_i,
  output logic               acc_wr_en_o,
  output logic [AccAW-1:0]   acc_wr_addr_o,
  output logic [AccDW-1:0]   acc_wr_data_o
);
  localparam int unsigned ElemW = npu_pkg::ElemW;
  localparam int unsigned ArrayDepth = npu_pkg::PeLatency * Rows + Cols;
  localparam int unsigned FifoD = 4;
  localparam int unsigned FifoCntW = $clog2(FifoD + 1);
  localparam int unsigned TagD = ArrayDepth + 4;

  // A scratchpad word is a row of 16-bit array lanes: BF16 element e, or INT8
  // elements 2e and 2e+1 in the low and high byte (dense INT8). A rows use the
  // first Rows lanes, W rows the first Cols, W columns the first Rows.
  // BusBytes >= 2*max(Rows, Cols), so every lane is inside the word.
  localparam int unsigned MaxN = (Rows > Cols) ? Rows : Cols;
  localparam int unsigned ModeW = npu_pkg::ModeW;

  // ------------------------------------------------------------ sequencer
  // descriptor: {cmd_last, use_cinit, tr, mode, m, acc_base, a_base, w_base}
  localparam int unsigned DescW = 3 + ModeW + 16 + AccAW + AspadAW + WspadAW;
  logic               seq_active_q;
  logic [ModeW-1:0]   seq_mode_q;
  logic               seq_acc_q, seq_tr_q;
  logic [15:0]        seq_kt_q, seq_ktiles_q, seq_nt_q, seq_ntiles_q, seq_m_q;
  logic [AspadAW-1:0] seq_a_q, seq_astride_q;
  logic [WspadAW-1:0] seq_wk_q, seq_w_q, seq_wstride_q, seq_wnstride_q;
  logic [AccAW-1:0]   seq_accbase_q, seq_accaddr_q, seq_accnstride_q;
  logic               wd_ready, ad_ready, seq_push, seq_last_kt, seq_last_nt;
  logic [DescW-1:0]   seq_desc;

  assign cmd_ready_o  = !seq_active_q;
  assign seq_last_kt  = (seq_kt_q == seq_ktiles_q - 16'd1);
  assign seq_last_nt  = (seq_nt_q == seq_ntiles_q - 16'd1);
  assign seq_push     = seq_active_q && wd_ready && ad_ready;
  assign seq_desc     = {seq_last_kt && seq_last_nt, (seq_acc_q || seq_kt_q != '0), seq_tr_q,
                         seq_mode_q, seq_m_q, seq_accaddr_q, seq_a_q, seq_w_q};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      seq_active_q     <= 1'b0;
      seq_mode_q       <= '0;
      seq_acc_q        <= 1'b0;
      seq_tr_q         <= 1'b0;
      seq_kt_q         <= '0;
      seq_ktiles_q     <= '0;
      seq_nt_q         <= '0;
      seq_ntiles_q     <= '0;
      seq_m_q          <= '0;
      seq_a_q          <= '0;
      seq_astride_q    <= '0;
      seq_wk_q         <= '0;
      seq_w_q          <= '0;
      seq_wstride_q    <= '0;
      seq_wnstride_q   <= '0;
      seq_accbase_q    <= '0;
      seq_accaddr_q    <= '0;
      seq_accnstride_q <= '0;
    end else if (cmd_valid_i && cmd_ready_o) begin
      seq_active_q     <= 1'b1;
      seq_mode_q       <= cmd_mode_i;
      seq_acc_q        <= cmd_accumulate_i;
      seq_tr_q         <= cmd_w_tr_i;
      seq_kt_q         <= '0;
      seq_ktiles_q     <= cmd_k_tiles_i;
      seq_nt_q         <= '0;
      seq_ntiles_q     <= cmd_n_tiles_i;
      seq_m_q          <= cmd_m_i;
      seq_a_q          <= cmd_a_addr_i;
      seq_astride_q    <= cmd_a_kstride_i;
      seq_wk_q         <= cmd_w_addr_i;
      seq_w_q          <= cmd_w_addr_i;
      seq_wstride_q    <= cmd_w_kstride_i;
      seq_wnstride_q   <= cmd_w_nstride_i;
      seq_accbase_q    <= cmd_acc_addr_i;
      seq_accaddr_q    <= cmd_acc_addr_i;
      seq_accnstride_q <= cmd_acc_nstride_i;
    end else if (seq_push) begin
      if (seq_last_nt) begin
        // next K tile, back to N tile 0
        seq_nt_q      <= '0;
        seq_kt_q      <= seq_kt_q + 16'd1;
        seq_a_q       <= seq_a_q + seq_astride_q;
        seq_wk_q      <= seq_wk_q + seq_wstride_q;
        seq_w_q       <= seq_wk_q + seq_wstride_q;
        seq_accaddr_q <= seq_accbase_q;
        if (seq_last_kt) seq_active_q <= 1'b0;
      end else begin
        seq_nt_q      <= seq_nt_q + 16'd1;
        seq_w_q       <= seq_w_q + seq_wnstride_q;
        seq_accaddr_q <= seq_accaddr_q + seq_accnstride_q;
      end
    end
  end

  logic             wd_valid, wd_pop, ad_valid, ad_pop;
  logic [1:0]       wd_count, ad_count;
  logic [DescW-1:0] wd_desc, ad_desc;

  npu_fifo #(.Width(DescW), .Depth(2)) u_wdesc (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(seq_push && ad_ready), .in_ready_o(wd_ready), .in_data_i(seq_desc),
    .out_valid_o(wd_valid), .out_ready_i(wd_pop), .out_data_o(wd_desc), .count_o(wd_count));
  npu_fifo #(.Width(DescW), .Depth(2)) u_adesc (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(seq_push && wd_ready), .in_ready_o(ad_ready), .in_data_i(seq_desc),
    .out_valid_o(ad_valid), .out_ready_i(ad_pop), .out_data_o(ad_desc), .count_o(ad_count));

  // ------------------------------------------------------------ W loader
  // Tiles are read back to back (the next descriptor is taken with the last
  // read of a tile), one WSPAD word per cycle while the FIFO has room.
  logic                wl_active_q, wl_tr_q, wl_rsp_q, wl_rsp_tr_q;
  logic [15:0]         wl_row_q;
  logic [WspadAW-1:0]  wl_addr_q;
  logic                wf_valid, wf_ready, wf_in_ready;
  logic [MaxN*ElemW:0] wf_data;   // {tr, lanes}
  logic [FifoCntW-1:0] wf_count;
  logic                wl_issue, wl_last_row;

  assign wl_last_row = (wl_row_q == (wl_tr_q ? 16'(Cols - 1) : 16'(Rows - 1)));
  assign wl_issue    = wl_active_q && ((32'(wf_count) + 32'(wl_rsp_q)) < FifoD);
  assign wd_pop      = wd_valid && (!wl_active_q || (wl_issue && wl_last_row));
  assign w_rd_en_o   = wl_issue;
  assign w_rd_addr_o = wl_addr_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wl_active_q <= 1'b0;
      wl_tr_q     <= 1'b0;
      wl_row_q    <= '0;
      wl_addr_q   <= '0;
      wl_rsp_q    <= 1'b0;
      wl_rsp_tr_q <= 1'b0;
    end else begin
      wl_rsp_q    <= wl_issue;
      wl_rsp_tr_q <= wl_tr_q;
      if (wd_pop) begin
        wl_active_q <= 1'b1;
        wl_row_q    <= '0;
        wl_addr_q   <= wd_desc[WspadAW-1:0];
        wl_tr_q     <= wd_desc[DescW-3];
      end else if (wl_issue) begin
        wl_row_q  <= wl_row_q + 16'd1;
        wl_addr_q <= wl_addr_q + 1'b1;
        if (wl_last_row) wl_active_q <= 1'b0;
      end
    end
  end

  npu_fifo #(.Width(MaxN*ElemW + 1), .Depth(FifoD)) u_wfifo (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(wl_rsp_q), .in_ready_o(wf_in_ready),
    .in_data_i({wl_rsp_tr_q, w_rd_data_i[MaxN*ElemW-1:0]}),
    .out_valid_o(wf_valid), .out_ready_i(wf_ready), .out_data_o(wf_data), .count_o(wf_count));

  // ------------------------------------------------------------ A issuer
  logic               ai_active_q, ai_cinit_q, ai_cmdlast_q;
  logic [ModeW-1:0]   ai_mode_q, rsp_mode_q;
  logic [15:0]        ai_row_q, ai_m_q;
  logic [AspadAW-1:0] ai_a_q;
  logic [AccAW-1:0]   ai_acc_q;
  logic [AccRows-1:0] pending_q;
  logic [FifoCntW-1:0] af_count;
  logic               ai_fire, ai_last_row, ai_rsp_q;
  // response-side metadata of the read issued last cycle
  logic               rsp_last_q, rsp_cinit_q, rsp_cmdlast_q;
  logic [AccAW-1:0]   rsp_acc_q;

  assign ad_pop        = !ai_active_q && ad_valid;
  assign ai_last_row   = (ai_row_q == ai_m_q - 16'd1);
  assign a_req_valid_o = ai_active_q && !pending_q[ai_acc_q] &&
                         ((32'(af_count) + 32'(ai_rsp_q)) < FifoD);
  assign a_req_addr_o  = ai_a_q;
  assign ai_fire       = a_req_valid_o && a_req_ready_i;
  assign acc_rd_en_o   = ai_fire && ai_cinit_q;
  assign acc_rd_addr_o = ai_acc_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ai_active_q   <= 1'b0;
      ai_mode_q     <= '0;
      ai_cinit_q    <= 1'b0;
      ai_cmdlast_q  <= 1'b0;
      ai_row_q      <= '0;
      ai_m_q        <= '0;
      ai_a_q        <= '0;
      ai_acc_q      <= '0;
      ai_rsp_q      <= 1'b0;
      rsp_mode_q    <= '0;
      rsp_last_q    <= 1'b0;
      rsp_cinit_q   <= 1'b0;
      rsp_cmdlast_q <= 1'b0;
      rsp_acc_q     <= '0;
    end else begin
      ai_rsp_q <= ai_fire;
      if (ai_fire) begin
        rsp_mode_q    <= ai_mode_q;
        rsp_last_q    <= ai_last_row;
        rsp_cinit_q   <= ai_cinit_q;
        rsp_cmdlast_q <= ai_cmdlast_q && ai_last_row;
        rsp_acc_q     <= ai_acc_q;
      end
      if (ad_pop) begin
        ai_active_q  <= 1'b1;
        ai_row_q     <= '0;
        ai_cmdlast_q <= ad_desc[DescW-1];
        ai_cinit_q   <= ad_desc[DescW-2];
        {ai_mode_q, ai_m_q, ai_acc_q, ai_a_q} <= ad_desc[DescW-4:WspadAW];
      end else if (ai_fire) begin
        ai_row_q <= ai_row_q + 16'd1;
        ai_a_q   <= ai_a_q + 1'b1;
        ai_acc_q <= ai_acc_q + 1'b1;
        if (ai_last_row) ai_active_q <= 1'b0;
      end
    end
  end

  // input FIFO to the array: {cmd_last, last, mode, acc_row, c_init, a}
  localparam int unsigned InW = 2 + ModeW + AccAW + AccDW + Rows * ElemW;
  logic           af_valid, af_ready, af_in_ready;
  logic [InW-1:0] af_data;
  logic           tag_in_ready;


  npu_fifo #(.Width(InW), .Depth(FifoD)) u_afifo (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(ai_rsp_q), .in_ready_o(af_in_ready),
    .in_data_i({rsp_cmdlast_q, rsp_last_q, rsp_mode_q, rsp_acc_q,
                rsp_cinit_q ? acc_rd_data_i : AccDW'(0),
                a_rsp_data_i[Rows*ElemW-1:0]}),
    .out_valid_o(af_valid), .out_ready_i(af_ready), .out_data_o(af_data), .count_o(af_count));

  // ------------------------------------------------------------ array
  logic               arr_a_valid, arr_a_ready, a_fire;
  logic               c_valid, c_last;
  logic [AccDW-1:0]   c_data;

  assign arr_a_valid = af_valid && tag_in_ready;
  assign af_ready    = arr_a_ready && tag_in_ready;
  assign a_fire      = arr_a_valid && arr_a_ready;

  mac_array #(.Rows(Rows), .Cols(Cols), .WStream(1)) u_array (
    .clk_i, .rst_ni,
    .w_valid_i(wf_valid), .w_ready_o(wf_ready), .w_data_i(wf_data[MaxN*ElemW-1:0]),
    .w_tr_i(wf_data[MaxN*ElemW]),
    .a_valid_i(arr_a_valid), .a_ready_o(arr_a_ready),
    .a_data_i(af_data[Rows*ElemW-1:0]),
    .a_acc_i(af_data[Rows*ElemW +: AccDW]),
    .a_mode_i(af_data[InW-3 -: ModeW]),
    .a_last_i(af_data[InW-2]),
    .c_valid_o(c_valid), .c_ready_i(1'b1), .c_data_o(c_data), .c_last_o(c_last));

  // ACC row (and command end) of every row inside the array, in order
  logic             tag_valid;
  logic [AccAW:0]   tag_data;
  logic [$clog2(TagD+1)-1:0] tag_count;

  npu_fifo #(.Width(AccAW + 1), .Depth(TagD)) u_tags (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(a_fire), .in_ready_o(tag_in_ready),
    .in_data_i({af_data[InW-1], af_data[Rows*ElemW + AccDW +: AccAW]}),
    .out_valid_o(tag_valid), .out_ready_i(c_valid), .out_data_o(tag_data), .count_o(tag_count));

  assign acc_wr_en_o   = c_valid;
  assign acc_wr_addr_o = tag_data[AccAW-1:0];
  assign acc_wr_data_o = c_data;
  assign done_o        = c_valid && tag_data[AccAW];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pending_q <= '0;
    end else begin
      if (c_valid) pending_q[tag_data[AccAW-1:0]] <= 1'b0;
      if (ai_fire) pending_q[ai_acc_q] <= 1'b1;
    end
  end

  // ------------------------------------------------------------ status
  assign idle_o = !seq_active_q && !wd_valid && !ad_valid && !wl_active_q && !ai_active_q &&
                  !wl_rsp_q && !ai_rsp_q && !wf_valid && !af_valid && !tag_valid;
  assign busy_o     = !idle_o;
  assign row_fire_o = a_fire;
  assign row_int8_o = !af_data[InW-3-ModeW+1];
  assign stall_o    = busy_o && !a_fire;

  logic unused;
  assign unused = ^{wf_in_ready, af_in_ready, c_last, tag_valid, wd_count, ad_count, tag_count,
                   a_rsp_valid_i, ad_desc[WspadAW-1:0], ad_desc[DescW-3], wd_desc[DescW-1:WspadAW],
                   a_rsp_data_i, w_rd_data_i};  // lanes past Rows / MaxN are unused
endmodule
