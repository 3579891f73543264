// Test wrapper: vec_rsqrt with a 32-bit tag (sequence numbers) plus both
// seed tables of the BF16 norm group, so one model checks them all.
module tb_vec_rsqrt (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  output logic        in_ready_o,
  input  logic [31:0] v_i,
  input  logic [31:0] tag_i,
  output logic        out_valid_o,
  input  logic        out_ready_i,
  output logic [31:0] r_o,
  output logic [31:0] tag_o,
  input  logic [6:0]  seed_idx_i,
  output logic [31:0] rsqrt_seed_o,
  output logic [31:0] recip_seed_o
);

  vec_rsqrt #(.TagWidth(32)) u_rsqrt (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (in_valid_i),
    .in_ready_o  (in_ready_o),
    .v_i         (v_i),
    .tag_i       (tag_i),
    .out_valid_o (out_valid_o),
    .out_ready_i (out_ready_i),
    .r_o         (r_o),
    .tag_o       (tag_o)
  );

  vec_rsqrt_seed u_rs (.idx_i(seed_idx_i), .seed_o(rsqrt_seed_o));
  vec_recip_seed u_rc (.idx_i(seed_idx_i), .seed_o(recip_seed_o));

endmodule
