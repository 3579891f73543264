// int32 -> FP32, round to nearest even (combinational): the contract's
// i32_to_fp32. |x| <= 2^31 needs at most 8 bits of rounding.
module vec_i2f (
  input  logic [31:0] x_i,
  output logic [31:0] f_o
);
  logic        neg;
  logic [31:0] mag, norm;
  logic [5:0]  lz;
  logic [24:0] rnd;
  logic        guard, sticky;
  logic [7:0]  e;

  assign neg = x_i[31];
  assign mag = neg ? 32'(-x_i) : x_i;  // -2^31 stays 2^31 as unsigned
  npu_lzc #(.Width(32)) u_lz (.in_i(mag), .cnt_o(lz));
  assign norm   = mag << lz;               // leading one at bit 31
  assign guard  = norm[7];
  assign sticky = |norm[6:0];
  assign rnd    = {1'b0, norm[31:8]} + 25'(guard && (sticky || norm[8]));
  // a carry out of the rounding gives 2^24: the fraction is 0, the exponent one up
  assign e      = 8'(158 - 32'(lz)) + 8'(rnd[24]);
  assign f_o    = (x_i == '0) ? 32'd0 : {neg, e, rnd[24] ? 23'd0 : rnd[22:0]};
  logic unused;
  assign unused = rnd[23];  // the leading one
endmodule
