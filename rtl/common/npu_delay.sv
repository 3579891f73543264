// Fixed delay line of Depth registers that all advance together on en_i.
// Depth == 0 is a plain wire, so callers can build skew triangles with a loop.
module npu_delay #(
  parameter int unsigned Width = 1,
  parameter int unsigned Depth = 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             en_i,
  input  logic [Width-1:0] d_i,
  output logic [Width-1:0] q_o
);

  if (Depth == 0) begin : g_wire
    assign q_o = d_i;
    // Clock, reset and enable have no use without registers.
    logic unused_ctrl;
    assign unused_ctrl = ^{clk_i, rst_ni, en_i};
  end else begin : g_regs
    // Stage i lives in pipe_q[i*Width +: Width]; the output is the last stage.
    logic [Width*Depth-1:0] pipe_d, pipe_q;

    if (Depth == 1) begin : g_one
      assign pipe_d = d_i;
    end else begin : g_shift
      assign pipe_d = {pipe_q[Width*(Depth-1)-1:0], d_i};
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        pipe_q <= '0;
      end else if (en_i) begin
        pipe_q <= pipe_d;
      end
    end

    assign q_o = pipe_q[Width*Depth-1 -: Width];
  end

endmodule
