#include "npu/compiler/gemm.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace npu::compiler {
namespace {

using Q = isa::Queue;

constexpr std::uint16_t kBf16NegZero = 0x8000;  // -0 * +0 = -0 adds nothing (numerics.md §5)

void put16(std::vector<std::uint8_t>& v, std::size_t at, std::uint16_t x) {
  v[at] = x & 0xFF;
  v[at + 1] = x >> 8;
}

void check_target(const Target& t) {
  if (t.bus_bytes < 2 * t.rows || t.bus_bytes < 2 * t.cols)
    throw std::invalid_argument("target: bus_bytes must be >= 2*rows and >= 2*cols");
}

// A [kt][m]: a K tile of `depth` elements of `esize` bytes per word.
template <class T, class Put>
std::vector<std::uint8_t> pack_a(const ref::Matrix<T>& a, const Target& t, unsigned depth, T pad,
                                 unsigned esize, Put put) {
  check_target(t);
  const std::size_t m = a.rows(), k = a.cols(), kt_n = (k + depth - 1) / depth;
  std::vector<std::uint8_t> out(kt_n * m * t.bus_bytes, 0);
  for (std::size_t kt = 0; kt < kt_n; ++kt)
    for (std::size_t r = 0; r < m; ++r) {
      const std::size_t word = (kt * m + r) * t.bus_bytes;
      for (unsigned e = 0; e < depth; ++e) {
        const std::size_t kk = kt * depth + e;
        put(out, word + e * esize, kk < k ? a(r, kk) : pad);
      }
    }
  return out;
}

// W [nt][kt][r]: PE row r holds `per_pe` K rows (1 BF16, 2 INT8) of each column.
template <class T, class Put>
std::vector<std::uint8_t> pack_w(const ref::Matrix<T>& w, const Target& t, unsigned per_pe,
                                 unsigned esize, Put put) {
  check_target(t);
  const std::size_t depth = std::size_t{t.rows} * per_pe;
  const std::size_t k = w.rows(), n = w.cols();
  const std::size_t kt_n = (k + depth - 1) / depth, nt_n = (n + t.cols - 1) / t.cols;
  std::vector<std::uint8_t> out(nt_n * kt_n * t.rows * t.bus_bytes, 0);
  for (std::size_t nt = 0; nt < nt_n; ++nt)
    for (std::size_t kt = 0; kt < kt_n; ++kt)
      for (unsigned r = 0; r < t.rows; ++r) {
        const std::size_t word = ((nt * kt_n + kt) * t.rows + r) * t.bus_bytes;
        for (unsigned e = 0; e < t.cols; ++e)
          for (unsigned h = 0; h < per_pe; ++h) {
            const std::size_t kk = kt * depth + r * per_pe + h, nn = nt * t.cols + e;
            put(out, word + (e * per_pe + h) * esize, (kk < k && nn < n) ? w(kk, nn) : T{});
          }
      }
  return out;
}

// W^T [nt][kt][j]: word j of a tile is row nt*Cols+j of B, one K tile of it.
template <class T, class Put>
std::vector<std::uint8_t> pack_wt(const ref::Matrix<T>& b, const Target& t, unsigned depth, unsigned esize,
                                  Put put) {
  check_target(t);
  const std::size_t n = b.rows(), k = b.cols();
  const std::size_t kt_n = (k + depth - 1) / depth, nt_n = (n + t.cols - 1) / t.cols;
  std::vector<std::uint8_t> out(nt_n * kt_n * t.cols * t.bus_bytes, 0);
  for (std::size_t nt = 0; nt < nt_n; ++nt)
    for (std::size_t kt = 0; kt < kt_n; ++kt)
      for (unsigned j = 0; j < t.cols; ++j) {
        const std::size_t word = ((nt * kt_n + kt) * t.cols + j) * t.bus_bytes, nn = nt * t.cols + j;
        for (unsigned e = 0; e < depth; ++e) {
          const std::size_t kk = kt * depth + e;
          put(out, word + e * esize, (nn < n && kk < k) ? b(nn, kk) : T{});
        }
      }
  return out;
}

}  // namespace

