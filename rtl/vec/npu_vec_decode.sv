// Properties of a VEC func (docs/isa.md, VEC): legality, element types of the
// streams, which streams it uses and which unit of npu_vec_engine runs it.
// Shared by npu_vec_check and npu_vec_engine. Combinational.
// Types: 0 = INT8 (byte lanes), 1 = BF16 (halfword lanes), 2 = INT32.
module npu_vec_decode (
  input  logic [7:0] func_i,
  output logic       legal_o,
  output logic [1:0] src_type_o,
  output logic [1:0] dst_type_o,
  output logic       has_dst_o,
  output logic       has_aux_o,     // aux stream (gamma or operand b)
  output logic       aux_rows_o,    // aux uses aux_row_stride (operand b); else row stride 0
  output logic       has_aux2_o,    // aux2 stream (beta)
  output logic [3:0] unit_o
);

  localparam logic [1:0] TI8 = 2'd0, TBF = 2'd1, TI32 = 2'd2;

  always_comb begin
    legal_o    = 1'b1;
    src_type_o = TI8;
    dst_type_o = TI8;
    has_dst_o  = 1'b1;
    has_aux_o  = 1'b0;
    aux_rows_o = 1'b0;
    has_aux2_o = 1'b0;
    unit_o     = 4'd0;
    unique case (func_i)
      8'h01: begin src_type_o = TI32; unit_o = 4'd0; end                    // REQUANT
      8'h02: begin src_type_o = TI32; has_dst_o = 1'b0; unit_o = 4'd1; end  // REQ_PARAMS
      8'h03: unit_o = 4'd2;                                                 // GELU_I8
      8'h04: unit_o = 4'd3;                                                 // SILU_I8
      8'h05: begin has_dst_o = 1'b0; unit_o = 4'd4; end                     // SILU_TABLE
      8'h06, 8'h07: begin has_aux_o = 1'b1; aux_rows_o = 1'b1; unit_o = 4'd5; end  // ADD/MUL_I8
      8'h08: unit_o = 4'd6;                                                 // SOFTMAX_I8
      8'h10: begin src_type_o = TBF; dst_type_o = TBF; unit_o = 4'd7; end   // SOFTMAX_BF16
      8'h11: begin                                                          // LAYERNORM_BF16
        src_type_o = TBF; dst_type_o = TBF; has_aux_o = 1'b1; has_aux2_o = 1'b1; unit_o = 4'd8;
      end
      8'h12: begin src_type_o = TBF; dst_type_o = TBF; has_aux_o = 1'b1; unit_o = 4'd9; end  // RMSNORM
      8'h13, 8'h14: begin src_type_o = TBF; dst_type_o = TBF; unit_o = 4'd10; end  // GELU/SILU_BF16
      8'h15, 8'h16: begin                                                   // ADD/MUL_BF16
        src_type_o = TBF; dst_type_o = TBF; has_aux_o = 1'b1; aux_rows_o = 1'b1; unit_o = 4'd11;
      end
      default: legal_o = 1'b0;
    endcase
  end

endmodule
