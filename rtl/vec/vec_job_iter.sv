// The vector engine's row schedule (docs/architecture.md, "The vector
// engine"): rows go in blocks of Slots; a block runs pass 1 of each of its
// rows, then pass 2 of each, ... so a row's next pass starts Slots - 1 jobs
// after its previous one and the scalar unit has that long to reduce it. A
// job is one pass over one row. base_o is the word address addr + row *
// stride of the job's row (row / 2 with pairs), kept incrementally.
module vec_job_iter #(
  parameter int unsigned Slots = 4,
  localparam int unsigned SW   = (Slots > 1) ? $clog2(Slots) : 1
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          start_i,    // load the command; the first job is current next cycle
  input  logic [15:0]   rows_i,     // >= 1
  input  logic [1:0]    passes_i,   // 1..3
  input  logic [23:0]   addr_i,
  input  logic [15:0]   stride_i,
  input  logic          pairs_i,    // rows 2i, 2i+1 share a row base
  input  logic          next_i,     // the current job is finished
  output logic          valid_o,
  output logic [15:0]   row_o,
  output logic [1:0]    pass_o,
  output logic [SW-1:0] slot_o,
  output logic [23:0]   base_o,
  output logic          last_o      // the current job is the command's last
);
  logic [15:0]   blk_q, rows_q;
  logic [23:0]   blk_base_q, base_q;
  logic [SW-1:0] s_q;
  logic [1:0]    pass_q, passes_q;
  logic [15:0]   stride_q;
  logic          pairs_q, valid_q;
  logic [16:0]   left;
  logic [SW:0]   nb;          // rows in this block
  logic          blk_end, pass_end, step;

  assign left     = 17'(rows_q) - 17'(blk_q);
  assign nb       = (left >= 17'(Slots)) ? (SW+1)'(Slots) : (SW+1)'(left);
  assign pass_end = (32'(s_q) + 1 == 32'(nb));
  assign blk_end  = pass_end && (pass_q == passes_q);
  // the row base moves on to the next row (pairs: every second row)
  assign step     = !pairs_q || s_q[0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q    <= 1'b0;
      blk_q      <= '0;
      rows_q     <= '0;
      blk_base_q <= '0;
      base_q     <= '0;
      s_q        <= '0;
      pass_q     <= 2'd1;
      passes_q   <= 2'd1;
      stride_q   <= '0;
      pairs_q    <= 1'b0;
    end else if (start_i) begin
      valid_q    <= 1'b1;
      blk_q      <= '0;
      rows_q     <= rows_i;
      blk_base_q <= addr_i;
      base_q     <= addr_i;
      s_q        <= '0;
      pass_q     <= 2'd1;
      passes_q   <= passes_i;
      stride_q   <= stride_i;
      pairs_q    <= pairs_i;
    end else if (valid_q && next_i) begin
      if (!pass_end) begin
        s_q    <= s_q + 1'b1;
        base_q <= base_q + (step ? 24'(stride_q) : 24'd0);
      end else if (!blk_end) begin
        s_q    <= '0;
        pass_q <= pass_q + 2'd1;
        base_q <= blk_base_q;
      end else if (last_o) begin
        valid_q <= 1'b0;
      end else begin
        // next block; Slots is even, so with pairs s_q is odd here
        s_q        <= '0;
        pass_q     <= 2'd1;
        blk_q      <= blk_q + 16'(nb);
        blk_base_q <= base_q + 24'(stride_q);
        base_q     <= base_q + 24'(stride_q);
      end
    end
  end

  assign valid_o = valid_q;
  assign row_o   = blk_q + 16'(s_q);
  assign pass_o  = pass_q;
  assign slot_o  = s_q;
  assign base_o  = base_q;
  assign last_o  = valid_q && blk_end && (17'(blk_q) + 17'(nb) >= 17'(rows_q));

`ifndef SYNTHESIS
  initial begin
    if (Slots < 2 || (Slots & (Slots - 1)) != 0) $error("vec_job_iter: Slots must be a power of 2, >= 2");
  end
`endif
endmodule
