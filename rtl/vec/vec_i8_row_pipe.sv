// Stream shell of the INT8 element-wise units (vec_requant, vec_eltwise_i8,
// vec_gelu_i8, vec_silu_i8): the Depth-stage vec_i8_pipe control with keep
// and last as side band, the per-row configuration latch, and the output
// packing (int8 in the low byte of each 16-bit lane, lanes not kept 0).
// cfg_o is the configuration of the beat at the input: cfg_i on a row's
// first beat (first_o), else the value latched with that first beat.
// The unit's datapath loads stage i on load_o[i] and returns its last-stage
// results on q_i.
module vec_i8_row_pipe #(
  parameter int unsigned Lanes = 4,
  parameter int unsigned Depth = 1,
  parameter int unsigned CfgW  = 1
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // Row configuration.
  input  logic [CfgW-1:0]     cfg_i,
  output logic [CfgW-1:0]     cfg_o,
  output logic                first_o,
  // Input handshake and side band.
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Lanes-1:0]    in_keep_i,
  input  logic                in_last_i,
  // Datapath stage loads and last-stage results.
  output logic [Depth-1:0]    load_o,
  input  logic [Lanes*8-1:0]  q_i,
  // INT8 output stream.
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]    out_keep_o,
  output logic                out_last_o
);

  localparam int unsigned SideW = Lanes + 1;  // keep, last

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
    .load_o
  );

  // ---- row configuration: taken from the inputs on a row's first beat -----------
  logic            first_q;
  logic [CfgW-1:0] cfg_row_q;

  assign first_o = first_q;
  assign cfg_o   = first_q ? cfg_i : cfg_row_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      first_q   <= 1'b1;
      cfg_row_q <= '0;
    end else if (load_o[0]) begin  // in_valid_i && in_ready_o
      first_q   <= in_last_i;
      cfg_row_q <= cfg_o;
    end
  end

  // ---- output packing ---------------------------------------------------------------
  for (genvar l = 0; l < Lanes; l++) begin : g_out
    assign out_data_o[l*16 +: 16] = out_side[l] ? {8'd0, q_i[l*8 +: 8]} : 16'd0;
  end

  assign out_keep_o = out_side[Lanes-1:0];
  assign out_last_o = out_side[Lanes];

endmodule
