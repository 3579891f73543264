// AXI address channel of a DMA engine (AR for LOAD, AW for STORE): the burst
// generator plus the AxVALID/AxADDR/AxLEN register, which holds its payload
// while the slave is not ready. A burst moves into the register (load_o)
// when issue_en_i allows one more in flight and the register is free or
// being accepted this cycle.
module npu_dma_addr_chan #(
  parameter int unsigned AddrW    = 32,
  parameter int unsigned DataW    = 64,
  parameter int unsigned MaxBurst = 256
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // command (see npu_dma_burst_gen)
  input  logic             start_i,
  input  logic [AddrW-1:0] dram_addr_i,
  input  logic [31:0]      dram_stride_i,
  input  logic [15:0]      rows_i,
  input  logic [15:0]      row_words_i,
  input  logic             abort_i,
  input  logic             issue_en_i,    // the engine can take one more burst
  output logic             pending_o,     // bursts of the command not yet loaded
  output logic             load_o,        // a burst enters the register this cycle
  output logic [7:0]       load_len_o,    // its AxLEN
  // AXI address channel
  output logic             ax_valid_o,
  input  logic             ax_ready_i,
  output logic [AddrW-1:0] ax_addr_o,
  output logic [7:0]       ax_len_o
);
  logic             gen_valid;
  logic [AddrW-1:0] gen_addr;
  logic [7:0]       gen_len;

  npu_dma_burst_gen #(
    .AddrW(AddrW), .DataW(DataW), .MaxBurst(MaxBurst)
  ) u_gen (
    .clk_i, .rst_ni,
    .start_i, .dram_addr_i, .dram_stride_i, .rows_i, .row_words_i, .abort_i,
    .burst_valid_o (gen_valid),
    .burst_ready_i (load_o),
    .burst_addr_o  (gen_addr),
    .burst_len_o   (gen_len)
  );

  logic             valid_q;
  logic [AddrW-1:0] addr_q;
  logic [7:0]       len_q;

  assign load_o     = issue_en_i && gen_valid && !abort_i && (!valid_q || ax_ready_i);
  assign load_len_o = gen_len;
  assign pending_o  = gen_valid;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
      addr_q  <= '0;
      len_q   <= '0;
    end else if (load_o) begin
      valid_q <= 1'b1;
      addr_q  <= gen_addr;
      len_q   <= gen_len;
    end else if (valid_q && ax_ready_i) begin
      valid_q <= 1'b0;
    end
  end

  assign ax_valid_o = valid_q;
  assign ax_addr_o  = addr_q;
  assign ax_len_o   = len_q;
endmodule
