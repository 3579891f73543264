// npu_cmd_decode (npu_cmd_check + npu_vec_check behind the fault order of
// docs/isa.md §5) against AccelModel::check with the vector model's checker
// installed: the same fault code for every command, and for a command that
// passes, the same queue. Commands are boundary-biased: a valid command of a
// random opcode (or an illegal opcode) with up to three fields set to 0, 1,
// all ones, a neighbour of the old value, a memory size of the configuration
// or a window edge; windows that reach 2^32, are empty or cover everything;
// now and then a fetch error, which must win. The first disagreement fails
// with the command's fields, the window and both verdicts.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <npu/isa.hpp>
#include <npu/ref/accel_model.hpp>
#include <npu/ref/vec_model.hpp>

#include DECODE_HEADER
#include "port_bits.hpp"
#include "replay_catch.hpp"
#include "sim_control.hpp"
#include "test_env.hpp"
#include "vec_cmd_gen.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

namespace isa = npu::isa;
namespace ref = npu::ref;
using isa::Fault;
using isa::Op;

ref::AccelConfig config() {  // configs/<DECODE_CONFIG>.yaml, passed by tb/ctrl/CMakeLists.txt
  ref::AccelConfig c;
  c.rows = DEC_ROWS, c.cols = DEC_COLS, c.bus_bytes = DEC_BUS_BYTES;
  c.aspad_words = DEC_ASPAD_WORDS, c.wspad_words = DEC_WSPAD_WORDS, c.acc_rows = DEC_ACC_ROWS;
  c.vec_maxlen = DEC_VEC_MAXLEN;
  return c;
}

struct Fields {
  const isa::FieldDesc* begin;
  std::size_t size;
};

Fields fields_of(std::uint8_t opcode) {
  switch (static_cast<Op>(opcode)) {
    case Op::Load: return {isa::LoadCmd::kFields.data(), isa::LoadCmd::kFields.size()};
    case Op::Store: return {isa::StoreCmd::kFields.data(), isa::StoreCmd::kFields.size()};
    case Op::Gemm: return {isa::GemmCmd::kFields.data(), isa::GemmCmd::kFields.size()};
    case Op::Vec: return {isa::VecCmd::kFields.data(), isa::VecCmd::kFields.size()};
    case Op::Nop: return {isa::NopCmd::kFields.data(), isa::NopCmd::kFields.size()};
    case Op::Irq: return {isa::IrqCmd::kFields.data(), isa::IrqCmd::kFields.size()};
    default: return {isa::FenceCmd::kFields.data(), isa::FenceCmd::kFields.size()};  // FENCE: the header only
  }
}

std::string describe(const isa::Command& c) {
  const auto op = static_cast<std::uint8_t>(c.w[0] & 0xFF);
  std::string s = isa::name(static_cast<Op>(op));
  const Fields f = fields_of(op);
  for (std::size_t i = 1; i < f.size; ++i) {
    const auto& fd = f.begin[i];
    s += fmt::format(" {}={:#x}", fd.name, isa::get_field(c, fd.word, fd.lsb, fd.width));
  }
  return s;
}

void set_field(isa::Command& c, const isa::FieldDesc& fd, std::uint32_t v) {
  const std::uint32_t m = fd.width >= 32 ? 0xFFFFFFFFu : ((1u << fd.width) - 1u);
  c.w[fd.word] = (c.w[fd.word] & ~(m << fd.lsb)) | ((v & m) << fd.lsb);
}

// Boundary-biased commands and windows for one configuration.
class BoundaryGen {
 public:
  BoundaryGen(const ref::AccelConfig& cfg, std::uint64_t seed)
      : cfg_(cfg), rng_(seed), vec_(cfg, seed ^ 0x5eedull), scratch_{std::vector<std::uint8_t>(std::size_t{cfg.aspad_words} * cfg.bus_bytes),
                                                                   std::vector<std::uint8_t>(std::size_t{cfg.wspad_words} * cfg.bus_bytes),
                                                                   std::vector<std::uint32_t>(std::size_t{cfg.acc_rows} * cfg.cols)} {}

