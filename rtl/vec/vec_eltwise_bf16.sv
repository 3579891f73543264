// Element-wise BF16 add / multiply, bit-exact to npu::ref::add_bf16 / mul_bf16:
// y = narrow(add(widen(a), widen(b))) or narrow(mul(widen(a), widen(b))).
// One fp32_fma per lane (add = fma(a, 1.0, b), mul = fma(a, b, -0.0)), so
// Lanes elements per cycle with latency vec_pkg::Fp32FmaLatency. Beat
// structure is kept; keep/last ride in lane 0's tag.
module vec_eltwise_bf16 #(
  parameter int unsigned Lanes = 4
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // 0 = add, 1 = multiply; sampled with the first beat of each row.
  input  logic               cfg_op_i,
  input  logic               in_valid_i,
  output logic               in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes*16-1:0] in_b_i,
  input  logic [Lanes-1:0]   in_keep_i,
  input  logic               in_last_i,
  output logic               out_valid_o,
  input  logic               out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]   out_keep_o,
  output logic               out_last_o
);

  localparam int unsigned TW = Lanes + 1;  // {last, keep}

  // The op of the row: taken from cfg_op_i on a row's first beat, then held.
  logic in_row_q, op_q, op;
  logic accept;

  assign accept = in_valid_i && in_ready_o;
  assign op     = in_row_q ? op_q : cfg_op_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_row_q <= 1'b0;
      op_q     <= 1'b0;
    end else if (accept) begin
      in_row_q <= !in_last_i;
      op_q     <= op;
    end
  end

  logic [Lanes-1:0]    lane_in_ready, lane_out_valid;
  logic [Lanes*16-1:0] lane_y;
  logic [TW-1:0]       tag_out;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [31:0]   a, b, fb, c, r;
    logic [TW-1:0] tag_in, tag_o;
    logic [15:0]   y;

    bf16_to_fp32 u_wa (.b_i(in_data_i[l*16 +: 16]), .f_o(a));
    bf16_to_fp32 u_wb (.b_i(in_b_i[l*16 +: 16]),    .f_o(fb));

    assign b      = op ? fb : vec_pkg::Fp32One;
    assign c      = op ? vec_pkg::Fp32NegZero : fb;
    assign tag_in = (l == 0) ? {in_last_i, in_keep_i} : '0;

    fp32_fma #(.TagWidth(TW)) u_fma (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .in_valid_i  (in_valid_i),
      .in_ready_o  (lane_in_ready[l]),
      .a_i         (a),
      .b_i         (b),
      .c_i         (c),
      .tag_i       (tag_in),
      .out_valid_o (lane_out_valid[l]),
      .out_ready_i (out_ready_i),
      .r_o         (r),
      .tag_o       (tag_o)
    );

    fp32_to_bf16 u_narrow (.f_i(r), .b_o(y));
    assign lane_y[l*16 +: 16] = y;

    if (l == 0) begin : g_side
      assign tag_out = tag_o;
    end else begin : g_no_side
      logic unused_tag;
      assign unused_tag = ^tag_o;
    end
  end

  // All lanes see the same valid/ready, so they move in lockstep.
  assign in_ready_o  = lane_in_ready[0];
  assign out_valid_o = lane_out_valid[0];
  assign out_keep_o  = tag_out[Lanes-1:0];
  assign out_last_o  = tag_out[Lanes];

  for (genvar l = 0; l < Lanes; l++) begin : g_out
    assign out_data_o[l*16 +: 16] = out_keep_o[l] ? lane_y[l*16 +: 16] : 16'h0000;
  end

  logic unused_lanes;
  assign unused_lanes = ^{lane_in_ready[Lanes-1:0], lane_out_valid[Lanes-1:0]};

endmodule
