// FP32 multiply, rounding part (combinational): a (FP32) times b (a value of
// extended exponent range, vec_pkg::ext_t) given the product of their 24-bit
// significands, rounded by the contract (RNE to 24 bits, then overflow to Inf
// or flush to zero), DAZ, canonical NaN. The multiplier itself belongs to the
// caller, which shares it with its integer mode.
module vec_fmul (
  input  logic [31:0]          a_i,
  input  vec_pkg::ext_t        b_i,
  input  logic [47:0]          prod_i,   // {1, a.frac} * b.man
  output logic [31:0]          r_o
);
  logic a_zero, a_inf, a_nan, sign;
  assign a_zero = (a_i[30:23] == '0);
  assign a_inf  = (a_i[30:23] == 8'hFF) && (a_i[22:0] == '0);
  assign a_nan  = (a_i[30:23] == 8'hFF) && (a_i[22:0] != '0);
  assign sign   = a_i[31] ^ b_i.sign;

  // Normalise to 24 bits + guard + sticky, round to nearest even.
  logic        top;
  logic [23:0] kept;
  logic        guard, sticky, rnd;
  logic [24:0] mant;
  logic signed [12:0] e;
  always_comb begin
    top    = prod_i[47];
    kept   = top ? prod_i[47:24] : prod_i[46:23];
    guard  = top ? prod_i[23] : prod_i[22];
    sticky = top ? |prod_i[22:0] : |prod_i[21:0];
    rnd    = guard && (sticky || kept[0]);
    mant   = {1'b0, kept} + 25'(rnd);
    e      = 13'(signed'({5'd0, a_i[30:23]})) - 13'sd127 + 13'(b_i.exp) + 13'(top) + 13'(mant[24]);
  end

  always_comb begin
    if (a_nan || b_i.nan || (a_zero && b_i.inf) || (a_inf && b_i.zero)) begin
      r_o = vec_pkg::Fp32CanonicalNan;
    end else if (a_inf || b_i.inf) begin
      r_o = {sign, 8'hFF, 23'd0};
    end else if (a_zero || b_i.zero) begin
      r_o = {sign, 31'd0};
    end else if (e > 13'sd127) begin
      r_o = {sign, 8'hFF, 23'd0};
    end else if (e < -13'sd126) begin
      r_o = {sign, 31'd0};
    end else begin
      // a carry out of the rounding leaves mant = 2^24, whose fraction is 0
      r_o = {sign, 8'(e + 13'sd127), mant[24] ? 23'd0 : mant[22:0]};
    end
  end
  // the significands arrive as prod_i; a carry out of the rounding is mant[24]
  logic unused;
  assign unused = ^{b_i.man, mant[23]};
endmodule
