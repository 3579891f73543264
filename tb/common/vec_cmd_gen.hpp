// Random VEC commands that pass vec_check, with stream contents to match:
// streams in disjoint regions (src, aux, dst), random blocked layouts, cfg
// words in each func's documented range, element values biased to the
// interesting ranges (a few special values: zeros, infinities, NaNs,
// subnormals). Shared by the engine test (tb/vec) and the top tests.
#pragma once

#include <npu/isa.hpp>
#include <npu/ref/accel_model.hpp>
#include <npu/ref/vec_model.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace npu::tb {

class VecCmdGen {
 public:
  VecCmdGen(const ref::AccelConfig& cfg, std::uint64_t seed) : cfg_(cfg), rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  // false: src and aux streams only in ASPAD (ACC is filled by GEMMs, not DMA).
  void set_acc_allowed(bool on) { acc_ok_ = on; }

  // A command of `f` over at most `max_rows` rows and `max_n` elements (0:
  // VecMaxLen) that passes vec_check; its src and aux contents are written
  // into `mem`. dst may be given a space (Aspad/Wspad) or left random.
  isa::VecCmd make(isa::VecFunc f, ref::LocalMemories& mem, unsigned max_rows = 5, unsigned max_n = 0) {
    using isa::VecFunc;
    const isa::VecFuncInfo fi = isa::vec_func_info(static_cast<unsigned>(f));
    if (!fi.legal) throw std::invalid_argument("VecCmdGen: illegal func");
    for (int attempt = 0; attempt < 1000; ++attempt) {
      isa::VecCmd c;
      c.func = f;
      c.rows = uni(1, std::max(1u, max_rows));
      const unsigned maxn = max_n ? std::min(max_n, cfg_.vec_maxlen) : cfg_.vec_maxlen;
      c.n = uni(1, maxn);
      if (f == VecFunc::Params) c.n = 3 * uni(1, cfg_.vec_maxlen);
      if (f == VecFunc::LutLoad) c.n = 256, c.rows = 1;
      if (f == VecFunc::RopeBf16) c.n = 2 * uni(1, std::max(1u, maxn / 2));
      // spaces
      c.src_space = (fi.src_acc != isa::Elem::None &&
                     (fi.src_aspad == isa::Elem::None || (acc_ok_ && coin(0.5))))
                        ? isa::Space::Acc : isa::Space::Aspad;
      if (fi.has_aux())
        c.aux_space = (fi.aux_acc != isa::Elem::None && acc_ok_ && coin(0.5)) ? isa::Space::Acc : isa::Space::Aspad;
      if (fi.has_dst()) c.dst_space = coin(0.3) ? isa::Space::Wspad : isa::Space::Aspad;
      const isa::Elem st = ref::vec_src_type(fi, c.src_space);
      const isa::Elem at = fi.has_aux() ? ref::vec_aux_type(fi, c.aux_space) : isa::Elem::None;
      const unsigned s_epw = ref::vec_elems_per_word(st, c.src_space, cfg_);
      c.src_group = group(s_epw);
      if (fi.has_aux()) c.aux_group = group(ref::vec_elems_per_word(at, c.aux_space, cfg_));
      if (fi.has_dst()) {
        const bool bytes = fi.dst == isa::Elem::I8 || fi.dst == isa::Elem::U8;
        c.dst_pairs = bytes && coin(0.25);
        c.dst_group = group(c.dst_pairs ? cfg_.bus_bytes / 2 : ref::vec_elems_per_word(fi.dst, isa::Space::Aspad, cfg_));
      }
      if (f == VecFunc::RopeBf16) {
        const unsigned h = c.n / 2;
        const unsigned g = std::min({ref::vec_elems_per_word(st, c.src_space, cfg_),
                                     ref::vec_elems_per_word(at, c.aux_space, cfg_),
                                     ref::vec_elems_per_word(fi.dst, isa::Space::Aspad, cfg_)});
        std::vector<unsigned> divs;
        for (unsigned d = 1; d <= g; ++d) if (h % d == 0) divs.push_back(d);
        c.src_group = c.aux_group = c.dst_group = divs[uni(0, static_cast<unsigned>(divs.size()) - 1)];
      }
      cfg_words(c);
      // layout: src region 0, aux region 1, dst region 2 of their spaces
      if (!place(c.src_space, 0, c.rows, c.n, c.src_group, c.src_addr, c.src_row_stride, c.src_group_stride))
        continue;
      if (fi.has_aux() &&
          !place(c.aux_space, 1, c.rows, c.n, c.aux_group, c.aux_addr, c.aux_row_stride, c.aux_group_stride))
        continue;
      if (fi.has_dst() && !place(c.dst_space, 2, c.dst_pairs ? (c.rows + 1) / 2 : c.rows, c.n, c.dst_group,
                                 c.dst_addr, c.dst_row_stride, c.dst_group_stride))
        continue;
      if (ref::vec_check(c.encode(), cfg_) != isa::Fault::None) continue;
      fill_stream(mem, c.src_space, c.src_addr, c.src_row_stride, c.src_group_stride, c.src_group, st, c.rows,
                  c.n, f, false);
      if (fi.has_aux())
        fill_stream(mem, c.aux_space, c.aux_addr, c.aux_row_stride, c.aux_group_stride, c.aux_group, at, c.rows,
                    c.n, f, true);
      return c;
    }
    throw std::runtime_error("VecCmdGen: no valid command of " + isa::name(f) + " in 1000 attempts");
  }