std::vector<std::uint8_t> pack_wt_i8(const ref::Matrix<std::int8_t>& b, const Target& t) {
  return pack_wt<std::int8_t>(b, t, 2 * t.rows, 1, [](auto& v, std::size_t at, std::int8_t x) {
    v[at] = static_cast<std::uint8_t>(x);
  });
}
std::vector<std::uint8_t> pack_wt_bf16(const ref::Matrix<std::uint16_t>& b, const Target& t) {
  return pack_wt<std::uint16_t>(b, t, t.rows, 2, put16);
}

unsigned Target::acc_words_per_row() const {
  const unsigned raw = (4 * cols + bus_bytes - 1) / bus_bytes;
  unsigned p = 1;
  while (p < raw) p <<= 1;
  return p;
}

std::vector<std::uint8_t> pack_a_i8(const ref::Matrix<std::int8_t>& a, const Target& t) {
  return pack_a<std::int8_t>(a, t, 2 * t.rows, 0, 1, [](auto& v, std::size_t at, std::int8_t x) {
    v[at] = static_cast<std::uint8_t>(x);
  });
}
std::vector<std::uint8_t> pack_a_bf16(const ref::Matrix<std::uint16_t>& a, const Target& t) {
  return pack_a<std::uint16_t>(a, t, t.rows, kBf16NegZero, 2, put16);
}
std::vector<std::uint8_t> pack_w_i8(const ref::Matrix<std::int8_t>& w, const Target& t) {
  return pack_w<std::int8_t>(w, t, 2, 1, [](auto& v, std::size_t at, std::int8_t x) {
    v[at] = static_cast<std::uint8_t>(x);
  });
}
std::vector<std::uint8_t> pack_w_bf16(const ref::Matrix<std::uint16_t>& w, const Target& t) {
  return pack_w<std::uint16_t>(w, t, 1, 2, put16);
}

std::size_t c_bytes(const GemmShape& s, const Target& t) {
  return std::size_t{s.n_tiles(t)} * s.m * t.acc_words_per_row() * t.bus_bytes;
}

ref::Matrix<std::uint32_t> unpack_c(const std::vector<std::uint8_t>& dev, const GemmShape& s,
                                    const Target& t) {
  if (dev.size() < c_bytes(s, t)) throw std::invalid_argument("unpack_c: buffer too small");
  ref::Matrix<std::uint32_t> c(s.m, s.n);
  const std::size_t row_bytes = std::size_t{t.acc_words_per_row()} * t.bus_bytes;
  for (unsigned nt = 0; nt < s.n_tiles(t); ++nt)
    for (unsigned m = 0; m < s.m; ++m)
      for (unsigned e = 0; e < t.cols && nt * t.cols + e < s.n; ++e) {
        const std::size_t at = (std::size_t{nt} * s.m + m) * row_bytes + 4 * e;
        c(m, nt * t.cols + e) = std::uint32_t{dev[at]} | std::uint32_t{dev[at + 1]} << 8 |
                                std::uint32_t{dev[at + 2]} << 16 | std::uint32_t{dev[at + 3]} << 24;
      }
  return c;
}

GemmPlan plan_gemm(const GemmShape& s, const Target& t) {
  check_target(t);
  if (s.m == 0 || s.k == 0 || s.n == 0) throw std::invalid_argument("gemm: empty shape");
  GemmPlan p;
  const unsigned kt = s.k_tiles(t);
  // Two W buffers of k_chunk tiles, two A buffers of k_chunk x m_block words,
  // two ACC buffers of m_block rows.
  p.k_chunk = std::min(kt, t.wspad_words / (2 * t.rows));
  if (p.k_chunk == 0) throw std::invalid_argument("gemm: WSPAD smaller than two weight tiles");
  p.m_block = std::min({s.m, t.acc_rows / 2, t.aspad_words / (2 * p.k_chunk), 65535u});
  if (p.m_block == 0) throw std::invalid_argument("gemm: ASPAD/ACC too small");
  const unsigned mb = (s.m + p.m_block - 1) / p.m_block;
  const unsigned kc = (kt + p.k_chunk - 1) / p.k_chunk;
  p.steps = mb * s.n_tiles(t) * kc;
  return p;
}

