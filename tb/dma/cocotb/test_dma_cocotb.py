"""Independent check of npu_dma_rd / npu_dma_wr against cocotbext-axi's AxiRam:
random 2D transfers are loaded into the wrapper's local memory and stored
back to another DRAM region; the DRAM bytes are compared bit-exactly. The
first half runs at full speed, the second half with seeded random valid gaps
(R, B) and ready back-pressure (AR, AW, W) from the RAM model."""
import logging
import os
import random
import warnings

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
from cocotbext.axi import AxiBus, AxiRam

BB = 8  # DataW 64
MEM_SIZE = 1 << 20
TRANSFERS = 16
PAUSE_P = 0.4

# cocotbext-axi still uses setimmediatevalue (deprecated in cocotb 2.x).
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"cocotbext\.")


def pauses(rng, p):
    """Pause generator for a cocotbext-axi channel: True = stall this cycle."""
    while True:
        yield rng.random() < p


def set_pauses(ram, rng):
    """Random stalls on every channel of the RAM model (rng None: none)."""
    for ch in (ram.read_if.ar_channel, ram.read_if.r_channel, ram.write_if.aw_channel,
               ram.write_if.w_channel, ram.write_if.b_channel):
        ch.set_pause_generator(None if rng is None else
                               pauses(random.Random(rng.getrandbits(32)), PAUSE_P))


async def run_cmd(dut, kind, addr, stride, rows, row_words, laddr, lstride, timeout=200000):
    valid = getattr(dut, f"{kind}_cmd_valid")
    ready = getattr(dut, f"{kind}_cmd_ready")
    done = getattr(dut, f"{kind}_done_valid")
    err = getattr(dut, f"{kind}_done_err")
    dut.cmd_dram_addr.value = addr
    dut.cmd_dram_stride.value = stride
    dut.cmd_rows.value = rows
    dut.cmd_row_words.value = row_words
    dut.cmd_local_addr.value = laddr
    dut.cmd_local_stride.value = lstride
    # Inputs change on the falling edge; outputs are sampled in ReadOnly
    # after the rising edge. The engine's ready drops once it has accepted.
    await FallingEdge(dut.clk)
    valid.value = 1
    for _ in range(timeout):
        await RisingEdge(dut.clk)
        await ReadOnly()
        if not ready.value:
            break
    else:
        raise TimeoutError(f"{kind}: command not accepted")
    await FallingEdge(dut.clk)
    valid.value = 0
    for _ in range(timeout):
        await RisingEdge(dut.clk)
        await ReadOnly()
        if done.value:
            e = int(err.value)
            await FallingEdge(dut.clk)
            return e
    raise TimeoutError(f"{kind}: no done")


@cocotb.test()
async def dma_vs_cocotbext_axi(dut):
    seed = int(os.environ.get("NPU_SEED", "1"))
    dut._log.info("seed %d (replay with NPU_SEED=%d)", seed, seed)
    rng = random.Random(seed)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    # No reset hookup: the RAM model needs none (it is idle until the DUT's
    # first request, which comes after reset).
    ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, size=MEM_SIZE)
    ram.read_if.log.setLevel(logging.WARNING)  # one INFO line per burst otherwise
    ram.write_if.log.setLevel(logging.WARNING)
    dut.rd_cmd_valid.value = 0
    dut.wr_cmd_valid.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 4)
    dut.rst_n.value = 1
    await ClockCycles(dut.clk, 2)

    for t in range(TRANSFERS):
        if t == TRANSFERS // 2:
            set_pauses(ram, rng)
        rows = rng.randint(1, 3)
        row_words = rng.randint(1, 300)
        src = rng.randint(1, 60) * 4096 - BB * rng.randint(0, 20)
        stride = row_words * BB + BB * rng.randint(0, 4)
        lstride = row_words + rng.randint(0, 3)
        dst = 0x80000 + rng.randint(0, 60) * 4096 - BB * rng.randint(0, 20)
        dstride = row_words * BB + BB * rng.randint(0, 4)
        src_bytes = bytes(rng.getrandbits(8) for _ in range((rows - 1) * stride + row_words * BB))
        ram.write(src, src_bytes)
        span = (rows - 1) * dstride + row_words * BB
        ram.write(dst, b"\xa5" * span)
        e = await run_cmd(dut, "rd", src, stride, rows, row_words, 0, lstride)
        assert e == 0, f"transfer {t}: load error {e}"
        e = await run_cmd(dut, "wr", dst, dstride, rows, row_words, 0, lstride)
        assert e == 0, f"transfer {t}: store error {e}"
        exp = bytearray(b"\xa5" * span)
        for r in range(rows):
            exp[r * dstride:r * dstride + row_words * BB] = \
                src_bytes[r * stride:r * stride + row_words * BB]
        got = ram.read(dst, span)
        if got != bytes(exp):
            i = next(i for i in range(span) if got[i] != exp[i])
            raise AssertionError(
                f"seed {seed} transfer {t}: DRAM byte 0x{dst + i:x}: expected 0x{exp[i]:02x} "
                f"actual 0x{got[i]:02x} (rows {rows} row_words {row_words})")
        dut._log.info("transfer %d ok: rows %d row_words %d src 0x%x dst 0x%x%s", t, rows,
                      row_words, src, dst, " (stalls)" if t >= TRANSFERS // 2 else "")
