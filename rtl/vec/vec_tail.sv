// The TL stage of a vector lane (combinational): the element's output.
//   TlBf16   narrow(v) (a NaN row of softmax: NaN)
//   TlQuant  clamp(rne(clamp(v, +-512)) + zp, -128, 127)          [QUANT_I8]
//   TlIreq   clamp(sat32((v + 2^(ts-1)) >>> ts) + zp, -128, 127), ts = 31 - shift,
//            v = acc * mult (numerics.md, Requantization)
//   TlIsm    min(255, (v + 2^(rc-1)) >> rc)                       [SOFTMAX_I8]
//   TlLut    the LUT index of x
// lut_idx_o is the LUT address of the result (x + 128 or q + 128).
module vec_tail (
  input  vec_pkg::tl_op_e op_i,
  input  logic [63:0]     v_i,
  input  logic [31:0]     x_i,
  input  logic [5:0]      p2_i,     // per-channel shift (REQUANT)
  input  vec_pkg::vcmd_t  cmd_i,
  input  logic [7:0]      rc_i,
  input  logic            rnan_i,
  output logic [15:0]     y_o,
  output logic [7:0]      lut_idx_o
);
  import vec_pkg::*;

  // ---- BF16
  logic [15:0] bf;
  fp32_to_bf16 u_bf (.f_i(v_i[31:0]), .b_o(bf));

  // ---- QUANT_I8: round to integer (|w| <= 512, ties to even)
  logic [31:0]        w;
  logic [7:0]         we;
  logic [33:0]        wsh;      // {|w| >> (23 - e), guard}, e = we - 127 in [-1, 9]
  logic               wst;
  logic [4:0]         wr;
  logic signed [11:0] qi, qz;
  logic [7:0]         qout;
  always_comb begin
    w  = v_i[31:0];
    we = w[30:23];
    if (we == 8'hFF && w[22:0] != '0) w = 32'd0;                    // NaN -> 0
    else if (we > 8'd136 || (we == 8'd136 && w[22:0] != '0)) w = {w[31], 31'h4400_0000};  // +-512
    we  = w[30:23];
    wr  = (we < 8'd126) ? 5'd25 : 5'(8'd150 - we);                    // 24 .. 14
    wsh = {10'd0, 1'b1, w[22:0]} << 1 >> wr;
    wst = |({1'b1, w[22:0]} & ((24'd1 << (wr - 5'd1)) - 24'd1));
    qi  = 12'(wsh[33:1]) + 12'(wsh[0] && (wst || wsh[1]));
    if (we < 8'd126) qi = '0;                                         // |w| < 0.5 (and zeros)
    qz  = (w[31] ? -qi : qi) + 12'(signed'(cmd_i.zp[7:0]));
    qout = (qz > 12'sd127) ? 8'h7F : (qz < -12'sd128) ? 8'h80 : qz[7:0];
  end

  // ---- requantization
  logic signed [5:0]  shift;
  logic signed [6:0]  sc;
  logic [6:0]         ts;
  logic signed [63:0] rnd, shd;
  logic signed [31:0] sat;
  logic signed [32:0] wzp;
  logic [7:0]         rq;
  always_comb begin
    shift = cmd_i.req_p ? signed'(p2_i) : signed'(cmd_i.shift);
    sc    = 7'(shift);
    if (sc < -7'sd31) sc = -7'sd31;   // REQUANT clamps its per-channel shift
    if (sc > 7'sd30)  sc = 7'sd30;
    ts    = 7'(7'sd31 - sc);          // 1 .. 62
    rnd   = 64'sd1 <<< (ts - 7'd1);
    shd   = (signed'(v_i) + rnd) >>> ts;
    if (shd > 64'sh7FFF_FFFF)        sat = 32'sh7FFF_FFFF;
    else if (shd < -64'sh8000_0000)  sat = -32'sh8000_0000;
    else                             sat = shd[31:0];
    wzp   = 33'(sat) + 33'(signed'(cmd_i.zp));
    rq    = (wzp > 33'sd127) ? 8'h7F : (wzp < -33'sd128) ? 8'h80 : wzp[7:0];
  end

  // ---- SOFTMAX_I8 output (rc >= 1)
  logic [63:0] sm;
  assign sm = (v_i + (64'd1 << (rc_i - 8'd1))) >> rc_i;

  always_comb begin
    y_o       = '0;
    lut_idx_o = x_i[7:0] ^ 8'h80;
    unique case (op_i)
      TlBf16:  y_o = rnan_i ? Bf16CanonicalNan : bf;
      TlQuant: y_o = {8'd0, qout};
      TlIreq:  begin y_o = {8'd0, rq}; lut_idx_o = rq ^ 8'h80; end
      TlIsm:   y_o = (sm > 64'd255) ? 16'd255 : {8'd0, sm[7:0]};
      default: ;
    endcase
  end
  // only the INT8 index of x and the requantization fields of the command are used here
  logic unused;
  assign unused = ^{x_i[31:8], cmd_i};
endmodule
