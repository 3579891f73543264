// Test-only wrapper: the combinational vector-engine helpers side by side,
// so one Verilated model serves all their tests.
module tb_vec_helpers #(
  parameter int unsigned KWidth = 10
) (
  input  logic [31:0]       max_a_i,
  input  logic [31:0]       max_b_i,
  output logic [31:0]       max_o,
  output logic [31:0]       min_o,
  input  logic [31:0]       scale_x_i,
  input  logic [KWidth-1:0] scale_k_i,
  output logic [31:0]       scale_r_o,
  input  logic [31:0]       f2b_f_i,
  output logic [15:0]       f2b_b_o,
  input  logic [15:0]       b2f_b_i,
  output logic [31:0]       b2f_f_o
);

  fp32_max u_max (
    .a_i  (max_a_i),
    .b_i  (max_b_i),
    .max_o(max_o),
    .min_o(min_o)
  );

  fp32_scale_pow2 #(.KWidth(KWidth)) u_scale (
    .x_i(scale_x_i),
    .k_i(scale_k_i),
    .r_o(scale_r_o)
  );

  fp32_to_bf16 u_f2b (
    .f_i(f2b_f_i),
    .b_o(f2b_b_o)
  );

  bf16_to_fp32 u_b2f (
    .b_i(b2f_b_i),
    .f_o(b2f_f_o)
  );

endmodule
