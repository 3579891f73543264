#include "npu/ref/accel_model.hpp"

#include "npu/ref/fp.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>
#include <string>

namespace npu::ref {

using isa::Fault;
using isa::Op;
using isa::Space;

unsigned AccelConfig::acc_words_per_row() const {
  const unsigned raw = (4 * cols + bus_bytes - 1) / bus_bytes;
  unsigned p = 1;
  while (p < raw) p <<= 1;
  return p;
}

AccelModel::AccelModel(const AccelConfig& cfg) : cfg_(cfg) {
  mem_.aspad.assign(std::size_t{cfg.aspad_words} * cfg.bus_bytes, 0);
  mem_.wspad.assign(std::size_t{cfg.wspad_words} * cfg.bus_bytes, 0);
  mem_.acc.assign(std::size_t{cfg.acc_rows} * cfg.cols, 0);
}

void AccelModel::write_dram(std::uint32_t addr, const std::vector<std::uint8_t>& bytes) {
  dram_.write(addr, bytes.data(), bytes.size());
}

std::vector<std::uint8_t> AccelModel::read_dram(std::uint32_t addr, std::size_t n) const {
  std::vector<std::uint8_t> out(n, 0);
  dram_.read(addr, out.data(), n);
  return out;
}

void AccelModel::add_error_range(std::uint32_t lo, std::uint32_t hi, Fault f) {
  errors_.push_back({lo, hi, f});
}

std::optional<Fault> AccelModel::dma_error(std::uint64_t lo, std::uint64_t hi) const {
  for (const auto& e : errors_)
    if (lo < e.hi && e.lo < hi) return e.f;
  return std::nullopt;
}

Fault AccelModel::check(const isa::Command& c) const {
  const Op op = c.op();
  const auto u64 = [](std::uint64_t x) { return x; };
  // Tokens: none on FENCE/IRQ, none from or to a command's own queue.
  const unsigned tok = c.pop() | c.push();
  switch (op) {
    case Op::Load:
    case Op::Store:
    case Op::Gemm:
    case Op::Vec:
      if (tok & isa::bit(isa::queue_of(op))) return Fault::BadField;
      break;
    case Op::Nop:
      if (tok & isa::bit(isa::NopCmd::decode(c).target)) return Fault::BadField;
      break;
    case Op::Fence:
    case Op::Irq:
      if (tok) return Fault::BadField;
      break;
    default:
      return Fault::IllegalOpcode;
  }
  switch (op) {
    case Op::Load:
    case Op::Store: {
      const auto t = isa::LoadCmd::decode(c);  // STORE has the same layout
      const auto space = static_cast<unsigned>(t.space);
      const bool space_ok = op == Op::Load ? (space == 0 || space == 1) : space <= 2;
      if (t.rows == 0 || t.row_words == 0 || !space_ok) return Fault::BadField;
      if (t.dram_addr % cfg_.bus_bytes || t.dram_stride % cfg_.bus_bytes) return Fault::Align;
      const std::uint64_t first = t.dram_addr;
      const std::uint64_t last = first + u64(t.rows - 1) * t.dram_stride + u64(t.row_words) * cfg_.bus_bytes - 1;
      if (first < win_base_ || last >= u64(win_base_) + win_size_ || last >= (1ull << 32))
        return Fault::AddrWindow;
      const std::uint64_t llast = u64(t.local_addr) + u64(t.rows - 1) * t.local_stride + t.row_words - 1;
      const std::uint64_t words = space == 0   ? cfg_.aspad_words
                                  : space == 1 ? cfg_.wspad_words
                                               : u64(cfg_.acc_rows) * cfg_.acc_words_per_row();
      if (llast >= words) return space == 2 ? Fault::AccRange : Fault::SpadRange;
      return Fault::None;
    }
    case Op::Gemm: {
      const auto g = isa::GemmCmd::decode(c);
      if (g.m == 0 || g.k_tiles == 0 || g.n_tiles == 0 || (g.bf16 && g.a_unsigned)) return Fault::BadField;
      const unsigned tile_words = g.w_transposed ? cfg_.cols : cfg_.rows;
      const std::uint64_t a_last = u64(g.a_addr) + u64(g.k_tiles - 1) * g.a_kstride + g.m - 1;
      const std::uint64_t w_last = u64(g.w_addr) + u64(g.k_tiles - 1) * g.w_kstride +
                                   u64(g.n_tiles - 1) * g.w_nstride + tile_words - 1;
      if (a_last >= cfg_.aspad_words || w_last >= cfg_.wspad_words) return Fault::SpadRange;
      if (u64(g.acc_addr) + u64(g.n_tiles - 1) * g.acc_nstride + g.m - 1 >= cfg_.acc_rows)
        return Fault::AccRange;
      return Fault::None;
    }
    case Op::Vec:
      return vec_check_ ? vec_check_(c, cfg_) : Fault::IllegalOpcode;
    default:
      return Fault::None;
  }
}

std::uint8_t* AccelModel::local_word(Space s, std::uint32_t word, std::vector<std::uint8_t>& tmp) {
  const unsigned bb = cfg_.bus_bytes;
  if (s == Space::Aspad) return &mem_.aspad[std::size_t{word} * bb];
  if (s == Space::Wspad) return &mem_.wspad[std::size_t{word} * bb];
  // ACC: a bus word is a slice of a row, zero past 4*cols bytes
  const unsigned wpr = cfg_.acc_words_per_row();
  const unsigned row = word / wpr, part = word % wpr;
  tmp.assign(bb, 0);
  for (unsigned b = 0; b < bb; ++b) {
    const unsigned byte = part * bb + b;
    if (byte < 4 * cfg_.cols)
      tmp[b] = mem_.acc[std::size_t{row} * cfg_.cols + byte / 4] >> (8 * (byte % 4)) & 0xFF;
  }
  return tmp.data();
}

void AccelModel::gemm(const isa::Command& c) {
  const auto g = isa::GemmCmd::decode(c);
  const unsigned bb = cfg_.bus_bytes;
  // Halfword e of a scratchpad word: BF16 element e, or INT8 elements 2e, 2e+1.
  const auto half = [](const std::uint8_t* word, unsigned e) {
    return static_cast<std::uint16_t>(word[2 * e] | word[2 * e + 1] << 8);
  };
  for (unsigned kt = 0; kt < g.k_tiles; ++kt)
    for (unsigned nt = 0; nt < g.n_tiles; ++nt) {
      const std::size_t a0 = g.a_addr + std::size_t{kt} * g.a_kstride;
      const std::size_t w0 = g.w_addr + std::size_t{kt} * g.w_kstride + std::size_t{nt} * g.w_nstride;
      const std::size_t c0 = g.acc_addr + std::size_t{nt} * g.acc_nstride;
      for (unsigned r = 0; r < g.m; ++r) {
        const std::uint8_t* aw = &mem_.aspad[(a0 + r) * bb];
        std::uint32_t* acc = &mem_.acc[(c0 + r) * cfg_.cols];
        const bool keep = kt > 0 || g.accumulate;
        for (unsigned j = 0; j < cfg_.cols; ++j) {
          std::uint32_t s = keep ? acc[j] : 0;
          for (unsigned k = 0; k < cfg_.rows; ++k) {
            // PE(k, j)'s weight: halfword j of tile word k, or halfword k of word j (W^T)
            const std::uint16_t wv = g.w_transposed ? half(&mem_.wspad[(w0 + j) * bb], k)
                                                    : half(&mem_.wspad[(w0 + k) * bb], j);
            const std::uint16_t av = half(aw, k);
            if (g.bf16) {
              s = bf16_mac(av, wv, s);
            } else {
              const auto a_lo = g.a_unsigned ? std::int32_t{static_cast<std::uint8_t>(av)}
                                             : std::int32_t{static_cast<std::int8_t>(av & 0xFF)};
              const auto a_hi = g.a_unsigned ? std::int32_t{static_cast<std::uint8_t>(av >> 8)}
                                             : std::int32_t{static_cast<std::int8_t>(av >> 8)};
              const std::int32_t p = a_lo * static_cast<std::int8_t>(wv & 0xFF) +
                                     a_hi * static_cast<std::int8_t>(wv >> 8);
              s = s + static_cast<std::uint32_t>(p);
            }
          }
          acc[j] = s;
        }
      }
    }
}

std::optional<Fault> AccelModel::exec(const isa::Command& c) {
  const auto& w = c.w;
  const unsigned bb = cfg_.bus_bytes;
  switch (c.op()) {
    case Op::Load:
    case Op::Store: {
      const unsigned rows = w[3] & 0xFFFF, rw = w[3] >> 16;
      const auto space = static_cast<Space>(w[4] >> 24 & 3);
      const std::uint32_t laddr = w[4] & 0xFFFFFF, lstride = w[5] & 0xFFFFFF;
      // A bus error anywhere in the transfer faults it; for a LOAD the words
      // before the error may have landed, which no test relies on.
      for (unsigned r = 0; r < rows; ++r) {
        const std::uint64_t lo = std::uint64_t{w[1]} + std::uint64_t{r} * w[2];
        if (auto e = dma_error(lo, lo + std::uint64_t{rw} * bb)) return e;
      }
      std::vector<std::uint8_t> tmp;
      for (unsigned r = 0; r < rows; ++r)
        for (unsigned k = 0; k < rw; ++k) {
          const std::uint32_t dram = w[1] + r * w[2] + k * bb;
          const std::uint32_t lw = laddr + r * lstride + k;
          std::uint8_t* p = local_word(space, lw, tmp);
          if (c.op() == Op::Load)
            dram_.read(dram, p, bb);
          else
            dram_.write(dram, p, bb);
        }
      return std::nullopt;
    }
    case Op::Gemm:
      gemm(c);
      return std::nullopt;
    case Op::Vec:
      if (vec_exec_) vec_exec_(c, mem_, cfg_);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<ModelFault> AccelModel::run(
    const std::vector<isa::Command>& cmds,
    const std::function<std::uint32_t(std::size_t)>& cmd_addr) {
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    const std::uint32_t addr = cmd_addr(i);
    Fault f = check(cmds[i]);
    if (f == Fault::None) {
      if (auto e = exec(cmds[i])) f = *e;
    }
    if (f != Fault::None) return ModelFault{f, addr};
  }
  return std::nullopt;
}

std::optional<ModelFault> AccelModel::run_concurrent(const std::vector<isa::Command>& cmds,
                                                     const std::function<std::uint32_t(std::size_t)>& cmd_addr,
                                                     std::uint64_t seed) {
  constexpr unsigned kQ = 4;
  std::mt19937_64 rng(seed);
  std::array<std::array<unsigned, kQ>, kQ> tokens{};  // [from][to]
  std::size_t begin = 0;
  while (begin < cmds.size()) {
    // A FENCE or IRQ ends a segment: everything before it finishes first.
    std::size_t end = begin;
    while (end < cmds.size() && cmds[end].op() != Op::Fence && cmds[end].op() != Op::Irq) ++end;
    std::array<std::vector<std::size_t>, kQ> queue;
    for (std::size_t i = begin; i < end; ++i)
      queue[static_cast<unsigned>(isa::queue_of(cmds[i].op()))].push_back(i);
    std::array<std::size_t, kQ> head{};
    // Bursts: the chosen queue runs up to `burst` commands before another is
    // chosen, so one queue can run far ahead of the others (or fall behind).
    unsigned current = kQ, burst = 0;
    for (;;) {
      const auto ready = [&](unsigned q) {
        if (head[q] >= queue[q].size()) return false;
        const unsigned pop = cmds[queue[q][head[q]]].pop();
        for (unsigned f = 0; f < kQ; ++f)
          if ((pop >> f & 1u) && tokens[f][q] == 0) return false;
        return true;
      };
      std::vector<unsigned> can;
      for (unsigned q = 0; q < kQ; ++q)
        if (ready(q)) can.push_back(q);
      if (can.empty()) {
        std::string stuck;
        for (unsigned q = 0; q < kQ; ++q)
          if (head[q] < queue[q].size()) stuck += " command " + std::to_string(queue[q][head[q]]) + " (queue " +
                                                  std::to_string(q) + ")";
        if (stuck.empty()) break;
        throw std::runtime_error("AccelModel::run_concurrent: the tokens deadlock; waiting:" + stuck);
      }
      if (burst == 0 || std::find(can.begin(), can.end(), current) == can.end()) {
        current = can[rng() % can.size()];
        burst = 1 + static_cast<unsigned>(rng() % 8);
      }
      --burst;
      const std::size_t i = queue[current][head[current]++];
      const isa::Command& c = cmds[i];
      Fault f = check(c);
      if (f == Fault::None) {
        for (unsigned from = 0; from < kQ; ++from)
          if (c.pop() >> from & 1u) --tokens[from][current];
        if (auto e = exec(c)) f = *e;
      }
      if (f == Fault::None)
        for (unsigned to = 0; to < kQ; ++to)
          if (c.push() >> to & 1u) {
            if (tokens[current][to] == 255) f = Fault::TokenOverflow;
            else ++tokens[current][to];
          }
      if (f != Fault::None) return ModelFault{f, cmd_addr(i)};
    }
    if (end < cmds.size()) {  // the barrier itself
      if (Fault f = check(cmds[end]); f != Fault::None) return ModelFault{f, cmd_addr(end)};
      ++end;
    }
    begin = end;
  }
  return std::nullopt;
}

}  // namespace npu::ref
