// npu_vec_engine (VEC commands over the ASPAD/ACC memory ports) and
// npu_vec_check (VEC command checker) against the reference model.
// Shape: Rows 4, Cols 5, BusBytes 16, ASPAD 1024 words, ACC 256 rows,
// MaxLen 64, ReqChannels 64. C++ models of the three memory ports answer
// reads exactly one cycle after the handshake and stall req_ready at random
// (seeded). Every written word is compared bit for bit (zeroed lanes too),
// every dst word must be written exactly once and no other word at all.
//   NPU_SEED=<n> replays one seed, NPU_WAVES=<x.fst> writes a trace.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/isa.hpp>
#include <npu/ref/accel_model.hpp>
#include <npu/ref/fp.hpp>
#include <npu/ref/vec_model.hpp>

#include "Vnpu_vec_check.h"
#include "Vnpu_vec_engine.h"
#include "port_bits.hpp"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "vec_replay_catch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using npu::tb::get_bits;
using npu::tb::put_bits;
using npu::tb::SimControl;
namespace ref = npu::ref;
namespace isa = npu::isa;
using isa::Fault;

constexpr unsigned kBusBytes = 16;
constexpr unsigned kCols = 5;
constexpr unsigned kAspadWords = 1024;
constexpr unsigned kAccRows = 256;
constexpr unsigned kMaxLen = 64;
constexpr unsigned kReqChannels = 64;
constexpr std::uint64_t kCmdTimeout = 100'000;  // cycles per command

// VEC funcs (docs/isa.md, npu/isa.hpp).
constexpr std::uint8_t fcode(isa::VecFunc f) { return static_cast<std::uint8_t>(f); }
enum Func : std::uint8_t {
  kRequant = fcode(isa::VecFunc::Requant), kReqParams = fcode(isa::VecFunc::ReqParams),
  kGeluI8 = fcode(isa::VecFunc::GeluI8), kSiluI8 = fcode(isa::VecFunc::SiluI8),
  kSiluTable = fcode(isa::VecFunc::SiluTable), kAddI8 = fcode(isa::VecFunc::AddI8), kMulI8 = fcode(isa::VecFunc::MulI8),
  kSoftmaxI8 = fcode(isa::VecFunc::SoftmaxI8), kSoftmaxBf16 = fcode(isa::VecFunc::SoftmaxBf16),
  kLayerNorm = fcode(isa::VecFunc::LayerNormBf16), kRmsNorm = fcode(isa::VecFunc::RmsNormBf16),
  kGeluBf16 = fcode(isa::VecFunc::GeluBf16), kSiluBf16 = fcode(isa::VecFunc::SiluBf16),
  kAddBf16 = fcode(isa::VecFunc::AddBf16), kMulBf16 = fcode(isa::VecFunc::MulBf16)
};
std::vector<std::uint8_t> all_funcs() {
  std::vector<std::uint8_t> v;
  for (isa::VecFunc f : ref::vec_funcs()) v.push_back(fcode(f));
  return v;
}

using Ty = ref::VecType;
using Memories = ref::LocalMemories;

// The shape of the Verilated engine and checker (vec_engine.cmake).
ref::AccelConfig accel_config() {
  ref::AccelConfig cfg;
  cfg.cols = kCols, cfg.bus_bytes = kBusBytes, cfg.aspad_words = kAspadWords, cfg.acc_rows = kAccRows;
  cfg.vec_maxlen = kMaxLen, cfg.req_channels = kReqChannels;
  return cfg;
}

unsigned elems_per_word(Ty t, bool acc) { return ref::vec_elems_per_word(t, acc, accel_config()); }

Memories make_memories() {
  Memories m;
  m.aspad.assign(std::size_t{kAspadWords} * kBusBytes, 0);
  m.acc.assign(std::size_t{kAccRows} * kCols, 0);
  return m;
}

// A VEC command by fields; words() packs it per docs/isa.md.
struct VecCmd {
  std::uint8_t func = 0;
  std::uint32_t src = 0, space = 0, src_rs = 0, src_gs = 0;
  std::uint32_t dst = 0, dst_rs = 0, dst_gs = 0;
  std::uint32_t aux = 0, aux2 = 0;
  std::uint32_t rows = 1, n = 1;
  std::uint32_t src_group = 1, dst_group = 1, aux_group = 1, aux_rs = 0, aux_gs = 0;
  std::array<std::uint32_t, 4> cfg{};

  std::array<std::uint32_t, 16> words() const {
    std::array<std::uint32_t, 16> w{};
    w[0] = 0x04u | (std::uint32_t{func} << 16);
    w[1] = (src & 0xFFFFFFu) | ((space & 3u) << 24);
    w[2] = (src_rs & 0xFFFFu) | (src_gs << 16);
    w[3] = dst & 0xFFFFFFu;
    w[4] = (dst_rs & 0xFFFFu) | (dst_gs << 16);
    w[5] = aux & 0xFFFFFFu;
    w[6] = aux2 & 0xFFFFFFu;
    w[7] = (rows & 0xFFFFu) | (n << 16);
    w[8] = (src_group & 0xFFu) | ((dst_group & 0xFFu) << 8) | ((aux_group & 0xFFu) << 16);
    w[9] = (aux_rs & 0xFFFFu) | (aux_gs << 16);
    for (unsigned i = 0; i < 4; ++i) w[10 + i] = cfg[i];
    return w;
  }
  isa::Command command() const {
    isa::Command c;
    c.w = words();
    return c;
  }
  std::string str() const {
    return fmt::format("func 0x{:02X} rows {} n {} src {}@{} rs {} gs {} grp {} | dst {} rs {} gs {} grp {} | "
                       "aux {} aux2 {} rs {} gs {} grp {} | cfg {:08X} {:08X} {:08X} {:08X}",
                       func, rows, n, space == 2 ? "ACC" : "ASPAD", src, src_rs, src_gs, src_group, dst, dst_rs,
                       dst_gs, dst_group, aux, aux2, aux_rs, aux_gs, aux_group, cfg[0], cfg[1], cfg[2], cfg[3]);
  }
};

