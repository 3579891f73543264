// A sparse byte-addressed 32-bit memory in 64 KiB pages: unwritten bytes read
// 0. The functional model's DRAM; a real model's weights (hundreds of MB)
// cost their size, not a map node per byte.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

namespace npu::ref {

class PagedMemory {
 public:
  void write(std::uint32_t addr, const std::uint8_t* src, std::size_t n) {
    while (n > 0) {
      const std::size_t at = addr & kMask, len = std::min(n, kPage - at);
      auto& page = pages_[addr >> kBits];
      if (!page) page = std::make_unique<Page>();  // zero-filled
      std::copy(src, src + len, page->data() + at);
      addr += static_cast<std::uint32_t>(len), src += len, n -= len;
    }
  }
  void read(std::uint32_t addr, std::uint8_t* dst, std::size_t n) const {
    while (n > 0) {
      const std::size_t at = addr & kMask, len = std::min(n, kPage - at);
      const auto it = pages_.find(addr >> kBits);
      if (it == pages_.end())
        std::fill(dst, dst + len, std::uint8_t{0});
      else
        std::copy(it->second->data() + at, it->second->data() + at + len, dst);
      addr += static_cast<std::uint32_t>(len), dst += len, n -= len;
    }
  }

 private:
  static constexpr unsigned kBits = 16;
  static constexpr std::size_t kPage = std::size_t{1} << kBits, kMask = kPage - 1;
  using Page = std::array<std::uint8_t, kPage>;
  std::unordered_map<std::uint32_t, std::unique_ptr<Page>> pages_;
};

}  // namespace npu::ref
