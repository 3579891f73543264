// One processing element of the weight-stationary array.
// Holds two weights (double buffering): one bank is written by the array's
// load logic while the other is in use. The activation, its mode and the
// bank it uses pass right with 1 cycle of latency; the partial sum passes down
// with npu_pkg::PeLatency cycles. Everything but the weight writes advances
// on en_i (the array-wide advance enable).
module mac_pe (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      en_i,
  // weight write port
  input  logic                      w_we_i,
  input  logic                      w_bank_i,
  input  logic [npu_pkg::ElemW-1:0] w_data_i,
  // activation from the left, forwarded to the right
  input  logic [npu_pkg::ElemW-1:0] a_i,
  input  logic [npu_pkg::ModeW-1:0] a_mode_i,
  input  logic                      a_bank_i,
  output logic [npu_pkg::ElemW-1:0] a_o,
  output logic [npu_pkg::ModeW-1:0] a_mode_o,
  output logic                      a_bank_o,
  // partial sum from above, result to below
  input  logic [npu_pkg::AccW-1:0]  psum_i,
  output logic [npu_pkg::AccW-1:0]  psum_o
);

  localparam int unsigned ElemW = npu_pkg::ElemW;

  logic [ElemW-1:0] w0_q, w1_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w0_q <= '0;
      w1_q <= '0;
    end else if (w_we_i) begin
      if (w_bank_i) begin
        w1_q <= w_data_i;
      end else begin
        w0_q <= w_data_i;
      end
    end
  end

  logic [ElemW-1:0] a_q;
  logic [npu_pkg::ModeW-1:0] mode_q;
  logic             bank_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_q    <= '0;
      mode_q <= npu_pkg::ModeInt8;
      bank_q <= 1'b0;
    end else if (en_i) begin
      a_q    <= a_i;
      mode_q <= a_mode_i;
      bank_q <= a_bank_i;
    end
  end
  assign a_o      = a_q;
  assign a_mode_o = mode_q;
  assign a_bank_o = bank_q;

  bf16_mac u_mac (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_i  (en_i),
    .mode_i(a_mode_i),
    .a_i   (a_i),
    .b_i   (a_bank_i ? w1_q : w0_q),
    .acc_i (psum_i),
    .acc_o (psum_o)
  );

endmodule
