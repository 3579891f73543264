// Burst generator shared by the DMA engines: walks a 2D DRAM region (rows of
// row_words bus words, dram_stride bytes apart) and emits INCR bursts of at
// most MaxBurst beats that never cross a 4 KiB boundary. One burst per
// burst_valid_o && burst_ready_i; burst_len_o is AXI AxLEN (beats - 1).
// start_i loads a new command (only while idle); abort_i drops the rest.
module npu_dma_burst_gen #(
  parameter int unsigned AddrW    = 32,
  parameter int unsigned DataW    = 64,
  parameter int unsigned MaxBurst = 256,
  localparam int unsigned BusBytes = DataW / 8,
  localparam int unsigned OffW     = $clog2(BusBytes)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             start_i,
  input  logic [AddrW-1:0] dram_addr_i,
  input  logic [31:0]      dram_stride_i,
  input  logic [15:0]      rows_i,
  input  logic [15:0]      row_words_i,
  input  logic             abort_i,
  output logic             burst_valid_o,
  input  logic             burst_ready_i,
  output logic [AddrW-1:0] burst_addr_o,
  output logic [7:0]       burst_len_o
);

  // Beats to the next 4 KiB boundary: (4096 - addr[11:0]) / BusBytes, 1..4096/BusBytes.
  localparam int unsigned PageBeatsW = 13 - OffW;

  logic             active_q;
  logic [AddrW-1:0] addr_q, row_base_q;
  logic [31:0]      stride_q;
  logic [15:0]      rows_left_q, row_words_q, words_left_q;

  logic [12:0]           page_bytes;
  logic [PageBeatsW-1:0] page_beats;
  logic [16:0]           beats;  // 1..MaxBurst
  logic [16:0]           words_left_ext;

  always_comb begin
    page_bytes     = 13'h1000 - {1'b0, addr_q[11:0]};
    page_beats     = page_bytes[12:OffW];
    words_left_ext = {1'b0, words_left_q};
    beats          = words_left_ext;
    if (beats > 17'(MaxBurst)) beats = 17'(MaxBurst);
    if (beats > 17'(page_beats)) beats = 17'(page_beats);
  end

  assign burst_valid_o = active_q;
  assign burst_addr_o  = addr_q;
  assign burst_len_o   = 8'(beats - 17'd1);

  logic fire, row_end;
  assign fire    = active_q && burst_ready_i;
  assign row_end = (words_left_ext == beats);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q     <= 1'b0;
      addr_q       <= '0;
      row_base_q   <= '0;
      stride_q     <= '0;
      rows_left_q  <= '0;
      row_words_q  <= '0;
      words_left_q <= '0;
    end else if (start_i) begin
      active_q     <= (rows_i != '0) && (row_words_i != '0);
      addr_q       <= dram_addr_i;
      row_base_q   <= dram_addr_i;
      stride_q     <= dram_stride_i;
      rows_left_q  <= rows_i;
      row_words_q  <= row_words_i;
      words_left_q <= row_words_i;
    end else if (abort_i) begin
      active_q <= 1'b0;
    end else if (fire) begin
      if (row_end) begin
        rows_left_q  <= rows_left_q - 16'd1;
        words_left_q <= row_words_q;
        row_base_q   <= row_base_q + AddrW'(stride_q);
        addr_q       <= row_base_q + AddrW'(stride_q);
        if (rows_left_q == 16'd1) active_q <= 1'b0;
      end else begin
        words_left_q <= words_left_q - beats[15:0];
        addr_q       <= addr_q + (AddrW'(beats) << OffW);
      end
    end
  end

  // The low address bits are always zero (aligned commands).
  logic unused_addr_lsb;
  assign unused_addr_lsb = ^addr_q[OffW-1:0] ^ ^page_bytes[OffW-1:0] ^ ^beats[16];

endmodule
