// Reciprocal seed ROM (docs/numerics.md): entry i = q_i * 2^-9 with
// q_i = floor((2^18 + d) / (2d)), d = 257 + 2i; 256 <= q_i < 512, so the FP32
// value is 2^-1 * q_i/256. Evaluated at elaboration (constant loop bounds).
module vec_recip_seed (
  input  logic [6:0]  idx_i,
  output logic [31:0] seed_o
);

  logic [7:0] q;  // q_i - 256

  always_comb begin
    q = '0;
    for (int unsigned i = 0; i < 128; i++) begin
      if (idx_i == 7'(i)) q = 8'(((1 << 18) + 257 + 2 * i) / (2 * (257 + 2 * i)) - 256);
    end
  end

  assign seed_o = {1'b0, 8'd126, q, 15'd0};

endmodule
