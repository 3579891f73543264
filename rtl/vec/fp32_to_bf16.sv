// FP32 -> BF16 (combinational): round-to-nearest-even on the low 16 bits,
// DAZ (subnormal -> signed zero), NaN -> 0x7FC0. A carry out of the
// fraction bumps the exponent, so the largest values round to +-Inf.
module fp32_to_bf16 (
  input  logic [31:0] f_i,
  output logic [15:0] b_o
);

  logic round_up;

  assign round_up = f_i[15] && ((|f_i[14:0]) || f_i[16]);

  always_comb begin
    if (f_i[30:23] == vec_pkg::Fp32ExpMax && f_i[22:0] != '0) b_o = vec_pkg::Bf16CanonicalNan;
    else if (f_i[30:23] == '0)                       b_o = {f_i[31], 15'd0};
    else                                             b_o = f_i[31:16] + 16'(round_up);
  end

endmodule
