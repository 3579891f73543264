// Combinational FP32 adder r = a + b, bit-identical to the contract's
// fp32_add (= fp32_fma(a, 1.0, b)): DAZ inputs, RNE to a 24-bit significand
// with unbounded exponent, then FTZ (tininess after rounding) or overflow to
// Inf, canonical NaN, exact cancellation gives +0, (-0)+(-0) = -0.
// The adder of the lane stages A0 and AA, the reduction partials and the scalar unit.
module fp32_add_comb (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] r_o
);

  localparam int unsigned SigW = vec_pkg::Fp32ManWidth + 1;  // 24 with hidden bit
  localparam int unsigned ExtW = SigW + 3;                   // + guard, round, sticky
  localparam int unsigned LzW  = $clog2(ExtW);

  logic       sa, sb, a_zero, b_zero, a_inf, b_inf, a_nan, b_nan, a_big;
  logic [7:0] ea, eb, e_big, d_raw;
  logic [4:0] d;
  logic [SigW-1:0] m_big, m_small;
  logic [SigW+ExtW-2:0] small_wide;  // 50 bits: small significand, then shifted out bits
  logic [ExtW-1:0] x_ext, y_ext;
  logic [ExtW:0]   sum;
  logic            s_big, eff_sub;
  logic [LzW-1:0]  lz;
  logic [ExtW-1:0] norm;
  logic [SigW-1:0] sig;
  logic            guard, sticky, round_up;
  logic [SigW:0]   sig_rnd;
  logic signed [9:0] exp_pre, exp_rnd;
  logic [31:0]     normal_res;

  assign sa = a_i[31];
  assign sb = b_i[31];
  assign ea = a_i[30:23];
  assign eb = b_i[30:23];
  assign a_zero = (ea == '0);
  assign b_zero = (eb == '0);
  assign a_inf  = (ea == vec_pkg::Fp32ExpMax) && (a_i[22:0] == '0);
  assign b_inf  = (eb == vec_pkg::Fp32ExpMax) && (b_i[22:0] == '0);
  assign a_nan  = (ea == vec_pkg::Fp32ExpMax) && (a_i[22:0] != '0);
  assign b_nan  = (eb == vec_pkg::Fp32ExpMax) && (b_i[22:0] != '0);

  // Both operands normal here: order by magnitude, align the smaller one.
  assign a_big   = (a_i[30:0] >= b_i[30:0]);
  assign e_big   = a_big ? ea : eb;
  assign s_big   = a_big ? sa : sb;
  assign m_big   = a_big ? {1'b1, a_i[22:0]} : {1'b1, b_i[22:0]};
  assign m_small = a_big ? {1'b1, b_i[22:0]} : {1'b1, a_i[22:0]};
  assign d_raw   = a_big ? (ea - eb) : (eb - ea);
  // Beyond 31 the smaller operand is entirely sticky anyway.
  assign d       = (d_raw > 8'd31) ? 5'd31 : d_raw[4:0];
  assign small_wide = {m_small, {(ExtW-1){1'b0}}} >> d;
  assign x_ext   = {m_big, 3'b000};
  assign y_ext   = {small_wide[SigW+ExtW-2 -: ExtW-1],
                    |small_wide[SigW-1:0]};
  assign eff_sub = sa ^ sb;
  assign sum     = eff_sub ? ({1'b0, x_ext} - {1'b0, y_ext}) : ({1'b0, x_ext} + {1'b0, y_ext});

  always_comb begin
    lz = '0;
    for (int unsigned i = 0; i < ExtW; i++) begin
      if (sum[i]) lz = LzW'(ExtW - 1 - i);
    end
  end

  // sum[ExtW] is a carry: shift right one (its dropped bit joins the sticky).
  always_comb begin
    norm    = sum[ExtW-1:0] << lz;
    sig     = norm[ExtW-1 -: SigW];
    guard   = norm[2];
    sticky  = |norm[1:0];
    exp_pre = $signed({2'b00, e_big}) - $signed({{(10-LzW){1'b0}}, lz});
    if (sum[ExtW]) begin
      sig     = sum[ExtW -: SigW];
      guard   = sum[3];
      sticky  = |sum[2:0];
      exp_pre = $signed({2'b00, e_big}) + 10'sd1;
    end
  end

  assign round_up = guard && (sticky || sig[0]);
  assign sig_rnd  = {1'b0, sig} + (SigW+1)'(round_up);
  assign exp_rnd  = exp_pre + $signed({9'd0, sig_rnd[SigW]});

  always_comb begin
    if (sum == '0)                          normal_res = 32'h0;  // exact cancellation
    else if (exp_rnd >= 10'sd255)           normal_res = {s_big, vec_pkg::Fp32ExpMax, 23'd0};
    else if (exp_rnd <= 10'sd0)             normal_res = {s_big, 31'd0};  // FTZ
    else normal_res = {s_big, exp_rnd[7:0], sig_rnd[SigW] ? 23'd0 : sig_rnd[22:0]};
  end

  always_comb begin
    if (a_nan || b_nan || (a_inf && b_inf && (sa != sb))) r_o = vec_pkg::Fp32CanonicalNan;
    else if (a_inf)             r_o = {sa, vec_pkg::Fp32ExpMax, 23'd0};
    else if (b_inf)             r_o = {sb, vec_pkg::Fp32ExpMax, 23'd0};
    else if (a_zero && b_zero)  r_o = {sa && sb, 31'd0};
    else if (a_zero)            r_o = b_i;
    else if (b_zero)            r_o = a_i;
    else                        r_o = normal_res;
  end

endmodule
