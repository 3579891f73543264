// Project-wide constants. yosys 0.23 cannot `import` packages, so RTL refers
// to these with the qualified form npu_pkg::Name.
package npu_pkg;

  // Element widths: A/W elements travel as 16 bits (BF16, or INT8 in the low
  // byte); accumulators are 32 bits (FP32 bits or int32).
  localparam int unsigned ElemW = 16;
  localparam int unsigned Int8W = 8;
  localparam int unsigned AccW  = 32;

  // Mode carried with every activation beat: bit 0 BF16 (else INT8), bit 1
  // INT8 activations are unsigned (uint8 0..255; weights stay int8).
  localparam int unsigned ModeW = 2;
  localparam logic [ModeW-1:0] ModeInt8  = 2'b00;
  localparam logic [ModeW-1:0] ModeBf16  = 2'b01;
  localparam logic [ModeW-1:0] ModeUint8 = 2'b10;

  // Cycles from a PE's inputs (activation, weight, partial sum) to its
  // registered partial-sum output: the bf16_mac pipeline depth.
  localparam int unsigned PeLatency = 2;

  // AXI response codes (RRESP/BRESP).
  localparam logic [1:0] RespOkay   = 2'b00;
  localparam logic [1:0] RespExokay = 2'b01;  // never valid here: no exclusive accesses
  localparam logic [1:0] RespSlverr = 2'b10;
  localparam logic [1:0] RespDecerr = 2'b11;

  // The fault code of a read or write response (npu_isa_pkg::fault_e): one that
  // breaks the AXI rules (proto) AXI_PROTOCOL, else SLVERR / DECERR, else none.
  function automatic logic [7:0] axi_fault(logic proto, logic [1:0] resp);
    if (proto) return npu_isa_pkg::ErrAxiProtocol;
    if (resp == RespSlverr) return npu_isa_pkg::ErrAxiSlverr;
    if (resp == RespDecerr) return npu_isa_pkg::ErrAxiDecerr;
    return npu_isa_pkg::ErrNone;
  endfunction

  // The one NaN every NaN result is replaced with.
  localparam logic [AccW-1:0] Fp32CanonicalNan = 32'h7FC0_0000;

endpackage
