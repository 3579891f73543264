// Memory scrub after a soft reset (CTRL.SCRUB): walks word addresses
// 0..Words-1, one per cycle, for the owner to write zero into every local
// memory at once (each memory takes the addresses below its own size).
// start_i is taken only while idle; busy_o is high from the cycle after
// start_i until the last word has been written.
module npu_scrub #(
  parameter int unsigned Words = 1024,  // the largest memory's word count
  localparam int unsigned AW   = Words > 1 ? $clog2(Words) : 1
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          start_i,
  output logic          busy_o,
  output logic          we_o,     // write word addr_o of every memory this cycle
  output logic [AW-1:0] addr_o
);
  logic          busy_q;
  logic [AW-1:0] addr_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      addr_q <= '0;
    end else if (!busy_q) begin
      busy_q <= start_i;
      addr_q <= '0;
    end else begin
      if (32'(addr_q) == Words - 1) busy_q <= 1'b0;
      addr_q <= addr_q + AW'(1);
    end
  end

  assign busy_o = busy_q;
  assign we_o   = busy_q;
  assign addr_o = addr_q;

`ifndef SYNTHESIS
  initial begin
    if (Words < 1) $error("npu_scrub: Words must be at least 1");
  end
`endif
endmodule
