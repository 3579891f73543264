// NPU register block: the generated PeakRDL regblock (npu_csr_reg, from
// rtl/csr/npu_csr.rdl) behind flat ports, one plain signal per hardware
// field. Offsets and field meanings: docs/register-map.md.
//
// CSR bus: AXI4-Lite, 32-bit data, 12-bit byte address (4 KiB window). An
// address that maps to no register answers SLVERR (read data 0); writes to
// read-only registers are ignored and answer OKAY. awprot/arprot are ignored.
// Up to two transactions in flight (regblock AXI4-Lite front end).
//
// Access policy (docs/register-map.md, the address map text): these answer SLVERR
// and change nothing -
//   - an address that is not a multiple of 4 (read or write);
//   - a write of RING_BASE, RING_SIZE, WINDOW_BASE or WINDOW_SIZE while
//     STATUS.BUSY (the ring and window of a running stream stay put);
//   - a write of RING_TAIL while a soft reset is pending (the doorbell would
//     be cleared by the reset, or replay stale entries after it).
// The address of such an access is steered to an unmapped word, so the
// regblock itself answers the SLVERR, in order with the other responses.
//
// The 64-bit performance counters live in the core; they are external
// registers here and their reads are acknowledged in the request cycle.
module npu_csr (
  input  logic        clk_i,
  input  logic        rst_ni,
  // AXI4-Lite slave
  input  logic        s_axil_awvalid_i,
  output logic        s_axil_awready_o,
  input  logic [11:0] s_axil_awaddr_i,
  input  logic [2:0]  s_axil_awprot_i,
  input  logic        s_axil_wvalid_i,
  output logic        s_axil_wready_o,
  input  logic [31:0] s_axil_wdata_i,
  input  logic [3:0]  s_axil_wstrb_i,
  output logic        s_axil_bvalid_o,
  input  logic        s_axil_bready_i,
  output logic [1:0]  s_axil_bresp_o,
  input  logic        s_axil_arvalid_i,
  output logic        s_axil_arready_o,
  input  logic [11:0] s_axil_araddr_i,
  input  logic [2:0]  s_axil_arprot_i,
  output logic        s_axil_rvalid_o,
  input  logic        s_axil_rready_i,
  output logic [31:0] s_axil_rdata_o,
  output logic [1:0]  s_axil_rresp_o,
  // hardware configuration
  input  logic [7:0]  hw_rows_i,
  input  logic [7:0]  hw_cols_i,
  input  logic [7:0]  hw_vec_lanes_i,
  input  logic [7:0]  hw_bus_bytes_i,
  input  logic [31:0] hw_aspad_words_i,
  input  logic [31:0] hw_wspad_words_i,
  input  logic [31:0] hw_acc_rows_i,
  input  logic [31:0] hw_vec_maxlen_i,
  // CTRL
  output logic        ctrl_enable_o,
  output logic        ctrl_soft_reset_o,  // one-cycle pulse per write of 1
  output logic        ctrl_cnt_clear_o,   // one-cycle pulse per write of 1
  output logic        ctrl_scrub_o,       // zero the memories on soft reset
  // STATUS
  input  logic        status_busy_i,
  input  logic        status_fault_i,
  input  logic        status_idle_i,
  input  logic        soft_reset_pending_i,
  // command ring
  output logic [31:0] ring_base_o,
  output logic [31:0] ring_size_o,
  input  logic [31:0] ring_head_i,
  output logic [31:0] ring_tail_o,
  input  logic        ring_tail_clear_i,  // RING_TAIL <= 0 at the next edge
  // interrupts
  input  logic        irq_done_set_i,     // sets IRQ_STATUS.DONE (sticky)
  input  logic        irq_fault_set_i,    // sets IRQ_STATUS.FAULT (sticky)
  output logic        irq_o,              // |(IRQ_STATUS & IRQ_ENABLE)
  // memory window
  output logic [31:0] window_base_o,
  output logic [31:0] window_size_o,
  // bus watchdog
  output logic [31:0] axi_timeout_o,
  // fault report
  input  logic [7:0]  err_code_i,
  input  logic [31:0] err_cmd_addr_i,
  // 64-bit performance counters
  input  logic [63:0] cnt_cycles_i,
  input  logic [63:0] cnt_gemm_busy_i,
  input  logic [63:0] cnt_gemm_stall_i,
  input  logic [63:0] cnt_vec_busy_i,
  input  logic [63:0] cnt_vec_stall_i,
  input  logic [63:0] cnt_load_busy_i,
  input  logic [63:0] cnt_load_stall_i,
  input  logic [63:0] cnt_store_busy_i,
  input  logic [63:0] cnt_store_stall_i,
  input  logic [63:0] cnt_macs_i,
  input  logic [63:0] cnt_dma_rd_bytes_i,
  input  logic [63:0] cnt_dma_wr_bytes_i
);

  npu_csr_reg_pkg::npu_csr__in_t  hwif_in;
  npu_csr_reg_pkg::npu_csr__out_t hwif_out;

  // Access policy (see the header): a refused access goes to NPU_CSR_UNMAPPED.
  logic        aw_refused, ar_refused;
  logic [11:0] awaddr, araddr;
  always_comb begin
    aw_refused = (s_axil_awaddr_i[1:0] != 2'b00) ||
                 (status_busy_i && (s_axil_awaddr_i == npu_csr_addr_pkg::NPU_CSR_RING_BASE ||
                                    s_axil_awaddr_i == npu_csr_addr_pkg::NPU_CSR_RING_SIZE ||
                                    s_axil_awaddr_i == npu_csr_addr_pkg::NPU_CSR_WINDOW_BASE ||
                                    s_axil_awaddr_i == npu_csr_addr_pkg::NPU_CSR_WINDOW_SIZE)) ||
                 (soft_reset_pending_i && s_axil_awaddr_i == npu_csr_addr_pkg::NPU_CSR_RING_TAIL);
    ar_refused = s_axil_araddr_i[1:0] != 2'b00;
    awaddr     = aw_refused ? npu_csr_addr_pkg::NPU_CSR_UNMAPPED : s_axil_awaddr_i;
    araddr     = ar_refused ? npu_csr_addr_pkg::NPU_CSR_UNMAPPED : s_axil_araddr_i;
  end

  npu_csr_reg u_reg (
    .clk            (clk_i),
    .arst_n         (rst_ni),
    .s_axil_awready (s_axil_awready_o),
    .s_axil_awvalid (s_axil_awvalid_i),
    .s_axil_awaddr  (awaddr),
    .s_axil_awprot  (s_axil_awprot_i),
    .s_axil_wready  (s_axil_wready_o),
    .s_axil_wvalid  (s_axil_wvalid_i),
    .s_axil_wdata   (s_axil_wdata_i),
    .s_axil_wstrb   (s_axil_wstrb_i),
    .s_axil_bready  (s_axil_bready_i),
    .s_axil_bvalid  (s_axil_bvalid_o),
    .s_axil_bresp   (s_axil_bresp_o),
    .s_axil_arready (s_axil_arready_o),
    .s_axil_arvalid (s_axil_arvalid_i),
    .s_axil_araddr  (araddr),
    .s_axil_arprot  (s_axil_arprot_i),
    .s_axil_rready  (s_axil_rready_i),
    .s_axil_rvalid  (s_axil_rvalid_o),
    .s_axil_rdata   (s_axil_rdata_o),
    .s_axil_rresp   (s_axil_rresp_o),
    .hwif_in        (hwif_in),
    .hwif_out       (hwif_out)
  );

  // Hardware -> registers
  assign hwif_in.HW_ROWS_COLS.ROWS.next      = hw_rows_i;
  assign hwif_in.HW_ROWS_COLS.COLS.next      = hw_cols_i;
  assign hwif_in.HW_ROWS_COLS.BUS_BYTES.next = hw_bus_bytes_i;
  assign hwif_in.HW_ROWS_COLS.VEC_LANES.next = hw_vec_lanes_i;
  assign hwif_in.HW_ASPAD_WORDS.VALUE.next   = hw_aspad_words_i;
  assign hwif_in.HW_WSPAD_WORDS.VALUE.next   = hw_wspad_words_i;
  assign hwif_in.HW_ACC_ROWS.VALUE.next      = hw_acc_rows_i;
  assign hwif_in.HW_VEC_MAXLEN.VALUE.next    = hw_vec_maxlen_i;
  assign hwif_in.STATUS.BUSY.next            = status_busy_i;
  assign hwif_in.STATUS.FAULT.next           = status_fault_i;
  assign hwif_in.STATUS.IDLE.next            = status_idle_i;
  assign hwif_in.RING_HEAD.INDEX.next        = ring_head_i;
  assign hwif_in.RING_TAIL.INDEX.hwclr       = ring_tail_clear_i;
  assign hwif_in.IRQ_STATUS.DONE.next        = irq_done_set_i;
  assign hwif_in.IRQ_STATUS.FAULT.next       = irq_fault_set_i;
  assign hwif_in.ERR_CODE.CODE.next          = err_code_i;
  assign hwif_in.ERR_CMD_ADDR.ADDR.next      = err_cmd_addr_i;

  // Performance counters (external, read-only): acknowledge in the request cycle.
  assign hwif_in.CYCLES_LO.rd_ack        = hwif_out.CYCLES_LO.req;
  assign hwif_in.CYCLES_LO.rd_data.VALUE = cnt_cycles_i[31:0];
  assign hwif_in.CYCLES_HI.rd_ack        = hwif_out.CYCLES_HI.req;
  assign hwif_in.CYCLES_HI.rd_data.VALUE = cnt_cycles_i[63:32];
  assign hwif_in.GEMM_BUSY_LO.rd_ack        = hwif_out.GEMM_BUSY_LO.req;
  assign hwif_in.GEMM_BUSY_LO.rd_data.VALUE = cnt_gemm_busy_i[31:0];
  assign hwif_in.GEMM_BUSY_HI.rd_ack        = hwif_out.GEMM_BUSY_HI.req;
  assign hwif_in.GEMM_BUSY_HI.rd_data.VALUE = cnt_gemm_busy_i[63:32];
  assign hwif_in.GEMM_STALL_LO.rd_ack        = hwif_out.GEMM_STALL_LO.req;
  assign hwif_in.GEMM_STALL_LO.rd_data.VALUE = cnt_gemm_stall_i[31:0];
  assign hwif_in.GEMM_STALL_HI.rd_ack        = hwif_out.GEMM_STALL_HI.req;
  assign hwif_in.GEMM_STALL_HI.rd_data.VALUE = cnt_gemm_stall_i[63:32];
  assign hwif_in.VEC_BUSY_LO.rd_ack        = hwif_out.VEC_BUSY_LO.req;
  assign hwif_in.VEC_BUSY_LO.rd_data.VALUE = cnt_vec_busy_i[31:0];
  assign hwif_in.VEC_BUSY_HI.rd_ack        = hwif_out.VEC_BUSY_HI.req;
  assign hwif_in.VEC_BUSY_HI.rd_data.VALUE = cnt_vec_busy_i[63:32];
  assign hwif_in.VEC_STALL_LO.rd_ack        = hwif_out.VEC_STALL_LO.req;
  assign hwif_in.VEC_STALL_LO.rd_data.VALUE = cnt_vec_stall_i[31:0];
  assign hwif_in.VEC_STALL_HI.rd_ack        = hwif_out.VEC_STALL_HI.req;
  assign hwif_in.VEC_STALL_HI.rd_data.VALUE = cnt_vec_stall_i[63:32];
  assign hwif_in.LOAD_BUSY_LO.rd_ack        = hwif_out.LOAD_BUSY_LO.req;
  assign hwif_in.LOAD_BUSY_LO.rd_data.VALUE = cnt_load_busy_i[31:0];
  assign hwif_in.LOAD_BUSY_HI.rd_ack        = hwif_out.LOAD_BUSY_HI.req;
  assign hwif_in.LOAD_BUSY_HI.rd_data.VALUE = cnt_load_busy_i[63:32];
  assign hwif_in.LOAD_STALL_LO.rd_ack        = hwif_out.LOAD_STALL_LO.req;
  assign hwif_in.LOAD_STALL_LO.rd_data.VALUE = cnt_load_stall_i[31:0];
  assign hwif_in.LOAD_STALL_HI.rd_ack        = hwif_out.LOAD_STALL_HI.req;
  assign hwif_in.LOAD_STALL_HI.rd_data.VALUE = cnt_load_stall_i[63:32];
  assign hwif_in.STORE_BUSY_LO.rd_ack        = hwif_out.STORE_BUSY_LO.req;
  assign hwif_in.STORE_BUSY_LO.rd_data.VALUE = cnt_store_busy_i[31:0];
  assign hwif_in.STORE_BUSY_HI.rd_ack        = hwif_out.STORE_BUSY_HI.req;
  assign hwif_in.STORE_BUSY_HI.rd_data.VALUE = cnt_store_busy_i[63:32];
  assign hwif_in.STORE_STALL_LO.rd_ack        = hwif_out.STORE_STALL_LO.req;
  assign hwif_in.STORE_STALL_LO.rd_data.VALUE = cnt_store_stall_i[31:0];
  assign hwif_in.STORE_STALL_HI.rd_ack        = hwif_out.STORE_STALL_HI.req;
  assign hwif_in.STORE_STALL_HI.rd_data.VALUE = cnt_store_stall_i[63:32];
  assign hwif_in.MACS_LO.rd_ack        = hwif_out.MACS_LO.req;
  assign hwif_in.MACS_LO.rd_data.VALUE = cnt_macs_i[31:0];
  assign hwif_in.MACS_HI.rd_ack        = hwif_out.MACS_HI.req;
  assign hwif_in.MACS_HI.rd_data.VALUE = cnt_macs_i[63:32];
  assign hwif_in.DMA_RD_BYTES_LO.rd_ack        = hwif_out.DMA_RD_BYTES_LO.req;
  assign hwif_in.DMA_RD_BYTES_LO.rd_data.VALUE = cnt_dma_rd_bytes_i[31:0];
  assign hwif_in.DMA_RD_BYTES_HI.rd_ack        = hwif_out.DMA_RD_BYTES_HI.req;
  assign hwif_in.DMA_RD_BYTES_HI.rd_data.VALUE = cnt_dma_rd_bytes_i[63:32];
  assign hwif_in.DMA_WR_BYTES_LO.rd_ack        = hwif_out.DMA_WR_BYTES_LO.req;
  assign hwif_in.DMA_WR_BYTES_LO.rd_data.VALUE = cnt_dma_wr_bytes_i[31:0];
  assign hwif_in.DMA_WR_BYTES_HI.rd_ack        = hwif_out.DMA_WR_BYTES_HI.req;
  assign hwif_in.DMA_WR_BYTES_HI.rd_data.VALUE = cnt_dma_wr_bytes_i[63:32];

  // Registers -> hardware
  assign ctrl_enable_o     = hwif_out.CTRL.ENABLE.value;
  assign ctrl_soft_reset_o = hwif_out.CTRL.SOFT_RESET.value;
  assign ctrl_cnt_clear_o  = hwif_out.CTRL.CNT_CLEAR.value;
  assign ctrl_scrub_o      = hwif_out.CTRL.SCRUB.value;
  assign ring_base_o       = hwif_out.RING_BASE.ADDR.value;
  assign ring_size_o       = hwif_out.RING_SIZE.ENTRIES.value;
  assign ring_tail_o       = hwif_out.RING_TAIL.INDEX.value;
  assign window_base_o     = hwif_out.WINDOW_BASE.ADDR.value;
  assign window_size_o     = hwif_out.WINDOW_SIZE.BYTES.value;
  assign axi_timeout_o     = hwif_out.AXI_TIMEOUT.CYCLES.value;
  assign irq_o             = hwif_out.IRQ_STATUS.intr;

  // Counter reads never write: the write strobes of the external registers
  // are not needed.
  logic unused_req_is_wr;
  assign unused_req_is_wr = ^{
    hwif_out.CYCLES_LO.req_is_wr, hwif_out.CYCLES_HI.req_is_wr,
    hwif_out.GEMM_BUSY_LO.req_is_wr, hwif_out.GEMM_BUSY_HI.req_is_wr,
    hwif_out.GEMM_STALL_LO.req_is_wr, hwif_out.GEMM_STALL_HI.req_is_wr,
    hwif_out.VEC_BUSY_LO.req_is_wr, hwif_out.VEC_BUSY_HI.req_is_wr,
    hwif_out.VEC_STALL_LO.req_is_wr, hwif_out.VEC_STALL_HI.req_is_wr,
    hwif_out.LOAD_BUSY_LO.req_is_wr, hwif_out.LOAD_BUSY_HI.req_is_wr,
    hwif_out.LOAD_STALL_LO.req_is_wr, hwif_out.LOAD_STALL_HI.req_is_wr,
    hwif_out.STORE_BUSY_LO.req_is_wr, hwif_out.STORE_BUSY_HI.req_is_wr,
    hwif_out.STORE_STALL_LO.req_is_wr, hwif_out.STORE_STALL_HI.req_is_wr,
    hwif_out.MACS_LO.req_is_wr, hwif_out.MACS_HI.req_is_wr,
    hwif_out.DMA_RD_BYTES_LO.req_is_wr, hwif_out.DMA_RD_BYTES_HI.req_is_wr,
    hwif_out.DMA_WR_BYTES_LO.req_is_wr, hwif_out.DMA_WR_BYTES_HI.req_is_wr
  };

endmodule
