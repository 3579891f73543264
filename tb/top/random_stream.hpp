// Constrained-random command streams for npu_top (LOAD, STORE, GEMM, VEC of every
// func, NOP; transfers with DRAM stride 0, overlapping rows and 256-beat bursts) over
// the four queues (0 LOAD, 1 GEMM, 2 VEC, 3 STORE). Where a command would race one
// of another queue on the same memory it waits for it, half the time through a
// FENCE and half through a dependency token (the earlier command pushes, NOPs drain
// older tokens, the later command pops); besides, token pushes and pops, FENCEs
// and IRQs land anywhere, and each segment (one run) ends with every token popped.
// A segment can carry a fault in its middle: an illegal command, or a LOAD or
// STORE on a page that answers SLVERR or DECERR. DRAM: a random input region, a
// patterned output region and that error page, set up identically in the device
// and in the functional model.
#pragma once

#include "top_bench.hpp"

#include "npu/ref/accel_model.hpp"
#include "npu/ref/vec_model.hpp"
#include "vec_cmd_gen.hpp"

#include <array>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

namespace npu::tb {

// Appends NOPs that pop every token `cmds` pushes and does not pop (a stream
// must not leave tokens for the next run: rt::Device::check_stream); returns
// how many.
inline unsigned balance_tokens(std::vector<isa::Command>& cmds) {
  constexpr unsigned kQ = 4;
  isa::TokenCounts count = isa::count_tokens(cmds, [](std::size_t, unsigned) {});  // [from][to]
  unsigned nops = 0;
  for (unsigned q = 0; q < kQ; ++q)
    for (;;) {
      isa::Deps d;
      for (unsigned p = 0; p < kQ; ++p)
        if (p != q && count[p][q] > 0) {
          d.pop_from(static_cast<isa::Queue>(p));
          --count[p][q];
        }
      if (d.pop == 0) break;
      cmds.push_back(isa::nop(static_cast<isa::Queue>(q), d));
      ++nops;
    }
  return nops;
}

class RandomStream {
 public:
  static constexpr std::size_t kRegionBytes = 16 * 1024;

  RandomStream(TopBench& tb, std::uint64_t seed) : tb_(tb), rng_(seed) {
    cfg_ = tb.accel_config();
    in_ = tb.dev().alloc(kRegionBytes);
    out_ = tb.dev().alloc(kRegionBytes);
    in_data_.resize(kRegionBytes);
    for (auto& b : in_data_) b = static_cast<std::uint8_t>(rng_());
    tb.dev().upload(in_, in_data_);
    tb.dev().upload(out_, std::vector<std::uint8_t>(kRegionBytes, 0xEE));
    poison_ = tb.dev().alloc(kPoisonBytes, 4096);
    auto& mem = tb.transport().memory();
    mem.add_error_range(poison_.addr, poison_.addr + kPoisonBytes / 2, axi::Resp::SlvErr);
    mem.add_error_range(poison_.addr + kPoisonBytes / 2, poison_.addr + kPoisonBytes, axi::Resp::DecErr);
  }

  enum class Inject { None, Illegal, ReadError, WriteError };

  // One run's commands, token-balanced. fault_at: the injected command's index.
  struct Segment {
    std::vector<isa::Command> cmds;
    unsigned fences = 0, irqs = 0, pushes = 0, pops = 0, drains = 0;
    unsigned token_waits = 0;  // races ordered by a token instead of a FENCE
    unsigned full_bursts = 0;  // 4 KiB single-row transfers (256 beats at 16 bytes)
    std::optional<std::size_t> fault_at;
    isa::Fault fault = isa::Fault::None;  // the AXI error the injected command meets
  };

  // n random commands (plus the FENCEs, token NOPs and IRQs they bring), with
  // `inject` replacing the command at a random index in the middle.
  Segment body(unsigned n, Inject inject = Inject::None) {
    Segment s;
    begin_segment();
    seg_full_bursts_ = 0;
    const std::size_t at = inject == Inject::None ? n : pick(n / 4, 3 * n / 4);
    for (unsigned i = 0; i < n; ++i) {
      if (i == at) {
        s.fault_at = s.cmds.size();
        s.cmds.push_back(faulting_command(inject, s.fault));
        clock_.push_back({});
        continue;
      }
      if (pick(0, 24) == 0) barrier(s, isa::irq());
      Access acc;
      isa::Command c = random_command(acc);
      const unsigned q = static_cast<unsigned>(isa::queue_of(c));
      // a FENCE or a token where a race needs one, a FENCE in one place in twenty
      const auto waits = conflicts(q, acc);
      if (pick(0, 19) == 0 || (any(waits) && rng_() % 2)) {
        barrier(s, isa::fence());
      } else {
        for (unsigned p = 0; p < kQ; ++p)
          if (waits[p] >= 0) {
            wait_for(s, c, p, q, waits[p]);
            ++s.token_waits;
          }
      }
      random_tokens(s, c, q);
      const long pos = emit(s, c, q);
      for (auto& r : acc.list) r.cmd = pos;
      pending_.insert(pending_.end(), acc.list.begin(), acc.list.end());
    }
    drain(s);
    s.full_bursts = seg_full_bursts_;
    return s;
  }

