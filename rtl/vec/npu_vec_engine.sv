// Vector engine of the accelerator top: executes one VEC command (docs/isa.md,
// VEC) at a time. Readers walk the blocked addressing of the src, aux (gamma /
// operand b) and aux2 (beta) streams, fetch every word once through the ASPAD
// (and, for INT32 sources, ACC) read ports into small word FIFOs, and feed one
// element per cycle into the unit of the func (each instantiated with
// Lanes = 1). The writer packs the unit's output elements into dst words
// (lanes >= dst_group zero) and writes each word once. REQ_PARAMS and
// SILU_TABLE feed the parameter ports of vec_requant and vec_silu_i8.
// Commands arrive already checked by npu_vec_check.
module npu_vec_engine #(
  parameter int unsigned Rows        = 16,
  parameter int unsigned Cols        = 16,
  parameter int unsigned BusBytes    = 32,
  parameter int unsigned AspadAW     = 13,
  parameter int unsigned AccAW       = 10,
  parameter int unsigned MaxLen      = 1024,
  parameter int unsigned ReqChannels = MaxLen,
  localparam int unsigned DW         = BusBytes * 8,
  localparam int unsigned AccDW      = Cols * 32
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // Command: the raw 64-byte VEC command, word w = cmd_i[32*w +: 32].
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  logic [16*32-1:0]      cmd_i,
  output logic                  done_o,
  output logic                  busy_o,
  output logic                  stall_o,
  // ASPAD read client.
  output logic                  aspad_rd_req_valid_o,
  input  logic                  aspad_rd_req_ready_i,
  output logic                  aspad_rd_req_we_o,
  output logic [AspadAW-1:0]    aspad_rd_req_addr_o,
  output logic [DW-1:0]         aspad_rd_req_wdata_o,
  output logic [BusBytes-1:0]   aspad_rd_req_wstrb_o,
  input  logic                  aspad_rd_rsp_valid_i,
  input  logic [DW-1:0]         aspad_rd_rsp_rdata_i,
  // ACC read client (one word = one ACC row).
  output logic                  acc_rd_req_valid_o,
  input  logic                  acc_rd_req_ready_i,
  output logic                  acc_rd_req_we_o,
  output logic [AccAW-1:0]      acc_rd_req_addr_o,
  output logic [AccDW-1:0]      acc_rd_req_wdata_o,
  output logic [Cols*4-1:0]     acc_rd_req_wstrb_o,
  input  logic                  acc_rd_rsp_valid_i,
  input  logic [AccDW-1:0]      acc_rd_rsp_rdata_i,
  // ASPAD write client.
  output logic                  aspad_wr_req_valid_o,
  input  logic                  aspad_wr_req_ready_i,
  output logic                  aspad_wr_req_we_o,
  output logic [AspadAW-1:0]    aspad_wr_req_addr_o,
  output logic [DW-1:0]         aspad_wr_req_wdata_o,
  output logic [BusBytes-1:0]   aspad_wr_req_wstrb_o,
  input  logic                  aspad_wr_rsp_valid_i,
  input  logic [DW-1:0]         aspad_wr_rsp_rdata_i
);

  localparam int unsigned SrcW      = (DW > AccDW) ? DW : AccDW;
  localparam int unsigned SrcAW     = (AspadAW > AccAW) ? AspadAW : AccAW;
  localparam int unsigned FifoDepth = 4;
  localparam int unsigned CredW     = $clog2(FifoDepth + 1);
  localparam int unsigned ChanW     = (ReqChannels > 1) ? $clog2(ReqChannels) : 1;
  localparam int unsigned ReqCntW   = $clog2(ReqChannels + 1);
  localparam int unsigned RqMW      = vec_i8_pkg::ReqMultWidth;
  localparam int unsigned RqSW      = vec_i8_pkg::ReqShiftWidth;
  localparam int unsigned PackIdxW  = $clog2(DW);

  // Unit numbers (npu_vec_decode).
  localparam logic [3:0] URequant = 4'd0, UReqParams = 4'd1, UGeluI8 = 4'd2, USiluI8 = 4'd3,
                         USiluTable = 4'd4, UEltI8 = 4'd5, USoftmaxI8 = 4'd6,
                         USoftmaxBf = 4'd7, ULayerNorm = 4'd8, URmsNorm = 4'd9,
                         UActBf = 4'd10, UEltBf = 4'd11;
  localparam logic [1:0] TI8 = 2'd0, TBF = 2'd1;
  localparam logic [1:0] SpaceAcc = 2'd2;

  // ---- command decode and registers ---------------------------------------------------
  npu_isa_pkg::cmd_vec_t c;
  assign c = cmd_i;

  logic       d_legal, d_has_dst, d_has_aux, d_aux_rows, d_has_aux2;
  logic [1:0] d_src_type, d_dst_type;
  logic [3:0] d_unit;

  npu_vec_decode u_dec (
    .func_i     (c.func),
    .legal_o    (d_legal),
    .src_type_o (d_src_type),
    .dst_type_o (d_dst_type),
    .has_dst_o  (d_has_dst),
    .has_aux_o  (d_has_aux),
    .aux_rows_o (d_aux_rows),
    .has_aux2_o (d_has_aux2),
    .unit_o     (d_unit)
  );

  logic        busy_q, accept;
  logic [7:0]  func_q;
  logic [3:0]  unit_q;
  logic [1:0]  src_type_q, dst_type_q;
  logic        has_dst_q, has_aux_q, has_aux2_q, src_acc_q;
  logic [15:0] rows_q, n_q;
  logic [7:0]  src_group_q, dst_group_q, aux_group_q;
  logic [4*32-1:0] cfg_q;  // cfg0..cfg3
  logic        done_d, done_q;

  assign cmd_ready_o = !busy_q;
  assign accept      = cmd_valid_i && !busy_q;
  assign busy_o      = busy_q;
  assign done_o      = done_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q      <= 1'b0;
      done_q      <= 1'b0;
      func_q      <= '0;
      unit_q      <= '0;
      src_type_q  <= '0;
      dst_type_q  <= '0;
      has_dst_q   <= 1'b0;
      has_aux_q   <= 1'b0;
      has_aux2_q  <= 1'b0;
      src_acc_q   <= 1'b0;
      rows_q      <= '0;
      n_q         <= '0;
      src_group_q <= '0;
      dst_group_q <= '0;
      aux_group_q <= '0;
      cfg_q <= '0;
    end else begin
      done_q <= done_d;
      if (accept) begin
        busy_q      <= 1'b1;
        func_q      <= c.func;
        unit_q      <= d_unit;
        src_type_q  <= d_src_type;
        dst_type_q  <= d_dst_type;
        has_dst_q   <= d_has_dst;
        has_aux_q   <= d_has_aux;
        has_aux2_q  <= d_has_aux2;
        src_acc_q   <= (c.src_space == SpaceAcc);
        rows_q      <= c.rows;
        n_q         <= c.n;
        src_group_q <= c.src_group;
        dst_group_q <= c.dst_group;
        aux_group_q <= c.aux_group;
        cfg_q <= {c.cfg3, c.cfg2, c.cfg1, c.cfg0};
      end else if (done_d) begin
        busy_q <= 1'b0;
      end
    end
  end

  // ---- address generators of the four streams ------------------------------------------
  logic               src_ag_valid, aux_ag_valid, aux2_ag_valid;
  logic [SrcAW-1:0]   src_ag_addr;
  logic [AspadAW-1:0] aux_ag_addr, aux2_ag_addr, dst_ag_addr;
  logic               src_take, aux_take, aux2_take, dst_take, dst_ag_last;
  logic               unused_src_last, unused_aux_last, unused_aux2_last, unused_dst_valid;

  vec_addr_gen #(.AW(SrcAW)) u_src_ag (
    .clk_i, .rst_ni,
    .start_i        (accept),
    .base_i         (SrcAW'(c.src_addr)),
    .row_stride_i   (c.src_row_stride),
    .group_stride_i (c.src_group_stride),
    .group_i        (c.src_group),
    .n_i            (c.n),
    .rows_i         (c.rows),
    .valid_o        (src_ag_valid),
    .addr_o         (src_ag_addr),
    .last_o         (unused_src_last),
    .take_i         (src_take)
  );

  vec_addr_gen #(.AW(AspadAW)) u_aux_ag (
    .clk_i, .rst_ni,
    .start_i        (accept && d_has_aux),
    .base_i         (AspadAW'(c.aux_addr)),
    .row_stride_i   (d_aux_rows ? c.aux_row_stride : 16'd0),
    .group_stride_i (c.aux_group_stride),
    .group_i        (c.aux_group),
    .n_i            (c.n),
    .rows_i         (c.rows),
    .valid_o        (aux_ag_valid),
    .addr_o         (aux_ag_addr),
    .last_o         (unused_aux_last),
    .take_i         (aux_take)
  );

  vec_addr_gen #(.AW(AspadAW)) u_aux2_ag (
    .clk_i, .rst_ni,
    .start_i        (accept && d_has_aux2),
    .base_i         (AspadAW'(c.aux2_addr)),
    .row_stride_i   (16'd0),
    .group_stride_i (c.aux_group_stride),
    .group_i        (c.aux_group),
    .n_i            (c.n),
    .rows_i         (c.rows),
    .valid_o        (aux2_ag_valid),
    .addr_o         (aux2_ag_addr),
    .last_o         (unused_aux2_last),
    .take_i         (aux2_take)
  );

  vec_addr_gen #(.AW(AspadAW)) u_dst_ag (
    .clk_i, .rst_ni,
    .start_i        (accept && d_has_dst),
    .base_i         (AspadAW'(c.dst_addr)),
    .row_stride_i   (c.dst_row_stride),
    .group_stride_i (c.dst_group_stride),
    .group_i        (c.dst_group),
    .n_i            (c.n),
    .rows_i         (c.rows),
    .valid_o        (unused_dst_valid),
    .addr_o         (dst_ag_addr),
    .last_o         (dst_ag_last),
    .take_i         (dst_take)
  );

  // ---- read requests: credits, arbitration, request registers ---------------------------
  // A stream may have at most FifoDepth words fetched or in flight and not
  // yet consumed, so every response finds room in its FIFO.
  logic [3*CredW-1:0] cred_q;
  logic [2:0]       take, pop;
  logic [2:0]       room;
  logic             ar_valid_q, ar_load, rsp_id_valid;
  logic [AspadAW-1:0] ar_addr_q;
  logic [1:0]       ar_id_q, rsp_id_q;
  logic             cr_valid_q, cr_load;
  logic [AccAW-1:0] cr_addr_q;
  logic             el_src_a, el_src_c, el_aux, el_aux2;

  for (genvar s = 0; s < 3; s++) begin : g_room
    assign room[s] = (32'(cred_q[s*CredW +: CredW]) < FifoDepth);
  end

  assign ar_load  = !ar_valid_q || aspad_rd_req_ready_i;
  assign cr_load  = !cr_valid_q || acc_rd_req_ready_i;
  assign el_src_a = src_ag_valid && !src_acc_q && room[0];
  assign el_src_c = src_ag_valid && src_acc_q && room[0];
  assign el_aux   = aux_ag_valid && room[1];
  assign el_aux2  = aux2_ag_valid && room[2];

  assign src_take  = (ar_load && el_src_a) || (cr_load && el_src_c);
  assign aux_take  = ar_load && !el_src_a && el_aux;
  assign aux2_take = ar_load && !el_src_a && !el_aux && el_aux2;
  assign take      = {aux2_take, aux_take, src_take};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ar_valid_q <= 1'b0;
      ar_addr_q  <= '0;
      ar_id_q    <= '0;
      rsp_id_q   <= '0;
      cr_valid_q <= 1'b0;
      cr_addr_q  <= '0;
      cred_q <= '0;
    end else begin
      if (ar_load) begin
        ar_valid_q <= el_src_a || el_aux || el_aux2;
        if (el_src_a) begin
          ar_addr_q <= AspadAW'(src_ag_addr);
          ar_id_q   <= 2'd0;
        end else if (el_aux) begin
          ar_addr_q <= aux_ag_addr;
          ar_id_q   <= 2'd1;
        end else begin
          ar_addr_q <= aux2_ag_addr;
          ar_id_q   <= 2'd2;
        end
      end
      if (ar_valid_q && aspad_rd_req_ready_i) rsp_id_q <= ar_id_q;
      if (cr_load) begin
        cr_valid_q <= el_src_c;
        cr_addr_q  <= AccAW'(src_ag_addr);
      end
      for (int s = 0; s < 3; s++) begin
        if (take[s] && !pop[s])      cred_q[s*CredW +: CredW] <= cred_q[s*CredW +: CredW] + 1'b1;
        else if (pop[s] && !take[s]) cred_q[s*CredW +: CredW] <= cred_q[s*CredW +: CredW] - 1'b1;
      end
    end
  end

  assign aspad_rd_req_valid_o = ar_valid_q;
  assign aspad_rd_req_we_o    = 1'b0;
  assign aspad_rd_req_addr_o  = ar_addr_q;
  assign aspad_rd_req_wdata_o = '0;
  assign aspad_rd_req_wstrb_o = '0;
  assign acc_rd_req_valid_o   = cr_valid_q;
  assign acc_rd_req_we_o      = 1'b0;
  assign acc_rd_req_addr_o    = cr_addr_q;
  assign acc_rd_req_wdata_o   = '0;
  assign acc_rd_req_wstrb_o   = '0;
  assign rsp_id_valid         = aspad_rd_rsp_valid_i;

  // ---- word FIFOs ---------------------------------------------------------------------------
  logic            src_empty, aux_empty, aux2_empty;
  logic            src_empty_n, aux_empty_n, aux2_empty_n;
  logic            unused_src_ready, unused_aux_ready, unused_aux2_ready;
  logic [$clog2(FifoDepth+1)-1:0] unused_src_count, unused_aux_count, unused_aux2_count;
  logic [SrcW-1:0] src_word;
  logic [DW-1:0]   aux_word, aux2_word;

  npu_fifo #(.Width(SrcW), .Depth(FifoDepth)) u_src_fifo (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i  ((rsp_id_valid && rsp_id_q == 2'd0) || acc_rd_rsp_valid_i),
    .in_ready_o  (unused_src_ready),
    .in_data_i   (acc_rd_rsp_valid_i ? SrcW'(acc_rd_rsp_rdata_i) : SrcW'(aspad_rd_rsp_rdata_i)),
    .out_valid_o (src_empty_n),
    .out_ready_i (pop[0]),
    .out_data_o  (src_word),
    .count_o     (unused_src_count)
  );
  assign src_empty = !src_empty_n;

  npu_fifo #(.Width(DW), .Depth(FifoDepth)) u_aux_fifo (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i  (rsp_id_valid && rsp_id_q == 2'd1),
    .in_ready_o  (unused_aux_ready),
    .in_data_i   (aspad_rd_rsp_rdata_i),
    .out_valid_o (aux_empty_n),
    .out_ready_i (pop[1]),
    .out_data_o  (aux_word),
    .count_o     (unused_aux_count)
  );
  assign aux_empty = !aux_empty_n;

  npu_fifo #(.Width(DW), .Depth(FifoDepth)) u_aux2_fifo (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i  (rsp_id_valid && rsp_id_q == 2'd2),
    .in_ready_o  (unused_aux2_ready),
    .in_data_i   (aspad_rd_rsp_rdata_i),
    .out_valid_o (aux2_empty_n),
    .out_ready_i (pop[2]),
    .out_data_o  (aux2_word),
    .count_o     (unused_aux2_count)
  );
  assign aux2_empty = !aux2_empty_n;

  // ---- element stream into the unit ----------------------------------------------------------
  logic        cons_active_q;
  logic [15:0] e_q, r_q;
  logic [7:0]  src_lane_q, aux_lane_q;
  logic        beat_valid, beat_ready, beat, in_last, cons_end;
  logic [31:0] src32, aux32, aux232;
  logic [15:0] src16, aux16, aux216;

  assign in_last    = (e_q == n_q - 16'd1);
  assign beat_valid = cons_active_q && !src_empty && (!has_aux_q || !aux_empty) &&
                      (!has_aux2_q || !aux2_empty);
  assign beat       = beat_valid && beat_ready;
  assign cons_end   = beat && in_last && (r_q == rows_q - 16'd1);

  assign pop[0] = beat && (in_last || src_lane_q == src_group_q - 8'd1);
  assign pop[1] = beat && has_aux_q && (in_last || aux_lane_q == aux_group_q - 8'd1);
  assign pop[2] = beat && has_aux2_q && (in_last || aux_lane_q == aux_group_q - 8'd1);

  // Element extraction: INT8 byte, BF16 halfword, INT32 word at the lane.
  function automatic logic [31:0] lane_elem(input logic [SrcW-1:0] word, input logic [7:0] lane,
                                            input logic [1:0] t);
    if (t == TI8)      lane_elem = 32'(word >> {lane, 3'b000});
    else if (t == TBF) lane_elem = 32'(word >> {lane, 4'b0000});
    else               lane_elem = 32'(word >> {lane, 5'b00000});
  endfunction

  function automatic logic [15:0] to16(input logic [15:0] v, input logic [1:0] t);
    to16 = (t == TI8) ? {{8{v[7]}}, v[7:0]} : v;
  endfunction

  assign src32  = lane_elem(src_word, src_lane_q, src_type_q);
  assign aux32  = lane_elem(SrcW'(aux_word), aux_lane_q, src_type_q);
  assign aux232 = lane_elem(SrcW'(aux2_word), aux_lane_q, src_type_q);
  assign src16  = to16(src32[15:0], src_type_q);
  assign aux16  = to16(aux32[15:0], src_type_q);
  assign aux216 = to16(aux232[15:0], src_type_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cons_active_q <= 1'b0;
      e_q           <= '0;
      r_q           <= '0;
      src_lane_q    <= '0;
      aux_lane_q    <= '0;
    end else if (accept) begin
      cons_active_q <= 1'b1;
      e_q           <= '0;
      r_q           <= '0;
      src_lane_q    <= '0;
      aux_lane_q    <= '0;
    end else if (beat) begin
      src_lane_q <= pop[0] ? '0 : src_lane_q + 8'd1;
      aux_lane_q <= (in_last || aux_lane_q == aux_group_q - 8'd1) ? '0 : aux_lane_q + 8'd1;
      if (in_last) begin
        e_q <= '0;
        r_q <= r_q + 16'd1;
      end else begin
        e_q <= e_q + 16'd1;
      end
      if (cons_end) cons_active_q <= 1'b0;
    end
  end

  // ---- REQ_PARAMS: triples (mult, shift, bias) -> vec_requant parameter port -----------------
  logic [1:0]       k_q, k;
  logic [ChanW:0]   ch_q, ch;
  logic [RqMW-1:0]  pmult_q;
  logic [RqSW-1:0]  pshift_q;
  logic             rq_wr_valid, rq_wr_ready;

  assign k  = (e_q == '0) ? 2'd0 : k_q;
  assign ch = (e_q == '0) ? '0 : ch_q;
  assign rq_wr_valid = beat_valid && (unit_q == UReqParams) && (k == 2'd2);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      k_q      <= '0;
      ch_q     <= '0;
      pmult_q  <= '0;
      pshift_q <= '0;
    end else if (beat && unit_q == UReqParams) begin
      if (k == 2'd0) pmult_q <= src32[RqMW-1:0];
      if (k == 2'd1) pshift_q <= src32[RqSW-1:0];
      k_q  <= (k == 2'd2) ? 2'd0 : k + 2'd1;
      ch_q <= (k == 2'd2) ? ch + 1'b1 : ch;
    end
  end

  // ---- units ------------------------------------------------------------------------------
  localparam int unsigned NU = 12;
  logic [NU-1:0]    u_in_ready, u_out_valid, u_out_last;
  logic [NU*16-1:0] u_out_data;
  logic [NU-1:0]    unused_keep;
  logic [15:0]      out16;
  logic             out_valid, out_last, out_ready, out_hs;
  logic             tbl_wr_ready;

  function automatic logic sel(input logic [3:0] u, input logic [3:0] want);
    sel = (u == want);
  endfunction

  // Sinks without an output stream.
  assign u_in_ready[UReqParams]  = (k == 2'd2) ? rq_wr_ready : 1'b1;
  assign u_in_ready[USiluTable]  = tbl_wr_ready;
  assign u_out_valid[UReqParams] = 1'b0;
  assign u_out_valid[USiluTable] = 1'b0;
  assign u_out_last[UReqParams]  = 1'b0;
  assign u_out_last[USiluTable]  = 1'b0;
  assign u_out_data[UReqParams*16 +: 16] = '0;
  assign u_out_data[USiluTable*16 +: 16] = '0;
  assign unused_keep[UReqParams] = 1'b0;
  assign unused_keep[USiluTable] = 1'b0;

  vec_requant #(.Lanes(1), .MaxChannels(ReqChannels)) u_requant (
    .clk_i, .rst_ni,
    .cfg_channels_i   (ReqCntW'(n_q)),
    .cfg_zero_point_i (cfg_q[31:0]),
    .cfg_wr_valid_i   (rq_wr_valid),
    .cfg_wr_ready_o   (rq_wr_ready),
    .cfg_wr_addr_i    (ch[ChanW-1:0]),
    .cfg_wr_mult_i    (pmult_q),
    .cfg_wr_shift_i   (pshift_q),
    .cfg_wr_bias_i    (src32),
    .in_valid_i       (beat_valid && sel(unit_q, URequant)),
    .in_ready_o       (u_in_ready[URequant]),
    .in_data_i        (src32),
    .in_keep_i        (1'b1),
    .in_last_i        (in_last),
    .out_valid_o      (u_out_valid[URequant]),
    .out_ready_i      (out_ready && sel(unit_q, URequant)),
    .out_data_o       (u_out_data[URequant*16 +: 16]),
    .out_keep_o       (unused_keep[URequant]),
    .out_last_o       (u_out_last[URequant])
  );

  vec_gelu_i8 #(.Lanes(1)) u_gelu_i8 (
    .clk_i, .rst_ni,
    .cfg_scale_q20_i  (cfg_q[22:0]),
    .cfg_mult_i       (cfg_q[32 +: RqMW]),
    .cfg_shift_i      (cfg_q[64 +: RqSW]),
    .cfg_zero_point_i (cfg_q[127:96]),
    .in_valid_i       (beat_valid && sel(unit_q, UGeluI8)),
    .in_ready_o       (u_in_ready[UGeluI8]),
    .in_data_i        (src16),
    .in_keep_i        (1'b1),
    .in_last_i        (in_last),
    .out_valid_o      (u_out_valid[UGeluI8]),
    .out_ready_i      (out_ready && sel(unit_q, UGeluI8)),
    .out_data_o       (u_out_data[UGeluI8*16 +: 16]),
    .out_keep_o       (unused_keep[UGeluI8]),
    .out_last_o       (u_out_last[UGeluI8])
  );

  vec_silu_i8 #(.Lanes(1)) u_silu_i8 (
    .clk_i, .rst_ni,
    .tbl_wr_valid_i   (beat_valid && sel(unit_q, USiluTable)),
    .tbl_wr_ready_o   (tbl_wr_ready),
    .tbl_wr_addr_i    (e_q[7:0]),
    .tbl_wr_data_i    (src32[7:0]),
    .in_valid_i       (beat_valid && sel(unit_q, USiluI8)),
    .in_ready_o       (u_in_ready[USiluI8]),
    .in_data_i        (src16),
    .in_keep_i        (1'b1),
    .in_last_i        (in_last),
    .out_valid_o      (u_out_valid[USiluI8]),
    .out_ready_i      (out_ready && sel(unit_q, USiluI8)),
    .out_data_o       (u_out_data[USiluI8*16 +: 16]),
    .out_keep_o       (unused_keep[USiluI8]),
    .out_last_o       (u_out_last[USiluI8])
  );

  vec_eltwise_i8 #(.Lanes(1)) u_elt_i8 (
    .clk_i, .rst_ni,
    .cfg_op_i         (func_q[0]),
    .cfg_za_i         (cfg_q[7:0]),
    .cfg_zb_i         (cfg_q[15:8]),
    .cfg_ka_i         (cfg_q[47:32]),
    .cfg_kb_i         (cfg_q[63:48]),
    .cfg_mult_i       (cfg_q[64 +: RqMW]),
    .cfg_shift_i      (cfg_q[96 +: RqSW]),
    .cfg_zero_point_i ({{8{cfg_q[127]}}, cfg_q[127:104]}),
    .in_valid_i       (beat_valid && sel(unit_q, UEltI8)),
    .in_ready_o       (u_in_ready[UEltI8]),
    .in_data_i        (src16),
    .in_b_i           (aux16),
    .in_keep_i        (1'b1),
    .in_last_i        (in_last),
    .out_valid_o      (u_out_valid[UEltI8]),
    .out_ready_i      (out_ready && sel(unit_q, UEltI8)),
    .out_data_o       (u_out_data[UEltI8*16 +: 16]),
    .out_keep_o       (unused_keep[UEltI8]),
    .out_last_o       (u_out_last[UEltI8])
  );

  vec_softmax_i8 #(.Lanes(1), .MaxLen(MaxLen)) u_softmax_i8 (
    .clk_i, .rst_ni,
    .cfg_scale_q20_i   (cfg_q[31:0]),
    .cfg_mask_en_i     (cfg_q[32]),
    .cfg_mask_row_i    (32'(r_q)),
    .cfg_mask_offset_i (cfg_q[95:64]),
    .in_valid_i        (beat_valid && sel(unit_q, USoftmaxI8)),
    .in_ready_o        (u_in_ready[USoftmaxI8]),
    .in_data_i         (src16),
    .in_keep_i         (1'b1),
    .in_last_i         (in_last),
    .out_valid_o       (u_out_valid[USoftmaxI8]),
    .out_ready_i       (out_ready && sel(unit_q, USoftmaxI8)),
    .out_data_o        (u_out_data[USoftmaxI8*16 +: 16]),
    .out_keep_o        (unused_keep[USoftmaxI8]),
    .out_last_o        (u_out_last[USoftmaxI8])
  );

  vec_softmax_bf16 #(.Lanes(1), .MaxLen(MaxLen)) u_softmax_bf16 (
    .clk_i, .rst_ni,
    .cfg_scale_i       (cfg_q[31:0]),
    .cfg_mask_en_i     (cfg_q[32]),
    .cfg_mask_row_i    (32'(r_q)),
    .cfg_mask_offset_i (cfg_q[95:64]),
    .in_valid_i        (beat_valid && sel(unit_q, USoftmaxBf)),
    .in_ready_o        (u_in_ready[USoftmaxBf]),
    .in_data_i         (src16),
    .in_keep_i         (1'b1),
    .in_last_i         (in_last),
    .out_valid_o       (u_out_valid[USoftmaxBf]),
    .out_ready_i       (out_ready && sel(unit_q, USoftmaxBf)),
    .out_data_o        (u_out_data[USoftmaxBf*16 +: 16]),
    .out_keep_o        (unused_keep[USoftmaxBf]),
    .out_last_o        (u_out_last[USoftmaxBf])
  );

  vec_layernorm_bf16 #(.Lanes(1), .MaxLen(MaxLen)) u_layernorm (
    .clk_i, .rst_ni,
    .cfg_eps_i    (cfg_q[31:0]),
    .in_valid_i   (beat_valid && sel(unit_q, ULayerNorm)),
    .in_ready_o   (u_in_ready[ULayerNorm]),
    .in_data_i    (src16),
    .in_gamma_i   (aux16),
    .in_beta_i    (aux216),
    .in_keep_i    (1'b1),
    .in_last_i    (in_last),
    .out_valid_o  (u_out_valid[ULayerNorm]),
    .out_ready_i  (out_ready && sel(unit_q, ULayerNorm)),
    .out_data_o   (u_out_data[ULayerNorm*16 +: 16]),
    .out_keep_o   (unused_keep[ULayerNorm]),
    .out_last_o   (u_out_last[ULayerNorm])
  );

  vec_rmsnorm_bf16 #(.Lanes(1), .MaxLen(MaxLen)) u_rmsnorm (
    .clk_i, .rst_ni,
    .cfg_eps_i    (cfg_q[31:0]),
    .in_valid_i   (beat_valid && sel(unit_q, URmsNorm)),
    .in_ready_o   (u_in_ready[URmsNorm]),
    .in_data_i    (src16),
    .in_gamma_i   (aux16),
    .in_keep_i    (1'b1),
    .in_last_i    (in_last),
    .out_valid_o  (u_out_valid[URmsNorm]),
    .out_ready_i  (out_ready && sel(unit_q, URmsNorm)),
    .out_data_o   (u_out_data[URmsNorm*16 +: 16]),
    .out_keep_o   (unused_keep[URmsNorm]),
    .out_last_o   (u_out_last[URmsNorm])
  );

  vec_act_bf16 #(.Lanes(1)) u_act_bf16 (
    .clk_i, .rst_ni,
    .cfg_func_i   (func_q == 8'h14),
    .in_valid_i   (beat_valid && sel(unit_q, UActBf)),
    .in_ready_o   (u_in_ready[UActBf]),
    .in_data_i    (src16),
    .in_keep_i    (1'b1),
    .in_last_i    (in_last),
    .out_valid_o  (u_out_valid[UActBf]),
    .out_ready_i  (out_ready && sel(unit_q, UActBf)),
    .out_data_o   (u_out_data[UActBf*16 +: 16]),
    .out_keep_o   (unused_keep[UActBf]),
    .out_last_o   (u_out_last[UActBf])
  );

  vec_eltwise_bf16 #(.Lanes(1)) u_elt_bf16 (
    .clk_i, .rst_ni,
    .cfg_op_i     (func_q == 8'h16),
    .in_valid_i   (beat_valid && sel(unit_q, UEltBf)),
    .in_ready_o   (u_in_ready[UEltBf]),
    .in_data_i    (src16),
    .in_b_i       (aux16),
    .in_keep_i    (1'b1),
    .in_last_i    (in_last),
    .out_valid_o  (u_out_valid[UEltBf]),
    .out_ready_i  (out_ready && sel(unit_q, UEltBf)),
    .out_data_o   (u_out_data[UEltBf*16 +: 16]),
    .out_keep_o   (unused_keep[UEltBf]),
    .out_last_o   (u_out_last[UEltBf])
  );

  assign beat_ready = u_in_ready[unit_q];
  assign out_valid  = busy_q && u_out_valid[unit_q];
  assign out_last   = u_out_last[unit_q];
  assign out16      = u_out_data[unit_q*16 +: 16];

  // ---- writer: pack output elements into dst words ------------------------------------------
  logic [7:0]          wl_q;
  logic [DW-1:0]       pack_q, pack_d;
  logic                wr_valid_q, wr_final_q, word_done;
  logic [AspadAW-1:0]  wr_addr_q;
  logic [DW-1:0]       wr_data_q;

  assign out_ready = busy_q && has_dst_q && (!wr_valid_q || aspad_wr_req_ready_i);
  assign out_hs    = out_valid && out_ready;
  assign word_done = out_hs && (out_last || wl_q == dst_group_q - 8'd1);
  assign dst_take  = word_done;

  always_comb begin
    pack_d = (wl_q == '0) ? '0 : pack_q;
    if (dst_type_q == TI8) pack_d[PackIdxW'({wl_q, 3'b000}) +: 8] = out16[7:0];
    else                   pack_d[PackIdxW'({wl_q, 4'b0000}) +: 16] = out16;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wl_q       <= '0;
      pack_q     <= '0;
      wr_valid_q <= 1'b0;
      wr_final_q <= 1'b0;
      wr_addr_q  <= '0;
      wr_data_q  <= '0;
    end else begin
      if (accept) wl_q <= '0;
      else if (out_hs) wl_q <= word_done ? '0 : wl_q + 8'd1;
      if (out_hs) pack_q <= pack_d;
      if (word_done) begin
        wr_valid_q <= 1'b1;
        wr_final_q <= dst_ag_last;
        wr_addr_q  <= dst_ag_addr;
        wr_data_q  <= pack_d;
      end else if (aspad_wr_req_ready_i) begin
        wr_valid_q <= 1'b0;
      end
    end
  end

  assign aspad_wr_req_valid_o = wr_valid_q;
  assign aspad_wr_req_we_o    = 1'b1;
  assign aspad_wr_req_addr_o  = wr_addr_q;
  assign aspad_wr_req_wdata_o = wr_data_q;
  assign aspad_wr_req_wstrb_o = '1;

  // ---- completion and performance status ----------------------------------------------------
  assign done_d  = (wr_valid_q && aspad_wr_req_ready_i && wr_final_q) ||
                   (cons_end && !has_dst_q);
  assign stall_o = busy_q && !beat && !out_hs;

  // Opcode, token bits and reserved command bits are the command processor's.
  logic unused_cmd;
  assign unused_cmd = ^c;  // reserved bits, opcode and tokens
  logic unused_sig;
  assign unused_sig = ^{unused_keep, unused_src_last, unused_aux_last, unused_aux2_last,
                        unused_dst_valid, d_legal, aspad_wr_rsp_valid_i, aspad_wr_rsp_rdata_i,
                        src32, aux32[31:16], aux232[31:16], cfg_q[63:33], cfg_q[31:23],
                        cfg_q[95:64+RqMW], out_last, func_q, 32'(Rows)};

endmodule
