// Scalar unit of the vector engine: the per-command constants (prologue) and
// the per-row scalars of the multi-pass functions (docs/numerics.md, "Vector
// engine"). When a reducing job ends (event), it gathers the 16 partials of
// the job's slot from the lanes (partial l + q*Lanes in lane l), reduces them
// (FP32 sums in the fixed sum16 tree, maxima, int64 sums) and derives
// -max / NaN row, 1/sum, -mean, 1/sqrt(var + eps) (FP path) or max, the
// reciprocal and rsqrt table forms (integer path) for the slot's next pass.
// One FP32 adder, one multiplier, one table evaluator, used in sequence.
module vec_scalar #(
  parameter int unsigned Lanes = 16,
  parameter int unsigned Slots = 4,
  localparam int unsigned NQ   = 16 / Lanes,
  localparam int unsigned QW   = (NQ > 1) ? $clog2(NQ) : 1,
  localparam int unsigned SW   = (Slots > 1) ? $clog2(Slots) : 1
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // command
  input  logic                 pro_start_i,
  input  logic [7:0]           func_i,
  input  logic [15:0]          n_i,
  input  logic [31:0]          cfg0_i,
  output logic                 pro_busy_o,
  output logic [31:0]          kma_o,       // SOFTMAX_BF16: scale * log2(e)
  // a reducing job ended
  input  logic                 ev_valid_i,
  input  logic [SW-1:0]        ev_slot_i,
  input  logic [1:0]           ev_pass_i,
  // partials
  output logic [SW-1:0]        rd_slot_o,
  output logic [QW-1:0]        rd_q_o,
  input  logic [Lanes*64-1:0]  rd_val_i,
  input  logic [Lanes-1:0]     rd_seen_i,
  input  logic [Lanes-1:0]     rd_nan_i,
  // row scalars of a slot
  output logic                 res_valid_o,
  output logic [SW-1:0]        res_slot_o,
  output logic [31:0]          res_ra_o,
  output logic [31:0]          res_rb_o,
  output logic [7:0]           res_rc_o,
  output logic                 res_rnan_o,
  output logic [3:0]           res_set_o,   // which of ra, rb, rc, rnan it sets
  output logic                 idle_o
);
  import vec_pkg::*;

  localparam logic [7:0] FSmI = 8'h07, FLnI = 8'h08, FRmsI = 8'h09,
                         FSmB = 8'h10, FLnB = 8'h11, FRmsB = 8'h12;

  // ---------------------------------------------------------------- events
  logic          evq_valid, evq_pop, evq_ready;
  logic [$clog2(Slots+1)-1:0] unused_evq_count;
  logic [SW+1:0] evq_data;
  npu_fifo #(.Width(SW + 2), .Depth(Slots)) u_evq (
    .clk_i, .rst_ni, .clr_i(1'b0), .in_valid_i(ev_valid_i), .in_ready_o(evq_ready),
    .in_data_i({ev_slot_i, ev_pass_i}), .out_valid_o(evq_valid), .out_ready_i(evq_pop),
    .out_data_o(evq_data), .count_o(unused_evq_count));

  // ---------------------------------------------------------------- datapath
  // FP32 adder, multiplier, table evaluator, int64 multiplier; operands per step.
  logic [31:0] fa_a, fa_b, fa_r, fm_a, fm_b, fm_r, i2f_r;
  logic [47:0] fm_prod;
  fp32_add_comb u_fadd (.a_i(fa_a), .b_i(fa_b), .r_o(fa_r));
  assign fm_prod = {1'b1, fm_a[22:0]} * {1'b1, fm_b[22:0]};
  vec_fmul u_fmul (.a_i(fm_a), .b_i(ext_of_fp32(fm_b)), .prod_i(fm_prod), .r_o(fm_r));

  logic [1:0]  tb_sel;
  logic [22:0] tb_frac;
  logic [24:0] tb_y;
  vec_table_eval #(.Tables(4'b1110)) u_tab (.sel_i(tb_sel), .frac_i(tb_frac), .y_o(tb_y));

  logic signed [41:0] im_a;
  logic        [24:0] im_b;
  logic signed [67:0] im_p;
  assign im_p = 68'(im_a) * 68'(signed'({1'b0, im_b}));

  // FP32 of 2^e * y / 2^24 (y a table output in (2^23, 2^24])
  // (y2 = y[24], the value 2^24; otherwise bit 23 is the leading one and frac = y[22:0])
  function automatic logic [31:0] pack24(logic neg, logic y2, logic [22:0] frac, logic signed [9:0] e);
    logic signed [9:0] bi;
    bi = e + 10'sd127 - (y2 ? 10'sd0 : 10'sd1);
    if (bi <= 10'sd0)        return {neg, 31'd0};
    else if (bi >= 10'sd255) return {neg, 8'hFF, 23'd0};
    else                     return {neg, bi[7:0], y2 ? 23'd0 : frac};
  endfunction

  // ---------------------------------------------------------------- state
  typedef enum logic [2:0] {SIdle, SPro, SGath, SRed, SPost} state_e;
  state_e       st_q;
  logic [7:0]   func_q;
  logic [15:0]  n_q;
  vec_i2f u_i2f (.x_i({16'd0, n_q}), .f_o(i2f_r));
  logic [31:0]  eps_q, kma_q, inv_n_q, t_q;
  logic [24:0]  rn_y_q;
  logic [5:0]   rn_b_q;
  logic [63:0]  p_q [16];
  logic [15:0]  seen_q, nan_q;
  logic [63:0]  acc_q;
  logic         found_q;
  logic [63:0]  w_q;          // int norms: var + eps
  logic [31:0]  cfg0_q;
  logic         fp_lt;
  logic [3:0]   step_q;
  logic [QW-1:0] q_q;
  logic [SW-1:0] slot_q;
  logic [1:0]   pass_q;

  // what this job reduces
  typedef enum logic [1:0] {RFsum, RFmax, RIsum, RImax} red_e;
  red_e red;
  logic fp_func;
  assign fp_func = (func_q == FSmB) || (func_q == FLnB) || (func_q == FRmsB);
  always_comb begin
    if (func_q == FSmB)      red = (pass_q == 2'd1) ? RFmax : RFsum;
    else if (func_q == FSmI) red = (pass_q == 2'd1) ? RImax : RIsum;
    else                     red = fp_func ? RFsum : RIsum;
  end
  // a reduction whose result feeds 1/sqrt (LN pass 2, RMS pass 1)
  logic var_pass;
  assign var_pass = ((func_q == FLnB || func_q == FLnI) && pass_q == 2'd2) ||
                    ((func_q == FRmsB || func_q == FRmsI) && pass_q == 2'd1);

  // sum16 tree, step i: P[c] += P[c + w]
  logic [3:0] tc, tw;
  always_comb begin
    if (step_q < 4'd8)       begin tw = 4'd1; tc = {step_q[2:0], 1'b0}; end
    else if (step_q < 4'd12) begin tw = 4'd2; tc = {step_q[1:0], 2'b00}; end
    else if (step_q < 4'd14) begin tw = 4'd4; tc = {step_q[0], 3'b000}; end
    else                     begin tw = 4'd8; tc = 4'd0; end
  end

  // ---- normalisation of an unsigned value for the fixed-point tables
  function automatic logic [5:0] msb64(logic [63:0] v);
    logic [5:0] m;
    m = '0;
    for (int i = 0; i < 64; i++) if (v[i]) m = 6'(i);
    return m;
  endfunction
  logic [63:0] fx_v;
  logic [5:0]  fx_b;
  logic [22:0] fx_frac;
  logic [63:0] fx_norm;
  assign fx_b    = msb64(fx_v);
  assign fx_norm = fx_v << (6'd63 - fx_b);
  assign fx_frac = fx_norm[62:40];

  // ---- the integer variance: (sq >> s) * rn.y shifted by s - 24 - rn.b
  logic [6:0]         sq_bits;
  logic [5:0]         sq_shift;
  logic signed [8:0]  var_sh;
  logic [63:0]        var_v;
  assign sq_bits  = (acc_q == '0) ? 7'd0 : 7'(msb64(acc_q)) + 7'd1;
  assign sq_shift = (sq_bits > 7'd32) ? 6'(sq_bits - 7'd32) : 6'd0;
  assign var_sh   = 9'(sq_shift) - 9'sd24 - 9'(rn_b_q);
  assign var_v    = (var_sh >= 0) ? (64'(im_p) << var_sh) : (64'(im_p) >> (-var_sh));

  // ---- per-step operand selection and results (combinational)
  logic [31:0] rcp_fp, rsq_fp;
  logic        post_last;
  always_comb begin
    fa_a = 32'(p_q[tc]);
    fa_b = 32'(p_q[tc + tw]);
    fm_a = 32'(p_q[0]);
    fm_b = inv_n_q;
    tb_sel  = 2'd1;
    tb_frac = t_q[22:0];
    im_a = '0;
    im_b = rn_y_q;
    fx_v = acc_q;
    post_last = 1'b1;
    if (st_q == SPro) begin
      fm_a = cfg0_q;
      fm_b = Log2e;
      if (func_q == FLnI || func_q == FRmsI) tb_frac = fx_frac;
      fx_v = 64'(n_q);
    end else if (st_q == SPost) begin
      if (red == RFsum && var_pass) begin
        post_last = (step_q == 4'd2);
        fa_a = t_q;
        fa_b = eps_q;
        tb_sel = t_q[23] ? 2'd2 : 2'd3;    // exponent e even <=> biased exponent odd
      end else if (red == RIsum && var_pass) begin
        post_last = (step_q == 4'd1);
        im_a = 42'(signed'({1'b0, acc_q >> sq_shift}));
        fx_v = w_q;                          // step 1: var + eps
        tb_sel = fx_b[0] ? 2'd3 : 2'd2;
        tb_frac = fx_frac;
      end else if (red == RIsum && func_q == FSmI) begin
        tb_frac = fx_frac;
      end else if (red == RIsum) begin      // LN_I32 pass 1: the mean
        im_a = 42'(signed'(acc_q) * 64'sd512 + 64'(n_q));
      end
    end
  end

  // FP32 reciprocal and 1/sqrt of t_q (from the shared table output)
  logic signed [9:0] te;
  logic              t_nan, t_zero, t_inf;
  assign te     = 10'(signed'({2'b00, t_q[30:23]})) - 10'sd127;
  assign t_nan  = (t_q[30:23] == 8'hFF) && (t_q[22:0] != '0);
  assign t_inf  = (t_q[30:23] == 8'hFF) && (t_q[22:0] == '0);
  assign t_zero = (t_q[30:23] == '0);
  always_comb begin
    if (t_nan)       rcp_fp = Fp32CanonicalNan;
    else if (t_zero) rcp_fp = {t_q[31], 8'hFF, 23'd0};
    else if (t_inf)  rcp_fp = {t_q[31], 31'd0};
    else             rcp_fp = pack24(t_q[31], tb_y[24], tb_y[22:0], -te);
    if (t_nan)       rsq_fp = Fp32CanonicalNan;
    else if (t_zero) rsq_fp = 32'h7F80_0000;
    else if (t_q[31]) rsq_fp = Fp32CanonicalNan;
    else if (t_inf)  rsq_fp = 32'd0;
    else             rsq_fp = pack24(1'b0, tb_y[24], tb_y[22:0], -((te - (te[0] ? 10'sd1 : 10'sd0)) >>> 1));
  end

  // ---------------------------------------------------------------- FSM
  logic        pro_needed;
  assign pro_needed = (func_i == FSmB) || (func_i == FLnB) || (func_i == FRmsB) ||
                      (func_i == FLnI) || (func_i == FRmsI);

  logic [31:0] res_ra_d, res_rb_d;
  logic [7:0]  res_rc_d;
  logic        res_rnan_d, res_v_d;
  logic [3:0]  res_set_d;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q <= SIdle; func_q <= '0; n_q <= '0; eps_q <= '0; kma_q <= '0; inv_n_q <= '0;
      t_q <= '0; rn_y_q <= '0; rn_b_q <= '0; seen_q <= '0; nan_q <= '0; acc_q <= '0;
      found_q <= 1'b0; w_q <= '0; step_q <= '0; q_q <= '0; slot_q <= '0; pass_q <= '0; cfg0_q <= '0;
      for (int i = 0; i < 16; i++) p_q[i] <= '0;
      res_v_d <= 1'b0; res_set_d <= '0; res_ra_d <= '0; res_rb_d <= '0; res_rc_d <= '0;
      res_rnan_d <= 1'b0;
    end else begin
      res_v_d <= 1'b0;
      if (pro_start_i) begin
        func_q <= func_i;
        n_q    <= n_i;
        eps_q  <= cfg0_i;
        cfg0_q <= cfg0_i;
        step_q <= '0;
        st_q   <= pro_needed ? SPro : SIdle;
      end else begin
        unique case (st_q)
          SIdle: if (evq_valid) begin
            {slot_q, pass_q} <= evq_data;
            q_q    <= '0;
            st_q   <= SGath;
          end
          SPro: begin
            step_q <= step_q + 4'd1;
            if (func_q == FSmB) begin
              kma_q <= fm_r;
              st_q  <= SIdle;
            end else if (func_q == FLnI || func_q == FRmsI) begin
              rn_y_q <= tb_y;
              rn_b_q <= fx_b;
              st_q   <= SIdle;
            end else begin  // BF16 norms: 1 / float(n)
              if (step_q == 4'd0) t_q <= i2f_r;
              else begin
                inv_n_q <= rcp_fp;
                st_q    <= SIdle;
              end
            end
          end
          SGath: begin
            for (int l = 0; l < Lanes; l++) begin
              // a partial that saw nothing is +0 for the sums
              p_q[l + 32'(q_q) * Lanes]    <= rd_seen_i[l] ? rd_val_i[64*l +: 64] : 64'd0;
              seen_q[l + 32'(q_q) * Lanes] <= rd_seen_i[l];
              nan_q[l + 32'(q_q) * Lanes]  <= rd_nan_i[l];
            end
            q_q <= q_q + 1'b1;
            if (32'(q_q) == NQ - 1) begin
              st_q    <= SRed;
              step_q  <= '0;
              acc_q   <= '0;
              found_q <= 1'b0;
            end
          end
          SRed: begin
            step_q <= step_q + 4'd1;
            unique case (red)
              RFsum: p_q[tc] <= {32'd0, fa_r};
              RFmax: if (seen_q[step_q] && !nan_q[step_q]) begin
                if (!found_q || fp_lt) acc_q <= p_q[step_q];
                found_q <= 1'b1;
              end
              RIsum: acc_q <= acc_q + p_q[step_q];
              RImax: if (seen_q[step_q]) begin
                if (!found_q || $signed(p_q[step_q]) > $signed(acc_q)) acc_q <= p_q[step_q];
                found_q <= 1'b1;
              end
              default: ;
            endcase
            if ((red == RFsum && step_q == 4'd14) || step_q == 4'd15) begin
              st_q   <= SPost;
              step_q <= '0;
              t_q    <= fa_r;   // RFsum: the last tree step's sum
            end
          end
          SPost: begin
            step_q <= step_q + 4'd1;
            res_set_d <= '0;
            if (func_q == FSmB && pass_q == 2'd1) begin
              res_ra_d   <= found_q ? {~acc_q[31], acc_q[30:0]} : 32'd0;
              res_rnan_d <= (|(nan_q & seen_q)) ||
                            (found_q && acc_q[30:23] == 8'hFF);
              res_set_d  <= 4'b1001;
            end else if (func_q == FSmB) begin
              res_rb_d  <= rcp_fp;             // t_q = the sum
              res_set_d <= 4'b0010;
            end else if (fp_func && !var_pass) begin   // LN pass 1: -mean
              res_ra_d  <= {~fm_r[31], fm_r[30:0]};
              res_set_d <= 4'b0001;
            end else if (fp_func) begin                // 1/sqrt(sum/n + eps)
              if (step_q == 4'd0) t_q <= fm_r;
              else if (step_q == 4'd1) t_q <= fa_r;
              else begin
                res_rb_d  <= rsq_fp;
                res_set_d <= 4'b0010;
              end
            end else if (func_q == FSmI && pass_q == 2'd1) begin
              res_ra_d  <= acc_q[31:0];
              res_set_d <= 4'b0001;
            end else if (func_q == FSmI) begin         // 2^24/sum, shift b + 16
              res_rb_d  <= 32'(tb_y);
              res_rc_d  <= 8'(fx_b) + 8'd16;
              res_set_d <= 4'b0110;
            end else if (!var_pass) begin              // LN_I32 pass 1: mean in Q.8
              res_ra_d  <= 32'(im_p >>> (7'd25 + 7'(rn_b_q)));
              res_set_d <= 4'b0001;
            end else begin                             // rsqrt of var + eps
              if (step_q == 4'd0) w_q <= var_v + 64'(eps_q);
              else begin
                res_rb_d  <= 32'(tb_y);
                res_rc_d  <= 8'd10 + 8'(fx_b[5:1]);
                res_set_d <= 4'b0110;
              end
            end
            if (post_last) begin
              res_v_d <= 1'b1;
              st_q    <= SIdle;
            end
          end
          default: st_q <= SIdle;
        endcase
      end
    end
  end

  fp32_lt u_lt (.a_i(acc_q[31:0]), .b_i(p_q[step_q][31:0]), .lt_o(fp_lt));

  assign evq_pop     = (st_q == SIdle) && evq_valid && !pro_start_i;
  assign rd_slot_o   = slot_q;
  assign rd_q_o      = q_q;
  assign pro_busy_o  = (st_q == SPro);
  assign kma_o       = kma_q;
  assign res_valid_o = res_v_d;
  assign res_slot_o  = slot_q;
  assign res_ra_o    = res_ra_d;
  assign res_rb_o    = res_rb_d;
  assign res_rc_o    = res_rc_d;
  assign res_rnan_o  = res_rnan_d;
  assign res_set_o   = res_set_d;
  assign idle_o      = (st_q == SIdle) && !evq_valid && !res_v_d;

  logic unused;
  assign unused = ^{fx_norm[63], fx_norm[39:0], tb_y[23]};

`ifndef SYNTHESIS
  // at most one reduction per slot is outstanding, so the queue never overflows
  always_ff @(posedge clk_i) begin
    if (rst_ni) assert (!(ev_valid_i && !evq_ready)) else $error("vec_scalar: event queue overflow");
  end
`endif
endmodule
