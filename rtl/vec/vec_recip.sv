// 1/v as the model's recip_split / recip (docs/numerics.md):
// m = 1.frac(v), y = seed[frac >> 16], two Newton steps e = fma(-m, y, 1),
// y = fma(y, e, y); split result (sign|y, 127 - E); recip = ldexp_ftz of it,
// NaN -> NaN, +-0 (DAZ) -> +-Inf, +-Inf -> +-0.
// Pipeline: a valid/ready chain of 4 fp32_fma (latency 4 * Fp32FmaLatency);
// TagWidth user bits travel with each value.
module vec_recip #(
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
  output logic [31:0]         m_o,     // recip_split: sign | y (meaningful for finite normal v)
  output logic [9:0]          e_o,     // recip_split: 127 - E(v), two's complement
  output logic [31:0]         r_o,     // recip(v)
  output logic [TagWidth-1:0] tag_o
);

  localparam int unsigned NumFma = 4;
  // Side band: {user tag, nan, zero, inf, sign, E, -m, y}.
  localparam int unsigned OffY    = 0;
  localparam int unsigned OffNegM = 32;
  localparam int unsigned OffE    = 64;
  localparam int unsigned OffSign = 72;
  localparam int unsigned OffInf  = 73;
  localparam int unsigned OffZero = 74;
  localparam int unsigned OffNan  = 75;
  localparam int unsigned OffTag  = 76;
  localparam int unsigned SideW   = OffTag + TagWidth;

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

  assign f_vin       = {f_vout[NumFma-2:0], in_valid_i};
  assign f_rout      = {out_ready_i, f_rin[NumFma-1:1]};
  assign in_ready_o  = f_rin[0];
  assign out_valid_o = f_vout[NumFma-1];

  logic [7:0]  ev;
  logic        v_nan, v_zero, v_inf;
  logic [31:0] neg_m, seed;

  assign ev     = v_i[30:23];
  assign v_zero = (ev == '0);
  assign v_inf  = (ev == vec_pkg::Fp32ExpMax) && (v_i[22:0] == '0);
  assign v_nan  = (ev == vec_pkg::Fp32ExpMax) && (v_i[22:0] != '0);
  assign neg_m  = {1'b1, 8'd127, v_i[22:0]};

  vec_recip_seed u_seed (
    .idx_i (v_i[22:16]),
    .seed_o(seed)
  );

  always_comb begin
    // 0: err = 1 - m*y0
    f_a[0*32 +: 32] = neg_m;
    f_b[0*32 +: 32] = seed;
    f_c[0*32 +: 32] = vec_pkg::Fp32One;
    f_tin[0*SideW +: SideW] = {tag_i, v_nan, v_zero, v_inf, v_i[31], ev, neg_m, seed};
    for (int unsigned i = 1; i < NumFma; i++) begin
      if (i % 2 == 1) begin
        // y = y + y*err
        f_a[i*32 +: 32] = f_tout[(i-1)*SideW + OffY +: 32];
        f_b[i*32 +: 32] = f_r[(i-1)*32 +: 32];
        f_c[i*32 +: 32] = f_tout[(i-1)*SideW + OffY +: 32];
        f_tin[i*SideW +: SideW] = f_tout[(i-1)*SideW +: SideW];
      end else begin
        // err = 1 - m*y
        f_a[i*32 +: 32] = f_tout[(i-1)*SideW + OffNegM +: 32];
        f_b[i*32 +: 32] = f_r[(i-1)*32 +: 32];
        f_c[i*32 +: 32] = vec_pkg::Fp32One;
        f_tin[i*SideW +: SideW] = {f_tout[(i-1)*SideW + 32 +: SideW - 32], f_r[(i-1)*32 +: 32]};
      end
    end
  end

  logic [SideW-1:0] s_out;
  logic [31:0]      scaled;
  assign s_out = f_tout[(NumFma-1)*SideW +: SideW];
  assign tag_o = s_out[OffTag +: TagWidth];
  assign m_o   = {s_out[OffSign], f_r[(NumFma-1)*32 +: 31]};
  assign e_o   = 10'd127 - {2'b00, s_out[OffE +: 8]};

  fp32_scale_pow2 #(.KWidth(10)) u_ldexp (
    .x_i(m_o),
    .k_i(e_o),
    .r_o(scaled)
  );

  always_comb begin
    if (s_out[OffNan])       r_o = vec_pkg::Fp32CanonicalNan;
    else if (s_out[OffZero]) r_o = {s_out[OffSign], vec_pkg::Fp32ExpMax, 23'd0};
    else if (s_out[OffInf])  r_o = {s_out[OffSign], 31'd0};
    else                     r_o = scaled;
  end

endmodule
