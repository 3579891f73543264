// INT32 -> INT8 requantization, per output channel (TFLite single rounding):
// out = clamp(MBQM(x + bias[c], M[c], s[c]) + zero_point, -128, 127), the
// bias added with int32 wrap-around (npu::ref::requantize with a bias).
// Channel of an element: its column index within the row (lane + beat
// offset, restarting at each row) modulo cfg_channels_i, kept as a running
// counter (no divider). Per-channel (M, s, bias) live in a MaxChannels-entry
// register file written through the cfg_wr port; a write is always accepted
// and applies to beats accepted in later cycles (the host loads parameters
// before the rows that use them). Write 0 as bias for "no bias".
// cfg_channels_i (1..MaxChannels; larger values act as MaxChannels, 0 as 1)
// and cfg_zero_point_i are sampled with the first beat of each row.
// Fully pipelined, one beat per cycle, latency 3 cycles. Output: int8 in
// the low byte of each 16-bit lane, high byte 0; lanes not kept are 0.
module vec_requant #(
  parameter int unsigned Lanes       = 4,
  parameter int unsigned MaxChannels = 64,
  localparam int unsigned ChanWidth  = (MaxChannels > 1) ? $clog2(MaxChannels) : 1,
  localparam int unsigned CountWidth = $clog2(MaxChannels + 1),
  localparam int unsigned MW         = vec_i8_pkg::ReqMultWidth,
  localparam int unsigned SW         = vec_i8_pkg::ReqShiftWidth
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // Per-row configuration.
  input  logic [CountWidth-1:0] cfg_channels_i,
  input  logic [31:0]           cfg_zero_point_i,
  // Per-channel parameter memory write port (addresses >= MaxChannels are dropped).
  input  logic                  cfg_wr_valid_i,
  output logic                  cfg_wr_ready_o,
  input  logic [ChanWidth-1:0]  cfg_wr_addr_i,
  input  logic [MW-1:0]         cfg_wr_mult_i,
  input  logic [SW-1:0]         cfg_wr_shift_i,
  input  logic [31:0]           cfg_wr_bias_i,
  // INT32 input stream.
  input  logic                  in_valid_i,
  output logic                  in_ready_o,
  input  logic [Lanes*32-1:0]   in_data_i,
  input  logic [Lanes-1:0]      in_keep_i,
  input  logic                  in_last_i,
  // INT8 output stream.
  output logic                  out_valid_o,
  input  logic                  out_ready_i,
  output logic [Lanes*16-1:0]   out_data_o,
  output logic [Lanes-1:0]      out_keep_o,
  output logic                  out_last_o
);

  localparam int unsigned Depth = 1 + vec_i8_pkg::ReqLaneDepth;
  localparam int unsigned CfgW  = CountWidth + 32;  // channels, zero point

  // ---- parameter memory ------------------------------------------------------
  logic [MaxChannels*MW-1:0] mult_q;
  logic [MaxChannels*SW-1:0] shift_q;
  logic [MaxChannels*32-1:0] bias_q;

  assign cfg_wr_ready_o = 1'b1;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mult_q  <= '0;
      shift_q <= '0;
      bias_q  <= '0;
    end else if (cfg_wr_valid_i && (32'(cfg_wr_addr_i) < MaxChannels)) begin
      mult_q[cfg_wr_addr_i*MW +: MW]  <= cfg_wr_mult_i;
      shift_q[cfg_wr_addr_i*SW +: SW] <= cfg_wr_shift_i;
      bias_q[cfg_wr_addr_i*32 +: 32]  <= cfg_wr_bias_i;
    end
  end

  // ---- stream control, row configuration, output packing ------------------------
  logic [Depth-1:0]      load;
  logic                  accept;
  logic                  first;
  logic [CountWidth-1:0] nchan;
  logic [31:0]           zp;
  logic [Lanes*8-1:0]    q;

  vec_i8_row_pipe #(.Lanes(Lanes), .Depth(Depth), .CfgW(CfgW)) u_row_pipe (
    .clk_i,
    .rst_ni,
    .cfg_i      ({cfg_channels_i, cfg_zero_point_i}),
    .cfg_o      ({nchan, zp}),
    .first_o    (first),
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

  assign accept = load[0];  // in_valid_i && in_ready_o

  // ---- row state: channel of lane 0 ------------------------------------------------
  logic [ChanWidth-1:0]  base_q, base_d, base;
  logic [Lanes*ChanWidth-1:0] chan;

  assign base = first ? '0 : base_q;

  // chan[l] = (column of lane l) mod nchan, as a chain of wrapping increments.
  always_comb begin
    logic [CountWidth:0] c, limit;
    limit = (32'(nchan) > MaxChannels) ? (CountWidth+1)'(MaxChannels) : {1'b0, nchan};
    c = (CountWidth+1)'(base);
    for (int l = 0; l < Lanes; l++) begin
      chan[l*ChanWidth +: ChanWidth] = c[ChanWidth-1:0];
      c = c + 1'b1;
      if (c >= limit) c = '0;
    end
    base_d = c[ChanWidth-1:0];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      base_q <= '0;
    end else if (accept) begin
      base_q <= base_d;
    end
  end

  // ---- stage 0: bias add and parameter lookup ------------------------------------
  logic [Lanes*32-1:0] x_q;
  logic [Lanes*MW-1:0] m_q;
  logic [Lanes*SW-1:0] s_q;
  logic [31:0]         zp_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_q  <= '0;
      m_q  <= '0;
      s_q  <= '0;
      zp_q <= '0;
    end else if (accept) begin
      for (int l = 0; l < Lanes; l++) begin
        x_q[l*32 +: 32] <= in_data_i[l*32 +: 32] + bias_q[chan[l*ChanWidth +: ChanWidth]*32 +: 32];
        m_q[l*MW +: MW] <= mult_q[chan[l*ChanWidth +: ChanWidth]*MW +: MW];
        s_q[l*SW +: SW] <= shift_q[chan[l*ChanWidth +: ChanWidth]*SW +: SW];
      end
      zp_q <= zp;
    end
  end

  // ---- stages 1-2: requantization per lane -----------------------------------------
  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    vec_i8_requant_lane u_rq (
      .clk_i,
      .rst_ni,
      .load_i (load[Depth-1:1]),
      .x_i    (x_q[l*32 +: 32]),
      .mult_i (m_q[l*MW +: MW]),
      .shift_i(s_q[l*SW +: SW]),
      .zp_i   (zp_q),
      .q_o    (q[l*8 +: 8])
    );
  end

endmodule