// Fault code of a command per the reference model.
isa::Fault check_model(const VecCmd& c) { return ref::vec_check(c.command(), accel_config()); }


class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(g_); }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(g_); }
  std::uint32_t bits() { return static_cast<std::uint32_t>(g_()); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g_); }
  double normal() { return std::normal_distribution<double>(0.0, 1.0)(g_); }

 private:
  std::mt19937_64 g_;
};

std::uint32_t fp32_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}


// ---- random commands ----------------------------------------------------------------------

// Random element bits of a type.
std::uint32_t random_elem(Rng& g, Ty t, double bf16_scale) {
  switch (t) {
    case Ty::I8: return g.bits() & 0xFFu;
    case Ty::Bf16:
      if (g.coin(0.03)) return g.bits() & 0xFFFFu;  // any pattern: NaN, Inf, subnormal
      return ref::fp32_to_bf16(fp32_bits(static_cast<float>(g.normal() * bf16_scale))) & 0xFFFFu;
    case Ty::I32:
      return g.coin(0.1) ? g.bits() : static_cast<std::uint32_t>(g.uniform(-(1 << 20), 1 << 20));
  }
  return 0;
}

struct Placed {
  std::uint64_t first, last;
};

class CmdGen {
 public:
  explicit CmdGen(Rng& g) : g_(g) {}

  // A legal random command of func f (ASPAD regions disjoint, dst words distinct).
  VecCmd make(std::uint8_t f) {
    for (int attempt = 0;; ++attempt) {
      VecCmd c = draw(f, attempt > 20);
      if (place(c)) return c;
    }
  }

 private:
  VecCmd draw(std::uint8_t f, bool small) {
    const ref::VecFuncInfo fi = ref::vec_func_info(f);
    VecCmd c;
    c.func = f;
    c.rows = static_cast<std::uint32_t>(small ? 1 : g_.uniform(1, 4));
    c.n = static_cast<std::uint32_t>(g_.coin(0.2) ? kMaxLen : g_.uniform(1, small ? 16 : kMaxLen));
    if (f == kReqParams) c.n = 3 * static_cast<std::uint32_t>(g_.coin(0.3) ? kReqChannels : g_.uniform(1, kReqChannels));
    if (f == kSiluTable) c.n = 256;
    if (f == kReqParams || f == kSiluTable) c.rows = static_cast<std::uint32_t>(g_.uniform(1, 2));
    c.space = (fi.src == Ty::I32 && g_.coin()) ? 2 : 0;
    c.src_group = static_cast<std::uint32_t>(g_.uniform(1, elems_per_word(fi.src, c.space == 2)));
    c.dst_group = static_cast<std::uint32_t>(g_.uniform(1, elems_per_word(fi.dst, false)));
    c.aux_group = static_cast<std::uint32_t>(g_.uniform(1, elems_per_word(fi.src, false)));
    if (g_.coin(0.3)) c.src_group = elems_per_word(fi.src, c.space == 2);
    if (g_.coin(0.3)) c.dst_group = elems_per_word(fi.dst, false);
    const double scale = std::ldexp(1.0, static_cast<int>(g_.uniform(-6, 6)));
    switch (f) {
      case kRequant: c.cfg[0] = static_cast<std::uint32_t>(g_.uniform(-150, 150)); break;
      case kGeluI8: {
        const auto sq = static_cast<std::uint32_t>(g_.coin() ? g_.uniform(1, 1 << 22) : g_.uniform(1 << 13, 1 << 19));
        const auto p = requant_for(std::ldexp(1.0, -20) / (sq / 1048576.0) * std::ldexp(1.0, static_cast<int>(g_.uniform(-3, 3))));
        c.cfg = {sq, static_cast<std::uint32_t>(p.first), static_cast<std::uint32_t>(p.second),
                 static_cast<std::uint32_t>(g_.uniform(-128, 127))};
        break;
      }
      case kAddI8:
      case kMulI8: {
        const auto za = static_cast<std::uint32_t>(g_.uniform(-128, 127)) & 0xFFu;
        const auto zb = static_cast<std::uint32_t>(g_.uniform(-128, 127)) & 0xFFu;
        const auto ka = static_cast<std::uint32_t>(g_.uniform(-(1 << 15) + 1, (1 << 15) - 1)) & 0xFFFFu;
        const auto kb = static_cast<std::uint32_t>(g_.uniform(-(1 << 15) + 1, (1 << 15) - 1)) & 0xFFFFu;
        const auto p = requant_for(std::ldexp(1.0, static_cast<int>(f == kAddI8 ? g_.uniform(-16, -12) : g_.uniform(-8, -5))));
        const auto zp = static_cast<std::uint32_t>(g_.uniform(-128, 127));
        c.cfg = {za | (zb << 8), ka | (kb << 16), static_cast<std::uint32_t>(p.first),
                 (static_cast<std::uint32_t>(p.second) & 0x3Fu) | (zp << 8)};
        break;
      }
      case kSoftmaxI8:
      case kSoftmaxBf16:
        c.cfg[0] = f == kSoftmaxI8 ? static_cast<std::uint32_t>(g_.uniform(1 << 13, 1 << 21))
                                   : fp32_bits(static_cast<float>(g_.real(0.05, 2.0)));
        c.cfg[1] = g_.coin() ? 1u : 0u;
        c.cfg[2] = static_cast<std::uint32_t>(g_.uniform(-3, static_cast<std::int64_t>(c.n) + 2));
        break;
      case kLayerNorm:
      case kRmsNorm: c.cfg[0] = g_.coin(0.7) ? 0x3727C5ACu : fp32_bits(static_cast<float>(g_.real(1e-6, 1e-2))); break;
      default: break;
    }
    bf16_scale_ = scale;
    return c;
  }

