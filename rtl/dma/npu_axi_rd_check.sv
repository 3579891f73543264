// Read-response checker of one AXI read master (command fetch, LOAD DMA):
// remembers {ARID, ARLEN} of every accepted burst (in order: the master uses
// one ID) and checks each R beat against them. bad_o flags a presented beat
// (valid assumed; it does not depend on RREADY, so the master may use it to
// drop the beat) that breaks the rules: no burst in flight, RID other than the one issued, RLAST not on
// the burst's last beat (early or missing), or EXOKAY (no exclusive access is
// ever issued). last_o is the end of the burst by count, so a master that
// counts bursts with it stays in step even when RLAST is wrong.
module npu_axi_rd_check #(
  parameter int unsigned IdW    = 1,
  parameter int unsigned MaxOut = 4    // bursts the master keeps in flight at most
) (
  input  logic           clk_i,
  input  logic           rst_ni,
  input  logic           ar_fire_i,   // AR handshake
  input  logic [7:0]     ar_len_i,
  input  logic [IdW-1:0] ar_id_i,
  input  logic           r_fire_i,    // R handshake
  input  logic           r_last_i,
  input  logic [IdW-1:0] r_id_i,
  input  logic [1:0]     r_resp_i,
  output logic           last_o,      // this beat ends its burst (by count)
  output logic           bad_o        // this beat is a protocol error
);
  logic           q_valid, q_ready;
  logic [7:0]     q_len;
  logic [IdW-1:0] q_id;
  logic [7:0]     beat_q;
  logic [$clog2(MaxOut+1)-1:0] unused_count;

  npu_fifo #(.Width(IdW + 8), .Depth(MaxOut)) u_bursts (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(ar_fire_i), .in_ready_o(q_ready), .in_data_i({ar_id_i, ar_len_i}),
    .out_valid_o(q_valid), .out_ready_i(r_fire_i && last_o), .out_data_o({q_id, q_len}),
    .count_o(unused_count));

  assign last_o = q_valid && (beat_q == q_len);
  assign bad_o  = !q_valid || (r_id_i != q_id) || (r_last_i != last_o) ||
                  (r_resp_i == npu_pkg::RespExokay);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)                  beat_q <= '0;
    else if (r_fire_i && q_valid) beat_q <= last_o ? '0 : beat_q + 8'd1;
  end

`ifndef SYNTHESIS
  a_room: assert property (@(posedge clk_i) disable iff (!rst_ni) ar_fire_i |-> q_ready)
    else $error("npu_axi_rd_check: more than MaxOut bursts in flight");
`endif
endmodule
