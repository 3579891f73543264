// One command queue (LOAD, GEMM, VEC or STORE) of the decoupled access/execute
// scheme: holds dispatched commands, waits for the dependency tokens the head
// command pops (one per set bit of its pop mask, from the queue that bit names),
// hands it to its engine, and pushes its tokens once the engine reports it
// finished. Commands retire in order; a NOP retires as soon as the commands
// before it have. An engine error at retirement becomes a fault with that
// command's address, and that command pushes no tokens.
module npu_queue #(
  parameter int unsigned Depth = 2,    // queued, not yet handed to the engine
  parameter int unsigned Outst = 4,    // handed to the engine, not yet retired
  localparam int unsigned NQ   = npu_isa_pkg::NumQueues
) (
  input  logic           clk_i,
  input  logic           rst_ni,
  input  logic           halt_i,         // fault or soft reset pending: start nothing more
  // from the dispatcher
  input  logic           in_valid_i,
  output logic           in_ready_o,
  input  logic [511:0]   in_cmd_i,
  input  logic [31:0]    in_addr_i,
  // head command, to the engine
  output logic           exec_valid_o,   // head may start (tokens present)
  output logic [511:0]   exec_cmd_o,
  output logic           exec_is_nop_o,
  input  logic           exec_ready_i,   // engine takes the head this cycle
  // engine completion, in order; err = fault code or 0
  input  logic           done_i,
  input  logic [7:0]     done_err_i,
  // tokens: tok_avail_i[q] = a token from queue q is waiting for this queue
  input  logic [NQ-1:0]  tok_avail_i,
  output logic [NQ-1:0]  tok_pop_o,
  output logic [NQ-1:0]  tok_push_o,
  output logic [31:0]    retire_addr_o,  // command retiring now (token overflow faults)
  // fault at retirement
  output logic           fault_o,
  output logic [7:0]     fault_code_o,
  output logic [31:0]    fault_addr_o,
  output logic           empty_o         // nothing queued, nothing outstanding
);
  logic         hq_valid, hq_pop;
  logic [$clog2(Depth+1)-1:0] hq_count;
  logic [$clog2(Outst+1)-1:0] ob_count, dn_count;
  logic [543:0] hq_data;
  npu_isa_pkg::cmd_hdr_t head;
  logic         is_nop, tokens_ok, dispatch, ob_ready;

  npu_fifo #(.Width(544), .Depth(Depth)) u_cmds (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i, .in_ready_o, .in_data_i({in_addr_i, in_cmd_i}),
    .out_valid_o(hq_valid), .out_ready_i(hq_pop), .out_data_o(hq_data), .count_o(hq_count));

  assign head      = hq_data[511:0];
  assign is_nop    = (head.opcode == npu_isa_pkg::OpNop);
  assign tokens_ok = &(~head.pop | tok_avail_i);

  assign exec_valid_o  = hq_valid && tokens_ok && ob_ready && !halt_i;
  assign exec_cmd_o    = hq_data[511:0];
  assign exec_is_nop_o = is_nop;
  assign dispatch      = exec_valid_o && (is_nop || exec_ready_i);
  assign hq_pop        = dispatch;
  assign tok_pop_o     = dispatch ? head.pop : '0;

  // outstanding: {nop, push mask, addr}
  localparam int unsigned ObW = 1 + NQ + 32;
  logic           ob_valid, ob_pop;
  logic [ObW-1:0] ob_data;
  npu_fifo #(.Width(ObW), .Depth(Outst)) u_outst (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(dispatch), .in_ready_o(ob_ready),
    .in_data_i({is_nop, head.push, hq_data[543:512]}),
    .out_valid_o(ob_valid), .out_ready_i(ob_pop), .out_data_o(ob_data), .count_o(ob_count));

  // engine completions not yet matched to a retiring command
  logic       dn_valid, dn_pop, dn_ready;
  logic [7:0] dn_err;
  npu_fifo #(.Width(8), .Depth(Outst)) u_done (
    .clk_i, .rst_ni, .clr_i(1'b0),
    .in_valid_i(done_i), .in_ready_o(dn_ready), .in_data_i(done_err_i),
    .out_valid_o(dn_valid), .out_ready_i(dn_pop), .out_data_o(dn_err), .count_o(dn_count));

  logic retire, err;
  assign retire = ob_valid && (ob_data[ObW-1] || dn_valid);
  assign ob_pop = retire;
  assign dn_pop = retire && !ob_data[ObW-1];
  assign err    = dn_pop && (dn_err != 8'd0);

  assign tok_push_o    = (retire && !err) ? ob_data[32 +: NQ] : '0;
  assign retire_addr_o = ob_data[31:0];
  assign fault_o       = err;
  assign fault_code_o  = dn_err;
  assign fault_addr_o  = ob_data[31:0];
  assign empty_o       = !hq_valid && !ob_valid;

`ifndef SYNTHESIS
  // An engine reports at most as many completions as commands it was given.
  a_done_fits: assert property (@(posedge clk_i) disable iff (!rst_ni) done_i |-> dn_ready)
    else $error("npu_queue: a completion without an outstanding command");
`endif

  logic unused;
  assign unused = ^{dn_ready, hq_count, ob_count, dn_count, head};
endmodule