  std::pair<std::int32_t, int> requant_for(double real) {
    int e = 0;
    const double q = std::frexp(real, &e);
    auto mm = static_cast<std::int64_t>(std::llround(q * 2147483648.0));
    if (mm == (std::int64_t{1} << 31)) mm /= 2, ++e;
    return {static_cast<std::int32_t>(mm), std::clamp(e, -31, 30)};
  }

  // Stream layout: sets rs/gs; dst layouts keep every word distinct.
  void layout(std::uint32_t rows, std::uint32_t n, std::uint32_t group, bool distinct, std::uint32_t& rs,
              std::uint32_t& gs) {
    const std::uint32_t ng = (n + group - 1) / group;
    if (!distinct && g_.coin(0.1)) {
      rs = static_cast<std::uint32_t>(g_.uniform(0, 2));
      gs = static_cast<std::uint32_t>(g_.uniform(0, 1));  // words re-read
    } else if (g_.coin()) {
      gs = static_cast<std::uint32_t>(g_.uniform(1, 2));
      rs = (ng - 1) * gs + 1 + static_cast<std::uint32_t>(g_.uniform(0, 2));
    } else {  // GEMM A layout: group_stride = rows
      rs = 1;
      gs = rows + static_cast<std::uint32_t>(g_.uniform(0, 1));
    }
  }

  bool place(VecCmd& c) {
    const ref::VecFuncInfo fi = ref::vec_func_info(c.func);
    layout(c.rows, c.n, c.src_group, false, c.src_rs, c.src_gs);
    layout(c.rows, c.n, c.dst_group, true, c.dst_rs, c.dst_gs);
    std::uint32_t unused_rs = 0;
    layout(c.rows, c.n, c.aux_group, false, c.aux_rs, c.aux_gs);
    if (!fi.aux_rows) layout(1, c.n, c.aux_group, false, unused_rs, c.aux_gs);
    // Footprints (words) of the ASPAD streams, placed in random order.
    const auto span = [&](std::uint64_t rs, std::uint64_t gs, std::uint64_t grp, std::uint64_t rows) {
      return ref::vec_word_of(0, rs, gs, grp, rows - 1, c.n - 1) + 1;
    };
    std::vector<std::pair<int, std::uint64_t>> items;
    if (c.space == 0) items.push_back({0, span(c.src_rs, c.src_gs, c.src_group, c.rows)});
    if (fi.has_dst) items.push_back({1, span(c.dst_rs, c.dst_gs, c.dst_group, c.rows)});
    if (fi.has_aux) items.push_back({2, span(fi.aux_rows ? c.aux_rs : 0, c.aux_gs, c.aux_group, c.rows)});
    if (fi.has_aux2) items.push_back({3, span(0, c.aux_gs, c.aux_group, c.rows)});
    std::shuffle(items.begin(), items.end(), std::mt19937(g_.bits()));
    std::uint64_t next = static_cast<std::uint64_t>(g_.uniform(0, 8));
    for (const auto& [id, words] : items) {
      const std::uint32_t at = static_cast<std::uint32_t>(next);
      (id == 0 ? c.src : id == 1 ? c.dst : id == 2 ? c.aux : c.aux2) = at;
      next += words + static_cast<std::uint64_t>(g_.uniform(0, 8));
    }
    if (next > kAspadWords) return false;
    if (c.space == 2) {
      const auto words = span(c.src_rs, c.src_gs, c.src_group, c.rows);
      if (words > kAccRows) return false;
      c.src = static_cast<std::uint32_t>(g_.uniform(0, static_cast<std::int64_t>(kAccRows - words)));
    }
    return check_model(c) == Fault::None;
  }

 public:
  double bf16_scale() const { return bf16_scale_; }

 private:
  Rng& g_;
  double bf16_scale_ = 1.0;
};

