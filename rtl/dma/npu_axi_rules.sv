// AXI4 bus rules of one master port, checked on the port's signals: the
// address channel holds VALID and its payload until READY, every burst is
// INCR of full bus words, at most MaxBurst beats and inside one 4 KiB page;
// at most MaxOut bursts are outstanding, and while one is the master says so
// (pending_i, which done, busy and soft reset rely on). Once the port is
// declared dead (dead_i) it is isolated, and VALIDs may drop. A write master sends
// W only for bursts whose AW was accepted (this design's order, stricter than
// AXI), holds W VALID and its payload until READY, and sets WLAST exactly on
// the last beat of each burst. Responses are counted by beats (R) or by B, in
// order, since each master uses one ID. Only the master's side is checked:
// the slave's rules are what a formal harness assumes (tb/formal).
// Assertions only: nothing here is synthesized. They run in every Verilated
// simulation and, with FORMAL defined, are proven by SymbiYosys (make formal).
module npu_axi_rules #(
  parameter int unsigned AddrW    = 32,
  parameter int unsigned DataW    = 64,
  parameter int unsigned IdW      = 1,
  parameter int unsigned MaxOut   = 4,    // bursts outstanding at most
  parameter int unsigned MaxBurst = 256,  // beats per burst at most
  parameter bit          Write    = 1'b0  // 1: AW/W/B, 0: AR/R
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               dead_i,     // the port was declared dead: bursts never finish
  input  logic               pending_i,  // the master's own "a burst is in flight"
  // address channel (AR or AW)
  input  logic               ax_valid_i,
  input  logic               ax_ready_i,
  input  logic [AddrW-1:0]   ax_addr_i,
  input  logic [7:0]         ax_len_i,
  input  logic [2:0]         ax_size_i,
  input  logic [1:0]         ax_burst_i,
  input  logic [IdW-1:0]     ax_id_i,
  // write data (tie to 0 for a read master)
  input  logic               w_valid_i,
  input  logic               w_ready_i,
  input  logic [DataW-1:0]   w_data_i,
  input  logic [DataW/8-1:0] w_strb_i,
  input  logic               w_last_i,
  // response: R beats for a read master, B for a write master
  input  logic               rsp_valid_i,
  input  logic               rsp_ready_i
);
`ifdef FORMAL
  `define NPU_AXI_RULES_ON