  // FENCE, then ASPAD [0, 128), WSPAD [0, 96) and ACC [0, 32) into the output
  // region, so every result a stream leaves on chip is compared.
  void dump_locals(Segment& s) {
    const unsigned bb = cfg_.bus_bytes;
    s.cmds.push_back(isa::fence());
    isa::Transfer a;
    a.dram_addr = out_.addr;
    a.row_words = std::min(cfg_.aspad_words, 128u);
    s.cmds.push_back(isa::store(a));
    isa::Transfer ws;
    ws.space = isa::Space::Wspad;
    ws.dram_addr = out_.addr + 128 * bb;
    ws.row_words = std::min(cfg_.wspad_words, 96u);  // VEC writes up to word 95
    s.cmds.push_back(isa::store(ws));
    isa::Transfer c;
    c.space = isa::Space::Acc;
    c.dram_addr = out_.addr + 224 * bb;
    c.row_words = std::min(cfg_.acc_rows, 32u) * cfg_.acc_words_per_row();
    s.cmds.push_back(isa::store(c));
    s.cmds.push_back(isa::fence());  // done before a final illegal command stops the stream
  }

  isa::Command illegal_command() {
    switch (pick(0, 3)) {
      case 0: return isa::Command{};  // opcode 0
      case 1: {
        isa::Transfer t;
        t.dram_addr = in_.addr + 4;  // misaligned
        return isa::load(t);
      }
      case 2: {
        isa::GemmArgs g;
        g.m = 4;
        g.acc_addr = cfg_.acc_rows - 2;
        return isa::gemm(g);
      }
      default: {
        isa::Transfer t;
        t.dram_addr = TopBench::kWindowBase + TopBench::kWindowSize;
        return isa::store(t);
      }
    }
  }

  // The output region as the constructor left it (before a run after a fault).
  void restore_output() { tb_.dev().upload(out_, std::vector<std::uint8_t>(kRegionBytes, 0xEE)); }

  // A model whose DRAM and window match the device at construction.
  ref::AccelModel model() const {
    ref::AccelModel m(cfg_);
    ref::install(m);
    m.set_window(TopBench::kWindowBase, TopBench::kWindowSize);
    m.write_dram(in_.addr, in_data_);
    m.write_dram(out_.addr, std::vector<std::uint8_t>(kRegionBytes, 0xEE));
    return m;
  }
  const ref::AccelConfig& config() const { return cfg_; }
  std::uint32_t out_base() const { return out_.addr; }
  std::size_t out_bytes() const { return kRegionBytes; }
  const rt::Buffer& out_buffer() const { return out_; }

 private:
  static constexpr unsigned kQ = 4;
  static constexpr unsigned kMaxOutstanding = 32;  // unpopped tokens per pair (the counters hold 255)
  enum Res { kDram, kAspad, kWspad, kAcc };
  struct Range {
    int queue;
    bool write;
    Res res;
    std::uint64_t lo, hi;  // inclusive
    long cmd = -1;         // index of its command in the segment
  };
  struct Access {
    std::vector<Range> list;
  };
  using Clock = std::array<long, kQ>;  // per queue: the last command known to have finished

  unsigned pick(unsigned lo, unsigned hi) { return lo + static_cast<unsigned>(rng_() % (hi - lo + 1)); }
  static bool any(const std::array<long, kQ>& w) {
    for (long x : w)
      if (x >= 0) return true;
    return false;
  }

  void begin_segment() {
    pending_.clear();
    clock_.clear();
    for (auto& k : known_) k.fill(-1);
    for (auto& row : pushers_)
      for (auto& v : row) v.clear();
    for (auto& row : popped_) row.fill(0);
  }

  // Appends a command of queue q; its clock is what q knew plus itself.
  long emit(Segment& s, const isa::Command& c, unsigned q) {
    const long pos = static_cast<long>(s.cmds.size());
    s.cmds.push_back(c);
    known_[q][q] = pos;
    clock_.push_back(known_[q]);
    return pos;
  }
  void barrier(Segment& s, const isa::Command& c) {
    s.cmds.push_back(c);
    clock_.push_back({});
    ++(c.op() == isa::Op::Irq ? s.irqs : s.fences);
    pending_.clear();
  }