// Fills the words of the src/aux/aux2 streams of c (every lane) with random data.
void fill_sources(Rng& g, Memories& m, const VecCmd& c, double scale) {
  const ref::VecFuncInfo fi = ref::vec_func_info(c.func);
  const auto fill = [&](bool acc, std::uint64_t addr, std::uint64_t rs, std::uint64_t gs, std::uint64_t group,
                        Ty t, bool req_params) {
    for (unsigned r = 0; r < c.rows; ++r)
      for (unsigned e = 0; e < c.n; e += static_cast<unsigned>(group)) {
        const auto w = ref::vec_word_of(addr, rs, gs, group, r, e);
        const unsigned lanes = elems_per_word(t, acc);
        for (unsigned l = 0; l < lanes; ++l) {
          std::uint32_t v = random_elem(g, t, scale);
          if (req_params && (e + l) % 3 == 1 && l < group)  // a shift in [-31, 30], junk above bit 5
            v = (static_cast<std::uint32_t>(g.uniform(-31, 30)) & 0x3Fu) | (g.bits() & ~0x3Fu);
          if (acc) {
            m.acc.at(w * kCols + l) = v;
          } else {
            for (unsigned i = 0; i < ref::vec_elem_bytes(t); ++i)
              m.aspad.at(w * kBusBytes + l * ref::vec_elem_bytes(t) + i) = static_cast<std::uint8_t>(v >> (8 * i));
          }
        }
      }
  };
  fill(c.space == 2, c.src, c.src_rs, c.src_gs, c.src_group, fi.src, c.func == kReqParams);
  if (fi.has_aux) fill(false, c.aux, fi.aux_rows ? c.aux_rs : 0, c.aux_gs, c.aux_group, fi.src, false);
  if (fi.has_aux2) fill(false, c.aux2, 0, c.aux_gs, c.aux_group, fi.src, false);
}

// ---- the bench: engine + memory models -------------------------------------------------------

struct Flow {
  double rd = 1.0, acc = 1.0, wr = 1.0;
};

struct WriteRec {
  std::uint64_t addr;
  std::uint64_t cycle;
};

class Bench {
 public:
  Bench(std::uint64_t seed) : g_(seed + 1000), sim_(npu::tb::env_waves()) {
    auto& d = sim_.dut();
    d.cmd_valid_i = 0;
    d.aspad_rd_req_ready_i = 0;
    d.acc_rd_req_ready_i = 0;
    d.aspad_wr_req_ready_i = 0;
    d.aspad_rd_rsp_valid_i = 0;
    d.acc_rd_rsp_valid_i = 0;
    d.aspad_wr_rsp_valid_i = 0;
    sim_.reset();
  }

  SimControl<Vnpu_vec_engine>& sim() { return sim_; }

  // Runs one command to its done pulse against `m`. Returns "" or an error.
  std::string run(const VecCmd& c, Memories& m, const Flow& flow, std::vector<WriteRec>& writes,
                  std::uint64_t& cycles, std::uint64_t& stall_cycles) {
    auto& d = sim_.dut();
    const auto w = c.words();
    for (unsigned i = 0; i < 16; ++i) put_bits(d.cmd_i, 32 * i, 32, w[i]);
    d.cmd_valid_i = 1;
    bool accepted = false;
    const std::uint64_t start = sim_.cycle();
    stall_cycles = 0;
    for (;;) {
      if (sim_.cycle() - start > kCmdTimeout)
        throw npu::tb::SimTimeout(fmt::format("command did not finish within {} cycles (cycle {}): {}", kCmdTimeout,
                                              sim_.cycle(), c.str()));
      d.aspad_rd_req_ready_i = g_.coin(flow.rd);
      d.acc_rd_req_ready_i = g_.coin(flow.acc);
      d.aspad_wr_req_ready_i = g_.coin(flow.wr);
      // Responses exactly one cycle after the read handshake; junk otherwise.
      d.aspad_rd_rsp_valid_i = rsp_aspad_.has_value();
      d.acc_rd_rsp_valid_i = rsp_acc_.has_value();
      for (unsigned i = 0; i < kBusBytes / 4; ++i)
        put_bits(d.aspad_rd_rsp_rdata_i, 32 * i, 32, rsp_aspad_ ? word32(m, *rsp_aspad_, i) : g_.bits());
      for (unsigned i = 0; i < kCols; ++i)
        put_bits(d.acc_rd_rsp_rdata_i, 32 * i, 32, rsp_acc_ ? m.acc.at(*rsp_acc_ * kCols + i) : g_.bits());
      rsp_aspad_.reset();
      rsp_acc_.reset();
      sim_.settle();
      const std::uint64_t cyc = sim_.cycle();
      if (!accepted && d.cmd_ready_o) accepted = true;
      if (d.aspad_rd_req_valid_o && d.aspad_rd_req_ready_i) {
        if (d.aspad_rd_req_we_o || d.aspad_rd_req_addr_o >= kAspadWords)
          return fmt::format("cycle {}: bad ASPAD read request we {} addr {}", cyc, d.aspad_rd_req_we_o,
                             d.aspad_rd_req_addr_o);
        rsp_aspad_ = d.aspad_rd_req_addr_o;
      }
      if (d.acc_rd_req_valid_o && d.acc_rd_req_ready_i) {
        if (d.acc_rd_req_we_o || d.acc_rd_req_addr_o >= kAccRows)
          return fmt::format("cycle {}: bad ACC read request we {} addr {}", cyc, d.acc_rd_req_we_o,
                             d.acc_rd_req_addr_o);
        rsp_acc_ = d.acc_rd_req_addr_o;
      }
      if (d.aspad_wr_req_valid_o && d.aspad_wr_req_ready_i) {
        const std::uint64_t a = d.aspad_wr_req_addr_o;
        if (!d.aspad_wr_req_we_o || a >= kAspadWords || d.aspad_wr_req_wstrb_o != 0xFFFFu)
          return fmt::format("cycle {}: bad ASPAD write request we {} addr {} wstrb {:04X}", cyc,
                             d.aspad_wr_req_we_o, a, d.aspad_wr_req_wstrb_o);
        for (unsigned i = 0; i < kBusBytes; ++i)
          m.aspad.at(a * kBusBytes + i) = static_cast<std::uint8_t>(get_bits(d.aspad_wr_req_wdata_o, 8 * i, 8));
        writes.push_back({a, cyc});
      }
      if (d.stall_o) ++stall_cycles;
      const bool done = d.done_o;
      if (done && (!accepted || d.busy_o)) return fmt::format("cycle {}: done_o while busy_o or before accept", cyc);
      sim_.tick();
      if (accepted) d.cmd_valid_i = 0;
      if (done) break;
    }
    cycles = sim_.cycle() - start;
    // A few idle cycles: no request may appear and done_o stays low.
    const int idle = static_cast<int>(g_.uniform(0, 3));
    for (int i = 0; i < idle; ++i) {
      d.aspad_rd_rsp_valid_i = rsp_aspad_.has_value();
      d.acc_rd_rsp_valid_i = rsp_acc_.has_value();
      if (rsp_aspad_ || rsp_acc_) return "read response pending after done";
      sim_.settle();
      if (d.aspad_rd_req_valid_o || d.acc_rd_req_valid_o || d.aspad_wr_req_valid_o || d.done_o || d.busy_o)
        return fmt::format("cycle {}: activity after done", sim_.cycle());
      sim_.tick();
    }
    return {};
  }

