// Sequential unsigned divider, radix-2 restoring: one quotient bit per cycle,
// DividendWidth cycles per division (plus one cycle to hand the result over).
// quotient = floor(dividend / divisor), remainder = dividend mod divisor.
// A zero divisor gives an all-ones quotient (callers never divide by zero).
// One division at a time: in_ready_o is high only while idle.
module int_div #(
  parameter int unsigned DividendWidth = 64,
  parameter int unsigned DivisorWidth  = 32
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [DividendWidth-1:0] dividend_i,
  input  logic [DivisorWidth-1:0]  divisor_i,
  output logic                     out_valid_o,
  input  logic                     out_ready_i,
  output logic [DividendWidth-1:0] quotient_o,
  output logic [DivisorWidth-1:0]  remainder_o
);

  localparam int unsigned CntW = $clog2(DividendWidth + 1);

  logic                     busy_q, done_q;
  logic [CntW-1:0]          cnt_q;
  // Dividend bits leave at the top while quotient bits enter at the bottom.
  logic [DividendWidth-1:0] quo_q;
  logic [DivisorWidth-1:0]  rem_q, div_q;

  // One restoring step: shift in the next dividend bit, subtract if it fits.
  // rem < divisor before the step, so the new remainder fits DivisorWidth.
  logic [DivisorWidth:0]   trial;
  logic [DivisorWidth-1:0] diff;
  logic                    fits;
  always_comb begin
    trial = {rem_q, quo_q[DividendWidth-1]};
    diff  = DivisorWidth'(trial - {1'b0, div_q});
    fits  = trial >= {1'b0, div_q};
  end

  assign in_ready_o  = !busy_q && !done_q;
  assign out_valid_o = done_q;
  assign quotient_o  = quo_q;
  assign remainder_o = rem_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
      cnt_q  <= '0;
      quo_q  <= '0;
      rem_q  <= '0;
      div_q  <= '0;
    end else if (in_valid_i && in_ready_o) begin
      busy_q <= 1'b1;
      cnt_q  <= CntW'(DividendWidth);
      quo_q  <= dividend_i;
      rem_q  <= '0;
      div_q  <= divisor_i;
    end else if (busy_q) begin
      quo_q <= {quo_q[DividendWidth-2:0], fits};
      rem_q <= fits ? diff : trial[DivisorWidth-1:0];
      cnt_q <= cnt_q - CntW'(1);
      if (cnt_q == CntW'(1)) begin
        busy_q <= 1'b0;
        done_q <= 1'b1;
      end
    end else if (done_q && out_ready_i) begin
      done_q <= 1'b0;
    end
  end

endmodule
