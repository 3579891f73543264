// Combinational command checker for every opcode except VEC's fields (those
// are checked by npu_vec_check): field ranges, alignment, memory window and
// local ranges, in the fault priority of docs/isa.md §5. All sums are formed
// in 64 bits so nothing wraps.
module npu_cmd_check #(
  parameter int unsigned BusBytes   = 16,
  parameter int unsigned AspadWords = 1024,
  parameter int unsigned WspadWords = 256,
  parameter int unsigned AccRows    = 256,
  parameter int unsigned AccWpr     = 2,   // bus words per ACC row (DMA view)
  parameter int unsigned Rows       = 4,
  parameter int unsigned Cols       = 4
) (
  input  logic [511:0] cmd_i,
  input  logic [31:0]  window_base_i,
  input  logic [31:0]  window_size_i,
  output logic         fault_o,
  output logic [7:0]   code_o,
  output logic [1:0]   queue_o,    // valid for LOAD/STORE/GEMM/VEC/NOP
  output logic         is_vec_o,
  output logic         is_barrier_o  // FENCE or IRQ
);
  // LOAD and STORE share one layout.
  npu_isa_pkg::cmd_hdr_t  hdr;
  npu_isa_pkg::cmd_load_t xfer;
  npu_isa_pkg::cmd_gemm_t gemm;
  npu_isa_pkg::cmd_nop_t  nop;
  logic [7:0] op;
  logic [3:0] tok;  // queues the command pops from or pushes to
  assign hdr  = cmd_i;
  assign xfer = cmd_i;
  assign gemm = cmd_i;
  assign nop  = cmd_i;
  assign op   = hdr.opcode;
  assign tok  = hdr.pop | hdr.push;

  // -------------------------------------------------------------- LOAD/STORE
  logic [15:0] rows, row_words;
  logic [1:0]  space;
  logic [63:0] dram_first, dram_last, win_lo, win_hi, local_last, space_words;
  logic        is_load, is_store, is_gemm;

  assign is_load   = (op == npu_isa_pkg::OpLoad);
  assign is_store  = (op == npu_isa_pkg::OpStore);
  assign is_gemm   = (op == npu_isa_pkg::OpGemm);
  assign rows      = xfer.rows;
  assign row_words = xfer.row_words;
  assign space     = xfer.space;
  assign dram_first = {32'd0, xfer.dram_addr};
  assign dram_last  = dram_first + (64'(rows) - 64'd1) * 64'(xfer.dram_stride)
                      + 64'(row_words) * 64'(BusBytes) - 64'd1;
  assign win_lo     = {32'd0, window_base_i};
  assign win_hi     = win_lo + {32'd0, window_size_i};  // exclusive
  assign local_last = 64'(xfer.local_addr) + (64'(rows) - 64'd1) * 64'(xfer.local_stride)
                      + 64'(row_words) - 64'd1;
  assign space_words = (space == npu_isa_pkg::SpaceAspad) ? 64'(AspadWords) :
                       (space == npu_isa_pkg::SpaceWspad) ? 64'(WspadWords) :
                       64'(AccRows) * 64'(AccWpr);

  logic space_ok;
  always_comb begin
    space_ok = 1'b0;
    if (is_load)  space_ok = (space == npu_isa_pkg::SpaceAspad) || (space == npu_isa_pkg::SpaceWspad);
    if (is_store) space_ok = (space == npu_isa_pkg::SpaceAspad) || (space == npu_isa_pkg::SpaceWspad) ||
                             (space == npu_isa_pkg::SpaceAcc);
  end

  // -------------------------------------------------------------------- GEMM
  logic [15:0] m, k_tiles, n_tiles;
  logic [63:0] a_last, w_last, acc_last, tile_words;
  assign m          = gemm.m;
  assign k_tiles    = gemm.k_tiles;
  assign n_tiles    = gemm.n_tiles;
  assign tile_words = gemm.w_transposed ? 64'(Cols) : 64'(Rows);
  assign a_last     = 64'(gemm.a_addr) + (64'(k_tiles) - 64'd1) * 64'(gemm.a_kstride) + 64'(m) - 64'd1;
  assign w_last     = 64'(gemm.w_addr) + (64'(k_tiles) - 64'd1) * 64'(gemm.w_kstride)
                      + (64'(n_tiles) - 64'd1) * 64'(gemm.w_nstride) + tile_words - 64'd1;
  assign acc_last   = 64'(gemm.acc_addr) + (64'(n_tiles) - 64'd1) * 64'(gemm.acc_nstride)
                      + 64'(m) - 64'd1;

  // ------------------------------------------------------------------ verdict
  // A command takes no tokens from or to its own queue; FENCE and IRQ take none.
  logic bad_dep;
  always_comb begin
    fault_o      = 1'b0;
    code_o       = npu_isa_pkg::ErrNone;
    queue_o      = npu_isa_pkg::QGemm;
    is_vec_o     = 1'b0;
    is_barrier_o = 1'b0;
    bad_dep      = 1'b0;
    unique case (op)
      npu_isa_pkg::OpLoad:  queue_o = npu_isa_pkg::QLoad;
      npu_isa_pkg::OpStore: queue_o = npu_isa_pkg::QStore;
      npu_isa_pkg::OpGemm:  queue_o = npu_isa_pkg::QGemm;
      npu_isa_pkg::OpVec: begin
        queue_o  = npu_isa_pkg::QVec;
        is_vec_o = 1'b1;
      end
      npu_isa_pkg::OpNop: queue_o = nop.target;
      npu_isa_pkg::OpFence, npu_isa_pkg::OpIrq: begin
        is_barrier_o = 1'b1;
        bad_dep      = (tok != 4'd0);
      end
      default: begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrIllegalOpcode;
      end
    endcase

    if (!is_barrier_o && tok[queue_o]) bad_dep = 1'b1;
    if (!fault_o && bad_dep) begin
      fault_o = 1'b1;
      code_o  = npu_isa_pkg::ErrBadField;
    end else if (!fault_o && (is_load || is_store)) begin
      if (rows == '0 || row_words == '0 || !space_ok) begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrBadField;
      end else if ((xfer.dram_addr % BusBytes) != 0 || (xfer.dram_stride % BusBytes) != 0) begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrAlign;
      end else if (dram_first < win_lo || dram_last >= win_hi || dram_last >= 64'h1_0000_0000) begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrAddrWindow;
      end else if (local_last >= space_words) begin
        fault_o = 1'b1;
        code_o  = (space == npu_isa_pkg::SpaceAcc) ? npu_isa_pkg::ErrAccRange
                                                   : npu_isa_pkg::ErrSpadRange;
      end
    end else if (!fault_o && is_gemm) begin
      if (m == '0 || k_tiles == '0 || n_tiles == '0 || (gemm.bf16 && gemm.a_unsigned)) begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrBadField;
      end else if (a_last >= 64'(AspadWords) || w_last >= 64'(WspadWords)) begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrSpadRange;
      end else if (acc_last >= 64'(AccRows)) begin
        fault_o = 1'b1;
        code_o  = npu_isa_pkg::ErrAccRange;
      end
    end
  end

  logic unused;
  // reserved bits and the fields other checkers own
  assign unused = ^{hdr, xfer, gemm, nop};
endmodule
