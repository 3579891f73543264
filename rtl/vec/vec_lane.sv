// One lane of the vector engine: a fixed pipeline of FP32/INT stages shared by
// every function (docs/architecture.md, "The vector engine"),
//   A0 add | MA mul | MB mul | AA add | MC mul | EX exp2 | RC 1/(1+E) | MD mul | TL out | LUT
// with a register after each stage, all advancing on en_i. What a stage does
// comes from the micro-op of the beat in front of it (ctl_i[k] feeds stage k:
// ctl_i[0] is the beat at the lane input, ctl_i[k] the beat in register k-1),
// so beats of different passes and rows follow each other with no bubble.
// After EX the lane folds v into its reduction partials (sum16 order: element
// j into partial j mod 16, this lane holding partials lane + q*Lanes); the
// scalar unit reads them through rd_*.
module vec_lane #(
  parameter int unsigned Lanes = 16,
  parameter int unsigned Slots = 4,                  // rows reduced at once
  localparam int unsigned NQ   = 16 / Lanes,        // partials per slot in this lane
  localparam int unsigned QW   = (NQ > 1) ? $clog2(NQ) : 1,
  localparam int unsigned SW   = (Slots > 1) ? $clog2(Slots) : 1,
  localparam int unsigned NS   = vec_pkg::LaneStages + 1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      en_i,
  input  vec_pkg::vcmd_t            cmd_i,
  input  vec_pkg::vctl_t            ctl_i [NS],
  // lane inputs (with the beat at ctl_i[0])
  input  logic [31:0]               x_i,      // FP32 bits, or int32 / sign-extended int8
  input  logic [31:0]               a_i,      // aux (operand b, up, cos)
  input  logic [31:0]               b_i,      // RoPE: sin
  input  logic [31:0]               p_i,      // RoPE: partner element
  input  logic [31:0]               p0_i,     // parameters of the element's channel
  input  logic [31:0]               p1_i,
  input  logic [5:0]                p2_i,
  // reduction (with the beat in register 5, fed by ctl_i[6])
  input  logic                      tap_en_i,     // beat valid, lane kept
  input  logic                      tap_first_i,  // first beat of the row's pass: restart partials
  input  logic [SW-1:0]             tap_slot_i,
  input  logic [QW-1:0]             tap_q_i,
  input  logic [SW-1:0]             rd_slot_i,
  input  logic [QW-1:0]             rd_q_i,
  output logic [63:0]               rd_val_o,
  output logic                      rd_seen_o,    // the partial holds at least one value
  output logic                      rd_nan_o,     // FP max: a NaN was seen
  // LUT load (broadcast)
  input  logic                      lut_we_i,
  input  logic [7:0]                lut_addr_i,
  input  logic [7:0]                lut_data_i,
  // result of the beat in the last register (ctl_i[NS-1])
  output logic [15:0]               y_o
);
  import vec_pkg::*;

  // ---------------------------------------------------------------- helpers
  function automatic logic [31:0] bf16_part(logic [15:0] hi);  // the BF16 upper half of an FP32
    return {hi, 16'd0};
  endfunction
  function automatic logic [31:0] to_bf16_fp32(logic [31:0] f);  // narrow, then widen
    logic [15:0] b;
    logic        up;
    up = f[15] && ((|f[14:0]) || f[16]);
    if (f[30:23] == 8'hFF && f[22:0] != '0) b = Bf16CanonicalNan;
    else if (f[30:23] == '0)                b = {f[31], 15'd0};
    else                                    b = f[31:16] + 16'(up);
    return (b[14:7] == '0) ? {b[15], 31'd0} : {b, 16'd0};
  endfunction

  // Stage registers. v: FP32 in v[31:0] or int64; s: side value; e: extended value.
  typedef struct packed {
    logic [31:0] x;
    logic [63:0] v;
    logic [39:0] s;
    ext_t        e;
    logic        big_e;    // E = 2^u with u >= 256: x * sigmoid is a signed zero
    logic [31:0] a, b, p;
    logic [31:0] p0, p1;
    logic [5:0]  p2;
  } st_t;

  st_t r [NS-1];  // register k after stage k (r[8] after TL, with the LUT entry)

  // ================================================================ A0: adder
  logic [31:0] a0_fadd_b, a0_fsum, a0_i2f;
  assign a0_fadd_b = (ctl_i[0].u.a0 == A0SubMu) ? ctl_i[0].ra : p1_i;
  fp32_add_comb u_a0_add (.a_i(x_i), .b_i(a0_fadd_b), .r_o(a0_fsum));
  vec_i2f u_a0_i2f (.x_i(x_i), .f_o(a0_i2f));

  // int norms: |x| < 2^15 is the input range; wider inputs saturate
  logic [31:0] xc;
  always_comb begin
    xc = x_i;
    if (ctl_i[0].u.a0_clamp) begin
      if ($signed(x_i) > 32'sd32767)       xc = 32'sd32767;
      else if ($signed(x_i) < -32'sd32767) xc = -32'sd32767;
    end
  end

  st_t a0;
  always_comb begin
    a0    = '0;
    a0.x  = xc;
    a0.a  = a_i;
    a0.b  = b_i;
    a0.p  = p_i;
    a0.p0 = p0_i;
    a0.p1 = p1_i;
    a0.p2 = p2_i;
    a0.v  = {{32{xc[31]}}, xc};
    unique case (ctl_i[0].u.a0)
      A0AddP1, A0SubMu: a0.v = {32'd0, a0_fsum};
      A0I2f:    a0.v = {32'd0, a0_i2f};
      A0IAddP1: a0.v = 64'(signed'(x_i + p1_i));
      A0ISubZ: begin
        a0.v = 64'(signed'(x_i)) - 64'(signed'(cmd_i.za));
        a0.s = 40'(signed'(a_i)) - 40'(signed'(cmd_i.zb));
      end
      A0ID:  a0.v = (64'(signed'(xc)) <<< 8) - 64'(signed'(ctl_i[0].ra));
      A0IMx: a0.v = 64'(signed'(ctl_i[0].ra)) - 64'(signed'(x_i));
      default: ;
    endcase
    // GELU/SiLU/SwiGLU take their input rounded to BF16.
    if (ctl_i[0].u.a0_rbf) begin
      a0.x = to_bf16_fp32(a0.v[31:0]);
      a0.v = {32'd0, a0.x};
    end
  end

  // ================================================================ MA: 25 x 25
  st_t                 ma;
  logic [31:0]         ma_fa, ma_fb;
  logic signed [24:0]  ma_ia, ma_ib;
  logic signed [49:0]  ma_prod;
  logic [31:0]         ma_fr;
  logic                ma_int;
  always_comb begin
    ma_fa = r[0].x;
    ma_fb = r[0].x;
    ma_int = 1'b0;
    ma_ia = 25'(signed'(r[0].v));
    ma_ib = 25'(signed'(cmd_i.kma));
    unique case (ctl_i[1].u.ma)
      MaFvv:  begin ma_fa = r[0].v[31:0]; ma_fb = r[0].v[31:0]; end
      MaFxk:  ma_fb = cmd_i.kma;
      MaFvk:  begin ma_fa = r[0].v[31:0]; ma_fb = cmd_i.kma; end
      MaFvp0: begin ma_fa = r[0].v[31:0]; ma_fb = r[0].p0; end
      MaFvr:  begin ma_fa = r[0].v[31:0]; ma_fb = ctl_i[1].rb; end
      MaFxr:  ma_fb = ctl_i[1].rb;
      MaFxa:  ma_fb = r[0].a;
      MaFpb:  begin ma_fa = r[0].p; ma_fb = r[0].b; end
      MaIvk:  ma_int = 1'b1;
      MaIvs:  begin ma_int = 1'b1; ma_ib = 25'(signed'(r[0].s)); end
      MaIvv:  begin ma_int = 1'b1; ma_ib = 25'(signed'(r[0].v)); end
      // rsqrt table output 2^24 does not fit the signed operand: shift instead
      MaIvrSh: begin ma_int = 1'b1; ma_ib = 25'(ctl_i[1].rb[23:0]); end
      default: ;
    endcase
    if (!ma_int) begin
      ma_ia = {1'b0, 1'b1, ma_fa[22:0]};
      ma_ib = {1'b0, 1'b1, ma_fb[22:0]};
    end
  end
  assign ma_prod = ma_ia * ma_ib;
  vec_fmul u_ma_fmul (.a_i(ma_fa), .b_i(ext_of_fp32(ma_fb)), .prod_i(ma_prod[47:0]), .r_o(ma_fr));

  logic signed [63:0] ma_z;  // (D * rsqrt) >>> sh
  assign ma_z = (ctl_i[1].rb[24] ? (64'(signed'(r[0].v)) <<< 24) : 64'(ma_prod)) >>> ctl_i[1].rc;

  always_comb begin
    ma = r[0];
    unique case (ctl_i[1].u.ma)
      MaPass: ;
      MaFpb:  ma.s = {8'd0, ma_fr};
      MaIvk, MaIvs, MaIvv: ma.v = 64'(ma_prod);
      MaIvrSh: ma.v = ma_z;
      default: ma.v = {32'd0, ma_fr};
    endcase
  end

  // ================================================================ MB: 25 x 18
  st_t                 mb;
  logic [31:0]         mb_fa, mb_fb;     // mb_fb has at most 16 significant bits
  logic signed [24:0]  mb_ia;
  logic signed [17:0]  mb_ib;
  logic signed [42:0]  mb_prod;
  logic [31:0]         mb_fr;
  logic                mb_int;
  always_comb begin
    mb_fa  = r[1].v[31:0];
    mb_fb  = bf16_part(r[1].p0[31:16]);
    mb_int = 1'b0;
    mb_ia  = 25'(signed'(r[1].s));
    mb_ib  = 18'(signed'(cmd_i.kmb));
    unique case (ctl_i[2].u.mb)
      MbFvk:  begin mb_fa = cmd_i.kmb; mb_fb = r[1].v[31:0]; end  // x^2: 16-bit significand
      MbFxaS: begin mb_fa = r[1].a; mb_fb = r[1].x; end           // x: BF16
      MbFxa:  begin mb_fa = r[1].x; mb_fb = r[1].a; end           // a: BF16 cos
      MbIsk:  mb_int = 1'b1;
      MbIvg:  begin mb_int = 1'b1; mb_ia = 25'(signed'(r[1].v)); mb_ib = 18'(signed'(r[1].p0[7:0])); end
      default: ;
    endcase
    if (!mb_int) begin
      mb_ia = {1'b0, 1'b1, mb_fa[22:0]};
      mb_ib = {1'b0, 1'b1, mb_fb[22:7]};
    end
  end
  assign mb_prod = mb_ia * mb_ib;
  vec_fmul u_mb_fmul (.a_i(mb_fa), .b_i(ext_of_fp32(mb_fb)), .prod_i({mb_prod[40:0], 7'd0}),
                      .r_o(mb_fr));

  always_comb begin
    mb = r[1];
    unique case (ctl_i[2].u.mb)
      MbPass: ;
      MbFxaS: mb.s = {8'd0, mb_fr};
      MbIsk:  mb.s = 40'(mb_prod);
      MbIvg:  mb.v = 64'(mb_prod);
      default: mb.v = {32'd0, mb_fr};
    endcase
  end

  // ================================================================ AA: adder
  st_t         aa;
  logic [31:0] aa_fa, aa_fb, aa_fr;
  always_comb begin
    aa_fa = r[2].v[31:0];
    aa_fb = cmd_i.kaa;
    unique case (ctl_i[3].u.aa)
      AaFvr:   aa_fb = ctl_i[3].ra;
      AaFvb1:  aa_fb = bf16_part(r[2].p1[31:16]);
      AaFvp1:  aa_fb = r[2].p1;
      AaFxa:   begin aa_fa = r[2].x; aa_fb = r[2].a; end
      AaFrope: aa_fb = ctl_i[3].half ? r[2].s[31:0] : {~r[2].s[31], r[2].s[30:0]};
      default: ;
    endcase
  end
  fp32_add_comb u_aa_add (.a_i(aa_fa), .b_i(aa_fb), .r_o(aa_fr));

  always_comb begin
    aa = r[2];
    unique case (ctl_i[3].u.aa)
      AaPass: ;
      AaIvs:  aa.v = 64'(signed'(r[2].v[31:0] + (ctl_i[3].u.aa_p1i ? r[2].p1 : r[2].s[31:0])));
      default: aa.v = {32'd0, aa_fr};
    endcase
  end

  // ================================================================ MC: 9 x 32
  st_t                mc;
  logic signed [8:0]  mc_ia;
  logic signed [31:0] mc_ib;
  logic signed [40:0] mc_prod;
  logic [31:0]        mc_fr, mult;
  assign mult = cmd_i.req_p ? {1'b0, r[3].p0[30:0]} : {1'b0, cmd_i.mult};
  always_comb begin
    if (ctl_i[4].u.mc == McIreq) begin
      mc_ia = 9'(signed'(r[3].v[31:24]));
      mc_ib = signed'(mult);
    end else begin  // x * v, x a BF16 value
      mc_ia = {1'b0, 1'b1, r[3].x[22:16]};
      mc_ib = {8'd0, 1'b1, r[3].v[22:0]};
    end
  end
  assign mc_prod = mc_ia * mc_ib;
  vec_fmul u_mc_fmul (.a_i(r[3].v[31:0]), .b_i(ext_of_fp32(r[3].x)), .prod_i({mc_prod[31:0], 16'd0}),
                      .r_o(mc_fr));

  always_comb begin
    mc = r[3];
    unique case (ctl_i[4].u.mc)
      McFxv: mc.v = {32'd0, mc_fr};
      McIreq: mc.s = 40'(mc_prod);
      default: ;
    endcase
  end

  // ================================================================ EX: exp2
  st_t        ex;
  logic [31:0] ex_fp, ex_iv;
  ext_t       ex_e;
  logic       ex_huge;
  vec_exp2 u_exp2 (
    .op_i(ctl_i[5].u.ex), .v_i(r[4].v), .fp_o(ex_fp), .e_o(ex_e), .huge_o(ex_huge), .int_o(ex_iv));

  always_comb begin
    ex = r[4];
    unique case (ctl_i[5].u.ex)
      ExExp2: ex.v = {32'd0, ex_fp};
      ExExpx: begin ex.e = ex_e; ex.big_e = ex_huge; end
      ExIexp: ex.v = {32'd0, ex_iv};
      default: ;
    endcase
  end

  // ================================================================ RC: 1/(1+E)
  st_t  rc;
  ext_t rc_r;
  vec_sigmoid_rcp u_rcp (.e_i(r[5].e), .r_o(rc_r));
  always_comb begin
    rc = r[5];
    if (ctl_i[6].u.rc) rc.e = rc_r;
  end

  // ================================================================ MD: 25 x 32
  st_t                md;
  logic [31:0]        md_fa;
  ext_t               md_fb;
  logic signed [24:0] md_ia;
  logic signed [31:0] md_ib;
  logic signed [56:0] md_prod;
  logic [31:0]        md_fr, md_mult;
  assign md_mult = cmd_i.req_p ? {1'b0, r[6].p0[30:0]} : {1'b0, cmd_i.mult};
  always_comb begin
    md_fa = r[6].x;
    md_fb = r[6].e;
    unique case (ctl_i[7].u.md)
      MdSr:  md_fa = r[6].s[31:0];
      MdFvr: begin md_fa = r[6].v[31:0]; md_fb = ext_of_fp32(ctl_i[7].rb); end
      default: ;
    endcase
    unique case (ctl_i[7].u.md)
      MdIreq: begin md_ia = {1'b0, r[6].v[23:0]}; md_ib = signed'(md_mult); end
      MdIvr:  begin md_ia = 25'(signed'(r[6].v)); md_ib = signed'(ctl_i[7].rb); end
      default: begin md_ia = {1'b0, 1'b1, md_fa[22:0]}; md_ib = {8'd0, md_fb.man}; end
    endcase
  end
  assign md_prod = md_ia * md_ib;
  vec_fmul u_md_fmul (.a_i(md_fa), .b_i(md_fb), .prod_i(md_prod[47:0]), .r_o(md_fr));

  always_comb begin
    md = r[6];
    unique case (ctl_i[7].u.md)
      MdXr, MdSr: begin
        // x * sigmoid: NaN stays NaN; u >= 256 gives the signed zero of x
        if (r[6].big_e && !(md_fa[30:23] == 8'hFF && md_fa[22:0] != '0)) md.v = {32'd0, md_fa[31], 31'd0};
        else                                                           md.v = {32'd0, md_fr};
      end
      MdFvr:  md.v = {32'd0, md_fr};
      MdIreq: md.v = 64'(md_prod) + (64'(signed'(r[6].s)) <<< 24);
      MdIvr:  md.v = 64'(md_prod);
      default: ;
    endcase
  end

  // ================================================================ TL: output
  st_t        tl;
  logic [15:0] tl_y;
  logic [7:0]  lut_idx;
  vec_tail u_tail (
    .op_i(ctl_i[8].u.tl), .v_i(r[7].v), .x_i(r[7].x), .p2_i(r[7].p2), .cmd_i(cmd_i),
    .rc_i(ctl_i[8].rc), .rnan_i(ctl_i[8].rnan), .y_o(tl_y), .lut_idx_o(lut_idx));
  always_comb begin
    tl = r[7];
    tl.v = {48'd0, tl_y};
  end

  // LUT: the entry is read as the beat enters register 8 and held with it.
  logic [7:0] lut_rd;
  npu_mem #(.Words(256), .DW(8), .NumRd(1)) u_lut (
    .clk_i, .rd_en_i(en_i), .rd_addr_i(lut_idx), .rd_data_o(lut_rd),
    .wr_en_i(lut_we_i), .wr_addr_i(lut_addr_i), .wr_data_i(lut_data_i), .wr_strb_i(1'b1));

  logic lut_use;
  assign lut_use = (ctl_i[9].u.tl == TlLut) || (ctl_i[9].u.tl == TlIreq && ctl_i[9].u.tl_lut);
  // npu_mem holds its read data until the next read, which needs en_i too.
  assign y_o = lut_use ? {8'd0, lut_rd} : r[8].v[15:0];

  // ================================================================ registers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int k = 0; k < NS - 1; k++) r[k] <= '0;
    end else if (en_i) begin
      r[0] <= a0;
      r[1] <= ma;
      r[2] <= mb;
      r[3] <= aa;
      r[4] <= mc;
      r[5] <= ex;
      r[6] <= rc;
      r[7] <= md;
      r[8] <= tl;
    end
  end

  // ================================================================ reduction
  // Partials [slot][q]: FP32 sum / max, or int64 sum / max, of v in register 5.
  logic [63:0] acc_q  [Slots][NQ];
  logic        seen_q [Slots][NQ];
  logic        nan_q  [Slots][NQ];
  logic [63:0] acc_in, acc_d;
  logic        seen_in, nan_d;
  logic [31:0] fsum;
  logic        vnan, vless;
  tap_op_e     tap;
  assign tap     = ctl_i[6].u.tap;
  assign acc_in  = acc_q[tap_slot_i][tap_q_i];
  assign seen_in = seen_q[tap_slot_i][tap_q_i] && !tap_first_i;
  fp32_add_comb u_sum (.a_i(seen_in ? acc_in[31:0] : 32'd0), .b_i(r[5].v[31:0]), .r_o(fsum));
  assign vnan = (r[5].v[30:23] == 8'hFF) && (r[5].v[22:0] != '0);
  fp32_lt u_lt (.a_i(acc_in[31:0]), .b_i(r[5].v[31:0]), .lt_o(vless));

  always_comb begin
    acc_d = acc_in;
    nan_d = nan_q[tap_slot_i][tap_q_i] && seen_in;  // a partial not seen in this row starts clean
    unique case (tap)
      TapFsum: acc_d = {32'd0, fsum};
      TapFmax: begin
        if (vnan) nan_d = 1'b1;
        else if (!seen_in || vless) acc_d = {32'd0, r[5].v[31:0]};
      end
      TapIsum: acc_d = (seen_in ? acc_in : 64'd0) + r[5].v;
      TapImax: if (!seen_in || $signed(r[5].v) > $signed(acc_in)) acc_d = r[5].v;
      default: ;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int s = 0; s < Slots; s++)
        for (int q = 0; q < NQ; q++) begin
          acc_q[s][q]  <= '0;
          seen_q[s][q] <= 1'b0;
          nan_q[s][q]  <= 1'b0;
        end
    end else if (en_i) begin
      // A row's first beat restarts the slot's partials (the ones it does not
      // write as well), so a partial never carries the previous row.
      if (tap_first_i && tap != TapNone)
        for (int q = 0; q < NQ; q++) seen_q[tap_slot_i][q] <= 1'b0;
      if (tap_en_i && tap != TapNone) begin
        acc_q[tap_slot_i][tap_q_i]  <= acc_d;
        // a NaN counts as seen for the max (the row is special either way)
        seen_q[tap_slot_i][tap_q_i] <= 1'b1;
        nan_q[tap_slot_i][tap_q_i]  <= nan_d;
      end else if (tap_first_i && tap != TapNone) begin
        nan_q[tap_slot_i][tap_q_i] <= 1'b0;
      end
    end
  end
  assign rd_val_o  = acc_q[rd_slot_i][rd_q_i];
  assign rd_seen_o = seen_q[rd_slot_i][rd_q_i];
  assign rd_nan_o  = nan_q[rd_slot_i][rd_q_i];

  logic unused;
  assign unused = ^{r[8].x, r[8].v[63:16], r[8].s, r[8].e, r[8].big_e, r[8].a, r[8].b, r[8].p,
                    r[8].p0, r[8].p1, r[8].p2, mc_prod[40]};
endmodule