  void new_window() {
    const unsigned bb = cfg_.bus_bytes;
    switch (rng_() % 6) {
      case 0: win_base_ = 0, win_size_ = 0xFFFFFFFFu; break;                       // everything but the last byte
      case 1: win_base_ = 0xFFFFFFFFu - pick(0, 4 * bb), win_size_ = 0xFFFFFFFFu; break;  // reaches past 2^32
      case 2: win_base_ = pick32() & ~(bb - 1), win_size_ = 0; break;              // empty
      case 3: win_base_ = 0x1000, win_size_ = 0x10000; break;
      case 4: win_base_ = pick32(), win_size_ = pick32(); break;                   // unaligned, may wrap
      default: win_base_ = pick32() & ~(bb - 1) & 0x7FFFFFFFu, win_size_ = bb * pick(1, 1 << 20); break;
    }
  }
  std::uint32_t win_base() const { return win_base_; }
  std::uint32_t win_size() const { return win_size_; }

  isa::Command next() {
    isa::Command c = valid_base();
    const auto op = static_cast<std::uint8_t>(c.w[0] & 0xFF);
    const Fields f = fields_of(op);
    const unsigned flips = coin(0.25) ? 0 : pick(1, 3);
    for (unsigned k = 0; k < flips; ++k) {
      // the opcode only rarely: most disturbances should reach the field checks
      const std::size_t i = coin(0.01) ? 0 : 1 + rng_() % (f.size - 1);
      const auto& fd = f.begin[i];
      set_field(c, fd, boundary(isa::get_field(c, fd.word, fd.lsb, fd.width), fd.width));
    }
    return c;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  unsigned pick(unsigned lo, unsigned hi) { return lo + static_cast<unsigned>(rng_() % (std::uint64_t{hi} - lo + 1)); }
  std::uint32_t pick32() { return static_cast<std::uint32_t>(rng_()); }
  bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  std::uint32_t boundary(std::uint32_t old, unsigned width) {
    const std::uint32_t m = width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1u);
    const std::uint32_t bb = cfg_.bus_bytes;
    const std::array<std::uint32_t, 18> limits = {
        cfg_.aspad_words, cfg_.aspad_words - 1, cfg_.wspad_words, cfg_.wspad_words - 1, cfg_.acc_rows,
        cfg_.acc_rows - 1, cfg_.acc_rows * cfg_.acc_words_per_row(), cfg_.vec_maxlen, cfg_.vec_maxlen + 1,
        bb, bb - 1, win_base_, win_base_ + win_size_ - bb, win_base_ + win_size_, 0x80000000u, 0xFFFFFFFFu - bb + 1,
        cfg_.rows, cfg_.cols};
    switch (rng_() % 8) {
      case 0: return 0;
      case 1: return 1;
      case 2: return m;
      case 3: return m - 1;
      case 4: return old + 1;
      case 5: return old - 1;
      case 6: return limits[rng_() % limits.size()];
      default: return pick32();
    }
  }

  // tokens that are legal for a command of queue q (none from or to itself)
  void tokens(isa::Command& c, unsigned own_bit) {
    const unsigned pop = pick(0, 15) & ~own_bit, push = pick(0, 15) & ~own_bit;
    c.w[0] = (c.w[0] & ~0xFF00u) | (pop << 8) | (push << 12);
  }

  isa::Command valid_base() {
    const unsigned r = pick(0, 99);
    if (r < 22) return transfer(true);
    if (r < 44) return transfer(false);
    if (r < 64) return gemm();
    if (r < 88) {
      const auto f = isa::kVecFuncValues[rng_() % isa::kVecFuncValues.size()];
      isa::Command c = vec_.make(f, scratch_, 8).encode();
      tokens(c, isa::bit(isa::Queue::Vec));
      return c;
    }
    if (r < 93) {
      isa::NopCmd n;
      n.target = static_cast<isa::Queue>(pick(0, 3));
      isa::Command c = n.encode();
      tokens(c, isa::bit(n.target));
      return c;
    }
    if (r < 96) return isa::FenceCmd{}.encode();
    if (r < 99) return isa::IrqCmd{}.encode();
    isa::Command c;  // an opcode no command has
    c.w[0] = coin(0.5) ? 0u : pick(8, 255);
    return c;
  }

