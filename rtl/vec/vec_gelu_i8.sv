// INT8 GELU, I-BERT i-GELU then requantization (npu::ref::gelu_i8):
//   X = x * S_q (Q.20); u = (X * INV_SQRT2) >> 30; t = min(|u|, B_E) - B_E;
//   L = 2^20 - ((A_E * t^2) >> 40); erf = sgn(u) * L;
//   G = (X * (2^20 + erf)) >> 21;  out = requantize(G, {M, s, zp}).
// All shifts are arithmetic (floor). Per-row configuration (input scale
// S_q in [1, 2^22], M, s, zp) is sampled with the first beat of a row.
// Fully pipelined, one beat per cycle, latency 7 cycles. Output: int8 in the
// low byte of each 16-bit lane, high byte 0; lanes not kept are 0.
module vec_gelu_i8 #(
  parameter int unsigned Lanes = 4,
  localparam int unsigned QW   = 23,  // S_q: unsigned Q.20 up to 2^22
  localparam int unsigned MW   = vec_i8_pkg::ReqMultWidth,
  localparam int unsigned SW   = vec_i8_pkg::ReqShiftWidth
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // Per-row configuration.
  input  logic [QW-1:0]       cfg_scale_q20_i,
  input  logic [MW-1:0]       cfg_mult_i,
  input  logic [SW-1:0]       cfg_shift_i,
  input  logic [31:0]         cfg_zero_point_i,
  // INT8 input stream (low byte of each lane).
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes-1:0]    in_keep_i,
  input  logic                in_last_i,
  // INT8 output stream.
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]    out_keep_o,
  output logic                out_last_o
);

  // I-BERT constants (Q.20 unless noted).
  localparam logic [63:0] IerfA       = 64'h49EED;     // round(0.2888 * 2^20)
  localparam logic [63:0] IerfB       = 64'h1C4DD3;    // round(1.769 * 2^20)
  localparam logic [63:0] InvSqrt2Q30 = 64'h2D413CCD;  // round(2^30 / sqrt(2))
  localparam logic [31:0] OneQ20      = 32'h100000;    // 1.0

  // Stages 0-4 compute G, 5-6 requantize.
  localparam int unsigned GDepth = 5;
  localparam int unsigned Depth  = GDepth + vec_i8_pkg::ReqLaneDepth;
  localparam int unsigned RqW    = MW + SW + 32;       // requant parameters

  // ---- stream control, row configuration, output packing ------------------------
  logic [Depth-1:0]     load;
  logic [QW+RqW-1:0]    cfg;
  logic [Lanes*8-1:0]   q;
  logic                 unused_first;

  vec_i8_row_pipe #(.Lanes(Lanes), .Depth(Depth), .CfgW(QW + RqW)) u_row_pipe (
    .clk_i,
    .rst_ni,
    .cfg_i      ({cfg_scale_q20_i, cfg_mult_i, cfg_shift_i, cfg_zero_point_i}),
    .cfg_o      (cfg),
    .first_o    (unused_first),
    .in_valid_i,
    .in_ready_o,
    .in_keep_i,
    .in_last_i,
    .load_o     (load),
    .q_i        (q),
    .out_valid_o,
    .out_ready_i,
    .out_data_o,
    .out_keep_o,
    .out_last_o
  );

  // Requantization parameters of each beat travel to the requant stages.
  logic [RqW-1:0] rq;

  vec_i8_stage_regs #(.Width(RqW), .Depth(GDepth)) u_rq_regs (
    .clk_i,
    .rst_ni,
    .load_i(load[GDepth-1:0]),
    .d_i   (cfg[RqW-1:0]),
    .q_o   (rq)
  );

  // ---- per lane: stages 0-4 (i-GELU in Q.20), 5-6 (requantize) ----------------------
  logic [31:0] scale;
  assign scale = 32'(cfg[RqW +: QW]);

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    // Stage 0: X = x * S_q, |X| <= 2^29.
    logic signed [31:0] x0_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        x0_q <= '0;
      end else if (load[0]) begin
        x0_q <= 32'($signed(in_data_i[l*16 +: 8])) * $signed(scale);
      end
    end

    // X is needed again in stage 4: carry it through stages 1-3.
    logic [31:0] x3;
    vec_i8_stage_regs #(.Width(32), .Depth(3)) u_x_regs (
      .clk_i,
      .rst_ni,
      .load_i(load[3:1]),
      .d_i   (x0_q),
      .q_o   (x3)
    );

    // Stage 1: u = (X * INV_SQRT2) >> 30 (floor), |u| < 2^29.
    logic signed [63:0] u_full;
    logic signed [31:0] u1_q;
    assign u_full = (64'(x0_q) * $signed(InvSqrt2Q30)) >>> 30;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        u1_q <= '0;
      end else if (load[1]) begin
        u1_q <= u_full[31:0];
      end
    end

    // Stage 2: t^2 with -t = B_E - min(|u|, B_E) in [0, B_E] (< 2^21).
    logic [31:0] au;
    logic [63:0] mt, tt;
    logic [63:0] tt2_q;
    logic        pos2_q, neg2_q;
    assign au = u1_q[31] ? 32'(-u1_q) : u1_q;
    assign mt = IerfB - ((64'(au) < IerfB) ? 64'(au) : IerfB);
    assign tt = mt * mt;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        tt2_q  <= '0;
        pos2_q <= 1'b0;
        neg2_q <= 1'b0;
      end else if (load[2]) begin
        tt2_q  <= tt;
        pos2_q <= !u1_q[31] && (u1_q != '0);
        neg2_q <= u1_q[31];
      end
    end

    // Stage 3: L = 2^20 - ((A_E * t^2) >> 40) in (0, 2^20]; factor 2^20 + erf in [0, 2^21].
    logic [63:0] at2;
    logic [31:0] lval, fac;
    logic [31:0] fac3_q;
    assign at2  = (IerfA * tt2_q) >> 40;  // A_E * t^2 < 2^61
    assign lval = OneQ20 - at2[31:0];
    assign fac  = pos2_q ? OneQ20 + lval : (neg2_q ? OneQ20 - lval : OneQ20);
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        fac3_q <= '0;
      end else if (load[3]) begin
        fac3_q <= fac;
      end
    end

    // Stage 4: G = (X * factor) >> 21 (floor), fits int32.
    logic signed [63:0] g_full;
    logic [31:0]        g4_q;
    assign g_full = (64'($signed(x3)) * 64'($signed(fac3_q))) >>> 21;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        g4_q <= '0;
      end else if (load[4]) begin
        g4_q <= g_full[31:0];
      end
    end

    // Stages 5-6: requantize.
    vec_i8_requant_lane u_rq (
      .clk_i,
      .rst_ni,
      .load_i (load[Depth-1:GDepth]),
      .x_i    (g4_q),
      .mult_i (rq[SW+32 +: MW]),
      .shift_i(rq[32 +: SW]),
      .zp_i   (rq[31:0]),
      .q_o    (q[l*8 +: 8])
    );

    // The ignored high byte of the input, and bits beyond the value ranges above.
    logic unused_bits;
    assign unused_bits = ^{in_data_i[l*16+8 +: 8], u_full[63:32], at2[63:32], g_full[63:32]};
  end

endmodule
