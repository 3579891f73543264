// Integer LayerNorm / RMSNorm (I-BERT style), bit-exact with
// npu::ref::layernorm_i32 / rmsnorm_i32. Row unit with a MaxLen-element row
// buffer holding x (16 bits: inputs must satisfy |x| < 2^15), gamma and beta.
//   LOAD : accept the row, store it, sum = sum of x_j, n = row length.
//   MEAN : LayerNorm: mu8 = floor((512 sum + n) / (2n)); RMSNorm: mu8 = 0.
//   SQ   : re-read the buffer, sq = sum of D_j^2 with D_j = 256 x_j - mu8.
//   VAR  : v = sq / n + eps_q16.
//   ISQRT: sd = floor(sqrt(v)) by the model's Newton iteration
//          (x0 = 2^ceil(bits(v)/2), x' = (x + v / x) >> 1 while x' < x).
//   FACT : factor = 2^54 / sd.
//   OUT  : re-read the buffer, z = (D factor) >> 40, acc = z gamma + beta
//          (int32 wrap), out = requantize(acc, cfg_mult_i, cfg_shift_i, cfg_zp_i).
// All divisions share one sequential int_div (64 cycles each), so a row costs
// 3 passes over its beats plus (2 + Newton updates + 2) divisions of ~66 cycles.
// Output: int8 in the low byte of each 16-bit lane, high byte 0; lanes not
// kept are 0. Configuration is sampled with the first beat of each row.
module vec_norm_i32 #(
  parameter int unsigned Lanes  = 4,
  parameter int unsigned MaxLen = 4096
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 cfg_rms_i,       // 1: RMSNorm (no mean subtraction)
  input  logic [31:0]          cfg_eps_q16_i,   // >= 1
  input  logic [30:0]          cfg_mult_i,      // requant multiplier, Q0.31
  input  logic [5:0]           cfg_shift_i,     // requant shift, signed, -31..30
  input  logic [31:0]          cfg_zp_i,        // output zero point, signed
  input  logic                 in_valid_i,
  output logic                 in_ready_o,
  input  logic [Lanes*32-1:0]  in_data_i,
  input  logic [Lanes*8-1:0]   in_gamma_i,
  input  logic [Lanes*32-1:0]  in_beta_i,
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
  localparam int unsigned XW    = 16;               // stored input width
  localparam int unsigned MemW  = Lanes * (XW + 8 + 32);
  localparam int unsigned DvdW  = 64;               // sq < 2^60, 2^54, 512 sum + n
  localparam int unsigned DvsW  = 33;               // 2n, n, Newton x <= 2^32, sd
  localparam int unsigned FactW = 55;               // factor <= 2^54

  localparam logic [2:0] StLoad = 3'd0, StMean = 3'd1, StSq = 3'd2, StVar = 3'd3,
                         StIsqInit = 3'd4, StIsq = 3'd5, StFact = 3'd6, StOut = 3'd7;

  logic [2:0] state_q, state_d;

  // ---- per-row configuration and statistics ---------------------------------
  logic                first_q;
  logic                rms_q;
  logic [31:0]         eps_q;
  logic [30:0]         mult_q;
  logic [5:0]          shift_q;
  logic signed [31:0]  zp_q;
  logic [BeatW-1:0]    nbeats_q;
  logic [ColW-1:0]     ncols_q;
  logic signed [47:0]  sum_q;
  logic signed [31:0]  mean_q;     // mu8
  logic [63:0]         sq_q;
  logic [63:0]         v_q;        // variance + eps, Q.16
  logic [DvsW-1:0]     x_q;        // Newton iterate
  logic [DvsW-1:0]     sd_q;
  logic [FactW-1:0]    factor_q;

  // ---- LOAD ----------------------------------------------------------------------
  logic               in_fire;
  logic [ColW-1:0]    load_col, keep_cnt;
  logic [BeatW-1:0]   load_beat;
  logic signed [47:0] beat_sum;
  logic [MemW-1:0]    in_word;

  assign in_ready_o = (state_q == StLoad);
  assign in_fire    = in_valid_i && in_ready_o;
  assign load_col   = first_q ? '0 : ncols_q;
  assign load_beat  = first_q ? '0 : nbeats_q;

  always_comb begin
    beat_sum = '0;
    keep_cnt = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      in_word[l*XW +: XW]                     = in_data_i[l*32 +: XW];
      in_word[Lanes*XW + l*8 +: 8]            = in_gamma_i[l*8 +: 8];
      in_word[Lanes*(XW+8) + l*32 +: 32]      = in_beta_i[l*32 +: 32];
      if (in_keep_i[l]) begin
        keep_cnt = keep_cnt + ColW'(1);
        beat_sum = beat_sum + 48'($signed(in_data_i[l*32 +: XW]));
      end
    end
  end

  // ---- row buffer (no reset: data only) ------------------------------------
  logic [MemW-1:0]  mem_q [Depth];
  logic [MemW-1:0]  rdata_q;
  logic [BeatW-1:0] rd_beat_q;
  logic             issue, adv, reading;

  always_ff @(posedge clk_i) begin
    if (in_fire && load_beat < BeatW'(Depth)) mem_q[load_beat[AddrW-1:0]] <= in_word;
    if (issue) rdata_q <= mem_q[rd_beat_q[AddrW-1:0]];
  end

  // ---- SQ / OUT read pipeline: s1 read, s2 z/acc, s3-s4 requant (lane) ----
  logic              v1_q, v2_q, v3_q, v4_q;
  logic [ColW-1:0]   col1_q;
  logic              last1_q, last2_q, last3_q, last4_q;
  logic [Lanes-1:0]  keep2_q, keep3_q, keep4_q;
  logic [Lanes*32-1:0] acc2_q;
  logic [Lanes*8-1:0]  y4;

  assign reading = (state_q == StSq) || (state_q == StOut);
  assign adv     = !v4_q || out_ready_i;
  assign issue   = reading && adv && (rd_beat_q < nbeats_q);

  // s1 -> s2: D, D^2 (SQ pass), z and acc (OUT pass).
  logic [Lanes-1:0]    keep_s1;
  logic [63:0]         sq_s1;
  logic [Lanes*32-1:0] acc_s1;
  always_comb begin
    sq_s1 = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      logic signed [31:0] d;
      logic signed [63:0] dz;
      logic signed [31:0] z;
      keep_s1[l] = (col1_q + ColW'(l)) < ncols_q;
      d  = ($signed(32'($signed(rdata_q[l*XW +: XW]))) <<< 8) - mean_q;  // |D| < 2^24
      // |D| <= 2^7 sd, so D * factor < 2^62 and the low 64 bits are exact.
      dz = 64'(d) * $signed({9'd0, factor_q});
      z  = 32'(dz >>> 40);
      acc_s1[l*32 +: 32] = 32'(z * 32'($signed(rdata_q[Lanes*XW + l*8 +: 8]))) +
                           rdata_q[Lanes*(XW+8) + l*32 +: 32];
      if (keep_s1[l]) sq_s1 = sq_s1 + 64'(64'(d) * 64'(d));
    end
  end

  // s2 -> s3 -> s4: requantize acc (x * M, then round/shift/saturate/clamp).
  // The row's M, shift and zp are stable while an OUT pass is in flight.
  for (genvar l = 0; l < Lanes; l++) begin : g_rq
    vec_i8_requant_lane u_rq (
      .clk_i,
      .rst_ni,
      .load_i ({vec_i8_pkg::ReqLaneDepth{adv}}),
      .x_i    (acc2_q[l*32 +: 32]),
      .mult_i (mult_q),
      .shift_i(shift_q),
      .zp_i   (zp_q),
      .q_o    (y4[l*8 +: 8])
    );
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
      acc2_q  <= '0;
    end else if (adv) begin
      v1_q    <= issue;
      col1_q  <= ColW'(rd_beat_q) * ColW'(Lanes);
      last1_q <= (rd_beat_q == nbeats_q - BeatW'(1));
      v2_q    <= v1_q && (state_q == StOut);
      last2_q <= last1_q;
      keep2_q <= keep_s1;
      acc2_q  <= acc_s1;
      v3_q    <= v2_q;
      last3_q <= last2_q;
      keep3_q <= keep2_q;
      v4_q    <= v3_q;
      last4_q <= last3_q;
      keep4_q <= keep3_q;
    end
  end

  assign out_valid_o = v4_q;
  assign out_keep_o  = keep4_q;
  assign out_last_o  = last4_q;
  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      out_data_o[l*16 +: 16] = keep4_q[l] ? {8'h00, y4[l*8 +: 8]} : 16'h0000;
    end
  end

  // ---- shared divider ----------------------------------------------------------
  logic            div_in_valid, div_in_ready, div_out_valid, div_sent_q;
  logic [DvdW-1:0] dividend, div_quo;
  logic [DvsW-1:0] divisor, div_rem;
  logic signed [63:0] mean_num;  // 512 sum + n
  logic               mean_neg;

  assign mean_num = ($signed(64'(sum_q)) <<< 9) + $signed(64'(ncols_q));
  assign mean_neg = mean_num[63];

  always_comb begin
    dividend = 64'd1 << 54;
    divisor  = sd_q;
    case (state_q)
      // floor(a / b) for a < 0 is -floor((-a - 1) / b) - 1 = ~((~a) / b).
      StMean: begin
        dividend = mean_neg ? ~mean_num : mean_num;
        divisor  = DvsW'(ncols_q) << 1;
      end
      StVar: begin
        dividend = sq_q;
        divisor  = DvsW'(ncols_q);
      end
      StIsq: begin
        dividend = v_q;
        divisor  = x_q;
      end
      default: ;
    endcase
  end

  assign div_in_valid = ((state_q == StMean) || (state_q == StVar) ||
                         (state_q == StIsq) || (state_q == StFact)) && !div_sent_q;

  int_div #(
    .DividendWidth(DvdW),
    .DivisorWidth (DvsW)
  ) u_div (
    .clk_i,
    .rst_ni,
    .in_valid_i  (div_in_valid),
    .in_ready_o  (div_in_ready),
    .dividend_i  (dividend),
    .divisor_i   (divisor),
    .out_valid_o (div_out_valid),
    .out_ready_i (1'b1),
    .quotient_o  (div_quo),
    .remainder_o (div_rem)
  );

  logic unused_div;
  assign unused_div = ^div_rem;

  // Newton start: 2^ceil(b/2), b = bit length of v (v >= 1).
  logic [6:0]      v_lz;
  logic [6:0]      v_bits;
  logic [DvsW-1:0] x_init;
  npu_lzc #(.Width(64)) u_lzc (.in_i(v_q), .cnt_o(v_lz));
  assign v_bits = 7'd64 - v_lz;
  assign x_init = DvsW'(1) << ((v_bits + 7'd1) >> 1);

  logic [63:0] x_next;  // (x + v / x) >> 1; x + v / x < 2^64
  logic        newton_done;
  assign x_next      = 64'((65'(x_q) + 65'(div_quo)) >> 1);
  assign newton_done = x_next >= 64'(x_q);

  // ---- control -----------------------------------------------------------------
  logic drained;
  assign drained = (rd_beat_q == nbeats_q) && !v1_q && !v2_q && !v3_q && !v4_q;

  always_comb begin
    state_d = state_q;
    case (state_q)
      StLoad:    if (in_fire && in_last_i) state_d = (first_q ? cfg_rms_i : rms_q) ? StSq : StMean;
      StMean:    if (div_out_valid) state_d = StSq;
      StSq:      if (drained) state_d = StVar;
      StVar:     if (div_out_valid) state_d = StIsqInit;
      StIsqInit: state_d = StIsq;
      StIsq:     if (div_out_valid && newton_done) state_d = StFact;
      StFact:    if (div_out_valid) state_d = StOut;
      default:   if (out_valid_o && out_ready_i && out_last_o) state_d = StLoad;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StLoad;
      first_q    <= 1'b1;
      rms_q      <= 1'b0;
      eps_q      <= '0;
      mult_q     <= '0;
      shift_q    <= '0;
      zp_q       <= '0;
      nbeats_q   <= '0;
      ncols_q    <= '0;
      sum_q      <= '0;
      mean_q     <= '0;
      sq_q       <= '0;
      v_q        <= '0;
      x_q        <= '0;
      sd_q       <= '0;
      factor_q   <= '0;
      rd_beat_q  <= '0;
      div_sent_q <= 1'b0;
    end else begin
      state_q <= state_d;
      if (in_fire) begin
        first_q  <= in_last_i;
        nbeats_q <= load_beat + BeatW'(1);
        ncols_q  <= load_col + keep_cnt;
        sum_q    <= (first_q ? '0 : sum_q) + beat_sum;
        if (first_q) begin
          rms_q    <= cfg_rms_i;
          eps_q    <= cfg_eps_q16_i;
          mult_q   <= cfg_mult_i;
          shift_q  <= cfg_shift_i;
          zp_q     <= cfg_zp_i;
          mean_q   <= '0;  // RMSNorm keeps 0
        end
      end
      if (issue) rd_beat_q <= rd_beat_q + BeatW'(1);
      if (state_q != state_d) rd_beat_q <= '0;  // each pass re-reads from beat 0
      if (state_q == StLoad) sq_q <= '0;
      else if (state_q == StSq && v1_q && adv) sq_q <= sq_q + sq_s1;
      if (div_in_valid && div_in_ready) div_sent_q <= 1'b1;
      if (div_out_valid) div_sent_q <= 1'b0;
      if (div_out_valid) begin
        case (state_q)
          StMean:  mean_q <= 32'(mean_neg ? ~div_quo : div_quo);
          StVar:   v_q <= div_quo + 64'(eps_q);
          StIsq:   begin
            if (newton_done) sd_q <= x_q;
            else             x_q  <= DvsW'(x_next);  // < x_q
          end
          default: factor_q <= div_quo[FactW-1:0];
        endcase
      end
      if (state_q == StIsqInit) x_q <= x_init;
    end
  end

endmodule
