// a < b for FP32 bit patterns that are not NaN (combinational), DAZ: the
// contract's fp32_less; +0 and -0 (and subnormals) compare equal.
module fp32_lt (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic        lt_o
);
  logic az, bz;
  logic [31:0] a, b;
  assign az = (a_i[30:23] == '0);
  assign bz = (b_i[30:23] == '0);
  assign a  = az ? 32'd0 : a_i;
  assign b  = bz ? 32'd0 : b_i;
  always_comb begin
    if (a[31] != b[31])  lt_o = a[31];  // zeros have lost their sign above
    else if (!a[31])     lt_o = a[30:0] < b[30:0];
    else                 lt_o = a[30:0] > b[30:0];
  end
endmodule
