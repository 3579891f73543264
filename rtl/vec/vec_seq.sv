// Beat sequencer of the vector engine: cuts every job (one pass over one
// row, vec_job_iter order) into beats of at most Lanes elements, in lanes
// e mod Lanes. A beat ends at a Lanes boundary, at the end of a src, aux or
// dst group (so it reads one word of each stream and writes one dst word) and
// at the row's end; PARAMS and LUT_LOAD take one element per beat. RoPE
// visits the groups of a row as g, g + H, g + 1, g + 1 + H, ... (H = n/2 /
// group) so each pair of src and aux words is read once. Registered output.
module vec_seq #(
  parameter int unsigned Lanes = 16,
  parameter int unsigned Slots = 4
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                start_i,
  input  logic [15:0]         rows_i,
  input  logic [1:0]          passes_i,
  input  logic [15:0]         n_i,
  input  logic [7:0]          src_group_i,
  input  logic [7:0]          aux_group_i,
  input  logic [7:0]          dst_group_i,
  input  logic                has_aux_i,
  input  logic                has_dst_i,
  input  logic                rope_i,
  input  logic                one_i,        // one element per beat
  input  logic [23:0]         dst_addr_i,
  input  logic [15:0]         dst_row_stride_i,
  input  logic [15:0]         dst_group_stride_i,
  input  logic                dst_pairs_i,
  input  logic [23:0]         dst_hoff_i,   // RoPE: H * dst_group_stride
  input  logic                mask_en_i,
  input  logic [31:0]         mask_off_i,
  output logic                valid_o,
  input  logic                ready_i,
  output vec_pkg::beat_t      beat_o,
  output logic                done_o        // every beat handed over
);
  import vec_pkg::*;
  localparam int unsigned LS = $clog2(Lanes);  // log2 of the lanes (0 for one lane)

  logic        jv, jlast, jnext;
  logic [15:0] jrow;
  logic [1:0]  jpass;
  logic [1:0]  jslot;
  logic [23:0] jbase;
  vec_job_iter #(.Slots(Slots)) u_jobs (
    .clk_i, .rst_ni, .start_i, .rows_i, .passes_i, .addr_i(dst_addr_i),
    .stride_i(dst_row_stride_i), .pairs_i(dst_pairs_i), .next_i(jnext), .valid_o(jv),
    .row_o(jrow), .pass_o(jpass), .slot_o(jslot[$clog2(Slots)-1:0]), .base_o(jbase),
    .last_o(jlast));
  if (Slots < 4) begin : g_slot_hi
    assign jslot[1] = 1'b0;
  end

  logic [15:0] e_q, pbase_q;
  logic [7:0]  spos_q, apos_q, dpos_q;
  logic [23:0] goff_q;
  logic        half_q, first_q;

  // ---- the next beat
  logic [15:0] h, e0, lane0, len, rem_l, rem_s, rem_a, rem_d, rem_n, b;
  logic        s_end, a_end, d_wrap, job_end, pair_end;
  logic signed [33:0] kc;
  beat_t nb;
  always_comb begin
    h       = n_i >> 1;
    e0      = rope_i ? (pbase_q + 16'(spos_q) + (half_q ? h : 16'd0)) : e_q;
    lane0   = (Lanes > 1) ? (e0 & 16'(Lanes - 1)) : 16'd0;
    b       = e0 - lane0;
    rem_l   = 16'(Lanes) - lane0;
    rem_s   = 16'(src_group_i) - 16'(spos_q);
    rem_a   = (has_aux_i && !rope_i) ? 16'(aux_group_i) - 16'(apos_q) : 16'hFFFF;
    rem_d   = (has_dst_i && !rope_i) ? 16'(dst_group_i) - 16'(dpos_q) : 16'hFFFF;
    rem_n   = n_i - e0;
    len     = rem_l;
    if (rem_s < len) len = rem_s;
    if (rem_a < len) len = rem_a;
    if (rem_d < len) len = rem_d;
    if (rem_n < len) len = rem_n;
    if (one_i) len = 16'd1;
    s_end    = (16'(spos_q) + len == 16'(src_group_i)) || (!rope_i && e0 + len == n_i);
    a_end    = (16'(apos_q) + len == 16'(aux_group_i)) || (e0 + len == n_i);
    d_wrap   = (16'(dpos_q) + len == 16'(dst_group_i));
    pair_end = rope_i && half_q && (16'(spos_q) + len == 16'(src_group_i));
    job_end  = rope_i ? (pair_end && (pbase_q + 16'(src_group_i) >= h)) : (e0 + len == n_i);

    nb           = '0;
    nb.pass      = jpass;
    nb.slot      = jslot;
    nb.job_first = first_q;
    nb.job_last  = job_end;
    nb.e0        = e0;
    for (int l = 0; l < MaxLanes; l++) begin
      nb.act[l] = (l < Lanes) && (16'(l) >= lane0) && (16'(l) < lane0 + len);
    end
    // causal mask: element b + l is kept iff b + l <= row + offset
    kc = 34'(signed'({1'b0, jrow})) + 34'(signed'(mask_off_i)) - 34'(signed'({1'b0, b})) + 34'sd1;
    for (int l = 0; l < MaxLanes; l++) begin
      nb.keep[l] = nb.act[l] && (!mask_en_i || (34'(l) < kc));
    end
    nb.q      = 4'((e0 & 16'hF) >> LS);
    if (Lanes >= 16) nb.q = '0;
    nb.sdelta = 9'(signed'({1'b0, spos_q})) - 9'(signed'({1'b0, lane0[7:0]}));
    nb.adelta = rope_i ? nb.sdelta : 9'(signed'({1'b0, apos_q})) - 9'(signed'({1'b0, lane0[7:0]}));
    nb.ddelta = rope_i ? nb.sdelta : 9'(signed'({1'b0, dpos_q})) - 9'(signed'({1'b0, lane0[7:0]}));
    nb.spop   = rope_i ? (pair_end ? 2'd2 : 2'd0) : {1'b0, s_end};
    nb.apop   = !has_aux_i ? 2'd0 : (rope_i ? nb.spop : {1'b0, a_end});
    nb.xsel   = rope_i && half_q;
    nb.half   = rope_i && half_q;
    nb.dword  = jbase + goff_q + ((rope_i && half_q) ? dst_hoff_i : 24'd0);
    nb.dfirst = rope_i ? (spos_q == '0) : (dpos_q == '0);
    nb.dpar   = jrow[0];
  end

  // ---- advance
  logic emit, out_q;
  beat_t beat_q;
  assign emit  = jv && (!out_q || ready_i);
  assign jnext = emit && job_end;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      e_q <= '0; pbase_q <= '0; spos_q <= '0; apos_q <= '0; dpos_q <= '0;
      goff_q <= '0; half_q <= 1'b0; first_q <= 1'b1;
      out_q <= 1'b0; beat_q <= '0;
    end else begin
      if (out_q && ready_i && !emit) out_q <= 1'b0;
      if (emit) begin
        out_q  <= 1'b1;
        beat_q <= nb;
      end
      if (start_i || jnext) begin
        e_q <= '0; pbase_q <= '0; spos_q <= '0; apos_q <= '0; dpos_q <= '0;
        goff_q <= '0; half_q <= 1'b0; first_q <= 1'b1;
      end else if (emit) begin
        first_q <= 1'b0;
        e_q     <= e0 + len;
        if (rope_i) begin
          if (16'(spos_q) + len == 16'(src_group_i)) begin
            spos_q <= '0;
            half_q <= !half_q;
            if (half_q) begin
              pbase_q <= pbase_q + 16'(src_group_i);
              goff_q  <= goff_q + 24'(dst_group_stride_i);
            end
          end else begin
            spos_q <= spos_q + len[7:0];
          end
        end else begin
          spos_q <= s_end ? 8'd0 : spos_q + len[7:0];
          apos_q <= (16'(apos_q) + len == 16'(aux_group_i)) ? 8'd0 : apos_q + len[7:0];
          dpos_q <= d_wrap ? 8'd0 : dpos_q + len[7:0];
          if (d_wrap) goff_q <= goff_q + 24'(dst_group_stride_i);
        end
      end
    end
  end

  assign valid_o = out_q;
  assign beat_o  = beat_q;
  assign done_o  = !jv && !out_q;

  logic unused;
  assign unused = jlast;

`ifndef SYNTHESIS
  initial begin
    if (Lanes < 1 || Lanes > MaxLanes || (16 % Lanes) != 0) $error("vec_seq: Lanes must divide 16");
  end
`endif
endmodule
