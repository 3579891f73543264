// Combinational field checker of a VEC command (docs/isa.md, sections 4 VEC
// and 5). The command processor calls it before dispatching to
// npu_vec_engine. Priority: ILLEGAL_OPCODE, BAD_FIELD, then the range of
// the last word of the streams src, dst, aux, aux2 (in that order; ACC_RANGE
// for an ACC source, SPAD_RANGE otherwise). Only word 0 bits 23:16 (func)
// and words 1..9 are examined; the opcode and token bits are the caller's.
module npu_vec_check #(
  parameter int unsigned Cols        = 16,
  parameter int unsigned BusBytes    = 32,
  parameter int unsigned AspadWords  = 8192,
  parameter int unsigned AccRows     = 1024,
  parameter int unsigned MaxLen      = 1024,
  parameter int unsigned ReqChannels = MaxLen
) (
  input  logic [16*32-1:0] cmd_i,
  output logic             fault_o,
  output logic [7:0]       code_o
);

  localparam logic [7:0] CodeNone = 8'd0, CodeIllegal = 8'd1, CodeSpad = 8'd3,
                         CodeAcc = 8'd4, CodeBadField = 8'd6;
  localparam logic [1:0] SpaceAspad = 2'd0, SpaceAcc = 2'd2;
  localparam int unsigned LW = 48;  // wide enough that no address sum wraps

  npu_isa_pkg::cmd_vec_t c;
  assign c = cmd_i;

  logic [7:0]  func;
  logic [23:0] src_addr, dst_addr, aux_addr, aux2_addr;
  logic [1:0]  src_space;
  logic [15:0] src_rs, src_gs, dst_rs, dst_gs, aux_rs, aux_gs, rows, n;
  logic [7:0]  src_group, dst_group, aux_group;

  assign func      = c.func;
  assign src_addr  = c.src_addr;
  assign src_space = c.src_space;
  assign src_rs    = c.src_row_stride;
  assign src_gs    = c.src_group_stride;
  assign dst_addr  = c.dst_addr;
  assign dst_rs    = c.dst_row_stride;
  assign dst_gs    = c.dst_group_stride;
  assign aux_addr  = c.aux_addr;
  assign aux2_addr = c.aux2_addr;
  assign rows      = c.rows;
  assign n         = c.n;
  assign src_group = c.src_group;
  assign dst_group = c.dst_group;
  assign aux_group = c.aux_group;
  assign aux_rs    = c.aux_row_stride;
  assign aux_gs    = c.aux_group_stride;

  logic       legal, has_dst, has_aux, aux_rows, has_aux2;
  logic [1:0] src_type, dst_type;
  logic [3:0] unused_unit;

  npu_vec_decode u_dec (
    .func_i     (func),
    .legal_o    (legal),
    .src_type_o (src_type),
    .dst_type_o (dst_type),
    .has_dst_o  (has_dst),
    .has_aux_o  (has_aux),
    .aux_rows_o (aux_rows),
    .has_aux2_o (has_aux2),
    .unit_o     (unused_unit)
  );

  // Elements per word of a stream of type t (INT32: in ACC one per column).
  function automatic logic [15:0] epw(input logic [1:0] t, input logic acc);
    if (t == 2'd0)      epw = 16'(BusBytes);
    else if (t == 2'd1) epw = 16'(BusBytes / 2);
    else if (acc)       epw = 16'(Cols);
    else                epw = 16'(BusBytes / 4);
  endfunction

  // Word index of the last element of a stream: addr + (rows-1)*rs + ((n-1)/group)*gs.
  function automatic logic [LW-1:0] last_word(input logic [23:0] addr, input logic [15:0] rs,
                                              input logic [15:0] gs, input logic [7:0] group,
                                              input logic [15:0] cnt_rows, input logic [15:0] cnt_n);
    logic [15:0] g, rm1;
    g   = (cnt_n - 16'd1) / 16'(group);
    rm1 = cnt_rows - 16'd1;
    last_word = LW'(addr) + LW'(rm1) * LW'(rs) + LW'(g) * LW'(gs);
  endfunction

  logic          src_acc, bad_field;
  logic [LW-1:0] src_last, dst_last, aux_last, aux2_last;

  assign src_acc = (src_space == SpaceAcc);

  always_comb begin
    bad_field = 1'b0;
    // n <= MaxLen, except REQ_PARAMS (n <= 3*ReqChannels, below) and
    // SILU_TABLE (n == 256), which fill parameter memories, not row buffers.
    if (rows == '0 || n == '0) bad_field = 1'b1;
    if (func != 8'h02 && func != 8'h05 && 32'(n) > MaxLen) bad_field = 1'b1;
    // Source space: ASPAD, or ACC for INT32-source funcs.
    if (!(src_space == SpaceAspad || (src_acc && src_type == 2'd2))) bad_field = 1'b1;
    if (src_group == '0 || 16'(src_group) > epw(src_type, src_acc)) bad_field = 1'b1;
    if (has_dst && (dst_group == '0 || 16'(dst_group) > epw(dst_type, 1'b0))) bad_field = 1'b1;
    if (has_aux && (aux_group == '0 || 16'(aux_group) > epw(src_type, 1'b0))) bad_field = 1'b1;
    if (func == 8'h02 && ((n % 16'd3) != '0 || 32'(n) > 3 * ReqChannels)) bad_field = 1'b1;
    if (func == 8'h01 && 32'(n) > ReqChannels) bad_field = 1'b1;
    if (func == 8'h05 && n != 16'd256) bad_field = 1'b1;
  end

  // Divisions by a zero group are don't-care: bad_field masks them.
  assign src_last  = last_word(src_addr, src_rs, src_gs, src_group, rows, n);
  assign dst_last  = last_word(dst_addr, dst_rs, dst_gs, dst_group, rows, n);
  assign aux_last  = last_word(aux_addr, aux_rows ? aux_rs : 16'd0, aux_gs, aux_group, rows, n);
  assign aux2_last = last_word(aux2_addr, 16'd0, aux_gs, aux_group, rows, n);

  always_comb begin
    code_o = CodeNone;
    if (!legal) code_o = CodeIllegal;
    else if (bad_field) code_o = CodeBadField;
    else if (src_acc && src_last >= LW'(AccRows)) code_o = CodeAcc;
    else if (!src_acc && src_last >= LW'(AspadWords)) code_o = CodeSpad;
    else if (has_dst && dst_last >= LW'(AspadWords)) code_o = CodeSpad;
    else if (has_aux && aux_last >= LW'(AspadWords)) code_o = CodeSpad;
    else if (has_aux2 && aux2_last >= LW'(AspadWords)) code_o = CodeSpad;
  end

  assign fault_o = (code_o != CodeNone);

  // Opcode, token bits and cfg words are not this checker's.
  logic unused_words;
  assign unused_words = ^c;

endmodule
