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

  logic [256*8-1:0] table_q;

  assign tbl_wr_ready_o = 1'b1;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      table_q <= '0;
    end else if (tbl_wr_valid_i) begin
      table_q[tbl_wr_addr_i*8 +: 8] <= tbl_wr_data_i;
    end
  end

  // ---- stream control and output packing (no row configuration) -----------------
  logic               load;
  logic [Lanes*8-1:0] y_q;
  logic               unused_cfg, unused_first;

  vec_i8_row_pipe #(.Lanes(Lanes), .Depth(1), .CfgW(1)) u_row_pipe (
    .clk_i,
    .rst_ni,
    .cfg_i      (1'b0),
    .cfg_o      (unused_cfg),
    .first_o    (unused_first),
    .in_valid_i,
    .in_ready_o,
    .in_keep_i,
    .in_last_i,
    .load_o     (load),
    .q_i        (y_q),
    .out_valid_o,
    .out_ready_i,
    .out_data_o,
    .out_keep_o,
    .out_last_o
  );

  // Index x + 128 of a two's-complement x is x with its sign bit inverted.

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      y_q <= '0;
    end else if (load) begin
      for (int l = 0; l < Lanes; l++) begin
        y_q[l*8 +: 8] <= table_q[{~in_data_i[l*16+7], in_data_i[l*16 +: 7]}*8 +: 8];
      end
    end
  end

endmodule
