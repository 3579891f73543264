// Command processor: fetches commands from the ring in DRAM, checks them,
// runs FENCE/IRQ itself and dispatches the rest to the load, compute and
// store queues, which synchronise through dependency tokens (docs/isa.md).
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
  parameter int unsigned ReqChannels = 64,
  parameter int unsigned IdW         = 1,
  localparam int unsigned DW         = BusBytes * 8
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
  output logic [511:0]   cp_cmd_o,
  output logic           gemm_valid_o,
  input  logic           gemm_ready_i,
  input  logic           gemm_done_i,
  input  logic           gemm_idle_i,
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
  logic [31:0] head_q;       // ring index of the next command to dispatch
  logic [31:0] fetch_addr;
  logic [63:0] fetch_last;
  logic        f_req_valid, f_req_ready, f_rsp_valid, f_rsp_ready, f_busy;
  logic [511:0] f_cmd;
  logic [1:0]  f_resp;
  logic        f_inflight_q;   // a fetch for head_q is in flight or held
  logic        ring_bad, fetch_window_bad, want_fetch;

  assign fetch_addr = ring_base_i + (head_q << 6);
  assign fetch_last = {32'd0, ring_base_i} + ({32'd0, head_q} << 6) + 64'd63;
  assign want_fetch = enable_i && !halt && (head_q != ring_tail_i) && !f_inflight_q;
  assign ring_bad   = (ring_size_i == '0) || (ring_tail_i >= ring_size_i) ||
                      (ring_base_i[5:0] != '0);
  assign fetch_window_bad = (fetch_addr < window_base_i) ||
                            (fetch_last >= {32'd0, window_base_i} + {32'd0, window_size_i}) ||
                            (fetch_last >= 64'h1_0000_0000);
  assign f_req_valid = want_fetch && !ring_bad && !fetch_window_bad;

  npu_cmd_fetch #(.BusBytes(BusBytes), .IdW(IdW)) u_fetch (
    .clk_i, .rst_ni,
    .req_valid_i(f_req_valid), .req_ready_o(f_req_ready), .req_addr_i(fetch_addr),
    .rsp_valid_o(f_rsp_valid), .rsp_ready_i(f_rsp_ready), .rsp_cmd_o(f_cmd),
    .rsp_resp_o(f_resp), .busy_o(f_busy),
    .m_axi_arvalid_o, .m_axi_arready_i, .m_axi_araddr_o, .m_axi_arlen_o, .m_axi_arsize_o,
    .m_axi_arburst_o, .m_axi_arid_o, .m_axi_rvalid_i, .m_axi_rready_o, .m_axi_rdata_i,
    .m_axi_rresp_i, .m_axi_rlast_i, .m_axi_rid_i);

  // ---------------------------------------------------------------- decode
  logic       chk_fault, chk_vec, chk_barrier, vchk_fault;
  logic [7:0] chk_code, vchk_code;
  logic [1:0] chk_queue;

  npu_cmd_check #(
    .BusBytes(BusBytes), .AspadWords(AspadWords), .WspadWords(WspadWords),
    .AccRows(AccRows), .AccWpr(AccWpr), .Rows(Rows)
  ) u_check (
    .cmd_i(f_cmd), .window_base_i, .window_size_i,
    .fault_o(chk_fault), .code_o(chk_code), .queue_o(chk_queue),
    .is_vec_o(chk_vec), .is_barrier_o(chk_barrier));

  npu_vec_check #(
    .Cols(Cols), .BusBytes(BusBytes), .AspadWords(AspadWords), .AccRows(AccRows),
    .MaxLen(VecMaxLen), .ReqChannels(ReqChannels)
  ) u_vcheck (.cmd_i(f_cmd), .fault_o(vchk_fault), .code_o(vchk_code));

  logic       dec_fault;
  logic [7:0] dec_code;
  always_comb begin
    dec_fault = 1'b0;
    dec_code  = npu_isa_pkg::ErrNone;
    if (f_resp == npu_pkg::RespSlverr) begin
      dec_fault = 1'b1;
      dec_code  = npu_isa_pkg::ErrAxiSlverr;
    end else if (f_resp == npu_pkg::RespDecerr) begin
      dec_fault = 1'b1;
      dec_code  = npu_isa_pkg::ErrAxiDecerr;
    end else if (chk_fault) begin
      dec_fault = 1'b1;
      dec_code  = chk_code;
    end else if (chk_vec && vchk_fault) begin
      dec_fault = 1'b1;
      dec_code  = vchk_code;
    end
  end

  // ---------------------------------------------------------------- queues
  logic [2:0]   q_in_valid, q_in_ready, q_exec_valid, q_exec_ready, q_exec_nop, q_empty;
  logic [2:0]   q_done, q_fault, q_prev_avail, q_next_avail;
  logic [2:0]   q_prev_pop, q_next_pop, q_prev_push, q_next_push;
  // per-queue buses, queue q at [q*W +: W] (flat: yosys 0.23)
  logic [3*512-1:0] q_cmd;
  logic [3*32-1:0]  q_addr, q_faddr;
  logic [3*8-1:0]   q_done_err, q_fcode;

  logic engines_idle, all_quiet, barrier_ok, dispatch, is_irq;
  assign engines_idle = ld_idle_i && st_idle_i && gemm_idle_i && vec_idle_i;
  assign all_quiet    = engines_idle && (&q_empty);
  assign barrier_ok   = all_quiet;
  npu_isa_pkg::cmd_hdr_t f_hdr, cp_hdr;
  assign f_hdr        = f_cmd;
  assign is_irq       = (f_hdr.opcode == npu_isa_pkg::OpIrq);

  // The response is consumed when dispatched (or when it faults).
  always_comb begin
    q_in_valid  = '0;
    f_rsp_ready = 1'b0;
    if (f_rsp_valid && !halt) begin
      if (dec_fault) begin
        f_rsp_ready = 1'b1;
      end else if (chk_barrier) begin
        f_rsp_ready = barrier_ok;
      end else begin
        q_in_valid[chk_queue] = 1'b1;
        f_rsp_ready = q_in_ready[chk_queue];
      end
    end
  end
  assign dispatch   = f_rsp_valid && f_rsp_ready && !dec_fault;
  assign irq_done_o = dispatch && chk_barrier && is_irq;

  // tokens: l2c, c2l, c2s, s2c
  logic [7:0] tok_l2c_q, tok_c2l_q, tok_c2s_q, tok_s2c_q;
  // load: next = compute; compute: prev = load, next = store; store: prev = compute
  assign q_prev_avail = {tok_c2s_q != '0, tok_l2c_q != '0, 1'b0};
  assign q_next_avail = {1'b0, tok_s2c_q != '0, tok_c2l_q != '0};

  for (genvar q = 0; q < 3; q++) begin : g_q
    npu_queue u_queue (
      .clk_i, .rst_ni, .halt_i(halt),
      .in_valid_i(q_in_valid[q]), .in_ready_o(q_in_ready[q]),
      .in_cmd_i(f_cmd), .in_addr_i(fetch_addr),
      .exec_valid_o(q_exec_valid[q]), .exec_cmd_o(q_cmd[q*512 +: 512]),
      .exec_addr_o(q_addr[q*32 +: 32]),
      .exec_is_nop_o(q_exec_nop[q]), .exec_ready_i(q_exec_ready[q]),
      .done_i(q_done[q]), .done_err_i(q_done_err[q*8 +: 8]),
      .tok_prev_avail_i(q_prev_avail[q]), .tok_next_avail_i(q_next_avail[q]),
      .tok_prev_pop_o(q_prev_pop[q]), .tok_next_pop_o(q_next_pop[q]),
      .tok_prev_push_o(q_prev_push[q]), .tok_next_push_o(q_next_push[q]),
      .fault_o(q_fault[q]), .fault_code_o(q_fcode[q*8 +: 8]),
      .fault_addr_o(q_faddr[q*32 +: 32]),
      .empty_o(q_empty[q]));
  end

  // load queue -> DMA read engine
  assign ld_cmd_o        = q_cmd[0 +: 512];
  assign ld_valid_o      = q_exec_valid[0] && !q_exec_nop[0];
  assign q_exec_ready[0] = ld_ready_i;
  assign q_done[0]       = ld_done_i;
  assign q_done_err[0 +: 8]  = ld_err_i;
  // store queue -> DMA write engine
  assign st_cmd_o        = q_cmd[2*512 +: 512];
  assign st_valid_o      = q_exec_valid[2] && !q_exec_nop[2];
  assign q_exec_ready[2] = st_ready_i;
  assign q_done[2]       = st_done_i;
  assign q_done_err[16 +: 8] = st_err_i;
  // compute queue -> GEMM or vector engine; a switch between them waits for
  // the other engine to drain (VEC may read ACC rows a GEMM writes, and
  // write ASPAD words a GEMM reads). GEMM after GEMM is pipelined.
  logic cp_is_gemm;
  assign cp_cmd_o        = q_cmd[512 +: 512];
  assign cp_hdr          = q_cmd[512 +: 512];
  assign cp_is_gemm      = (cp_hdr.opcode == npu_isa_pkg::OpGemm);
  assign gemm_valid_o    = q_exec_valid[1] && !q_exec_nop[1] && cp_is_gemm && vec_idle_i;
  assign vec_valid_o     = q_exec_valid[1] && !q_exec_nop[1] && !cp_is_gemm && gemm_idle_i;
  assign q_exec_ready[1] = cp_is_gemm ? (gemm_ready_i && vec_idle_i)
                                      : (vec_ready_i && gemm_idle_i);
  assign q_done[1]       = gemm_done_i || vec_done_i;
  assign q_done_err[8 +: 8]  = 8'd0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tok_l2c_q <= '0;
      tok_c2l_q <= '0;
      tok_c2s_q <= '0;
      tok_s2c_q <= '0;
    end else begin
      tok_l2c_q <= tok_l2c_q + 8'(q_next_push[0]) - 8'(q_prev_pop[1]);
      tok_c2l_q <= tok_c2l_q + 8'(q_prev_push[1]) - 8'(q_next_pop[0]);
      tok_c2s_q <= tok_c2s_q + 8'(q_next_push[1]) - 8'(q_prev_pop[2]);
      tok_s2c_q <= tok_s2c_q + 8'(q_prev_push[2]) - 8'(q_next_pop[1]);
    end
  end

  // ---------------------------------------------------------------- state
  logic        new_fault;
  logic [7:0]  new_code;
  logic [31:0] new_addr;
  always_comb begin
    new_fault = 1'b0;
    new_code  = npu_isa_pkg::ErrNone;
    new_addr  = '0;
    if (want_fetch && (ring_bad || fetch_window_bad)) begin
      new_fault = 1'b1;
      new_code  = ring_bad ? npu_isa_pkg::ErrBadField : npu_isa_pkg::ErrAddrWindow;
      new_addr  = fetch_addr;
    end else if (f_rsp_valid && dec_fault && !halt) begin
      new_fault = 1'b1;
      new_code  = dec_code;
      new_addr  = fetch_addr;
    end else begin
      for (int q = 2; q >= 0; q--) begin
        if (q_fault[q]) begin
          new_fault = 1'b1;
          new_code  = q_fcode[q*8 +: 8];
          new_addr  = q_faddr[q*32 +: 32];
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fault_q      <= 1'b0;
      code_q       <= npu_isa_pkg::ErrNone;
      faddr_q      <= '0;
      head_q       <= '0;
      f_inflight_q <= 1'b0;
    end else begin
      if (new_fault && !fault_q) begin
        fault_q <= 1'b1;
        code_q  <= new_code;
        faddr_q <= new_addr;
      end
      if (f_req_valid && f_req_ready) f_inflight_q <= 1'b1;
      if (f_rsp_valid && f_rsp_ready) begin
        f_inflight_q <= 1'b0;
        if (!dec_fault) head_q <= (head_q + 1 == ring_size_i) ? '0 : head_q + 1;
      end
    end
  end

  assign ring_head_o  = head_q;
  assign fault_o      = fault_q;
  assign fault_set_o  = new_fault && !fault_q;
  assign err_code_o   = code_q;
  assign err_addr_o   = faddr_q;
  assign fetch_busy_o = f_busy;
  // After a fault, held commands no longer count as work.
  logic unused;
  assign unused = ^{q_prev_pop[0], q_next_pop[2], q_prev_push[0], q_next_push[2], f_hdr, cp_hdr,
                    q_addr};

  assign busy_o       = f_busy || !engines_idle ||
                        (!halt && ((enable_i && head_q != ring_tail_i) || f_inflight_q ||
                                   !(&q_empty)));
endmodule
