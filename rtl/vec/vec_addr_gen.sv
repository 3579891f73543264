// Word address sequence of one blocked VEC stream (docs/isa.md, VEC): for
// row r = 0..rows-1 and group g = 0..ceil(n/group)-1 the word
// base + r*row_stride + g*group_stride, in that order. Loaded by start_i;
// valid_o while words remain; take_i advances. Addresses wrap at 2^AW (the
// checker guarantees they stay in range).
module vec_addr_gen #(
  parameter int unsigned AW = 13
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          start_i,
  input  logic [AW-1:0] base_i,
  input  logic [15:0]   row_stride_i,
  input  logic [15:0]   group_stride_i,
  input  logic [7:0]    group_i,
  input  logic [15:0]   n_i,
  input  logic [15:0]   rows_i,
  output logic          valid_o,
  output logic [AW-1:0] addr_o,
  output logic          last_o,   // the current word is the last one
  input  logic          take_i
);

  logic          active_q;
  logic [AW-1:0] addr_q, row_base_q, rs_q, gs_q;
  logic [7:0]    group_q;
  logic [15:0]   n_q, rows_q, row_q, elem_q;
  logic          row_end, cmd_end;

  assign row_end = ({1'b0, elem_q} + 17'(group_q)) >= {1'b0, n_q};
  assign cmd_end = row_end && (row_q == rows_q - 16'd1);
  assign valid_o = active_q;
  assign addr_o  = addr_q;
  assign last_o  = cmd_end;

  // Strides wider than the address wrap (bits above AW are dropped).
  logic unused_strides;
  assign unused_strides = ^{row_stride_i, group_stride_i};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q   <= 1'b0;
      addr_q     <= '0;
      row_base_q <= '0;
      rs_q       <= '0;
      gs_q       <= '0;
      group_q    <= '0;
      n_q        <= '0;
      rows_q     <= '0;
      row_q      <= '0;
      elem_q     <= '0;
    end else if (start_i) begin
      active_q   <= 1'b1;
      addr_q     <= base_i;
      row_base_q <= base_i;
      rs_q       <= AW'(row_stride_i);
      gs_q       <= AW'(group_stride_i);
      group_q    <= group_i;
      n_q        <= n_i;
      rows_q     <= rows_i;
      row_q      <= '0;
      elem_q     <= '0;
    end else if (take_i && active_q) begin
      if (cmd_end) begin
        active_q <= 1'b0;
      end else if (row_end) begin
        row_q      <= row_q + 16'd1;
        elem_q     <= '0;
        row_base_q <= row_base_q + rs_q;
        addr_q     <= row_base_q + rs_q;
      end else begin
        elem_q <= elem_q + 16'(group_q);
        addr_q <= addr_q + gs_q;
      end
    end
  end

endmodule
