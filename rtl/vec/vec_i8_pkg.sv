// Requantization constants shared by the INT8 element-wise vector units
// (vec_requant, vec_eltwise_i8, vec_gelu_i8); see docs/numerics.md.
package vec_i8_pkg;

  // Requantization parameters (numerics contract): Q0.31 multiplier in
  // [0, 2^31 - 1] and a signed shift in [-31, 30] (positive = left).
  localparam int unsigned ReqMultWidth  = 31;
  localparam int unsigned ReqShiftWidth = 6;
  // Register stages of vec_i8_requant_lane (product, round/saturate/clamp).
  localparam int unsigned ReqLaneDepth  = 2;

endpackage
