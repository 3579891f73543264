// The RC stage of a vector lane (combinational): R = 1 / (1 + E) for the
// extended value E = y 2^(k-23) of vec_exp2 (docs/numerics.md, x * sigmoid).
// D = 1 + E is rounded to 24 bits (RNE, unbounded exponent), then R comes from
// the reciprocal table of D's fraction. E.zero (u < -64) gives R = 1; NaN passes.
module vec_sigmoid_rcp (
  input  vec_pkg::ext_t e_i,
  output vec_pkg::ext_t r_o
);
  import vec_pkg::*;

  logic signed [11:0] k;
  logic [23:0]        y;
  assign k = e_i.exp;
  assign y = e_i.man;

  // ---- D = 1 + E
  logic [23:0]        dman;
  logic signed [11:0] dexp;
  logic [24:0]        s;        // y + 2^(23-k) for 0 <= k <= 23
  logic [24:0]        q;        // 2^23 + rne(y 2^k) for k < 0
  logic [4:0]         sh;
  logic [24:0]        ysh;      // {y >> sh, guard bit}
  logic               g, st;
  always_comb begin
    s    = 25'(y) + (25'd1 << (5'd23 - 5'(k)));
    sh   = (k < -12'sd25) ? 5'd25 : 5'(-k);
    ysh  = {y, 1'b0} >> sh;
    g    = ysh[0];
    st   = |({1'b0, y} & ((25'd1 << (sh - 5'd1)) - 25'd1));
    q    = 25'h80_0000 + 25'(ysh[24:1]) + 25'(g && (st || ysh[1]));
    dman = y;
    dexp = k;
    if (e_i.zero) begin
      dman = 24'h80_0000;
      dexp = '0;
    end else if (k < 0) begin                      // D in [1, 2]
      dman = q[24] ? 24'h80_0000 : q[23:0];
      dexp = q[24] ? 12'sd1 : 12'sd0;
    end else if (k <= 12'sd23) begin               // exact sum, one rounding if it carries
      if (s[24]) begin
        dman = s[24:1] + 24'(s[0] && s[1]);        // tie to even; cannot carry again
        dexp = k + 12'sd1;
      end else begin
        dman = s[23:0];
      end
    end else if (k == 12'sd24) begin               // + half an ulp: tie to even
      dman = y + 24'(y[0]);
      if (y == 24'hFF_FFFF) begin
        dman = 24'h80_0000;
        dexp = k + 12'sd1;
      end
    end
    // k >= 25: 1 is below half an ulp of E, D = E
  end

  // ---- R = 1 / D
  logic [24:0] yr;
  vec_table_eval #(.Tables(4'b0010)) u_tab (.sel_i(2'd1), .frac_i(dman[22:0]), .y_o(yr));

  always_comb begin
    r_o      = '0;
    r_o.nan  = e_i.nan;
    if (yr[24]) begin      // 2^24: 1/D = 2^-dexp exactly
      r_o.man = 24'h80_0000;
      r_o.exp = -dexp;
    end else begin
      r_o.man = yr[23:0];
      r_o.exp = -dexp - 12'sd1;
    end
  end
  logic unused;
  assign unused = ^{e_i.sign, e_i.inf, dman[23]};  // E > 0 always; its leading one
endmodule
