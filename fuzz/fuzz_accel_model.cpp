// fuzz_accel_model: random command streams through ref::AccelModel::run and
// run_concurrent, with the vector-engine model installed, on a small random
// (but buildable) configuration.
//
// Input: a 16-byte header, then up to 8 commands of 64 bytes (16 little-endian
// words, docs/isa.md); a trailing partial command is ignored.
//   h[0] rows-1 (mod 8)   h[1] cols-1 (mod 8)   h[2] bit0: twice the minimum bus width
//   h[3..4] aspad_words   h[5..6] wspad_words   h[7..8] acc_rows   h[9] vec_maxlen
//   h[10] bit0: an error range (SLVERR) in the window   h[11] window base >> 24
//   h[12] window size in MiB - 1   h[13] error range offset in 4 KiB pages
//   h[14..15] seed of the DRAM contents (first 4 KiB of the window) and of run_concurrent
// Faults are the normal result of a bad command; the only exception allowed is
// run_concurrent's documented std::runtime_error for tokens that deadlock.
// Commands whose work exceeds ~2M elements are skipped (slow, not wrong).
#include "npu/isa.hpp"
#include "npu/ref/accel_model.hpp"
#include "npu/ref/vec_model.hpp"

#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace npu;

namespace {

std::uint64_t work(const isa::Command& c, const ref::AccelConfig& cfg) {
  const auto& w = c.w;
  switch (c.op()) {
    case isa::Op::Load:
    case isa::Op::Store: return std::uint64_t{w[3] & 0xFFFF} * (w[3] >> 16) * cfg.bus_bytes;
    case isa::Op::Gemm:
      return std::uint64_t{w[4] & 0xFFFF} * (w[4] >> 16) * (w[7] & 0xFFFF) * cfg.rows * cfg.cols;
    case isa::Op::Vec: return std::uint64_t{w[7] & 0xFFFF} * ((w[7] >> 16) + 256);
    default: return 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kHeader = 16;
  if (size < kHeader) return 0;
  const std::uint8_t* h = data;
  const auto u16 = [&](std::size_t i) { return unsigned(h[i]) | unsigned(h[i + 1]) << 8; };
  ref::AccelConfig cfg;
  cfg.rows = 1 + h[0] % 8;
  cfg.cols = 1 + h[1] % 8;
  cfg.bus_bytes = 4;
  while (cfg.bus_bytes < 2 * std::max(cfg.rows, cfg.cols)) cfg.bus_bytes *= 2;
  if (h[2] & 1) cfg.bus_bytes *= 2;
  cfg.aspad_words = 1 + u16(3) % 2048;
  cfg.wspad_words = 1 + u16(5) % 1024;
  cfg.acc_rows = 1 + u16(7) % 512;
  cfg.vec_maxlen = 1 + h[9] % 128;
  const std::uint32_t base = std::uint32_t{h[11]} << 24;
  const std::uint32_t wsize = (std::uint32_t{h[12]} + 1) << 20;
  const unsigned seed = u16(14);

  std::vector<isa::Command> cmds;
  for (std::size_t at = kHeader; at + isa::kCmdBytes <= size && cmds.size() < 8; at += isa::kCmdBytes) {
    isa::Command c;
    std::memcpy(c.w.data(), data + at, isa::kCmdBytes);  // little-endian host
    if (work(c, cfg) <= (1u << 21)) cmds.push_back(c);
  }

  std::vector<std::uint8_t> dram(4096);
  std::mt19937 rng(seed);
  for (auto& b : dram) b = static_cast<std::uint8_t>(rng());
  const auto setup = [&](ref::AccelModel& m) {
    ref::install(m);
    m.set_window(base, wsize);
    m.write_dram(base, dram);
    if (h[10] & 1) {
      const std::uint32_t lo = base + (std::uint32_t{h[13]} << 12);
      m.add_error_range(lo, lo + 4096, isa::Fault::AxiSlverr);
    }
  };
  const auto addr = [&](std::size_t i) { return base + static_cast<std::uint32_t>(i * isa::kCmdBytes); };

  {
    ref::AccelModel m(cfg);
    setup(m);
    (void)m.run(cmds, addr);
  }
  {
    ref::AccelModel m(cfg);
    setup(m);
    try {
      (void)m.run_concurrent(cmds, addr, seed);
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find("deadlock") == std::string::npos) throw;
    }
  }
  return 0;
}
