// 64-bit performance counters (read through the register block). Cleared by
// CTRL.CNT_CLEAR or a hard reset; a soft reset keeps them.
module npu_perf #(
  parameter int unsigned MacsPerRow = 16,
  parameter int unsigned BusBytes   = 16
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        clr_i,
  input  logic        busy_i,
  input  logic        gemm_busy_i,
  input  logic        gemm_stall_i,
  input  logic        vec_busy_i,
  input  logic        vec_stall_i,
  input  logic        load_busy_i,
  input  logic        load_stall_i,
  input  logic        store_busy_i,
  input  logic        store_stall_i,
  input  logic        row_fire_i,
  input  logic        row_int8_i,     // the row is INT8: two MACs per PE
  input  logic        rd_beat_i,
  input  logic        wr_beat_i,
  output logic [63:0] cycles_o,
  output logic [63:0] gemm_busy_o,
  output logic [63:0] gemm_stall_o,
  output logic [63:0] vec_busy_o,
  output logic [63:0] vec_stall_o,
  output logic [63:0] load_busy_o,
  output logic [63:0] load_stall_o,
  output logic [63:0] store_busy_o,
  output logic [63:0] store_stall_o,
  output logic [63:0] macs_o,
  output logic [63:0] rd_bytes_o,
  output logic [63:0] wr_bytes_o
);
  localparam int unsigned N = 12;
  logic [N*64-1:0] inc, cnt_q;

  assign inc = {64'(busy_i), 64'(gemm_busy_i), 64'(gemm_stall_i), 64'(vec_busy_i),
                64'(vec_stall_i), 64'(load_busy_i), 64'(load_stall_i), 64'(store_busy_i),
                64'(store_stall_i), row_fire_i ? (row_int8_i ? 64'(2 * MacsPerRow) : 64'(MacsPerRow)) : 64'd0,
                rd_beat_i ? 64'(BusBytes) : 64'd0, wr_beat_i ? 64'(BusBytes) : 64'd0};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)    cnt_q <= '0;
    else if (clr_i) cnt_q <= '0;
    else begin
      for (int i = 0; i < N; i++) cnt_q[i*64 +: 64] <= cnt_q[i*64 +: 64] + inc[i*64 +: 64];
    end
  end

  assign {cycles_o, gemm_busy_o, gemm_stall_o, vec_busy_o, vec_stall_o, load_busy_o,
          load_stall_o, store_busy_o, store_stall_o, macs_o, rd_bytes_o, wr_bytes_o} = cnt_q;
endmodule
