// Command encoding and fault codes (docs/isa.md). Referenced as
// npu_isa_pkg::Name (yosys 0.23 has no `import`).
package npu_isa_pkg;

  localparam int unsigned CmdBytes = 64;  // 16 words of 32 bits

  // opcodes (word 0 bits 7:0)
  localparam logic [7:0] OpLoad  = 8'h01;
  localparam logic [7:0] OpStore = 8'h02;
  localparam logic [7:0] OpGemm  = 8'h03;
  localparam logic [7:0] OpVec   = 8'h04;
  localparam logic [7:0] OpNop   = 8'h05;
  localparam logic [7:0] OpFence = 8'h06;
  localparam logic [7:0] OpIrq   = 8'h07;

  // dependency flag bits in word 0
  localparam int unsigned PopPrevBit  = 8;
  localparam int unsigned PopNextBit  = 9;
  localparam int unsigned PushPrevBit = 10;
  localparam int unsigned PushNextBit = 11;

  // queues
  localparam logic [1:0] QLoad    = 2'd0;
  localparam logic [1:0] QCompute = 2'd1;
  localparam logic [1:0] QStore   = 2'd2;

  // local memory spaces
  localparam logic [1:0] SpaceAspad = 2'd0;
  localparam logic [1:0] SpaceWspad = 2'd1;
  localparam logic [1:0] SpaceAcc   = 2'd2;

  // fault codes (ERR_CODE)
  localparam logic [7:0] ErrNone          = 8'd0;
  localparam logic [7:0] ErrIllegalOpcode = 8'd1;
  localparam logic [7:0] ErrAddrWindow    = 8'd2;
  localparam logic [7:0] ErrSpadRange     = 8'd3;
  localparam logic [7:0] ErrAccRange      = 8'd4;
  localparam logic [7:0] ErrAlign         = 8'd5;
  localparam logic [7:0] ErrBadField      = 8'd6;
  localparam logic [7:0] ErrAxiSlverr     = 8'd7;
  localparam logic [7:0] ErrAxiDecerr     = 8'd8;

  // AXI response codes
  localparam logic [1:0] RespOkay   = 2'b00;
  localparam logic [1:0] RespSlverr = 2'b10;
  localparam logic [1:0] RespDecerr = 2'b11;

endpackage