  // Per other queue p: the last command of p that `acc` races (not yet known to
  // have finished before queue q's next command), or -1.
  std::array<long, kQ> conflicts(unsigned q, const Access& a) const {
    std::array<long, kQ> w;
    w.fill(-1);
    for (const auto& x : a.list)
      for (const auto& p : pending_)
        if (static_cast<unsigned>(p.queue) != q && p.cmd > known_[q][p.queue] && p.res == x.res &&
            (p.write || x.write) && x.lo <= p.hi && p.lo <= x.hi)
          w[p.queue] = std::max(w[p.queue], p.cmd);
    return w;
  }

  // Queue q pops the next token from p: everything its pusher knew is known to q.
  void consume(unsigned p, unsigned q) {
    const long pusher = pushers_[p][q].at(popped_[p][q]++);
    for (unsigned r = 0; r < kQ; ++r) known_[q][r] = std::max(known_[q][r], clock_[pusher][r]);
  }
  unsigned outstanding(unsigned p, unsigned q) const {
    return static_cast<unsigned>(pushers_[p][q].size()) - popped_[p][q];
  }
  void add_push(Segment& s, long cmd, unsigned p, unsigned q) {
    isa::Deps d = isa::deps(s.cmds[cmd]);
    isa::set_deps(s.cmds[cmd], d.push_to(static_cast<isa::Queue>(q)));
    pushers_[p][q].push_back(cmd);
    ++s.pushes;
  }
  void add_pop(isa::Command& c, unsigned p, unsigned q, Segment& s) {
    isa::Deps d = isa::deps(c);
    isa::set_deps(c, d.pop_from(static_cast<isa::Queue>(p)));
    consume(p, q);
    ++s.pops;
  }

  // Command c of queue q waits for command `after` of queue p through a token:
  // the first token p sends q at or after `after` (`after` pushes one if none
  // does), older tokens drained by NOPs of q.
  void wait_for(Segment& s, isa::Command& c, unsigned p, unsigned q, long after) {
    auto& list = pushers_[p][q];
    std::size_t ord = popped_[p][q];
    while (ord < list.size() && list[ord] < after) ++ord;
    if (ord == list.size()) add_push(s, after, p, q);
    while (popped_[p][q] < ord) {
      isa::Command nop = isa::nop(static_cast<isa::Queue>(q), {});
      add_pop(nop, p, q, s);
      emit(s, nop, q);
      ++s.drains;
    }
    add_pop(c, p, q, s);
  }

  // Token bits with no race behind them: a pop of a token another queue left,
  // a push to a queue that may pop it later (or a drain NOP at the end).
  void random_tokens(Segment& s, isa::Command& c, unsigned q) {
    if (pick(0, 9) == 0) {
      const unsigned p = pick(0, kQ - 1);
      if (p != q && !(c.pop() >> p & 1u) && outstanding(p, q) > 0) add_pop(c, p, q, s);
    }
    if (pick(0, 9) == 0) {
      const unsigned r = pick(0, kQ - 1);
      if (r != q && !(c.push() >> r & 1u) && outstanding(q, r) < kMaxOutstanding) {
        isa::Deps d = isa::deps(c);
        isa::set_deps(c, d.push_to(static_cast<isa::Queue>(r)));
        pushers_[q][r].push_back(static_cast<long>(s.cmds.size()));  // c is emitted next
        ++s.pushes;
      }
    }
  }

  // NOPs pop every token still outstanding, so the segment can end a run.
  void drain(Segment& s) { s.drains += balance_tokens(s.cmds); }

  // The command `inject` asks for, and the AXI fault it meets (None: the model knows).
  isa::Command faulting_command(Inject inject, isa::Fault& fault) {
    if (inject == Inject::Illegal) return illegal_command();
    const bool dec = rng_() % 2;
    fault = dec ? isa::Fault::AxiDecerr : isa::Fault::AxiSlverr;
    isa::Transfer t;
    t.dram_addr = poison_.addr + (dec ? kPoisonBytes / 2 : 0u) + cfg_.bus_bytes * pick(0, 8);
    t.row_words = pick(1, 8);
    t.local_addr = pick(0, 64);
    return inject == Inject::ReadError ? isa::load(t) : isa::store(t);
  }