  // A PARAMS command whose channels suit `f` (n channels), stream written into mem.
  isa::VecCmd params_for(isa::VecFunc f, unsigned channels, ref::LocalMemories& mem) {
    isa::VecCmd c;
    c.func = isa::VecFunc::Params;
    c.n = 3 * channels;
    c.rows = 1;
    c.src_space = isa::Space::Aspad;
    c.src_group = group(cfg_.bus_bytes / 4);
    c.src_row_stride = 0;
    c.src_group_stride = 1;
    c.src_addr = 0;
    for (unsigned ch = 0; ch < channels; ++ch)
      for (unsigned k = 0; k < 3; ++k) {
        const unsigned e = 3 * ch + k;
        put_elem(mem, isa::Space::Aspad, c.src_addr + e / c.src_group, e % c.src_group, isa::Elem::I32,
                 param_value(f, k));
      }
    if (ref::vec_check(c.encode(), cfg_) != isa::Fault::None)
      throw std::runtime_error("VecCmdGen: PARAMS command does not check");
    return c;
  }

  // A LUT_LOAD command of random entries.
  isa::VecCmd lut_load(ref::LocalMemories& mem) {
    isa::VecCmd c;
    c.func = isa::VecFunc::LutLoad;
    c.rows = 1, c.n = 256, c.src_space = isa::Space::Aspad, c.src_group = cfg_.bus_bytes;
    c.src_addr = 0, c.src_row_stride = 0, c.src_group_stride = 1;
    for (unsigned e = 0; e < 256; ++e)
      put_elem(mem, isa::Space::Aspad, e / c.src_group, e % c.src_group, isa::Elem::I8,
               static_cast<std::uint32_t>(rng_()));
    return c;
  }

  // Random bytes / words everywhere.
  void fill(ref::LocalMemories& m) {
    for (auto& b : m.aspad) b = static_cast<std::uint8_t>(rng_());
    for (auto& b : m.wspad) b = static_cast<std::uint8_t>(rng_());
    for (auto& w : m.acc) w = static_cast<std::uint32_t>(rng_());
  }

  // An FP32 value 2^[emin, emax] with random sign; special values with probability p_special.
  std::uint32_t f32(int emin = -6, int emax = 6, double p_special = 0.02) {
    if (coin(p_special)) {
      static constexpr std::uint32_t kSpecial[] = {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,
                                                   0x7FC00000u, 0x00012345u, 0x80400000u, 0x7F7FFFFFu};
      return kSpecial[uni(0, 7)];
    }
    const int e = static_cast<int>(uni(0, static_cast<unsigned>(emax - emin))) + emin;
    return (coin(0.5) ? 0x80000000u : 0u) | (static_cast<std::uint32_t>(e + 127) << 23) |
           (static_cast<std::uint32_t>(rng_()) & 0x7FFFFFu);
  }

