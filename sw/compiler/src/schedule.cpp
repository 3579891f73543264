#include "npu/compiler/schedule.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>

namespace npu::compiler {
namespace {

using isa::Op;
using isa::Queue;
using isa::Space;
using isa::VecFunc;

Resource resource_of(Space s) {
  switch (s) {
    case Space::Aspad: return Resource::Aspad;
    case Space::Wspad: return Resource::Wspad;
    default: return Resource::Acc;
  }
}

// Appends the runs of a strided block: `outer` repeats of `inner` repeats of
// `len` consecutive words, at base + o*outer_stride + i*inner_stride.
void block(std::vector<Access>& out, Resource r, bool write, std::uint64_t base, std::uint64_t outer,
           std::uint64_t outer_stride, std::uint64_t inner, std::uint64_t inner_stride, std::uint64_t len) {
  for (std::uint64_t o = 0; o < outer; ++o)
    for (std::uint64_t i = 0; i < inner; ++i) {
      const std::uint64_t lo = base + o * outer_stride + i * inner_stride;
      out.push_back({r, lo, lo + len, write});
    }
}

// A VEC stream: element e of row r in word addr + r*row_stride + (e/group)*group_stride.
void stream(std::vector<Access>& out, Space s, bool write, std::uint32_t addr, std::uint32_t row_stride,
            std::uint32_t group_stride, std::uint32_t group, std::uint32_t rows, std::uint32_t n) {
  const std::uint64_t groups = (n + std::max(group, 1u) - 1) / std::max(group, 1u);
  block(out, resource_of(s), write, addr, rows, row_stride, groups, group_stride, 1);
}

bool has_aux(VecFunc f) {
  return f == VecFunc::AddI8 || f == VecFunc::MulI8 || f == VecFunc::AddBf16 || f == VecFunc::MulBf16 ||
         f == VecFunc::RopeBf16 || f == VecFunc::SwigluBf16;
}
bool has_dst(VecFunc f) { return f != VecFunc::Params && f != VecFunc::LutLoad; }

// Runs sorted and merged, so a word appears once per kind (read / write).
void coalesce(std::vector<Access>& v) {
  std::sort(v.begin(), v.end(), [](const Access& a, const Access& b) {
    return std::tie(a.write, a.res, a.lo) < std::tie(b.write, b.res, b.lo);
  });
  std::vector<Access> out;
  for (const Access& a : v) {
    if (!out.empty() && out.back().write == a.write && out.back().res == a.res && a.lo <= out.back().hi)
      out.back().hi = std::max(out.back().hi, a.hi);
    else
      out.push_back(a);
  }
  v = std::move(out);
}

}  // namespace

std::vector<Access> footprint(const isa::Command& c, const ref::AccelConfig& cfg) {
  std::vector<Access> out;
  switch (c.op()) {
    case Op::Load:
    case Op::Store: {
      const auto t = isa::LoadCmd::decode(c);  // STORE has the same layout
      const bool load = c.op() == Op::Load;
      const std::uint64_t bb = cfg.bus_bytes;
      block(out, Resource::Dram, !load, t.dram_addr / bb, t.rows, t.dram_stride / bb, 1, 0, t.row_words);
      if (t.space == Space::Acc) {  // bus words of ACC rows: row = word / words-per-row
        const unsigned wpr = cfg.acc_words_per_row();
        for (std::uint32_t r = 0; r < t.rows; ++r) {
          const std::uint64_t w0 = std::uint64_t{t.local_addr} + std::uint64_t{r} * t.local_stride;
          out.push_back({Resource::Acc, w0 / wpr, (w0 + t.row_words - 1) / wpr + 1, load});
        }
      } else {
        block(out, resource_of(t.space), load, t.local_addr, t.rows, t.local_stride, 1, 0, t.row_words);
      }
      break;
    }
    case Op::Gemm: {
      const auto g = isa::GemmCmd::decode(c);
      const unsigned tile_words = g.w_transposed ? cfg.cols : cfg.rows;
      block(out, Resource::Aspad, false, g.a_addr, g.k_tiles, g.a_kstride, 1, 0, g.m);
      block(out, Resource::Wspad, false, g.w_addr, g.k_tiles, g.w_kstride, g.n_tiles, g.w_nstride, tile_words);
      block(out, Resource::Acc, true, g.acc_addr, g.n_tiles, g.acc_nstride, 1, 0, g.m);
      if (g.accumulate) block(out, Resource::Acc, false, g.acc_addr, g.n_tiles, g.acc_nstride, 1, 0, g.m);
      break;
    }
    case Op::Vec: {
      const auto v = isa::VecCmd::decode(c);
      stream(out, v.src_space, false, v.src_addr, v.src_row_stride, v.src_group_stride, v.src_group, v.rows, v.n);
      if (has_aux(v.func))
        stream(out, v.aux_space, false, v.aux_addr, v.aux_row_stride, v.aux_group_stride, v.aux_group, v.rows, v.n);
      if (has_dst(v.func))
        stream(out, v.dst_space, true, v.dst_addr, v.dst_row_stride, v.dst_group_stride, v.dst_group,
               v.dst_pairs ? (v.rows + 1) / 2 : v.rows, v.n);
      break;
    }
    default:
      break;
  }
  coalesce(out);
  return out;
}

namespace {

constexpr unsigned kQueues = 4;

// Per word: the last writer and, per queue, the last reader since that write.
struct WordState {
  std::int64_t write = -1;
  std::uint8_t write_q = 0;
  std::array<std::int64_t, kQueues> read{-1, -1, -1, -1};
};

class Shadow {
 public:
  Shadow(const ref::AccelConfig& cfg)
      : local_{std::vector<WordState>(cfg.aspad_words), std::vector<WordState>(cfg.wspad_words),
               std::vector<WordState>(cfg.acc_rows)} {}
  WordState& at(Resource r, std::uint64_t w) {
    if (r == Resource::Dram) return dram_[w];
    auto& v = local_[static_cast<unsigned>(r)];
    if (w >= v.size()) throw std::invalid_argument("assign_tokens: a command reaches past its local memory");
    return v[w];
  }
  void clear() {
    for (auto& v : local_) std::fill(v.begin(), v.end(), WordState{});
    dram_.clear();
  }

