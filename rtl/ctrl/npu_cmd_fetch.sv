// Command fetch with prefetch: reads 64-byte commands from the ring in DRAM
// ahead of dispatch, up to MaxBurst commands per AXI INCR burst (never past
// RING_TAIL, the end of the ring, a 4 KiB boundary or the memory window) and
// up to MaxOut bursts in flight, into a FIFO of Depth commands. A burst is
// issued only when its commands have room in the FIFO, so R is always
// accepted. Each entry carries its DRAM address and a fault code: 0, the
// AXI error of its beats (the first SLVERR or DECERR, or AXI_PROTOCOL for a
// beat npu_axi_rd_check refuses: RID, RLAST, EXOKAY), or, as the last entry,
// the reason fetch stopped (ring registers invalid: BAD_FIELD; command outside
// the window: ADDR_WINDOW; the read port is dead: AXI_TIMEOUT). Such a check
// is made only when nothing is in flight, so entries stay in ring order; a
// port that dies with bursts in flight ends fetch with an AXI_TIMEOUT entry
// for the oldest command still awaited (its beats will never come).
module npu_cmd_fetch #(
  parameter int unsigned BusBytes = 16,
  parameter int unsigned IdW      = 1,
  parameter int unsigned Depth    = 8,
  parameter int unsigned MaxBurst = 4,
  parameter int unsigned MaxOut   = 2,
  localparam int unsigned DW      = BusBytes * 8
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            enable_i,      // CTRL.ENABLE
  input  logic            stop_i,        // fault or soft reset pending: no new reads
  input  logic            port_dead_i,   // the read port timed out (watchdog)
  input  logic [31:0]     ring_base_i,
  input  logic [31:0]     ring_size_i,
  input  logic [31:0]     ring_tail_i,
  input  logic [31:0]     window_base_i,
  input  logic [31:0]     window_size_i,
  // fetched commands, in ring order
  output logic            rsp_valid_o,
  input  logic            rsp_ready_i,
  output logic [511:0]    rsp_cmd_o,
  output logic [31:0]     rsp_addr_o,
  output logic [7:0]      rsp_err_o,
  output logic            busy_o,        // an AXI read is issued or in flight
  // AXI4 read master
  output logic            m_axi_arvalid_o,
  input  logic            m_axi_arready_i,
  output logic [31:0]     m_axi_araddr_o,
  output logic [7:0]      m_axi_arlen_o,
  output logic [2:0]      m_axi_arsize_o,
  output logic [1:0]      m_axi_arburst_o,
  output logic [IdW-1:0]  m_axi_arid_o,
  input  logic            m_axi_rvalid_i,
  output logic            m_axi_rready_o,
  input  logic [DW-1:0]   m_axi_rdata_i,
  input  logic [1:0]      m_axi_rresp_i,
  input  logic            m_axi_rlast_i,
  input  logic [IdW-1:0]  m_axi_rid_i
);
  localparam int unsigned CmdBytes = npu_isa_pkg::CmdBytes;
  localparam int unsigned Beats    = CmdBytes / BusBytes;
  localparam int unsigned BeatW    = (Beats > 1) ? $clog2(Beats) : 1;
  localparam int unsigned OccW     = $clog2(Depth + 1);
  localparam int unsigned CntW     = $clog2(MaxBurst + 1);
  localparam int unsigned EntryW   = 8 + 32 + 512;

  // ------------------------------------------------------------ command FIFO
  logic              ff_push, ff_ready;
  logic [EntryW-1:0] ff_in, ff_out;
  logic [OccW-1:0]   ff_count;

  npu_fifo #(.Width(EntryW), .Depth(Depth)) u_cmds (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(ff_push), .in_ready_o(ff_ready), .in_data_i(ff_in),
    .out_valid_o(rsp_valid_o), .out_ready_i(rsp_ready_i), .out_data_o(ff_out),
    .count_o(ff_count));
  assign {rsp_err_o, rsp_addr_o, rsp_cmd_o} = ff_out;

  // ------------------------------------------------------------ request side
  logic [31:0]     fp_q;          // ring index of the next command to request
  logic            stopped_q;     // an error entry ended fetch
  logic [OccW-1:0] reserved_q;    // commands requested, not yet in the FIFO
  logic            ar_valid_q;
  logic [31:0]     ar_addr_q;
  logic [7:0]      ar_len_q;

  // bursts in flight: {first command address, commands}
  logic                 bq_push, bq_pop, bq_valid, bq_ready;
  logic [32+CntW-1:0]   bq_in, bq_out;
  logic [$clog2(MaxOut+1)-1:0] bq_count;

  npu_fifo #(.Width(32 + CntW), .Depth(MaxOut)) u_bursts (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(bq_push), .in_ready_o(bq_ready), .in_data_i(bq_in),
    .out_valid_o(bq_valid), .out_ready_i(bq_pop), .out_data_o(bq_out), .count_o(bq_count));

  logic [31:0] addr;
  logic [63:0] win_end, to_win64;
  logic [31:0] to_tail, to_end, to_4k, to_win, room, c;
  logic        want, ring_bad, win_bad, can_issue, err_now, tmo_now;

  assign addr     = ring_base_i + (fp_q << 6);
  assign win_end  = {32'd0, window_base_i} + {32'd0, window_size_i};
  assign ring_bad = (ring_size_i == '0) || (ring_tail_i >= ring_size_i) || (fp_q >= ring_size_i) ||
                    (ring_base_i[5:0] != '0) || ({32'd0, ring_base_i} + ({32'd0, fp_q} << 6) > 64'hFFFF_FFC0);
  assign win_bad  = (addr < window_base_i) || ({32'd0, addr} + 64'd64 > win_end);
  assign to_win64 = (win_end - {32'd0, addr}) >> 6;
  assign to_win   = (to_win64 > 64'(MaxBurst)) ? MaxBurst : to_win64[31:0];
  assign to_tail  = (ring_tail_i > fp_q) ? ring_tail_i - fp_q : ring_size_i - fp_q;
  assign to_end   = ring_size_i - fp_q;
  logic [6:0] to_4k_cmds;  // commands to the next 4 KiB boundary (addr is 64-byte aligned)
  assign to_4k_cmds = 7'h40 - {1'b0, addr[11:6]};
  assign to_4k      = 32'(to_4k_cmds);
  assign room     = 32'(Depth) - 32'(ff_count) - 32'(reserved_q);

  function automatic logic [31:0] min2(input logic [31:0] a, input logic [31:0] b);
    min2 = (a < b) ? a : b;
  endfunction
  assign c = min2(min2(min2(32'(MaxBurst), room), min2(to_tail, to_end)), min2(to_4k, to_win));

  assign want      = enable_i && !stop_i && !stopped_q && (fp_q != ring_tail_i) && !ar_valid_q;
  // Checks that stop fetch wait until nothing is in flight, so the error
  // entry lands behind every command requested before it.
  assign err_now   = want && (ring_bad || win_bad || port_dead_i) && (reserved_q == '0) &&
                     (room != '0);
  assign can_issue = want && !ring_bad && !win_bad && !port_dead_i && bq_ready && (c != '0);
  // The port died with commands awaited: they never come. The entry takes one
  // of the slots those commands reserved.
  assign tmo_now   = port_dead_i && bq_valid && !stopped_q;
  assign bq_push   = can_issue;
  assign bq_in     = {addr, CntW'(c)};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fp_q       <= '0;
      stopped_q  <= 1'b0;
      ar_valid_q <= 1'b0;
      ar_addr_q  <= '0;
      ar_len_q   <= '0;
    end else begin
      if (can_issue) begin
        ar_valid_q <= 1'b1;
        ar_addr_q  <= addr;
        ar_len_q   <= 8'(c * Beats - 1);
        fp_q       <= (fp_q + c == ring_size_i) ? '0 : fp_q + c;
      end else if (m_axi_arready_i || port_dead_i) begin
        ar_valid_q <= 1'b0;
      end
      if (err_now || tmo_now) stopped_q <= 1'b1;
    end
  end

  assign m_axi_arvalid_o = ar_valid_q;
  assign m_axi_araddr_o  = ar_addr_q;
  assign m_axi_arlen_o   = ar_len_q;
  assign m_axi_arsize_o  = 3'($clog2(BusBytes));
  assign m_axi_arburst_o = 2'b01;
  assign m_axi_arid_o    = '0;

  // ------------------------------------------------------------ response side
  logic [BeatW-1:0] beat_q;
  logic [CntW-1:0]  cmd_q;          // command within the current burst
  logic [511:0]     data_q;
  logic [7:0]       err_q;
  logic [511:0]     data_d;
  logic [7:0]       beat_err, err_d;
  logic             r_fire, cmd_done, r_last, r_proto;

  assign m_axi_rready_o = 1'b1;  // room was reserved when the burst was issued
  assign r_fire   = m_axi_rvalid_i;

  npu_axi_rd_check #(.IdW(IdW), .MaxOut(MaxOut)) u_check (
    .clk_i, .rst_ni,
    .ar_fire_i(m_axi_arvalid_o && m_axi_arready_i), .ar_len_i(m_axi_arlen_o),
    .ar_id_i(m_axi_arid_o), .r_fire_i(r_fire), .r_last_i(m_axi_rlast_i), .r_id_i(m_axi_rid_i),
    .r_resp_i(m_axi_rresp_i), .last_o(r_last), .bad_o(r_proto));
  assign cmd_done = r_fire && (32'(beat_q) == Beats - 1);
  assign bq_pop   = cmd_done && (cmd_q == bq_out[CntW-1:0] - 1'b1);

  always_comb begin
    data_d = data_q;
    data_d[32'(beat_q) * DW +: DW] = m_axi_rdata_i;
  end
  assign beat_err = npu_pkg::axi_fault(r_proto, m_axi_rresp_i);
  assign err_d    = (err_q != '0) ? err_q : beat_err;

  always_comb begin
    ff_push = 1'b0;
    ff_in   = '0;
    if (cmd_done) begin
      ff_push = 1'b1;
      ff_in   = {err_d, bq_out[32+CntW-1:CntW] + (32'(cmd_q) << 6), data_d};
    end else if (err_now) begin
      ff_push = 1'b1;
      ff_in   = {ring_bad ? npu_isa_pkg::ErrBadField :
                 win_bad  ? npu_isa_pkg::ErrAddrWindow : npu_isa_pkg::ErrAxiTimeout, addr, 512'd0};
    end else if (tmo_now) begin
      ff_push = 1'b1;
      ff_in   = {npu_isa_pkg::ErrAxiTimeout, bq_out[32+CntW-1:CntW] + (32'(cmd_q) << 6), 512'd0};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      beat_q     <= '0;
      cmd_q      <= '0;
      data_q     <= '0;
      err_q      <= '0;
      reserved_q <= '0;
    end else begin
      if (r_fire) begin
        data_q <= data_d;
        if (cmd_done) begin
          beat_q <= '0;
          err_q  <= '0;
          cmd_q  <= bq_pop ? '0 : cmd_q + 1'b1;
        end else begin
          beat_q <= beat_q + 1'b1;
          err_q  <= err_d;
        end
      end
      reserved_q <= reserved_q + (can_issue ? OccW'(c) : '0) - OccW'(cmd_done);
    end
  end

  // a dead port's bursts never finish: they no longer keep fetch busy
  assign busy_o = (ar_valid_q || bq_valid) && !port_dead_i;

`ifndef SYNTHESIS
  a_room: assert property (@(posedge clk_i) disable iff (!rst_ni) ff_push |-> ff_ready)
    else $error("npu_cmd_fetch: a command arrived without a reserved FIFO slot");
  a_r_expected: assert property (@(posedge clk_i) disable iff (!rst_ni) m_axi_rvalid_i |-> bq_valid)
    else $error("npu_cmd_fetch: R beat with no burst in flight");
`endif

  logic unused;
  assign unused = ^{r_last, bq_count, to_win64[63:32], addr[5:0]};
  // AXI4 rules of the AR/R port (assertions only)
  npu_axi_rules #(
    .AddrW(32), .DataW(DW), .IdW(IdW), .MaxOut(MaxOut), .MaxBurst(MaxBurst * Beats), .Write(1'b0)
  ) u_rules (
    .clk_i, .rst_ni, .dead_i(port_dead_i), .pending_i(busy_o),
    .ax_valid_i(m_axi_arvalid_o), .ax_ready_i(m_axi_arready_i), .ax_addr_i(m_axi_araddr_o),
    .ax_len_i(m_axi_arlen_o), .ax_size_i(m_axi_arsize_o), .ax_burst_i(m_axi_arburst_o),
    .ax_id_i(m_axi_arid_o), .w_valid_i(1'b0), .w_ready_i(1'b0), .w_data_i('0), .w_strb_i('0),
    .w_last_i(1'b0), .rsp_valid_i(m_axi_rvalid_i), .rsp_ready_i(m_axi_rready_o));

endmodule