 private:
  static std::uint32_t word32(const Memories& m, std::uint64_t w, unsigned i) {
    std::uint32_t v = 0;
    for (unsigned b = 0; b < 4; ++b) v |= std::uint32_t{m.aspad.at(w * kBusBytes + 4 * i + b)} << (8 * b);
    return v;
  }

  Rng g_;
  SimControl<Vnpu_vec_engine> sim_;
  std::optional<std::uint64_t> rsp_aspad_, rsp_acc_;
};

// Runs one command and compares the whole ASPAD against the expectation.
struct Stats {
  std::uint64_t commands = 0, elements = 0, cycles = 0;
};

void run_and_check(Bench& bench, Memories& m, ref::VecModel& model, const VecCmd& c, const Flow& flow, Stats& stats) {
  INFO("command: " << c.str());
  REQUIRE(check_model(c) == Fault::None);
  const Memories before = m;
  const auto want = model.compute(c.command(), before, accel_config());
  std::vector<WriteRec> writes;
  std::uint64_t cycles = 0, stalls = 0;
  const std::string err = bench.run(c, m, flow, writes, cycles, stalls);
  if (!err.empty()) FAIL(err);
  std::map<std::uint64_t, std::uint64_t> count, when;
  for (const auto& wr : writes) {
    ++count[wr.addr];
    when[wr.addr] = wr.cycle;
  }
  const ref::VecFuncInfo fi = ref::vec_func_info(c.func);
  for (const auto& [addr, n] : count) {
    if (!want.count(addr)) FAIL(fmt::format("word {} written outside the dst pattern (cycle {})", addr, when[addr]));
    if (n != 1) FAIL(fmt::format("dst word {} written {} times (last at cycle {})", addr, n, when[addr]));
  }
  const unsigned eb = ref::vec_elem_bytes(fi.dst);
  for (const auto& [addr, bytes] : want) {
    if (!count.count(addr)) FAIL(fmt::format("dst word {} never written", addr));
    for (unsigned lane = 0; lane < kBusBytes / eb; ++lane) {
      std::uint32_t e = 0, a = 0;
      for (unsigned i = 0; i < eb; ++i) {
        e |= std::uint32_t{bytes[lane * eb + i]} << (8 * i);
        a |= std::uint32_t{m.aspad[addr * kBusBytes + lane * eb + i]} << (8 * i);
      }
      if (e != a) {
        // Map the word/lane back to (row, element) for the report.
        std::string where = "zero lane";
        for (unsigned r = 0; r < c.rows; ++r)
          for (unsigned el = 0; el < c.n; ++el)
            if (ref::vec_word_of(c.dst, c.dst_rs, c.dst_gs, c.dst_group, r, el) == addr && el % c.dst_group == lane)
              where = fmt::format("row {} element {}", r, el);
        FAIL(fmt::format("tensor dst, word {} lane {} ({}): expected {:0{}X}, got {:0{}X}, written at cycle {}",
                         addr, lane, where, e, 2 * eb, a, 2 * eb, when[addr]));
      }
    }
  }
  // Everything else unchanged.
  for (std::size_t w = 0; w < kAspadWords; ++w)
    if (!want.count(w) && std::memcmp(&m.aspad[w * kBusBytes], &before.aspad[w * kBusBytes], kBusBytes) != 0)
      FAIL(fmt::format("ASPAD word {} changed outside the dst pattern", w));
  ++stats.commands;
  stats.elements += std::uint64_t{c.rows} * c.n;
  stats.cycles += cycles;
}

Flow random_flow(Rng& g) {
  static constexpr double kP[] = {1.0, 1.0, 0.8, 0.5, 0.25};
  const auto p = [&] { return kP[g.uniform(0, 4)]; };
  return {p(), p(), p()};
}