  isa::Command transfer(bool load) {
    const unsigned bb = cfg_.bus_bytes;
    isa::LoadCmd t;  // STORE has the same layout
    const unsigned space = load ? pick(0, 1) : pick(0, 2);
    t.space = static_cast<isa::Space>(space);
    const std::uint32_t words = space == 0 ? cfg_.aspad_words
                                : space == 1 ? cfg_.wspad_words
                                             : cfg_.acc_rows * cfg_.acc_words_per_row();
    t.row_words = pick(1, std::min(words, 64u));
    t.rows = pick(1, 8);
    t.local_stride = coin(0.2) ? 0 : t.row_words + pick(0, 3);
    const std::uint32_t span = (t.rows - 1) * t.local_stride + t.row_words;
    t.local_addr = span <= words ? pick(0, words - span) : 0;
    t.dram_stride = coin(0.2) ? 0 : bb * pick(t.row_words, 2 * t.row_words);
    const std::uint64_t bytes = std::uint64_t{t.rows - 1} * t.dram_stride + std::uint64_t{t.row_words} * bb;
    const std::uint64_t lo = (std::uint64_t{win_base_} + bb - 1) / bb * bb;
    const std::uint64_t hi = std::min<std::uint64_t>(std::uint64_t{win_base_} + win_size_, 1ull << 32);
    if (lo + bytes <= hi) {
      const std::uint64_t slots = (hi - lo - bytes) / bb;
      const std::uint64_t at = coin(0.3) ? slots : rng_() % (slots + 1);  // often flush with the end
      t.dram_addr = static_cast<std::uint32_t>(lo + at * bb);
    } else {
      t.dram_addr = pick32() & ~(bb - 1);
    }
    isa::Command c;
    if (load) {
      c = t.encode();
    } else {
      isa::StoreCmd s;
      s.dram_addr = t.dram_addr, s.dram_stride = t.dram_stride, s.rows = t.rows, s.row_words = t.row_words;
      s.local_addr = t.local_addr, s.space = t.space, s.local_stride = t.local_stride;
      c = s.encode();
    }
    tokens(c, isa::bit(load ? isa::Queue::Load : isa::Queue::Store));
    return c;
  }

  isa::Command gemm() {
    isa::GemmCmd g;
    g.bf16 = coin(0.5);
    g.a_unsigned = !g.bf16 && coin(0.3);
    g.accumulate = coin(0.5);
    g.w_transposed = coin(0.3);
    const unsigned tile = g.w_transposed ? cfg_.cols : cfg_.rows;
    g.m = pick(1, std::min(cfg_.acc_rows, 48u));
    g.k_tiles = pick(1, 4);
    g.n_tiles = pick(1, 4);
    g.a_kstride = coin(0.2) ? 0 : g.m + pick(0, 2);
    g.w_nstride = tile * pick(0, 1);
    g.w_kstride = coin(0.2) ? 0 : tile * g.n_tiles;
    g.acc_nstride = coin(0.2) ? 0 : g.m;
    const auto fit = [&](std::uint32_t span, std::uint32_t size) { return span <= size ? pick(0, size - span) : 0u; };
    g.a_addr = fit((g.k_tiles - 1) * g.a_kstride + g.m, cfg_.aspad_words);
    g.w_addr = fit((g.k_tiles - 1) * g.w_kstride + (g.n_tiles - 1) * g.w_nstride + tile, cfg_.wspad_words);
    g.acc_addr = fit((g.n_tiles - 1) * g.acc_nstride + g.m, cfg_.acc_rows);
    isa::Command c = g.encode();
    tokens(c, isa::bit(isa::Queue::Gemm));
    return c;
  }

  ref::AccelConfig cfg_;
  std::mt19937_64 rng_;
  npu::tb::VecCmdGen vec_;
  ref::LocalMemories scratch_;
  std::uint32_t win_base_ = 0, win_size_ = 0xFFFFFFFFu;
};

struct Decoder {
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  DECODE_CLASS dut{ctx.get(), "TOP"};
  npu::tb::CoverageWriter coverage{*ctx};
  Fault code = Fault::None;
  bool fault = false;
  unsigned queue = 0;
  bool barrier = false;

