// LOAD engine: 2D DRAM -> local memory over an AXI4 read channel.
// Each row is split into INCR bursts (npu_dma_burst_gen); up to
// MaxOutstanding bursts are in flight on one ARID (in order). Two commands
// can be in the engine at once: the next one is taken, and issues its bursts,
// as soon as the bursts of the one before are all issued, so back-to-back
// LOADs do not each wait a memory latency. R beats belong to the oldest
// command (in order) and are written to the local write port (rready follows
// its ready). After the first beat with an error response no further beat of
// that command is written and it issues no new burst; the bursts already
// issued are drained. A beat that breaks the AXI rules (npu_axi_rd_check:
// RID, RLAST, EXOKAY) counts as an error beat; bursts are counted by their
// ARLEN, not by RLAST. When the port is declared dead (port_dead_i, the
// watchdog) every command ends at once. One done per command, in order, with
// its first error: done_err_o the AXI response (0 OKAY, 2 SLVERR, 3 DECERR),
// done_fault_o the fault code (npu_isa_pkg::fault_e: NONE, AXI_SLVERR,
// AXI_DECERR, AXI_PROTOCOL, AXI_TIMEOUT).
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

  // ---------------- command slots ----------------
  // A ring of two: slot hd_q (the oldest) receives beats, slot iss_q issues
  // bursts, the next command goes into slot tl_q.
  typedef struct packed {
    logic               valid;
    logic               issued;     // every burst of the command is issued (or it was aborted)
    logic [31:0]        beats;      // beats of the bursts issued so far
    logic [31:0]        rcvd;       // beats received
    logic [15:0]        row_words;
    logic [1:0]         space;
    logic [LocalAW-1:0] lstride, lrow_base, laddr;
    logic [15:0]        lword;
    logic               err;
    logic [1:0]         err_code;
    logic [7:0]         fault;
  } slot_t;
  slot_t slot_q [2];
  slot_t slot_d [2];
  logic  hd_q, tl_q, iss_q, iss_active_q;
  logic  hd_d, tl_d, iss_d, iss_active_d;

  logic [OutW-1:0] out_q;  // bursts issued (incl. pending AR) not yet fully received

  logic cmd_fire, done_fire, hd_done;
  // The next command once the one before has issued its bursts, while the oldest has no error.
  assign cmd_ready_o  = !iss_active_q && !slot_q[tl_q].valid && !(slot_q[hd_q].valid && slot_q[hd_q].err);
  assign cmd_fire     = cmd_valid_i && cmd_ready_o;
  assign hd_done      = slot_q[hd_q].valid &&
                        (port_dead_i || (slot_q[hd_q].issued && slot_q[hd_q].rcvd == slot_q[hd_q].beats &&
                                         !(m_axi_arvalid_o && iss_q == hd_q)));
  assign done_valid_o = hd_done;
  assign done_fire    = done_valid_o && done_ready_i;
  assign done_err_o   = slot_q[hd_q].err_code;
  assign done_fault_o = port_dead_i && !slot_q[hd_q].err ? npu_isa_pkg::ErrAxiTimeout : slot_q[hd_q].fault;

  // ---------------- AR side ----------------
  logic             gen_valid, ar_load;
  logic [7:0]       ar_load_len;

  npu_dma_addr_chan #(
    .AddrW(AddrW), .DataW(DataW), .MaxBurst(MaxBurst)
  ) u_ar (
    .clk_i, .rst_ni,
    .start_i       (cmd_fire),
    .dram_addr_i   (cmd_dram_addr_i),
    .dram_stride_i (cmd_dram_stride_i),
    .rows_i        (cmd_rows_i),
    .row_words_i   (cmd_row_words_i),
    .abort_i       (slot_q[iss_q].err || port_dead_i),
    .issue_en_i    (iss_active_q && (out_q < OutW'(MaxOutstanding))),
    .pending_o     (gen_valid),
    .load_o        (ar_load),
    .load_len_o    (ar_load_len),
    .ax_valid_o    (m_axi_arvalid_o),
    .ax_ready_i    (m_axi_arready_i),
    .ax_addr_o     (m_axi_araddr_o),
    .ax_len_o      (m_axi_arlen_o)
  );

  assign m_axi_arsize_o  = 3'($clog2(BusBytes));
  assign m_axi_arburst_o = 2'b01;  // INCR
  assign m_axi_arid_o    = ArId;

  // ---------------- R side ----------------
  logic drop, r_fire, r_bad, r_proto, r_last, hd_live;
  npu_axi_rd_check #(.IdW(IdW), .MaxOut(MaxOutstanding)) u_check (
    .clk_i, .rst_ni,
    .ar_fire_i(m_axi_arvalid_o && m_axi_arready_i), .ar_len_i(m_axi_arlen_o), .ar_id_i(ArId),
    .r_fire_i(r_fire), .r_last_i(m_axi_rlast_i), .r_id_i(m_axi_rid_i), .r_resp_i(m_axi_rresp_i),
    .last_o(r_last), .bad_o(r_proto));
  // Beats are taken only for a command that expects more of them (a stray beat waits).
  assign hd_live = slot_q[hd_q].valid && slot_q[hd_q].rcvd != slot_q[hd_q].beats && !port_dead_i;
  assign r_bad  = m_axi_rresp_i[1] || r_proto;  // SLVERR / DECERR or a protocol error
  assign drop   = slot_q[hd_q].err || r_bad;
  assign m_axi_rready_o = hd_live && (drop || lw_req_ready_i);
  assign r_fire = m_axi_rvalid_i && m_axi_rready_o;

  assign lw_req_valid_o = hd_live && m_axi_rvalid_i && !drop;
  assign lw_req_we_o    = 1'b1;
  assign lw_req_addr_o  = slot_q[hd_q].laddr;
  assign lw_req_wdata_o = m_axi_rdata_i;
  assign lw_req_wstrb_o = '1;
  assign lw_space_o     = slot_q[hd_q].space;

  logic lw_fire;
  assign lw_fire = lw_req_valid_o && lw_req_ready_i;

  // ---------------- control ----------------
  always_comb begin
    slot_d       = slot_q;
    hd_d         = hd_q;
    tl_d         = tl_q;
    iss_d        = iss_q;
    iss_active_d = iss_active_q;
    // issue side
    if (iss_active_q) begin
      if (ar_load) slot_d[iss_q].beats = slot_q[iss_q].beats + 32'(ar_load_len) + 32'd1;
      if (!gen_valid) begin
        slot_d[iss_q].issued = 1'b1;
        iss_active_d         = 1'b0;
      end
    end
    if (cmd_fire) begin
      slot_d[tl_q]           = '0;
      slot_d[tl_q].valid     = 1'b1;
      slot_d[tl_q].row_words = cmd_row_words_i;
      slot_d[tl_q].space     = cmd_space_i;
      slot_d[tl_q].lstride   = cmd_local_stride_i;
      slot_d[tl_q].lrow_base = cmd_local_addr_i;
      slot_d[tl_q].laddr     = cmd_local_addr_i;
      iss_d                  = tl_q;
      tl_d                   = !tl_q;
      iss_active_d           = 1'b1;
    end
    // receive side
    if (r_fire) begin
      slot_d[hd_q].rcvd = slot_q[hd_q].rcvd + 32'd1;
      if (r_bad && !slot_q[hd_q].err) begin
        slot_d[hd_q].err      = 1'b1;
        slot_d[hd_q].err_code = m_axi_rresp_i;
        slot_d[hd_q].fault    = npu_pkg::axi_fault(r_proto, m_axi_rresp_i);
      end
    end
    if (lw_fire) begin
      if (slot_q[hd_q].lword == slot_q[hd_q].row_words - 16'd1) begin
        slot_d[hd_q].lword     = '0;
        slot_d[hd_q].lrow_base = slot_q[hd_q].lrow_base + slot_q[hd_q].lstride;
        slot_d[hd_q].laddr     = slot_q[hd_q].lrow_base + slot_q[hd_q].lstride;
      end else begin
        slot_d[hd_q].lword = slot_q[hd_q].lword + 16'd1;
        slot_d[hd_q].laddr = slot_q[hd_q].laddr + LocalAW'(1);
      end
    end
    if (done_fire) begin
      slot_d[hd_q].valid = 1'b0;
      hd_d               = !hd_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      slot_q[0]    <= '0;
      slot_q[1]    <= '0;
      hd_q         <= 1'b0;
      tl_q         <= 1'b0;
      iss_q        <= 1'b0;
      iss_active_q <= 1'b0;
      out_q        <= '0;
    end else begin
      slot_q[0]    <= slot_d[0];
      slot_q[1]    <= slot_d[1];
      hd_q         <= hd_d;
      tl_q         <= tl_d;
      iss_q        <= iss_d;
      iss_active_q <= iss_active_d;
      if (ar_load && !(r_fire && r_last)) out_q <= out_q + OutW'(1);
      else if (!ar_load && r_fire && r_last) out_q <= out_q - OutW'(1);
    end
  end

  assign busy_o  = slot_q[0].valid || slot_q[1].valid;
  assign axi_pending_o = (out_q != '0);
  assign beat_o  = r_fire;
  assign stall_o = busy_o && !r_fire;

`ifndef SYNTHESIS
  logic hd_valid, tl_valid;
  assign hd_valid = slot_q[hd_q].valid;
  assign tl_valid = slot_q[tl_q].valid;
  // The receiving command is the oldest one: beats never belong to an empty slot.
  a_beat_owner: assert property (@(posedge clk_i) disable iff (!rst_ni) r_fire |-> hd_valid)
    else $error("npu_dma_rd: a beat taken with no command");
  // Two slots: a command is only taken into a free one.
  a_slot_free: assert property (@(posedge clk_i) disable iff (!rst_ni) cmd_fire |-> !tl_valid)
    else $error("npu_dma_rd: a command taken into a busy slot");
`endif

  // AXI4 rules of the AR/R port (assertions only)
  npu_axi_rules #(
    .AddrW(AddrW), .DataW(DataW), .IdW(IdW), .MaxOut(MaxOutstanding), .MaxBurst(MaxBurst), .Write(1'b0)
  ) u_rules (
    .clk_i, .rst_ni, .dead_i(port_dead_i), .pending_i(axi_pending_o),
    .ax_valid_i(m_axi_arvalid_o), .ax_ready_i(m_axi_arready_i), .ax_addr_i(m_axi_araddr_o),
    .ax_len_i(m_axi_arlen_o), .ax_size_i(m_axi_arsize_o), .ax_burst_i(m_axi_arburst_o),
    .ax_id_i(m_axi_arid_o), .w_valid_i(1'b0), .w_ready_i(1'b0), .w_data_i('0), .w_strb_i('0),
    .w_last_i(1'b0), .rsp_valid_i(m_axi_rvalid_i), .rsp_ready_i(m_axi_rready_o));

endmodule
