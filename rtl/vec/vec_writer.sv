// Output packing of the vector engine (combinational): the lanes' results of
// one beat go to slots l + ddelta of their dst word (eb bytes each; with
// dst_pairs byte 2 slot + row parity). Masked elements are written as 0. The
// first beat of a dst word writes the whole word (the other bytes 0), later
// beats only their bytes; with dst_pairs only the row's bytes are written.
module vec_writer #(
  parameter int unsigned Lanes    = 16,
  parameter int unsigned BusBytes = 32
) (
  input  logic                   valid_i,
  output logic                   ready_o,
  input  logic [Lanes*16-1:0]    y_i,
  input  vec_pkg::beat_t         beat_i,
  input  logic                   wide_i,     // 2-byte elements (BF16)
  input  logic                   pairs_i,
  input  logic                   wspad_i,    // dst space WSPAD (else ASPAD)
  output logic                   as_valid_o,
  input  logic                   as_ready_i,
  output logic                   ws_valid_o,
  input  logic                   ws_ready_i,
  output logic [23:0]            addr_o,
  output logic [BusBytes*8-1:0]  data_o,
  output logic [BusBytes-1:0]    strb_o
);
  localparam int unsigned Pad = 2 * Lanes;             // lane bytes (at most 2 per lane)
  localparam int unsigned EB  = BusBytes + 2 * Pad;
  localparam int unsigned SHW = $clog2(EB + 1);

  // lane bytes: 2 per lane (BF16, or a pair with this row's byte)
  logic [Pad*8-1:0] lb;
  logic [Pad-1:0]   ls;
  always_comb begin
    lb = '0;
    ls = '0;
    for (int l = 0; l < Lanes; l++) begin
      logic [15:0] y;
      y = beat_i.keep[l] ? y_i[16*l +: 16] : 16'd0;
      if (wide_i) begin
        lb[16*l +: 16] = y;
        ls[2*l +: 2]   = {2{beat_i.act[l]}};
      end else if (pairs_i) begin
        lb[16*l + 8*beat_i.dpar +: 8] = y[7:0];
        ls[2*l + 32'(beat_i.dpar)]   = beat_i.act[l];
      end else begin
        lb[8*l +: 8] = y[7:0];
        ls[l]        = beat_i.act[l];
      end
    end
  end

  // shift to the word position: bytes move by ddelta * (1 or 2), >= -(2 Lanes - 2)
  logic signed [11:0] boff;
  logic [SHW-1:0]     amt;
  logic [EB*8-1:0]    xd;
  logic [EB-1:0]      xs;
  assign boff = (wide_i || pairs_i) ? (12'(beat_i.ddelta) <<< 1) : 12'(beat_i.ddelta);
  assign amt  = SHW'(12'(Pad) + boff);
  assign xd   = {{(EB - Pad) * 8{1'b0}}, lb} << {amt, 3'b000};
  assign xs   = {{(EB - Pad){1'b0}}, ls} << amt;

  assign data_o = xd[Pad*8 +: BusBytes*8];
  assign strb_o = (beat_i.dfirst && !pairs_i) ? '1 : xs[Pad +: BusBytes];
  assign addr_o = beat_i.dword;
  assign as_valid_o = valid_i && !wspad_i;
  assign ws_valid_o = valid_i && wspad_i;
  assign ready_o    = wspad_i ? ws_ready_i : as_ready_i;
  // the beat fields of the readers and the shifter margins are not the writer's
  logic unused;
  assign unused = ^{beat_i, xd, xs};
endmodule
