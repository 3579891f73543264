// Random DMA transfers and bit-exact checks shared by the DMA tests.
#pragma once

#include "dma_env.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace npu::tb::dma {

inline std::uint32_t urand(std::mt19937_64& rng, std::uint32_t lo, std::uint32_t hi) {
  return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
}

// A random 2D transfer of up to max_rows rows and 1..max_words words per row,
// DRAM base in page `page` (often just below a 4 KiB boundary).
inline DmaCmd random_cmd(std::mt19937_64& rng, unsigned bb, std::uint32_t page,
                         std::uint32_t local_base, unsigned max_rows = 4,
                         unsigned max_words = 600) {
  DmaCmd c;
  c.rows = urand(rng, 1, max_rows);
  c.row_words = urand(rng, 0, 3) == 0 ? urand(rng, 1, 8) : urand(rng, 1, max_words);
  const std::uint32_t base = page * 4096u;
  switch (urand(rng, 0, 2)) {
    case 0: c.dram_addr = base + 4096u - bb * urand(rng, 0, 40); break;  // near a boundary
    case 1: c.dram_addr = base; break;
    default: c.dram_addr = base + bb * urand(rng, 0, 4096 / bb - 1); break;
  }
  const std::uint32_t row_bytes = c.row_words * bb;
  c.dram_stride = urand(rng, 0, 3) == 0 ? ((row_bytes + 4095u) & ~4095u)
                                        : row_bytes + bb * urand(rng, 0, 8);
  c.space = urand(rng, 0, 1);
  c.local_addr = local_base + urand(rng, 0, 64);
  c.local_stride = c.row_words + urand(rng, 0, 5);
  return c;
}

inline std::string describe(const DmaCmd& c) {
  return fmt::format("dram 0x{:x} stride {} rows {} row_words {} space {} local {} lstride {}",
                     c.dram_addr, c.dram_stride, c.rows, c.row_words, c.space, c.local_addr,
                     c.local_stride);
}

inline std::string hex(const std::vector<std::uint8_t>& v) {
  std::string s = "0x";
  for (auto it = v.rbegin(); it != v.rend(); ++it) s += fmt::format("{:02x}", *it);
  return s;
}

// Local word i (transfer order) of command c must equal DRAM (i < upto) or
// `marker` (i >= upto). Fails with tensor, index, expected, actual, cycle.
template <class Env>
void check_local(Env& env, const DmaCmd& c, std::uint64_t seed, std::uint64_t upto,
                 std::uint8_t marker, const char* what) {
  const unsigned bb = env.bus_bytes();
  std::uint64_t i = 0;
  for (std::uint32_t r = 0; r < c.rows; ++r)
    for (std::uint32_t w = 0; w < c.row_words; ++w, ++i) {
      const auto exp = i < upto ? env.mem().read_bytes(c.dram_addr + r * c.dram_stride + w * bb, bb)
                                : std::vector<std::uint8_t>(bb, marker);
      const auto act = env.local().word(c.space, c.local_addr + r * c.local_stride + w);
      if (exp != act)
        FAIL(fmt::format("{} seed {}: tensor local[space {}] row {} word {} (index {}): expected {} "
                         "actual {} (cycle {}; {})", what, seed, c.space, r, w, i, hex(exp), hex(act),
                         env.sim().cycle(), describe(c)));
    }
}

// DRAM rows of the store `st` must hold the local words; the bytes in
// [lo, hi) outside the rows keep `fillb`.
template <class Env>
void check_dram(Env& env, const DmaCmd& st, std::uint64_t seed, std::uint32_t lo,
                std::uint32_t hi, std::uint8_t fillb, const char* what) {
  const unsigned bb = env.bus_bytes();
  std::vector<std::int64_t> src(hi - lo, -1);  // -1: must keep fillb
  for (std::uint32_t r = 0; r < st.rows; ++r)
    for (std::uint32_t w = 0; w < st.row_words; ++w) {
      const auto word = env.local().word(st.space, st.local_addr + r * st.local_stride + w);
      for (unsigned b = 0; b < bb; ++b) src.at(st.dram_addr + r * st.dram_stride + w * bb + b - lo) = word[b];
    }
  const auto got = env.mem().read_bytes(lo, hi - lo);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const unsigned exp = src[i] < 0 ? fillb : static_cast<unsigned>(src[i]);
    if (got[i] != exp)
      FAIL(fmt::format("{} seed {}: tensor DRAM byte 0x{:x} ({}): expected 0x{:02x} actual 0x{:02x} "
                       "(cycle {}; {})", what, seed, lo + i, src[i] < 0 ? "outside the rows" : "row data",
                       exp, got[i], env.sim().cycle(), describe(st)));
  }
}

inline std::uint32_t span_end(const DmaCmd& c, unsigned bb) {
  return c.dram_addr + (c.rows - 1) * c.dram_stride + c.row_words * bb;
}

// Load a random region, check local memory, store it elsewhere with another
// stride, check DRAM bit-exactly (including untouched gaps).
template <class Env>
void round_trip(Env& env, std::mt19937_64& rng, std::uint64_t seed, unsigned max_words = 600) {
  const unsigned bb = env.bus_bytes();
  DmaCmd ld = random_cmd(rng, bb, urand(rng, 1, 200), urand(rng, 0, 4) * 16384, 4, max_words);
  const std::uint32_t src_end = span_end(ld, bb);
  env.mem().fill_random(ld.dram_addr, src_end - ld.dram_addr, rng());
  const auto w0 = env.local().writes();
  const auto lr = env.load(ld);
  INFO(fmt::format("seed {} load {}", seed, describe(ld)));
  REQUIRE(lr.err == 0);
  REQUIRE(env.local().writes() - w0 == std::uint64_t{ld.rows} * ld.row_words);
  check_local(env, ld, seed, ~0ull, 0, "load");

  DmaCmd st = ld;
  st.dram_addr = urand(rng, 300, 500) * 4096u + (urand(rng, 0, 1) ? 4096u - bb * urand(rng, 1, 40) : 0);
  st.dram_stride = ld.row_words * bb + bb * urand(rng, 0, 6);
  const std::uint32_t lo = st.dram_addr - 64, hi = span_end(st, bb) + 64;
  env.mem().fill(lo, hi - lo, 0xA5);
  const auto sr = env.store(st);
  INFO(fmt::format("seed {} store {}", seed, describe(st)));
  REQUIRE(sr.err == 0);
  check_dram(env, st, seed, lo, hi, 0xA5, "store");
}

}  // namespace npu::tb::dma