// `count` random commands drawn from `funcs` (chained: whatever REQ_PARAMS /
// SILU_TABLE loaded last is what REQUANT / SILU_I8 see).
void random_sequence(std::uint64_t seed, const std::vector<std::uint8_t>& funcs, unsigned count) {
  npu::tb::announce(seed);
  INFO("seed " << seed << " (replay: " << npu::tb::rerun_command(seed) << ")");
  Rng g(seed);
  Bench bench(seed);
  Memories m = make_memories();
  for (auto& b : m.aspad) b = static_cast<std::uint8_t>(g.bits());
  for (auto& v : m.acc) v = g.bits();
  ref::VecModel model;
  CmdGen gen(g);
  Stats stats;
  for (unsigned i = 0; i < count; ++i) {
    const std::uint8_t f = funcs[i % funcs.size()];
    const VecCmd c = gen.make(f);
    fill_sources(g, m, c, gen.bf16_scale());
    const Flow flow = random_flow(g);
    INFO("command #" << i << " at cycle " << bench.sim().cycle());
    run_and_check(bench, m, model, c, flow, stats);
  }
  fmt::print("  {} commands, {} elements, {} cycles\n", stats.commands, stats.elements, stats.cycles);
}

// The combinational checker (no clock): context + model.
class Checker {
 public:
  Checker() : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<Vnpu_vec_check>(ctx_.get(), "TOP")) {}
  ~Checker() { m_->final(); }
  Vnpu_vec_check& dut() { return *m_; }
  void settle() { m_->eval(); }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vnpu_vec_check> m_;
};

}  // namespace

TEST_CASE("REQ_PARAMS then REQUANT from ACC and ASPAD") {
  for (auto seed : npu::tb::test_seeds({11, 12}))
    random_sequence(seed, {kReqParams, kRequant, kRequant, kRequant}, 40);
}

TEST_CASE("INT8 element-wise GELU SILU_TABLE SILU ADD MUL") {
  for (auto seed : npu::tb::test_seeds({21, 22}))
    random_sequence(seed, {kGeluI8, kSiluTable, kSiluI8, kSiluI8, kAddI8, kMulI8}, 48);
}

TEST_CASE("Softmax INT8 and BF16 with masks") {
  for (auto seed : npu::tb::test_seeds({31, 32})) random_sequence(seed, {kSoftmaxI8, kSoftmaxBf16}, 30);
}

TEST_CASE("LayerNorm and RMSNorm BF16") {
  for (auto seed : npu::tb::test_seeds({41, 42})) random_sequence(seed, {kLayerNorm, kRmsNorm}, 30);
}

TEST_CASE("BF16 element-wise GELU SILU ADD MUL") {
  for (auto seed : npu::tb::test_seeds({51, 52})) random_sequence(seed, {kGeluBf16, kSiluBf16, kAddBf16, kMulBf16}, 40);
}

TEST_CASE("Mixed sequence of every func") {
  for (auto seed : npu::tb::test_seeds({61, 62, 63})) {
    std::vector<std::uint8_t> funcs = all_funcs();
    std::shuffle(funcs.begin(), funcs.end(), std::mt19937_64(seed));
    random_sequence(seed, funcs, 4 * static_cast<unsigned>(funcs.size()));
  }
}

TEST_CASE("Throughput of element-wise funcs without stalls") {
  Bench bench(1);
  Memories m = make_memories();
  ref::VecModel model;
  Stats stats;
  Rng g(5);
  for (auto& b : m.aspad) b = static_cast<std::uint8_t>(g.bits());
  for (std::uint8_t f : {kGeluBf16, kAddBf16, kGeluI8, kAddI8}) {
    const ref::VecFuncInfo fi = ref::vec_func_info(f);
    VecCmd c;
    c.func = f;
    c.rows = 4;
    c.n = kMaxLen;
    c.src_group = c.dst_group = c.aux_group = elems_per_word(fi.src, false);
    const std::uint32_t ng = c.n / c.src_group;
    c.src = 0, c.src_rs = ng, c.src_gs = 1;
    c.aux = 300, c.aux_rs = ng, c.aux_gs = 1;
    c.dst = 600, c.dst_rs = ng, c.dst_gs = 1;
    if (f == kGeluI8) c.cfg = {1u << 18, 1u << 30, static_cast<std::uint32_t>(-2), 0};
    if (f == kAddI8) c.cfg = {0, 0x40004000u, 1u << 30, static_cast<std::uint32_t>(-14) & 0x3Fu};
    Stats one;
    run_and_check(bench, m, model, c, Flow{}, one);
    const double epc = static_cast<double>(one.elements) / static_cast<double>(one.cycles);
    fmt::print("  func 0x{:02X}: {} elements in {} cycles = {:.3f} elements/cycle\n", f, one.elements, one.cycles, epc);
    CHECK(epc > 0.75);
  }
}

