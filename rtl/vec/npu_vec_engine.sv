// Vector engine (docs/architecture.md, "The vector engine"): runs one VEC
// command at a time over Lanes lanes. Two word readers (src, aux) feed a
// beat sequencer; each beat (up to Lanes elements of one row) goes through
// the lane pipeline (vec_lane, LaneStages stages) to the writer. Multi-pass
// functions keep Slots rows in flight; the shared scalar unit (vec_scalar)
// reduces a row's partials between its passes. The command was checked by
// npu_vec_check before it gets here.
module npu_vec_engine #(
  parameter int unsigned Cols     = 16,
  parameter int unsigned BusBytes = 32,
  parameter int unsigned AspadAW  = 13,
  parameter int unsigned WspadAW  = 11,
  parameter int unsigned AccAW    = 10,
  parameter int unsigned MaxLen   = 1024,
  parameter int unsigned Lanes    = 16,
  parameter int unsigned ScrubAW  = 10,   // scrub address: >= 8 bits and the parameter words
  localparam int unsigned DW      = BusBytes * 8,
  localparam int unsigned AccDW   = Cols * 32
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // command (checked)
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  npu_isa_pkg::cmd_vec_t cmd_i,
  output logic                  done_o,
  output logic                  busy_o,
  output logic                  stall_o,
  // ASPAD read client (a response one cycle after its handshake)
  output logic                  aspad_rd_valid_o,
  input  logic                  aspad_rd_ready_i,
  output logic [AspadAW-1:0]    aspad_rd_addr_o,
  input  logic                  aspad_rd_rsp_valid_i,
  input  logic [DW-1:0]         aspad_rd_rsp_data_i,
  // ACC read client (one word = one ACC row)
  output logic                  acc_rd_valid_o,
  input  logic                  acc_rd_ready_i,
  output logic [AccAW-1:0]      acc_rd_addr_o,
  input  logic                  acc_rd_rsp_valid_i,
  input  logic [AccDW-1:0]      acc_rd_rsp_data_i,
  // ASPAD and WSPAD write clients
  output logic                  aspad_wr_valid_o,
  input  logic                  aspad_wr_ready_i,
  output logic [AspadAW-1:0]    aspad_wr_addr_o,
  output logic [DW-1:0]         aspad_wr_data_o,
  output logic [BusBytes-1:0]   aspad_wr_strb_o,
  output logic                  wspad_wr_valid_o,
  input  logic                  wspad_wr_ready_i,
  output logic [WspadAW-1:0]    wspad_wr_addr_o,
  output logic [DW-1:0]         wspad_wr_data_o,
  output logic [BusBytes-1:0]   wspad_wr_strb_o,
  // CTRL.SCRUB, while the engine is idle: zero parameter-buffer word and LUT
  // entry scrub_addr_i (where it is below their sizes)
  input  logic                  scrub_we_i,
  input  logic [ScrubAW-1:0]    scrub_addr_i
);
  import vec_pkg::*;
  import npu_isa_pkg::*;

  localparam int unsigned Slots = (Lanes >= 8) ? 4 : 2;
  localparam int unsigned SW    = $clog2(Slots);
  localparam int unsigned NQ    = 16 / Lanes;
  localparam int unsigned QW    = (NQ > 1) ? $clog2(NQ) : 1;
  localparam int unsigned LS    = $clog2(Lanes);                 // 0 for one lane
  localparam int unsigned LW    = (Lanes > 1) ? LS : 1;          // lane index width
  localparam int unsigned NS    = LaneStages + 1;
  localparam int unsigned WW    = (DW > AccDW) ? DW : AccDW;   // reader word
  localparam int unsigned PWords = (MaxLen + Lanes - 1) / Lanes; // parameter buffer words
  localparam int unsigned PAW   = (PWords > 1) ? $clog2(PWords) : 1;
  localparam int unsigned ChW   = 72;                            // P0 32, P1 32, P2 8

  // ================================================================ command
  typedef enum logic [1:0] {EIdle, EPro, ERun} est_e;
  est_e            st_q;
  cmd_vec_t        c;
  vec_func_info_t  fi;
  logic            start_run, run_q, accept;

  assign cmd_ready_o = (st_q == EIdle);
  assign accept      = cmd_valid_i && cmd_ready_o;
  assign busy_o      = (st_q != EIdle);
  // the running command's func by name in waves (sim/waves/filters/)
  vec_func_e c_func;
  assign c_func      = c.func;
  assign fi          = vec_func_info(c_func);

  // stream element types
  elem_e st_t, at_t;
  logic  src_acc, aux_acc, has_aux, has_dst, rope, one, wide_dst;
  logic [1:0] s_eb, a_eb;
  function automatic logic [1:0] eb_of(elem_e t);
    return (t == ElemI8 || t == ElemU8) ? 2'd0 : (t == ElemBf16) ? 2'd1 : 2'd2;
  endfunction
  assign src_acc  = (c.src_space == SpaceAcc);
  assign aux_acc  = (c.aux_space == SpaceAcc);
  assign st_t     = src_acc ? fi.src_acc : fi.src_aspad;
  assign at_t     = aux_acc ? fi.aux_acc : fi.aux_aspad;
  assign s_eb     = eb_of(st_t);
  assign a_eb     = eb_of(at_t);
  assign has_aux  = (fi.aux_aspad != ElemNone);
  assign has_dst  = (fi.dst != ElemNone);
  assign rope     = (c.func == VfRopeBf16);
  assign one      = (c.func == VfParams) || (c.func == VfLutLoad);
  assign wide_dst = (fi.dst == ElemBf16);

  function automatic logic [31:0] sx16(logic [15:0] v);
    return {{16{v[15]}}, v};
  endfunction

  // constants of the lanes
  logic [31:0] sc_kma;
  vcmd_t       k;
  always_comb begin
    k = '0;
    unique case (c.func)
      VfRequant: begin k.req_p = 1'b1; k.zp = c.cfg0; end
      VfAddI8, VfMulI8: begin
        k.za = c.cfg0[7:0]; k.zb = c.cfg0[15:8];
        k.kma = sx16(c.cfg1[15:0]); k.kmb = sx16(c.cfg1[31:16]);
        k.mult = c.cfg2[30:0]; k.shift = c.cfg3[5:0]; k.zp = {{8{c.cfg3[31]}}, c.cfg3[31:8]};
      end
      VfSoftmaxI8: k.kma = c.cfg0;
      VfLayernormI32, VfRmsnormI32: begin
        k.mult = c.cfg1[30:0]; k.shift = c.cfg2[5:0]; k.zp = {{8{c.cfg2[31]}}, c.cfg2[31:8]};
      end
      VfQuantI8: begin k.kma = c.cfg0; k.zp = {{24{c.cfg1[7]}}, c.cfg1[7:0]}; end
      VfSoftmaxBf16: k.kma = sc_kma;
      VfGeluBf16: begin k.kmb = GeluA2; k.kaa = GeluB2; end
      VfSiluBf16, VfSwigluBf16: k.kma = Log2e;
      VfCvtBf16: k.kma = c.cfg0;
      default: ;
    endcase
  end

  // RoPE: word offsets of the second half, H * group_stride (H = n/2 / group)
  logic [15:0] es_q, ed_q, half_n;
  logic [23:0] hs_q, ha_q, hd_q;
  logic        rope_done;
  assign half_n    = c.n >> 1;
  assign rope_done = !rope || ((es_q >= half_n) && (ed_q >= half_n));

  logic sc_pro_busy, sc_idle;
  logic seq_done, pipe_empty;
  logic [NS-1:0] cp_valid;
  assign pipe_empty = (cp_valid == '0);
  assign start_run  = (st_q == EPro) && !sc_pro_busy && rope_done;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q <= EIdle; c <= '0; run_q <= 1'b0;
      es_q <= '0; ed_q <= '0; hs_q <= '0; ha_q <= '0; hd_q <= '0;
    end else begin
      run_q <= start_run;
      unique case (st_q)
        EIdle: if (accept) begin
          c    <= cmd_i;
          st_q <= EPro;
          es_q <= '0; ed_q <= '0; hs_q <= '0; ha_q <= '0; hd_q <= '0;
        end
        EPro: begin
          if (es_q < half_n) begin
            es_q <= es_q + 16'(c.src_group);
            hs_q <= hs_q + 24'(c.src_group_stride);
            ha_q <= ha_q + 24'(c.aux_group_stride);
          end
          if (ed_q < half_n) begin
            ed_q <= ed_q + 16'(c.dst_group);
            hd_q <= hd_q + 24'(c.dst_group_stride);
          end
          if (start_run) st_q <= ERun;
        end
        ERun: if (!run_q && seq_done && pipe_empty && sc_idle) st_q <= EIdle;
        default: st_q <= EIdle;
      endcase
    end
  end
  assign done_o = (st_q == ERun) && !run_q && seq_done && pipe_empty && sc_idle;

  // ================================================================ readers
  logic [15:0] rows;
  logic [1:0]  passes;
  assign rows   = c.rows;
  assign passes = fi.passes;

  localparam int unsigned RDepth = 6;  // RoPE pops two words at once: 4 would starve it
  localparam int unsigned CntW   = $clog2(RDepth + 1);
  logic [1:0]          rq_valid, rq_ready, rs_valid, r_walk;
  logic [23:0]         rq_addr [2];
  logic [WW-1:0]       rs_data [2];
  logic [CntW-1:0]     r_cnt [2];
  logic [WW-1:0]       r_w0 [2], r_w1 [2];
  logic [1:0]          r_pop [2];

  vec_reader #(.Slots(Slots), .WW(WW), .Depth(RDepth)) u_src (
    .clk_i, .rst_ni, .start_i(start_run), .rows_i(rows), .passes_i(passes), .n_i(c.n),
    .group_i(c.src_group), .addr_i(c.src_addr), .row_stride_i(c.src_row_stride),
    .group_stride_i(c.src_group_stride), .rope_i(rope), .hoff_i(hs_q),
    .req_valid_o(rq_valid[0]), .req_ready_i(rq_ready[0]), .req_addr_o(rq_addr[0]),
    .rsp_valid_i(rs_valid[0]), .rsp_data_i(rs_data[0]), .count_o(r_cnt[0]),
    .word0_o(r_w0[0]), .word1_o(r_w1[0]), .pop_i(r_pop[0]), .walking_o(r_walk[0]));
  vec_reader #(.Slots(Slots), .WW(WW), .Depth(RDepth)) u_aux (
    .clk_i, .rst_ni, .start_i(start_run && has_aux), .rows_i(rows), .passes_i(passes),
    .n_i(c.n), .group_i(c.aux_group), .addr_i(c.aux_addr), .row_stride_i(c.aux_row_stride),
    .group_stride_i(c.aux_group_stride), .rope_i(rope), .hoff_i(ha_q),
    .req_valid_o(rq_valid[1]), .req_ready_i(rq_ready[1]), .req_addr_o(rq_addr[1]),
    .rsp_valid_i(rs_valid[1]), .rsp_data_i(rs_data[1]), .count_o(r_cnt[1]),
    .word0_o(r_w0[1]), .word1_o(r_w1[1]), .pop_i(r_pop[1]), .walking_o(r_walk[1]));

  // Ports: reader i uses ACC or ASPAD by its space; two readers on one port
  // take turns. A port's response belongs to the reader it granted last cycle.
  logic [1:0] r_acc;
  logic       as_turn_q, acc_turn_q, as_gnt_q, acc_gnt_q;  // turn: reader 1 preferred
  logic [1:0] as_req, acc_req, as_gnt, acc_gnt;
  assign r_acc = {aux_acc, src_acc};
  always_comb begin
    as_req  = rq_valid & ~r_acc;
    acc_req = rq_valid & r_acc;
    as_gnt  = '0;
    acc_gnt = '0;
    if (as_req == 2'b11)   as_gnt = as_turn_q ? 2'b10 : 2'b01;
    else                   as_gnt = as_req;
    if (acc_req == 2'b11)  acc_gnt = acc_turn_q ? 2'b10 : 2'b01;
    else                   acc_gnt = acc_req;
  end
  assign aspad_rd_valid_o = |as_gnt;
  assign aspad_rd_addr_o  = AspadAW'(as_gnt[1] ? rq_addr[1] : rq_addr[0]);
  assign acc_rd_valid_o   = |acc_gnt;
  assign acc_rd_addr_o    = AccAW'(acc_gnt[1] ? rq_addr[1] : rq_addr[0]);
  assign rq_ready = (as_gnt & {2{aspad_rd_ready_i}}) | (acc_gnt & {2{acc_rd_ready_i}});

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      as_turn_q <= 1'b0; acc_turn_q <= 1'b0; as_gnt_q <= 1'b0; acc_gnt_q <= 1'b0;
    end else begin
      if (aspad_rd_valid_o && aspad_rd_ready_i) begin
        as_gnt_q  <= as_gnt[1];
        as_turn_q <= !as_gnt[1];
      end
      if (acc_rd_valid_o && acc_rd_ready_i) begin
        acc_gnt_q  <= acc_gnt[1];
        acc_turn_q <= !acc_gnt[1];
      end
    end
  end
  for (genvar i = 0; i < 2; i++) begin : g_rsp
    logic as_hit, acc_hit;
    assign as_hit     = aspad_rd_rsp_valid_i && (as_gnt_q == 1'(i));
    assign acc_hit    = acc_rd_rsp_valid_i && (acc_gnt_q == 1'(i));
    assign rs_valid[i] = as_hit || acc_hit;
    assign rs_data[i]  = acc_hit ? WW'(acc_rd_rsp_data_i) : WW'(aspad_rd_rsp_data_i);
  end

  // ================================================================ beats
  logic  seq_valid, fire, en, adv;
  beat_t nb;
  vec_seq #(.Lanes(Lanes), .Slots(Slots)) u_seq (
    .clk_i, .rst_ni, .start_i(start_run), .rows_i(rows), .passes_i(passes), .n_i(c.n),
    .src_group_i(c.src_group), .aux_group_i(c.aux_group), .dst_group_i(c.dst_group),
    .has_aux_i(has_aux), .has_dst_i(has_dst), .rope_i(rope), .one_i(one),
    .dst_addr_i(c.dst_addr), .dst_row_stride_i(c.dst_row_stride),
    .dst_group_stride_i(c.dst_group_stride), .dst_pairs_i(c.dst_pairs), .dst_hoff_i(hd_q),
    .mask_en_i(c.cfg1[0] && (c.func == VfSoftmaxI8 || c.func == VfSoftmaxBf16)),
    .mask_off_i(c.cfg2), .valid_o(seq_valid), .ready_i(fire), .beat_o(nb),
    .done_o(seq_done));

  // slot scalars: results of the finished passes of each slot's row
  logic [1:0]  sc_done_q [Slots];
  logic [31:0] ra_q [Slots], rb_q [Slots];
  logic [7:0]  rc_q [Slots];
  logic        rnan_q [Slots];

  logic [CntW-1:0] need;
  logic            words_ok, scal_ok;
  assign need     = rope ? CntW'(2) : CntW'(1);
  assign words_ok = (r_cnt[0] >= need) && (!has_aux || (r_cnt[1] >= need));
  assign scal_ok  = (nb.pass == 2'd1) || (sc_done_q[nb.slot[SW-1:0]] >= nb.pass - 2'd1);
  assign fire     = (st_q == ERun) && seq_valid && words_ok && scal_ok && en;
  assign r_pop[0] = fire ? nb.spop : 2'd0;
  assign r_pop[1] = (fire && has_aux) ? nb.apop : 2'd0;
  assign stall_o  = (st_q == ERun) && seq_valid && !fire;
  // The pipeline (and the lanes) advance only while they hold a beat or take
  // one: an idle engine costs neither toggles nor simulation time.
  assign adv      = en && (fire || !pipe_empty);

  // unpack the words of the beat
  logic [Lanes*32-1:0] us0, us1, ua0, ua1;
  vec_unpack #(.Lanes(Lanes), .WB(WW / 8)) u_us0 (
    .word_i(r_w0[0]), .eb_i(s_eb), .bf16_i(st_t == ElemBf16), .delta_i(nb.sdelta), .lane_o(us0));
  vec_unpack #(.Lanes(Lanes), .WB(WW / 8)) u_us1 (
    .word_i(r_w1[0]), .eb_i(s_eb), .bf16_i(st_t == ElemBf16), .delta_i(nb.sdelta), .lane_o(us1));
  vec_unpack #(.Lanes(Lanes), .WB(WW / 8)) u_ua0 (
    .word_i(r_w0[1]), .eb_i(a_eb), .bf16_i(at_t == ElemBf16), .delta_i(nb.adelta), .lane_o(ua0));
  vec_unpack #(.Lanes(Lanes), .WB(WW / 8)) u_ua1 (
    .word_i(r_w1[1]), .eb_i(a_eb), .bf16_i(at_t == ElemBf16), .delta_i(nb.adelta), .lane_o(ua1));

  // ================================================================ pipeline control
  // Unpacked: Verilator copies one stage at a time (a packed array of structs
  // is one wide vector, rebuilt by concatenation for every stage's update).
  vctl_t          cp_ctl [NS];
  beat_t          cp_beat [NS];
  vctl_t          nctl;
  always_comb begin
    nctl      = '0;
    nctl.u    = uop_of(c.func, nb.pass, c.cfg1[2:0], src_acc);
    nctl.ra   = (nb.pass == 2'd1) ? 32'd0 : ra_q[nb.slot[SW-1:0]];
    nctl.rb   = rb_q[nb.slot[SW-1:0]];
    nctl.rc   = rc_q[nb.slot[SW-1:0]];
    nctl.rnan = rnan_q[nb.slot[SW-1:0]];
    nctl.half = nb.half;
  end

  // I1: the beat's lane inputs
  logic [31:0] x_q [Lanes], a_q [Lanes], b_q [Lanes], p_q [Lanes];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cp_valid <= '0;
      for (int s = 0; s < NS; s++) begin
        cp_ctl[s]  <= '0;
        cp_beat[s] <= '0;
      end
      for (int l = 0; l < Lanes; l++) begin
        x_q[l] <= '0; a_q[l] <= '0; b_q[l] <= '0; p_q[l] <= '0;
      end
    end else if (adv) begin
      cp_valid[0] <= fire;
      if (fire) begin
        cp_ctl[0]  <= nctl;
        cp_beat[0] <= nb;
        for (int l = 0; l < Lanes; l++) begin
          x_q[l] <= nb.xsel ? us1[32*l +: 32] : us0[32*l +: 32];
          p_q[l] <= nb.xsel ? us0[32*l +: 32] : us1[32*l +: 32];
          a_q[l] <= ua0[32*l +: 32];
          b_q[l] <= ua1[32*l +: 32];
        end
      end
      for (int s = 1; s < NS; s++) begin
        cp_valid[s] <= cp_valid[s-1];
        cp_ctl[s]   <= cp_ctl[s-1];
        cp_beat[s]  <= cp_beat[s-1];
      end
    end
  end

  // ================================================================ parameter buffer
  // Word w of lane l's memory holds channel w*Lanes + l.
  logic [Lanes*ChW-1:0]   pm_rd, pm_wd;
  logic [Lanes*ChW/8-1:0] pm_ws;
  logic [PAW-1:0]         pm_wa;
  logic                   pm_we;
  logic [15:0]            ch_q;     // PARAMS: channel and component of the beat in I1
  logic [1:0]             comp_q;
  logic [15:0]            ch;
  logic [1:0]             comp;
  logic [31:0]            xe;       // the element of a one-element beat
  logic [LW-1:0]          l0;
  assign l0   = (Lanes > 1) ? LW'(cp_beat[0].e0) : '0;
  assign xe   = x_q[l0];
  assign ch   = cp_beat[0].job_first ? 16'd0 : ch_q;
  assign comp = cp_beat[0].job_first ? 2'd0 : comp_q;
  logic pm_cmd_we, pm_scrub;
  assign pm_cmd_we = en && cp_valid[0] && (c.func == VfParams);
  assign pm_scrub  = scrub_we_i && 32'(scrub_addr_i) < PWords;
  always_comb begin
    logic [LW-1:0] cl;
    cl    = (Lanes > 1) ? LW'(ch) : '0;
    pm_we = pm_cmd_we;
    pm_wa = PAW'(ch >> LS);
    pm_wd = '0;
    pm_ws = '0;
    for (int l = 0; l < Lanes; l++) begin
      pm_wd[ChW*l +: ChW] = {8'(xe), xe, xe};
      if (LW'(l) == cl) begin
        unique case (comp)
          2'd0:    pm_ws[9*l +: 9] = 9'b0_0000_1111;
          2'd1:    pm_ws[9*l +: 9] = 9'b0_1111_0000;
          default: pm_ws[9*l +: 9] = 9'b1_0000_0000;
        endcase
      end
    end
    if (pm_scrub) begin
      pm_we = 1'b1;
      pm_wa = PAW'(scrub_addr_i);
      pm_wd = '0;
      pm_ws = '1;
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ch_q <= '0; comp_q <= '0;
    end else if (pm_cmd_we) begin
      comp_q <= (comp == 2'd2) ? 2'd0 : comp + 2'd1;
      ch_q   <= (comp == 2'd2) ? ch + 16'd1 : ch;
    end
  end
  for (genvar l = 0; l < Lanes; l++) begin : g_params
    npu_mem #(.Words(PWords), .DW(ChW), .NumRd(1)) u_params (
      .clk_i, .rd_en_i(fire), .rd_addr_i(PAW'(nb.e0 >> LS)), .rd_data_o(pm_rd[ChW*l +: ChW]),
      .wr_en_i(pm_we), .wr_addr_i(pm_wa), .wr_data_i(pm_wd[ChW*l +: ChW]),
      .wr_strb_i(pm_ws[ChW/8*l +: ChW/8]));
  end

  // LUT_LOAD: entry e0 of every lane's LUT
  logic lut_we, lut_scrub;
  logic [7:0] lut_wa, lut_wd;
  assign lut_scrub = scrub_we_i && 32'(scrub_addr_i) < 256;
  assign lut_we    = (en && cp_valid[0] && (c.func == VfLutLoad)) || lut_scrub;
  assign lut_wa    = lut_scrub ? scrub_addr_i[7:0] : cp_beat[0].e0[7:0];
  assign lut_wd    = lut_scrub ? 8'd0 : xe[7:0];

  // ================================================================ lanes
  logic [SW-1:0]       rd_slot;
  logic [QW-1:0]       rd_q;
  logic [Lanes*64-1:0] rd_val;
  logic [Lanes-1:0]    rd_seen, rd_nan;
  logic [Lanes*16-1:0] y;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    vec_lane #(.Lanes(Lanes), .Slots(Slots)) u_lane (
      .clk_i, .rst_ni, .en_i(adv), .cmd_i(k), .ctl_i(cp_ctl),
      .x_i(x_q[l]), .a_i(a_q[l]), .b_i(b_q[l]), .p_i(p_q[l]),
      .p0_i(pm_rd[ChW*l +: 32]), .p1_i(pm_rd[ChW*l + 32 +: 32]), .p2_i(pm_rd[ChW*l + 64 +: 6]),
      .tap_en_i(cp_valid[6] && cp_beat[6].keep[l]),
      .tap_first_i(cp_valid[6] && cp_beat[6].job_first),
      .tap_slot_i(cp_beat[6].slot[SW-1:0]), .tap_q_i(QW'(cp_beat[6].q)),
      .rd_slot_i(rd_slot), .rd_q_i(rd_q), .rd_val_o(rd_val[64*l +: 64]),
      .rd_seen_o(rd_seen[l]), .rd_nan_o(rd_nan[l]),
      .lut_we_i(lut_we), .lut_addr_i(lut_wa), .lut_data_i(lut_wd),
      .y_o(y[16*l +: 16]));
  end

  // ================================================================ scalar unit
  logic          res_valid, res_rnan;
  logic [SW-1:0] res_slot;
  logic [31:0]   res_ra, res_rb;
  logic [7:0]    res_rc;
  logic [3:0]    res_set;
  logic          ev_valid;
  assign ev_valid = en && cp_valid[6] && cp_beat[6].job_last && (cp_ctl[6].u.tap != TapNone);
  vec_scalar #(.Lanes(Lanes), .Slots(Slots)) u_scalar (
    .clk_i, .rst_ni, .pro_start_i(accept), .func_i(cmd_i.func), .n_i(cmd_i.n),
    .cfg0_i(cmd_i.cfg0), .pro_busy_o(sc_pro_busy), .kma_o(sc_kma),
    .ev_valid_i(ev_valid), .ev_slot_i(cp_beat[6].slot[SW-1:0]), .ev_pass_i(cp_beat[6].pass),
    .rd_slot_o(rd_slot), .rd_q_o(rd_q), .rd_val_i(rd_val), .rd_seen_i(rd_seen),
    .rd_nan_i(rd_nan), .res_valid_o(res_valid), .res_slot_o(res_slot), .res_ra_o(res_ra),
    .res_rb_o(res_rb), .res_rc_o(res_rc), .res_rnan_o(res_rnan), .res_set_o(res_set),
    .idle_o(sc_idle));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int s = 0; s < Slots; s++) begin
        sc_done_q[s] <= '0; ra_q[s] <= '0; rb_q[s] <= '0; rc_q[s] <= '0; rnan_q[s] <= 1'b0;
      end
    end else begin
      // a command starts from zero scalars (RMSNorm's mean stays 0)
      if (start_run)
        for (int s = 0; s < Slots; s++) begin
          sc_done_q[s] <= '0; ra_q[s] <= '0; rb_q[s] <= '0; rc_q[s] <= '0; rnan_q[s] <= 1'b0;
        end
      if (fire && nb.pass == 2'd1 && nb.job_first) sc_done_q[nb.slot[SW-1:0]] <= '0;
      if (res_valid) begin
        sc_done_q[res_slot] <= sc_done_q[res_slot] + 2'd1;
        if (res_set[0]) ra_q[res_slot]   <= res_ra;
        if (res_set[1]) rb_q[res_slot]   <= res_rb;
        if (res_set[2]) rc_q[res_slot]   <= res_rc;
        if (res_set[3]) rnan_q[res_slot] <= res_rnan;
      end
    end
  end

  // ================================================================ writer
  logic        w_valid, w_ready, w_as, w_ws;
  logic [23:0] w_addr;
  logic [DW-1:0] w_data;
  logic [BusBytes-1:0] w_strb;
  assign w_valid = cp_valid[NS-1] && has_dst && (cp_ctl[NS-1].u.tl != TlNone);
  assign en      = !(w_valid && !w_ready);
  vec_writer #(.Lanes(Lanes), .BusBytes(BusBytes)) u_writer (
    .valid_i(w_valid), .ready_o(w_ready), .y_i(y), .beat_i(cp_beat[NS-1]), .wide_i(wide_dst),
    .pairs_i(c.dst_pairs), .wspad_i(c.dst_space == SpaceWspad), .as_valid_o(w_as),
    .as_ready_i(aspad_wr_ready_i), .ws_valid_o(w_ws), .ws_ready_i(wspad_wr_ready_i),
    .addr_o(w_addr), .data_o(w_data), .strb_o(w_strb));
  assign aspad_wr_valid_o = w_as;
  assign aspad_wr_addr_o  = AspadAW'(w_addr);
  assign aspad_wr_data_o  = w_data;
  assign aspad_wr_strb_o  = w_strb;
  assign wspad_wr_valid_o = w_ws;
  assign wspad_wr_addr_o  = WspadAW'(w_addr);
  assign wspad_wr_data_o  = w_data;
  assign wspad_wr_strb_o  = w_strb;

  logic unused;
  assign unused = ^{r_walk, fi, c.rsvd_416, c.rsvd_280, c.rsvd_186, c.rsvd_123,
                    c.rsvd_58, c.rsvd_24, c.push, c.pop, c.opcode, pm_rd, w_addr};

`ifndef SYNTHESIS
  initial begin
    if (Lanes < 1 || Lanes > MaxLanes || (16 % Lanes) != 0)
      $error("npu_vec_engine: Lanes (%0d) must divide 16", Lanes);
    if (MaxLen > 4096) $error("npu_vec_engine: MaxLen (%0d) above 4096", MaxLen);
    if (ScrubAW < 8 || (64'(1) << ScrubAW) < 64'(PWords))
      $error("npu_vec_engine: ScrubAW (%0d) cannot address the 256 LUT entries and %0d parameter words", ScrubAW, PWords);
  end
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!(res_valid && sc_done_q[res_slot] == 2'd3))
        else $error("npu_vec_engine: slot %0d got a fourth reduction", res_slot);
      assert (!(scrub_we_i && busy_o)) else $error("npu_vec_engine: scrub while a command runs");
    end
  end
`endif
endmodule
