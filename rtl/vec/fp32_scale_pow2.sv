// r = x * 2^k by exponent arithmetic (combinational). Exact for normal
// results, so no rounding: a result below 2^-126 flushes to a zero of x's
// sign, one at or above 2^128 becomes Inf. DAZ on x, NaN -> canonical NaN,
// +-Inf and +-0 pass through. Equals the contract's fp32_mul(x, 2^k).
module fp32_scale_pow2 #(
  parameter int unsigned KWidth = 10  // signed k in [-2^(KWidth-1), 2^(KWidth-1))
) (
  input  logic [31:0]        x_i,
  input  logic [KWidth-1:0]  k_i,     // two's complement
  output logic [31:0]        r_o
);

  // Wide enough for exponent (0..255) plus k without wrap.
  localparam int unsigned EW = ((KWidth > vec_pkg::Fp32ExpWidth) ? KWidth : vec_pkg::Fp32ExpWidth) + 2;

  logic [vec_pkg::Fp32ExpWidth-1:0] ex;
  logic                    x_zero, x_special;
  logic signed [EW-1:0]    e_new;

  assign ex        = x_i[30:23];
  assign x_zero    = (ex == '0);
  assign x_special = (ex == vec_pkg::Fp32ExpMax);
  assign e_new     = $signed({{(EW-vec_pkg::Fp32ExpWidth){1'b0}}, ex}) +
                     $signed({{(EW-KWidth){k_i[KWidth-1]}}, k_i});

  always_comb begin
    if (x_special && x_i[22:0] != '0)       r_o = vec_pkg::Fp32CanonicalNan;
    else if (x_special)                     r_o = x_i;                       // +-Inf
    else if (x_zero || e_new <= 0)          r_o = {x_i[31], 31'd0};          // DAZ / FTZ
    else if (e_new >= $signed(EW'(vec_pkg::Fp32ExpMax))) r_o = {x_i[31], vec_pkg::Fp32ExpMax, 23'd0};
    else                                    r_o = {x_i[31], e_new[vec_pkg::Fp32ExpWidth-1:0], x_i[22:0]};
  end

endmodule
