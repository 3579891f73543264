// INT8 softmax (I-BERT integer exp), bit-exact with npu::ref::softmax_i8.
// Row unit with a MaxLen-element row buffer; three passes per row:
//   LOAD: accept the row, store the int8 logits, running max M of kept columns.
//   EXP : re-read the buffer, e_j = iexp((x_j - M) * S_q), sum = sum of e_j.
//   DIV : factor = 2^52 / sum, ONE division per row (int_div, 53 cycles).
//   OUT : re-read the buffer, recompute e_j (same bits as buffering it),
//         y_j = min(255, (e_j * factor + 2^43) >> 44).
// Column j is kept iff !cfg_mask_en_i or j <= cfg_mask_row_i + cfg_mask_offset_i
// (row unsigned, offset signed); masked columns and the whole row when none
// is kept give 0. Output: uint8 in the low byte of each 16-bit lane, high
// byte 0; lanes not kept are 0. Configuration is sampled with the first beat.
// Cost per row of B beats: B (load) + B + 4 (exp) + 55 (div) + B + 4 (out)
// cycles, i.e. about 1/3 element per lane per cycle on long rows.
// Rows longer than MaxLen are not supported (the model rejects them).
module vec_softmax_i8 #(
  parameter int unsigned Lanes  = 4,
  parameter int unsigned MaxLen = 4096
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic [31:0]          cfg_scale_q20_i,    // S_q, 1..2^22 (any value works)
  input  logic                 cfg_mask_en_i,
  input  logic [31:0]          cfg_mask_row_i,     // unsigned
  input  logic [31:0]          cfg_mask_offset_i,  // signed
  input  logic                 in_valid_i,
  output logic                 in_ready_o,
  input  logic [Lanes*16-1:0]  in_data_i,
  input  logic [Lanes-1:0]     in_keep_i,
  input  logic                 in_last_i,
  output logic                 out_valid_o,
  input  logic                 out_ready_i,
  output logic [Lanes*16-1:0]  out_data_o,
  output logic [Lanes-1:0]     out_keep_o,
  output logic                 out_last_o
);

  localparam int unsigned Depth = (MaxLen + Lanes - 1) / Lanes;  // buffer beats
  localparam int unsigned AddrW = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned BeatW = $clog2(Depth + 1);
  localparam int unsigned ColW  = $clog2(Depth * Lanes + 1);
  localparam int unsigned LimW  = 34;  // row + offset, signed, cannot overflow
  localparam int unsigned EW    = 21;  // e_j < 2^21
  localparam int unsigned SumW  = EW + $clog2(MaxLen + 1);
  localparam int unsigned DivW  = 53;  // dividend 2^52
  localparam int unsigned FactW = 33;  // factor <= 2^32 because sum >= 2^20

  // I-BERT constants (Q.20), docs/numerics.md.
  localparam logic [24:0] Ln2     = 25'h0B1721;
  localparam logic [24:0] ExpCut  = 25'h162E420;  // 32 * Ln2: q >= 32 gives e = 0
  localparam logic [20:0] IexpB   = 21'h15A5E3;
  localparam logic [63:0] IexpA   = 64'h5BC6A;
  localparam logic [20:0] IexpC   = 21'h058106;
  // floor(v / Ln2) = (v * QRecip) >> QShift for every 0 <= v < ExpCut
  // (QRecip = ceil(2^44 / Ln2); checked exhaustively over that range).
  localparam logic [24:0] QRecip  = 25'd24204423;
  localparam int unsigned QShift  = 44;

  localparam logic [1:0] StLoad = 2'd0, StExp = 2'd1, StDiv = 2'd2, StOut = 2'd3;

  logic [1:0] state_q, state_d;

  // ---- per-row configuration and row statistics ----------------------------
  logic                   first_q;     // next accepted beat starts a row
  logic [31:0]            scale_q;
  logic                   mask_en_q;
  logic signed [LimW-1:0] limit_q;
  logic [BeatW-1:0]       nbeats_q;    // beats written so far / in the row
  logic [ColW-1:0]        ncols_q;     // elements written so far / in the row
  logic                   any_q;       // some column is kept
  logic signed [7:0]      max_q;
  logic [SumW-1:0]        sum_q;
  logic [FactW-1:0]       factor_q;

  // ---- LOAD pass -----------------------------------------------------------------
  logic                   in_fire;
  logic                   eff_mask_en;
  logic signed [LimW-1:0] in_limit, eff_limit;
  logic [ColW-1:0]        load_col;
  logic [BeatW-1:0]       load_beat;
  logic [Lanes-1:0]       in_live;
  logic                   beat_any;
  logic signed [7:0]      beat_max;
  logic [ColW-1:0]        keep_cnt;
  logic [Lanes*8-1:0]     in_bytes;

  assign in_ready_o = (state_q == StLoad);
  assign in_fire    = in_valid_i && in_ready_o;
  assign in_limit   = $signed({2'b00, cfg_mask_row_i}) +
                      $signed({{2{cfg_mask_offset_i[31]}}, cfg_mask_offset_i});
  assign eff_mask_en = first_q ? cfg_mask_en_i : mask_en_q;
  assign eff_limit   = first_q ? in_limit : limit_q;
  assign load_col    = first_q ? '0 : ncols_q;
  assign load_beat   = first_q ? '0 : nbeats_q;

  always_comb begin
    beat_any = 1'b0;
    beat_max = '0;
    keep_cnt = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      in_bytes[l*8 +: 8] = in_data_i[l*16 +: 8];
      in_live[l] = in_keep_i[l] &&
                   (!eff_mask_en ||
                    $signed({{(LimW - ColW){1'b0}}, load_col + ColW'(l)}) <= eff_limit);
      if (in_keep_i[l]) keep_cnt = keep_cnt + ColW'(1);
      // First occurrence wins ties; only the value matters.
      if (in_live[l] && (!beat_any || $signed(in_data_i[l*16 +: 8]) > beat_max)) begin
        beat_max = $signed(in_data_i[l*16 +: 8]);
        beat_any = 1'b1;
      end
    end
  end

  // ---- row buffer (no reset: data only) ------------------------------------
  logic [Lanes*8-1:0] mem_q [Depth];
  logic [Lanes*8-1:0] rdata_q;
  logic [BeatW-1:0]   rd_beat_q;
  logic               issue, adv;

  always_ff @(posedge clk_i) begin
    if (in_fire && load_beat < BeatW'(Depth)) mem_q[load_beat[AddrW-1:0]] <= in_bytes;
    if (issue) rdata_q <= mem_q[rd_beat_q[AddrW-1:0]];
  end

  // ---- EXP / OUT read pipeline: s1 buffer read, s2 X/q/t, s3 e, s4 y -------
  // Stall-all pipeline: every stage moves when the output register is free.
  logic                v1_q, v2_q, v3_q, v4_q;
  logic [ColW-1:0]     col1_q;
  logic                last1_q, last2_q, last3_q, last4_q;
  logic [Lanes-1:0]    keep2_q, keep3_q, keep4_q;
  logic [Lanes*EW-1:0] t2_q;
  logic [Lanes*5-1:0]  q2_q;
  logic [Lanes-1:0]    zero2_q;
  logic [Lanes*EW-1:0] e3_q;
  logic [Lanes*8-1:0]  y4_q;

  logic                reading;
  assign reading = (state_q == StExp) || (state_q == StOut);
  assign adv     = !v4_q || out_ready_i;
  assign issue   = reading && adv && (rd_beat_q < nbeats_q);

  // s2 inputs: X = (x - M) * S_q <= 0, q = floor(-X / Ln2), t = X + q Ln2 + B.
  logic [Lanes-1:0]    keep_s1, live_s1;
  logic [Lanes*EW-1:0] t_s1;
  logic [Lanes*5-1:0]  q_s1;
  logic [Lanes-1:0]    zero_s1;
  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      logic [ColW-1:0]  col;
      logic [8:0]       diff;
      logic [40:0]      negx;
      logic [4:0]       q;
      logic [24:0]      qln2;
      col         = col1_q + ColW'(l);
      keep_s1[l]  = col < ncols_q;
      live_s1[l]  = keep_s1[l] &&
                    (!mask_en_q || $signed({{(LimW - ColW){1'b0}}, col}) <= limit_q);
      diff        = {max_q[7], max_q} - {rdata_q[l*8+7], rdata_q[l*8 +: 8]};  // >= 0 when live
      negx        = 41'(diff) * 41'(scale_q);
      q           = 5'((50'(negx[24:0]) * 50'(QRecip)) >> QShift);
      qln2        = 25'(q) * Ln2;
      // t = B - (negx - q Ln2), negx - q Ln2 in [0, Ln2)
      t_s1[l*EW +: EW] = IexpB - EW'(negx[24:0] - qln2);
      q_s1[l*5 +: 5]   = q;
      zero_s1[l]       = !live_s1[l] || (negx >= 41'(ExpCut));
    end
  end

  // s3 input: p = ((A t^2) >> 40) + C, e = p >> q.
  logic [Lanes*EW-1:0] e_s2;
  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      logic [63:0] tt, att;
      logic [EW-1:0] p;
      tt  = 64'(t2_q[l*EW +: EW]) * 64'(t2_q[l*EW +: EW]);
      att = IexpA * tt;
      p   = EW'(att >> 40) + IexpC;
      e_s2[l*EW +: EW] = zero2_q[l] ? '0 : (p >> q2_q[l*5 +: 5]);
    end
  end

  // s4 input: y = min(255, (e * factor + 2^43) >> 44).
  logic [Lanes*8-1:0] y_s3;
  logic [SumW-1:0]    beat_sum;
  always_comb begin
    beat_sum = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      logic [19:0] y;
      y = 20'((64'(e3_q[l*EW +: EW]) * 64'(factor_q) + (64'd1 << 43)) >> 44);
      y_s3[l*8 +: 8] = (y > 20'd255) ? 8'hFF : y[7:0];
      beat_sum = beat_sum + SumW'(e3_q[l*EW +: EW]);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q    <= 1'b0;
      v2_q    <= 1'b0;
      v3_q    <= 1'b0;
      v4_q    <= 1'b0;
      col1_q  <= '0;
      last1_q <= 1'b0;
      last2_q <= 1'b0;
      last3_q <= 1'b0;
      last4_q <= 1'b0;
      keep2_q <= '0;
      keep3_q <= '0;
      keep4_q <= '0;
      t2_q    <= '0;
      q2_q    <= '0;
      zero2_q <= '0;
      e3_q    <= '0;
      y4_q    <= '0;
    end else if (adv) begin
      v1_q    <= issue;
      col1_q  <= ColW'(rd_beat_q) * ColW'(Lanes);
      last1_q <= (rd_beat_q == nbeats_q - BeatW'(1));
      v2_q    <= v1_q;
      last2_q <= last1_q;
      keep2_q <= keep_s1;
      t2_q    <= t_s1;
      q2_q    <= q_s1;
      zero2_q <= zero_s1;
      v3_q    <= v2_q;
      last3_q <= last2_q;
      keep3_q <= keep2_q;
      e3_q    <= e_s2;
      v4_q    <= v3_q && (state_q == StOut);
      last4_q <= last3_q;
      keep4_q <= keep3_q;
      y4_q    <= y_s3;
    end
  end

  assign out_valid_o = v4_q;
  assign out_keep_o  = keep4_q;
  assign out_last_o  = last4_q;
  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      out_data_o[l*16 +: 16] = keep4_q[l] ? {8'h00, y4_q[l*8 +: 8]} : 16'h0000;
    end
  end

  // ---- DIV: factor = 2^52 / sum ----------------------------------------------
  logic            div_in_valid, div_in_ready, div_out_valid, div_sent_q;
  logic [DivW-1:0] div_quo;
  logic [SumW-1:0] div_rem;

  assign div_in_valid = (state_q == StDiv) && !div_sent_q;

  int_div #(
    .DividendWidth(DivW),
    .DivisorWidth (SumW)
  ) u_div (
    .clk_i,
    .rst_ni,
    .in_valid_i  (div_in_valid),
    .in_ready_o  (div_in_ready),
    .dividend_i  (DivW'(1) << 52),
    .divisor_i   (sum_q),
    .out_valid_o (div_out_valid),
    .out_ready_i (1'b1),
    .quotient_o  (div_quo),
    .remainder_o (div_rem)
  );

  logic unused_div;
  assign unused_div = ^{div_rem, div_quo[DivW-1:FactW]};

  // ---- control -----------------------------------------------------------------
  logic drained;
  assign drained = (rd_beat_q == nbeats_q) && !v1_q && !v2_q && !v3_q;

  always_comb begin
    state_d = state_q;
    case (state_q)
      StLoad: if (in_fire && in_last_i) state_d = StExp;
      StExp:  if (drained) state_d = any_q ? StDiv : StOut;
      StDiv:  if (div_out_valid) state_d = StOut;
      default: if (out_valid_o && out_ready_i && out_last_o) state_d = StLoad;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StLoad;
      first_q    <= 1'b1;
      scale_q    <= '0;
      mask_en_q  <= 1'b0;
      limit_q    <= '0;
      nbeats_q   <= '0;
      ncols_q    <= '0;
      any_q      <= 1'b0;
      max_q      <= '0;
      sum_q      <= '0;
      factor_q   <= '0;
      rd_beat_q  <= '0;
      div_sent_q <= 1'b0;
    end else begin
      state_q <= state_d;
      if (in_fire) begin
        first_q  <= in_last_i;
        nbeats_q <= load_beat + BeatW'(1);
        ncols_q  <= load_col + keep_cnt;
        if (first_q) begin
          scale_q   <= cfg_scale_q20_i;
          mask_en_q <= cfg_mask_en_i;
          limit_q   <= in_limit;
        end
        if (beat_any && (first_q || !any_q || beat_max > max_q)) max_q <= beat_max;
        any_q <= beat_any || (!first_q && any_q);
      end
      if (issue) rd_beat_q <= rd_beat_q + BeatW'(1);
      if (state_q != state_d) rd_beat_q <= '0;  // each pass re-reads from beat 0
      if (state_q == StLoad) sum_q <= '0;
      else if (state_q == StExp && v3_q) sum_q <= sum_q + beat_sum;
      if (div_in_valid && div_in_ready) div_sent_q <= 1'b1;
      if (div_out_valid) begin
        div_sent_q <= 1'b0;
        factor_q   <= div_quo[FactW-1:0];
      end
    end
  end

endmodule