 private:
  unsigned uni(unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng_); }
  bool coin(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::int32_t sint(std::int32_t lo, std::int32_t hi) { return std::uniform_int_distribution<std::int32_t>(lo, hi)(rng_); }

  unsigned group(unsigned epw) {
    if (coin(0.5)) return epw;
    return uni(1, epw);
  }

  std::uint64_t space_words(isa::Space s) const {
    return s == isa::Space::Aspad ? cfg_.aspad_words : s == isa::Space::Wspad ? cfg_.wspad_words : cfg_.acc_rows;
  }

  // A random blocked layout of rows x ceil(n/group) words inside region `k` (of 3) of the space.
  bool place(isa::Space s, unsigned k, unsigned rows, unsigned n, unsigned g, std::uint32_t& addr,
             std::uint32_t& rs, std::uint32_t& gs) {
    const std::uint64_t words = space_words(s);
    const std::uint64_t lo = words * k / 3, hi = words * (k + 1) / 3;
    const unsigned wpr = (n + g - 1) / g;
    switch (uni(0, 2)) {
      case 0: gs = 1, rs = wpr + uni(0, 2); break;           // row-major, padded
      case 1: rs = 1, gs = rows + uni(0, 1); break;          // GEMM A layout
      default: gs = uni(0, 1) ? 1 : 2, rs = wpr * gs; break;  // spread
    }
    const std::uint64_t span = std::uint64_t{rows - 1} * rs + std::uint64_t{wpr - 1} * gs + 1;
    if (lo + span > hi) return false;
    addr = static_cast<std::uint32_t>(lo + uni(0, static_cast<unsigned>(hi - lo - span)));
    return true;
  }

  void cfg_words(isa::VecCmd& c) {
    using isa::VecFunc;
    auto shift6 = [&](int lo, int hi) { return static_cast<std::uint32_t>(sint(lo, hi)) & 0x3Fu; };
    auto zp24 = [&] { return (static_cast<std::uint32_t>(sint(-20, 20)) & 0xFFFFFFu) << 8; };
    auto k16 = [&] { return static_cast<std::uint32_t>(sint(-32767, 32767)) & 0xFFFFu; };
    switch (c.func) {
      case VecFunc::Requant: c.cfg0 = static_cast<std::uint32_t>(sint(-30, 30)); c.cfg1 = uni(0, 1); break;
      case VecFunc::AddI8:
      case VecFunc::MulI8:
        c.cfg0 = static_cast<std::uint32_t>(rng_()) & 0xFFFFu;
        c.cfg1 = k16() | (k16() << 16);
        c.cfg2 = static_cast<std::uint32_t>(rng_()) & 0x7FFFFFFFu;
        c.cfg3 = shift6(c.func == VecFunc::AddI8 ? 10 : 0, c.func == VecFunc::AddI8 ? 30 : 12) | zp24();
        break;
      case VecFunc::SoftmaxI8:
        c.cfg0 = uni(1, 1u << 22);
        c.cfg1 = coin(0.3) ? 1u : 0u;
        c.cfg2 = static_cast<std::uint32_t>(sint(-3, 40));
        break;
      case VecFunc::LayernormI32:
      case VecFunc::RmsnormI32:
        c.cfg0 = uni(1, 1000);
        c.cfg1 = static_cast<std::uint32_t>(rng_()) & 0x7FFFFFFFu;
        c.cfg2 = shift6(-4, 12) | zp24();
        break;
      case VecFunc::QuantI8: c.cfg0 = f32(-4, 4, 0.0) & 0x7FFFFFFFu; c.cfg1 = static_cast<std::uint32_t>(sint(-128, 127)) & 0xFFu; break;
      case VecFunc::SoftmaxBf16:
        c.cfg0 = f32(-4, 1, 0.0) & 0x7FFFFFFFu;
        c.cfg1 = coin(0.3) ? 1u : 0u;
        c.cfg2 = static_cast<std::uint32_t>(sint(-3, 40));
        break;
      case VecFunc::LayernormBf16:
      case VecFunc::RmsnormBf16: c.cfg0 = coin(0.5) ? 0x3727C5ACu : f32(-20, -5, 0.0) & 0x7FFFFFFFu; break;
      case VecFunc::GeluBf16:
      case VecFunc::SiluBf16: c.cfg1 = uni(0, 1); break;
      case VecFunc::CvtBf16: c.cfg0 = f32(-8, 2, 0.0); c.cfg1 = uni(0, 7); break;
      default: break;
    }
  }

  // A parameter value of component k (P0, P1, P2) for func f.
  std::uint32_t param_value(isa::VecFunc f, unsigned k) {
    using isa::VecFunc;
    switch (f) {
      case VecFunc::Requant:
        if (k == 0) return (1u << 30) | (static_cast<std::uint32_t>(rng_()) & 0x3FFFFFFFu);
        if (k == 1) return static_cast<std::uint32_t>(sint(-100000, 100000));
        return static_cast<std::uint32_t>(sint(-2, 20)) & 0x3Fu;
      case VecFunc::LayernormI32:
      case VecFunc::RmsnormI32:
        if (k == 0) return static_cast<std::uint32_t>(sint(-128, 127));
        if (k == 1) return static_cast<std::uint32_t>(sint(-5000, 5000));
        return 0;
      case VecFunc::LayernormBf16:
      case VecFunc::RmsnormBf16:
      case VecFunc::GeluBf16:
      case VecFunc::SiluBf16:
      case VecFunc::CvtBf16: return k < 2 ? f32(-3, 2, 0.01) : 0;
      default: return static_cast<std::uint32_t>(rng_());
    }
  }

  // A value of one element of stream type t for func f.
  std::uint32_t elem_value(isa::VecFunc f, isa::Elem t) {
    using isa::VecFunc;
    switch (t) {
      case isa::Elem::I8:
      case isa::Elem::U8: return static_cast<std::uint32_t>(rng_()) & 0xFFu;
      case isa::Elem::I32:
        if (f == VecFunc::LayernormI32 || f == VecFunc::RmsnormI32) {
          if (coin(0.02)) return static_cast<std::uint32_t>(rng_());
          const int mag = coin(0.5) ? 300 : 32767;
          return static_cast<std::uint32_t>(sint(-mag, mag));
        }
        if (f == VecFunc::CvtBf16 && coin(0.8)) return static_cast<std::uint32_t>(sint(-70000, 70000));
        return coin(0.5) ? static_cast<std::uint32_t>(rng_()) : static_cast<std::uint32_t>(sint(-1000000, 1000000));
      default: {
        int emin = -6, emax = 6;
        if (f == VecFunc::SoftmaxBf16) emin = -4, emax = 5;
        if (f == VecFunc::GeluBf16 || f == VecFunc::SiluBf16 || f == VecFunc::SwigluBf16) emin = -8, emax = 7;
        const std::uint32_t v = f32(emin, emax, 0.02);
        return t == isa::Elem::Bf16 ? (v >> 16) : v;
      }
    }
  }

  void put_elem(ref::LocalMemories& m, isa::Space s, std::uint64_t w, unsigned lane, isa::Elem t, std::uint32_t v) {
    if (s == isa::Space::Acc) {
      m.acc.at(w * cfg_.cols + lane) = v;
      return;
    }
    auto& b = s == isa::Space::Aspad ? m.aspad : m.wspad;
    const unsigned eb = ref::vec_elem_bytes(t);
    for (unsigned i = 0; i < eb; ++i) b.at(w * cfg_.bus_bytes + lane * eb + i) = static_cast<std::uint8_t>(v >> (8 * i));
  }

  void fill_stream(ref::LocalMemories& m, isa::Space s, std::uint64_t addr, std::uint64_t rs, std::uint64_t gs,
                   unsigned g, isa::Elem t, unsigned rows, unsigned n, isa::VecFunc f, bool aux) {
    for (unsigned r = 0; r < rows; ++r)
      for (unsigned e = 0; e < n; ++e) {
        std::uint32_t v = elem_value(f, t);
        if (f == isa::VecFunc::RopeBf16 && aux) v = f32(-3, 0, 0.0) >> 16;  // cos, sin
        put_elem(m, s, ref::vec_word_of(addr, rs, gs, g, r, e), e % g, t, v);
      }
  }

  ref::AccelConfig cfg_;
  std::mt19937_64 rng_;
  bool acc_ok_ = true;
};

}  // namespace npu::tb