 private:
  std::array<std::vector<WordState>, 3> local_;
  std::unordered_map<std::uint64_t, WordState> dram_;
};

}  // namespace

TokenStats assign_tokens(std::vector<isa::Command>& cmds, const ref::AccelConfig& cfg) {
  TokenStats st;
  // DRAM words only matter where a STORE writes them; weights are read-only.
  std::vector<Access> stored;
  for (const auto& c : cmds)
    if (c.op() == Op::Store)
      for (const Access& a : footprint(c, cfg))
        if (a.res == Resource::Dram) stored.push_back(a);
  coalesce(stored);
  const auto is_stored = [&](std::uint64_t lo, std::uint64_t hi) {
    auto it = std::upper_bound(stored.begin(), stored.end(), lo,
                               [](std::uint64_t v, const Access& a) { return v < a.hi; });
    return it != stored.end() && it->lo < hi;
  };

  Shadow sh(cfg);
  // covered[from][to]: the command of queue `from` whose token `to` consumed last.
  std::array<std::array<std::int64_t, kQueues>, kQueues> covered;
  for (auto& row : covered) row.fill(-1);
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    isa::Command& c = cmds[i];
    const Op op = c.op();
    if (op == Op::Fence || op == Op::Irq) {  // everything before has finished
      sh.clear();
      ++st.fences;
      continue;
    }
    if (op != Op::Load && op != Op::Store && op != Op::Gemm && op != Op::Vec) continue;
    isa::set_deps(c, {});
    const auto q = static_cast<unsigned>(isa::queue_of(op));
    const std::vector<Access> fp = footprint(c, cfg);
    std::array<std::int64_t, kQueues> dep{-1, -1, -1, -1};
    const auto need = [&](std::int64_t idx, unsigned from) {
      if (idx >= 0 && from != q) dep[from] = std::max(dep[from], idx);
    };
    for (const Access& a : fp) {
      if (a.res == Resource::Dram && !is_stored(a.lo, a.hi)) continue;
      for (std::uint64_t w = a.lo; w < a.hi; ++w) {
        const WordState& s = sh.at(a.res, w);
        need(s.write, s.write_q);
        if (a.write)
          for (unsigned r = 0; r < kQueues; ++r)
            if (s.read[r] > s.write) need(s.read[r], r);
      }
    }
    for (const Access& a : fp) {
      if (a.res == Resource::Dram && !is_stored(a.lo, a.hi)) continue;
      for (std::uint64_t w = a.lo; w < a.hi; ++w) {
        WordState& s = sh.at(a.res, w);
        if (a.write) {
          s = WordState{};
          s.write = static_cast<std::int64_t>(i);
          s.write_q = static_cast<std::uint8_t>(q);
        } else {
          s.read[q] = static_cast<std::int64_t>(i);
        }
      }
    }
    for (unsigned from = 0; from < kQueues; ++from) {
      if (dep[from] < 0 || covered[from][q] >= dep[from]) continue;
      isa::Command& producer = cmds[static_cast<std::size_t>(dep[from])];
      isa::set_deps(producer, isa::deps(producer).push_to(static_cast<Queue>(q)));
      isa::set_deps(c, isa::deps(c).pop_from(static_cast<Queue>(from)));
      covered[from][q] = dep[from];
      ++st.tokens;
    }
  }
  return st;
}

}  // namespace npu::compiler
