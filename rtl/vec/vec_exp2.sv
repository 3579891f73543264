// The EX stage of a vector lane (combinational): 2^t from the exp2 table in
// three forms (docs/numerics.md, "Vector engine"):
//   ExExp2  fp_o  = exp2_fp32(t), t = v[31:0] (FP32, flush below 2^-126);
//   ExExpx  e_o   = 2^u, u = -t, extended range (x * sigmoid): huge_o for
//                   u >= 256, e_o.zero for u < -64 (1 + E rounds to 1), NaN kept;
//   ExIexp  int_o = 2^(-U / 2^20) in Q.20, U = v >= 0 (SOFTMAX_I8).
// One table evaluation serves all three: T = floor(t * 2^23) (or -8U), the
// integer part k = T >>> 23 scales table_exp2(T mod 2^23).
module vec_exp2 (
  input  vec_pkg::ex_op_e op_i,
  input  logic [63:0]     v_i,
  output logic [31:0]     fp_o,
  output vec_pkg::ext_t   e_o,
  output logic            huge_o,
  output logic [31:0]     int_o
);
  import vec_pkg::*;

  logic [31:0] t;
  logic        neg, zero, nan;
  logic [7:0]  ex;
  assign t    = v_i[31:0];
  assign ex   = t[30:23];
  assign zero = (ex == '0);
  assign nan  = (ex == 8'hFF) && (t[22:0] != '0);
  assign neg  = (op_i == ExExpx) ? !t[31] : t[31];  // the sign of u = -t

  // floor(|t| 2^23) with the sign of the operand: |t| < 256 where used.
  logic [30:0] mag;
  logic        inexact;
  logic [4:0]  rsh;   // right shift for exponents below 127
  always_comb begin
    rsh     = (ex >= 8'd127) ? 5'd0 : ((8'd127 - ex) > 8'd24 ? 5'd24 : 5'(8'd127 - ex));
    if (ex >= 8'd127) begin
      mag     = 31'({1'b1, t[22:0]}) << 3'(ex - 8'd127);
      inexact = 1'b0;
    end else begin
      mag     = 31'({1'b1, t[22:0]}) >> rsh;
      inexact = |({1'b1, t[22:0]} & ~(24'hFF_FFFF << rsh));
    end
    if (zero) begin
      mag     = '0;
      inexact = 1'b0;
    end
  end

  logic signed [31:0] tf, ti, tt;
  assign tf = neg ? -(32'(mag)) - 32'(inexact) : 32'(mag);
  logic big_u;   // U >= 2^25: k <= -32, the result is 0
  assign big_u = |v_i[63:25];
  assign ti = -(32'(v_i[24:0]) <<< 3);   // -8U
  assign tt = (op_i == ExIexp) ? ti : tf;

  logic [24:0]        y;
  logic signed [8:0]  k;
  vec_table_eval #(.Tables(4'b0001)) u_tab (.sel_i(2'd0), .frac_i(tt[22:0]), .y_o(y));
  assign k = tt[31:23];

  // ---- ExExp2: range checks on t, then 2^k * y / 2^23
  logic big_pos, big_neg;   // t >= 128; t < -192 (Infs included)
  logic signed [9:0] biased;
  assign big_pos = !t[31] && (ex >= 8'd134);
  assign big_neg = t[31] && ((ex > 8'd134) || (ex == 8'd134 && t[22:0] > 23'h40_0000));
  assign biased  = 10'(k) + 10'sd127;
  always_comb begin
    if (nan)                       fp_o = Fp32CanonicalNan;
    else if (big_pos)              fp_o = 32'h7F80_0000;
    else if (big_neg)              fp_o = 32'd0;
    else if (biased <= 10'sd0)     fp_o = 32'd0;
    else                           fp_o = {1'b0, biased[7:0], y[22:0]};
  end

  // ---- ExExpx: u >= 256 (t <= -256); u < -64 (t > 64)
  logic u_huge, u_tiny;
  assign u_huge = t[31] && (ex >= 8'd135) && !nan;
  assign u_tiny = !t[31] && ((ex > 8'd133) || (ex == 8'd133 && t[22:0] != '0)) && !nan;
  always_comb begin
    e_o      = '0;
    e_o.nan  = nan;
    e_o.zero = u_tiny;
    e_o.exp  = 12'(k);
    e_o.man  = y[23:0];
  end
  assign huge_o = u_huge;

  // ---- ExIexp: (y >> (3 - k)), 0 once the shift reaches 24
  logic signed [9:0] sh;
  assign sh    = 10'sd3 - 10'(k);
  assign int_o = (big_u || sh >= 10'sd24) ? 32'd0 : 32'(y[23:0]) >> sh[4:0];

  logic unused;
  assign unused = y[24];
endmodule