std::vector<isa::Command> emit_gemm(const GemmShape& s, const Target& t, const GemmBuffers& b,
                                    GemmPlan* plan_out) {
  const GemmPlan p = plan_gemm(s, t);
  if (plan_out) *plan_out = p;
  const unsigned kt_n = s.k_tiles(t), nt_n = s.n_tiles(t);
  const unsigned kc_n = (kt_n + p.k_chunk - 1) / p.k_chunk;
  const unsigned mb_n = (s.m + p.m_block - 1) / p.m_block;
  const unsigned bb = t.bus_bytes, wpr = t.acc_words_per_row();
  const std::uint32_t a_buf[2] = {0, p.k_chunk * p.m_block};
  const std::uint32_t w_buf[2] = {0, p.k_chunk * t.rows};
  const std::uint32_t acc_buf[2] = {0, p.m_block};
  const unsigned groups = mb_n * nt_n;  // one ACC buffer and one STORE each

  std::vector<isa::Command> load, compute, store;
  std::vector<isa::Command> out;
  unsigned step = 0, group = 0;
  // A is reloaded per step only when K is chunked; otherwise once per M block.
  for (unsigned mb = 0; mb < mb_n; ++mb) {
    const unsigned m0 = mb * p.m_block, mrows = std::min(p.m_block, s.m - m0);
    for (unsigned nt = 0; nt < nt_n; ++nt, ++group) {
      for (unsigned kc = 0; kc < kc_n; ++kc, ++step) {
        const unsigned kt0 = kc * p.k_chunk, kts = std::min(p.k_chunk, kt_n - kt0);
        const unsigned sb = step % 2;
        const bool first_use_of_a = (kc_n > 1) || nt == 0;
        // load: wait until compute released this buffer pair (step - 2)
        const bool wait_free = step >= 2;
        const std::uint32_t a_local = (kc_n > 1) ? a_buf[sb] : a_buf[mb % 2];
        std::vector<isa::Command> loads;
        if (first_use_of_a) {
          isa::Transfer ta;
          ta.dram_addr = b.a + (std::uint32_t{kt0} * s.m + m0) * bb;
          ta.dram_stride = s.m * bb;
          ta.rows = kts;
          ta.row_words = mrows;
          ta.space = isa::Space::Aspad;
          ta.local_addr = a_local;
          ta.local_stride = p.m_block;
          loads.push_back(isa::load(ta));
        }
        isa::Transfer tw;
        tw.dram_addr = b.w + ((nt * kt_n + kt0) * t.rows) * bb;
        tw.rows = 1;
        tw.row_words = kts * t.rows;
        tw.space = isa::Space::Wspad;
        tw.local_addr = w_buf[sb];
        loads.push_back(isa::load(tw));
        // The first LOAD waits until the GEMM of step-2 freed its buffers; the
        // last one tells the GEMM its operands have landed.
        if (wait_free) isa::set_deps(loads.front(), isa::Deps{}.pop_from(Q::Gemm));
        {
          isa::Deps d = isa::deps(loads.back());
          d.push_to(Q::Gemm);
          isa::set_deps(loads.back(), d);
        }
        for (auto& c : loads) out.push_back(c);

        // compute
        const bool last_kc = kc + 1 == kc_n;
        isa::GemmArgs g;
        g.bf16 = s.type == DType::Bf16;
        g.accumulate = kc > 0;
        g.a_addr = a_local;
        g.w_addr = w_buf[sb];
        g.acc_addr = acc_buf[group % 2];
        g.m = mrows;
        g.k_tiles = kts;
        g.a_kstride = p.m_block;
        g.w_kstride = t.rows;
        isa::Deps gd;
        gd.pop_from(Q::Load);
        if (kc == 0 && group >= 2) gd.pop_from(Q::Store);  // the store of group-2 freed this ACC buffer
        if (step + 2 < p.steps) gd.push_to(Q::Load);       // frees this step's A/W buffers
        if (last_kc) gd.push_to(Q::Store);
        out.push_back(isa::gemm(g, gd));

        if (last_kc) {
          isa::Transfer tc;
          tc.dram_addr = b.c + (std::uint32_t{nt} * s.m + m0) * wpr * bb;
          tc.rows = 1;
          tc.row_words = mrows * wpr;
          tc.space = isa::Space::Acc;
          tc.local_addr = acc_buf[group % 2] * wpr;
          isa::Deps sd;
          sd.pop_from(Q::Gemm);
          if (group + 2 < groups) sd.push_to(Q::Gemm);
          out.push_back(isa::store(tc, sd));
        }
      }
    }
  }
  return out;
}

}  // namespace npu::compiler
