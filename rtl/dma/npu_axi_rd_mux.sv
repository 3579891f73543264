// Two AXI4 read masters -> one. AR is arbitrated round-robin and the grant is
// held while the chosen request waits (outputs stay stable while
// valid && !ready). The ID is extended by one bit (MSB = source) and R beats
// are routed back by that bit.
module npu_axi_rd_mux #(
  parameter int unsigned AddrW = 32,
  parameter int unsigned DataW = 64,
  parameter int unsigned IdW   = 1,
  localparam int unsigned MIdW = IdW + 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // slave port 0
  input  logic             s0_axi_arvalid_i,
  output logic             s0_axi_arready_o,
  input  logic [AddrW-1:0] s0_axi_araddr_i,
  input  logic [7:0]       s0_axi_arlen_i,
  input  logic [2:0]       s0_axi_arsize_i,
  input  logic [1:0]       s0_axi_arburst_i,
  input  logic [IdW-1:0]   s0_axi_arid_i,
  output logic             s0_axi_rvalid_o,
  input  logic             s0_axi_rready_i,
  output logic [DataW-1:0] s0_axi_rdata_o,
  output logic [1:0]       s0_axi_rresp_o,
  output logic             s0_axi_rlast_o,
  output logic [IdW-1:0]   s0_axi_rid_o,
  // slave port 1
  input  logic             s1_axi_arvalid_i,
  output logic             s1_axi_arready_o,
  input  logic [AddrW-1:0] s1_axi_araddr_i,
  input  logic [7:0]       s1_axi_arlen_i,
  input  logic [2:0]       s1_axi_arsize_i,
  input  logic [1:0]       s1_axi_arburst_i,
  input  logic [IdW-1:0]   s1_axi_arid_i,
  output logic             s1_axi_rvalid_o,
  input  logic             s1_axi_rready_i,
  output logic [DataW-1:0] s1_axi_rdata_o,
  output logic [1:0]       s1_axi_rresp_o,
  output logic             s1_axi_rlast_o,
  output logic [IdW-1:0]   s1_axi_rid_o,
  // master port
  output logic             m_axi_arvalid_o,
  input  logic             m_axi_arready_i,
  output logic [AddrW-1:0] m_axi_araddr_o,
  output logic [7:0]       m_axi_arlen_o,
  output logic [2:0]       m_axi_arsize_o,
  output logic [1:0]       m_axi_arburst_o,
  output logic [MIdW-1:0]  m_axi_arid_o,
  input  logic             m_axi_rvalid_i,
  output logic             m_axi_rready_o,
  input  logic [DataW-1:0] m_axi_rdata_i,
  input  logic [1:0]       m_axi_rresp_i,
  input  logic             m_axi_rlast_i,
  input  logic [MIdW-1:0]  m_axi_rid_i
);

  // AR arbitration: prio_q is the preferred source; lock_q holds the grant of
  // a request that was presented but not yet accepted.
  logic prio_q, lock_q, lock_sel_q, sel;

  always_comb begin
    if (lock_q) begin
      sel = lock_sel_q;
    end else if (s0_axi_arvalid_i && s1_axi_arvalid_i) begin
      sel = prio_q;
    end else begin
      sel = s1_axi_arvalid_i;
    end
  end

  assign m_axi_arvalid_o  = sel ? s1_axi_arvalid_i : s0_axi_arvalid_i;
  assign m_axi_araddr_o   = sel ? s1_axi_araddr_i  : s0_axi_araddr_i;
  assign m_axi_arlen_o    = sel ? s1_axi_arlen_i   : s0_axi_arlen_i;
  assign m_axi_arsize_o   = sel ? s1_axi_arsize_i  : s0_axi_arsize_i;
  assign m_axi_arburst_o  = sel ? s1_axi_arburst_i : s0_axi_arburst_i;
  assign m_axi_arid_o     = {sel, sel ? s1_axi_arid_i : s0_axi_arid_i};
  assign s0_axi_arready_o = !sel && m_axi_arready_i;
  assign s1_axi_arready_o = sel && m_axi_arready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prio_q     <= 1'b0;
      lock_q     <= 1'b0;
      lock_sel_q <= 1'b0;
    end else if (m_axi_arvalid_o) begin
      if (m_axi_arready_i) begin
        lock_q <= 1'b0;
        prio_q <= !sel;
      end else begin
        lock_q     <= 1'b1;
        lock_sel_q <= sel;
      end
    end
  end

  // R routing by the ID's MSB.
  logic rsel;
  assign rsel = m_axi_rid_i[MIdW-1];
  assign s0_axi_rvalid_o = m_axi_rvalid_i && !rsel;
  assign s1_axi_rvalid_o = m_axi_rvalid_i && rsel;
  assign s0_axi_rdata_o  = m_axi_rdata_i;
  assign s1_axi_rdata_o  = m_axi_rdata_i;
  assign s0_axi_rresp_o  = m_axi_rresp_i;
  assign s1_axi_rresp_o  = m_axi_rresp_i;
  assign s0_axi_rlast_o  = m_axi_rlast_i;
  assign s1_axi_rlast_o  = m_axi_rlast_i;
  assign s0_axi_rid_o    = m_axi_rid_i[IdW-1:0];
  assign s1_axi_rid_o    = m_axi_rid_i[IdW-1:0];
  assign m_axi_rready_o  = rsel ? s1_axi_rready_i : s0_axi_rready_i;

endmodule
