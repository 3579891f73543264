// Word -> lane values (combinational): lane l takes slot l + delta of the word
// (elements of eb bytes), widened to 32 bits: BF16 -> FP32 (DAZ, canonical
// NaN), INT8 sign-extended, 32-bit elements as they are. Slots outside the
// word read as zero (those lanes are inactive).
module vec_unpack #(
  parameter int unsigned Lanes = 16,
  parameter int unsigned WB    = 32     // word bytes
) (
  input  logic [WB*8-1:0]      word_i,
  input  logic [1:0]           eb_i,     // 0: 1 byte, 1: 2 bytes, 2: 4 bytes
  input  logic                 bf16_i,   // 2-byte elements are BF16
  input  logic signed [8:0]    delta_i,
  output logic [Lanes*32-1:0]  lane_o
);
  localparam int unsigned Pad = 4 * Lanes;       // bytes below the word
  localparam int unsigned EW  = (WB + Pad) * 8;
  localparam int unsigned SHW = $clog2(WB + Pad + 1);

  logic [EW-1:0]  ext, win;
  logic signed [11:0] boff;   // delta in bytes
  logic [SHW-1:0] amt;
  assign boff = 12'(delta_i) <<< eb_i;
  assign amt  = SHW'(12'(Pad) + boff);   // >= 4: delta >= -(Lanes - 1)
  assign ext  = {word_i, {Pad{8'h00}}};
  assign win  = ext >> {amt, 3'b000};

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [15:0] h;
    logic [31:0] v;
    assign h = win[16*l +: 16];
    always_comb begin
      unique case (eb_i)
        2'd0: v = {{24{win[8*l+7]}}, win[8*l +: 8]};
        2'd1: begin
          if (!bf16_i)                               v = {16'd0, h};
          else if (h[14:7] == 8'hFF && h[6:0] != '0) v = vec_pkg::Fp32CanonicalNan;
          else if (h[14:7] == '0)                    v = {h[15], 31'd0};
          else                                       v = {h, 16'd0};
        end
        default: v = win[32*l +: 32];
      endcase
    end
    assign lane_o[32*l +: 32] = v;
  end
  // the window is wider than the lanes read (byte offsets of any element size)
  logic unused;
  assign unused = ^win;
endmodule
