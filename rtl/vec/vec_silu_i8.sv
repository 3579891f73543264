// INT8 SiLU by table (npu::ref::silu_i8): out = table[x + 128]. The 256
// entries are written through the tbl_wr port (always accepted; a write
// applies to beats accepted in later cycles, so the host loads the table
// before the rows that use it). Fully pipelined, one beat per cycle, latency
// 1 cycle. Output: int8 in the low byte of each 16-bit lane, high byte 0;
// lanes not kept are 0.
module vec_silu_i8 #(
  parameter int unsigned Lanes = 4
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // Table write port: entry addr holds the output for x = addr - 128.
  input  logic                tbl_wr_valid_i,
  output logic                tbl_wr_ready_o,
  input  logic [7:0]          tbl_wr_addr_i,
  input  logic [7:0]          tbl_wr_data_i,
  // INT8 input stream (low byte of each lane).
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes-1:0]    in_keep_i,
  input  logic                in_last_i,
  // INT8 output stream.
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]    out_keep_o,
  output logic                out_last_o
);

  localparam int unsigned Depth = 1;
  localparam int unsigned SideW = Lanes + 1;  // keep, last

  logic [256*8-1:0] table_q;

  assign tbl_wr_ready_o = 1'b1;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      table_q <= '0;
    end else if (tbl_wr_valid_i) begin
      table_q[tbl_wr_addr_i*8 +: 8] <= tbl_wr_data_i;
    end
  end

  logic [Depth-1:0] load;
  logic [SideW-1:0] out_side;

  vec_i8_pipe #(.Depth(Depth), .SideWidth(SideW)) u_pipe (
    .clk_i,
    .rst_ni,
    .in_valid_i,
    .in_ready_o,
    .in_side_i  ({in_last_i, in_keep_i}),
    .out_valid_o,
    .out_ready_i,
    .out_side_o (out_side),
    .load_o     (load)
  );

  // Index x + 128 of a two's-complement x is x with its sign bit inverted.
  logic [Lanes*8-1:0] y_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      y_q <= '0;
    end else if (load[0]) begin
      for (int l = 0; l < Lanes; l++) begin
        y_q[l*8 +: 8] <= table_q[{~in_data_i[l*16+7], in_data_i[l*16 +: 7]}*8 +: 8];
      end
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_out
    assign out_data_o[l*16 +: 16] = out_side[l] ? {8'd0, y_q[l*8 +: 8]} : 16'd0;
  end

  assign out_keep_o = out_side[Lanes-1:0];
  assign out_last_o = out_side[Lanes];

endmodule
