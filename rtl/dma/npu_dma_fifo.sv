// Small synchronous FIFO for the DMA engines: Depth entries of Width bits,
// head visible on rdata_o while !empty_o (first-word fall-through). Pushing
// when full or popping when empty is a caller bug. flush_i empties it.
module npu_dma_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             flush_i,
  input  logic             push_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             pop_i,
  output logic [Width-1:0] rdata_o,
  output logic             empty_o,
  output logic             full_o,
  output logic [CntW-1:0]  count_o
);

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  wptr_q, rptr_q;
  logic [CntW-1:0]  count_q;

  logic [PtrW-1:0] wptr_nxt, rptr_nxt;
  assign wptr_nxt = (wptr_q == PtrW'(Depth - 1)) ? '0 : wptr_q + PtrW'(1);
  assign rptr_nxt = (rptr_q == PtrW'(Depth - 1)) ? '0 : rptr_q + PtrW'(1);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else if (flush_i) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else begin
      if (push_i) wptr_q <= wptr_nxt;
      if (pop_i)  rptr_q <= rptr_nxt;
      if (push_i && !pop_i) count_q <= count_q + CntW'(1);
      else if (!push_i && pop_i) count_q <= count_q - CntW'(1);
    end
  end

  // Storage without reset (plain RAM-like registers).
  always_ff @(posedge clk_i) begin
    if (push_i) mem_q[wptr_q] <= wdata_i;
  end

  assign rdata_o = mem_q[rptr_q];
  assign empty_o = (count_q == '0);
  assign full_o  = (count_q == CntW'(Depth));
  assign count_o = count_q;

endmodule
