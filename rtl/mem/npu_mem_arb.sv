// N memory clients -> one raw memory port. Client 0 has fixed priority when
// Prio0 is set (the GEMM engine, so its ready never depends on other
// clients); the others are served round-robin. A read's response returns on
// rsp_valid_o[client] exactly one cycle after its handshake (protocol in
// docs/architecture.md §3). Clients are read-only or write-only per port use.
module npu_mem_arb #(
  parameter int unsigned N     = 2,
  parameter int unsigned AW    = 8,
  parameter int unsigned DW    = 64,
  parameter int unsigned Prio0 = 0     // 1: client 0 has fixed priority
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic [N-1:0]    req_valid_i,
  output logic [N-1:0]    req_ready_o,
  input  logic [N*AW-1:0] req_addr_i,
  input  logic [N*DW-1:0] req_wdata_i,
  input  logic [N*DW/8-1:0] req_wstrb_i,
  output logic [N-1:0]    rsp_valid_o,
  // raw port
  output logic            mem_en_o,
  output logic [AW-1:0]   mem_addr_o,
  output logic [DW-1:0]   mem_wdata_o,
  output logic [DW/8-1:0] mem_wstrb_o
);
  localparam int unsigned IdxW = (N > 1) ? $clog2(N) : 1;

  logic [IdxW-1:0] last_q;   // last round-robin grant
  logic [N-1:0]    gnt;
  logic [N-1:0]    rsp_q;

  // Round-robin: the first requester after last_q, wrapping.
  logic [N-1:0] rr_gnt;
  always_comb begin
    rr_gnt = '0;
    for (int k = N; k >= 1; k--) begin
      if (req_valid_i[(32'(last_q) + 32'(k)) % N]) rr_gnt = N'(1) << ((32'(last_q) + 32'(k)) % N);
    end
  end
  assign gnt = (Prio0 != 0 && req_valid_i[0]) ? N'(1) : rr_gnt;

  always_comb begin
    mem_en_o    = |gnt;
    mem_addr_o  = '0;
    mem_wdata_o = '0;
    mem_wstrb_o = '0;
    for (int i = 0; i < N; i++) begin
      if (gnt[i]) begin
        mem_addr_o  = req_addr_i[i*AW +: AW];
        mem_wdata_o = req_wdata_i[i*DW +: DW];
        mem_wstrb_o = req_wstrb_i[i*DW/8 +: DW/8];
      end
    end
  end

  assign req_ready_o = gnt;
  assign rsp_valid_o = rsp_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      last_q <= '0;
      rsp_q  <= '0;
    end else begin
      rsp_q <= gnt;
      for (int i = 0; i < N; i++) begin
        if (gnt[i]) last_q <= IdxW'(i);
      end
    end
  end
endmodule
