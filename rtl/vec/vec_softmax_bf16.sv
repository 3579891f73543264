// BF16 softmax over one row, bit-exact with the model's softmax_bf16
// (docs/numerics.md, "Softmax, BF16"). Passes, one row at a time:
//  1 in:    s_j = x_j * scale (Lanes fma), buffered; running max over kept
//           non-NaN s (first wins ties, DAZ order), NaN flag.   n/Lanes beats
//  2 exp:   e_j = exp_neg(s_j - m) one element per cycle, written back over
//           s_j; S = sum of kept e_j in index order (fp32_acc).  ~n + 30 cycles
//  3 recip: R = recip(S).                                        ~12 cycles
//  4 out:   y_j = narrow(e_j * R) on the Lanes fma; masked -> 0, NaN row
//           (NaN input, max +-Inf) -> 0x7FC0 on kept columns.   n/Lanes beats
// Per-row configuration is sampled with the first beat: cfg_scale_i (FP32),
// causal mask: column j kept iff j <= cfg_mask_row_i (unsigned) +
// cfg_mask_offset_i (signed) when cfg_mask_en_i. Rows longer than MaxLen are
// not supported. The output row has the input's beat/keep structure.
module vec_softmax_bf16 #(
  parameter int unsigned Lanes  = 4,
  parameter int unsigned MaxLen = 4096
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic [31:0]         cfg_scale_i,
  input  logic                cfg_mask_en_i,
  input  logic [31:0]         cfg_mask_row_i,
  input  logic [31:0]         cfg_mask_offset_i,
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Lanes*16-1:0] in_data_i,
  input  logic [Lanes-1:0]    in_keep_i,
  input  logic                in_last_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Lanes*16-1:0] out_data_o,
  output logic [Lanes-1:0]    out_keep_o,
  output logic                out_last_o
);

  localparam int unsigned Depth = (MaxLen + Lanes - 1) / Lanes;  // buffer words
  localparam int unsigned AW    = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned LW    = (Lanes > 1) ? $clog2(Lanes) : 1;
  localparam int unsigned MW    = 34;  // signed mask arithmetic: row + offset, j
  localparam int unsigned TagW  = 1 + 2 * Lanes + AW;  // mul bank: {last, keep, kept, addr}
  localparam int unsigned XTagW = 2 + AW + LW;         // exp chain: {last, kept, word, lane}

  localparam logic [1:0] StIn    = 2'd0;
  localparam logic [1:0] StExp   = 2'd1;
  localparam logic [1:0] StRecip = 2'd2;
  localparam logic [1:0] StOut   = 2'd3;

  logic [1:0]  state_q;
  logic        first_q, in_done_q, issue_done_q, recip_sent_q;
  logic [31:0] scale_q, max_q, r_q;
  logic        mask_en_q, any_q, special_q;
  logic signed [MW-1:0] limit_q;
  logic [AW-1:0] wr_addr_q, rd_word_q, last_word_q;
  logic [LW-1:0] rd_lane_q;

  // ------------------------------------------------------------- row buffer
  // Per lane: s_j after pass 1, e_j after pass 2. Flags: {keep, kept}.
  logic [Lanes*32-1:0]  rd_word_data;
  logic [2*Lanes-1:0]   rd_flags;
  logic                 buf_we_all, buf_we_one;
  logic [AW-1:0]        buf_waddr_all, buf_waddr_one;
  logic [LW-1:0]        buf_wlane_one;
  logic [Lanes*32-1:0]  buf_wdata_all;
  logic [31:0]          buf_wdata_one;
  logic [2*Lanes-1:0]   buf_wflags;
  logic [2*Lanes-1:0]   flags_mem [Depth];

  for (genvar l = 0; l < Lanes; l++) begin : g_buf
    logic [31:0] mem [Depth];
    always_ff @(posedge clk_i) begin
      if (buf_we_all) begin
        mem[buf_waddr_all] <= buf_wdata_all[l*32 +: 32];
      end else if (buf_we_one && buf_wlane_one == LW'(l)) begin
        mem[buf_waddr_one] <= buf_wdata_one;
      end
    end
    assign rd_word_data[l*32 +: 32] = mem[rd_word_q];
  end

  always_ff @(posedge clk_i) begin
    if (buf_we_all) flags_mem[buf_waddr_all] <= buf_wflags;
  end
  assign rd_flags = flags_mem[rd_word_q];

  // --------------------------------------------- mul bank (pass 1 and pass 4)
  logic                mb_in_valid, mb_in_ready, mb_out_valid, mb_out_ready;
  logic [Lanes-1:0]    mb_lane_in_ready, mb_lane_out_valid;
  logic [Lanes*32-1:0] mb_a, mb_r;
  logic [31:0]         mb_b;
  logic [TagW-1:0]     mb_tag_in, mb_tag_out;
  logic [Lanes*TagW-1:0] mb_lane_tag_out;

  for (genvar l = 0; l < Lanes; l++) begin : g_mul
    fp32_fma #(.TagWidth(TagW)) u_fma (
      .clk_i,
      .rst_ni,
      .in_valid_i (mb_in_valid),
      .in_ready_o (mb_lane_in_ready[l]),
      .a_i        (mb_a[l*32 +: 32]),
      .b_i        (mb_b),
      .c_i        (vec_pkg::Fp32NegZero),
      .tag_i      ((l == 0) ? mb_tag_in : '0),
      .out_valid_o(mb_lane_out_valid[l]),
      .out_ready_i(mb_out_ready),
      .r_o        (mb_r[l*32 +: 32]),
      .tag_o      (mb_lane_tag_out[l*TagW +: TagW])
    );
  end
  // All lanes see the same handshake: lane 0 stands for the bank.
  assign mb_in_ready  = mb_lane_in_ready[0];
  assign mb_out_valid = mb_lane_out_valid[0];
  assign mb_tag_out   = mb_lane_tag_out[0 +: TagW];

  logic          mb_out_last;
  logic [Lanes-1:0] mb_out_keep, mb_out_kept;
  logic [AW-1:0] mb_out_addr;
  assign {mb_out_last, mb_out_keep, mb_out_kept, mb_out_addr} = mb_tag_out;

  // ------------------------------------------------------------ pass 1: in
  logic [31:0]          cur_scale;
  logic                 cur_mask_en;
  logic signed [MW-1:0] cur_limit;
  logic [Lanes-1:0]     in_kept;
  logic [Lanes*32-1:0]  in_wide;
  logic                 in_fire;

  assign cur_scale   = first_q ? cfg_scale_i : scale_q;
  assign cur_mask_en = first_q ? cfg_mask_en_i : mask_en_q;
  assign cur_limit   = first_q ? ($signed({2'b00, cfg_mask_row_i}) +
                                  $signed({{(MW-32){cfg_mask_offset_i[31]}}, cfg_mask_offset_i}))
                               : limit_q;

  for (genvar l = 0; l < Lanes; l++) begin : g_in
    logic [MW-1:0] j;
    assign j = MW'(wr_addr_q) * MW'(Lanes) + MW'(l);
    assign in_kept[l] = in_keep_i[l] && (!cur_mask_en || ($signed(j) <= cur_limit));
    bf16_to_fp32 u_widen (
      .b_i(in_data_i[l*16 +: 16]),
      .f_o(in_wide[l*32 +: 32])
    );
  end

  assign in_ready_o = (state_q == StIn) && !in_done_q && mb_in_ready;
  assign in_fire    = in_valid_i && in_ready_o;

  // Running maximum over one beat of scaled values (lane order = index order).
  logic        mx_any, mx_special;
  logic [31:0] mx_max;

  // Unsigned key ordering non-NaN FP32 values like the reals, all zeros (DAZ)
  // equal: IEEE comparison as the model's fp32_less.
  function automatic logic [31:0] order_key(logic [31:0] a);
    if (a[30:23] == '0) order_key = 32'h8000_0000;
    else if (a[31])     order_key = ~a;
    else                order_key = {1'b1, a[30:0]};
  endfunction

  always_comb begin
    mx_any     = any_q;
    mx_special = special_q;
    mx_max     = max_q;
    for (int unsigned l = 0; l < Lanes; l++) begin
      if (mb_out_kept[l]) begin
        if (mb_r[l*32 + 23 +: 8] == vec_pkg::Fp32ExpMax && mb_r[l*32 +: 23] != '0) begin
          mx_special = 1'b1;
        end else if (!mx_any || (order_key(mx_max) < order_key(mb_r[l*32 +: 32]))) begin
          mx_max = mb_r[l*32 +: 32];
        end
        mx_any = 1'b1;
      end
    end
  end

  // ------------------------------------------------------ pass 2: exp + sum
  logic             x_in_valid, x_in_ready, d_valid, d_ready, e_valid;
  logic [31:0]      x_sel, d_r, e_val;
  logic [XTagW-1:0] x_tag, d_tag, e_tag;
  logic             x_last;
  logic [31:0]      unused_e_p;
  logic [9:0]       unused_e_k;
  logic [31:0]      acc;

  logic x_kept;
  always_comb begin
    x_sel  = rd_word_data[0 +: 32];
    x_kept = rd_flags[0];
    for (int unsigned l = 1; l < Lanes; l++) begin
      if (rd_lane_q == LW'(l)) begin
        x_sel  = rd_word_data[l*32 +: 32];
        x_kept = rd_flags[l];
      end
    end
  end
  assign x_last     = (rd_word_q == last_word_q) && (rd_lane_q == LW'(Lanes - 1));
  assign x_in_valid = (state_q == StExp) && !issue_done_q;
  assign x_tag      = {x_last, x_kept, rd_word_q, rd_lane_q};

  // s - m
  fp32_fma #(.TagWidth(XTagW)) u_sub_max (
    .clk_i,
    .rst_ni,
    .in_valid_i (x_in_valid),
    .in_ready_o (x_in_ready),
    .a_i        (x_sel),
    .b_i        (vec_pkg::Fp32One),
    .c_i        ({~max_q[31], max_q[30:0]}),
    .tag_i      (x_tag),
    .out_valid_o(d_valid),
    .out_ready_i(d_ready),
    .r_o        (d_r),
    .tag_o      (d_tag)
  );

  vec_exp_neg_split #(.TagWidth(XTagW)) u_exp (
    .clk_i,
    .rst_ni,
    .in_valid_i (d_valid),
    .in_ready_o (d_ready),
    .v_i        (d_r),
    .tag_i      (d_tag),
    .out_valid_o(e_valid),
    .out_ready_i(1'b1),
    .p_o        (unused_e_p),
    .k_o        (unused_e_k),
    .e_o        (e_val),
    .tag_o      (e_tag)
  );

  logic          e_last, e_kept;
  logic [AW-1:0] e_word;
  logic [LW-1:0] e_lane;
  assign {e_last, e_kept, e_word, e_lane} = e_tag;

  fp32_acc u_acc (
    .clk_i,
    .rst_ni,
    .clear_i(state_q == StIn),
    .init_i (32'd0),
    .valid_i(e_valid && e_kept),
    .data_i (e_val),
    .acc_o  (acc)
  );

  // ---------------------------------------------------------- pass 3: recip
  logic        rc_in_valid, rc_in_ready, rc_out_valid;
  logic [31:0] rc_r, unused_rc_m;
  logic [9:0]  unused_rc_e;
  logic        unused_rc_tag;

  assign rc_in_valid = (state_q == StRecip) && !recip_sent_q;

  vec_recip #(.TagWidth(1)) u_recip (
    .clk_i,
    .rst_ni,
    .in_valid_i (rc_in_valid),
    .in_ready_o (rc_in_ready),
    .v_i        (acc),
    .tag_i      (1'b0),
    .out_valid_o(rc_out_valid),
    .out_ready_i(1'b1),
    .m_o        (unused_rc_m),
    .e_o        (unused_rc_e),
    .r_o        (rc_r),
    .tag_o      (unused_rc_tag)
  );

  // ----------------------------------------------------- pass 4: normalise
  logic row_nan;
  assign row_nan = special_q || (max_q[30:0] == {vec_pkg::Fp32ExpMax, 23'd0});

  always_comb begin
    if (state_q == StIn) begin
      mb_in_valid  = in_valid_i && !in_done_q;
      mb_a         = in_wide;
      mb_b         = cur_scale;
      mb_tag_in    = {in_last_i, in_keep_i, in_kept, wr_addr_q};
      mb_out_ready = 1'b1;
    end else begin
      mb_in_valid  = (state_q == StOut) && !issue_done_q;
      mb_a         = rd_word_data;
      mb_b         = r_q;
      mb_tag_in    = {rd_word_q == last_word_q, rd_flags, rd_word_q};
      mb_out_ready = (state_q == StOut) && out_ready_i;
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_out
    logic [15:0] y16;
    fp32_to_bf16 u_narrow (
      .f_i(mb_r[l*32 +: 32]),
      .b_o(y16)
    );
    assign out_data_o[l*16 +: 16] = !mb_out_kept[l] ? 16'd0 :
                                    row_nan ? vec_pkg::Bf16CanonicalNan : y16;
  end
  assign out_valid_o = (state_q == StOut) && mb_out_valid;
  assign out_keep_o  = mb_out_keep;
  assign out_last_o  = mb_out_last;

  // Buffer writes: pass 1 whole words, pass 2 one element.
  assign buf_we_all    = (state_q == StIn) && mb_out_valid;
  assign buf_waddr_all = mb_out_addr;
  assign buf_wdata_all = mb_r;
  assign buf_wflags    = {mb_out_keep, mb_out_kept};
  assign buf_we_one    = e_valid;
  assign buf_waddr_one = e_word;
  assign buf_wlane_one = e_lane;
  assign buf_wdata_one = e_val;

  // ---------------------------------------------------------------- control
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIn;
      first_q      <= 1'b1;
      in_done_q    <= 1'b0;
      issue_done_q <= 1'b0;
      recip_sent_q <= 1'b0;
      scale_q      <= '0;
      mask_en_q    <= 1'b0;
      limit_q      <= '0;
      max_q        <= '0;
      any_q        <= 1'b0;
      special_q    <= 1'b0;
      r_q          <= '0;
      wr_addr_q    <= '0;
      rd_word_q    <= '0;
      rd_lane_q    <= '0;
      last_word_q  <= '0;
    end else begin
      case (state_q)
        StIn: begin
          if (in_fire) begin
            first_q   <= 1'b0;
            scale_q   <= cur_scale;
            mask_en_q <= cur_mask_en;
            limit_q   <= cur_limit;
            wr_addr_q <= wr_addr_q + AW'(1);
            if (in_last_i) in_done_q <= 1'b1;
          end
          if (mb_out_valid) begin
            any_q     <= mx_any;
            special_q <= mx_special;
            max_q     <= mx_max;
            if (mb_out_last) begin
              last_word_q  <= mb_out_addr;
              state_q      <= StExp;
              rd_word_q    <= '0;
              rd_lane_q    <= '0;
              issue_done_q <= 1'b0;
            end
          end
        end
        StExp: begin
          if (x_in_valid && x_in_ready) begin
            if (x_last) begin
              issue_done_q <= 1'b1;
            end else if (rd_lane_q == LW'(Lanes - 1)) begin
              rd_lane_q <= '0;
              rd_word_q <= rd_word_q + AW'(1);
            end else begin
              rd_lane_q <= rd_lane_q + LW'(1);
            end
          end
          if (e_valid && e_last) begin
            state_q      <= StRecip;
            recip_sent_q <= 1'b0;
          end
        end
        StRecip: begin
          if (rc_in_valid && rc_in_ready) recip_sent_q <= 1'b1;
          if (rc_out_valid) begin
            r_q          <= rc_r;
            state_q      <= StOut;
            rd_word_q    <= '0;
            issue_done_q <= 1'b0;
          end
        end
        default: begin  // StOut
          if (mb_in_valid && mb_in_ready) begin
            if (rd_word_q == last_word_q) issue_done_q <= 1'b1;
            else                          rd_word_q <= rd_word_q + AW'(1);
          end
          if (out_valid_o && out_ready_i && mb_out_last) begin
            state_q   <= StIn;
            first_q   <= 1'b1;
            in_done_q <= 1'b0;
            wr_addr_q <= '0;
            any_q     <= 1'b0;
            special_q <= 1'b0;
            max_q     <= '0;
          end
        end
      endcase
    end
  end

  logic unused_lanes;
  assign unused_lanes = ^{mb_lane_in_ready, mb_lane_out_valid, mb_lane_tag_out,
                          unused_e_p, unused_e_k, unused_rc_m, unused_rc_e, unused_rc_tag};

endmodule
