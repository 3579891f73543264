// Leading-zero count of a Width-bit vector; an all-zero input counts Width.
module npu_lzc #(
  parameter int unsigned Width = 8,
  localparam int unsigned CntW = $clog2(Width + 1)
) (
  input  logic [Width-1:0] in_i,
  output logic [CntW-1:0]  cnt_o
);

  // Scan from the LSB up so the highest set bit is the last assignment.
  always_comb begin
    cnt_o = CntW'(Width);
    for (int unsigned i = 0; i < Width; i++) begin
      if (in_i[i]) begin
        cnt_o = CntW'(Width - 1 - i);
      end
    end
  end

endmodule
