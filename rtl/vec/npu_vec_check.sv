// Combinational field checker of a VEC command (docs/isa.md, VEC). The
// command processor calls it before dispatching to npu_vec_engine. Priority:
// ILLEGAL_OPCODE, BAD_FIELD, then the range of the last word of src, dst and
// aux in that order (ACC_RANGE for an ACC stream, SPAD_RANGE otherwise). The
// opcode and token bits are the caller's. Same rules as sw/ref vec_check.
module npu_vec_check #(
  parameter int unsigned Cols       = 16,
  parameter int unsigned BusBytes   = 32,
  parameter int unsigned AspadWords = 8192,
  parameter int unsigned WspadWords = 2048,
  parameter int unsigned AccRows    = 1024,
  parameter int unsigned MaxLen     = 1024
) (
  input  npu_isa_pkg::cmd_vec_t cmd_i,
  output logic                  fault_o,
  output npu_isa_pkg::fault_e   code_o
);
  import npu_isa_pkg::*;
  localparam int unsigned LW = 48;  // wide enough that no address sum wraps

  cmd_vec_t       c;
  vec_func_info_t fi;
  assign c  = cmd_i;
  assign fi = vec_func_info(c.func);

  elem_e st, at;
  logic  src_acc, aux_acc, has_dst, has_aux, bytes_dst;
  assign src_acc   = (c.src_space == SpaceAcc);
  assign aux_acc   = (c.aux_space == SpaceAcc);
  assign st        = (c.src_space == SpaceAspad) ? fi.src_aspad : src_acc ? fi.src_acc : ElemNone;
  assign at        = (c.aux_space == SpaceAspad) ? fi.aux_aspad : aux_acc ? fi.aux_acc : ElemNone;
  assign has_dst   = (fi.dst != ElemNone);
  assign has_aux   = (fi.aux_aspad != ElemNone);
  assign bytes_dst = (fi.dst == ElemI8) || (fi.dst == ElemU8);

  // Elements per word of a stream of type t in a space (32-bit in ACC: one per column).
  function automatic logic [15:0] epw(elem_e t, logic acc);
    if (acc) return 16'(Cols);
    unique case (t)
      ElemI8, ElemU8: return 16'(BusBytes);
      ElemBf16:       return 16'(BusBytes / 2);
      default:        return 16'(BusBytes / 4);
    endcase
  endfunction

  // Word of the last element: addr + (rows-1)*rs + ((n-1)/group)*gs.
  function automatic logic [LW-1:0] last_word(logic [23:0] addr, logic [15:0] rs, logic [15:0] gs,
                                              logic [7:0] group, logic [15:0] cnt_rows,
                                              logic [15:0] cnt_n);
    logic [15:0] g;
    g = (cnt_n - 16'd1) / 16'(group);
    return LW'(addr) + LW'(16'(cnt_rows - 16'd1)) * LW'(rs) + LW'(g) * LW'(gs);
  endfunction

  function automatic logic signed [31:0] sx(logic [31:0] v, int unsigned bits);
    return 32'(signed'(v << (32 - bits))) >>> (32 - bits);
  endfunction

  logic        bad;
  logic [15:0] h, dst_epw;
  always_comb begin
    h       = c.n >> 1;
    dst_epw = c.dst_pairs ? 16'(BusBytes / 2) : epw(fi.dst, 1'b0);
    bad = (c.rows == '0) || (c.n == '0);
    if (c.func == VfParams) begin
      if ((c.n % 16'd3) != '0 || 32'(c.n) > 3 * MaxLen) bad = 1'b1;
    end else if (c.func == VfLutLoad) begin
      if (c.n != 16'd256) bad = 1'b1;
    end else if (32'(c.n) > MaxLen) begin
      bad = 1'b1;
    end
    if (st == ElemNone) bad = 1'b1;
    else if (c.src_group == '0 || 16'(c.src_group) > epw(st, src_acc)) bad = 1'b1;
    if (has_dst) begin
      if (c.dst_space != SpaceAspad && c.dst_space != SpaceWspad) bad = 1'b1;
      if (c.dst_pairs && !bytes_dst) bad = 1'b1;
      if (c.dst_group == '0 || 16'(c.dst_group) > dst_epw) bad = 1'b1;
    end
    if (has_aux) begin
      if (at == ElemNone) bad = 1'b1;
      else if (c.aux_group == '0 || 16'(c.aux_group) > epw(at, aux_acc)) bad = 1'b1;
    end
    if (c.func == VfRopeBf16) begin
      if (c.n[0] || c.src_group == '0 || c.dst_group == '0 || c.aux_group != c.src_group ||
          c.dst_group != c.src_group) bad = 1'b1;
      else if ((h % 16'(c.src_group)) != '0 || (h % 16'(c.dst_group)) != '0) bad = 1'b1;
    end
    if (c.func == VfSoftmaxI8 && (c.cfg0 == '0 || c.cfg0 > 32'(1 << 22))) bad = 1'b1;
    if (c.func == VfAddI8 || c.func == VfMulI8) begin
      if (sx(c.cfg3, 6) < -32'sd31 || sx(c.cfg3, 6) > 32'sd30 ||
          c.cfg1[15:0] == 16'h8000 || c.cfg1[31:16] == 16'h8000) bad = 1'b1;
    end
    if (c.func == VfLayernormI32 || c.func == VfRmsnormI32) begin
      if (c.cfg0 == '0 || sx(c.cfg2, 6) < -32'sd31 || sx(c.cfg2, 6) > 32'sd30) bad = 1'b1;
    end
  end

  // Divisions by a zero group are don't-care: bad masks them.
  logic [LW-1:0] src_last, dst_last, aux_last;
  logic [15:0]   dst_rows;
  assign dst_rows = c.dst_pairs ? ((c.rows >> 1) + 16'(c.rows[0])) : c.rows;
  assign src_last = last_word(c.src_addr, c.src_row_stride, c.src_group_stride, c.src_group, c.rows, c.n);
  assign dst_last = last_word(c.dst_addr, c.dst_row_stride, c.dst_group_stride, c.dst_group, dst_rows, c.n);
  assign aux_last = last_word(c.aux_addr, c.aux_row_stride, c.aux_group_stride, c.aux_group, c.rows, c.n);

  function automatic logic [LW-1:0] words(logic [1:0] s);
    return (s == SpaceAspad) ? LW'(AspadWords) : (s == SpaceWspad) ? LW'(WspadWords) : LW'(AccRows);
  endfunction

  always_comb begin
    code_o = ErrNone;
    if (!fi.legal) code_o = ErrIllegalOpcode;
    else if (bad) code_o = ErrBadField;
    else if (src_last >= words(c.src_space)) code_o = src_acc ? ErrAccRange : ErrSpadRange;
    else if (has_dst && dst_last >= words(c.dst_space)) code_o = ErrSpadRange;
    else if (has_aux && aux_last >= words(c.aux_space)) code_o = aux_acc ? ErrAccRange : ErrSpadRange;
  end
  assign fault_o = (code_o != ErrNone);

  logic unused;
  assign unused = ^{c.opcode, c.push, c.pop, c.rsvd_24, c.rsvd_58, c.rsvd_123, c.rsvd_186,
                    c.rsvd_280, c.rsvd_416, fi.passes, fi.params};
endmodule
