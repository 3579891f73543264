// BF16 LayerNorm: y_j = narrow(fma(mul(x_j - mu, r), gamma_j, beta_j)), r = rsqrt(var + eps),
// bit-exact to npu::ref::layernorm_bf16. A thin wrapper of vec_norm_bf16 (see there
// for the phases and throughput).
module vec_layernorm_bf16 #(
  parameter int unsigned Lanes  = 4,
  parameter int unsigned MaxLen = 4096
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic [31:0]         cfg_eps_i,   // FP32, sampled with a row's first beat
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes*16-1:0] in_gamma_i,
  input  logic [Lanes*16-1:0] in_beta_i,
  input  logic [Lanes-1:0]    in_keep_i,
  input  logic                in_last_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]    out_keep_o,
  output logic                out_last_o
);

  vec_norm_bf16 #(
    .Lanes   (Lanes),
    .MaxLen  (MaxLen),
    .RmsNorm (1'b0)
  ) u_norm (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .cfg_eps_i   (cfg_eps_i),
    .in_valid_i  (in_valid_i),
    .in_ready_o  (in_ready_o),
    .in_data_i   (in_data_i),
    .in_gamma_i  (in_gamma_i),
    .in_beta_i   (in_beta_i),
    .in_keep_i   (in_keep_i),
    .in_last_i   (in_last_i),
    .out_valid_o (out_valid_o),
    .out_ready_i (out_ready_i),
    .out_data_o  (out_data_o),
    .out_keep_o  (out_keep_o),
    .out_last_o  (out_last_o)
  );

endmodule
