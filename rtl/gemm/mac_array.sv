// Weight-stationary systolic MAC array: for every streamed A row,
//   C_row = C_init_row + A_row * W,   W a Rows x Cols tile (K-depth x N-width).
// PE(k,j) holds W[k][j] (INT8: two weights, W[2k][j] and W[2k+1][j], against the
// two activation bytes of lane k). Row k's activation enters skewed by L*k
// cycles (L = npu_pkg::PeLatency) and moves right one PE per cycle; column j's
// partial sum enters the top skewed by j cycles and moves down L cycles per PE.
// Skew and de-skew registers are inside, so all ports are row-aligned. The
// whole datapath is one fixed-latency pipeline under a single advance enable
// (stalls only when the output register holds an unaccepted row), so latency
// from an A handshake to the C row being valid is L*Rows + Cols cycles.
// Weights: two banks; a tile loads into one bank while the other is in use.
// A tile is Rows beats (beat k = row k, Cols lanes) or, with w_tr_i on its
// first beat, Cols beats (beat j = column j, Rows lanes: W^T tiles, Q x K^T).
// WStream = 0: a bank is reloaded once every row that used it has left the
// array, and A rows use a bank only when its tile is complete.
// WStream = 1 (the source promises that a tile, once started, arrives one
// beat per advancing cycle): a tile may start loading once the last row of the
// bank's previous tile has passed far enough (Cols + (L-1)(Rows-1) cycles for
// row beats, 1 + L(Rows-1) for column beats) and A rows may use it from the
// cycle after its first beat, because loads run at least as fast as the
// activation wave. At M = 1 this turns a tile over every ~max(Rows, Cols) + 1
// cycles instead of every ~(L*Rows + Cols + Rows) / 2.
module mac_array #(
  parameter int unsigned Rows    = 4,
  parameter int unsigned Cols    = 4,
  parameter int unsigned WStream = 0,
  localparam int unsigned MaxN   = (Rows > Cols) ? Rows : Cols
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  // weight tile stream
  input  logic                              w_valid_i,
  output logic                              w_ready_o,
  input  logic [MaxN*npu_pkg::ElemW-1:0]    w_data_i,   // row: lanes 0..Cols-1; column: 0..Rows-1
  input  logic                              w_tr_i,     // first beat of a tile: column beats
  // activation stream: one A row (and its C_init row) per beat
  input  logic                              a_valid_i,
  output logic                              a_ready_o,
  input  logic [Rows*npu_pkg::ElemW-1:0]    a_data_i,
  input  logic [Cols*npu_pkg::AccW-1:0]     a_acc_i,
  input  logic [npu_pkg::ModeW-1:0]         a_mode_i,
  input  logic                              a_last_i,
  // result stream
  output logic                              c_valid_o,
  input  logic                              c_ready_i,
  output logic [Cols*npu_pkg::AccW-1:0]     c_data_o,
  output logic                              c_last_o
);

  localparam int unsigned ElemW   = npu_pkg::ElemW;
  localparam int unsigned AccW    = npu_pkg::AccW;
  localparam int unsigned ModeW   = npu_pkg::ModeW;
  localparam int unsigned L       = npu_pkg::PeLatency;
  localparam int unsigned Depth   = L * Rows + Cols;  // registers from input to c_*_o
  localparam int unsigned CntW    = $clog2(Depth + 2);
  localparam int unsigned IdxW    = (MaxN > 1) ? $clog2(MaxN) : 1;
  localparam int unsigned NumPe   = Rows * Cols;
  // WStream: advancing cycles between the last A row of a bank and the first
  // beat of the bank's next tile.
  localparam int unsigned DRow    = Cols + (L - 1) * (Rows - 1);
  localparam int unsigned DCol    = 1 + L * (Rows - 1);
  localparam int unsigned DMax    = (DRow > DCol) ? DRow : DCol;
  localparam int unsigned SinceW  = $clog2(DMax + 2);

  // ------------------------------------------------------------ handshakes
  logic advance, a_fire, c_fire, w_fire;
  assign advance = !c_valid_o || c_ready_i;
  assign c_fire  = c_valid_o && c_ready_i;

  // ------------------------------------------------------ weight bank state
  logic [1:0]         full_q;       // bank holds a complete tile not yet used up
  logic [1:0]         used_q;       // WStream: the loading tile's a_last row is already in
  logic               cur_bank_q;   // bank used by the next accepted A row
  logic               load_bank_q;  // bank the weight stream writes
  logic               loading_q;    // a tile's first beat is in, more follow
  logic               load_tr_q;    // the loading tile is column beats
  logic [IdxW-1:0]    load_idx_q;   // next beat of the loading tile
  logic [1:0][CntW-1:0]   inflight_q;   // A rows in the array, per bank
  logic [1:0][SinceW-1:0] since_q;      // advancing cycles since the bank's last A row
  logic               out_bank;     // bank of the row at the output
  logic               tr, bank_free, w_last_beat, load_done, usable;

  assign tr = loading_q ? load_tr_q : w_tr_i;
  if (WStream != 0) begin : g_free_stream
    assign bank_free = (inflight_q[load_bank_q] == '0) ||
                       (32'(since_q[load_bank_q]) >= (w_tr_i ? DCol : DRow));
    // Beats move only with the pipeline, so timing holds in advancing cycles.
    assign w_ready_o = advance && (loading_q ||
                                   (!full_q[load_bank_q] && !used_q[load_bank_q] && bank_free));
    assign usable    = full_q[cur_bank_q] ||
                       (loading_q && load_bank_q == cur_bank_q && !used_q[cur_bank_q]);
  end else begin : g_free_drain
    assign bank_free = (inflight_q[load_bank_q] == '0);
    assign w_ready_o = loading_q || (!full_q[load_bank_q] && bank_free);
    assign usable    = full_q[cur_bank_q];
  end
  assign w_fire      = w_valid_i && w_ready_o;
  assign w_last_beat = (32'(load_idx_q) == (tr ? Cols : Rows) - 1);
  assign load_done   = w_fire && w_last_beat;
  assign a_ready_o   = advance && usable;
  assign a_fire      = a_valid_i && a_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      full_q      <= '0;
      used_q      <= '0;
      cur_bank_q  <= 1'b0;
      load_bank_q <= 1'b0;
      loading_q   <= 1'b0;
      load_tr_q   <= 1'b0;
      load_idx_q  <= '0;
    end else begin
      if (w_fire) begin
        load_idx_q <= load_done ? '0 : load_idx_q + 1'b1;
        loading_q  <= !load_done;
        if (!loading_q) load_tr_q <= w_tr_i;
      end
      if (load_done) begin
        // A tile whose rows all entered while it loaded is used up already.
        full_q[load_bank_q] <= !(used_q[load_bank_q] || (a_fire && a_last_i && cur_bank_q == load_bank_q));
        used_q[load_bank_q] <= 1'b0;
        load_bank_q         <= !load_bank_q;
      end
      if (a_fire && a_last_i) begin
        cur_bank_q <= !cur_bank_q;
        if (full_q[cur_bank_q]) full_q[cur_bank_q] <= 1'b0;
        else if (!(load_done && load_bank_q == cur_bank_q)) used_q[cur_bank_q] <= 1'b1;
      end
    end
  end

  for (genvar b = 0; b < 2; b++) begin : g_inflight
    logic inc, dec;
    assign inc = a_fire && (cur_bank_q == 1'(b));
    assign dec = c_fire && (out_bank == 1'(b));
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        inflight_q[b] <= '0;
        since_q[b]    <= '0;
      end else begin
        if (inc != dec) inflight_q[b] <= inc ? inflight_q[b] + 1'b1 : inflight_q[b] - 1'b1;
        if (inc) since_q[b] <= SinceW'(1);
        else if (advance && 32'(since_q[b]) <= DMax) since_q[b] <= since_q[b] + 1'b1;
      end
    end
  end

`ifndef SYNTHESIS
  // WStream's promise: a started tile never waits for its next beat.
  if (WStream != 0) begin : g_stream_check
    a_w_stream: assert property (@(posedge clk_i) disable iff (!rst_ni)
                                 (loading_q && advance) |-> w_valid_i)
      else $error("mac_array: weight tile interrupted (WStream requires one beat per advancing cycle)");
  end
`endif

  // ------------------------------------------- control travelling with rows
  // {valid, last, bank} of each row, delayed to line up with c_data_o.
  logic [2:0] meta_out;
  npu_delay #(.Width(3), .Depth(Depth)) u_meta (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_i  (advance),
    .d_i   ({a_fire, a_last_i, cur_bank_q}),
    .q_o   (meta_out)
  );
  assign c_valid_o = meta_out[2];
  assign c_last_o  = meta_out[1];
  assign out_bank  = meta_out[0];

  // ---------------------------------------------------------- PE grid wires
  // Index k*Cols + j is PE(k,j). Data of a bubble is don't-care: only the
  // meta valid bit decides what leaves the array.
  // Unpacked, one element per PE: as one flat vector Verilator rebuilt the
  // whole NumPe*AccW bits by concatenation on every evaluation (a quarter of
  // the `base` model's simulation time).
  logic [ElemW-1:0] pe_a_in [NumPe], pe_a_out [NumPe];
  logic [ModeW-1:0] pe_mode_in [NumPe], pe_mode_out [NumPe];
  logic             pe_bank_in [NumPe], pe_bank_out [NumPe];
  logic [AccW-1:0]  pe_psum_in [NumPe], pe_psum_out [NumPe];

  // Row k input skew: 1 input register + L*k.
  for (genvar k = 0; k < Rows; k++) begin : g_row_skew
    npu_delay #(.Width(ElemW + ModeW + 1), .Depth(1 + L * k)) u_skew (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (advance),
      .d_i   ({a_data_i[k*ElemW +: ElemW], a_mode_i, cur_bank_q}),
      .q_o   ({pe_a_in[k*Cols], pe_mode_in[k*Cols], pe_bank_in[k*Cols]})
    );
  end

  // Column j top skew (1 input register + j) and bottom de-skew (Cols-1-j).
  for (genvar j = 0; j < Cols; j++) begin : g_col_skew
    npu_delay #(.Width(AccW), .Depth(1 + j)) u_skew (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (advance),
      .d_i   (a_acc_i[j*AccW +: AccW]),
      .q_o   (pe_psum_in[j])
    );
    npu_delay #(.Width(AccW), .Depth(Cols - 1 - j)) u_deskew (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (advance),
      .d_i   (pe_psum_out[(Rows-1)*Cols + j]),
      .q_o   (c_data_o[j*AccW +: AccW])
    );
  end

  for (genvar k = 0; k < Rows; k++) begin : g_row
    for (genvar j = 0; j < Cols; j++) begin : g_col
      localparam int unsigned Idx = k * Cols + j;
      if (j > 0) begin : g_from_left
        assign pe_a_in[Idx]                = pe_a_out[Idx-1];
        assign pe_mode_in[Idx]             = pe_mode_out[Idx-1];
        assign pe_bank_in[Idx]             = pe_bank_out[Idx-1];
      end
      if (k > 0) begin : g_from_above
        assign pe_psum_in[Idx] = pe_psum_out[Idx-Cols];
      end

      mac_pe u_pe (
        .clk_i   (clk_i),
        .rst_ni  (rst_ni),
        .en_i    (advance),
        .w_we_i  (w_fire && (tr ? (32'(load_idx_q) == j) : (32'(load_idx_q) == k))),
        .w_bank_i(load_bank_q),
        .w_data_i(tr ? w_data_i[k*ElemW +: ElemW] : w_data_i[j*ElemW +: ElemW]),
        .a_i     (pe_a_in[Idx]),
        .a_mode_i(pe_mode_in[Idx]),
        .a_bank_i(pe_bank_in[Idx]),
        .a_o     (pe_a_out[Idx]),
        .a_mode_o(pe_mode_out[Idx]),
        .a_bank_o(pe_bank_out[Idx]),
        .psum_i  (pe_psum_in[Idx]),
        .psum_o  (pe_psum_out[Idx])
      );
    end

    // The rightmost column's forwarded activation has no consumer.
    logic unused_a_out;
    assign unused_a_out = ^{pe_a_out[k*Cols+Cols-1],
                            pe_mode_out[k*Cols+Cols-1], pe_bank_out[k*Cols+Cols-1]};
  end

endmodule
