// The rules a legal AXI4 slave keeps, as assumptions for a formal harness
// (the master's rules are asserted by rtl/dma/npu_axi_rules.sv): a response
// holds VALID and its payload until READY; R beats come only for accepted
// bursts, in order, with the burst's ID and RLAST on its last beat; a B comes
// only for a burst whose W is complete, with its ID. Responses may carry any
// RRESP/BRESP and may stall for any number of cycles.
module axi_slave_assume #(
  parameter int unsigned IdW    = 1,
  parameter int unsigned MaxOut = 4,     // bursts the master keeps outstanding at most
  parameter bit          Write  = 1'b0   // 1: AW/W/B, 0: AR/R
) (
  input logic           clk_i,
  input logic           rst_ni,
  input logic           ax_fire_i,
  input logic [7:0]     ax_len_i,
  input logic [IdW-1:0] ax_id_i,
  input logic           w_fire_i,
  input logic           w_last_i,
  input logic           rsp_valid_i,
  input logic           rsp_ready_i,
  input logic           rsp_last_i,   // RLAST (read only)
  input logic [1:0]     rsp_resp_i,
  input logic [IdW-1:0] rsp_id_i
);
  localparam int unsigned Slots = MaxOut + 1;
  localparam int unsigned SlotW = $clog2(Slots) > 0 ? $clog2(Slots) : 1;
  localparam int unsigned CntW  = $clog2(Slots + 1);

  // accepted bursts in order: their length and ID; data_q of them still in
  // their data phase (R or W beats to come), done_q with W complete awaiting B
  logic [7:0]       len_q [Slots];
  logic [IdW-1:0]   id_q  [Slots];
  logic [SlotW-1:0] tail_q, dhead_q, bhead_q;
  logic [CntW-1:0]  data_q, wdone_q;
  logic [7:0]       beat_q;
  logic             rsp_wait_q;
  logic [IdW+3-1:0] rsp_pay_q;

  function automatic logic [SlotW-1:0] next_slot(logic [SlotW-1:0] s);
    return (32'(s) == Slots - 1) ? '0 : s + SlotW'(1);
  endfunction

  logic rsp_fire, data_fire, data_last, b_fire;
  assign rsp_fire  = rsp_valid_i && rsp_ready_i;
  assign data_fire = Write ? w_fire_i : rsp_fire;
  assign data_last = data_fire && data_q != '0 && beat_q == len_q[dhead_q];
  assign b_fire    = Write && rsp_fire;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tail_q <= '0; dhead_q <= '0; bhead_q <= '0;
      data_q <= '0; wdone_q <= '0; beat_q <= '0;
      rsp_wait_q <= 1'b0; rsp_pay_q <= '0;
      for (int i = 0; i < Slots; i++) begin len_q[i] <= '0; id_q[i] <= '0; end
    end else begin
      if (ax_fire_i) begin
        len_q[tail_q] <= ax_len_i;
        id_q[tail_q]  <= ax_id_i;
        tail_q        <= next_slot(tail_q);
      end
      if (data_last) dhead_q <= next_slot(dhead_q);
      if (b_fire)    bhead_q <= next_slot(bhead_q);
      data_q  <= data_q + CntW'(ax_fire_i) - CntW'(data_last);
      wdone_q <= wdone_q + CntW'(Write && data_last) - CntW'(b_fire);
      if (data_fire && data_q != '0) beat_q <= data_last ? 8'd0 : beat_q + 8'd1;
      rsp_wait_q <= rsp_valid_i && !rsp_ready_i;
      rsp_pay_q  <= {rsp_id_i, rsp_resp_i, rsp_last_i};
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (rsp_wait_q) assume (rsp_valid_i && {rsp_id_i, rsp_resp_i, rsp_last_i} == rsp_pay_q);
      if (!Write && rsp_valid_i)
        assume (data_q != '0 && rsp_id_i == id_q[dhead_q] && rsp_last_i == (beat_q == len_q[dhead_q]));
      if (Write && rsp_valid_i) assume (wdone_q != '0 && rsp_id_i == id_q[bhead_q]);
    end
  end

  logic unused;
  assign unused = w_last_i;
endmodule
