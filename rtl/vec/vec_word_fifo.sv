// Small register FIFO for fetched memory words. The writer reserves space
// before issuing a read (credit scheme in npu_vec_engine), so push_i never
// finds it full; pop_i is only asserted when not empty.
module vec_word_fifo #(
  parameter int unsigned Width = 128,
  parameter int unsigned Depth = 4,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic [Width-1:0] data_i,
  input  logic             pop_i,
  output logic             empty_o,
  output logic [Width-1:0] data_o
);

  logic [Width*Depth-1:0] mem_q;
  logic [PtrW-1:0]        rd_q, wr_q;
  logic [PtrW:0]          cnt_q;

  assign empty_o = (cnt_q == '0);
  assign data_o  = mem_q[rd_q*Width +: Width];

  function automatic logic [PtrW-1:0] inc(input logic [PtrW-1:0] p);
    inc = (p == PtrW'(Depth - 1)) ? '0 : p + 1'b1;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mem_q <= '0;
      rd_q  <= '0;
      wr_q  <= '0;
      cnt_q <= '0;
    end else begin
      if (push_i) begin
        mem_q[wr_q*Width +: Width] <= data_i;
        wr_q <= inc(wr_q);
      end
      if (pop_i) rd_q <= inc(rd_q);
      if (push_i && !pop_i)      cnt_q <= cnt_q + 1'b1;
      else if (pop_i && !push_i) cnt_q <= cnt_q - 1'b1;
    end
  end

endmodule
