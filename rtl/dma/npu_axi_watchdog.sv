// AXI port watchdog. Sits between the accelerator's AXI master logic and one
// AXI port (read: AR/R; write: AW/W/B; the request channels are the ones the
// master drives VALID on). It counts the cycles in which the port has work
// (outstanding_i: a transaction accepted and not finished, or a request VALID
// waiting) while no handshake happens on any of its channels and the slave
// holds no response VALID (a response waiting for our READY is our delay, not
// the slave's). Any handshake restarts the count. When the count reaches
// limit_i (0 disables) the port times out and is isolated until rst_ni: no
// request reaches the slave any more (a VALID already raised is withdrawn:
// the slave is dead), every response READY is held high and every late
// response is dropped, so nothing stale reaches the master logic, which
// sees a port that never answers (and timeout_o, to abort at once).
// Payloads bypass this module: gating the VALIDs is enough.
// Reset by rst_ni only: the core's soft reset must not revive a dead port.
module npu_axi_watchdog #(
  parameter int unsigned NReq = 1,   // request channels: AR, or AW and W
  parameter int unsigned NRsp = 1,   // response channels: R, or B
  parameter int unsigned CntW = 32   // width of limit_i (AXI_TIMEOUT.CYCLES)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic [CntW-1:0] limit_i,        // cycles without progress; 0: never
  input  logic            outstanding_i,  // the master has transactions in flight
  // master-logic side
  input  logic [NReq-1:0] req_valid_i,
  output logic [NReq-1:0] req_ready_o,
  output logic [NRsp-1:0] rsp_valid_o,
  input  logic [NRsp-1:0] rsp_ready_i,
  // AXI port side
  output logic [NReq-1:0] req_valid_o,
  input  logic [NReq-1:0] req_ready_i,
  input  logic [NRsp-1:0] rsp_valid_i,
  output logic [NRsp-1:0] rsp_ready_o,
  // the port timed out and is isolated (sticky until rst_ni)
  output logic            timeout_o
);
  logic            dead_q, busy, progress, count, expire;
  logic [CntW-1:0] cnt_q, cnt_inc;

  assign req_valid_o = dead_q ? '0 : req_valid_i;
  assign req_ready_o = dead_q ? '0 : req_ready_i;
  assign rsp_valid_o = dead_q ? '0 : rsp_valid_i;
  assign rsp_ready_o = dead_q ? '1 : rsp_ready_i;

  assign busy     = outstanding_i || (|req_valid_i);
  assign progress = (|(req_valid_o & req_ready_i)) || (|rsp_valid_i);
  assign count    = busy && !progress && !dead_q && (limit_i != '0);
  assign cnt_inc  = cnt_q + 1'b1;
  // >= so that lowering the limit below a running count expires at once
  assign expire   = count && (cnt_inc >= limit_i);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q  <= '0;
      dead_q <= 1'b0;
    end else begin
      cnt_q <= count ? cnt_inc : '0;
      if (expire) dead_q <= 1'b1;
    end
  end

  assign timeout_o = dead_q;

`ifndef SYNTHESIS
  a_isolated: assert property (@(posedge clk_i) disable iff (!rst_ni)
                               dead_q |-> (req_valid_o == '0) && (rsp_valid_o == '0))
    else $error("npu_axi_watchdog: traffic passed an isolated port");
  a_sticky: assert property (@(posedge clk_i) disable iff (!rst_ni) dead_q |=> dead_q)
    else $error("npu_axi_watchdog: an isolated port came back without rst_ni");
`endif
endmodule
