// BF16 LayerNorm (RmsNorm = 0) or RMSNorm (RmsNorm = 1) over rows of up to
// MaxLen elements, bit-exact to npu::ref::layernorm_bf16 / rmsnorm_bf16.
// Wrapped by vec_layernorm_bf16 and vec_rmsnorm_bf16.
//
// Phases of a row (one row at a time):
//  1. input: beats of x, gamma (and beta) are written to the row buffer at
//     one beat per cycle; eps is taken with the first beat.
//  2. serial: one scalar fp32_fma computes, in model order, inv_n = recip(n)
//     (seed + 2 Newton steps); LayerNorm S = sum x_j runs on fp32_acc at one
//     element per cycle, then mu = S * inv_n and V = sum fma(d_j, d_j, V) (a
//     second fma computes d_j = x_j - mu one element ahead); RMSNorm
//     Q = sum fma(x_j, x_j, Q); then * inv_n, + eps and vec_rsqrt. The fma
//     sums are sequential FP32 chains (the model's bits depend on the order),
//     so each element costs one fma latency (3 cycles); results are forwarded
//     so the next dependent op issues the cycle the previous one completes.
//  3. output: the buffer streams through per-lane fma chains at one beat per
//     cycle: LayerNorm narrow(fma(mul(x - mu, r), g, b)), RMSNorm
//     narrow(mul(mul(x, r), g)). r and mu travel with each beat so the next
//     row's serial phase may overwrite them while old beats are stalled.
module vec_norm_bf16 #(
  parameter int unsigned Lanes   = 4,
  parameter int unsigned MaxLen  = 4096,  // < 2^24 (n must be exact in FP32)
  parameter bit          RmsNorm = 1'b0
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic [31:0]         cfg_eps_i,
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes*16-1:0] in_gamma_i,
  input  logic [Lanes*16-1:0] in_beta_i,   // unused when RmsNorm
  input  logic [Lanes-1:0]    in_keep_i,
  input  logic                in_last_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]    out_keep_o,
  output logic                out_last_o
);

  localparam int unsigned Depth = (MaxLen + Lanes - 1) / Lanes;   // beats per row
  localparam int unsigned AW    = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned BW    = AW + 1;                         // beat counts 0..Depth
  localparam int unsigned NW    = $clog2(MaxLen + 1);             // element counts
  localparam int unsigned LW    = (Lanes > 1) ? $clog2(Lanes) : 1;
  localparam int unsigned RowW  = Lanes * 16;

  localparam logic [31:0] Zero = 32'h0000_0000;
  localparam logic [31:0] One  = vec_pkg::Fp32One;
  localparam logic [31:0] NegZ = vec_pkg::Fp32NegZero;

  // Sequencer states.
  localparam logic [3:0] StIn   = 4'd0;  // accept the row
  localparam logic [3:0] StRcpE = 4'd1;  // e = 1 - m*y          (recip(n))
  localparam logic [3:0] StRcpY = 4'd2;  // y = y + y*e
  localparam logic [3:0] StSum  = 4'd3;  // S = S + x_j on fp32_acc (LayerNorm)
  localparam logic [3:0] StMean = 4'd4;  // mu = S * inv_n       (LayerNorm)
  localparam logic [3:0] StVar  = 4'd5;  // V = fma(d, d, V) / Q = fma(x, x, Q)
  localparam logic [3:0] StVmul = 4'd6;  // V * inv_n
  localparam logic [3:0] StEps  = 4'd7;  // + eps
  localparam logic [3:0] StRsq  = 4'd8;  // rsqrt
  localparam logic [3:0] StOut  = 4'd9;  // stream the row out

  // ------------------------------------------------------------ row buffer
  logic [RowW-1:0] x_mem [Depth];
  logic [RowW-1:0] g_mem [Depth];

  logic [3:0]       state_q, state_d;
  logic             busy_q, busy_d;          // a serial op is in flight
  logic             newton_q, newton_d;      // second recip Newton step
  logic [BW-1:0]    wr_q, wr_d;              // beats received (= beats of the row)
  logic [BW-1:0]    rd_q, rd_d;              // beats sent to the output lanes
  logic [NW-1:0]    n_q, n_d;                // row length
  logic [NW-1:0]    j_q, j_d;                // serial element index
  logic [AW-1:0]    jb_q, jb_d;              // its beat
  logic [LW-1:0]    jl_q, jl_d;              // its lane
  logic [Lanes-1:0] keep_last_q, keep_last_d;
  logic [31:0]      eps_q, eps_d, y_q, y_d, e_q, e_d, acc_q, acc_d;
  logic [31:0]      negmu_q, negmu_d, dprev_q, dprev_d, tmp_q, tmp_d, rs_q, rs_d;

  logic accept, first_beat;
  assign in_ready_o = (state_q == StIn);
  assign accept     = in_valid_i && in_ready_o;
  assign first_beat = (wr_q == '0);

  always_ff @(posedge clk_i) begin
    if (accept) begin
      x_mem[wr_q[AW-1:0]] <= in_data_i;
      g_mem[wr_q[AW-1:0]] <= in_gamma_i;
    end
  end

  logic [RowW-1:0] b_row;  // beta beat at the output read pointer
  if (!RmsNorm) begin : g_beta_mem
    logic [RowW-1:0] b_mem [Depth];
    always_ff @(posedge clk_i) begin
      if (accept) b_mem[wr_q[AW-1:0]] <= in_beta_i;
    end
    assign b_row = b_mem[rd_q[AW-1:0]];
  end else begin : g_no_beta
    assign b_row = '0;
    logic unused_beta;
    assign unused_beta = ^in_beta_i;
  end

  logic [NW-1:0] keep_count;
  always_comb begin
    keep_count = '0;
    for (int l = 0; l < Lanes; l++) keep_count = keep_count + NW'(in_keep_i[l]);
  end

  // ------------------------------------------------------- FP32(n), seed
  // n = 2^p * (1 + frac): exact for n < 2^24.
  logic [4:0]  n_p;
  logic [23:0] n_ext, n_norm;
  logic [31:0] n_m, rcp_seed, inv_n;
  always_comb begin
    n_p = '0;
    for (int i = 0; i < NW; i++) if (n_q[i]) n_p = 5'(i);
  end
  assign n_ext  = 24'(n_q);
  assign n_norm = n_ext << (5'd23 - n_p);
  assign n_m    = {9'h07F, n_norm[22:0]};  // significand of n in [1, 2)

  vec_recip_seed u_rcp_seed (
    .idx_i  (n_norm[22:16]),
    .seed_o (rcp_seed)
  );

  // inv_n = y * 2^-p (the model's ldexp_ftz(y, 127 - E(n))).
  fp32_scale_pow2 #(.KWidth(8)) u_inv_n (
    .x_i (y_q),
    .k_i (-{3'd0, n_p}),
    .r_o (inv_n)
  );

  // -------------------------------------------------------- serial units
  logic        u_in_valid, u_in_ready, u_out_valid;
  logic [31:0] u_a, u_b, u_c, u_r;
  logic        d_in_valid, d_out_valid;
  logic [31:0] d_a, d_c, d_r;
  logic        r_in_valid, r_in_ready, r_out_valid;
  logic [31:0] r_r;
  logic        res_valid, issue, u_tag, r_tag;
  logic [31:0] res, sum_acc;

  assign res_valid = u_out_valid || r_out_valid;
  assign res       = r_out_valid ? r_r : u_r;

  // The serial element x_j at (jb_d, jl_d), widened.
  logic [RowW-1:0] x_row_j;
  logic [15:0]     x_j_bf;
  logic [31:0]     x_j;
  // StSum feeds element j_q to the accumulator this cycle; the fma states
  // read the element of the op being issued (j_d).
  logic [AW-1:0] x_jb;
  logic [LW-1:0] x_jl;
  assign x_jb    = (state_q == StSum) ? jb_q : jb_d;
  assign x_jl    = (state_q == StSum) ? jl_q : jl_d;
  assign x_row_j = x_mem[x_jb];
  assign x_j_bf  = x_row_j[x_jl*16 +: 16];
  bf16_to_fp32 u_wx (.b_i(x_j_bf), .f_o(x_j));

  logic          j_last;      // j_q is the final index of the current pass
  logic [NW-1:0] n_minus_1;
  assign n_minus_1 = n_q - NW'(1);
  assign j_last    = (state_q == StVar && !RmsNorm) ? (j_q == n_q) : (j_q == n_minus_1);

  logic out_issue, out_last_beat;

  always_comb begin
    state_d     = state_q;
    newton_d    = newton_q;
    wr_d        = wr_q;
    rd_d        = rd_q;
    n_d         = n_q;
    j_d         = j_q;
    jb_d        = jb_q;
    jl_d        = jl_q;
    keep_last_d = keep_last_q;
    eps_d       = eps_q;
    y_d         = y_q;
    e_d         = e_q;
    acc_d       = acc_q;
    negmu_d     = negmu_q;
    dprev_d     = dprev_q;
    tmp_d       = tmp_q;
    rs_d        = rs_q;

    if (state_q == StIn) begin
      if (accept) begin
        wr_d        = wr_q + BW'(1);
        n_d         = n_q + keep_count;
        keep_last_d = in_keep_i;
        if (first_beat) eps_d = cfg_eps_i;
        if (in_last_i) begin
          state_d  = StRcpE;
          newton_d = 1'b0;
        end
      end
    end else if (state_q == StOut) begin
      if (out_issue) begin
        rd_d = rd_q + BW'(1);
        if (out_last_beat) begin
          state_d = StIn;
          wr_d    = '0;
          n_d     = '0;
        end
      end
    end else if (state_q == StSum) begin
      // One element per cycle into fp32_acc; S is in sum_acc after the last.
      j_d = j_q + NW'(1);
      if (jl_q == LW'(Lanes - 1)) begin
        jl_d = '0;
        jb_d = jb_q + AW'(1);
      end else begin
        jl_d = jl_q + LW'(1);
      end
      if (j_last) state_d = StMean;
    end else if (busy_q && res_valid) begin
      // Retire the op of state_q and pick the next one.
      case (state_q)
        StRcpE: begin
          e_d     = res;
          state_d = StRcpY;
        end
        StRcpY: begin
          y_d = res;
          if (newton_q) begin
            state_d = RmsNorm ? StVar : StSum;
            j_d     = '0;
            jb_d    = '0;
            jl_d    = '0;
            acc_d   = Zero;
            dprev_d = Zero;
          end else begin
            newton_d = 1'b1;
            state_d  = StRcpE;
          end
        end
        StVar: begin
          acc_d = res;
          if (d_out_valid) dprev_d = d_r;
          j_d = j_q + NW'(1);
          if (jl_q == LW'(Lanes - 1)) begin
            jl_d = '0;
            jb_d = jb_q + AW'(1);
          end else begin
            jl_d = jl_q + LW'(1);
          end
          if (j_last) state_d = StVmul;
        end
        StMean: begin
          negmu_d = {~res[31], res[30:0]};
          state_d = StVar;
          j_d     = '0;
          jb_d    = '0;
          jl_d    = '0;
          acc_d   = Zero;
          dprev_d = Zero;
        end
        StVmul: begin
          tmp_d   = res;
          state_d = StEps;
        end
        StEps: begin
          tmp_d   = res;
          state_d = StRsq;
        end
        StRsq: begin
          rs_d    = res;
          state_d = StOut;
          rd_d    = '0;
        end
        default: state_d = StIn;
      endcase
    end
  end

  // Issue the op of state_d, using the values just retired (forwarding).
  logic serial_next;
  assign serial_next = (state_d != StIn) && (state_d != StOut) && (state_d != StSum);
  // Not from StSum: S is registered in fp32_acc one cycle after the last add.
  assign issue       = (state_q != StIn) && (state_q != StSum) && serial_next &&
                       (!busy_q || res_valid);
  assign busy_d      = issue ? 1'b1 : (res_valid ? 1'b0 : busy_q);

  logic [31:0] y_op;
  assign y_op = newton_d ? y_d : rcp_seed;

  always_comb begin
    u_a = acc_d;
    u_b = inv_n;
    u_c = NegZ;
    case (state_d)
      StRcpE: begin u_a = {~n_m[31], n_m[30:0]}; u_b = y_op; u_c = One;  end
      StRcpY: begin u_a = y_op;                  u_b = e_d;  u_c = y_op; end
      StMean: begin u_a = sum_acc;               u_b = inv_n; u_c = NegZ; end
      StVar: begin
        if (RmsNorm) begin u_a = x_j;     u_b = x_j;     u_c = acc_d; end
        else         begin u_a = dprev_d; u_b = dprev_d; u_c = acc_d; end
      end
      StEps:  begin u_a = tmp_d;                 u_b = One;  u_c = eps_d; end
      default: ;  // StVmul: acc * inv_n
    endcase
  end

  assign u_in_valid = issue && (state_d != StRsq);
  assign r_in_valid = issue && (state_d == StRsq);
  // d_j for the next V step; issued alongside U while j < n.
  assign d_in_valid = issue && (state_d == StVar) && !RmsNorm && (j_d != n_q);
  assign d_a        = x_j;
  assign d_c        = negmu_d;

  fp32_fma #(.TagWidth(1)) u_serial (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (u_in_valid),
    .in_ready_o  (u_in_ready),
    .a_i         (u_a),
    .b_i         (u_b),
    .c_i         (u_c),
    .tag_i       (1'b0),
    .out_valid_o (u_out_valid),
    .out_ready_i (1'b1),
    .r_o         (u_r),
    .tag_o       (u_tag)
  );

  if (!RmsNorm) begin : g_diff
    logic d_in_ready, d_tag;
    fp32_fma #(.TagWidth(1)) u_diff (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .in_valid_i  (d_in_valid),
      .in_ready_o  (d_in_ready),
      .a_i         (d_a),
      .b_i         (One),
      .c_i         (d_c),
      .tag_i       (1'b0),
      .out_valid_o (d_out_valid),
      .out_ready_i (1'b1),
      .r_o         (d_r),
      .tag_o       (d_tag)
    );
    logic unused_diff;
    assign unused_diff = ^{d_in_ready, d_tag};
  end else begin : g_no_diff
    assign d_out_valid = 1'b0;
    assign d_r         = Zero;
    logic unused_diff;
    assign unused_diff = ^{d_in_valid, d_a, d_c};
  end

  // LayerNorm S: cleared while a row comes in, one add per StSum cycle.
  fp32_acc u_sum (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clear_i (state_q == StIn),
    .init_i  (Zero),
    .valid_i (state_q == StSum),
    .data_i  (x_j),
    .acc_o   (sum_acc)
  );

  vec_rsqrt #(.TagWidth(1)) u_rsqrt (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (r_in_valid),
    .in_ready_o  (r_in_ready),
    .v_i         (tmp_d),
    .tag_i       (1'b0),
    .out_valid_o (r_out_valid),
    .out_ready_i (1'b1),
    .r_o         (r_r),
    .tag_o       (r_tag)
  );

  // The serial units never see back-pressure (out_ready = 1), so they are
  // always ready; the tags are not needed. n_norm[23] is the hidden bit.
  logic unused_ready;
  assign unused_ready = ^{u_in_ready, r_in_ready, u_tag, r_tag, n_norm[23]};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIn;
      busy_q      <= 1'b0;
      newton_q    <= 1'b0;
      wr_q        <= '0;
      rd_q        <= '0;
      n_q         <= '0;
      j_q         <= '0;
      jb_q        <= '0;
      jl_q        <= '0;
      keep_last_q <= '0;
      eps_q       <= '0;
      y_q         <= '0;
      e_q         <= '0;
      acc_q       <= '0;
      negmu_q     <= '0;
      dprev_q     <= '0;
      tmp_q       <= '0;
      rs_q        <= '0;
    end else begin
      state_q     <= state_d;
      busy_q      <= busy_d;
      newton_q    <= newton_d;
      wr_q        <= wr_d;
      rd_q        <= rd_d;
      n_q         <= n_d;
      j_q         <= j_d;
      jb_q        <= jb_d;
      jl_q        <= jl_d;
      keep_last_q <= keep_last_d;
      eps_q       <= eps_d;
      y_q         <= y_d;
      e_q         <= e_d;
      acc_q       <= acc_d;
      negmu_q     <= negmu_d;
      dprev_q     <= dprev_d;
      tmp_q       <= tmp_d;
      rs_q        <= rs_d;
    end
  end

  // ----------------------------------------------------------- output lanes
  // Tag of every lane stage: {last, keep, r, beta, gamma} (FP32 values).
  localparam int unsigned GLsb   = 0;
  localparam int unsigned BLsb   = 32;
  localparam int unsigned RLsb   = 64;
  localparam int unsigned KpLsb  = 96;
  localparam int unsigned LastB  = KpLsb + Lanes;
  localparam int unsigned TW     = LastB + 1;
  localparam int unsigned NStage = RmsNorm ? 2 : 3;

  logic [RowW-1:0]  x_row_o, g_row_o;
  logic [Lanes-1:0] keep_o;
  logic             lanes_ready;

  assign out_issue     = (state_q == StOut) && lanes_ready;
  assign out_last_beat = (rd_q == wr_q - BW'(1));
  assign x_row_o       = x_mem[rd_q[AW-1:0]];
  assign g_row_o       = g_mem[rd_q[AW-1:0]];
  assign keep_o        = out_last_beat ? keep_last_q : '1;

  logic [Lanes-1:0]    lane_in_ready, lane_out_valid;
  logic [Lanes*16-1:0] lane_y;
  logic [TW-1:0]       tag_last;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [31:0] xw, gw, bw;
    bf16_to_fp32 u_wx (.b_i(x_row_o[l*16 +: 16]), .f_o(xw));
    bf16_to_fp32 u_wg (.b_i(g_row_o[l*16 +: 16]), .f_o(gw));
    bf16_to_fp32 u_wb (.b_i(b_row[l*16 +: 16]),   .f_o(bw));

    logic [NStage:0]        st_valid, st_ready;
    logic [(NStage+1)*32-1:0] st_r;
    logic [(NStage+1)*TW-1:0] st_tag;

    assign st_valid[0]    = (state_q == StOut);
    assign st_r[31:0]     = xw;
    assign st_tag[TW-1:0] = {out_last_beat, keep_o, rs_q, bw, gw};
    assign st_ready[NStage] = out_ready_i;

    for (genvar s = 0; s < NStage; s++) begin : g_st
      logic [TW-1:0] t;
      logic [31:0]   a, b, c;
      assign t = st_tag[s*TW +: TW];
      if (RmsNorm) begin : g_rms
        // t = x * r; y = t * gamma
        assign a = st_r[s*32 +: 32];
        assign b = (s == 0) ? t[RLsb +: 32] : t[GLsb +: 32];
        assign c = NegZ;
      end else begin : g_ln
        // d = x - mu; t = d * r; y = fma(t, gamma, beta)
        assign a = st_r[s*32 +: 32];
        assign b = (s == 0) ? One : ((s == 1) ? t[RLsb +: 32] : t[GLsb +: 32]);
        assign c = (s == 0) ? negmu_q : ((s == 1) ? NegZ : t[BLsb +: 32]);
      end
      fp32_fma #(.TagWidth(TW)) u_fma (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .in_valid_i  (st_valid[s]),
        .in_ready_o  (st_ready[s]),
        .a_i         (a),
        .b_i         (b),
        .c_i         (c),
        .tag_i       (t),
        .out_valid_o (st_valid[s+1]),
        .out_ready_i (st_ready[s+1]),
        .r_o         (st_r[(s+1)*32 +: 32]),
        .tag_o       (st_tag[(s+1)*TW +: TW])
      );
    end

    logic [15:0] y;
    fp32_to_bf16 u_narrow (.f_i(st_r[NStage*32 +: 32]), .b_o(y));
    assign lane_y[l*16 +: 16] = y;
    assign lane_in_ready[l]   = st_ready[0];
    assign lane_out_valid[l]  = st_valid[NStage];

    if (l == 0) begin : g_side
      assign tag_last = st_tag[NStage*TW +: TW];
    end else begin : g_no_side
      logic unused_tag;
      assign unused_tag = ^st_tag[NStage*TW +: TW];
    end
  end

  // All lanes share valid/ready, so they move in lockstep.
  assign lanes_ready = lane_in_ready[0];
  assign out_valid_o = lane_out_valid[0];
  assign out_keep_o  = tag_last[KpLsb +: Lanes];
  assign out_last_o  = tag_last[LastB];
  for (genvar l = 0; l < Lanes; l++) begin : g_out
    assign out_data_o[l*16 +: 16] = out_keep_o[l] ? lane_y[l*16 +: 16] : 16'h0000;
  end

  logic unused_misc;
  assign unused_misc = ^{lane_in_ready, lane_out_valid, tag_last[GLsb +: 96], e_q, tmp_q};

endmodule
