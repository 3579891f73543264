// Pipelined FP32 reciprocal square root, bit-exact to npu::ref::rsqrt:
// NaN or v < 0 -> NaN, +-0 (incl. subnormal) -> +Inf, +Inf -> +0; otherwise
// v = m' * 2^e2 (e2 even, m' in [1, 4)), h = m'/2, y = seed[{odd, frac[22:17]}],
// two Newton steps s = y*y, u = 1.5 - h*s, y = y*u, result y * 2^(-e2/2).
// Six chained fp32_fma stages (latency 6 * Fp32FmaLatency = 18 cycles, one
// operation per cycle); h, y, the exponent and the special result ride in
// the fma tags together with the user's TagWidth bits.
module vec_rsqrt #(
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
  output logic [31:0]         r_o,
  output logic [TagWidth-1:0] tag_o
);

  localparam int unsigned NStages = 6;  // 2 Newton steps x (mul, fma, mul)
  localparam int unsigned KW      = 8;  // signed result exponent shift, |k| <= 63
  // Internal tag: {user, special, special value, k, h, y}.
  localparam int unsigned YLsb    = 0;
  localparam int unsigned HLsb    = 32;
  localparam int unsigned KLsb    = 64;
  localparam int unsigned SvLsb   = KLsb + KW;
  localparam int unsigned SpBit   = SvLsb + 32;
  localparam int unsigned UserLsb = SpBit + 1;
  localparam int unsigned TW      = UserLsb + TagWidth;

  localparam logic [31:0] ThreeHalves = 32'h3FC0_0000;

  // ------------------------------------------------------------ input decode
  logic [7:0]    ex;
  logic          odd, v_zero, v_nan, v_inf, v_neg, special;
  logic [31:0]   special_val, h, seed;
  logic [KW-1:0] k;

  assign ex     = v_i[30:23];
  assign v_zero = (ex == '0);
  assign v_nan  = (ex == vec_pkg::Fp32ExpMax) && (v_i[22:0] != '0);
  assign v_inf  = (ex == vec_pkg::Fp32ExpMax) && (v_i[22:0] == '0);
  assign v_neg  = v_i[31] && !v_zero;
  assign special = v_zero || v_nan || v_inf || v_neg;
  // Unbiased exponent e = ex - 127 is odd exactly when ex is even.
  assign odd    = !ex[0];

  always_comb begin
    if (v_nan || v_neg) special_val = vec_pkg::Fp32CanonicalNan;
    else if (v_zero)    special_val = 32'h7F80_0000;
    else                special_val = 32'h0000_0000;  // +Inf -> +0
  end

  // h = m'/2 in [0.5, 2): exponent 126 + odd over v's fraction.
  assign h = {1'b0, 8'd126 + {7'd0, odd}, v_i[22:0]};
  // k = -e2/2 = (127 + odd - ex) / 2, an exact halving (the sum is even).
  logic [9:0] k_twice;
  assign k_twice = 10'd127 + {9'd0, odd} - {2'd0, ex};
  assign k       = k_twice[KW:1];

  vec_rsqrt_seed u_seed (
    .idx_i  ({odd, v_i[22:17]}),
    .seed_o (seed)
  );

  // ---------------------------------------------------------- Newton chain
  logic [NStages:0]        st_valid, st_ready;
  logic [(NStages+1)*32-1:0] st_r;
  logic [(NStages+1)*TW-1:0] st_tag;

  assign st_valid[0]      = in_valid_i;
  assign in_ready_o       = st_ready[0];
  assign st_r[31:0]       = seed;
  assign st_tag[TW-1:0]   = {tag_i, special, special_val, k, h, seed};

  for (genvar i = 0; i < NStages; i++) begin : g_stage
    logic [31:0] prev_r, tag_y, tag_h, a, b, c, y_next;
    logic [TW-1:0] tag_in, tag_fwd;

    assign prev_r = st_r[i*32 +: 32];
    assign tag_in = st_tag[i*TW +: TW];
    assign tag_y  = tag_in[YLsb +: 32];
    assign tag_h  = tag_in[HLsb +: 32];

    if (i % 3 == 0) begin : g_square
      // s = y * y; the y being squared is kept in the tag for the final mul.
      assign a      = prev_r;
      assign b      = prev_r;
      assign c      = vec_pkg::Fp32NegZero;
      assign y_next = prev_r;
    end else if (i % 3 == 1) begin : g_err
      // u = 1.5 - h * s
      assign a      = {~tag_h[31], tag_h[30:0]};
      assign b      = prev_r;
      assign c      = ThreeHalves;
      assign y_next = tag_y;
    end else begin : g_update
      // y = y * u
      assign a      = tag_y;
      assign b      = prev_r;
      assign c      = vec_pkg::Fp32NegZero;
      assign y_next = tag_y;
    end
    assign tag_fwd = {tag_in[TW-1:YLsb+32], y_next};
    // Not every stage kind reads both tag operands.
    logic unused_stage;
    assign unused_stage = ^{tag_y, tag_h};

    fp32_fma #(.TagWidth(TW)) u_fma (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .in_valid_i  (st_valid[i]),
      .in_ready_o  (st_ready[i]),
      .a_i         (a),
      .b_i         (b),
      .c_i         (c),
      .tag_i       (tag_fwd),
      .out_valid_o (st_valid[i+1]),
      .out_ready_i (st_ready[i+1]),
      .r_o         (st_r[(i+1)*32 +: 32]),
      .tag_o       (st_tag[(i+1)*TW +: TW])
    );
  end

  // ------------------------------------------------------------------ output
  logic [TW-1:0] tag_out;
  logic [31:0]   scaled;

  assign tag_out        = st_tag[NStages*TW +: TW];
  assign st_ready[NStages] = out_ready_i;
  assign out_valid_o    = st_valid[NStages];

  fp32_scale_pow2 #(.KWidth(KW)) u_scale (
    .x_i (st_r[NStages*32 +: 32]),
    .k_i (tag_out[KLsb +: KW]),
    .r_o (scaled)
  );

  assign r_o   = tag_out[SpBit] ? tag_out[SvLsb +: 32] : scaled;
  assign tag_o = tag_out[UserLsb +: TagWidth];

  // h and y are consumed inside the chain; the last stage's copies are dead.
  logic unused_tail;
  assign unused_tail = ^{tag_out[HLsb +: 32], tag_out[YLsb +: 32], k_twice[0], k_twice[9]};

endmodule