  isa::Transfer random_transfer(bool load, std::uint32_t dram_base, unsigned space_words,
                                isa::Space space) {
    const unsigned bb = cfg_.bus_bytes;
    isa::Transfer t;
    t.space = space;
    // One ASPAD transfer in ten is a single 4 KiB-aligned row of 4096 bytes: one burst of
    // the full AXI4 length where the bus word allows (256 beats at 16 bytes).
    const unsigned long_words = 4096 / bb;
    if (space == isa::Space::Aspad && cfg_.aspad_words >= long_words && long_words <= 256 &&
        rng_() % 10 == 0) {
      t.rows = 1;
      t.row_words = long_words;
      t.dram_addr = (dram_base + 4095) / 4096 * 4096;  // the region holds a whole page
      t.local_addr = pick(0, cfg_.aspad_words - long_words);
      ++seg_full_bursts_;
      return t;
    }
    t.rows = pick(1, 4);
    t.row_words = pick(1, 8);
    // DRAM rows apart, overlapping (stride below the row) or all the same row (stride 0)
    const unsigned kind = pick(0, 7);
    t.dram_stride = kind == 0   ? 0
                    : kind == 1 ? bb * pick(1, std::max(1u, t.row_words - 1))
                                : bb * (t.row_words + pick(0, 4));
    const std::uint64_t span = std::uint64_t{t.rows - 1} * t.dram_stride + t.row_words * bb;
    t.dram_addr = dram_base + bb * pick(0, static_cast<unsigned>((kRegionBytes - span) / bb));
    t.local_stride = pick(0, t.row_words + 3);
    const std::uint64_t lspan = std::uint64_t{t.rows - 1} * t.local_stride + t.row_words;
    const unsigned limit = std::min<unsigned>(space_words, load ? space_words : space_words);
    t.local_addr = pick(0, static_cast<unsigned>(std::min<std::uint64_t>(limit - lspan, 96)));
    return t;
  }

  isa::Command random_command(Access& acc) {
    const unsigned bb = cfg_.bus_bytes, wpr = cfg_.acc_words_per_row();
    // Keep addresses in a small window of each memory so commands interact.
    const unsigned aspad_words = std::min(cfg_.aspad_words, 128u);
    const unsigned wspad_words = std::min(cfg_.wspad_words, 64u);
    const unsigned acc_rows = std::min(cfg_.acc_rows, 32u);
    const unsigned kind = pick(0, 11);
    if (kind <= 2) {  // LOAD
      const bool w = rng_() % 2;
      const auto t = random_transfer(true, in_.addr, w ? wspad_words : aspad_words,
                                     w ? isa::Space::Wspad : isa::Space::Aspad);
      acc.list.push_back({0, false, kDram, t.dram_addr, t.dram_addr + (t.rows - 1) * t.dram_stride + t.row_words * bb - 1});
      acc.list.push_back({0, true, w ? kWspad : kAspad, t.local_addr,
                          t.local_addr + (t.rows - 1) * t.local_stride + t.row_words - 1});
      return isa::load(t);
    }
    if (kind <= 4) {  // STORE from ACC, ASPAD or WSPAD
      const unsigned from = pick(0, 2);
      const Res res = from == 0 ? kAcc : from == 1 ? kAspad : kWspad;
      const auto t = random_transfer(false, out_.addr,
                                     res == kAcc ? acc_rows * wpr : res == kAspad ? aspad_words : wspad_words,
                                     res == kAcc ? isa::Space::Acc : res == kAspad ? isa::Space::Aspad : isa::Space::Wspad);
      acc.list.push_back({3, true, kDram, t.dram_addr, t.dram_addr + (t.rows - 1) * t.dram_stride + t.row_words * bb - 1});
      const std::uint64_t last = t.local_addr + (t.rows - 1) * t.local_stride + t.row_words - 1;
      if (res == kAcc)
        acc.list.push_back({3, false, kAcc, t.local_addr / wpr, last / wpr});
      else
        acc.list.push_back({3, false, res, t.local_addr, last});
      return isa::store(t);
    }
    if (kind <= 8) {  // GEMM
      isa::GemmArgs g;
      g.bf16 = rng_() % 2;
      g.accumulate = rng_() % 2;
      g.w_transposed = rng_() % 3 == 0;
      g.a_unsigned = !g.bf16 && rng_() % 3 == 0;
      g.m = pick(1, 12);
      g.k_tiles = pick(1, 3);
      g.n_tiles = pick(1, 3);
      const unsigned tile = g.w_transposed ? cfg_.cols : cfg_.rows;
      g.a_kstride = pick(0, g.m + 3);
      g.w_kstride = rng_() % 2 ? tile : pick(0, 2 * tile);
      g.w_nstride = pick(0, 2 * tile);
      const unsigned nstride_max = g.n_tiles > 1 ? std::min(g.m + 2, (acc_rows - g.m) / (g.n_tiles - 1)) : g.m;
      g.acc_nstride = rng_() % 2 ? std::min(g.m, nstride_max) : pick(0, nstride_max);
      const unsigned w_span = (g.k_tiles - 1) * g.w_kstride + (g.n_tiles - 1) * g.w_nstride + tile;
      const unsigned acc_span = (g.n_tiles - 1) * g.acc_nstride + g.m;
      g.a_addr = pick(0, aspad_words - ((g.k_tiles - 1) * g.a_kstride + g.m));
      g.w_addr = pick(0, wspad_words - w_span);
      g.acc_addr = pick(0, acc_rows - acc_span);
      acc.list.push_back({1, false, kAspad, g.a_addr, g.a_addr + (g.k_tiles - 1) * g.a_kstride + g.m - 1});
      acc.list.push_back({1, false, kWspad, g.w_addr, g.w_addr + w_span - 1});
      acc.list.push_back({1, true, kAcc, g.acc_addr, g.acc_addr + acc_span - 1});
      return isa::gemm(g);
    }
    if (kind <= 10) return random_vec(acc);
    return isa::nop(static_cast<isa::Queue>(pick(0, 3)), {});
  }

