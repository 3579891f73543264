// Element-wise BF16 activation: GELU (tanh form) or SiLU, bit-exact with the
// model's gelu_bf16 / silu_bf16. cfg_func_i (0 = GELU, 1 = SiLU) is sampled
// with the first beat of each row. Lanes identical vec_act_lane pipelines run
// in lock step (same valid/ready, so lane 0's handshake stands for all);
// lane 0 carries keep/last. One element per lane per cycle, latency
// 19 * Fp32FmaLatency = 57 cycles. Lanes not kept output 0.
module vec_act_bf16 #(
  parameter int unsigned Lanes = 4
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               cfg_func_i,
  input  logic               in_valid_i,
  output logic               in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes-1:0]   in_keep_i,
  input  logic               in_last_i,
  output logic               out_valid_o,
  input  logic               out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]   out_keep_o,
  output logic               out_last_o
);

  localparam int unsigned TagW = Lanes + 1;  // {keep, last} on lane 0

  logic             first_q, func_q, func;
  logic [Lanes-1:0] lane_in_ready, lane_out_valid;
  logic [Lanes*TagW-1:0] lane_tag_in, lane_tag_out;
  logic [Lanes*32-1:0]   lane_y;

  // Per-row configuration: cfg_func_i with the first beat, held after it.
  assign func = first_q ? cfg_func_i : func_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      first_q <= 1'b1;
      func_q  <= 1'b0;
    end else if (in_valid_i && in_ready_o) begin
      first_q <= in_last_i;
      func_q  <= func;
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [31:0] x;
    bf16_to_fp32 u_widen (
      .b_i(in_data_i[l*16 +: 16]),
      .f_o(x)
    );
    assign lane_tag_in[l*TagW +: TagW] = (l == 0) ? {in_keep_i, in_last_i} : '0;
    vec_act_lane #(.TagWidth(TagW)) u_lane (
      .clk_i,
      .rst_ni,
      .in_valid_i (in_valid_i),
      .in_ready_o (lane_in_ready[l]),
      .x_i        (x),
      .silu_i     (func),
      .tag_i      (lane_tag_in[l*TagW +: TagW]),
      .out_valid_o(lane_out_valid[l]),
      .out_ready_i(out_ready_i),
      .y_o        (lane_y[l*32 +: 32]),
      .tag_o      (lane_tag_out[l*TagW +: TagW])
    );
    logic [15:0] y16;
    fp32_to_bf16 u_narrow (
      .f_i(lane_y[l*32 +: 32]),
      .b_o(y16)
    );
    assign out_data_o[l*16 +: 16] = out_keep_o[l] ? y16 : 16'd0;
  end

  assign in_ready_o  = lane_in_ready[0];
  assign out_valid_o = lane_out_valid[0];
  assign out_keep_o  = lane_tag_out[1 +: Lanes];
  assign out_last_o  = lane_tag_out[0];

  // Lanes 1.. mirror lane 0's handshake and carry no tag.
  logic unused_lanes;
  assign unused_lanes = ^{lane_in_ready, lane_out_valid, lane_tag_out};

endmodule
