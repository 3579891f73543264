// On-chip memory: Words x DW bits, NumRd read ports with one cycle of read
// latency and one write port with byte strobes. No reset (maps to block RAM;
// NumRd > 1 becomes one copy per read port).
module npu_mem #(
  parameter int unsigned Words = 64,
  parameter int unsigned DW    = 64,
  parameter int unsigned NumRd = 1,
  localparam int unsigned AW   = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic              clk_i,
  input  logic [NumRd-1:0]  rd_en_i,
  input  logic [NumRd*AW-1:0] rd_addr_i,
  output logic [NumRd*DW-1:0] rd_data_o,
  input  logic              wr_en_i,
  input  logic [AW-1:0]     wr_addr_i,
  input  logic [DW-1:0]     wr_data_i,
  input  logic [DW/8-1:0]   wr_strb_i
);
  logic [DW-1:0] mem_q [Words];

  always_ff @(posedge clk_i) begin
    if (wr_en_i) begin
      for (int b = 0; b < DW / 8; b++) begin
        if (wr_strb_i[b]) mem_q[wr_addr_i][b*8 +: 8] <= wr_data_i[b*8 +: 8];
      end
    end
  end

  for (genvar p = 0; p < NumRd; p++) begin : g_rd
    logic [DW-1:0] rdata_q;
    always_ff @(posedge clk_i) begin
      if (rd_en_i[p]) rdata_q <= mem_q[rd_addr_i[p*AW +: AW]];
    end
    assign rd_data_o[p*DW +: DW] = rdata_q;
  end
endmodule
