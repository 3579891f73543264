// Vector engine: FP32 constants, the extended-range value of the sigmoid
// path, and the micro-ops of the lane pipeline (docs/architecture.md, "The
// vector engine"): what every stage of vec_lane does for each func and pass.
package vec_pkg;

  // FP32 field layout.
  localparam int unsigned Fp32ExpWidth  = 8;
  localparam int unsigned Fp32ManWidth  = 23;
  localparam int unsigned Fp32ExpBias   = 127;
  localparam logic [7:0]  Fp32ExpMax    = 8'hFF;

  // The one NaN every unit produces (numerics contract).
  localparam logic [31:0] Fp32CanonicalNan = 32'h7FC0_0000;
  localparam logic [15:0] Bf16CanonicalNan = 16'h7FC0;
  localparam logic [31:0] Fp32One     = 32'h3F80_0000;
  localparam logic [31:0] Fp32NegZero = 32'h8000_0000;

  // Constants of the FP path (docs/numerics.md, "Vector engine").
  localparam logic [31:0] Log2e   = 32'h3FB8_AA3B;  // log2(e), RNE
  localparam logic [31:0] GeluB2  = 32'h4013_5761;  // RNE(2 sqrt(2/pi) log2(e))
  localparam logic [31:0] GeluA2  = 32'h3DD2_D3E8;  // RNE(0.044715 * 2 sqrt(2/pi) log2(e))

  // A positive or negative value man * 2^(exp - 23) with man in [2^23, 2^24)
  // and an unbounded (12-bit) exponent: the intermediates E, 1 + E and
  // R = 1/(1 + E) of x * sigmoid, which must neither overflow nor flush.
  typedef struct packed {
    logic               sign;
    logic               zero;
    logic               inf;
    logic               nan;
    logic signed [11:0] exp;
    logic [23:0]        man;
  } ext_t;

  function automatic ext_t ext_of_fp32(logic [31:0] f);
    ext_t e;
    e.sign = f[31];
    e.zero = (f[30:23] == '0);
    e.inf  = (f[30:23] == 8'hFF) && (f[22:0] == '0);
    e.nan  = (f[30:23] == 8'hFF) && (f[22:0] != '0);
    e.exp  = 12'(signed'({4'd0, f[30:23]})) - 12'sd127;
    e.man  = {1'b1, f[22:0]};
    return e;
  endfunction

  // ---- micro-ops: one per stage, chosen by (func, pass) ---------------------------
  typedef enum logic [2:0] {
    A0Pass,       // v = x
    A0AddP1,      // v = x + P1 (FP32 bias), x := bf16(v)  [GELU/SiLU with bias]
    A0SubMu,      // v = x + rowA (rowA = -mean)            [LayerNorm]
    A0I2f,        // v = fp32(int32 x)                      [CVT from INT32]
    A0IAddP1,     // v = x + P1 (int32 wrap)                [REQUANT]
    A0ISubZ,      // v = x - za, s = a - zb                 [ADD/MUL_I8]
    A0ID,         // v = 256 x - rowA (mu8)                 [int norms]
    A0IMx         // v = rowA (max) - x                     [SOFTMAX_I8]
  } a0_op_e;

  typedef enum logic [3:0] {
    MaPass,
    MaFxx,        // v = x * x
    MaFvv,        // v = v * v
    MaFxk,        // v = x * kMa (command constant)
    MaFvk,        // v = v * kMa
    MaFvp0,       // v = v * P0
    MaFvr,        // v = v * rowB
    MaFxr,        // v = x * rowB
    MaFxa,        // v = x * a
    MaFpb,        // s = p * b (partner x sin)              [RoPE]
    MaIvk,        // v = v * kMa (int)
    MaIvs,        // v = v * s (int)
    MaIvv,        // v = v * v (int64)
    MaIvrSh       // v = (v * rowB) >>> rowC (int)          [int norms: z]
  } ma_op_e;

  typedef enum logic [2:0] {
    MbPass,
    MbFvk,        // v = v * kMb
    MbFvg,        // v = v * bf16(P0)                       [LayerNorm, RMSNorm gamma]
    MbFxaS,       // s = x * a                              [SwiGLU: gate * up]
    MbFxa,        // v = x * a                              [RoPE: x * cos]
    MbIsk,        // s = s * kMb (int)                      [ADD_I8: (b - zb) kb]
    MbIvg         // v = v * int8(P0)                       [int norms: z gamma]
  } mb_op_e;

  typedef enum logic [2:0] {
    AaPass,
    AaFvk,        // v = v + kAa
    AaFvr,        // v = v + rowA                           [softmax: s - max]
    AaFvb1,       // v = v + bf16(P1)                       [LayerNorm beta]
    AaFvp1,       // v = v + P1                             [CVT bias]
    AaFxa,        // v = x + a                              [ADD_BF16]
    AaFrope,      // v = v - s (first half) or v + s        [RoPE]
    AaIvs         // v = v + s (int); AaIvp1 via the P1 select below
  } aa_op_e;

  typedef enum logic [1:0] {
    McPass,
    McFxv,        // v = x * v                              [GELU: t = x u]
    McIreq        // s = v[31:24] * mult (int)              [requantization, high part]
  } mc_op_e;

  typedef enum logic [1:0] {
    ExPass,
    ExExp2,       // v = 2^v (FP32, flush below 2^-126)     [softmax]
    ExExpx,       // E = 2^-v (extended range)              [sigmoid]
    ExIexp        // v = 2^(-v / 2^20) in Q.20 (int)        [SOFTMAX_I8]
  } ex_op_e;

  typedef enum logic [2:0] {
    MdPass,
    MdXr,         // v = x * R (R = 1/(1 + E))              [GELU, SiLU]
    MdSr,         // v = s * R                              [SwiGLU]
    MdFvr,        // v = v * rowB                           [softmax: e / sum]
    MdIreq,       // v = v[23:0] * mult + (s << 24)         [requantization product]
    MdIvr         // v = v * rowB (int)                     [SOFTMAX_I8: e * 2^24/sum]
  } md_op_e;

  typedef enum logic [2:0] {
    TlNone,       // no output (reduction passes, loads)
    TlBf16,       // narrow(v)
    TlQuant,      // clamp(rne(v) + zp)                     [QUANT_I8]
    TlIreq,       // requantization round/shift/zp/clamp [, LUT]
    TlIsm,        // min(255, (v + 2^(rowC-1)) >> rowC)     [SOFTMAX_I8]
    TlLut         // LUT[x + 128]
  } tl_op_e;

  typedef enum logic [2:0] {
    TapNone,
    TapFsum,      // FP32 partial sums of v (sum16 order)
    TapFmax,      // FP32 maximum of v (NaN flag)
    TapIsum,      // int64 sums of v
    TapImax       // int maximum of v
  } tap_op_e;

  typedef struct packed {
    a0_op_e  a0;
    logic    a0_clamp; // clamp int32 x to +-(2^15 - 1) first (int norms)
    logic    a0_rbf;   // round x to BF16 after A0 (GELU/SiLU/SwiGLU inputs)
    ma_op_e  ma;
    mb_op_e  mb;
    aa_op_e  aa;
    logic    aa_p1i;   // with AaIvs: add P1 instead of s (int norms: + beta)
    mc_op_e  mc;
    ex_op_e  ex;
    logic    rc;       // R = 1 / (1 + E)
    md_op_e  md;
    tl_op_e  tl;
    logic    tl_lut;   // TlIreq: then through the LUT
    tap_op_e tap;
  } uop_t;

  localparam uop_t UopNone = '{a0: A0Pass, a0_clamp: 1'b0, a0_rbf: 1'b0, ma: MaPass, mb: MbPass, aa: AaPass,
                               aa_p1i: 1'b0, mc: McPass, ex: ExPass, rc: 1'b0, md: MdPass,
                               tl: TlNone, tl_lut: 1'b0, tap: TapNone};

  // The pipeline program of pass `pass` (1..3) of func `func`; cfg1 carries the
  // func's option bits (bias, per-channel scale, INT32 source, LUT).
  function automatic uop_t uop_of(logic [7:0] func, logic [1:0] pass, logic [2:0] cfg1,
                                  logic src_acc);
    uop_t u;
    u = UopNone;
    unique case (func)
      8'h01: begin  // REQUANT
        u.a0 = A0IAddP1; u.mc = McIreq; u.md = MdIreq; u.tl = TlIreq; u.tl_lut = cfg1[0];
      end
      8'h03: u.tl = TlLut;  // LUT_I8
      8'h05: begin  // ADD_I8
        u.a0 = A0ISubZ; u.ma = MaIvk; u.mb = MbIsk; u.aa = AaIvs; u.mc = McIreq; u.md = MdIreq;
        u.tl = TlIreq;
      end
      8'h06: begin  // MUL_I8
        u.a0 = A0ISubZ; u.ma = MaIvs; u.mc = McIreq; u.md = MdIreq; u.tl = TlIreq;
      end
      8'h07: begin  // SOFTMAX_I8: max, sum of e, output
        if (pass == 2'd1) u.tap = TapImax;
        else begin
          u.a0 = A0IMx; u.ma = MaIvk; u.ex = ExIexp;
          if (pass == 2'd2) u.tap = TapIsum;
          else begin u.md = MdIvr; u.tl = TlIsm; end
        end
      end
      8'h08, 8'h09: begin  // LAYERNORM_I32 (3 passes), RMSNORM_I32 (2)
        u.a0_clamp = 1'b1;
        if (func == 8'h08 && pass == 2'd1) u.tap = TapIsum;
        else if ((func == 8'h08 && pass == 2'd2) || (func == 8'h09 && pass == 2'd1)) begin
          u.a0 = A0ID; u.ma = MaIvv; u.tap = TapIsum;
        end else begin
          u.a0 = A0ID; u.ma = MaIvrSh; u.mb = MbIvg; u.aa = AaIvs; u.aa_p1i = 1'b1;
          u.mc = McIreq; u.md = MdIreq; u.tl = TlIreq;
        end
      end
      8'h0A: begin u.ma = MaFxk; u.tl = TlQuant; end  // QUANT_I8
      8'h10: begin  // SOFTMAX_BF16: max, sum of e, output
        u.ma = MaFxk;
        if (pass == 2'd1) u.tap = TapFmax;
        else begin
          u.aa = AaFvr; u.ex = ExExp2;
          if (pass == 2'd2) u.tap = TapFsum;
          else begin u.md = MdFvr; u.tl = TlBf16; end
        end
      end
      8'h11: begin  // LAYERNORM_BF16: sum x, sum d^2, output
        if (pass == 2'd1) u.tap = TapFsum;
        else if (pass == 2'd2) begin u.a0 = A0SubMu; u.ma = MaFvv; u.tap = TapFsum; end
        else begin u.a0 = A0SubMu; u.ma = MaFvr; u.mb = MbFvg; u.aa = AaFvb1; u.tl = TlBf16; end
      end
      8'h12: begin  // RMSNORM_BF16: sum x^2, output
        if (pass == 2'd1) begin u.ma = MaFxx; u.tap = TapFsum; end
        else begin u.ma = MaFxr; u.mb = MbFvg; u.tl = TlBf16; end
      end
      8'h13: begin  // GELU_BF16
        u.a0 = cfg1[0] ? A0AddP1 : A0Pass; u.a0_rbf = 1'b1; u.ma = MaFxx; u.mb = MbFvk;
        u.aa = AaFvk; u.mc = McFxv; u.ex = ExExpx; u.rc = 1'b1; u.md = MdXr; u.tl = TlBf16;
      end
      8'h14: begin  // SILU_BF16
        u.a0 = cfg1[0] ? A0AddP1 : A0Pass; u.a0_rbf = 1'b1; u.ma = MaFxk; u.ex = ExExpx;
        u.rc = 1'b1; u.md = MdXr; u.tl = TlBf16;
      end
      8'h15: begin u.aa = AaFxa; u.tl = TlBf16; end  // ADD_BF16
      8'h16: begin u.ma = MaFxa; u.tl = TlBf16; end  // MUL_BF16
      8'h17: begin  // CVT_BF16
        u.a0 = (src_acc && cfg1[2]) ? A0I2f : A0Pass; u.ma = cfg1[0] ? MaFvp0 : MaFvk;
        u.aa = cfg1[1] ? AaFvp1 : AaPass; u.tl = TlBf16;
      end
      8'h18: begin u.ma = MaFpb; u.mb = MbFxa; u.aa = AaFrope; u.tl = TlBf16; end  // ROPE_BF16
      8'h19: begin  // SWIGLU_BF16
        u.a0_rbf = 1'b1; u.ma = MaFxk; u.mb = MbFxaS; u.ex = ExExpx; u.rc = 1'b1; u.md = MdSr;
        u.tl = TlBf16;
      end
      default: ;  // PARAMS, LUT_LOAD: no pipeline work
    endcase
    return u;
  endfunction

  // Command constants the lanes use, fixed during a command.
  typedef struct packed {
    logic [31:0] kma;       // MA constant: softmax scale * log2(e), log2(e), CVT/QUANT scale, ka, S2
    logic [31:0] kmb;       // MB constant: GELU A2, kb
    logic [31:0] kaa;       // AA constant: GELU B2
    logic [30:0] mult;      // requantization multiplier (ADD/MUL_I8, int norms)
    logic [5:0]  shift;     // requantization shift (signed)
    logic        req_p;     // REQUANT: multiplier = P0, shift = P2 (per channel)
    logic [31:0] zp;        // output zero point (int32)
    logic [7:0]  za, zb;    // ADD/MUL_I8 input zero points
  } vcmd_t;

  // What travels with a beat through the lane pipeline (one copy for all
  // lanes): the micro-op and the scalars of its row (its slot's results of
  // the previous passes, latched when the pass started).
  typedef struct packed {
    uop_t        u;
    logic [31:0] ra;        // -mean, -max (FP); mu8, max (int)
    logic [31:0] rb;        // 1/sd, 1/sum (FP); rsqrt, 2^24/sum (int)
    logic [7:0]  rc;        // int shifts: 10 + k (norms), b + 16 (softmax)
    logic        rnan;      // softmax row is NaN (NaN input, +-Inf max)
    logic        half;      // RoPE: the beat is of the second half
  } vctl_t;

  localparam int unsigned LaneStages = 9;  // A0 MA MB AA MC EX RC MD TL
  localparam int unsigned MaxLanes   = 16;  // lanes divide the 16 partial sums of sum16

  // One beat: up to Lanes consecutive elements of one row, in lanes e mod
  // Lanes, from one word of each stream (vec_seq). Lane l holds element
  // e0 - lane0 + l, which is slot l + delta of the stream's word.
  typedef struct packed {
    logic [1:0]          pass;
    logic [1:0]          slot;
    logic                job_first;  // first beat of the job: the partials restart
    logic                job_last;   // last beat of the job: the scalar unit reduces
    logic [15:0]         e0;         // first element
    logic [MaxLanes-1:0] act;        // lanes holding an element
    logic [MaxLanes-1:0] keep;       // and not masked (causal mask)
    logic [3:0]          q;          // partial row (e0 mod 16) / Lanes
    logic signed [8:0]   sdelta;     // src word slot of lane 0
    logic signed [8:0]   adelta;
    logic signed [8:0]   ddelta;
    logic [1:0]          spop;       // src words done after this beat
    logic [1:0]          apop;
    logic                xsel;       // RoPE: x is the second src word, the partner the first
    logic                half;       // RoPE: elements of the second half
    logic [23:0]         dword;      // dst word
    logic                dfirst;     // first beat of the dst word
    logic                dpar;       // row parity (dst_pairs)
  } beat_t;

endpackage
