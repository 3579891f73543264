// BF16 -> FP32 (combinational): exact widening, DAZ (subnormal -> signed
// zero), NaN -> canonical FP32 NaN.
module bf16_to_fp32 (
  input  logic [15:0] b_i,
  output logic [31:0] f_o
);

  always_comb begin
    if (b_i[14:7] == vec_pkg::Fp32ExpMax && b_i[6:0] != '0) f_o = vec_pkg::Fp32CanonicalNan;
    else if (b_i[14:7] == '0)                      f_o = {b_i[15], 31'd0};
    else                                           f_o = {b_i, 16'd0};
  end

endmodule
