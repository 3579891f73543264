// One lane of vec_act_bf16: FP32 x -> x * sigmoid(w) exactly as the model's
// gelu_fp32 / silu_fp32 (docs/numerics.md, "GELU and SiLU"):
//   GELU: x2 = x*x, w = x * fma(x2, A_G, B_G); SiLU: w = x
//   (p, k) = exp_neg_split(-|w|), R = recip(1 + ldexp(p, k))
//   w >= 0 (sign clear): x*R; cut off: signed zero of x; else ldexp((x*R)*p, k)
//   x NaN: canonical NaN.
// A valid/ready chain: 3 fma (GELU argument; SiLU selects x at its end),
// vec_exp_neg_split (9), one fma (1 + e), vec_recip (4), two fma.
// Latency 19 * Fp32FmaLatency = 57 cycles, one element per cycle.
module vec_act_lane #(
  parameter int unsigned TagWidth = 1
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [31:0]         x_i,
  input  logic                silu_i,   // 0: GELU (tanh form), 1: SiLU
  input  logic [TagWidth-1:0] tag_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [31:0]         y_o,
  output logic [TagWidth-1:0] tag_o
);

  localparam logic [31:0] GeluB = 32'h3FCC_422A;  // 2*sqrt(2/pi)
  localparam logic [31:0] GeluA = 32'h3D92_2279;  // GeluB * 0.044715

  // ---- GELU argument: 3 fma. Side band {tag, silu, x_nan, x}.
  localparam int unsigned GW = TagWidth + 34;
  logic [2:0]      g_vin, g_rin, g_vout, g_rout;
  logic [3*32-1:0] g_a, g_b, g_c, g_r;
  logic [3*GW-1:0] g_tin, g_tout;
  logic            x_nan;

  for (genvar i = 0; i < 3; i++) begin : g_arg
    fp32_fma #(.TagWidth(GW)) u_fma (
      .clk_i,
      .rst_ni,
      .in_valid_i (g_vin[i]),
      .in_ready_o (g_rin[i]),
      .a_i        (g_a[i*32 +: 32]),
      .b_i        (g_b[i*32 +: 32]),
      .c_i        (g_c[i*32 +: 32]),
      .tag_i      (g_tin[i*GW +: GW]),
      .out_valid_o(g_vout[i]),
      .out_ready_i(g_rout[i]),
      .r_o        (g_r[i*32 +: 32]),
      .tag_o      (g_tout[i*GW +: GW])
    );
  end

  assign x_nan = (x_i[30:23] == vec_pkg::Fp32ExpMax) && (x_i[22:0] != '0);
  assign g_vin = {g_vout[1:0], in_valid_i};
  assign in_ready_o = g_rin[0];

  always_comb begin
    g_tin[0 +: GW] = {tag_i, silu_i, x_nan, x_i};
    g_tin[GW +: GW] = g_tout[0 +: GW];
    g_tin[2*GW +: GW] = g_tout[GW +: GW];
    // x2 = x * x
    g_a[0 +: 32]  = x_i;
    g_b[0 +: 32]  = x_i;
    g_c[0 +: 32]  = vec_pkg::Fp32NegZero;
    // x2 * A_G + B_G
    g_a[32 +: 32] = g_r[0 +: 32];
    g_b[32 +: 32] = GeluA;
    g_c[32 +: 32] = GeluB;
    // w = x * (...)
    g_a[64 +: 32] = g_tout[GW +: 32];
    g_b[64 +: 32] = g_r[32 +: 32];
    g_c[64 +: 32] = vec_pkg::Fp32NegZero;
  end

  logic [GW-1:0] g_side;
  logic [31:0]   w, gx;
  assign g_side = g_tout[2*GW +: GW];
  assign gx     = g_side[31:0];
  assign w      = g_side[33] ? gx : g_r[64 +: 32];

  // ---- exp of -|w|. Side band {tag, x_nan, w_sign, x}.
  localparam int unsigned EW = TagWidth + 34;
  logic          e_valid, e_ready;
  logic [31:0]   e_p, e_e;
  logic [9:0]    e_k;
  logic [EW-1:0] e_side;

  vec_exp_neg_split #(.TagWidth(EW)) u_exp (
    .clk_i,
    .rst_ni,
    .in_valid_i (g_vout[2]),
    .in_ready_o (g_rout[2]),
    .v_i        ({1'b1, w[30:0]}),
    .tag_i      ({g_side[GW-1 -: TagWidth], g_side[32], w[31], gx}),
    .out_valid_o(e_valid),
    .out_ready_i(e_ready),
    .p_o        (e_p),
    .k_o        (e_k),
    .e_o        (e_e),
    .tag_o      (e_side)
  );
  assign g_rout[1:0] = g_rin[2:1];

  // ---- d = 1 + e. Side band {tag, x_nan, w_sign, x, p, k}.
  localparam int unsigned DW = EW + 42;
  logic          d_valid, d_ready;
  logic [31:0]   d_r;
  logic [DW-1:0] d_side;

  fp32_fma #(.TagWidth(DW)) u_one_plus (
    .clk_i,
    .rst_ni,
    .in_valid_i (e_valid),
    .in_ready_o (e_ready),
    .a_i        (e_e),
    .b_i        (vec_pkg::Fp32One),
    .c_i        (vec_pkg::Fp32One),
    .tag_i      ({e_side, e_p, e_k}),
    .out_valid_o(d_valid),
    .out_ready_i(d_ready),
    .r_o        (d_r),
    .tag_o      (d_side)
  );

  // ---- R = recip(d), same side band.
  logic          r_valid, r_ready;
  logic [31:0]   r_r, unused_r_m;
  logic [9:0]    unused_r_e;
  logic [DW-1:0] r_side;

  vec_recip #(.TagWidth(DW)) u_recip (
    .clk_i,
    .rst_ni,
    .in_valid_i (d_valid),
    .in_ready_o (d_ready),
    .v_i        (d_r),
    .tag_i      (d_side),
    .out_valid_o(r_valid),
    .out_ready_i(r_ready),
    .m_o        (unused_r_m),
    .e_o        (unused_r_e),
    .r_o        (r_r),
    .tag_o      (r_side)
  );

  // ---- t1 = x * R. Side band {tag, x_nan, w_sign, x_sign, cut, k}.
  localparam int unsigned MW = TagWidth + 14;
  logic          m1_valid, m1_ready;
  logic [31:0]   m1_r, p_hold;
  logic [MW-1:0] m1_side;
  logic [MW+31:0] m1_tag;
  logic [31:0]   rx;

  assign rx = r_side[42 +: 32];
  assign m1_tag = {r_side[DW-1 -: TagWidth], r_side[DW-TagWidth-1], r_side[DW-TagWidth-2],
                   rx[31], (r_side[10 +: 32] == 32'd0), r_side[9:0], r_side[10 +: 32]};

  logic [MW+31:0] m1_tag_out;
  fp32_fma #(.TagWidth(MW + 32)) u_mul_r (
    .clk_i,
    .rst_ni,
    .in_valid_i (r_valid),
    .in_ready_o (r_ready),
    .a_i        (rx),
    .b_i        (r_r),
    .c_i        (vec_pkg::Fp32NegZero),
    .tag_i      (m1_tag),
    .out_valid_o(m1_valid),
    .out_ready_i(m1_ready),
    .r_o        (m1_r),
    .tag_o      (m1_tag_out)
  );
  assign m1_side = m1_tag_out[MW+31:32];
  assign p_hold  = m1_tag_out[31:0];

  // ---- t2 = t1 * p. Side band {tag, x_nan, w_sign, x_sign, cut, k, t1}.
  logic [MW+31:0] m2_side;
  logic [31:0]    m2_r, scaled;
  logic [MW-1:0]  fs;

  fp32_fma #(.TagWidth(MW + 32)) u_mul_p (
    .clk_i,
    .rst_ni,
    .in_valid_i (m1_valid),
    .in_ready_o (m1_ready),
    .a_i        (m1_r),
    .b_i        (p_hold),
    .c_i        (vec_pkg::Fp32NegZero),
    .tag_i      ({m1_side, m1_r}),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .r_o        (m2_r),
    .tag_o      (m2_side)
  );

  assign fs = m2_side[MW+31:32];
  fp32_scale_pow2 #(.KWidth(10)) u_ldexp (
    .x_i(m2_r),
    .k_i(fs[9:0]),
    .r_o(scaled)
  );

  assign tag_o = fs[MW-1 -: TagWidth];
  // fs: [13] x_nan, [12] w_sign, [11] x_sign, [10] cut, [9:0] k
  always_comb begin
    if (fs[13])      y_o = vec_pkg::Fp32CanonicalNan;
    else if (!fs[12]) y_o = m2_side[31:0];
    else if (fs[10]) y_o = {fs[11], 31'd0};
    else             y_o = scaled;
  end

endmodule
