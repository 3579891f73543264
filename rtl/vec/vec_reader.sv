// One word stream of the vector engine (src or aux): walks the stream's words
// in the order the beats use them -- per job (vec_job_iter), the row's groups
// in order, or for RoPE groups g and g + H alternately (hoff_i = H *
// group_stride) -- requests them from memory with credits, so every
// response finds room, and queues them. The beat side sees the two oldest
// words and pops one or two at a time.
module vec_reader #(
  parameter int unsigned Slots = 4,
  parameter int unsigned WW    = 256,   // word width (bits)
  parameter int unsigned Depth = 4,
  localparam int unsigned CntW = $clog2(Depth + 1)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            start_i,
  input  logic [15:0]     rows_i,
  input  logic [1:0]      passes_i,
  input  logic [15:0]     n_i,
  input  logic [7:0]      group_i,
  input  logic [23:0]     addr_i,
  input  logic [15:0]     row_stride_i,
  input  logic [15:0]     group_stride_i,
  input  logic            rope_i,
  input  logic [23:0]     hoff_i,
  // memory: a response comes exactly one cycle after its handshake
  output logic            req_valid_o,
  input  logic            req_ready_i,
  output logic [23:0]     req_addr_o,
  input  logic            rsp_valid_i,
  input  logic [WW-1:0]   rsp_data_i,
  // words for the beats
  output logic [CntW-1:0] count_o,
  output logic [WW-1:0]   word0_o,
  output logic [WW-1:0]   word1_o,
  input  logic [1:0]      pop_i,
  output logic            walking_o
);
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1;

  // ---- walk
  logic        jv, jlast, jnext;
  logic [15:0] unused_row;
  logic [1:0]  unused_pass;
  logic [(Slots > 1 ? $clog2(Slots) : 1)-1:0] unused_slot;
  logic        unused_last;
  logic [23:0] jbase;
  logic [15:0] e_q;          // elements covered by earlier words of this job
  logic [23:0] goff_q;       // group offset of the current word (first half for RoPE)
  logic        half_q;
  logic        fire, wlast;
  vec_job_iter #(.Slots(Slots)) u_jobs (
    .clk_i, .rst_ni, .start_i, .rows_i, .passes_i, .addr_i, .stride_i(row_stride_i),
    .pairs_i(1'b0), .next_i(jnext), .valid_o(jv), .row_o(unused_row), .pass_o(unused_pass),
    .slot_o(unused_slot),
    .base_o(jbase), .last_o(jlast));

  assign wlast      = (17'(e_q) + 17'(group_i) >= 17'(n_i));
  assign jnext      = fire && wlast;
  assign req_addr_o = jbase + goff_q + ((rope_i && half_q) ? hoff_i : 24'd0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      e_q    <= '0;
      goff_q <= '0;
      half_q <= 1'b0;
    end else if (start_i || jnext) begin
      e_q    <= '0;
      goff_q <= '0;
      half_q <= 1'b0;
    end else if (fire) begin
      e_q    <= e_q + 16'(group_i);
      half_q <= rope_i && !half_q;
      if (!rope_i || half_q) goff_q <= goff_q + 24'(group_stride_i);
    end
  end

  // ---- credits and queue
  logic [WW-1:0]   mem_q [Depth];
  logic [PtrW-1:0] rd_q, wr_q;
  logic [CntW-1:0] cnt_q;
  logic            infl_q;     // a granted request whose word arrives next cycle

  assign req_valid_o = jv && (32'(cnt_q) + 32'(infl_q) < Depth);
  assign fire        = req_valid_o && req_ready_i;

  function automatic logic [PtrW-1:0] inc(logic [PtrW-1:0] p, int unsigned k);
    return PtrW'((32'(p) + k) % Depth);
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q   <= '0;
      wr_q   <= '0;
      cnt_q  <= '0;
      infl_q <= 1'b0;
    end else begin
      infl_q <= fire;
      if (rsp_valid_i) wr_q <= inc(wr_q, 1);
      rd_q  <= inc(rd_q, 32'(pop_i));
      cnt_q <= cnt_q + CntW'(rsp_valid_i) - CntW'(pop_i);
    end
  end
  always_ff @(posedge clk_i) begin
    if (rsp_valid_i) mem_q[wr_q] <= rsp_data_i;
  end

  assign count_o   = cnt_q;
  assign word0_o   = mem_q[rd_q];
  assign word1_o   = mem_q[inc(rd_q, 1)];
  assign walking_o = jv;

  assign unused_last = jlast;

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!(rsp_valid_i && !infl_q)) else $error("vec_reader: response without a request");
      assert (32'(pop_i) <= 32'(cnt_q)) else $error("vec_reader: pop of %0d with %0d words", pop_i, cnt_q);
    end
  end
  initial if (Depth < 2) $error("vec_reader: Depth must be >= 2 (RoPE pops two words)");
`endif
endmodule