TEST_CASE("Checker fault codes") {
  Checker sim;
  const auto code = [&](const VecCmd& c) {
    const auto w = c.words();
    for (unsigned i = 0; i < 16; ++i) put_bits(sim.dut().cmd_i, 32 * i, 32, w[i]);
    sim.settle();
    CHECK(sim.dut().fault_o == (sim.dut().code_o != 0));
    return static_cast<unsigned>(sim.dut().code_o);
  };
  const auto expect = [&](const VecCmd& c, Fault want, const char* what) {
    INFO(what << ": " << c.str() << " want " << isa::fault_name(want));
    CHECK(check_model(c) == want);
    CHECK(code(c) == static_cast<unsigned>(want));
  };
  VecCmd base;  // GELU_BF16, 2 rows of 64, groups of 8, row-major
  base.func = kGeluBf16;
  base.rows = 2;
  base.n = 64;
  base.src_group = base.dst_group = base.aux_group = 8;
  base.src = 0, base.src_rs = 8, base.src_gs = 1;
  base.dst = 100, base.dst_rs = 8, base.dst_gs = 1;
  expect(base, Fault::None, "legal");
  for (std::uint32_t f : {0x00u, 0x09u, 0x0Fu, 0x17u, 0x20u, 0xFFu}) {
    VecCmd c = base;
    c.func = static_cast<std::uint8_t>(f);
    expect(c, Fault::IllegalOpcode, "unknown func");
  }
  VecCmd c;
  c = base, c.rows = 0, expect(c, Fault::BadField, "rows 0");
  c = base, c.n = 0, expect(c, Fault::BadField, "n 0");
  c = base, c.n = kMaxLen + 1, expect(c, Fault::BadField, "n > MaxLen");
  c = base, c.src_group = 0, expect(c, Fault::BadField, "src_group 0");
  c = base, c.src_group = 9, expect(c, Fault::BadField, "src_group > BF16 per word");
  c = base, c.dst_group = 0, expect(c, Fault::BadField, "dst_group 0");
  c = base, c.dst_group = 9, expect(c, Fault::BadField, "dst_group > BF16 per word");
  c = base, c.func = kGeluI8, c.src_group = 16, c.dst_group = 16, expect(c, Fault::None, "INT8 groups of 16");
  c = base, c.func = kGeluI8, c.src_group = 17, expect(c, Fault::BadField, "INT8 src_group 17");
  c = base, c.func = kAddBf16, c.aux_group = 0, expect(c, Fault::BadField, "aux_group 0");
  c = base, c.func = kAddBf16, c.aux_group = 9, expect(c, Fault::BadField, "aux_group > per word");
  c = base, c.space = 1, expect(c, Fault::BadField, "src in WSPAD");
  c = base, c.space = 3, expect(c, Fault::BadField, "reserved space");
  c = base, c.space = 2, expect(c, Fault::BadField, "BF16 source in ACC");
  VecCmd rq = base;
  rq.func = kRequant, rq.space = 2, rq.src_group = 5, rq.src_rs = 13, rq.dst_group = 16, rq.dst_rs = 4;
  expect(rq, Fault::None, "REQUANT from ACC");
  c = rq, c.src_group = 6, expect(c, Fault::BadField, "ACC src_group > Cols");
  c = rq, c.space = 0, c.src_group = 5, expect(c, Fault::BadField, "ASPAD INT32 src_group > 4");
  c = rq, c.space = 0, c.src_group = 4, expect(c, Fault::None, "REQUANT from ASPAD");
  c = rq, c.src = 256 - 13 - 13, expect(c, Fault::None, "ACC last row 255");
  c = rq, c.src = 256 - 13 - 12, expect(c, Fault::AccRange, "ACC row 256");
  VecCmd rp = rq;
  rp.func = kReqParams, rp.rows = 1, rp.n = 3 * kReqChannels, rp.src_rs = 0, rp.dst_group = 0;
  expect(rp, Fault::None, "REQ_PARAMS 64 channels (n > MaxLen allowed, no dst)");
  c = rp, c.n = 3 * kReqChannels + 3, expect(c, Fault::BadField, "REQ_PARAMS n/3 > ReqChannels");
  c = rp, c.n = 10, expect(c, Fault::BadField, "REQ_PARAMS n not a multiple of 3");
  VecCmd st = base;
  st.func = kSiluTable, st.rows = 1, st.n = 256, st.src_group = 16, st.src_rs = 0, st.dst_group = 0;
  expect(st, Fault::None, "SILU_TABLE 256 (no dst)");
  c = st, c.n = 255, expect(c, Fault::BadField, "SILU_TABLE n 255");
  // Ranges: last word exactly at the top, then one beyond, per stream.
  c = base, c.src = kAspadWords - 16, expect(c, Fault::None, "src last word 1023");
  c = base, c.src = kAspadWords - 15, expect(c, Fault::SpadRange, "src word 1024");
  c = base, c.dst = kAspadWords - 15, expect(c, Fault::SpadRange, "dst word 1024");
  c = base, c.src_rs = 0xFFFF, c.src_gs = 0xFFFF, expect(c, Fault::SpadRange, "large strides do not wrap");
  c = base, c.src = 0xFFFFFF, expect(c, Fault::SpadRange, "24-bit address");
  VecCmd ad = base;
  ad.func = kAddBf16, ad.aux = 200, ad.aux_rs = 8, ad.aux_gs = 1;
  expect(ad, Fault::None, "ADD_BF16");
  c = ad, c.aux = kAspadWords - 16, expect(c, Fault::None, "aux last word 1023");
  c = ad, c.aux = kAspadWords - 15, expect(c, Fault::SpadRange, "aux word 1024 (row stride)");
  VecCmd ln = ad;
  ln.func = kLayerNorm, ln.aux2 = 300;
  c = ln, c.aux = kAspadWords - 8, expect(c, Fault::None, "gamma ignores aux_row_stride");
  c = ln, c.aux = kAspadWords - 7, expect(c, Fault::SpadRange, "gamma word 1024");
  c = ln, c.aux2 = kAspadWords - 8, expect(c, Fault::None, "beta last word 1023");
  c = ln, c.aux2 = kAspadWords - 7, expect(c, Fault::SpadRange, "beta word 1024");
  c = base, c.func = kRmsNorm, c.aux_gs = 1, c.aux = kAspadWords - 8, expect(c, Fault::None, "RMSNorm gamma last word 1023");
  c = base, c.func = kRmsNorm, c.aux_gs = 1, c.aux = kAspadWords - 7, expect(c, Fault::SpadRange, "RMSNorm gamma word 1024");
  c = base, c.aux = kAspadWords, c.aux2 = kAspadWords, expect(c, Fault::None, "unused aux streams not checked");
  c = base, c.dst = kAspadWords, c.func = kSiluTable, c.n = 256, c.rows = 1, c.src_rs = 0,
  expect(c, Fault::None, "no dst: dst not checked");
  c = base, c.n = 0, c.func = 0x42, expect(c, Fault::IllegalOpcode, "ILLEGAL_OPCODE before BAD_FIELD");
  c = base, c.rows = 0, c.src = kAspadWords, expect(c, Fault::BadField, "BAD_FIELD before SPAD_RANGE");
}

