// FP32 maximum and minimum (combinational). DAZ on inputs (a subnormal is a
// zero of its sign, and is returned as that zero); NaN in either input gives
// the canonical NaN on both outputs. -0 orders below +0, so max(+0, -0) = +0
// and min(+0, -0) = -0, independent of operand order.
module fp32_max (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] max_o,
  output logic [31:0] min_o
);

  logic [31:0] a_daz, b_daz, a_key, b_key;
  logic        a_nan, b_nan, a_gt_b;

  assign a_daz = (a_i[30:23] == '0) ? {a_i[31], 31'd0} : a_i;
  assign b_daz = (b_i[30:23] == '0) ? {b_i[31], 31'd0} : b_i;
  assign a_nan = (a_i[30:23] == vec_pkg::Fp32ExpMax) && (a_i[22:0] != '0);
  assign b_nan = (b_i[30:23] == vec_pkg::Fp32ExpMax) && (b_i[22:0] != '0);

  // Sign-magnitude to a key that orders like the real numbers (unsigned).
  assign a_key  = a_daz[31] ? ~a_daz : {1'b1, a_daz[30:0]};
  assign b_key  = b_daz[31] ? ~b_daz : {1'b1, b_daz[30:0]};
  assign a_gt_b = (a_key > b_key);

  assign max_o = (a_nan || b_nan) ? vec_pkg::Fp32CanonicalNan : (a_gt_b ? a_daz : b_daz);
  assign min_o = (a_nan || b_nan) ? vec_pkg::Fp32CanonicalNan : (a_gt_b ? b_daz : a_daz);

endmodule
