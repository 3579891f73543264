// Table function (docs/numerics.md, "Table functions"), combinational: a
// piecewise quadratic of a 23-bit fraction f,
//   Y = C0 + (((C1 + ((C2 * d) >>> DB)) * d) >>> DB),  out = (Y + 2^(P-1)) >>> P, clamped,
// with the coefficients of vec_tables_pkg. Tables selects which tables exist
// (bit 0 exp2, 1 rcp, 2 rsqrt even, 3 rsqrt odd); sel_i picks one of them.
// exp2 gives 2^f * 2^23 in [2^23, 2^24); the others 2^24 * g(f) in (2^23, 2^24].
module vec_table_eval #(
  parameter logic [3:0] Tables = 4'b0001
) (
  input  logic [1:0]  sel_i,    // 0 exp2, 1 rcp, 2 rsqrt (even), 3 rsqrt (odd)
  input  logic [22:0] frac_i,
  output logic [24:0] y_o
);
  import vec_tables_pkg::*;

  typedef struct packed {
    logic signed [31:0] c0, c1, c2;
  } coef_t;

  // The exp2 table has 64 segments (17-bit d), the others 128 (16-bit d).
  coef_t c;
  logic  wide;  // 64-segment table
  always_comb begin
    c    = '0;
    wide = 1'b0;
    unique case (sel_i)
      2'd0: if (Tables[0]) begin c = exp2_coef(frac_i[22:17]); wide = 1'b1; end
      2'd1: if (Tables[1]) c = rcp_coef(frac_i[22:16]);
      2'd2: if (Tables[2]) c = rsqe_coef(frac_i[22:16]);
      default: if (Tables[3]) c = rsqo_coef(frac_i[22:16]);
    endcase
  end

  logic signed [17:0] d;      // 0 .. 2^17 - 1
  logic signed [35:0] t2;     // C2 * d
  logic signed [31:0] t1;     // C1 + (C2 d >>> DB)
  logic signed [49:0] t1d;    // (C1 + ..) * d
  logic signed [33:0] y;
  logic signed [34:0] yr;
  logic [24:0]        lo, hi;

  assign d   = wide ? {1'b0, frac_i[16:0]} : {2'b00, frac_i[15:0]};
  assign t2  = 36'(c.c2) * 36'(d);
  assign t1  = c.c1 + (wide ? 32'(t2 >>> 17) : 32'(t2 >>> 16));
  assign t1d = 50'(t1) * 50'(d);
  assign y   = 34'(c.c0) + (wide ? 34'(t1d >>> 17) : 34'(t1d >>> 16));
  // exp2: out scale 2^23 (P = 7); the others 2^24 (P = 6).
  assign yr  = wide ? (35'(y) + 35'sd64) >>> 7 : (35'(y) + 35'sd32) >>> 6;
  assign lo  = wide ? Exp2OutLo : RcpOutLo;
  assign hi  = wide ? Exp2OutHi : RcpOutHi;

  always_comb begin
    if (yr < $signed({10'd0, lo}))      y_o = lo;
    else if (yr > $signed({10'd0, hi})) y_o = hi;
    else                                y_o = yr[24:0];
  end

endmodule
