// Sequential FP32 accumulator: acc = fp32_add(acc, data) once per valid
// cycle, in arrival order, one element per cycle (single-cycle add in the loop).
// Interface (reused by the norm units):
//   clear_i  load acc with init_i (priority over valid_i: that data is dropped)
//   valid_i  add data_i to the accumulator at this edge
//   acc_o    the registered sum, updated at the edge after clear_i / valid_i
// The model's sums start from +0: clear with init_i = 0 before the first element.
module fp32_acc (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        clear_i,
  input  logic [31:0] init_i,
  input  logic        valid_i,
  input  logic [31:0] data_i,
  output logic [31:0] acc_o
);

  logic [31:0] acc_q, sum;

  fp32_add_comb u_add (
    .a_i(acc_q),
    .b_i(data_i),
    .r_o(sum)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q <= '0;
    end else if (clear_i) begin
      acc_q <= init_i;
    end else if (valid_i) begin
      acc_q <= sum;
    end
  end

  assign acc_o = acc_q;

endmodule
