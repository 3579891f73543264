// Multiply-accumulate for one PE, selected per operation by mode_i:
//   BF16: acc_o = round(acc_i + a_i * b_i), fused (exact 16-bit product,
//         one round-to-nearest-even), DAZ on all inputs, flush-to-zero with
//         tininess after rounding, overflow to +-Inf, canonical NaN.
//   INT8: acc_o = acc_i + a_i[7:0] * int8(b_i[7:0]) + a_i[15:8] * int8(b_i[15:8]),
//         int32 wrap-around: two INT8 products per PE (a K tile is 2*Rows deep);
//         the activation bytes are int8, or uint8 when mode_i[1] is set.
// Two pipeline stages (npu_pkg::PeLatency), both advancing on en_i:
//   stage 1: unpack, multiply, align, add  | stage 2: normalise, round, pack.
module bf16_mac (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      en_i,
  input  logic [npu_pkg::ModeW-1:0] mode_i,
  input  logic [npu_pkg::ElemW-1:0] a_i,
  input  logic [npu_pkg::ElemW-1:0] b_i,
  input  logic [npu_pkg::AccW-1:0]  acc_i,
  output logic [npu_pkg::AccW-1:0]  acc_o
);

  localparam int unsigned SigW   = 24;           // FP32 significand incl. hidden bit
  // Guard bits below the larger operand. When the smaller one loses bits to
  // the alignment shift, the sum keeps >= 2^(22+G), so its ulp is >= 4 frame
  // units for G = 3 and jamming the lost bits into the LSB cannot move the
  // sum across a rounding boundary.
  localparam int unsigned G      = 3;
  localparam int unsigned FrameW = SigW + G;     // aligned operand width
  localparam int unsigned SumW   = FrameW + 1;   // magnitude of the sum (carry)
  localparam int unsigned ExpW   = 11;           // signed exponents, |e| < 1024
  localparam int unsigned ShW    = $clog2(FrameW + 1);
  localparam int unsigned LzW    = $clog2(SumW + 1);
  localparam int unsigned IntW   = npu_pkg::Int8W;
  localparam int unsigned AccW   = npu_pkg::AccW;

  // ---------------------------------------------------------------- stage 1
  // Field decode (BF16 and FP32 share the sign/exponent layout).
  logic       sa, sb, sc;
  logic [7:0] ea, eb, ec;
  assign sa = a_i[15];
  assign sb = b_i[15];
  assign sc = acc_i[31];
  assign ea = a_i[14:7];
  assign eb = b_i[14:7];
  assign ec = acc_i[30:23];

  logic a_zero, b_zero, c_zero, a_inf, b_inf, c_inf, a_nan, b_nan, c_nan;
  assign a_zero = (ea == 8'h00);  // DAZ: subnormals are zeros
  assign b_zero = (eb == 8'h00);
  assign c_zero = (ec == 8'h00);
  assign a_inf  = (ea == 8'hFF) && (a_i[6:0] == '0);
  assign b_inf  = (eb == 8'hFF) && (b_i[6:0] == '0);
  assign c_inf  = (ec == 8'hFF) && (acc_i[22:0] == '0);
  assign a_nan  = (ea == 8'hFF) && (a_i[6:0] != '0);
  assign b_nan  = (eb == 8'hFF) && (b_i[6:0] != '0);
  assign c_nan  = (ec == 8'hFF) && (acc_i[22:0] != '0);

  logic sp, p_zero, p_inf, p_nan, any_nan, any_inf, inf_sign, zero_sign;
  assign sp        = sa ^ sb;
  assign p_zero    = a_zero | b_zero;
  assign p_nan     = a_nan | b_nan | ((a_inf | b_inf) & p_zero);  // 0 * Inf
  assign p_inf     = (a_inf | b_inf) & ~p_nan;
  assign any_nan   = p_nan | c_nan | (p_inf & c_inf & (sp ^ sc)); // Inf - Inf
  assign any_inf   = p_inf | c_inf;
  assign inf_sign  = p_inf ? sp : sc;
  // Sign of an exactly-zero sum: -0 only for (-0) + (-0); cancellation is +0.
  assign zero_sign = p_zero & c_zero & sp & sc;

  // Exact product of the 8-bit significands, normalised to 24 bits.
  logic [15:0]     prod;
  logic [SigW-1:0] m_p, m_c;
  assign prod = {8'h00, 1'b1, a_i[6:0]} * {8'h00, 1'b1, b_i[6:0]};
  assign m_p  = prod[15] ? {prod, 8'h00} : {prod[14:0], 9'h000};
  assign m_c  = {1'b1, acc_i[22:0]};

  // Exponents of the LSB of m_p / m_c: value = m * 2^e.
  logic signed [ExpW-1:0] e_p, e_c;
  assign e_p = $signed({3'b000, ea}) + $signed({3'b000, eb})
             - $signed(ExpW'(277)) + $signed({{(ExpW-1){1'b0}}, prod[15]});
  assign e_c = $signed({3'b000, ec}) - $signed(ExpW'(150));

  // Order the finite operands by exponent; a zero operand is always "small"
  // with a zero significand, so it contributes nothing.
  logic                   p_big, s_big, s_small;
  logic [SigW-1:0]        m_big, m_small;
  logic signed [ExpW-1:0] e_big, e_diff;
  always_comb begin
    if (p_zero) begin
      p_big = 1'b0;
    end else if (c_zero) begin
      p_big = 1'b1;
    end else begin
      p_big = (e_p >= e_c);
    end
    m_big   = p_big ? m_p : (c_zero ? '0 : m_c);  // both zero: sum is 0
    m_small = p_big ? (c_zero ? '0 : m_c) : (p_zero ? '0 : m_p);
    s_big   = p_big ? sp : sc;
    s_small = p_big ? sc : sp;
    e_big   = p_big ? e_p : e_c;
    e_diff  = p_big ? (e_p - e_c) : (e_c - e_p);
  end

  // Align the smaller operand; bits shifted out are jammed into the LSB.
  logic [ShW-1:0]      shamt;
  logic [2*FrameW-1:0] small_wide;
  logic [FrameW-1:0]   big_al, small_al;
  always_comb begin
    if (e_diff >= $signed(ExpW'(FrameW))) begin
      shamt = ShW'(FrameW);
    end else begin
      shamt = e_diff[ShW-1:0];  // e_diff < 0 only with a zero small operand
    end
    small_wide = {m_small, {(G + FrameW){1'b0}}} >> shamt;
    small_al   = small_wide[2*FrameW-1 -: FrameW]
               | {{(FrameW-1){1'b0}}, |small_wide[FrameW-1:0]};
    big_al     = {m_big, {G{1'b0}}};
  end

  // Signed add/subtract, then magnitude and sign.
  logic [SumW:0]   raw;
  logic [SumW-1:0] mag_d;
  logic            sign_d;
  always_comb begin
    if (s_big ^ s_small) begin
      raw = {2'b00, big_al} - {2'b00, small_al};
    end else begin
      raw = {2'b00, big_al} + {2'b00, small_al};
    end
    mag_d  = raw[SumW] ? SumW'(-raw) : raw[SumW-1:0];
    sign_d = s_big ^ raw[SumW];
  end

  // INT8 path: two (u)int8 x int8 products, each exact in 17 bits, added to
  // the accumulator with int32 wrap-around.
  logic              a_uns;
  logic signed [8:0] a0, a1;
  logic signed [7:0] w0, w1;
  logic signed [17:0] ipsum;
  logic [AccW-1:0]   int_d;
  assign a_uns = mode_i[1];
  assign a0    = {a_uns ? 1'b0 : a_i[IntW-1], a_i[IntW-1:0]};
  assign a1    = {a_uns ? 1'b0 : a_i[2*IntW-1], a_i[2*IntW-1:IntW]};
  assign w0    = b_i[IntW-1:0];
  assign w1    = b_i[2*IntW-1:IntW];
  assign ipsum = 18'(a0 * w0) + 18'(a1 * w1);
  assign int_d = acc_i + {{(AccW-18){ipsum[17]}}, ipsum};

  // Stage-1 registers.
  logic                   mode_q, nan_q, inf_q, inf_sign_q, zero_sign_q, sign_q;  // mode_q: BF16
  logic signed [ExpW-1:0] e_big_q;
  logic [SumW-1:0]        mag_q;
  logic [AccW-1:0]        int_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mode_q      <= 1'b0;
      nan_q       <= 1'b0;
      inf_q       <= 1'b0;
      inf_sign_q  <= 1'b0;
      zero_sign_q <= 1'b0;
      sign_q      <= 1'b0;
      e_big_q     <= '0;
      mag_q       <= '0;
      int_q       <= '0;
    end else if (en_i) begin
      mode_q      <= mode_i[0];
      nan_q       <= any_nan;
      inf_q       <= any_inf;
      inf_sign_q  <= inf_sign;
      zero_sign_q <= zero_sign;
      sign_q      <= sign_d;
      e_big_q     <= e_big;
      mag_q       <= mag_d;
      int_q       <= int_d;
    end
  end

  // ---------------------------------------------------------------- stage 2
  logic [LzW-1:0] lz;
  npu_lzc #(.Width(SumW)) u_lzc (
    .in_i (mag_q),
    .cnt_o(lz)
  );

  // Round the normalised magnitude to 24 bits, nearest-even.
  logic [SumW-1:0]        norm;
  logic [SigW:0]          mant_r;
  logic                   guard, sticky, rnd;
  logic signed [ExpW-1:0] exp_r;
  always_comb begin
    norm   = mag_q << lz;
    guard  = norm[SumW-SigW-1];
    sticky = |norm[SumW-SigW-2:0];
    rnd    = guard & (sticky | norm[SumW-SigW]);
    mant_r = {1'b0, norm[SumW-1 -: SigW]} + {{SigW{1'b0}}, rnd};
    // Biased exponent: MSB of the frame is bit SumW-1, LSB weighs 2^(e_big-G).
    exp_r  = e_big_q + $signed(ExpW'(127 + SumW - 1 - G))
           - $signed({{(ExpW-LzW){1'b0}}, lz})
           + $signed({{(ExpW-1){1'b0}}, mant_r[SigW]});
  end

  logic [AccW-1:0] fp_res, res_d;
  always_comb begin
    if (nan_q) begin
      fp_res = npu_pkg::Fp32CanonicalNan;
    end else if (inf_q) begin
      fp_res = {inf_sign_q, 8'hFF, 23'h0};
    end else if (mag_q == '0) begin
      fp_res = {zero_sign_q, 31'h0};
    end else if (exp_r >= $signed(ExpW'(255))) begin
      fp_res = {sign_q, 8'hFF, 23'h0};    // overflow after rounding
    end else if (exp_r <= $signed(ExpW'(0))) begin
      fp_res = {sign_q, 31'h0};           // flush to zero after rounding
    end else begin
      // On a rounding carry mant_r is 2^24, whose low 23 bits are zero.
      fp_res = {sign_q, exp_r[7:0], mant_r[SigW-2:0]};
    end
    res_d = mode_q ? fp_res : int_q;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_o <= '0;
    end else if (en_i) begin
      acc_o <= res_d;
    end
  end

endmodule
