// Command processor: fetches commands from the ring in DRAM (with prefetch),
// checks them, runs FENCE/IRQ itself and dispatches the rest to four queues
// (LOAD, GEMM, VEC, STORE) that run concurrently and synchronise through
// dependency tokens: one 8-bit counter per ordered pair of queues (docs/isa.md).
// The first fault stops fetch and dispatch; engines finish what they hold.
module npu_cmdproc #(
  parameter int unsigned Rows        = 4,
  parameter int unsigned Cols        = 4,
  parameter int unsigned BusBytes    = 16,
  parameter int unsigned AspadWords  = 1024,
  parameter int unsigned WspadWords  = 256,
  parameter int unsigned AccRows     = 256,
  parameter int unsigned AccWpr      = 2,
  parameter int unsigned VecMaxLen   = 64,
  parameter int unsigned IdW         = 1,
  parameter int unsigned FetchDepth  = 8,
  localparam int unsigned DW         = BusBytes * 8,
  localparam int unsigned NQ         = npu_isa_pkg::NumQueues
) (
  input  logic           clk_i,
  input  logic           rst_ni,
  // CSRs
  input  logic           enable_i,
  input  logic           stop_i,          // soft reset pending: dispatch nothing more
  input  logic [31:0]    ring_base_i,
  input  logic [31:0]    ring_size_i,
  input  logic [31:0]    ring_tail_i,
  output logic [31:0]    ring_head_o,
  input  logic [31:0]    window_base_i,
  input  logic [31:0]    window_size_i,
  output logic           irq_done_o,      // pulse: an IRQ command completed
  output logic           fault_o,         // sticky until reset
  output logic           fault_set_o,     // pulse: fault raised
  output logic [7:0]     err_code_o,
  output logic [31:0]    err_addr_o,
  output logic           busy_o,
  output logic           fetch_busy_o,    // an AXI fetch is in flight
  input  logic           rd_dead_i,       // the AXI read port timed out (watchdog)
  // engines: load (DMA read), store (DMA write), GEMM, vector
  output logic           ld_valid_o,
  input  logic           ld_ready_i,
  output logic [511:0]   ld_cmd_o,
  input  logic           ld_done_i,
  input  logic [7:0]     ld_err_i,
  input  logic           ld_idle_i,
  output logic           st_valid_o,
  input  logic           st_ready_i,
  output logic [511:0]   st_cmd_o,
  input  logic           st_done_i,
  input  logic [7:0]     st_err_i,
  input  logic           st_idle_i,
  output logic [511:0]   gemm_cmd_o,
  output logic           gemm_valid_o,
  input  logic           gemm_ready_i,
  input  logic           gemm_done_i,
  input  logic           gemm_idle_i,
  output logic [511:0]   vec_cmd_o,
  output logic           vec_valid_o,
  input  logic           vec_ready_i,
  input  logic           vec_done_i,
  input  logic           vec_idle_i,
  // AXI4 read master (command fetch)
  output logic           m_axi_arvalid_o,
  input  logic           m_axi_arready_i,
  output logic [31:0]    m_axi_araddr_o,
  output logic [7:0]     m_axi_arlen_o,
  output logic [2:0]     m_axi_arsize_o,
  output logic [1:0]     m_axi_arburst_o,
  output logic [IdW-1:0] m_axi_arid_o,
  input  logic           m_axi_rvalid_i,
  output logic           m_axi_rready_o,
  input  logic [DW-1:0]  m_axi_rdata_i,
  input  logic [1:0]     m_axi_rresp_i,
  input  logic           m_axi_rlast_i,
  input  logic [IdW-1:0] m_axi_rid_i
);
  // ---------------------------------------------------------------- fault
  logic        fault_q;
  logic [7:0]  code_q;
  logic [31:0] faddr_q;
  logic        halt;
  assign halt = fault_q || stop_i;

  // ---------------------------------------------------------------- fetch
  logic         f_valid, f_ready;
  logic [511:0] f_cmd;
  logic [31:0]  f_addr;
  logic [7:0]   f_err;

  // A dead read port is reported by the LOAD engine first (it ends its LOAD
  // with AXI_TIMEOUT within two cycles, before fetch reports): a stalled LOAD
  // is named rather than a later ring entry the fetch was waiting for.
  npu_cmd_fetch #(.BusBytes(BusBytes), .IdW(IdW), .Depth(FetchDepth)) u_fetch (
    .clk_i, .rst_ni,
    .enable_i, .stop_i(halt), .port_dead_i(rd_dead_i && ld_idle_i),
    .ring_base_i, .ring_size_i, .ring_tail_i, .window_base_i, .window_size_i,
    .rsp_valid_o(f_valid), .rsp_ready_i(f_ready), .rsp_cmd_o(f_cmd), .rsp_addr_o(f_addr),
    .rsp_err_o(f_err), .busy_o(fetch_busy_o),
    .m_axi_arvalid_o, .m_axi_arready_i, .m_axi_araddr_o, .m_axi_arlen_o, .m_axi_arsize_o,
    .m_axi_arburst_o, .m_axi_arid_o, .m_axi_rvalid_i, .m_axi_rready_o, .m_axi_rdata_i,
    .m_axi_rresp_i, .m_axi_rlast_i, .m_axi_rid_i);

  // ---------------------------------------------------------------- decode
  logic       dec_fault, chk_barrier;
  logic [7:0] dec_code;
  logic [1:0] chk_queue;

  npu_cmd_decode #(
    .Rows(Rows), .Cols(Cols), .BusBytes(BusBytes), .AspadWords(AspadWords),
    .WspadWords(WspadWords), .AccRows(AccRows), .AccWpr(AccWpr), .VecMaxLen(VecMaxLen)
  ) u_decode (
    .cmd_i(f_cmd), .fetch_err_i(f_err), .window_base_i, .window_size_i,
    .fault_o(dec_fault), .code_o(dec_code), .queue_o(chk_queue), .is_barrier_o(chk_barrier));

  // ---------------------------------------------------------------- queues
  logic [NQ-1:0]        q_in_valid, q_in_ready, q_exec_valid, q_exec_ready, q_exec_nop, q_empty;
  logic [NQ-1:0]        q_done, q_fault;
  logic [NQ-1:0][511:0] q_cmd;
  logic [NQ-1:0][31:0]  q_faddr, q_raddr;
  logic [NQ-1:0][7:0]   q_done_err, q_fcode;
  logic [NQ-1:0][NQ-1:0] q_pop, q_push, q_avail;   // [queue][other queue]

  logic engines_idle, all_quiet, dispatch, is_irq;
  npu_isa_pkg::cmd_hdr_t f_hdr;
  assign f_hdr        = f_cmd;
  assign engines_idle = ld_idle_i && st_idle_i && gemm_idle_i && vec_idle_i;
  assign all_quiet    = engines_idle && (&q_empty);
  // the fetched command's opcode by name in waves (sim/waves/filters/)
  npu_isa_pkg::opcode_e f_op;
  assign f_op         = f_hdr.opcode;
  assign is_irq       = (f_op == npu_isa_pkg::OpIrq);

  // The entry is consumed when dispatched (or when it faults).
  always_comb begin
    q_in_valid = '0;
    f_ready    = 1'b0;
    if (f_valid && !halt) begin
      if (dec_fault) begin
        f_ready = 1'b1;
      end else if (chk_barrier) begin
        f_ready = all_quiet;
      end else begin
        q_in_valid[chk_queue] = 1'b1;
        f_ready = q_in_ready[chk_queue];
      end
    end
  end
  assign dispatch   = f_valid && f_ready && !dec_fault;
  assign irq_done_o = dispatch && chk_barrier && is_irq;

  for (genvar q = 0; q < NQ; q++) begin : g_q
    npu_queue u_queue (
      .clk_i, .rst_ni, .halt_i(halt),
      .in_valid_i(q_in_valid[q]), .in_ready_o(q_in_ready[q]),
      .in_cmd_i(f_cmd), .in_addr_i(f_addr),
      .exec_valid_o(q_exec_valid[q]), .exec_cmd_o(q_cmd[q]),
      .exec_is_nop_o(q_exec_nop[q]), .exec_ready_i(q_exec_ready[q]),
      .done_i(q_done[q]), .done_err_i(q_done_err[q]),
      .tok_avail_i(q_avail[q]), .tok_pop_o(q_pop[q]), .tok_push_o(q_push[q]),
      .retire_addr_o(q_raddr[q]),
      .fault_o(q_fault[q]), .fault_code_o(q_fcode[q]), .fault_addr_o(q_faddr[q]),
      .empty_o(q_empty[q]));
  end

  // queue -> engine
  localparam int unsigned QL = 32'(npu_isa_pkg::QLoad), QG = 32'(npu_isa_pkg::QGemm),
                          QV = 32'(npu_isa_pkg::QVec), QS = 32'(npu_isa_pkg::QStore);
  assign ld_cmd_o         = q_cmd[QL];
  assign ld_valid_o       = q_exec_valid[QL] && !q_exec_nop[QL];
  assign q_exec_ready[QL] = ld_ready_i;
  assign q_done[QL]       = ld_done_i;
  assign q_done_err[QL]   = ld_err_i;
  assign gemm_cmd_o       = q_cmd[QG];
  assign gemm_valid_o     = q_exec_valid[QG] && !q_exec_nop[QG];
  assign q_exec_ready[QG] = gemm_ready_i;
  assign q_done[QG]       = gemm_done_i;
  assign q_done_err[QG]   = 8'd0;
  assign vec_cmd_o        = q_cmd[QV];
  assign vec_valid_o      = q_exec_valid[QV] && !q_exec_nop[QV];
  assign q_exec_ready[QV] = vec_ready_i;
  assign q_done[QV]       = vec_done_i;
  assign q_done_err[QV]   = 8'd0;
  assign st_cmd_o         = q_cmd[QS];
  assign st_valid_o       = q_exec_valid[QS] && !q_exec_nop[QS];
  assign q_exec_ready[QS] = st_ready_i;
  assign q_done[QS]       = st_done_i;
  assign q_done_err[QS]   = st_err_i;

  // ---------------------------------------------------------------- tokens
  // tok_q[s][d]: tokens queue s has pushed to queue d and d has not popped.
  logic [NQ-1:0][NQ-1:0] tok_ovf;
  for (genvar s = 0; s < NQ; s++) begin : g_src
    for (genvar d = 0; d < NQ; d++) begin : g_dst
      if (s == d) begin : g_self
        assign tok_ovf[s][d] = 1'b0;
        assign q_avail[d][s] = 1'b0;
      end else begin : g_pair
        logic       inc, dec;
        logic [7:0] cnt_q;
        assign inc = q_push[s][d];
        assign dec = q_pop[d][s];
        assign q_avail[d][s] = (cnt_q != '0);
        assign tok_ovf[s][d] = inc && !dec && (cnt_q == 8'hFF);
        always_ff @(posedge clk_i or negedge rst_ni) begin
          if (!rst_ni)                            cnt_q <= '0;
          else if (inc && !dec && !tok_ovf[s][d]) cnt_q <= cnt_q + 8'd1;
          else if (dec && !inc)                   cnt_q <= cnt_q - 8'd1;
        end
      end
    end
  end

  // ---------------------------------------------------------------- state
  logic [31:0] head_q;       // ring index of the next command to dispatch
  logic        new_fault;
  logic [7:0]  new_code;
  logic [31:0] new_addr;
  always_comb begin
    new_fault = 1'b0;
    new_code  = npu_isa_pkg::ErrNone;
    new_addr  = '0;
    if (f_valid && dec_fault && !halt) begin
      new_fault = 1'b1;
      new_code  = dec_code;
      new_addr  = f_addr;
    end else begin
      for (int q = NQ - 1; q >= 0; q--) begin
        if (q_fault[q]) begin
          new_fault = 1'b1;
          new_code  = q_fcode[q];
          new_addr  = q_faddr[q];
        end else if (|tok_ovf[q]) begin
          new_fault = 1'b1;
          new_code  = npu_isa_pkg::ErrTokenOverflow;
          new_addr  = q_raddr[q];
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fault_q <= 1'b0;
      code_q  <= npu_isa_pkg::ErrNone;
      faddr_q <= '0;
      head_q  <= '0;
    end else begin
      if (new_fault && !fault_q) begin
        fault_q <= 1'b1;
        code_q  <= new_code;
        faddr_q <= new_addr;
      end
      if (dispatch) head_q <= (head_q + 1 == ring_size_i) ? '0 : head_q + 1;
    end
  end

  assign ring_head_o  = head_q;
  assign fault_o      = fault_q;
  assign fault_set_o  = new_fault && !fault_q;
  assign err_code_o   = code_q;
  assign err_addr_o   = faddr_q;

  // After a fault, held commands no longer count as work.
  assign busy_o = fetch_busy_o || !engines_idle ||
                  (!halt && ((enable_i && head_q != ring_tail_i) || f_valid || !(&q_empty)));

  logic unused;
  assign unused = ^{f_hdr};
endmodule
