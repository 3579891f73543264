// exp(v) for v <= 0 as the model's exp_neg_split / exp_neg
// (docs/numerics.md): t = v*log2e; cut off below -192; k = rne(t) via
// the 1.5*2^23 trick; r = t - k; p = exp2_poly(r) (Horner, degree 5).
// Outputs p, k and e = ldexp_ftz(p, k) (= exp_neg(v)). v > 0 is outside the
// domain (the model throws): the result is then unspecified.
// Pipeline: a valid/ready chain of 9 fp32_fma (latency 9 * Fp32FmaLatency);
// side data rides in the fma tags, TagWidth user bits travel with each value.
module vec_exp_neg_split #(
  parameter int unsigned TagWidth = 1
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [31:0]         v_i,
  input  logic [TagWidth-1:0] tag_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [31:0]         p_o,
  output logic [9:0]          k_o,     // two's complement, in [-192, 0]
  output logic [31:0]         e_o,     // ldexp_ftz(p, k)
  output logic [TagWidth-1:0] tag_o
);

  localparam logic [31:0] Log2e    = 32'h3FB8_AA3B;
  localparam logic [31:0] Magic    = 32'h4B40_0000;  // 1.5 * 2^23
  localparam logic [31:0] NegMagic = 32'hCB40_0000;
  localparam logic [30:0] CutMag   = 31'h4340_0000;  // |-192.0|
  localparam logic [6*32-1:0] Poly = {32'h3AAD_3C63, 32'h3C1E_617D, 32'h3D63_5CB8,
                                      32'h3E75_FD10, 32'h3F31_7214, 32'h3F80_0000};  // c5..c0

  localparam int unsigned NumFma = 9;
  // Side band: {user tag, v is NaN, cut off, k, value (t or r)}.
  localparam int unsigned OffVal = 0;
  localparam int unsigned OffK   = 32;
  localparam int unsigned OffCut = 42;
  localparam int unsigned OffNan = 43;
  localparam int unsigned OffTag = 44;
  localparam int unsigned SideW  = OffTag + TagWidth;

  logic [NumFma-1:0]        f_vin, f_rin, f_vout, f_rout;
  logic [NumFma*32-1:0]     f_a, f_b, f_c, f_r;
  logic [NumFma*SideW-1:0]  f_tin, f_tout;

  for (genvar i = 0; i < NumFma; i++) begin : g_fma
    fp32_fma #(.TagWidth(SideW)) u_fma (
      .clk_i,
      .rst_ni,
      .in_valid_i (f_vin[i]),
      .in_ready_o (f_rin[i]),
      .a_i        (f_a[i*32 +: 32]),
      .b_i        (f_b[i*32 +: 32]),
      .c_i        (f_c[i*32 +: 32]),
      .tag_i      (f_tin[i*SideW +: SideW]),
      .out_valid_o(f_vout[i]),
      .out_ready_i(f_rout[i]),
      .r_o        (f_r[i*32 +: 32]),
      .tag_o      (f_tout[i*SideW +: SideW])
    );
  end

  // Handshake chain.
  assign f_vin      = {f_vout[NumFma-2:0], in_valid_i};
  assign f_rout     = {out_ready_i, f_rin[NumFma-1:1]};
  assign in_ready_o = f_rin[0];
  assign out_valid_o = f_vout[NumFma-1];

  logic        v_nan;
  logic [31:0] t1, b2, kf3, r4;
  logic [SideW-1:0] s0, s1, s2;
  logic [SideW-1:OffK] s3;
  logic        cut1;

  assign v_nan = (v_i[30:23] == vec_pkg::Fp32ExpMax) && (v_i[22:0] != '0);
  assign t1    = f_r[0*32 +: 32];
  assign b2    = f_r[1*32 +: 32];
  assign kf3   = f_r[2*32 +: 32];
  assign r4    = f_r[3*32 +: 32];
  assign s0    = f_tout[0*SideW +: SideW];
  assign s1    = f_tout[1*SideW +: SideW];
  assign s2    = f_tout[2*SideW +: SideW];
  assign s3    = f_tout[3*SideW + OffK +: SideW - OffK];
  // t < -192 (t is a product: never subnormal; -Inf included).
  assign cut1  = t1[31] && (t1[30:0] > CutMag);

  always_comb begin
    // 0: t = v * log2e
    f_a[0*32 +: 32] = v_i;
    f_b[0*32 +: 32] = Log2e;
    f_c[0*32 +: 32] = vec_pkg::Fp32NegZero;
    f_tin[0*SideW +: SideW] = {tag_i, v_nan, 1'b0, 10'd0, 32'd0};
    // 1: b = t + MAGIC (rounds t to an integer)
    f_a[1*32 +: 32] = t1;
    f_b[1*32 +: 32] = vec_pkg::Fp32One;
    f_c[1*32 +: 32] = Magic;
    f_tin[1*SideW +: SideW] = {s0[OffTag +: TagWidth], s0[OffNan], cut1, 10'd0, t1};
    // 2: kf = b - MAGIC; k = bits(b) - MAGIC, whose low bits are b's (MAGIC's are 0)
    f_a[2*32 +: 32] = b2;
    f_b[2*32 +: 32] = vec_pkg::Fp32One;
    f_c[2*32 +: 32] = NegMagic;
    f_tin[2*SideW +: SideW] = {s1[OffTag +: TagWidth], s1[OffNan], s1[OffCut], b2[9:0],
                               s1[OffVal +: 32]};
    // 3: r = t - kf
    f_a[3*32 +: 32] = s2[OffVal +: 32];
    f_b[3*32 +: 32] = vec_pkg::Fp32One;
    f_c[3*32 +: 32] = {~kf3[31], kf3[30:0]};
    f_tin[3*SideW +: SideW] = {s2[SideW-1:OffK], 32'd0};
    // 4: p = c5 * r + c4
    f_a[4*32 +: 32] = Poly[5*32 +: 32];
    f_b[4*32 +: 32] = r4;
    f_c[4*32 +: 32] = Poly[4*32 +: 32];
    f_tin[4*SideW +: SideW] = {s3[SideW-1:OffK], r4};
    // 5..8: p = p * r + c(8-i)
    for (int unsigned i = 5; i < NumFma; i++) begin
      f_a[i*32 +: 32] = f_r[(i-1)*32 +: 32];
      f_b[i*32 +: 32] = f_tout[(i-1)*SideW + OffVal +: 32];
      f_c[i*32 +: 32] = Poly[(8-i)*32 +: 32];
      f_tin[i*SideW +: SideW] = f_tout[(i-1)*SideW +: SideW];
    end
  end

  logic [SideW-1:0] s_out;
  assign s_out = f_tout[(NumFma-1)*SideW +: SideW];
  assign tag_o = s_out[OffTag +: TagWidth];

  always_comb begin
    if (s_out[OffNan]) begin
      p_o = vec_pkg::Fp32CanonicalNan;
      k_o = '0;
    end else if (s_out[OffCut]) begin
      p_o = '0;
      k_o = '0;
    end else begin
      p_o = f_r[(NumFma-1)*32 +: 32];
      k_o = s_out[OffK +: 10];
    end
  end

  fp32_scale_pow2 #(.KWidth(10)) u_ldexp (
    .x_i(p_o),
    .k_i(k_o),
    .r_o(e_o)
  );

endmodule
