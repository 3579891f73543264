// Fetches one 64-byte command per request over an AXI4 read channel (one
// INCR burst of 64/BusBytes beats; the ring is 64-byte aligned, so a burst
// never crosses 4 KiB). Reports the first non-OKAY RRESP with the command.
module npu_cmd_fetch #(
  parameter int unsigned BusBytes = 16,
  parameter int unsigned IdW      = 1,
  localparam int unsigned DW      = BusBytes * 8,
  localparam int unsigned Beats   = npu_isa_pkg::CmdBytes / BusBytes
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            req_valid_i,
  output logic            req_ready_o,
  input  logic [31:0]     req_addr_i,
  output logic            rsp_valid_o,
  input  logic            rsp_ready_i,
  output logic [511:0]    rsp_cmd_o,
  output logic [1:0]      rsp_resp_o,
  output logic            busy_o,
  // AXI4 read master
  output logic            m_axi_arvalid_o,
  input  logic            m_axi_arready_i,
  output logic [31:0]     m_axi_araddr_o,
  output logic [7:0]      m_axi_arlen_o,
  output logic [2:0]      m_axi_arsize_o,
  output logic [1:0]      m_axi_arburst_o,
  output logic [IdW-1:0]  m_axi_arid_o,
  input  logic            m_axi_rvalid_i,
  output logic            m_axi_rready_o,
  input  logic [DW-1:0]   m_axi_rdata_i,
  input  logic [1:0]      m_axi_rresp_i,
  input  logic            m_axi_rlast_i,
  input  logic [IdW-1:0]  m_axi_rid_i
);
  localparam int unsigned BeatW = (Beats > 1) ? $clog2(Beats) : 1;

  typedef enum logic [1:0] {Idle, Addr, Data, Done} state_e;
  state_e             state_q;
  logic [31:0]        addr_q;
  logic [BeatW-1:0]   beat_q;
  logic [511:0]       cmd_q;
  logic [1:0]         resp_q;

  assign req_ready_o     = (state_q == Idle);
  assign m_axi_arvalid_o = (state_q == Addr);
  assign m_axi_araddr_o  = addr_q;
  assign m_axi_arlen_o   = 8'(Beats - 1);
  assign m_axi_arsize_o  = 3'($clog2(BusBytes));
  assign m_axi_arburst_o = 2'b01;
  assign m_axi_arid_o    = '0;
  assign m_axi_rready_o  = (state_q == Data);
  assign rsp_valid_o     = (state_q == Done);
  assign rsp_cmd_o       = cmd_q;
  assign rsp_resp_o      = resp_q;
  assign busy_o          = (state_q == Addr) || (state_q == Data);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= Idle;
      addr_q  <= '0;
      beat_q  <= '0;
      cmd_q   <= '0;
      resp_q  <= npu_pkg::RespOkay;
    end else begin
      unique case (state_q)
        Idle: if (req_valid_i) begin
          state_q <= Addr;
          addr_q  <= req_addr_i;
          beat_q  <= '0;
          resp_q  <= npu_pkg::RespOkay;
        end
        Addr: if (m_axi_arready_i) state_q <= Data;
        Data: if (m_axi_rvalid_i) begin
          cmd_q[32'(beat_q)*DW +: DW] <= m_axi_rdata_i;
          beat_q <= beat_q + 1'b1;
          if (resp_q == npu_pkg::RespOkay) resp_q <= m_axi_rresp_i;
          if (m_axi_rlast_i) state_q <= Done;
        end
        Done: if (rsp_ready_i) state_q <= Idle;
        default: state_q <= Idle;
      endcase
    end
  end

  logic unused;
  assign unused = ^m_axi_rid_i;
endmodule
