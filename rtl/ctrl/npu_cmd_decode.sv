// Decode of one fetched command: npu_cmd_check (every opcode but VEC's
// fields) and npu_vec_check (VEC fields) behind the fault order of
// docs/isa.md §5: the fetch entry's own fault (AXI response, ring or window
// check) first, then the command checker, then the VEC field checker.
// Combinational. Its verdict is what AccelModel::check returns (tb/ctrl).
module npu_cmd_decode #(
  parameter int unsigned Rows       = 4,
  parameter int unsigned Cols       = 4,
  parameter int unsigned BusBytes   = 16,
  parameter int unsigned AspadWords = 1024,
  parameter int unsigned WspadWords = 256,
  parameter int unsigned AccRows    = 256,
  parameter int unsigned AccWpr     = 2,
  parameter int unsigned VecMaxLen  = 64
) (
  input  logic [511:0] cmd_i,
  input  logic [7:0]   fetch_err_i,  // npu_isa_pkg::fault_e of the fetch, ErrNone if none
  input  logic [31:0]  window_base_i,
  input  logic [31:0]  window_size_i,
  output logic         fault_o,
  output logic [7:0]   code_o,
  output logic [1:0]   queue_o,       // valid for LOAD/STORE/GEMM/VEC/NOP
  output logic         is_barrier_o   // FENCE or IRQ
);
  logic       chk_fault, chk_vec, vchk_fault;
  logic [7:0] chk_code, vchk_code;

  npu_cmd_check #(
    .BusBytes(BusBytes), .AspadWords(AspadWords), .WspadWords(WspadWords),
    .AccRows(AccRows), .AccWpr(AccWpr), .Rows(Rows), .Cols(Cols)
  ) u_check (
    .cmd_i, .window_base_i, .window_size_i,
    .fault_o(chk_fault), .code_o(chk_code), .queue_o,
    .is_vec_o(chk_vec), .is_barrier_o);

  npu_vec_check #(
    .Cols(Cols), .BusBytes(BusBytes), .AspadWords(AspadWords), .WspadWords(WspadWords),
    .AccRows(AccRows), .MaxLen(VecMaxLen)
  ) u_vcheck (.cmd_i, .fault_o(vchk_fault), .code_o(vchk_code));

  always_comb begin
    fault_o = 1'b1;
    code_o  = fetch_err_i;
    if (fetch_err_i != npu_isa_pkg::ErrNone) begin
      code_o = fetch_err_i;
    end else if (chk_fault) begin
      code_o = chk_code;
    end else if (chk_vec && vchk_fault) begin
      code_o = vchk_code;
    end else begin
      fault_o = 1'b0;
    end
  end
endmodule
