// LOAD engine: 2D DRAM -> local memory over an AXI4 read channel.
// Each row is split into INCR bursts (npu_dma_burst_gen); up to
// MaxOutstanding bursts are in flight on one ARID (in order). R beats are
// written to the local write port (rready follows its ready). After the first
// beat with an error response no further beat of the command is written and
// no new burst is issued; the bursts already issued are drained. A beat that
// breaks the AXI rules (npu_axi_rd_check: RID, RLAST, EXOKAY) counts as an
// error beat; bursts are counted by their ARLEN, not by RLAST. When the port
// is declared dead (port_dead_i, the watchdog) the command ends at once. One
// done per command with the first error: done_err_o the AXI response (0 OKAY,
// 2 SLVERR, 3 DECERR), done_fault_o the fault code (npu_isa_pkg::fault_e:
// NONE, AXI_SLVERR, AXI_DECERR, AXI_PROTOCOL, AXI_TIMEOUT).
module npu_dma_rd #(
  parameter int unsigned AddrW          = 32,
  parameter int unsigned DataW          = 64,
  parameter int unsigned IdW            = 1,
  parameter int unsigned LocalAW        = 24,
  parameter int unsigned MaxOutstanding = 4,
  parameter int unsigned MaxBurst       = 256,
  parameter logic [IdW-1:0] ArId        = '0,
  localparam int unsigned BusBytes = DataW / 8,
  localparam int unsigned OutW     = $clog2(MaxOutstanding + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // command
  input  logic               cmd_valid_i,
  output logic               cmd_ready_o,
  input  logic [AddrW-1:0]   cmd_dram_addr_i,
  input  logic [31:0]        cmd_dram_stride_i,
  input  logic [15:0]        cmd_rows_i,
  input  logic [15:0]        cmd_row_words_i,
  input  logic [1:0]         cmd_space_i,
  input  logic [LocalAW-1:0] cmd_local_addr_i,
  input  logic [LocalAW-1:0] cmd_local_stride_i,
  // done
  output logic               done_valid_o,
  input  logic               done_ready_i,
  output logic [1:0]         done_err_o,
  output logic [7:0]         done_fault_o,
  // the AXI port timed out and is isolated: end the command, issue nothing
  input  logic               port_dead_i,
  // status
  output logic               busy_o,
  output logic               stall_o,
  output logic               beat_o,
  output logic               axi_pending_o,  // a burst is issued and not fully received
  // AXI4 read master
  output logic               m_axi_arvalid_o,
  input  logic               m_axi_arready_i,
  output logic [AddrW-1:0]   m_axi_araddr_o,
  output logic [7:0]         m_axi_arlen_o,
  output logic [2:0]         m_axi_arsize_o,
  output logic [1:0]         m_axi_arburst_o,
  output logic [IdW-1:0]     m_axi_arid_o,
  input  logic               m_axi_rvalid_i,
  output logic               m_axi_rready_o,
  input  logic [DataW-1:0]   m_axi_rdata_i,
  input  logic [1:0]         m_axi_rresp_i,
  input  logic               m_axi_rlast_i,
  input  logic [IdW-1:0]     m_axi_rid_i,
  // local memory write port
  output logic               lw_req_valid_o,
  input  logic               lw_req_ready_i,
  output logic               lw_req_we_o,
  output logic [LocalAW-1:0] lw_req_addr_o,
  output logic [DataW-1:0]   lw_req_wdata_o,
  output logic [DataW/8-1:0] lw_req_wstrb_o,
  output logic [1:0]         lw_space_o
);

  typedef enum logic [1:0] {StIdle, StRun, StDone} state_e;
  state_e state_q, state_d;

  // Command fields kept for the local side.
  logic [15:0]        row_words_q;
  logic [1:0]         space_q;
  logic [LocalAW-1:0] lstride_q, lrow_base_q, laddr_q;
  logic [15:0]        lword_q;

  logic       err_q;
  logic [1:0] err_code_q;
  logic [7:0] fault_q;
  logic [OutW-1:0] out_q;  // bursts issued (incl. pending AR) not yet fully received

  logic cmd_fire, done_fire;
  assign cmd_ready_o  = (state_q == StIdle);
  assign cmd_fire     = cmd_valid_i && cmd_ready_o;
  assign done_valid_o = (state_q == StDone);
  assign done_fire    = done_valid_o && done_ready_i;
  assign done_err_o   = err_code_q;
  assign done_fault_o = fault_q;

  // ---------------- AR side ----------------
  logic             gen_valid, ar_load;
  logic [7:0]       unused_load_len;

  npu_dma_addr_chan #(
    .AddrW(AddrW), .DataW(DataW), .MaxBurst(MaxBurst)
  ) u_ar (
    .clk_i, .rst_ni,
    .start_i       (cmd_fire),
    .dram_addr_i   (cmd_dram_addr_i),
    .dram_stride_i (cmd_dram_stride_i),
    .rows_i        (cmd_rows_i),
    .row_words_i   (cmd_row_words_i),
    .abort_i       (err_q || port_dead_i),
    .issue_en_i    ((state_q == StRun) && (out_q < OutW'(MaxOutstanding))),
    .pending_o     (gen_valid),
    .load_o        (ar_load),
    .load_len_o    (unused_load_len),
    .ax_valid_o    (m_axi_arvalid_o),
    .ax_ready_i    (m_axi_arready_i),
    .ax_addr_o     (m_axi_araddr_o),
    .ax_len_o      (m_axi_arlen_o)
  );

  assign m_axi_arsize_o  = 3'($clog2(BusBytes));
  assign m_axi_arburst_o = 2'b01;  // INCR
  assign m_axi_arid_o    = ArId;

  // ---------------- R side ----------------
  logic drop, r_fire, r_bad, r_proto, r_last;
  npu_axi_rd_check #(.IdW(IdW), .MaxOut(MaxOutstanding)) u_check (
    .clk_i, .rst_ni,
    .ar_fire_i(m_axi_arvalid_o && m_axi_arready_i), .ar_len_i(m_axi_arlen_o), .ar_id_i(ArId),
    .r_fire_i(r_fire), .r_last_i(m_axi_rlast_i), .r_id_i(m_axi_rid_i), .r_resp_i(m_axi_rresp_i),
    .last_o(r_last), .bad_o(r_proto));
  assign r_bad  = m_axi_rresp_i[1] || r_proto;  // SLVERR / DECERR or a protocol error
  assign drop   = err_q || r_bad;
  assign m_axi_rready_o = (state_q == StRun) && (drop || lw_req_ready_i);
  assign r_fire = m_axi_rvalid_i && m_axi_rready_o;

  assign lw_req_valid_o = (state_q == StRun) && m_axi_rvalid_i && !drop;
  assign lw_req_we_o    = 1'b1;
  assign lw_req_addr_o  = laddr_q;
  assign lw_req_wdata_o = m_axi_rdata_i;
  assign lw_req_wstrb_o = '1;
  assign lw_space_o     = space_q;

  logic lw_fire;
  assign lw_fire = lw_req_valid_o && lw_req_ready_i;

  // ---------------- control ----------------
  always_comb begin
    state_d = state_q;
    unique case (state_q)
      StIdle: if (cmd_fire) state_d = StRun;
      StRun:  if (port_dead_i ||
                  ((!gen_valid || err_q) && !m_axi_arvalid_o && out_q == '0)) state_d = StDone;
      StDone: if (done_fire) state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      row_words_q <= '0;
      space_q     <= '0;
      lstride_q   <= '0;
      lrow_base_q <= '0;
      laddr_q     <= '0;
      lword_q     <= '0;
      err_q       <= 1'b0;
      err_code_q  <= '0;
      fault_q     <= npu_isa_pkg::ErrNone;
      out_q       <= '0;
    end else begin
      state_q <= state_d;
      if (cmd_fire) begin
        row_words_q <= cmd_row_words_i;
        space_q     <= cmd_space_i;
        lstride_q   <= cmd_local_stride_i;
        lrow_base_q <= cmd_local_addr_i;
        laddr_q     <= cmd_local_addr_i;
        lword_q     <= '0;
        err_q       <= 1'b0;
        err_code_q  <= '0;
        fault_q     <= npu_isa_pkg::ErrNone;
      end
      if (lw_fire) begin
        if (lword_q == row_words_q - 16'd1) begin
          lword_q     <= '0;
          lrow_base_q <= lrow_base_q + lstride_q;
          laddr_q     <= lrow_base_q + lstride_q;
        end else begin
          lword_q <= lword_q + 16'd1;
          laddr_q <= laddr_q + LocalAW'(1);
        end
      end
      if (r_fire && r_bad && !err_q) begin
        err_q      <= 1'b1;
        err_code_q <= m_axi_rresp_i;
        fault_q    <= r_proto                                ? npu_isa_pkg::ErrAxiProtocol :
                      (m_axi_rresp_i == npu_pkg::RespSlverr) ? npu_isa_pkg::ErrAxiSlverr :
                                                               npu_isa_pkg::ErrAxiDecerr;
      end else if (state_q == StRun && port_dead_i && !err_q) begin
        err_q   <= 1'b1;
        fault_q <= npu_isa_pkg::ErrAxiTimeout;
      end
      if (ar_load && !(r_fire && r_last)) out_q <= out_q + OutW'(1);
      else if (!ar_load && r_fire && r_last) out_q <= out_q - OutW'(1);
    end
  end

  assign busy_o  = (state_q != StIdle);
  assign axi_pending_o = (out_q != '0);
  assign beat_o  = r_fire;
  assign stall_o = (state_q == StRun) && !r_fire;

endmodule
