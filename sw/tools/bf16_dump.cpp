// Dumps the reference model's BF16 conversions for the independent
// ml_dtypes oracle (tests/py/test_bf16_ml_dtypes.py):
//   out/widen.bin   65,536 x u32: bf16_to_fp32 of every BF16 pattern
//   out/narrow.bin  N x (u32 input, u16 fp32_to_bf16 result), seeded random
//                   patterns plus every tie/near-tie of a few exponents.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "npu/ref/fp.hpp"

namespace {

template <class T>
void put(std::ofstream& out, T v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

int usage() {
  std::fprintf(stderr, "usage: bf16_dump <out dir> <count> <seed>\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return usage();
  const std::string dir = argv[1];
  const long count = std::strtol(argv[2], nullptr, 10);
  const unsigned long long seed = std::strtoull(argv[3], nullptr, 10);
  if (count <= 0) return usage();

  std::ofstream widen(dir + "/widen.bin", std::ios::binary);
  for (uint32_t b = 0; b < 0x10000u; ++b) put(widen, npu::ref::bf16_to_fp32(static_cast<uint16_t>(b)));

  std::ofstream narrow(dir + "/narrow.bin", std::ios::binary);
  auto emit = [&](uint32_t f) {
    put(narrow, f);
    put(narrow, npu::ref::fp32_to_bf16(f));
  };
  std::mt19937_64 rng(seed);
  for (long i = 0; i < count; ++i) emit(static_cast<uint32_t>(rng()));
  // Ties and their neighbours: low half 0x7FFF, 0x8000, 0x8001 on every upper half.
  for (uint32_t hi = 0; hi < 0x10000u; ++hi)
    for (uint32_t lo : {0x7FFFu, 0x8000u, 0x8001u}) emit((hi << 16) | lo);
  if (!widen || !narrow) {
    std::fprintf(stderr, "bf16_dump: cannot write to %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