  // A VEC command of any func (vec_cmd_gen.hpp) inside the windows the other
  // commands use (ASPAD words [0, 128), WSPAD [0, 64), ACC rows [0, 32)):
  // src, aux and dst in disjoint thirds, so a dst never overlaps its sources.
  // It computes on whatever earlier commands left there.
  isa::Command random_vec(Access& acc) {
    ref::AccelConfig w = cfg_;
    w.aspad_words = std::min(cfg_.aspad_words, 128u);
    w.wspad_words = std::min(cfg_.wspad_words, 96u);
    w.acc_rows = std::min(cfg_.acc_rows, 32u);
    ref::LocalMemories scratch;
    scratch.aspad.resize(std::size_t{w.aspad_words} * w.bus_bytes);
    scratch.wspad.resize(std::size_t{w.wspad_words} * w.bus_bytes);
    scratch.acc.resize(std::size_t{w.acc_rows} * w.cols);
    VecCmdGen gen(w, rng_());
    const auto& funcs = isa::kVecFuncValues;
    const isa::VecCmd v = gen.make(funcs[pick(0, static_cast<unsigned>(funcs.size()) - 1)], scratch, 3, 24);
    const isa::VecFuncInfo fi = isa::vec_func_info(static_cast<unsigned>(v.func));
    auto res = [](isa::Space sp) { return sp == isa::Space::Acc ? kAcc : sp == isa::Space::Wspad ? kWspad : kAspad; };
    auto last = [&](std::uint32_t a, std::uint32_t rs, std::uint32_t gs, std::uint32_t g, std::uint32_t rows) {  // highest word
      return ref::vec_word_of(a, rs, gs, g, rows - 1, v.n - 1);
    };
    acc.list.push_back({2, false, res(v.src_space), v.src_addr,
                        last(v.src_addr, v.src_row_stride, v.src_group_stride, v.src_group, v.rows)});
    if (fi.has_aux())
      acc.list.push_back({2, false, res(v.aux_space), v.aux_addr,
                          last(v.aux_addr, v.aux_row_stride, v.aux_group_stride, v.aux_group, v.rows)});
    if (fi.has_dst())
      acc.list.push_back({2, true, res(v.dst_space), v.dst_addr,
                          last(v.dst_addr, v.dst_row_stride, v.dst_group_stride, v.dst_group,
                             v.dst_pairs ? (v.rows + 1) / 2 : v.rows)});
    return v.encode();
  }

  static constexpr std::size_t kPoisonBytes = 4096;  // [0, 2048) SLVERR, [2048, 4096) DECERR

  TopBench& tb_;
  std::mt19937_64 rng_;
  unsigned seg_full_bursts_ = 0;
  ref::AccelConfig cfg_;
  rt::Buffer in_, out_, poison_;
  std::vector<std::uint8_t> in_data_;
  std::vector<Range> pending_;
  std::vector<Clock> clock_;                          // per segment command (barriers: unused)
  std::array<Clock, kQ> known_{};                     // per queue
  std::array<std::array<std::vector<long>, kQ>, kQ> pushers_;  // [from][to]: commands that push, in order
  std::array<std::array<unsigned, kQ>, kQ> popped_{};         // [from][to]: tokens popped so far
};

}  // namespace npu::tb