`elsif SYNTHESIS
`else
  `define NPU_AXI_RULES_ON
`endif
`ifdef NPU_AXI_RULES_ON
  localparam int unsigned Size   = $clog2(DataW / 8);
  localparam int unsigned Slots  = MaxOut + 1;   // one spare so an excess burst is seen, not lost
  localparam int unsigned SlotW  = $clog2(Slots) > 0 ? $clog2(Slots) : 1;
  localparam int unsigned CountW = $clog2(Slots + 1);
  localparam int unsigned PayW   = AddrW + 8 + 3 + 2 + IdW;
  localparam int unsigned WPayW  = DataW + DataW / 8 + 1;

  logic ax_fire, w_fire, rsp_fire;
  assign ax_fire  = ax_valid_i && ax_ready_i;
  assign w_fire   = w_valid_i && w_ready_i;
  assign rsp_fire = rsp_valid_i && rsp_ready_i;

  // a VALID left waiting, and what it carried
  logic             ax_wait_q, w_wait_q;
  logic [PayW-1:0]  ax_pay_q;
  logic [WPayW-1:0] w_pay_q;
  logic [PayW-1:0]  ax_pay;
  logic [WPayW-1:0] w_pay;
  assign ax_pay = {ax_addr_i, ax_len_i, ax_size_i, ax_burst_i, ax_id_i};
  assign w_pay  = {w_data_i, w_strb_i, w_last_i};

  // Bursts in their data phase (R beats or W beats still to come), oldest
  // first, with their AxLEN; and bursts not yet answered (the last R beat or
  // the B).
  logic [7:0]        len_q [Slots];
  logic [SlotW-1:0]  head_q, tail_q;
  logic [CountW-1:0] data_cnt_q, out_q;
  logic [7:0]        beat_q;
  logic              data_fire, data_last;
  assign data_fire = Write ? w_fire : rsp_fire;
  assign data_last = data_fire && (data_cnt_q != '0) && (beat_q == len_q[head_q]);

  function automatic logic [SlotW-1:0] next_slot(logic [SlotW-1:0] s);
    return (32'(s) == Slots - 1) ? '0 : s + SlotW'(1);
  endfunction

  logic rsp_done;  // a burst is answered this cycle
  assign rsp_done = Write ? (rsp_fire && out_q != '0) : data_last;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ax_wait_q  <= 1'b0;
      w_wait_q   <= 1'b0;
      ax_pay_q   <= '0;
      w_pay_q    <= '0;
      head_q     <= '0;
      tail_q     <= '0;
      data_cnt_q <= '0;
      out_q      <= '0;
      beat_q     <= '0;
      for (int i = 0; i < Slots; i++) len_q[i] <= '0;
    end else begin
      ax_wait_q <= ax_valid_i && !ax_ready_i;
      w_wait_q  <= w_valid_i && !w_ready_i;
      ax_pay_q  <= ax_pay;
      w_pay_q   <= w_pay;
      if (ax_fire && 32'(data_cnt_q) < Slots) begin
        len_q[tail_q] <= ax_len_i;
        tail_q        <= next_slot(tail_q);
      end
      if (data_last) head_q <= next_slot(head_q);
      data_cnt_q <= data_cnt_q + CountW'(ax_fire && 32'(data_cnt_q) < Slots) - CountW'(data_last);
      out_q      <= out_q + CountW'(ax_fire && 32'(out_q) < Slots) - CountW'(rsp_done);
      if (data_fire && data_cnt_q != '0) beat_q <= data_last ? 8'd0 : beat_q + 8'd1;
    end
  end

  logic [13:0] burst_end;  // page offset of the byte after the burst
  assign burst_end = 14'(ax_addr_i[11:0]) + ((14'(ax_len_i) + 14'd1) << ax_size_i);

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // an isolated (dead) port may drop what it was offering: the watchdog blocks it
      if (ax_wait_q && !dead_i)
        a_ax_stable: assert (ax_valid_i && ax_pay == ax_pay_q)
          else $error("npu_axi_rules: address VALID dropped or its payload changed before READY");
      if (ax_valid_i) begin
        a_ax_4k: assert (burst_end <= 14'h1000)
          else $error("npu_axi_rules: burst at %h of %0d beats crosses a 4 KiB boundary", ax_addr_i, ax_len_i + 1);
        a_ax_incr: assert (ax_size_i == 3'(Size) && ax_burst_i == 2'b01 && ax_addr_i[Size-1:0] == '0)
          else $error("npu_axi_rules: burst at %h is not an aligned INCR of full bus words", ax_addr_i);
        a_ax_len: assert (32'(ax_len_i) < MaxBurst)
          else $error("npu_axi_rules: burst of %0d beats, MaxBurst %0d", ax_len_i + 1, MaxBurst);
      end
      a_out: assert (32'(out_q) <= MaxOut)
        else $error("npu_axi_rules: %0d bursts outstanding, MaxOut %0d", out_q, MaxOut);
      if (out_q != '0 && !dead_i)
        a_pending: assert (pending_i)
          else $error("npu_axi_rules: a burst is outstanding but the master says none is");
      if (Write) begin
        if (w_wait_q && !dead_i)
          a_w_stable: assert (w_valid_i && w_pay == w_pay_q)
            else $error("npu_axi_rules: W VALID dropped or its payload changed before READY");
        if (w_valid_i) begin
          a_w_after_aw: assert (data_cnt_q != '0)
            else $error("npu_axi_rules: W beat with no accepted AW awaiting data");
          if (data_cnt_q != '0)
            a_w_last: assert (w_last_i == (beat_q == len_q[head_q]))
              else $error("npu_axi_rules: WLAST %0d on beat %0d of a burst of %0d", w_last_i, beat_q,
                          len_q[head_q] + 1);
        end
      end
    end
  end
`endif
`undef NPU_AXI_RULES_ON
endmodule