TEST_CASE("Checker agrees with its model on random commands") {
  for (auto seed : npu::tb::test_seeds({71})) {
    npu::tb::announce(seed);
    Checker sim;
    Rng g(seed);
    std::map<unsigned, unsigned> seen;
    const std::vector<std::uint8_t> funcs = all_funcs();
    for (int i = 0; i < 200000; ++i) {
      VecCmd c;
      c.func = g.coin(0.8) ? funcs[static_cast<std::size_t>(g.uniform(0, static_cast<std::int64_t>(funcs.size()) - 1))]
                           : static_cast<std::uint8_t>(g.bits());
      c.space = static_cast<std::uint32_t>(g.coin(0.7) ? (g.coin() ? 0 : 2) : g.uniform(0, 3));
      const auto small = [&](std::int64_t hi) { return static_cast<std::uint32_t>(g.coin(0.9) ? g.uniform(0, hi) : g.bits()); };
      c.src = small(1100) & 0xFFFFFFu, c.dst = small(1100) & 0xFFFFFFu, c.aux = small(1100) & 0xFFFFFFu;
      c.aux2 = small(1100) & 0xFFFFFFu;
      c.src_rs = small(40) & 0xFFFFu, c.src_gs = small(20) & 0xFFFFu, c.dst_rs = small(40) & 0xFFFFu;
      c.dst_gs = small(20) & 0xFFFFu, c.aux_rs = small(40) & 0xFFFFu, c.aux_gs = small(20) & 0xFFFFu;
      c.rows = small(5) & 0xFFFFu, c.n = (g.coin(0.1) ? 3 * small(70) : small(70)) & 0xFFFFu;
      if (c.func == kSiluTable && g.coin()) c.n = 256;
      c.src_group = small(17) & 0xFFu, c.dst_group = small(17) & 0xFFu, c.aux_group = small(17) & 0xFFu;
      // Often put one stream's last word right at (or one past) the top of its space.
      if (g.coin(0.4) && c.rows > 0 && c.n > 0 && c.src_group > 0 && c.dst_group > 0 && c.aux_group > 0) {
        const int k = static_cast<int>(g.uniform(0, 3));
        const bool aux_rows = ref::vec_func_info(c.func).aux_rows;
        const std::uint64_t off =
            k == 0   ? ref::vec_word_of(0, c.src_rs, c.src_gs, c.src_group, c.rows - 1, c.n - 1)
            : k == 1 ? ref::vec_word_of(0, c.dst_rs, c.dst_gs, c.dst_group, c.rows - 1, c.n - 1)
            : k == 2 ? ref::vec_word_of(0, aux_rows ? c.aux_rs : 0, c.aux_gs, c.aux_group, c.rows - 1, c.n - 1)
                     : ref::vec_word_of(0, 0, c.aux_gs, c.aux_group, c.rows - 1, c.n - 1);
        const std::uint64_t top = (k == 0 && c.space == 2) ? kAccRows : kAspadWords;
        const std::int64_t at = static_cast<std::int64_t>(top) - 1 - static_cast<std::int64_t>(off) + g.uniform(0, 1);
        if (at >= 0) (k == 0 ? c.src : k == 1 ? c.dst : k == 2 ? c.aux : c.aux2) = static_cast<std::uint32_t>(at);
      }
      const auto w = c.words();
      for (unsigned k = 0; k < 16; ++k) put_bits(sim.dut().cmd_i, 32 * k, 32, w[k]);
      sim.settle();
      const auto want = static_cast<unsigned>(check_model(c));
      ++seen[want];
      if (sim.dut().code_o != want || sim.dut().fault_o != (want != 0))
        FAIL(fmt::format("seed {} command {}: {} -> code {} expected {}", seed, i, c.str(), sim.dut().code_o, want));
    }
    for (Fault code : {Fault::None, Fault::IllegalOpcode, Fault::SpadRange, Fault::AccRange, Fault::BadField}) {
      INFO("code " << isa::fault_name(code));
      CHECK(seen[static_cast<unsigned>(code)] > 100);
    }
  }
}

TEST_CASE("Nightly random sequences of every func", "[nightly]") {
  for (auto seed : npu::tb::test_seeds({101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113,
                                        114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124})) {
    std::vector<std::uint8_t> funcs;
    const std::vector<std::uint8_t> every = all_funcs();
    for (int k = 0; k < 10; ++k) funcs.insert(funcs.end(), every.begin(), every.end());
    std::shuffle(funcs.begin(), funcs.end(), std::mt19937_64(seed));
    random_sequence(seed, funcs, static_cast<unsigned>(funcs.size()));
  }
}
