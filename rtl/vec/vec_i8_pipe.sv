// Valid/ready control of a Depth-stage pipeline with a side band (e.g. keep
// and last) that travels with each beat. A stage loads when some stage at or
// after it is empty or the output is taken, so bubbles collapse: one beat
// per cycle without back-pressure, and the pipeline fills while stalled.
// The unit's own datapath registers for stage i load on load_o[i], from
// stage i-1 (stage 0: from the accepted input beat).
module vec_i8_pipe #(
  parameter int unsigned Depth     = 2,
  parameter int unsigned SideWidth = 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       in_valid_i,
  output logic                       in_ready_o,
  input  logic [SideWidth-1:0]       in_side_i,
  output logic                       out_valid_o,
  input  logic                       out_ready_i,
  output logic [SideWidth-1:0]       out_side_o,
  output logic [Depth-1:0]           load_o
);

  logic [Depth-1:0]           valid_q, valid_d, ready;
  logic [Depth-1:0]           valid_in;   // valid_in[i]: what stage i would load
  logic [Depth*SideWidth-1:0] side_q, side_in;
  logic                       all_full;

  // Stage i loads from stage i-1; stage 0 from the input.
  assign valid_in[0]             = in_valid_i;
  assign side_in[0 +: SideWidth] = in_side_i;
  for (genvar i = 1; i < Depth; i++) begin : g_chain
    assign valid_in[i]                     = valid_q[i-1];
    assign side_in[i*SideWidth +: SideWidth] = side_q[(i-1)*SideWidth +: SideWidth];
  end

  always_comb begin
    all_full = 1'b1;
    for (int i = Depth - 1; i >= 0; i--) begin
      all_full = all_full & valid_q[i];
      ready[i] = out_ready_i | ~all_full;
    end
    for (int i = 0; i < Depth; i++) begin
      load_o[i]  = ready[i] & valid_in[i];
      valid_d[i] = ready[i] ? valid_in[i] : valid_q[i];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else begin
      valid_q <= valid_d;
    end
  end

  for (genvar i = 0; i < Depth; i++) begin : g_side
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        side_q[i*SideWidth +: SideWidth] <= '0;
      end else if (load_o[i]) begin
        side_q[i*SideWidth +: SideWidth] <= side_in[i*SideWidth +: SideWidth];
      end
    end
  end

  assign in_ready_o  = ready[0];
  assign out_valid_o = valid_q[Depth-1];
  assign out_side_o  = side_q[(Depth-1)*SideWidth +: SideWidth];

endmodule
