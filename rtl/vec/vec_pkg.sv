// Vector-engine constants shared by the FP32 datapath blocks.
package vec_pkg;

  // FP32 field layout.
  localparam int unsigned Fp32ExpWidth  = 8;
  localparam int unsigned Fp32ManWidth  = 23;
  localparam int unsigned Fp32ExpBias   = 127;
  localparam logic [7:0]  Fp32ExpMax    = 8'hFF;

  // The one NaN every unit produces (numerics contract).
  localparam logic [31:0] Fp32CanonicalNan = 32'h7FC0_0000;
  localparam logic [15:0] Bf16CanonicalNan = 16'h7FC0;

  // Handy constants for using fp32_fma as an adder or multiplier:
  // add = fma(a, 1.0, c); mul = fma(a, b, -0.0) (x + (-0) == x for every x).
  localparam logic [31:0] Fp32One     = 32'h3F80_0000;
  localparam logic [31:0] Fp32NegZero = 32'h8000_0000;

  // fp32_fma pipeline: one register stage each for multiply+align,
  // add+leading-one detect, normalise+round. Result latency in cycles
  // from the accepting in_valid_i && in_ready_o edge.
  localparam int unsigned Fp32FmaLatency = 3;

endpackage
