// One lane of INT32 -> INT8 requantization (TFLite single rounding):
// r = (x * M + 2^(ts-1)) >> ts with ts = 31 - shift (floor shift, so ties
// round up), saturated to int32; out = clamp(r + zero_point, -128, 127).
// Two register stages: the 64-bit product, then round/shift/saturate/clamp.
// Out-of-range shifts (the model rejects them) give ts = 0 or 63 here.
module vec_i8_requant_lane (
  input  logic                                  clk_i,
  input  logic                                  rst_ni,
  input  logic [vec_i8_pkg::ReqLaneDepth-1:0]   load_i,   // per stage, from vec_i8_pipe
  input  logic [31:0]                           x_i,
  input  logic [vec_i8_pkg::ReqMultWidth-1:0]   mult_i,
  input  logic [vec_i8_pkg::ReqShiftWidth-1:0]  shift_i,
  input  logic [31:0]                           zp_i,
  output logic [7:0]                            q_o
);

  localparam logic signed [63:0] Int32Max = 64'sd2147483647;
  localparam logic signed [63:0] Int32Min = -64'sd2147483648;

  // Stage 1: exact product (|x * M| < 2^62).
  logic signed [63:0] prod_d, prod_q;
  logic [6:0]         tshift_d, tshift_q;
  logic [31:0]        zp_q;

  assign prod_d   = 64'($signed(x_i)) * 64'($signed({1'b0, mult_i}));
  assign tshift_d = 7'd31 - {shift_i[vec_i8_pkg::ReqShiftWidth-1], shift_i};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prod_q   <= '0;
      tshift_q <= '0;
      zp_q     <= '0;
    end else if (load_i[0]) begin
      prod_q   <= prod_d;
      tshift_q <= tshift_d;
      zp_q     <= zp_i;
    end
  end

  // Stage 2: round half up, floor shift, saturate, add zero point, clamp.
  logic signed [63:0] rnd, shifted;
  logic signed [31:0] sat;
  logic signed [32:0] with_zp;
  logic [7:0]         q_d, q_q;

  always_comb begin
    rnd     = (tshift_q == '0) ? '0 : $signed(64'd1 << (tshift_q - 7'd1));
    // prod + rnd < 2^62 + 2^61: no overflow.
    shifted = (prod_q + rnd) >>> tshift_q;
    if (shifted > Int32Max)      sat = 32'sh7FFF_FFFF;
    else if (shifted < Int32Min) sat = -32'sh8000_0000;
    else                         sat = shifted[31:0];
    with_zp = 33'(sat) + 33'($signed(zp_q));
    if (with_zp > 33'sd127)       q_d = 8'h7F;
    else if (with_zp < -33'sd128) q_d = 8'h80;
    else                          q_d = with_zp[7:0];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_q <= '0;
    end else if (load_i[1]) begin
      q_q <= q_d;
    end
  end

  assign q_o = q_q;

endmodule
