// Data that travels alongside a vec_i8_pipe pipeline: Depth registers, stage i
// loads on load_i[i] from stage i-1 (stage 0 from d_i); q_o is the last stage.
module vec_i8_stage_regs #(
  parameter int unsigned Width = 1,
  parameter int unsigned Depth = 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic [Depth-1:0] load_i,
  input  logic [Width-1:0] d_i,
  output logic [Width-1:0] q_o
);

  logic [Depth*Width-1:0] stage_q;

  for (genvar i = 0; i < Depth; i++) begin : g_stage
    logic [Width-1:0] src;
    if (i == 0) begin : g_first
      assign src = d_i;
    end else begin : g_next
      assign src = stage_q[(i-1)*Width +: Width];
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        stage_q[i*Width +: Width] <= '0;
      end else if (load_i[i]) begin
        stage_q[i*Width +: Width] <= src;
      end
    end
  end

  assign q_o = stage_q[(Depth-1)*Width +: Width];

endmodule
