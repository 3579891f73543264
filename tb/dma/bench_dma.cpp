// DMA efficiency benchmark (not a test): single LOAD / STORE transfers of
// 64 B .. 1 MiB on tb_dma_top with DataW 256, AXI read/write latency 100
// cycles, no stalls. Efficiency = data bytes per cycle / BusBytes, cycles
// from command accepted to done.
#include "dma_env.hpp"

#include "Vtb_dma_top_w256.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <exception>

using namespace npu::tb;
using namespace npu::tb::dma;

int main() {
  try {
    constexpr unsigned kBB = 32;
    axi::AxiMemoryConfig mc;
    mc.read_latency = 100;
    mc.write_latency = 100;
    mc.max_reads = 64;
    mc.max_writes = 64;
    const std::uint32_t sizes[] = {64, 256, 1024, 4096, 65536, 1u << 20};
    std::printf("DMA efficiency, DataW 256 (BusBytes %u), MaxOutstanding 4, latency 100, no stalls\n", kBB);
    std::printf("%-10s %-6s %10s %12s %10s\n", "bytes", "dir", "cycles", "bytes/cycle", "efficiency");
    for (std::uint32_t bytes : sizes)
      for (bool load : {true, false}) {
        DmaEnv<Vtb_dma_top_w256> env(kBB, mc, 0.0);
        DmaCmd c;
        c.dram_addr = 0x100000;
        c.rows = 1;
        c.row_words = bytes / kBB;
        if (c.row_words > 0xFFFF) {  // a row holds at most 65535 words: 2D
          c.rows = bytes / (kBB * 16384);
          c.row_words = 16384;
        }
        c.dram_stride = c.row_words * kBB;
        c.local_stride = c.row_words;
        const auto r = load ? env.load(c, 10'000'000) : env.store(c, 10'000'000);
        if (r.err) throw std::runtime_error("unexpected error response");
        const double bpc = static_cast<double>(bytes) / static_cast<double>(r.cycles);
        std::printf("%-10u %-6s %10llu %12.2f %9.1f%%\n", bytes, load ? "load" : "store",
                    static_cast<unsigned long long>(r.cycles), bpc, 100.0 * bpc / kBB);
      }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_dma: %s\n", e.what());
    return 1;
  }
}