  void eval(const isa::Command& c, std::uint8_t fetch_err, std::uint32_t base, std::uint32_t size) {
    for (unsigned w = 0; w < isa::kCmdWords; ++w) npu::tb::put_bits(dut.cmd_i, 32 * w, 32, c.w[w]);
    dut.fetch_err_i = fetch_err;
    dut.window_base_i = base;
    dut.window_size_i = size;
    dut.eval();
    code = static_cast<Fault>(dut.code_o);
    fault = dut.fault_o;
    queue = dut.queue_o;
    barrier = dut.is_barrier_o;
  }
  Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
};

// Runs `count` commands of `seed`; returns how many commands gave each code.
std::map<std::string, std::uint64_t> differential(std::uint64_t seed, std::uint64_t count) {
  const ref::AccelConfig cfg = config();
  REQUIRE(cfg.acc_words_per_row() == DEC_ACC_WPR);  // the model and the RTL see one ACC row shape
  ref::AccelModel model(cfg);
  ref::install(model);
  Decoder dec;
  BoundaryGen gen(cfg, seed);
  std::map<std::string, std::uint64_t> seen;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i % 256 == 0) {
      gen.new_window();
      model.set_window(gen.win_base(), gen.win_size());
    }
    const isa::Command c = gen.next();
    // now and then a fetch error (AXI response, ring or window), which comes first
    const std::uint8_t fetch_err = gen.rng()() % 100 == 0 ? static_cast<std::uint8_t>(1 + gen.rng()() % 11) : 0;
    Fault want = fetch_err ? static_cast<Fault>(fetch_err) : model.check(c);
    dec.eval(c, fetch_err, gen.win_base(), gen.win_size());
    const auto op = static_cast<Op>(c.w[0] & 0xFF);
    const bool barrier = op == Op::Fence || op == Op::Irq;
    unsigned queue = 0;
    if (want == Fault::None && !barrier)
      queue = static_cast<unsigned>(isa::queue_of(c));
    const bool agree = dec.code == want && dec.fault == (want != Fault::None) &&
                       (want != Fault::None || (dec.barrier == barrier && (barrier || dec.queue == queue)));
    if (!agree)
      FAIL(fmt::format("seed {} command {}: {}\n  window base {:#x} size {:#x}, fetch error {}\n"
                       "  npu_cmd_decode: fault {} code {} queue {} barrier {}\n  AccelModel::check: {} (queue {}, barrier {})",
                       seed, i, describe(c), gen.win_base(), gen.win_size(), fetch_err, dec.fault,
                       isa::fault_name(dec.code), dec.queue, dec.barrier, isa::fault_name(want), queue, barrier));
    ++seen[isa::fault_name(want)];
  }
  return seen;
}

void report(std::uint64_t seed, const std::map<std::string, std::uint64_t>& seen) {
  std::uint64_t total = 0;
  for (const auto& kv : seen) total += kv.second;
  std::string s = fmt::format(" {} commands, 0 disagreements;", total);
  for (const auto& [name, n] : seen) s += fmt::format(" {} {}", name, n);
  fmt::print("[cmd_decode {}] seed {}:{}\n", DECODE_CONFIG, seed, s);
}

}  // namespace

TEST_CASE("npu_cmd_decode agrees with AccelModel::check on boundary-biased commands") {
  for (std::uint64_t seed : npu::tb::test_seeds({1})) {
    npu::tb::announce(seed);
    const auto seen = differential(seed, DEC_COMMANDS);
    report(seed, seen);
    // every verdict a command can have occurs, so each check is reached
    for (Fault f : {Fault::None, Fault::IllegalOpcode, Fault::AddrWindow, Fault::SpadRange, Fault::AccRange,
                    Fault::Align, Fault::BadField})
      CHECK(seen.count(isa::fault_name(f)) == 1);
  }
}

TEST_CASE("npu_cmd_decode agrees with AccelModel::check on 10 million boundary-biased commands", "[nightly]") {
  for (std::uint64_t seed : npu::tb::test_seeds({101, 102})) {
    npu::tb::announce(seed);
    report(seed, differential(seed, 5000000));
  }
}
