// Pipelined FP32 fused multiply-add r = a*b + c with one rounding, per the
// numerics contract: DAZ inputs, exact 48-bit product, round-to-nearest-even
// on a 24-bit significand with unbounded exponent, then flush-to-zero
// (tininess after rounding) or overflow to Inf, canonical NaN.
// Also the project's adder (b = 1.0) and multiplier (c = -0.0).
//
// Stages (vec_pkg::Fp32FmaLatency = 3): 1 unpack, specials, multiply, align c;
// 2 add/subtract magnitudes, leading-one detect; 3 normalise, round, pack.
// valid/ready with a combinational ready chain: full throughput, any stage
// holds while the one after it is stalled. TagWidth user bits ride along.
module fp32_fma #(
  parameter int unsigned TagWidth = 1
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [31:0]         a_i,
  input  logic [31:0]         b_i,
  input  logic [31:0]         c_i,
  input  logic [TagWidth-1:0] tag_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [31:0]         r_o,
  output logic [TagWidth-1:0] tag_o
);

  localparam int unsigned SigW   = vec_pkg::Fp32ManWidth + 1;      // 24 with hidden bit
  localparam int unsigned ProdW  = 2 * SigW;              // 48, exact product
  // Alignment field: c may sit up to 26 bits above the product (then the
  // product is < ulp(c)/4 and only rounds), product at [ProdW:1], bit 0 is
  // the sticky of c bits below the product LSB.
  localparam int unsigned FieldW = ProdW + SigW + 3;      // 75
  localparam int unsigned CLsb   = FieldW - SigW;         // 51: c LSB at zero shift
  localparam int unsigned MaxSh  = FieldW + 1;            // everything into sticky
  localparam int unsigned ShW    = $clog2(MaxSh + 1);     // 7
  localparam int unsigned SumW   = FieldW + 1;            // 76, carry included
  localparam int unsigned LzW    = $clog2(SumW);          // 7
  localparam int unsigned ExpW   = 11;                    // signed, covers -172..410
  // sh = ea + eb - ec - AlignOff puts c's LSB at field bit CLsb when 0.
  localparam int unsigned AlignOff = vec_pkg::Fp32ExpBias + vec_pkg::Fp32ManWidth + 1
                                     - CLsb;  // 100
  // Biased result exponent = exp_base - lz - ExpOff (leading one at SumW-1).
  localparam int unsigned ExpOff = AlignOff - 1;         // 99

  // ---------------------------------------------------------------- handshake
  logic v1_q, v2_q, v3_q;
  logic rdy1, rdy2, rdy3;
  logic ld1, ld2, ld3;

  assign rdy3 = !v3_q || out_ready_i;
  assign rdy2 = !v2_q || rdy3;
  assign rdy1 = !v1_q || rdy2;
  assign ld1  = in_valid_i && rdy1;
  assign ld2  = v1_q && rdy2;
  assign ld3  = v2_q && rdy3;

  assign in_ready_o  = rdy1;
  assign out_valid_o = v3_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
    end else begin
      if (rdy1) v1_q <= in_valid_i;
      if (rdy2) v2_q <= v1_q;
      if (rdy3) v3_q <= v2_q;
    end
  end

  // ------------------------------------------------------------------ stage 1
  logic       sa, sb, sc, sp;
  logic [7:0] ea, eb, ec;
  logic       a_zero, b_zero, c_zero, a_inf, b_inf, c_inf, a_nan, b_nan, c_nan;
  logic       p_zero, p_inf, is_nan;
  logic [SigW-1:0]  ma, mb, mc;
  logic [ProdW-1:0] prod;
  logic signed [ExpW-1:0] sh_raw;
  logic [ShW-1:0]   sh;
  logic [FieldW+MaxSh-1:0] c_wide;
  logic [FieldW-1:0] c_field;
  logic        s1_special;
  logic [31:0] s1_special_res;
  logic [9:0]  exp_base;

  assign sa = a_i[31];
  assign sb = b_i[31];
  assign sc = c_i[31];
  assign ea = a_i[30:23];
  assign eb = b_i[30:23];
  assign ec = c_i[30:23];
  // DAZ: exponent field 0 means zero whatever the fraction.
  assign a_zero = (ea == '0);
  assign b_zero = (eb == '0);
  assign c_zero = (ec == '0);
  assign a_inf  = (ea == vec_pkg::Fp32ExpMax) && (a_i[22:0] == '0);
  assign b_inf  = (eb == vec_pkg::Fp32ExpMax) && (b_i[22:0] == '0);
  assign c_inf  = (ec == vec_pkg::Fp32ExpMax) && (c_i[22:0] == '0);
  assign a_nan  = (ea == vec_pkg::Fp32ExpMax) && (a_i[22:0] != '0);
  assign b_nan  = (eb == vec_pkg::Fp32ExpMax) && (b_i[22:0] != '0);
  assign c_nan  = (ec == vec_pkg::Fp32ExpMax) && (c_i[22:0] != '0);
  assign sp     = sa ^ sb;
  assign p_zero = a_zero || b_zero;
  assign p_inf  = a_inf || b_inf;
  assign is_nan = a_nan || b_nan || c_nan || (p_inf && p_zero) ||
                  (p_inf && c_inf && (sp != sc));

  // Results that need no rounding: NaN, Inf, and a zero product (r = c).
  assign s1_special = is_nan || p_inf || c_inf || p_zero;
  always_comb begin
    if (is_nan)      s1_special_res = vec_pkg::Fp32CanonicalNan;
    else if (p_inf)  s1_special_res = {sp, vec_pkg::Fp32ExpMax, 23'd0};
    else if (c_inf)  s1_special_res = {sc, vec_pkg::Fp32ExpMax, 23'd0};
    else if (c_zero) s1_special_res = {sp && sc, 31'd0};  // -0 only for (-0)+(-0)
    else             s1_special_res = c_i;
  end

  assign ma   = {1'b1, a_i[22:0]};
  assign mb   = {1'b1, b_i[22:0]};
  assign mc   = c_zero ? '0 : {1'b1, c_i[22:0]};
  assign prod = ma * mb;

  // Right shift of c from the top of the field; negative means c is far
  // above the product: pin c to the top and take the exponent from c.
  assign sh_raw = $signed({3'b000, ea}) + $signed({3'b000, eb}) - $signed({3'b000, ec})
                  - $signed(ExpW'(AlignOff));
  always_comb begin
    if (sh_raw < 0)                     sh = '0;
    else if (sh_raw > $signed(ExpW'(MaxSh))) sh = ShW'(MaxSh);
    else                                sh = sh_raw[ShW-1:0];
  end
  assign c_wide  = {mc, {(CLsb + MaxSh){1'b0}}} >> sh;
  // Bits below field bit 0 only matter as sticky (the product dominates then).
  assign c_field = {c_wide[FieldW+MaxSh-1:MaxSh+1],
                    c_wide[MaxSh] | (|c_wide[MaxSh-1:0])};
  assign exp_base = (sh_raw < 0 && !c_zero) ? 10'({2'b00, ec} + 10'(AlignOff))
                                            : 10'({2'b00, ea} + {2'b00, eb});

  logic [ProdW-1:0]    s1_prod_q;
  logic [FieldW-1:0]   s1_c_q;
  logic                s1_sp_q, s1_sc_q, s1_special_q;
  logic [31:0]         s1_res_q;
  logic [9:0]          s1_exp_q;
  logic [TagWidth-1:0] s1_tag_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_prod_q    <= '0;
      s1_c_q       <= '0;
      s1_sp_q      <= 1'b0;
      s1_sc_q      <= 1'b0;
      s1_special_q <= 1'b0;
      s1_res_q     <= '0;
      s1_exp_q     <= '0;
      s1_tag_q     <= '0;
    end else if (ld1) begin
      s1_prod_q    <= prod;
      s1_c_q       <= c_field;
      s1_sp_q      <= sp;
      s1_sc_q      <= sc;
      s1_special_q <= s1_special;
      s1_res_q     <= s1_special_res;
      s1_exp_q     <= exp_base;
      s1_tag_q     <= tag_i;
    end
  end

  // ------------------------------------------------------------------ stage 2
  logic [FieldW-1:0] p_field, diff;
  logic [SumW-1:0]   mag;
  logic              p_ge_c, eff_sub, s2_sign;
  logic [LzW-1:0]    lz;

  assign p_field = {{(FieldW-ProdW-1){1'b0}}, s1_prod_q, 1'b0};
  assign eff_sub = s1_sp_q ^ s1_sc_q;
  assign p_ge_c  = (p_field >= s1_c_q);
  assign diff    = p_ge_c ? (p_field - s1_c_q) : (s1_c_q - p_field);
  assign mag     = eff_sub ? {1'b0, diff} : ({1'b0, p_field} + {1'b0, s1_c_q});
  assign s2_sign = (eff_sub && !p_ge_c) ? s1_sc_q : s1_sp_q;

  // Leading zeros of mag (mag == 0 is flagged separately).
  always_comb begin
    lz = '0;
    for (int unsigned i = 0; i < SumW; i++) begin
      if (mag[i]) lz = LzW'(SumW - 1 - i);
    end
  end

  logic [SumW-1:0]     s2_mag_q;
  logic [LzW-1:0]      s2_lz_q;
  logic                s2_sign_q, s2_special_q;
  logic [31:0]         s2_res_q;
  logic [9:0]          s2_exp_q;
  logic [TagWidth-1:0] s2_tag_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s2_mag_q     <= '0;
      s2_lz_q      <= '0;
      s2_sign_q    <= 1'b0;
      s2_special_q <= 1'b0;
      s2_res_q     <= '0;
      s2_exp_q     <= '0;
      s2_tag_q     <= '0;
    end else if (ld2) begin
      s2_mag_q     <= mag;
      s2_lz_q      <= lz;
      s2_sign_q    <= s2_sign;
      s2_special_q <= s1_special_q;
      s2_res_q     <= s1_res_q;
      s2_exp_q     <= s1_exp_q;
      s2_tag_q     <= s1_tag_q;
    end
  end

  // ------------------------------------------------------------------ stage 3
  logic [SumW-1:0]        norm;
  logic [SigW-1:0]        sig;
  logic                   guard, sticky, round_up;
  logic [SigW:0]          sig_rnd;
  logic signed [ExpW-1:0] exp_pre, exp_rnd;
  logic [31:0]            result;

  assign norm     = s2_mag_q << s2_lz_q;
  assign sig      = norm[SumW-1 -: SigW];
  assign guard    = norm[SumW-1-SigW];
  assign sticky   = |norm[SumW-2-SigW:0];
  assign round_up = guard && (sticky || sig[0]);
  assign sig_rnd  = {1'b0, sig} + (SigW+1)'(round_up);
  assign exp_pre  = $signed({1'b0, s2_exp_q}) - $signed({{(ExpW-LzW){1'b0}}, s2_lz_q})
                    - $signed(ExpW'(ExpOff));
  // A carry out of rounding means sig was all ones: result is 1.0 * 2^(e+1).
  assign exp_rnd  = exp_pre + $signed({{(ExpW-1){1'b0}}, sig_rnd[SigW]});

  always_comb begin
    if (s2_special_q)                     result = s2_res_q;
    else if (s2_mag_q == '0)              result = 32'h0;  // exact cancellation: +0
    else if (exp_rnd >= $signed(ExpW'(vec_pkg::Fp32ExpMax))) result = {s2_sign_q, vec_pkg::Fp32ExpMax, 23'd0};
    else if (exp_rnd <= 0)                result = {s2_sign_q, 31'd0};  // FTZ
    else result = {s2_sign_q, exp_rnd[7:0], sig_rnd[SigW] ? 23'd0 : sig_rnd[22:0]};
  end

  logic [31:0]         s3_res_q;
  logic [TagWidth-1:0] s3_tag_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s3_res_q <= '0;
      s3_tag_q <= '0;
    end else if (ld3) begin
      s3_res_q <= result;
      s3_tag_q <= s2_tag_q;
    end
  end

  assign r_o   = s3_res_q;
  assign tag_o = s3_tag_q;

endmodule
