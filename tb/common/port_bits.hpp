// Bit-field access to Verilated ports of any width: ports up to 64 bits are
// plain integers (CData..QData), wider ones are VlWide<N> word arrays. The
// same testbench code then works for every array configuration.
#pragma once

#include <verilated.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace npu::tb {

// Writes the low `width` (<= 32) bits of `value` at bit offset `lsb`.
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void put_bits(T& port, unsigned lsb, unsigned width, std::uint32_t value) {
  const std::uint64_t mask = ((width >= 64 ? 0 : (std::uint64_t{1} << width)) - 1) << lsb;
  const std::uint64_t v = (std::uint64_t{value} << lsb) & mask;
  port = static_cast<T>((static_cast<std::uint64_t>(port) & ~mask) | v);
}

template <std::size_t N>
void put_bits(VlWide<N>& port, unsigned lsb, unsigned width, std::uint32_t value) {
  for (unsigned i = 0; i < width; ++i) {
    const unsigned bit = lsb + i;
    const std::uint32_t m = std::uint32_t{1} << (bit % 32);
    if ((value >> i) & 1u)
      port.at(bit / 32) |= m;
    else
      port.at(bit / 32) &= ~m;
  }
}

// Reads `width` (<= 32) bits at bit offset `lsb`.
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
std::uint32_t get_bits(const T& port, unsigned lsb, unsigned width) {
  const std::uint64_t v = static_cast<std::uint64_t>(port) >> lsb;
  return static_cast<std::uint32_t>(width >= 32 ? v : v & ((std::uint64_t{1} << width) - 1));
}

template <std::size_t N>
std::uint32_t get_bits(const VlWide<N>& port, unsigned lsb, unsigned width) {
  // Fields are 16- or 32-bit aligned in practice; the general path is cheap enough.
  if (width == 32 && lsb % 32 == 0) return port.at(lsb / 32);
  std::uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    const unsigned bit = lsb + i;
    v |= ((port.at(bit / 32) >> (bit % 32)) & 1u) << i;
  }
  return v;
}

}  // namespace npu::tb
