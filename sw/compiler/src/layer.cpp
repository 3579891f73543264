#include "npu/compiler/layer.hpp"
#include "npu/compiler/schedule.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace npu::compiler {
namespace {

using isa::Queue;
using isa::Space;
using isa::VecFunc;
using Bf16 = ref::Matrix<std::uint16_t>;

constexpr std::uint32_t kFp32One = 0x3F800000u;

unsigned ceil_div(unsigned a, unsigned b) { return (a + b - 1) / b; }

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("layer compiler: " + what);
}

// The buffers of a layer do not fit a scratchpad (the row-blocked form may still fit).
struct DoesNotFit : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

void check_u16(unsigned v, const char* field) {
  if (v > 0xFFFF) fail(std::string(field) + " " + std::to_string(v) + " does not fit its 16-bit field");
}

// ---- host-side images and allocators --------------------------------------------

// The DRAM image of everything constant: weights, parameter blobs, zeros.
class DramImage {
 public:
  DramImage(std::uint32_t base, unsigned bus) : base_(base), bus_(bus) {}
  std::uint32_t put(const std::vector<std::uint8_t>& b) {
    const auto at = static_cast<std::uint32_t>(bytes_.size());
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    bytes_.resize(bytes_.size() + (bus_ - bytes_.size() % bus_) % bus_, 0);  // keep every blob bus-aligned
    return base_ + at;
  }
  std::uint32_t end() const { return base_ + static_cast<std::uint32_t>(bytes_.size()); }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::uint32_t base_;
  unsigned bus_;
  std::vector<std::uint8_t> bytes_;
};

// Bump allocator of one scratchpad, from the bottom or the top.
class SpadAlloc {
 public:
  SpadAlloc(const char* name, std::uint32_t words) : name_(name), lo_(0), hi_(words) {}
  std::uint32_t take(std::uint32_t words, const std::string& what) {
    check(words, what);
    lo_ += words;
    return lo_ - words;
  }
  std::uint32_t take_top(std::uint32_t words, const std::string& what) {
    check(words, what);
    hi_ -= words;
    return hi_;
  }
  std::uint32_t lo() const { return lo_; }
  std::uint32_t free() const { return hi_ - lo_; }

 private:
  void check(std::uint32_t words, const std::string& what) const {
    if (words > hi_ - lo_)
      fail(std::string(name_) + ": " + what + " needs " + std::to_string(words) + " words, " +
           std::to_string(hi_ - lo_) + " free");
  }
  const char* name_;
  std::uint32_t lo_, hi_;
};

// Buffers that live over steps [first, last] of a layer share words when
// their lifetimes are disjoint: first fit, largest first. Overlapping
// placements stay correct either way (the tokens follow the footprints); this
// only decides what fits.
class LifetimeAlloc {
 public:
  // Returns a handle for offset().
  std::size_t add(std::string name, std::uint32_t words, unsigned first, unsigned last) {
    bufs_.push_back({std::move(name), words, first, last, 0});
    return bufs_.size() - 1;
  }
  // Places every buffer in [base, base + limit); throws naming the peak.
  void solve(std::uint32_t base, std::uint32_t limit, const char* space) {
    std::vector<std::size_t> order(bufs_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return bufs_[a].words > bufs_[b].words;
    });
    std::vector<std::size_t> placed;
    std::uint32_t end = 0;
    for (std::size_t i : order) {
      Buf& b = bufs_[i];
      std::uint32_t at = 0;
      for (bool moved = true; moved;) {  // the lowest offset clear of every live neighbour
        moved = false;
        for (std::size_t j : placed) {
          const Buf& o = bufs_[j];
          const bool live = b.first <= o.last && o.first <= b.last;
          if (live && at < o.offset + o.words && o.offset < at + b.words) {
            at = o.offset + o.words;
            moved = true;
          }
        }
      }
      b.offset = at;
      end = std::max(end, at + b.words);
      placed.push_back(i);
    }
    if (end > limit) {
      std::string what;
      for (const Buf& b : bufs_) what += " " + b.name + "=" + std::to_string(b.words);
      throw DoesNotFit("layer compiler: " + std::string(space) + ": the layer's buffers need " + std::to_string(end) +
                       " words at their peak, " + std::to_string(limit) + " free (words:" + what + ")");
    }
    for (Buf& b : bufs_) b.offset += base;
  }
  std::uint32_t offset(std::size_t h) const { return bufs_.at(h).offset; }
  // No buffer that starts living after h ends shares its words: h's data is
  // still there when the layer ends (for probes).
  bool intact(std::size_t h) const {
    const Buf& b = bufs_.at(h);
    for (const Buf& o : bufs_)
      if (o.first > b.last && o.offset < b.offset + b.words && b.offset < o.offset + o.words) return false;
    return true;
  }

 private:
  struct Buf {
    std::string name;
    std::uint32_t words;
    unsigned first, last;
    std::uint32_t offset;
  };
  std::vector<Buf> bufs_;
};

// Commands in program order; take_into() sets their tokens from what each one
// reads and writes (schedule.hpp), so queues overlap wherever the placement
// lets them, and no token is left behind.
// Each command is labelled with the op it was emitted for (set_op, or an
// OpScope), for the per-op breakdown of CompiledLayer::op_names / op_of.
class CmdStream {
 public:
  explicit CmdStream(const ref::AccelConfig& cfg) : cfg_(cfg) {}
  void add(isa::Command c) {
    cmds_.push_back(c);
    op_of_.push_back(static_cast<std::uint16_t>(op_));
  }
  // Sets tokens (assign_tokens) and moves the commands and their labels into `out`.
  void take_into(CompiledLayer& out) {
    assign_tokens(cmds_, cfg_);
    out.cmds = std::move(cmds_);
    out.op_names = std::move(names_);
    out.op_of = std::move(op_of_);
  }
  std::size_t size() const { return cmds_.size(); }
  std::size_t op() const { return op_; }
  void set_op(std::size_t i) { op_ = i; }
  void set_op(const std::string& name) {
    const auto it = std::find(names_.begin(), names_.end(), name);
    op_ = static_cast<std::size_t>(it - names_.begin());
    if (it == names_.end()) names_.push_back(name);
  }

 private:
  const ref::AccelConfig& cfg_;
  std::vector<isa::Command> cmds_;
  std::vector<std::string> names_{"other"};
  std::vector<std::uint16_t> op_of_;
  std::size_t op_ = 0;
};

// Labels the commands emitted in its scope with `name`, then restores the label before.
class OpScope {
 public:
  OpScope(CmdStream& c, const std::string& name) : c_(c), prev_(c.op()) { c_.set_op(name); }
  ~OpScope() { c_.set_op(prev_); }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  CmdStream& c_;
  std::size_t prev_;
};

// ---- placements ---------------------------------------------------------------

// T x cols BF16 in the GEMM A layout [kt][row] at addr.
Placement a_layout(std::uint32_t addr, unsigned rows, unsigned cols, const Target& t) {
  return {Space::Aspad, addr, 1, rows, t.rows, rows, cols};
}
unsigned a_words(unsigned rows, unsigned cols, const Target& t) { return ceil_div(cols, t.rows) * rows; }
// T x cols int8 in the INT8 GEMM A layout [kt][row] (2*Rows bytes per word).
Placement a_layout_i8(std::uint32_t addr, unsigned rows, unsigned cols, const Target& t) {
  return {Space::Aspad, addr, 1, rows, 2 * t.rows, rows, cols};
}
unsigned a_words_i8(unsigned rows, unsigned cols, const Target& t) { return ceil_div(cols, 2 * t.rows) * rows; }

// A GEMM result in ACC: N tile nt of row r at addr + nt*rows + r.
Placement acc_layout(std::uint32_t addr, unsigned rows, unsigned cols, const Target& t) {
  return {Space::Acc, addr, 1, rows, t.cols, rows, cols};
}

// One LOAD/STORE block: rows of row_words words at DRAM and local strides.
isa::Transfer transfer(std::uint32_t dram, std::uint32_t dram_stride, unsigned rows, unsigned row_words, Space sp,
                       std::uint32_t local, std::uint32_t local_stride) {
  check_u16(rows, "transfer rows");
  check_u16(row_words, "transfer row words");
  isa::Transfer tr;
  tr.dram_addr = dram;
  tr.dram_stride = dram_stride;
  tr.rows = rows;
  tr.row_words = row_words;
  tr.space = sp;
  tr.local_addr = local;
  tr.local_stride = local_stride;
  return tr;
}

// ---- parameters (PARAMS) ------------------------------------------------------

// Per-channel values of one VEC op: channel c of column c (P2 unused here).
struct ParamSet {
  std::vector<std::uint32_t> p0, p1;
  std::vector<std::uint32_t> p2 = {};  // INT8 only (REQUANT shift)
};

// DRAM address of the PARAMS blob of (parameter set, first channel, channels).
using BlobMap = std::map<std::tuple<const ParamSet*, unsigned, unsigned>, std::uint32_t>;

// Everything the emitters share.
struct Ctx {
  const ref::AccelConfig& cfg;
  Target t;
  DramImage& dram;
  CmdStream& cmds;
  std::uint32_t params_stage;  // ASPAD words for one PARAMS row
  BlobMap& blobs;
  bool frozen = false;  // the image is shared and complete: every blob must exist already
  // PARAMS blobs hold one channel per word (key (ps, 0, 0)): any channel range is a
  // word range of one blob, so a shared image serves every blocking.
  bool word_per_channel = false;
  bool int8 = false;  // GEMMs in INT8 mode (K depth 2*Rows per tile)
  // Ping-pong halves of the WSPAD and ACC windows: consecutive W loads and
  // ACC blocks alternate, so a LOAD fills one half while the GEMM reads the
  // other and a GEMM fills one ACC half while VEC drains the other.
  unsigned wsp_turn = 0, acc_turn = 0;
  // What the VEC parameter buffer holds after the last PARAMS so far (in VEC
  // order, which is program order): a PARAMS of the same channels is not repeated.
  std::optional<std::tuple<const ParamSet*, unsigned, unsigned>> params_loaded = std::nullopt;
};

// The PARAMS blob of channels [c0, c0+n) of `ps`, appended to the image once.
std::uint32_t params_blob(DramImage& dram, BlobMap& blobs, unsigned bus, const ParamSet& ps, unsigned c0,
                          unsigned n, bool frozen) {
  const unsigned per_word = bus / 4, words = ceil_div(3 * n, per_word);
  auto key = std::make_tuple(&ps, c0, n);
  auto it = blobs.find(key);
  if (it == blobs.end()) {
    if (frozen) throw std::logic_error("layer compiler: a PARAMS blob missing from a shared image");
    std::vector<std::uint8_t> b(std::size_t{words} * bus, 0);
    for (unsigned e = 0; e < n; ++e) {
      const std::uint32_t v[3] = {ps.p0.empty() ? 0 : ps.p0.at(c0 + e), ps.p1.empty() ? 0 : ps.p1.at(c0 + e),
                                  ps.p2.empty() ? 0 : ps.p2.at(c0 + e)};
      for (unsigned k = 0; k < 3; ++k)
        for (unsigned i = 0; i < 4; ++i) b[(3 * e + k) * 4 + i] = static_cast<std::uint8_t>(v[k] >> (8 * i));
    }
    it = blobs.emplace(key, dram.put(b)).first;
  }
  return it->second;
}

// The PARAMS blob of all channels of `ps`, channel c in word c (P0, P1, P2 in lanes 0..2).
std::uint32_t params_blob_words(DramImage& dram, BlobMap& blobs, unsigned bus, const ParamSet& ps, bool frozen) {
  const auto key = std::make_tuple(&ps, 0u, 0u);
  auto it = blobs.find(key);
  if (it == blobs.end()) {
    if (frozen) throw std::logic_error("layer compiler: a PARAMS blob missing from a shared image");
    const std::size_t n = std::max(ps.p0.size(), ps.p1.size());
    std::vector<std::uint8_t> b(n * bus, 0);
    for (std::size_t e = 0; e < n; ++e) {
      const std::uint32_t v[2] = {ps.p0.empty() ? 0 : ps.p0.at(e), ps.p1.empty() ? 0 : ps.p1.at(e)};
      for (unsigned k = 0; k < 2; ++k)
        for (unsigned i = 0; i < 4; ++i) b[e * bus + 4 * k + i] = static_cast<std::uint8_t>(v[k] >> (8 * i));
    }
    it = blobs.emplace(key, dram.put(b)).first;
  }
  return it->second;
}

// LOAD + PARAMS of channels [c0, c0+n) of `ps` (blob packed once, reused).
void emit_params(Ctx& x, const ParamSet& ps, unsigned c0, unsigned n) {
  const auto key = std::make_tuple(&ps, c0, n);
  if (x.params_loaded == key) return;
  x.params_loaded = key;
  const unsigned per_word = x.cfg.bus_bytes / 4;
  const unsigned words = x.word_per_channel ? n : ceil_div(3 * n, per_word);
  isa::Transfer tr;
  tr.dram_addr = x.word_per_channel
                     ? params_blob_words(x.dram, x.blobs, x.cfg.bus_bytes, ps, x.frozen) + c0 * x.cfg.bus_bytes
                     : params_blob(x.dram, x.blobs, x.cfg.bus_bytes, ps, c0, n, x.frozen);
  check_u16(words, "PARAMS LOAD words");
  const std::uint32_t stage = x.params_stage;
  tr.row_words = words;
  tr.space = Space::Aspad;
  tr.local_addr = stage;
  x.cmds.add(isa::load(tr));
  isa::VecArgs v;
  v.func = VecFunc::Params;
  v.src = {stage, Space::Aspad, 0, 1, x.word_per_channel ? 3u : per_word};
  v.rows = 1;
  v.n = 3 * n;
  x.cmds.add(isa::vec(v));
}

// ---- op emitters ----------------------------------------------------------------

// One VEC function applied to every row; per-channel parameters come from
// `params` at column param_col0 + (column of the row).
struct VecOp {
  VecFunc func = VecFunc::CvtBf16;
  std::array<std::uint32_t, 4> cfg{};
  const ParamSet* params = nullptr;
  unsigned param_col0 = 0;
  bool whole_row = false;  // a row-wise reduction (softmax, norm): the row cannot be split
};

// dst = op(src[, aux]) over src.rows x src.cols, split into column chunks of
// at most vec_maxlen that start on a word of every stream.
void emit_vec_rowwise(Ctx& x, const VecOp& op, const Placement& src, const Placement& dst,
                      const Placement* aux = nullptr) {
  const unsigned n = src.cols, maxlen = x.cfg.vec_maxlen;
  unsigned chunk = n;
  if (n > maxlen) {
    if (op.whole_row) fail("a row of " + std::to_string(n) + " elements exceeds vec_maxlen " + std::to_string(maxlen));
    unsigned l = std::lcm(src.group, dst.group);
    if (aux) l = std::lcm(l, aux->group);
    chunk = maxlen / l * l;
    if (chunk == 0) fail("vec_maxlen is smaller than one word of every stream");
  }
  check_u16(src.rows, "VEC rows");
  for (unsigned c0 = 0; c0 < n; c0 += chunk) {
    const unsigned nc = std::min(chunk, n - c0);
    if (op.params) emit_params(x, *op.params, op.param_col0 + c0, nc);
    isa::VecArgs v;
    v.func = op.func;
    v.src = src.sub(0, c0, src.rows, nc).stream();
    v.dst = dst.sub(0, c0, src.rows, nc).stream();
    v.dst_pairs = dst.pairs;
    if (aux) v.aux = aux->sub(0, c0, src.rows, nc).stream();
    v.rows = src.rows;
    v.n = nc;
    v.cfg = op.cfg;
    x.cmds.add(isa::vec(v));
  }
}

// The VEC epilogue of a matmul block: called with the ACC block (rows m0..,
// columns c0.. of the result) and, for a matmul pair, the second chain's block.
using Epilogue = std::function<void(const Placement& acc_block, const Placement* acc2, unsigned m0, unsigned c0)>;

// A W operand packed without its +0 tiles: tile (nt, kt) is compact tile
// slot[nt * kt_n + kt] (or -1, skipped), compact tiles in [nt][kt] order, so
// the tiles of consecutive N tiles are one contiguous DRAM range. An N tile
// whose tiles are all +0 keeps its first tile (the GEMM must still clear ACC).
// (Keeping a lone +0 tile between two kept ones, to save a GEMM command, was
// measured slower: 333,410 instead of 308,817 cycles at 25 %, make bench.)
struct TileMap {
  unsigned kt_n = 0, nt_n = 0;
  std::vector<std::int32_t> slot;
  bool sparse() const { return std::find(slot.begin(), slot.end(), -1) != slot.end(); }
};

// One K segment of a matmul: A (ASPAD, A layout) times W packed in DRAM
// (pack_w_bf16 of a k x n matrix, or its compact form with `tiles`). Segments
// accumulate in order, so their concatenation along K is one GEMM in k order.
struct MatmulPart {
  Placement a;
  std::uint32_t w_dram = 0;
  unsigned k = 0;
  const TileMap* tiles = nullptr;  // compact W: only the tiles with a slot are in DRAM
};

// The TileMap of a K x N weight matrix on the tile grid of pack_w_bf16 (kd =
// Rows) or pack_w_i8 (kd = 2*Rows K rows per tile).
template <class E>
TileMap tile_map(const ref::Matrix<E>& w, unsigned kd, const Target& t) {
  TileMap m;
  m.kt_n = ceil_div(static_cast<unsigned>(w.rows()), kd);
  m.nt_n = ceil_div(static_cast<unsigned>(w.cols()), t.cols);
  std::vector<std::uint8_t> nz(std::size_t{m.kt_n} * m.nt_n, 0);
  for (std::size_t r = 0; r < w.rows(); ++r)
    for (std::size_t c = 0; c < w.cols(); ++c)
      if (w(r, c) != 0) nz[(c / t.cols) * m.kt_n + r / kd] = 1;
  m.slot.assign(nz.size(), -1);
  std::int32_t next = 0;
  for (unsigned nt = 0; nt < m.nt_n; ++nt) {
    bool any = false;
    for (unsigned kt = 0; kt < m.kt_n; ++kt) any = any || nz[std::size_t{nt} * m.kt_n + kt];
    if (!any) nz[std::size_t{nt} * m.kt_n] = 1;
    for (unsigned kt = 0; kt < m.kt_n; ++kt)
      if (nz[std::size_t{nt} * m.kt_n + kt]) m.slot[std::size_t{nt} * m.kt_n + kt] = next++;
  }
  return m;
}

// A packed W (pack_w_bf16 or pack_w_i8: Rows words per tile, [nt][kt]) without the tiles `m` skips.
std::vector<std::uint8_t> compact_tiles(const std::vector<std::uint8_t>& dense, const TileMap& m, const Target& t) {
  const std::size_t tile_bytes = std::size_t{t.rows} * t.bus_bytes;
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < m.slot.size(); ++i)
    if (m.slot[i] >= 0)
      out.insert(out.end(), dense.begin() + i * tile_bytes, dense.begin() + (i + 1) * tile_bytes);
  return out;
}

struct Window {
  std::uint32_t addr = 0, size = 0;
};

// C = [A_0 | A_1 | ...] x [W_0; W_1; ...] (n columns), blocked so that the W
// tiles of one block fit the WSPAD window and the C block fits the ACC window;
// each finished block goes through `epi` before the next overwrites ACC.
// N blocks are whole multiples of lcm(Rows, Cols) columns so that every
// epilogue starts on a word of an A-layout or ACC stream. With `parts2` (a
// second chain over the same rows and n, e.g. SwiGLU's W3 next to W1) both
// chains' blocks are in ACC together when the epilogue runs.
// whole_n: the epilogue needs all n columns in one block (a RoPE head); K is
// then chunked to fit WSPAD and M to fit ACC.
void emit_matmul(Ctx& x, const std::vector<MatmulPart>& parts, unsigned n, Window wsp, Window acc,
                 const Epilogue& epi, const std::vector<MatmulPart>& parts2 = {}, bool whole_n = false) {
  const Target& t = x.t;
  const unsigned rows = parts.front().a.rows, nt_n = ceil_div(n, t.cols);
  const unsigned kd = x.int8 ? 2 * t.rows : t.rows;  // K depth of one tile
  std::vector<const std::vector<MatmulPart>*> chains{&parts};
  if (!parts2.empty()) chains.push_back(&parts2);
  unsigned kt_max = 0;
  for (const auto* chain : chains)
    for (const auto& p : *chain) {
      if (p.a.space != Space::Aspad || p.a.group != kd || p.a.row_stride != 1 || p.a.rows != rows)
        throw std::logic_error("emit_matmul: A must be in the A layout, every part with the same rows");
      kt_max = std::max(kt_max, ceil_div(p.k, kd));
    }
  // Tiles per N tile a whole-K WSPAD buffer holds: a compact part loads only its kept tiles.
  unsigned kt_fit = 0;
  for (const auto* chain : chains) {
    const bool compact = std::any_of(chain->begin(), chain->end(), [](const MatmulPart& p) {
      return p.tiles && p.tiles->sparse();
    });
    for (const auto& p : *chain) {
      unsigned fit = ceil_div(p.k, kd);
      if (compact && p.tiles) {
        fit = 0;
        for (unsigned nt = 0; nt < p.tiles->nt_n; ++nt) {
          unsigned kept = 0;
          for (unsigned kt = 0; kt < p.tiles->kt_n; ++kt) kept += p.tiles->slot[std::size_t{nt} * p.tiles->kt_n + kt] >= 0;
          fit = std::max(fit, kept);
        }
      }
      kt_fit = std::max(kt_fit, fit);
    }
  }
  const unsigned align = std::lcm(kd, t.cols) / t.cols;  // N tiles per aligned block
  const auto round = [&](unsigned tiles) { return tiles >= nt_n ? nt_n : tiles / align * align; };
  // The blocking for WSPAD and ACC buffers of wsp_size and acc_size (per chain);
  // nullopt if one K tile or one row block does not fit.
  struct Plan {
    unsigned n_blk, k_blk, m_blk;
  };
  // The GEMM engine walks K tiles outer, N tiles inner, and a row waits for its
  // own previous K tile to leave the array (about Rows + Cols + 16 cycles): with
  // few rows, a block needs enough N tiles to cover that wait.
  const unsigned wait = t.rows + t.cols + 16, per_tile = std::max(rows, std::max(t.rows, t.cols) + 1);
  const unsigned n_min = std::min(nt_n, ceil_div(ceil_div(wait, per_tile), align) * align);
  const auto plan = [&](unsigned wsp_size, unsigned acc_size) -> std::optional<Plan> {
    // Prefer whole K in WSPAD; else K chunks of an N block of at least n_min tiles.
    unsigned n_blk = round(wsp_size / (kt_fit * t.rows));
    unsigned k_blk = kt_max;
    if (whole_n) n_blk = nt_n;
    if (n_blk == 0 || (!whole_n && n_blk < n_min) || (whole_n && n_blk * kt_fit * t.rows > wsp_size)) {
      if (!whole_n) n_blk = n_min;
      k_blk = wsp_size / (n_blk * t.rows);
      if (k_blk == 0 && !whole_n) {
        n_blk = std::min(nt_n, align);
        k_blk = wsp_size / (n_blk * t.rows);
      }
      if (k_blk == 0) return std::nullopt;
    }
    if (!whole_n) n_blk = std::min(n_blk, round(acc_size / std::min(rows, std::max(acc_size, 1u))));
    if (n_blk == 0) n_blk = std::min(nt_n, align);
    const unsigned m_blk = std::min({rows, acc_size / n_blk, 65535u});
    if (m_blk == 0) return std::nullopt;
    return Plan{n_blk, k_blk, m_blk};
  };
  // Double-buffered if both halves hold a block, else one buffer each.
  const unsigned share = acc.size / static_cast<unsigned>(chains.size());
  // With few rows a block's GEMM takes about as long as its W LOAD: three WSPAD
  // buffers in turn let the LOAD of block j+1 start while block j-1's GEMM still
  // runs (the LOAD engine overlaps consecutive commands), so DMA never waits.
  unsigned wbufs = rows <= 2 * t.rows ? 3 : 2;
  std::optional<Plan> pl = plan(wsp.size / wbufs, share / 2);
  if (!pl && wbufs == 3) pl = plan(wsp.size / (wbufs = 2), share / 2);
  const bool ping_pong = pl.has_value();
  if (!pl) pl = plan(wsp.size, share);
  if (!pl) fail("WSPAD window of " + std::to_string(wsp.size) + " words or ACC window of " + std::to_string(acc.size) +
                " rows holds no block");
  const unsigned n_blk = pl->n_blk, k_blk = pl->k_blk, m_blk = pl->m_blk;
  const auto next = [&](Window w, unsigned& turn) {
    if (!ping_pong) return w;
    const unsigned n = &turn == &x.wsp_turn ? wbufs : 2;  // WSPAD buffers, ACC halves
    const Window h{w.addr + (turn++ % n) * (w.size / n), w.size / n};
    return h;
  };
  for (unsigned m0 = 0; m0 < rows; m0 += m_blk) {
    const unsigned mr = std::min(m_blk, rows - m0);
    for (unsigned nt0 = 0; nt0 < nt_n; nt0 += n_blk) {
      const unsigned nc = std::min(n_blk, nt_n - nt0);
      const Window accb = next(acc, x.acc_turn);
      const unsigned chain_rows = accb.size / static_cast<unsigned>(chains.size());
      for (std::size_t ci = 0; ci < chains.size(); ++ci) {
        const std::uint32_t acc_addr = accb.addr + static_cast<std::uint32_t>(ci) * chain_rows;
        bool first = true;
        // One LOAD + GEMM per run of K tiles [k0, k0 + kc) of W part p.
        const auto emit_run = [&](const MatmulPart& p, unsigned kt_n, unsigned k0, unsigned kc) {
          const Window wb = next(wsp, x.wsp_turn);
          isa::Transfer tw;  // W [nt][kt][r]: nc N tiles of kc K tiles each
          tw.dram_addr = p.w_dram + (nt0 * kt_n + k0) * t.rows * t.bus_bytes;
          tw.dram_stride = kt_n * t.rows * t.bus_bytes;
          tw.rows = nc;
          tw.row_words = kc * t.rows;
          tw.space = Space::Wspad;
          tw.local_addr = wb.addr;
          tw.local_stride = kc * t.rows;
          x.cmds.add(isa::load(tw));
          isa::GemmArgs g;
          g.bf16 = !x.int8;
          g.accumulate = !first;
          g.a_addr = p.a.word(m0, k0 * kd);
          g.a_kstride = p.a.group_stride;
          g.w_addr = wb.addr;
          g.w_kstride = t.rows;
          g.w_nstride = kc * t.rows;
          g.acc_addr = acc_addr;
          g.acc_nstride = mr;
          g.m = mr;
          g.k_tiles = kc;
          g.n_tiles = nc;
          x.cmds.add(isa::gemm(g));
          first = false;
        };
        // A compact part: per K chunk one LOAD of the block's tiles (contiguous
        // in DRAM when the chunk is all of K, else one LOAD per N tile), then one
        // GEMM per N tile and run of consecutive kept K tiles.
        std::vector<bool> started(nc, false);
        const auto emit_compact = [&](const MatmulPart& p, unsigned kt_n) {
          const TileMap& tm = *p.tiles;
          const auto slot = [&](unsigned nt, unsigned kt) { return tm.slot[std::size_t{nt} * kt_n + kt]; };
          for (unsigned kt0 = 0; kt0 < kt_n; kt0 += k_blk) {
            const unsigned kend = std::min(kt0 + k_blk, kt_n);
            // The kept tiles of N tile nt in [kt0, kend) are compact slots [lo[nt], hi[nt]).
            std::vector<std::int32_t> lo(nc, -1), hi(nc, -1);
            unsigned total = 0;
            for (unsigned j = 0; j < nc; ++j)
              for (unsigned kt = kt0; kt < kend; ++kt)
                if (const std::int32_t sl = slot(nt0 + j, kt); sl >= 0) {
                  if (lo[j] < 0) lo[j] = sl;
                  hi[j] = sl + 1;
                  ++total;
                }
            if (total == 0) continue;
            const Window wb = next(wsp, x.wsp_turn);
            const std::uint32_t tile_bytes = t.rows * t.bus_bytes;
            std::vector<std::uint32_t> at(nc, 0);  // WSPAD word of N tile j's first kept tile
            if (kt0 == 0 && kend == kt_n) {
              std::int32_t first = -1, last = -1;
              for (unsigned j = 0; j < nc; ++j)
                if (lo[j] >= 0) {
                  if (first < 0) first = lo[j];
                  last = hi[j];
                }
              isa::Transfer tw;
              tw.dram_addr = p.w_dram + static_cast<std::uint32_t>(first) * tile_bytes;
              tw.rows = 1;
              tw.row_words = static_cast<std::uint32_t>(last - first) * t.rows;
              tw.space = Space::Wspad;
              tw.local_addr = wb.addr;
              x.cmds.add(isa::load(tw));
              for (unsigned j = 0; j < nc; ++j)
                if (lo[j] >= 0) at[j] = wb.addr + static_cast<std::uint32_t>(lo[j] - first) * t.rows;
            } else {
              std::uint32_t word = wb.addr;
              for (unsigned j = 0; j < nc; ++j) {
                if (lo[j] < 0) continue;
                isa::Transfer tw;
                tw.dram_addr = p.w_dram + static_cast<std::uint32_t>(lo[j]) * tile_bytes;
                tw.rows = 1;
                tw.row_words = static_cast<std::uint32_t>(hi[j] - lo[j]) * t.rows;
                tw.space = Space::Wspad;
                tw.local_addr = word;
                x.cmds.add(isa::load(tw));
                at[j] = word;
                word += tw.row_words;
              }
            }
            for (unsigned j = 0; j < nc; ++j) {
              for (unsigned kt = kt0; kt < kend;) {
                if (slot(nt0 + j, kt) < 0) {
                  ++kt;
                  continue;
                }
                unsigned k1 = kt;
                while (k1 < kend && slot(nt0 + j, k1) >= 0) ++k1;
                isa::GemmArgs g;
                g.bf16 = !x.int8;
                g.accumulate = started[j];
                g.a_addr = p.a.word(m0, kt * kd);
                g.a_kstride = p.a.group_stride;
                g.w_addr = at[j] + static_cast<std::uint32_t>(slot(nt0 + j, kt) - lo[j]) * t.rows;
                g.w_kstride = t.rows;
                g.w_nstride = t.rows;
                g.acc_addr = acc_addr + j * mr;
                g.acc_nstride = mr;
                g.m = mr;
                g.k_tiles = k1 - kt;
                g.n_tiles = 1;
                x.cmds.add(isa::gemm(g));
                started[j] = true;
                kt = k1;
              }
            }
          }
        };
        bool compact = false;
        for (const auto& p : *chains[ci]) compact = compact || (p.tiles && p.tiles->sparse());
        for (const auto& p : *chains[ci]) {
          const unsigned kt_n = ceil_div(p.k, kd);
          if (compact) {
            if (p.tiles) {
              emit_compact(p, kt_n);
            } else {
              TileMap dense;  // a dense part of a compact chain: every tile kept, in order
              dense.kt_n = kt_n, dense.nt_n = nt_n;
              for (unsigned i = 0; i < kt_n * nt_n; ++i) dense.slot.push_back(static_cast<std::int32_t>(i));
              const MatmulPart dp{p.a, p.w_dram, p.k, &dense};
              emit_compact(dp, kt_n);
            }
            continue;
          }
          // K chunks of equal size: a short last chunk would be a LOAD mostly of latency.
          const unsigned kb = ceil_div(kt_n, ceil_div(kt_n, k_blk));
          for (unsigned kt0 = 0; kt0 < kt_n; kt0 += kb) emit_run(p, kt_n, kt0, std::min(kb, kt_n - kt0));
        }
        if (compact)
          for (unsigned j = 0; j < nc; ++j)
            if (!started[j]) throw std::logic_error("emit_matmul: an N tile without a kept tile");
      }
      const unsigned c0 = nt0 * t.cols, cols = std::min(nc * t.cols, n - c0);
      const Placement acc2 = acc_layout(accb.addr + chain_rows, mr, cols, t);
      epi(acc_layout(accb.addr, mr, cols, t), chains.size() > 1 ? &acc2 : nullptr, m0, c0);
    }
  }
}

// ---- INT8 (I-BERT) op parameters ----

using I8m = ref::Matrix<std::int8_t>;

std::uint32_t shift_bits(int s) { return static_cast<std::uint32_t>(s) & 0x3Fu; }
std::uint32_t shift_zp(const ref::RequantParams& p) {
  return shift_bits(p.shift) | (static_cast<std::uint32_t>(p.zero_point) << 8);
}

// REQUANT parameters of columns c0..c0+n-1 of a linear layer: P0 = M, P1 = bias, P2 = shift.
ParamSet requant_set(const ref::QuantLinearInt8& l, std::size_t c0, std::size_t n) {
  ParamSet ps;
  for (std::size_t c = c0; c < c0 + n; ++c) {
    ps.p0.push_back(static_cast<std::uint32_t>(l.rq.at(c).multiplier));
    ps.p1.push_back(l.bias.empty() ? 0u : static_cast<std::uint32_t>(l.bias.at(c)));
    ps.p2.push_back(shift_bits(l.rq.at(c).shift));
  }
  return ps;
}
// The same (M, s) on n channels, no bias.
ParamSet uniform_set(const ref::RequantParams& p, std::size_t n) {
  ParamSet ps;
  ps.p0.assign(n, static_cast<std::uint32_t>(p.multiplier));
  ps.p1.assign(n, 0u);
  ps.p2.assign(n, shift_bits(p.shift));
  return ps;
}
ParamSet norm_set(const ref::QuantNormInt8& nm) {
  ParamSet ps;
  for (auto g : nm.gamma) ps.p0.push_back(static_cast<std::uint32_t>(static_cast<std::int32_t>(g)) & 0xFFu);
  for (auto b : nm.beta) ps.p1.push_back(static_cast<std::uint32_t>(b));
  return ps;
}

VecOp requant_op(const ParamSet& ps, std::int32_t zero_point, bool lut = false) {
  VecOp op;
  op.func = VecFunc::Requant;
  op.cfg = {static_cast<std::uint32_t>(zero_point), lut ? 1u : 0u, 0, 0};
  op.params = &ps;
  return op;
}
VecOp add_i8_op(const ref::IntAddParams& p) {
  VecOp op;
  op.func = VecFunc::AddI8;
  op.cfg = {(static_cast<std::uint32_t>(p.za) & 0xFFu) | ((static_cast<std::uint32_t>(p.zb) & 0xFFu) << 8),
            (static_cast<std::uint32_t>(p.ka) & 0xFFFFu) | (static_cast<std::uint32_t>(p.kb) << 16),
            static_cast<std::uint32_t>(p.out.multiplier), shift_zp(p.out)};
  return op;
}
VecOp layernorm_i32_op(const ParamSet& ps, const ref::IntNormParams& p) {
  VecOp op;
  op.func = VecFunc::LayernormI32;
  op.cfg = {p.eps_q16, static_cast<std::uint32_t>(p.out.multiplier), shift_zp(p.out), 0};
  op.params = &ps;
  op.whole_row = true;
  return op;
}

// Where one attention head reads and writes.
struct HeadPlaces {
  Placement q;   // T x hd, ASPAD A layout
  Placement kt;  // K_g^T tiles in WSPAD: token n's key is the A-layout row n (w_transposed)
  Placement v;   // V_g in WSPAD as W tiles: token t is word t of its column tile (w_kstride Rows)
  Placement p;   // T x T probabilities, ASPAD A layout (the A of P x V); or one row block of them
  Placement o;   // T x hd output, ASPAD A layout
};

// The query rows of one attention block: as many as the ACC window (or half
// of it, so blocks alternate halves) holds for the N keys and hd outputs.
unsigned attention_rows(unsigned T, unsigned N, unsigned hd, Window acc, const Target& t) {
  const unsigned per_row = std::max(ceil_div(N, t.cols), ceil_div(hd, t.cols));
  const unsigned size = acc.size / 2 >= per_row ? acc.size / 2 : acc.size;
  return std::min(T, size / per_row);
}

// The attention GEMMs: S[rows] = Q[r0 ..] K^T (K^T tiles at kt, kt_stride words
// between K tiles, n_tiles N tiles of Cols keys) and O[rows] (+)= P[r0 .., c0 ..] V
// (k_tiles K tiles of Rows keys, V's N tiles v_nstride words apart), into ACC at acc.
isa::GemmArgs scores_gemm(const Placement& q, unsigned r0, unsigned rows, std::uint32_t kt, unsigned kt_stride,
                          unsigned n_tiles, std::uint32_t acc, const Target& t, bool int8 = false) {
  isa::GemmArgs g;
  g.bf16 = !int8;
  g.w_transposed = true;
  g.a_addr = q.word(r0, 0);
  g.a_kstride = q.group_stride;
  g.k_tiles = ceil_div(q.cols, int8 ? 2 * t.rows : t.rows);
  g.w_addr = kt;
  g.w_kstride = kt_stride;
  g.n_tiles = n_tiles;
  g.w_nstride = t.cols;
  g.acc_addr = acc;
  g.acc_nstride = rows;
  g.m = rows;
  return g;
}
isa::GemmArgs pv_gemm(const Placement& p, unsigned r0, unsigned c0, unsigned rows, unsigned k_tiles, std::uint32_t v,
                      unsigned v_nstride, unsigned n_tiles, std::uint32_t acc, bool accumulate, const Target& t,
                      bool int8 = false) {
  isa::GemmArgs g;
  g.bf16 = !int8;
  g.a_unsigned = int8;  // INT8 P is uint8
  g.accumulate = accumulate;
  g.a_addr = p.word(r0, c0);
  g.a_kstride = p.group_stride;
  g.k_tiles = k_tiles;
  g.w_addr = v;
  g.w_kstride = t.rows;
  g.n_tiles = n_tiles;
  g.w_nstride = v_nstride;
  g.acc_addr = acc;
  g.acc_nstride = rows;
  g.m = rows;
  return g;
}
// SOFTMAX_BF16 of attention scores (scale of head_dim hd; with `causal`, row r keeps keys j <= r + *causal).
VecOp softmax_op(unsigned hd, std::optional<unsigned> causal) {
  VecOp sm;
  sm.func = VecFunc::SoftmaxBf16;
  sm.cfg = {ref::attention_scale_fp32(hd), causal ? 1u : 0u, causal ? *causal : 0u, 0};
  sm.whole_row = true;
  return sm;
}
// CVT_BF16 from ACC, scale 1.0, bias P1 when the bias is present.
VecOp cvt_op(const ParamSet& bias) {
  VecOp op;
  op.func = VecFunc::CvtBf16;
  op.cfg = {kFp32One, bias.p1.empty() ? 0u : 2u, 0, 0};
  if (!bias.p1.empty()) op.params = &bias;
  return op;
}

// S = Q_h K_g^T (ACC), P = SOFTMAX_BF16(S, scale) row by row, O_h = CVT(P V_g),
// in row blocks that fit the ACC window (attention_rows). The keys are the
// kt.rows positions (N); with `causal`, query row r keeps keys j <= r + *causal.
// Q and K^T may carry zero pad columns (q.cols >= hd): the K of Q.K^T is
// q.cols. A p of fewer than T rows holds one or two blocks (block b in rows
// (b % 2) * m_blk .. with two). The scores of block b+1 are issued before P.V
// of block b, so the GEMM queue computes them while VEC runs the softmax of
// block b (not with one P block: its blocks run one after the other).
// With `i8` the head is I-BERT's: S = Q K^T (int32), L = REQUANT(S) (int8, in
// the rows of P), P = SOFTMAX_I8(L) (uint8), O = REQUANT(P V) (int8).
struct HeadI8 {
  Placement l;
  const ParamSet* score_ps = nullptr;  // REQUANT of the scores, N channels
  const ParamSet* pv_ps = nullptr;     // REQUANT of P V, hd channels
  std::uint32_t softmax_q20 = 0;
};

// after_scores, when set, is emitted once every block's scores are, before the
// last P.V: the next head's projections, so the GEMM queue computes them while
// VEC runs this head's softmax (it must not write this head's V or P).
void emit_attention_head(Ctx& x, const HeadPlaces& hp, unsigned hd, Window acc,
                         std::optional<unsigned> causal = std::nullopt, const HeadI8* i8 = nullptr,
                         const std::function<void()>& after_scores = nullptr) {
  if (i8 && causal) throw std::logic_error("emit_attention_head: no causal INT8 head");
  const Target& t = x.t;
  const unsigned kd = i8 ? 2 * t.rows : t.rows;
  const unsigned T = hp.q.rows, N = hp.kt.rows;
  const unsigned nt_s = ceil_div(N, t.cols), nt_o = ceil_div(hd, t.cols);
  // Row blocks alternate between the ACC halves when a half holds one.
  const unsigned per_row = std::max(nt_s, nt_o);
  const bool ping_pong = acc.size / 2 >= per_row;
  const Window full = acc;
  if (ping_pong) acc.size /= 2;
  const unsigned m_blk = attention_rows(T, N, hd, full, t);
  if (m_blk == 0) fail("ACC too small for one attention row");
  const bool p_block = hp.p.rows < T;
  const unsigned p_blocks = std::min(2u, hp.p.rows / m_blk);  // block buffers of P in turn
  if (p_block && p_blocks == 0) throw std::logic_error("emit_attention_head: P smaller than a row block");
  const unsigned blocks = ceil_div(T, m_blk);
  std::vector<std::uint32_t> acc_at(blocks);
  const auto rows_of = [&](unsigned b) { return std::min(m_blk, T - b * m_blk); };
  const auto p_row = [&](unsigned b) { return p_block ? (b % p_blocks) * m_blk : b * m_blk; };
  // S of block b into ACC and (INT8) its REQUANT into L; then the softmax into P.
  const auto logits = [&](unsigned b) {
    const OpScope op(x.cmds, "attention: Q.K^T");
    const unsigned m0 = b * m_blk, mr = rows_of(b);
    acc_at[b] = ping_pong ? full.addr + (x.acc_turn++ & 1u) * acc.size : acc.addr;
    x.cmds.add(isa::gemm(scores_gemm(hp.q, m0, mr, hp.kt.addr, hp.kt.group_stride, nt_s, acc_at[b], t, i8)));
    if (i8) emit_vec_rowwise(x, requant_op(*i8->score_ps, 0), acc_layout(acc_at[b], mr, N, t), i8->l.sub(p_row(b), 0, mr, N));
  };
  const auto softmax = [&](unsigned b) {
    const OpScope op(x.cmds, "attention: softmax");
    const unsigned m0 = b * m_blk, mr = rows_of(b);
    const Placement p = hp.p.sub(p_row(b), 0, mr, N);
    if (i8) {
      VecOp sm;
      sm.func = VecFunc::SoftmaxI8;
      sm.cfg = {i8->softmax_q20, 0, 0, 0};
      sm.whole_row = true;
      emit_vec_rowwise(x, sm, i8->l.sub(p_row(b), 0, mr, N), p);
    } else {
      emit_vec_rowwise(x, softmax_op(hd, causal ? std::optional<unsigned>(*causal + m0) : std::nullopt),
                       acc_layout(acc_at[b], mr, N, t), p);
    }
  };
  const auto scores = [&](unsigned b) { logits(b), softmax(b); };
  const auto output = [&](unsigned b) {
    const OpScope op(x.cmds, "attention: P.V");
    const unsigned m0 = b * m_blk, mr = rows_of(b);
    x.cmds.add(isa::gemm(pv_gemm(hp.p, p_row(b), 0, mr, ceil_div(N, kd), hp.v.addr, hp.v.group_stride, nt_o,
                                 acc_at[b], false, t, i8)));
    emit_vec_rowwise(x, i8 ? requant_op(*i8->pv_ps, 0) : cvt_op({}), acc_layout(acc_at[b], mr, hd, t),
                     hp.o.sub(m0, 0, mr, hd));
  };
  // INT8 with L and P over all rows: S leaves ACC with its REQUANT, so every
  // block's logits go first (the GEMM queue never waits for a softmax), then
  // the softmaxes, after_scores (the next head's projections) and every P.V.
  if (i8 && !p_block && i8->l.rows == T) {
    for (unsigned b = 0; b < blocks; ++b) logits(b);
    for (unsigned b = 0; b < blocks; ++b) softmax(b);
    if (after_scores) after_scores();
    for (unsigned b = 0; b < blocks; ++b) output(b);
    return;
  }
  // With one P block the softmax of b+1 would overwrite P of b before P.V reads it.
  const bool ahead = !p_block || p_blocks == 2;
  if (ahead) scores(0);
  for (unsigned b = 0; b < blocks; ++b) {
    if (!ahead) scores(b);
    else if (b + 1 < blocks) scores(b + 1);
    if (after_scores && (ahead ? b + 2 == std::max(blocks, 2u) : b + 1 == blocks)) after_scores();
    output(b);
  }
}

// Attention of the heads of one KV group with K^T and V streamed from the DRAM
// cache in chunks of kc and vc positions (two WSPAD buffers of each in turn).
// The group's Q and P are stacked (head i in rows i*T ..), so when every
// head's rows fit ACC at once (decode) one GEMM per chunk serves all heads;
// else row blocks, one GEMM per head. Per block: every K^T chunk once
// (S[:, chunk] = Q K^T_chunk into its ACC columns), the softmax of each head's
// rows over all N keys, then every V chunk once (O += P[:, chunk] V_chunk, in
// K order: the chain of one GEMM over all keys). Bits as emit_attention_head's.
struct GroupPlaces {
  Placement q, p;              // heads*T x pw and heads*T x N, ASPAD A layout, head i in rows i*T ..
  std::vector<Placement> o;    // per head: T x hd (ASPAD A layout)
};
struct CacheStream {
  std::uint32_t k_addr, v_addr, row_bytes;
  unsigned k_rows, v_rows;
  std::uint32_t zeros;  // Rows zero words
  unsigned kc, vc;      // positions per K^T chunk (a multiple of Cols) and per V chunk (of Rows)
  std::array<std::uint32_t, 2> k_chunk, v_chunk;  // WSPAD buffers: k_rows x kc and v_rows x vc words
};

void emit_attention_group_streamed(Ctx& x, const GroupPlaces& gp, const CacheStream& cs, unsigned N, unsigned hd,
                                   Window acc, unsigned causal) {
  const Target& t = x.t;
  const auto heads = static_cast<unsigned>(gp.o.size());
  const unsigned T = gp.o.front().rows, nt_s = ceil_div(N, t.cols), nt_o = ceil_div(hd, t.cols);
  const unsigned per_row = nt_s + nt_o;  // ACC rows of one query row: its S and its O
  struct Unit {
    unsigned r0, rows;  // contiguous rows of the stack: one GEMM per chunk
  };
  std::vector<std::vector<Unit>> blocks;
  if (heads * T * per_row <= acc.size) {
    blocks.push_back({{0, heads * T}});
  } else {
    const unsigned m_blk = std::min(T, acc.size / (heads * per_row));
    if (m_blk == 0) fail("ACC too small for one attention row of a KV group");
    for (unsigned m0 = 0; m0 < T; m0 += m_blk) {
      blocks.emplace_back();
      for (unsigned i = 0; i < heads; ++i) blocks.back().push_back({i * T + m0, std::min(m_blk, T - m0)});
    }
  }
  // The rows of head i within a unit: [max(r0, i*T), min(r0 + rows, (i+1)*T)).
  const auto for_heads = [&](const Unit& u, const auto& fn) {
    for (unsigned i = 0; i < heads; ++i) {
      const unsigned lo = std::max(u.r0, i * T), hi = std::min(u.r0 + u.rows, (i + 1) * T);
      if (lo < hi) fn(i, lo, hi - lo);
    }
  };
  unsigned turn = 0;
  for (const auto& units : blocks) {
    unsigned total = 0;
    std::vector<std::uint32_t> s_acc, o_acc;
    for (const Unit& u : units) s_acc.push_back(acc.addr + total * nt_s), total += u.rows;
    unsigned off = 0;
    for (const Unit& u : units) o_acc.push_back(acc.addr + total * nt_s + off * nt_o), off += u.rows;
    for (unsigned c0 = 0; c0 < N; c0 += cs.kc) {
      const unsigned n = std::min(cs.kc, N - c0);
      const std::uint32_t kb = cs.k_chunk[turn++ & 1u];
      x.cmds.add(isa::load(transfer(cs.k_addr + c0 * t.bus_bytes, cs.row_bytes, cs.k_rows, n, Space::Wspad, kb, cs.kc)));
      for (std::size_t j = 0; j < units.size(); ++j)
        x.cmds.add(isa::gemm(scores_gemm(gp.q, units[j].r0, units[j].rows, kb, cs.kc, ceil_div(n, t.cols),
                                         s_acc[j] + c0 / t.cols * units[j].rows, t)));
    }
    for (std::size_t j = 0; j < units.size(); ++j)
      for_heads(units[j], [&](unsigned i, unsigned r, unsigned nr) {
        emit_vec_rowwise(x, softmax_op(hd, causal + (r - i * T)), acc_layout(s_acc[j], units[j].rows, N, t).sub(r - units[j].r0, 0, nr, N),
                         gp.p.sub(r, 0, nr, N));
      });
    for (unsigned c0 = 0; c0 < N; c0 += cs.vc) {
      const unsigned n = std::min(cs.vc, N - c0), n_pad = ceil_div(n, t.rows) * t.rows;
      const std::uint32_t vb = cs.v_chunk[turn++ & 1u];
      x.cmds.add(isa::load(transfer(cs.v_addr + c0 * t.bus_bytes, cs.row_bytes, cs.v_rows, n, Space::Wspad, vb, cs.vc)));
      if (n_pad > n)  // the K padding of P x V: +0, never stale data
        x.cmds.add(isa::load(transfer(cs.zeros, 0, cs.v_rows, n_pad - n, Space::Wspad, vb + n, cs.vc)));
      for (std::size_t j = 0; j < units.size(); ++j)
        x.cmds.add(isa::gemm(pv_gemm(gp.p, units[j].r0, c0, units[j].rows, n_pad / t.rows, vb, cs.vc, nt_o, o_acc[j],
                                     c0 > 0, t)));
    }
    for (std::size_t j = 0; j < units.size(); ++j)
      for_heads(units[j], [&](unsigned i, unsigned r, unsigned nr) {
        emit_vec_rowwise(x, cvt_op({}), acc_layout(o_acc[j], units[j].rows, hd, t).sub(r - units[j].r0, 0, nr, hd),
                         gp.o[i].sub(r - i * T, 0, nr, hd));
      });
  }
}

// Every layer of a stack through `check`, its error naming the layer.
template <class Layer, class Check>
void check_layers(const std::vector<Layer>& layers, const Check& check) {
  if (layers.empty()) fail("a stack needs at least one layer");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    try {
      check(layers[l]);
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what(), prefix = "layer compiler: ";
      fail("layer " + std::to_string(l) + ": " + (what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what));
    }
  }
}

// ---- host-side helpers ----------------------------------------------------------

std::vector<std::uint32_t> slice(const std::vector<std::uint32_t>& v, std::size_t c0, std::size_t n) {
  if (v.empty()) return {};
  return std::vector<std::uint32_t>(v.begin() + c0, v.begin() + c0 + n);
}
// BF16 gamma / beta as the FP32 words whose upper halves the norms use.
std::vector<std::uint32_t> widen(const std::vector<std::uint16_t>& v) {
  std::vector<std::uint32_t> y;
  for (auto b : v) y.push_back(std::uint32_t{b} << 16);
  return y;
}


// A matmul epilogue that applies `op` into columns of `dst`.
Epilogue into(Ctx& x, VecOp op, const Placement& dst) {
  return [&x, op, dst](const Placement& acc, const Placement*, unsigned m0, unsigned c0) {
    VecOp o = op;
    o.param_col0 = c0;
    emit_vec_rowwise(x, o, acc, dst.sub(m0, c0, acc.rows, acc.cols));
  };
}

// The encoder's residual as a matmul epilogue: tmp = epi(acc) (the
// projection's output: CVT_BF16 with its bias, or REQUANT), then dst =
// add(res, tmp), block by block, so the adds overlap the next blocks' GEMMs.
Epilogue then_add_into(Ctx& x, const VecOp& epi, const VecOp& add, const Placement& dst, const Placement& res,
                       const Placement& tmp) {
  return [&x, epi, add, dst, res, tmp](const Placement& acc, const Placement*, unsigned m0, unsigned c0) {
    VecOp e = epi;
    e.param_col0 = c0;
    const Placement a = tmp.sub(m0, c0, acc.rows, acc.cols);
    emit_vec_rowwise(x, e, acc, a);
    emit_vec_rowwise(x, add, res.sub(m0, c0, acc.rows, acc.cols), dst.sub(m0, c0, acc.rows, acc.cols), &a);
  };
}
Epilogue cvt_add_into(Ctx& x, const Placement& dst, const Placement& res, const ParamSet& bias,
                      const Placement& tmp) {
  VecOp add;
  add.func = VecFunc::AddBf16;
  return then_add_into(x, cvt_op(bias), add, dst, res, tmp);
}

// The accumulator block with an optional bias applied: acc itself, or
// CVT_BF16(acc, bias) into the matching block of tmp (the VEC functions that
// read an accumulator have no bias of their own).
Placement biased(Ctx& x, const Placement& acc, const ParamSet& bias, const Placement& tmp, unsigned m0,
                 unsigned c0) {
  if (bias.p1.empty()) return acc;
  VecOp cv = cvt_op(bias);
  cv.param_col0 = c0;
  const Placement out = tmp.sub(m0, c0, acc.rows, acc.cols);
  emit_vec_rowwise(x, cv, acc, out);
  return out;
}

// An epilogue: the residual dst = resid(acc, bias, res) of numerics.md:
// ADD_BF16(acc, res), or with a bias CVT_BF16(acc, bias) into tmp, then ADD_BF16(tmp, res).
Epilogue resid_into(Ctx& x, const Placement& dst, const Placement& res, const ParamSet& bias, const Placement& tmp) {
  return [&x, dst, res, &bias, tmp](const Placement& acc, const Placement*, unsigned m0, unsigned c0) {
    const Placement src = biased(x, acc, bias, tmp, m0, c0);
    VecOp add;
    add.func = VecFunc::AddBf16;
    const Placement a = res.sub(m0, c0, acc.rows, acc.cols);
    emit_vec_rowwise(x, add, src, dst.sub(m0, c0, acc.rows, acc.cols), &a);
  };
}

}  // namespace

Target target_of(const ref::AccelConfig& cfg) {
  Target t;
  t.rows = cfg.rows;
  t.cols = cfg.cols;
  t.bus_bytes = cfg.bus_bytes;
  t.aspad_words = cfg.aspad_words;
  t.wspad_words = cfg.wspad_words;
  t.acc_rows = cfg.acc_rows;
  return t;
}

ref::LayerShape layer_shape(const ModelDesc& m) {
  ref::LayerShape s;
  s.kind = m.kind == LayerKind::Encoder ? ref::LayerKind::Encoder : ref::LayerKind::Decoder;
  s.d_model = static_cast<std::size_t>(m.d_model);
  s.heads = static_cast<std::size_t>(m.heads);
  s.kv_heads = static_cast<std::size_t>(m.kv_heads);
  s.head_dim = static_cast<std::size_t>(m.head_dim);
  s.ffn = static_cast<std::size_t>(m.ffn);
  s.norm = m.norm == NormKind::LayerNorm ? ref::LayerNormKind::LayerNorm : ref::LayerNormKind::RmsNorm;
  s.act = m.act == Activation::Gelu ? ref::LayerActivation::Gelu : ref::LayerActivation::SwiGlu;
  s.eps = static_cast<float>(m.eps);
  s.rope = m.pos == PosKind::Rope;
  if (s.rope) s.rope_theta = m.rope_theta;
  return s;
}

Placement Placement::sub(unsigned r0, unsigned c0, unsigned nrows, unsigned ncols) const {
  if (c0 % group != 0) throw std::logic_error("Placement::sub: column not on a word boundary");
  if (pairs && r0 % 2 != 0) throw std::logic_error("Placement::sub: odd first row of a pair-interleaved tensor");
  if (r0 + nrows > rows || c0 + ncols > cols) throw std::logic_error("Placement::sub: block outside the tensor");
  Placement p = *this;
  p.addr = word(r0, c0);
  p.rows = nrows;
  p.cols = ncols;
  return p;
}

isa::Stream Placement::stream() const {
  check_u16(row_stride, "row stride");
  check_u16(group_stride, "group stride");
  return {addr, space, row_stride, group_stride, group};
}

std::vector<std::uint8_t> CompiledLayer::pack_input(const ref::Matrix<std::uint16_t>& x) const {
  if (x.rows() != seq_len || x.cols() != d_model) throw std::invalid_argument("pack_input: x is not T x d_model");
  return pack_a_bf16(x, target);
}

// T x d BF16 from bytes in the A layout or in rows of out_row_words words.
static ref::Matrix<std::uint16_t> unpack_bf16(const CompiledLayer& cl, const std::vector<std::uint8_t>& b,
                                              bool a_layout) {
  ref::Matrix<std::uint16_t> y(cl.seq_len, cl.d_model);
  for (unsigned r = 0; r < cl.seq_len; ++r)
    for (unsigned e = 0; e < cl.d_model; ++e) {
      const std::size_t at =
          a_layout ? (std::size_t{e / cl.target.rows} * cl.seq_len + r) * cl.bus_bytes + 2 * (e % cl.target.rows)
                   : std::size_t{r} * cl.out_row_words * cl.bus_bytes + 2 * e;
      y(r, e) = static_cast<std::uint16_t>(b.at(at) | b.at(at + 1) << 8);
    }
  return y;
}

ref::Matrix<std::uint16_t> CompiledLayer::unpack_output(const std::vector<std::uint8_t>& b) const {
  if (b.size() < output.bytes) throw std::invalid_argument("unpack_output: buffer too small");
  return unpack_bf16(*this, b, output_a_layout);
}

ref::Matrix<std::uint16_t> CompiledLayer::unpack_a(const std::vector<std::uint8_t>& b) const {
  return unpack_bf16(*this, b, true);
}

ref::Matrix<std::uint16_t> read_bf16(const ref::LocalMemories& mem, const Placement& p, const ref::AccelConfig& cfg) {
  if (p.space == Space::Acc) throw std::invalid_argument("read_bf16: ACC holds FP32, not BF16");
  const auto& m = p.space == Space::Wspad ? mem.wspad : mem.aspad;
  ref::Matrix<std::uint16_t> y(p.rows, p.cols);
  for (unsigned r = 0; r < p.rows; ++r)
    for (unsigned c = 0; c < p.cols; ++c) {
      const std::size_t at = std::size_t{p.word(r, c)} * cfg.bus_bytes + 2 * (c % p.group);
      y(r, c) = static_cast<std::uint16_t>(m.at(at) | m.at(at + 1) << 8);
    }
  return y;
}

// The end of an encoder stream: the STORE of Y (row layout) and the DRAM
// regions, now that the constant image is complete. The first command is the
// input LOAD, the last the output STORE: their DRAM addresses are set here.
static void finish_encoder(CompiledLayer& out, CmdStream& cmds, DramImage& img, const Placement& y_pl, unsigned T,
                           std::uint32_t input_bytes, std::uint32_t dram_base, const Target& t,
                           std::uint32_t tap_bytes = 0) {
  isa::Transfer ty;
  ty.row_words = T * out.out_row_words;
  check_u16(ty.row_words, "y STORE words");
  ty.space = Space::Aspad;
  ty.local_addr = y_pl.addr;
  cmds.add(isa::store(ty));
  out.dram_base = dram_base;
  out.weights = {dram_base, img.end() - dram_base};
  out.input = {img.end(), input_bytes};
  out.output = {out.input.addr + out.input.bytes, T * out.out_row_words * t.bus_bytes};
  out.dram_bytes = out.output.addr + out.output.bytes + tap_bytes - dram_base;
  cmds.take_into(out);
  out.cmds.front().w[1] = out.input.addr;
  out.cmds.back().w[1] = out.output.addr;
  out.weights_image = std::move(img.bytes());
}

CompiledLayer compile_encoder_layer_bf16(const ModelDesc& model, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base) {
  return compile_encoder_layer_bf16(layer_shape(model), w, seq_len, cfg, dram_base);
}

CompiledLayer compile_encoder_layer_bf16(const ref::LayerShape& s, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base) {
  return compile_encoder_stack_bf16(s, std::vector<ref::LayerWeightsBf16>{w}, seq_len, cfg, {}, dram_base);
}

namespace {

// The checks every encoder lowering shares, and its target.
Target encoder_target(const ref::LayerShape& s, int seq_len, const ref::AccelConfig& cfg, std::uint32_t dram_base) {
  if (s.heads == 0 || s.kv_heads == 0 || s.heads % s.kv_heads != 0) fail("heads must be a multiple of kv_heads");
  if (seq_len <= 0) fail("seq_len must be positive");
  const Target t = target_of(cfg);
  if (t.bus_bytes < 2 * t.rows || t.bus_bytes < 2 * t.cols) fail("bus_bytes must be >= 2*rows and >= 2*cols");
  if (dram_base % t.bus_bytes != 0) fail("dram_base must be a multiple of bus_bytes");
  return t;
}

// One encoder layer's weights in the DRAM image and its parameter sets. The
// emitters key PARAMS blobs by ParamSet address: a PackedEncoderBf16 must not
// move once emission starts.
struct PackedEncoderBf16 {
  std::vector<std::uint32_t> wq, wo, wk, wv;
  // Tile maps of the same matrices: with +0 tiles (pruning) they are packed compact.
  std::vector<TileMap> mq, mo, mk, mv;
  TileMap m1, m2;
  std::vector<ParamSet> bq, bk, bv;
  std::uint32_t w1 = 0, w2 = 0;
  ParamSet bo, b1, b2, ln1, ln2;
};

void check_encoder_weights(const ref::LayerShape& s, const ref::LayerWeightsBf16& w) {
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  const auto F = static_cast<unsigned>(s.ffn);
  // Every tensor the stream reads must have the layer's shape (biases may be absent).
  const auto mat = [](const Bf16& m, std::size_t r, std::size_t c, const char* name) {
    if (m.rows() != r || m.cols() != c)
      fail(std::string(name) + " is " + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) + ", expected " +
           std::to_string(r) + "x" + std::to_string(c));
  };
  const auto vec = [](std::size_t len, std::size_t want, bool optional, const char* name) {
    if (len != want && !(optional && len == 0))
      fail(std::string(name) + " has length " + std::to_string(len) + ", expected " + std::to_string(want));
  };
  mat(w.wq, d, H * hd, "Wq");
  mat(w.wk, d, G * hd, "Wk");
  mat(w.wv, d, G * hd, "Wv");
  mat(w.wo, H * hd, d, "Wo");
  mat(w.w1, d, F, "W1");
  mat(w.w2, F, d, "W2");
  vec(w.bq.size(), H * hd, true, "bq");
  vec(w.bk.size(), G * hd, true, "bk");
  vec(w.bv.size(), G * hd, true, "bv");
  vec(w.bo.size(), d, true, "bo");
  vec(w.b1.size(), F, true, "b1");
  vec(w.b2.size(), d, true, "b2");
  vec(w.gamma1.size(), d, false, "gamma1");
  vec(w.gamma2.size(), d, false, "gamma2");
  const bool has_beta = s.norm == ref::LayerNormKind::LayerNorm;
  vec(w.beta1.size(), has_beta ? d : 0, false, "beta1");
  vec(w.beta2.size(), has_beta ? d : 0, false, "beta2");
}

// The weights packed once with the GEMM compiler's W layout: Wq, Wk, Wv per head
// (columns), Wo per head (rows).
PackedEncoderBf16 pack_encoder_bf16(const ref::LayerShape& s, const ref::LayerWeightsBf16& w, DramImage& img,
                                    const Target& t) {
  const auto hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  PackedEncoderBf16 pk;
  pk.wq.resize(H), pk.wo.resize(H), pk.wk.resize(G), pk.wv.resize(G);
  pk.bq.resize(H), pk.bk.resize(G), pk.bv.resize(G);
  const auto put = [&](const Bf16& m, TileMap& map) {
    map = tile_map(m, t.rows, t);
    return img.put(map.sparse() ? compact_tiles(pack_w_bf16(m, t), map, t) : pack_w_bf16(m, t));
  };
  pk.mq.resize(H), pk.mo.resize(H), pk.mk.resize(G), pk.mv.resize(G);
  for (unsigned h = 0; h < H; ++h) {
    pk.wq[h] = put(ref::columns(w.wq, h * hd, hd), pk.mq[h]);
    pk.wo[h] = put(ref::row_block(w.wo, h * hd, hd), pk.mo[h]);
    pk.bq[h].p1 = slice(w.bq, h * hd, hd);
  }
  for (unsigned g = 0; g < G; ++g) {
    pk.wk[g] = put(ref::columns(w.wk, g * hd, hd), pk.mk[g]);
    pk.wv[g] = put(ref::columns(w.wv, g * hd, hd), pk.mv[g]);
    pk.bk[g].p1 = slice(w.bk, g * hd, hd);
    pk.bv[g].p1 = slice(w.bv, g * hd, hd);
  }
  pk.w1 = put(w.w1, pk.m1);
  pk.w2 = put(w.w2, pk.m2);
  pk.bo = {{}, w.bo};
  pk.b1 = {{}, w.b1};
  pk.b2 = {{}, w.b2};
  pk.ln1 = {widen(w.gamma1), widen(w.beta1)};
  pk.ln2 = {widen(w.gamma2), widen(w.beta2)};
  return pk;
}

// K_g^T and V_g in WSPAD (top) for the heads of group g, two groups in turn
// if both sets take at most half of WSPAD; weights stream below them. BF16: V
// rows T .. t_rows-1 (the K padding of P x V) come from a zero blob of the
// image. INT8 (K tiles of 2*Rows, V tokens in pairs): no padding is loaded, P's
// pad columns are written as zero and stale integers times zero are zero.
struct KvBuffers {
  std::array<Placement, 2> kt, v;
  unsigned sets = 1, pad_rows = 0, pad_tiles = 0;
  std::uint32_t zeros = 0;  // DRAM address of pad_rows zero words
};

KvBuffers place_kv(SpadAlloc& wspad, DramImage& img, unsigned T, unsigned hd, const Target& t, bool int8 = false) {
  const unsigned kd = int8 ? 2 * t.rows : t.rows;
  const unsigned kt_hd = ceil_div(hd, kd), t_cols = ceil_div(T, t.cols) * t.cols, nt_hd = ceil_div(hd, t.cols);
  const unsigned v_words = ceil_div(T, kd) * t.rows;  // words of one N tile of V
  KvBuffers kv;
  const unsigned set = kt_hd * t_cols + nt_hd * v_words;
  kv.sets = 2 * set <= t.wspad_words / 2 ? 2 : 1;
  for (unsigned b = 0; b < kv.sets; ++b) {
    kv.kt[b] = {Space::Wspad, wspad.take_top(kt_hd * t_cols, "K^T of one KV head"), 1, t_cols, kd, T, hd};
    kv.v[b] = {Space::Wspad, wspad.take_top(nt_hd * v_words, "V of one KV head"), 1, v_words, t.cols, T, hd};
    kv.v[b].pairs = int8;
  }
  if (kv.sets == 1) kv.kt[1] = kv.kt[0], kv.v[1] = kv.v[0];
  if (!int8) kv.pad_rows = v_words - T, kv.pad_tiles = nt_hd;
  if (kv.pad_rows) kv.zeros = img.put(std::vector<std::uint8_t>(std::size_t{kv.pad_rows} * t.bus_bytes, 0));
  return kv;
}

// LOADs of +0 into the V padding rows, never stale data (NaN x 0 = NaN).
void emit_v_zero_pad(CmdStream& cmds, const KvBuffers& kv) {
  if (!kv.pad_rows) return;
  isa::Transfer tz;
  tz.dram_addr = kv.zeros;
  tz.dram_stride = 0;
  tz.rows = kv.pad_tiles;
  tz.row_words = kv.pad_rows;
  tz.space = Space::Wspad;
  tz.local_stride = kv.v[0].group_stride;
  for (unsigned b = 0; b < kv.sets; ++b) {
    tz.local_addr = kv.v[b].addr + kv.v[b].rows;
    cmds.add(isa::load(tz));
  }
}

// The on-chip tensors of an encoder layer; every layer of a stack reuses them.
struct EncoderPlacesBf16 {
  Placement x, a, r1, h1, f, f2;  // h1 then R2
  // Per head (q, p) and per KV head (kt, v), two buffers used in turn so the
  // projections of the next head overlap the attention of this one.
  std::array<Placement, 2> q, p, kt, v;
  std::vector<Placement> o;
};

// The heads of an encoder layer in turn: project(h) emits head h's projections
// (K and V at the first head of a group), head(h, next) its attention, calling
// `next` (when set) once its scores are issued, so the next head's projections
// overlap this head's softmax. Not when the next head starts a group and V has
// one buffer: its V would overwrite the V this head's P.V still reads.
void emit_heads(unsigned H, unsigned group, bool two_v, const std::function<void(unsigned)>& project,
                const std::function<void(unsigned, const std::function<void()>&)>& head) {
  unsigned projected = 0;
  for (unsigned h = 0; h < H; ++h) {
    if (projected <= h) project(h), projected = h + 1;
    const bool ahead = h + 1 < H && ((h + 1) % group != 0 || two_v);
    head(h, ahead ? std::function<void()>([&, h] { project(h + 1), projected = h + 2; }) : nullptr);
  }
}

// Where the attention part of an encoder layer reads and writes: x (all rows),
// K^T and V per KV head and Q, P per head in turn (two buffers each), and the
// output of head h (o_of); after_head, when set, runs once head h's output is
// complete (the row-blocked form stores it).
struct AttentionPlaces {
  Placement x;
  std::array<Placement, 2> kt, v, q, p;
  std::function<Placement(unsigned)> o_of;
  std::function<void(unsigned, const Placement&)> after_head;
};

// Per KV head g: K_g^T and V_g (CVT with bias into WSPAD), then per head of the
// group Q_h and the attention head.
void emit_attention_bf16(Ctx& x, const ref::LayerShape& s, const PackedEncoderBf16& pk, const AttentionPlaces& pl,
                         Window wsp, Window acc) {
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads), group = H / G;
  const auto project = [&](unsigned h) {  // K_g^T and V_g at the group's first head, then Q_h
    const OpScope op(x.cmds, "K, V, Q projections");
    const unsigned g = h / group;
    if (h % group == 0) {
      emit_matmul(x, {{pl.x, pk.wk[g], d, &pk.mk[g]}}, hd, wsp, acc, into(x, cvt_op(pk.bk[g]), pl.kt[g % 2]));
      emit_matmul(x, {{pl.x, pk.wv[g], d, &pk.mv[g]}}, hd, wsp, acc, into(x, cvt_op(pk.bv[g]), pl.v[g % 2]));
    }
    emit_matmul(x, {{pl.x, pk.wq[h], d, &pk.mq[h]}}, hd, wsp, acc, into(x, cvt_op(pk.bq[h]), pl.q[h % 2]));
  };
  emit_heads(H, group, pl.v[0].addr != pl.v[1].addr, project, [&](unsigned h, const std::function<void()>& next) {
    const unsigned g = h / group;
    const Placement o = pl.o_of(h);
    emit_attention_head(x, {pl.q[h % 2], pl.kt[g % 2], pl.v[g % 2], pl.p[h % 2], o}, hd, acc, std::nullopt, nullptr,
                        next);
    if (pl.after_head) pl.after_head(h, o);
  });
}

// Where the part of an encoder layer after the attention reads and writes, for
// one block of rows (all T in the resident form): the heads' outputs, x for the
// residual, the scratch of the two projections' BF16 outputs (a, f2), R1, H1
// (then R2 over it), the FFN's F and the layer's output.
struct PostAttentionPlaces {
  std::vector<Placement> o;
  Placement x, a, r1, h1, f, f2, dst;
};

// A = O Wo + bo with R1 = X + A in its epilogue, H1 = norm(R1), F = GELU(H1 W1 + b1),
// F2 = F W2 + b2 with R2 = H1 + F2 (over H1) in its epilogue, dst = norm(R2).
void emit_post_attention_bf16(Ctx& x, const ref::LayerShape& s, const PackedEncoderBf16& pk,
                              const PostAttentionPlaces& pl, Window wsp, Window acc) {
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto F = static_cast<unsigned>(s.ffn);
  std::vector<MatmulPart> o_parts;  // the heads are consecutive K segments of one GEMM chain
  for (std::size_t h = 0; h < pl.o.size(); ++h) o_parts.push_back({pl.o[h], pk.wo[h], hd, &pk.mo[h]});
  x.cmds.set_op("output projection + R1");
  emit_matmul(x, o_parts, d, wsp, acc, cvt_add_into(x, pl.r1, pl.x, pk.bo, pl.a));

  std::uint32_t eps = 0;
  std::memcpy(&eps, &s.eps, sizeof eps);
  VecOp norm;
  norm.func = s.norm == ref::LayerNormKind::LayerNorm ? VecFunc::LayernormBf16 : VecFunc::RmsnormBf16;
  norm.cfg = {eps, 0, 0, 0};
  norm.whole_row = true;
  norm.params = &pk.ln1;
  x.cmds.set_op("LayerNorm 1");
  emit_vec_rowwise(x, norm, pl.r1, pl.h1);

  VecOp gelu;
  gelu.func = VecFunc::GeluBf16;  // the FFN bias is fused: add(acc, P1), then GELU
  gelu.cfg = {0, pk.b1.p1.empty() ? 0u : 1u, 0, 0};
  if (!pk.b1.p1.empty()) gelu.params = &pk.b1;
  x.cmds.set_op("FFN up");
  emit_matmul(x, {{pl.h1, pk.w1, d, &pk.m1}}, F, wsp, acc, into(x, gelu, pl.f));
  // In place: each word of H1 is read before it is written.
  x.cmds.set_op("FFN down + R2");
  emit_matmul(x, {{pl.f, pk.w2, F, &pk.m2}}, d, wsp, acc, cvt_add_into(x, pl.h1, pl.h1, pk.b2, pl.f2));

  norm.params = &pk.ln2;
  x.cmds.set_op("LayerNorm 2");
  emit_vec_rowwise(x, norm, pl.h1, pl.dst);
  x.cmds.set_op("store Y");
}

// One layer's commands, from x (A layout) to `dst` (the next layer's x, or Y).
void emit_encoder_bf16(Ctx& x, const ref::LayerShape& s, const PackedEncoderBf16& pk, const EncoderPlacesBf16& pl,
                       const Placement& dst, Window wsp_win, Window acc_win) {
  emit_attention_bf16(x, s, pk, {pl.x, pl.kt, pl.v, pl.q, pl.p, [&](unsigned h) { return pl.o[h]; }, nullptr},
                      wsp_win, acc_win);
  emit_post_attention_bf16(x, s, pk, {pl.o, pl.x, pl.a, pl.r1, pl.h1, pl.f, pl.f2, dst}, wsp_win, acc_win);
}

// The resident form: every tensor of the layer over all T rows in ASPAD.
// Throws DoesNotFit when they do not fit.
CompiledLayer stack_resident(const ref::LayerShape& s, const std::vector<ref::LayerWeightsBf16>& layers, unsigned T,
                             const ref::AccelConfig& cfg, const StackOptions& opt, std::uint32_t dram_base,
                             const Target& t) {
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  const auto F = static_cast<unsigned>(s.ffn);

  CompiledLayer out;
  out.seq_len = T;
  out.d_model = d;
  out.bus_bytes = t.bus_bytes;
  out.target = t;

  // ---- weights of every layer, packed once (the vector never grows again) ----
  DramImage img(dram_base, t.bus_bytes);
  std::vector<PackedEncoderBf16> packed;
  packed.reserve(layers.size());
  for (const auto& w : layers) packed.push_back(pack_encoder_bf16(s, w, img, t));

  // ---- on-chip placement ----
  SpadAlloc aspad("ASPAD", t.aspad_words), wspad("WSPAD", t.wspad_words);
  EncoderPlacesBf16 pl;
  const KvBuffers kv = place_kv(wspad, img, T, hd, t);
  pl.kt = kv.kt, pl.v = kv.v;
  const Window wsp_win{0, wspad.free()}, acc_win{0, t.acc_rows};

  const unsigned epw = t.bus_bytes / 2;  // BF16 per word
  const std::uint32_t params_stage = aspad.take(ceil_div(3 * cfg.vec_maxlen, t.bus_bytes / 4), "PARAMS staging");
  out.out_row_words = ceil_div(d, epw);
  // ASPAD buffers by lifetime over the layer's steps: 0 x arrives, 1 attention,
  // 2 output projection with R1 = X + A, 4 LayerNorm, 5 FFN up, 6 FFN down
  // with R2 = H1 + F2 (over H1), 8 LayerNorm into the next layer's x (or Y).
  // x is live from 0 to 8 since the next layer's x is written into it.
  LifetimeAlloc life;
  const auto a_buf = [&](const std::string& name, unsigned cols, unsigned first, unsigned last) {
    return life.add(name, a_words(T, cols, t), first, last);
  };
  const std::size_t hx = a_buf("x", d, 0, 8);
  std::array<std::size_t, 2> hq{}, hp{};
  for (unsigned b = 0; b < 2; ++b) {
    hq[b] = a_buf("q" + std::to_string(b), hd, 1, 1);
    hp[b] = a_buf("p" + std::to_string(b), T, 1, 1);
  }
  std::vector<std::size_t> ho;
  for (unsigned h = 0; h < H; ++h) ho.push_back(a_buf("o.h" + std::to_string(h), hd, 1, 2));
  const std::size_t ha = a_buf("a", d, 2, 2), hr1 = a_buf("r1", d, 2, 4), hh1 = a_buf("h1", d, 4, 8);
  const std::size_t hf = a_buf("f", F, 5, 6), hf2 = a_buf("f2", d, 6, 6);
  const std::size_t hy = life.add("y", T * out.out_row_words, 8, 8);
  life.solve(aspad.lo(), aspad.free(), "ASPAD");
  const auto at = [&](std::size_t h, unsigned cols) { return a_layout(life.offset(h), T, cols, t); };
  pl.x = at(hx, d);
  for (unsigned b = 0; b < 2; ++b) pl.q[b] = at(hq[b], hd), pl.p[b] = at(hp[b], T);
  for (unsigned h = 0; h < H; ++h) pl.o.push_back(at(ho[h], hd));
  pl.a = at(ha, d), pl.r1 = at(hr1, d), pl.h1 = at(hh1, d);
  pl.f = at(hf, F), pl.f2 = at(hf2, d);
  const Placement y_pl{Space::Aspad, life.offset(hy), out.out_row_words, 1, epw, T, d};

  CmdStream cmds(cfg);
  BlobMap blobs;
  Ctx x{cfg, t, img, cmds, params_stage, blobs};

  // Parameter blobs are appended to the image while emitting, so the input and
  // output regions are placed after emission and their addresses patched in.

  // ---- the stream ----
  {
    isa::Transfer tx;  // x arrives in the A layout, one contiguous block
    tx.row_words = a_words(T, d, t);
    check_u16(tx.row_words, "x LOAD words");
    tx.space = Space::Aspad;
    tx.local_addr = pl.x.addr;
    cmds.add(isa::load(tx));
  }
  emit_v_zero_pad(cmds, kv);

  // Every layer but the last writes its Y over x (A layout) for the next one; with
  // opt.store_layer_outputs a STORE copies it to DRAM for debugging (taps, below).
  std::vector<std::size_t> tap_cmds;
  for (std::size_t l = 0; l < packed.size(); ++l) {
    const bool last = l + 1 == packed.size();
    emit_encoder_bf16(x, s, packed[l], pl, last ? y_pl : pl.x, wsp_win, acc_win);
    if (!last && opt.store_layer_outputs) {
      isa::Transfer ts;
      ts.row_words = a_words(T, d, t);
      ts.space = Space::Aspad;
      ts.local_addr = pl.x.addr;
      tap_cmds.push_back(cmds.size());
      cmds.add(isa::store(ts));
    }
  }
  const std::uint32_t tap_bytes = a_words(T, d, t) * t.bus_bytes;
  finish_encoder(out, cmds, img, y_pl, T, a_words(T, d, t) * t.bus_bytes, dram_base, t,
                 static_cast<std::uint32_t>(tap_cmds.size()) * tap_bytes);
  for (std::size_t i = 0; i < tap_cmds.size(); ++i) {
    const DramRegion r{out.output.addr + out.output.bytes + static_cast<std::uint32_t>(i) * tap_bytes, tap_bytes};
    out.cmds.at(tap_cmds[i]).w[1] = r.addr;
    out.layer_outputs.push_back(r);
  }
  out.layers = static_cast<unsigned>(packed.size());

  // Probes: the buffers no later buffer overwrote (and the WSPAD ones).
  // H1's words hold R2 at the end.
  const std::pair<const char*, std::size_t> named[] = {{"x", hx}, {"a", ha}, {"r1", hr1}, {"r2", hh1},
                                                       {"f", hf}, {"f2", hf2}, {"y", hy}};
  const std::map<std::string, Placement> where = {{"x", pl.x}, {"a", pl.a}, {"r1", pl.r1}, {"r2", pl.h1},
                                                  {"f", pl.f}, {"f2", pl.f2}, {"y", y_pl}};
  for (const auto& [name, h] : named)
    if (life.intact(h)) out.probes[name] = where.at(name);
  if (life.intact(hq[(H - 1) % 2])) out.probes["q.last"] = pl.q[(H - 1) % 2];
  if (life.intact(hp[(H - 1) % 2])) out.probes["p.last"] = pl.p[(H - 1) % 2];
  out.probes["k.last"] = pl.kt[(G - 1) % 2];
  out.probes["v.last"] = pl.v[(G - 1) % 2];
  for (unsigned h = 0; h < H; ++h)
    if (life.intact(ho[h])) out.probes["o.h" + std::to_string(h)] = pl.o[h];
  return out;
}

// DRAM regions placed after the constant image (input, output, spills) are
// addressed from here while the stream is built, then moved to their place
// (relocate): the image grows with every PARAMS blob until emission ends.
constexpr std::uint32_t kLateBase = 0xC0000000u;

void relocate(std::vector<isa::Command>& cmds, std::uint32_t to) {
  for (auto& c : cmds)
    if ((c.op() == isa::Op::Load || c.op() == isa::Op::Store) && c.w[1] >= kLateBase) c.w[1] = c.w[1] - kLateBase + to;
}

// The late regions input (x_bytes) | output (y_bytes) | L-1 inner layer
// outputs (x_bytes each) | the rest of late_bytes placed after the image, the
// stream relocated to them.
void finish_late(CompiledLayer& out, CmdStream& cmds, DramImage& img, std::uint32_t dram_base, std::uint32_t x_bytes,
                 std::uint32_t y_bytes, std::size_t L, std::uint32_t late_bytes) {
  out.dram_base = dram_base;
  out.weights = {dram_base, img.end() - dram_base};
  if (std::uint64_t{img.end()} + late_bytes > kLateBase) fail("the layer's DRAM regions pass 0xC0000000");
  out.input = {img.end(), x_bytes};
  out.output = {out.input.addr + x_bytes, y_bytes};
  for (std::size_t l = 0; l + 1 < L; ++l)
    out.layer_outputs.push_back({out.output.addr + y_bytes + static_cast<std::uint32_t>(l) * x_bytes, x_bytes});
  out.dram_bytes = img.end() + late_bytes - dram_base;
  cmds.take_into(out);
  relocate(out.cmds, img.end());
  out.weights_image = std::move(img.bytes());
  out.layers = static_cast<unsigned>(L);
}

// The ASPAD buffers of the row-blocked form by lifetime. Steps: 0 x, 1
// attention (the two phases share words); per row block 2 loads, 3 output
// projection with R1 = X + A in its epilogue, 5 LayerNorm, 6 FFN up, 7 FFN down
// with R2 = H1 + F2 (over H1), 9 LayerNorm, 10 STORE. Per head Q, P (INT8: and
// L) and O twice (heads in turn); l and p hold p_rows rows of every head.
struct BlockedLayout {
  LifetimeAlloc life;
  std::size_t x, ob, xb, a, r1, h1, f, f2, y;
  std::array<std::size_t, 2> q, l, p, os;
};
struct BlockedShape {
  unsigned T, d, hd, H, F, kt_hd, out_row_words;
};
struct BlockedPlan {
  std::unique_ptr<BlockedLayout> lay;
  unsigned R = 0, p_rows = 0;
};

// The largest row block (up to row_block, 0: T) that fits, balanced over the
// blocks; P of p_rows rows if that fits, else of two attention blocks (m_att
// rows each), else one set of head buffers, else P of one block. Throws
// DoesNotFit naming the peak when not even one-row blocks fit.
BlockedPlan plan_blocked(const BlockedShape& b, unsigned m_att, unsigned p_rows, unsigned row_block, bool int8,
                         const Target& t, const SpadAlloc& aspad) {
  const auto words = [&](unsigned rows, unsigned cols) { return int8 ? a_words_i8(rows, cols, t) : a_words(rows, cols, t); };
  unsigned head_bufs = 2;
  const auto layout = [&](unsigned R) {
    auto lay = std::make_unique<BlockedLayout>();
    LifetimeAlloc& life = lay->life;
    lay->x = life.add("x", words(b.T, b.d), 0, 1);
    for (unsigned i = 0; i < 2; ++i) {
      if (i >= head_bufs) {
        lay->q[i] = lay->q[0], lay->l[i] = lay->l[0], lay->p[i] = lay->p[0], lay->os[i] = lay->os[0];
        continue;
      }
      const std::string n = std::to_string(i);
      lay->q[i] = life.add("q" + n, words(b.T, b.hd), 1, 1);
      if (int8) lay->l[i] = life.add("l" + n, words(p_rows, b.T), 1, 1);
      lay->p[i] = life.add("p" + n, words(p_rows, b.T), 1, 1);
      lay->os[i] = life.add("o" + n, words(b.T, b.hd), 1, 1);
    }
    lay->ob = life.add("o.block", b.H * b.kt_hd * R, 2, 3);
    lay->xb = life.add("x.block", words(R, b.d), 2, 3);
    lay->a = life.add("a", words(R, b.d), 3, 3);
    lay->r1 = life.add("r1", words(R, b.d), 3, 5);
    lay->h1 = life.add("h1", words(R, b.d), 5, 9);  // then R2
    lay->f = life.add("f", words(R, b.F), 6, 7);
    lay->f2 = life.add("f2", words(R, b.d), 7, 7);
    lay->y = life.add("y", std::max(words(R, b.d), R * b.out_row_words), 9, 10);
    life.solve(aspad.lo(), aspad.free(), "ASPAD");
    return lay;
  };
  for (;;) {
    try {
      layout(1);
      break;
    } catch (const DoesNotFit&) {
      if (p_rows > 2 * m_att) p_rows = 2 * m_att;
      else if (head_bufs == 2) head_bufs = 1;
      else if (p_rows > m_att) p_rows = m_att;
      else throw;  // names the peak: not even one row per block fits
    }
  }
  unsigned r_max = std::min(b.T, row_block ? row_block : b.T);
  for (;; --r_max) {
    try {
      layout(r_max);
      break;
    } catch (const DoesNotFit&) {
    }
  }
  const unsigned R = ceil_div(b.T, ceil_div(b.T, r_max));
  return {layout(R), R, p_rows};
}

// The row-blocked form, for sequences whose tensors do not all fit ASPAD.
// Per layer: x (all T rows) is loaded for the K, V and Q projections; every
// head's attention output goes to DRAM (O, [head][k tile][T]); then blocks of
// R rows each load their rows of O and x, and run the output projection, R1,
// LayerNorm, the FFN, R2 and LayerNorm with everything else on chip; the
// block's Y goes to DRAM (the next layer's x, A layout, or the output). The
// weights stream once per row block, so R is the largest that fits.
CompiledLayer stack_blocked(const ref::LayerShape& s, const std::vector<ref::LayerWeightsBf16>& layers, unsigned T,
                            const ref::AccelConfig& cfg, const StackOptions& opt, std::uint32_t dram_base,
                            const Target& t) {
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads);
  const auto F = static_cast<unsigned>(s.ffn);
  const unsigned bus = t.bus_bytes, epw = bus / 2, kt_d = ceil_div(d, t.rows), kt_hd = ceil_div(hd, t.rows);
  const std::size_t L = layers.size();

  CompiledLayer out;
  out.seq_len = T;
  out.d_model = d;
  out.bus_bytes = bus;
  out.target = t;
  out.out_row_words = ceil_div(d, epw);

  DramImage img(dram_base, bus);
  std::vector<PackedEncoderBf16> packed;
  packed.reserve(L);
  for (const auto& w : layers) packed.push_back(pack_encoder_bf16(s, w, img, t));

  SpadAlloc aspad("ASPAD", t.aspad_words), wspad("WSPAD", t.wspad_words);
  const KvBuffers kv = place_kv(wspad, img, T, hd, t);
  const Window att_wsp{0, wspad.free()}, blk_wsp{0, t.wspad_words}, acc_win{0, t.acc_rows};
  const std::uint32_t params_stage = aspad.take(ceil_div(3 * cfg.vec_maxlen, bus / 4), "PARAMS staging");
  const unsigned m_att = attention_rows(T, T, hd, acc_win, t);
  if (m_att == 0) fail("ACC too small for one attention row");

  const BlockedPlan plan = plan_blocked({T, d, hd, H, F, kt_hd, out.out_row_words}, m_att, std::min(T, 2 * m_att),
                                        opt.row_block, false, t, aspad);
  const BlockedLayout* lay = plan.lay.get();
  const unsigned R = plan.R, p_rows = plan.p_rows;
  out.row_block = R;
  const auto at = [&](std::size_t h, unsigned rows, unsigned cols) { return a_layout(lay->life.offset(h), rows, cols, t); };

  // Late DRAM regions: input | output | inner layer outputs | O spill.
  const std::uint32_t x_bytes = a_words(T, d, t) * bus, y_bytes = T * out.out_row_words * bus;
  const std::uint32_t in_at = kLateBase, out_at = in_at + x_bytes, inner_at = out_at + y_bytes;
  const std::uint32_t o_at = inner_at + static_cast<std::uint32_t>(L - 1) * x_bytes;
  const std::uint32_t o_bytes = H * kt_hd * T * bus, late_bytes = o_at + o_bytes - kLateBase;

  CmdStream cmds(cfg);
  BlobMap blobs;
  Ctx x{cfg, t, img, cmds, params_stage, blobs};

  const Placement x_pl = at(lay->x, T, d);
  for (std::size_t l = 0; l < L; ++l) {
    const PackedEncoderBf16& pk = packed[l];
    const bool last = l + 1 == L;
    const std::uint32_t x_dram = l == 0 ? in_at : inner_at + static_cast<std::uint32_t>(l - 1) * x_bytes;
    const std::uint32_t y_dram = last ? out_at : inner_at + static_cast<std::uint32_t>(l) * x_bytes;
    cmds.set_op("load x");
    cmds.add(isa::load(transfer(x_dram, 0, 1, a_words(T, d, t), Space::Aspad, x_pl.addr, 0)));
    emit_v_zero_pad(cmds, kv);  // the row blocks of the layer before used all of WSPAD
    // ---- K, V, Q projections and attention over all T rows; O to DRAM ----
    const std::array<Placement, 2> q{at(lay->q[0], T, hd), at(lay->q[1], T, hd)};
    const std::array<Placement, 2> p{at(lay->p[0], p_rows, T), at(lay->p[1], p_rows, T)};
    const auto o_of = [&](unsigned h) { return at(lay->os[h % 2], T, hd); };
    const auto store_o = [&](unsigned h, const Placement& o) {
      cmds.set_op("spill O");
      cmds.add(isa::store(transfer(o_at + h * kt_hd * T * bus, 0, 1, kt_hd * T, Space::Aspad, o.addr, 0)));
    };
    emit_attention_bf16(x, s, pk, {x_pl, kv.kt, kv.v, q, p, o_of, store_o}, att_wsp, acc_win);
    // ---- row blocks ----
    for (unsigned m0 = 0; m0 < T; m0 += R) {
      const unsigned rb = std::min(R, T - m0);
      const std::uint32_t ob = lay->life.offset(lay->ob);
      const Placement xb = at(lay->xb, rb, d);
      cmds.set_op("load row blocks");
      cmds.add(isa::load(transfer(o_at + m0 * bus, T * bus, H * kt_hd, rb, Space::Aspad, ob, rb)));
      cmds.add(isa::load(transfer(x_dram + m0 * bus, T * bus, kt_d, rb, Space::Aspad, xb.addr, rb)));
      std::vector<Placement> o_blk;
      for (unsigned h = 0; h < H; ++h) o_blk.push_back(a_layout(ob + h * kt_hd * rb, rb, hd, t));
      const std::uint32_t y = lay->life.offset(lay->y);
      const Placement y_pl = last ? Placement{Space::Aspad, y, out.out_row_words, 1, epw, rb, d} : a_layout(y, rb, d, t);
      emit_post_attention_bf16(x, s, pk,
                               {o_blk, xb, at(lay->a, rb, d), at(lay->r1, rb, d), at(lay->h1, rb, d),
                                at(lay->f, rb, F), at(lay->f2, rb, d), y_pl},
                               blk_wsp, acc_win);
      cmds.set_op("store Y");
      cmds.add(isa::store(last ? transfer(y_dram + m0 * out.out_row_words * bus, 0, 1, rb * out.out_row_words,
                                          Space::Aspad, y, 0)
                               : transfer(y_dram + m0 * bus, T * bus, kt_d, rb, Space::Aspad, y, rb)));
    }
  }

  finish_late(out, cmds, img, dram_base, x_bytes, y_bytes, L, late_bytes);
  return out;
}

}  // namespace

CompiledLayer compile_encoder_stack_bf16(const ref::LayerShape& s, const std::vector<ref::LayerWeightsBf16>& layers,
                                         int seq_len, const ref::AccelConfig& cfg, const StackOptions& opt,
                                         std::uint32_t dram_base) {
  if (s.kind != ref::LayerKind::Encoder) fail("shape is not an encoder");
  if (s.act != ref::LayerActivation::Gelu) fail("only the GELU FFN is lowered (SwiGLU: not yet)");
  const Target t = encoder_target(s, seq_len, cfg, dram_base);
  check_layers(layers, [&](const ref::LayerWeightsBf16& w) { check_encoder_weights(s, w); });
  const auto T = static_cast<unsigned>(seq_len);
  if (opt.row_block == 0) {
    try {
      return stack_resident(s, layers, T, cfg, opt, dram_base, t);
    } catch (const DoesNotFit&) {  // too long for ASPAD: row blocks
    }
  }
  return stack_blocked(s, layers, T, cfg, opt, dram_base, t);
}

// ---- INT8 encoder (I-BERT) ------------------------------------------------------------

namespace {


// One INT8 encoder layer's weights in the DRAM image and its parameter sets.
// PARAMS blobs are keyed by ParamSet address: it must not move once emission starts.
struct PackedEncoderI8 {
  std::vector<std::uint32_t> wq, wo, wk, wv;
  std::uint32_t w1 = 0, w2 = 0, wid = 0, lut = 0;
  TileMap mid;  // the d x d identity keeps one or two tiles per N tile
  std::vector<ParamSet> rq_q, rq_k, rq_v;
  ParamSet rq_o, rq_1, rq_2, score, pv, ln1, ln2;
};

void check_encoder_int8(const ref::LayerShape& s, const ref::QuantLayer& ql) {
  if (s.kind != ref::LayerKind::Encoder) fail("shape is not an encoder");
  if (s.norm != ref::LayerNormKind::LayerNorm || s.act != ref::LayerActivation::Gelu || s.rope)
    fail("the INT8 encoder is LayerNorm + GELU without RoPE");
  const std::size_t d = s.d_model, hd = s.head_dim, H = s.heads, G = s.kv_heads, F = s.ffn;
  const ref::QuantLayerWeightsInt8& w = ql.w;
  const auto lin = [&](const ref::QuantLinearInt8& l, std::size_t in, std::size_t outn, const char* name) {
    if (l.w.rows() != in || l.w.cols() != outn || l.rq.size() != outn || (!l.bias.empty() && l.bias.size() != outn))
      fail(std::string(name) + " does not have the layer's shape");
  };
  lin(w.q, d, H * hd, "q");
  lin(w.k, d, G * hd, "k");
  lin(w.v, d, G * hd, "v");
  lin(w.o, H * hd, d, "o");
  lin(w.ffn1, d, F, "ffn1");
  lin(w.ffn2, F, d, "ffn2");
  for (const auto* nm : {&w.norm1, &w.norm2})
    if (nm->gamma.size() != d || nm->beta.size() != d) fail("norm gamma/beta do not have length d_model");
  if (ql.p.gelu_table.size() != 256) fail("the i-GELU table does not have 256 entries");
}

// The weights per head (Q, O) and per KV head (K, V) in the INT8 W layout, the
// identity that widens int8 rows into ACC for LAYERNORM_I32 (its +0 tiles
// skipped), the i-GELU table.
PackedEncoderI8 pack_encoder_i8(const ref::LayerShape& s, const ref::QuantLayer& ql, unsigned T, DramImage& img,
                                const Target& t) {
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads), F = static_cast<unsigned>(s.ffn);
  const ref::QuantLayerWeightsInt8& w = ql.w;
  PackedEncoderI8 pk;
  for (unsigned h = 0; h < H; ++h) {
    pk.wq.push_back(img.put(pack_w_i8(ref::columns(w.q.w, h * hd, hd), t)));
    pk.wo.push_back(img.put(pack_w_i8(ref::row_block(w.o.w, h * hd, hd), t)));
    pk.rq_q.push_back(requant_set(w.q, h * hd, hd));
  }
  for (unsigned g = 0; g < G; ++g) {
    pk.wk.push_back(img.put(pack_w_i8(ref::columns(w.k.w, g * hd, hd), t)));
    pk.wv.push_back(img.put(pack_w_i8(ref::columns(w.v.w, g * hd, hd), t)));
    pk.rq_k.push_back(requant_set(w.k, g * hd, hd));
    pk.rq_v.push_back(requant_set(w.v, g * hd, hd));
  }
  pk.w1 = img.put(pack_w_i8(w.ffn1.w, t));
  pk.w2 = img.put(pack_w_i8(w.ffn2.w, t));
  ref::Matrix<std::int8_t> ident(d, d);
  for (unsigned i = 0; i < d; ++i) ident(i, i) = 1;
  pk.mid = tile_map(ident, 2 * t.rows, t);
  pk.wid = img.put(compact_tiles(pack_w_i8(ident, t), pk.mid, t));
  pk.rq_o = requant_set(w.o, 0, d), pk.rq_1 = requant_set(w.ffn1, 0, F), pk.rq_2 = requant_set(w.ffn2, 0, d);
  pk.score = uniform_set(ql.p.score_rq, T), pk.pv = uniform_set(ql.p.pv_rq, hd);
  pk.ln1 = norm_set(w.norm1), pk.ln2 = norm_set(w.norm2);
  std::vector<std::uint8_t> lut(256);
  for (unsigned i = 0; i < 256; ++i) lut[i] = static_cast<std::uint8_t>(ql.p.gelu_table[i]);
  pk.lut = img.put(lut);
  return pk;
}

}  // namespace

std::vector<std::uint8_t> CompiledLayer::pack_input_i8(const ref::Matrix<std::int8_t>& x) const {
  if (x.rows() != seq_len || x.cols() != d_model) throw std::invalid_argument("pack_input_i8: x is not T x d_model");
  return pack_a_i8(x, target);
}

ref::Matrix<std::int8_t> CompiledLayer::unpack_output_i8(const std::vector<std::uint8_t>& b) const {
  if (b.size() < output.bytes) throw std::invalid_argument("unpack_output_i8: buffer too small");
  ref::Matrix<std::int8_t> y(seq_len, d_model);
  for (unsigned r = 0; r < seq_len; ++r)
    for (unsigned e = 0; e < d_model; ++e)
      y(r, e) = static_cast<std::int8_t>(b[std::size_t{r} * out_row_words * bus_bytes + e]);
  return y;
}

ref::Matrix<std::int8_t> CompiledLayer::unpack_a_i8(const std::vector<std::uint8_t>& b) const {
  const unsigned kd = 2 * target.rows;
  if (b.size() < std::size_t{ceil_div(d_model, kd)} * seq_len * bus_bytes)
    throw std::invalid_argument("unpack_a_i8: buffer too small");
  ref::Matrix<std::int8_t> y(seq_len, d_model);
  for (unsigned r = 0; r < seq_len; ++r)
    for (unsigned c = 0; c < d_model; ++c)
      y(r, c) = static_cast<std::int8_t>(b[(std::size_t{c / kd} * seq_len + r) * bus_bytes + c % kd]);
  return y;
}

ref::Matrix<std::int32_t> read_i8(const ref::LocalMemories& mem, const Placement& p, const ref::AccelConfig& cfg,
                                  bool is_unsigned) {
  if (p.space == Space::Acc) throw std::invalid_argument("read_i8: ACC holds int32, not int8");
  const auto& m = p.space == Space::Wspad ? mem.wspad : mem.aspad;
  ref::Matrix<std::int32_t> y(p.rows, p.cols);
  for (unsigned r = 0; r < p.rows; ++r)
    for (unsigned c = 0; c < p.cols; ++c) {
      const std::size_t lane = p.pairs ? 2 * (c % p.group) + (r & 1u) : c % p.group;
      const std::uint8_t v = m.at(std::size_t{p.word(r, c)} * cfg.bus_bytes + lane);
      y(r, c) = is_unsigned ? std::int32_t{v} : std::int32_t{static_cast<std::int8_t>(v)};
    }
  return y;
}

// The INT8 encoder in the row-blocked form of the BF16 stack (stack_blocked):
// x (all T rows) for the K, V and Q projections and the attention (heads in
// turn, two buffers of each), every head's output to a DRAM spill, then blocks
// of R rows: output projection with R1 = ADD_I8(X, A) in its epilogue, H1 =
// LAYERNORM_I32 of R1 widened into ACC by the identity GEMM, the FFN (i-GELU
// through the LUT), R2 = ADD_I8(H1, F2) over H1, Y = LAYERNORM_I32(R2).
CompiledLayer compile_encoder_layer_int8(const ref::LayerShape& s, const ref::QuantLayer& ql, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base, unsigned row_block) {
  StackOptions opt;
  opt.row_block = row_block;
  return compile_encoder_stack_int8(s, {ql}, seq_len, cfg, opt, dram_base);
}

CompiledLayer compile_encoder_stack_int8(const ref::LayerShape& s, const std::vector<ref::QuantLayer>& layers,
                                         int seq_len, const ref::AccelConfig& cfg, const StackOptions& opt,
                                         std::uint32_t dram_base) {
  check_layers(layers, [&](const ref::QuantLayer& ql) { check_encoder_int8(s, ql); });
  const Target t = encoder_target(s, seq_len, cfg, dram_base);
  const std::size_t L = layers.size();
  const auto T = static_cast<unsigned>(seq_len);
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  const auto F = static_cast<unsigned>(s.ffn), group = H / G;
  const unsigned bus = t.bus_bytes, kd = 2 * t.rows, kt_d = ceil_div(d, kd), kt_hd = ceil_div(hd, kd);

  CompiledLayer out;
  out.seq_len = T;
  out.d_model = d;
  out.bus_bytes = bus;
  out.target = t;
  out.out_row_words = ceil_div(d, bus);

  DramImage img(dram_base, bus);
  std::vector<PackedEncoderI8> packed;
  packed.reserve(L);  // PARAMS blobs are keyed by ParamSet address: the vector never grows again
  for (const auto& ql : layers) packed.push_back(pack_encoder_i8(s, ql, T, img, t));

  SpadAlloc aspad("ASPAD", t.aspad_words), wspad("WSPAD", t.wspad_words);
  const KvBuffers kv = place_kv(wspad, img, T, hd, t, true);
  const Window att_wsp{0, wspad.free()}, blk_wsp{0, t.wspad_words}, acc_win{0, t.acc_rows};
  const std::uint32_t params_stage = aspad.take(ceil_div(3 * cfg.vec_maxlen, bus / 4), "PARAMS staging");
  const unsigned lut_words = ceil_div(256, bus);
  const std::uint32_t lut_stage = aspad.take(lut_words, "LUT staging");
  const unsigned m_att = attention_rows(T, T, hd, acc_win, t);
  if (m_att == 0) fail("ACC too small for one attention row");

  // L and P of all rows (the logits of every block go first), else of two blocks, else one.
  const BlockedPlan plan =
      plan_blocked({T, d, hd, H, F, kt_hd, out.out_row_words}, m_att, T, opt.row_block, true, t, aspad);
  const BlockedLayout* lay = plan.lay.get();
  const unsigned R = plan.R, p_rows = plan.p_rows, blocks = ceil_div(T, R);
  out.row_block = R;
  const auto at = [&](std::size_t h, unsigned rows, unsigned cols) {
    return a_layout_i8(lay->life.offset(h), rows, cols, t);
  };

  // Late DRAM regions: input | output | inner layer outputs (INT8 A layout) | O spill ([head][k tile][T]).
  const std::uint32_t x_bytes = a_words_i8(T, d, t) * bus, y_bytes = T * out.out_row_words * bus;
  const std::uint32_t in_at = kLateBase, out_at = in_at + x_bytes, inner_at = out_at + y_bytes;
  const std::uint32_t o_at = inner_at + static_cast<std::uint32_t>(L - 1) * x_bytes;
  const std::uint32_t late_bytes = o_at + H * kt_hd * T * bus - kLateBase;

  CmdStream cmds(cfg);
  BlobMap blobs;
  Ctx x{cfg, t, img, cmds, params_stage, blobs};
  x.int8 = true;

  const Placement x_pl = at(lay->x, T, d);
  const std::uint32_t ob = lay->life.offset(lay->ob), y = lay->life.offset(lay->y);
  for (std::size_t l = 0; l < L; ++l) {
    const PackedEncoderI8& pk = packed[l];
    const ref::QuantLayer& ql = layers[l];
    const ref::QuantLayerParams& qp = ql.p;
    const bool last = l + 1 == L;
    const std::uint32_t x_dram = l == 0 ? in_at : inner_at + static_cast<std::uint32_t>(l - 1) * x_bytes;
    const std::uint32_t y_dram = last ? out_at : inner_at + static_cast<std::uint32_t>(l) * x_bytes;
    cmds.set_op("load x");
    cmds.add(isa::load(transfer(x_dram, 0, 1, a_words_i8(T, d, t), Space::Aspad, x_pl.addr, 0)));
    cmds.add(isa::load(transfer(pk.lut, 0, 1, lut_words, Space::Aspad, lut_stage, 0)));
    {
      isa::VecArgs v;  // the i-GELU table, for every row block's FFN
      v.func = VecFunc::LutLoad;
      v.src = {lut_stage, Space::Aspad, 0, 1, bus};
      v.rows = 1;
      v.n = 256;
      cmds.add(isa::vec(v));
    }
    // ---- K, V, Q projections and attention over all T rows; O to DRAM ----
    const auto project = [&](unsigned h) {
      const OpScope op(cmds, "K, V, Q projections");
      const unsigned g = h / group;
      if (h % group == 0) {
        emit_matmul(x, {{x_pl, pk.wk[g], d}}, hd, att_wsp, acc_win, into(x, requant_op(pk.rq_k[g], 0), kv.kt[g % 2]));
        emit_matmul(x, {{x_pl, pk.wv[g], d}}, hd, att_wsp, acc_win, into(x, requant_op(pk.rq_v[g], 0), kv.v[g % 2]));
      }
      emit_matmul(x, {{x_pl, pk.wq[h], d}}, hd, att_wsp, acc_win,
                  into(x, requant_op(pk.rq_q[h], 0), at(lay->q[h % 2], T, hd)));
    };
    emit_heads(H, group, kv.sets == 2, project, [&](unsigned h, const std::function<void()>& next) {
      const unsigned g = h / group;
      const Placement q = at(lay->q[h % 2], T, hd), o = at(lay->os[h % 2], T, hd);
      const HeadI8 i8{at(lay->l[h % 2], p_rows, T), &pk.score, &pk.pv, qp.softmax_scale_q20};
      emit_attention_head(x, {q, kv.kt[g % 2], kv.v[g % 2], at(lay->p[h % 2], p_rows, T), o}, hd, acc_win, std::nullopt,
                          &i8, next);
      cmds.set_op("spill O");
      cmds.add(isa::store(transfer(o_at + h * kt_hd * T * bus, 0, 1, kt_hd * T, Space::Aspad, o.addr, 0)));
    });
    // ---- row blocks ----
    VecOp add1 = add_i8_op(qp.add1), add2 = add_i8_op(qp.add2);
    for (unsigned m0 = 0; m0 < T; m0 += R) {
      const unsigned rb = std::min(R, T - m0);
      const Placement xb = at(lay->xb, rb, d), a = at(lay->a, rb, d), r1 = at(lay->r1, rb, d), h1 = at(lay->h1, rb, d);
      const Placement f = at(lay->f, rb, F), f2 = at(lay->f2, rb, d);
      // The output in rows of out_row_words words; an inner layer's in the A layout (the next x).
      const Placement y_pl = last ? Placement{Space::Aspad, y, out.out_row_words, 1, bus, rb, d} : a_layout_i8(y, rb, d, t);
      cmds.set_op("load row blocks");
      cmds.add(isa::load(transfer(o_at + m0 * bus, T * bus, H * kt_hd, rb, Space::Aspad, ob, rb)));
      cmds.add(isa::load(transfer(x_dram + m0 * bus, T * bus, kt_d, rb, Space::Aspad, xb.addr, rb)));
      std::vector<MatmulPart> o_parts;
      for (unsigned h = 0; h < H; ++h) o_parts.push_back({a_layout_i8(ob + h * kt_hd * rb, rb, hd, t), pk.wo[h], hd});
      cmds.set_op("output projection + R1");
      emit_matmul(x, o_parts, d, blk_wsp, acc_win, then_add_into(x, requant_op(pk.rq_o, 0), add1, r1, xb, a));
      cmds.set_op("LayerNorm 1");
      emit_matmul(x, {{r1, pk.wid, d, &pk.mid}}, d, blk_wsp, acc_win,
                  into(x, layernorm_i32_op(pk.ln1, ql.w.norm1.p), h1), {}, true);
      cmds.set_op("FFN up");
      emit_matmul(x, {{h1, pk.w1, d}}, F, blk_wsp, acc_win, into(x, requant_op(pk.rq_1, 0, true), f));
      cmds.set_op("FFN down + R2");
      // In place: each word of H1 is read before it is written.
      emit_matmul(x, {{f, pk.w2, F}}, d, blk_wsp, acc_win, then_add_into(x, requant_op(pk.rq_2, 0), add2, h1, h1, f2));
      cmds.set_op("LayerNorm 2");
      emit_matmul(x, {{h1, pk.wid, d, &pk.mid}}, d, blk_wsp, acc_win,
                  into(x, layernorm_i32_op(pk.ln2, ql.w.norm2.p), y_pl), {}, true);
      cmds.set_op("store Y");
      cmds.add(isa::store(last ? transfer(y_dram + m0 * out.out_row_words * bus, 0, 1, rb * out.out_row_words,
                                          Space::Aspad, y, 0)
                               : transfer(y_dram + m0 * bus, T * bus, kt_d, rb, Space::Aspad, y, rb)));
    }
  }
  finish_late(out, cmds, img, dram_base, x_bytes, y_bytes, L, late_bytes);

  // Probes: what no later buffer overwrote (not K^T and V: the row blocks' weights use all of
  // WSPAD); the row-block tensors when one block holds every row.
  const auto probe = [&](const char* name, std::size_t h, const Placement& p) {
    if (lay->life.intact(h)) out.probes[name] = p;
  };
  probe("q.last", lay->q[(H - 1) % 2], at(lay->q[(H - 1) % 2], T, hd));
  if (p_rows == T) {
    probe("l.last", lay->l[(H - 1) % 2], at(lay->l[(H - 1) % 2], T, T));
    probe("p.last", lay->p[(H - 1) % 2], at(lay->p[(H - 1) % 2], T, T));
  }
  if (blocks == 1 && L == 1) {
    if (lay->life.intact(lay->ob))
      for (unsigned h = 0; h < H; ++h) out.probes["o.h" + std::to_string(h)] = a_layout_i8(ob + h * kt_hd * T, T, hd, t);
    probe("x", lay->xb, at(lay->xb, T, d));
    probe("a", lay->a, at(lay->a, T, d));
    probe("r1", lay->r1, at(lay->r1, T, d));
    probe("r2", lay->h1, at(lay->h1, T, d));
    probe("f", lay->f, at(lay->f, T, F));
    probe("f2", lay->f2, at(lay->f2, T, d));
    probe("y", lay->y, Placement{Space::Aspad, y, out.out_row_words, 1, bus, T, d});
  }
  return out;
}

// ---- decoder ------------------------------------------------------------------------

// Everything a decoder step reads from the shared image, packed once.
struct CompiledDecoder::Packed {
  ref::LayerShape s;
  ref::AccelConfig cfg;
  Target t;
  unsigned capacity = 0;
  unsigned hp = 0;      // padded half head: a multiple of Rows, >= hd/2
  unsigned kw = 0;      // words of one padded Q/K row (2hp / Rows): K tiles of Q.K^T
  unsigned kphys = 0;   // GEMM columns of one padded Q/K head (kw N tiles, Rows of every Cols used)
  std::vector<std::uint32_t> wq, wk, wv, wo;
  std::uint32_t w1 = 0, w3 = 0, w2 = 0;
  std::uint32_t cs_table = 0;  // RoPE cs rows of positions 0..capacity-1, kw words each
  std::uint32_t zeros = 0;     // Rows zero words: the K padding of P x V
  ParamSet norm1, norm2;
  std::vector<ParamSet> bq, bk, bv;  // Q/K biases in the padded head order; empty p1: no bias
  ParamSet bo, b1, b2;
  BlobMap blobs;
  KvCacheLayout cache;
  DramRegion input, output;
};

namespace {

[[noreturn]] void dec_fail(const std::string& what) {
  throw std::invalid_argument("compile_decoder_layer_bf16: " + what);
}

// Padded column of head column c (c < hd): each half starts on a multiple of Rows.
unsigned rope_col(unsigned c, unsigned hd, unsigned hp) { return c < hd / 2 ? c : hp + c - hd / 2; }

// Columns c0..c0+hd-1 of w as one padded RoPE head: padded column pc goes to
// GEMM column (pc / Rows) * Cols + pc % Rows, every other column is +0, so the
// accumulator is an ACC stream of group Rows (what ROPE_BF16 needs to write
// the group-Rows A and K^T layouts).
Bf16 rope_head_columns(const Bf16& w, unsigned c0, unsigned hd, unsigned hp, const Target& t) {
  Bf16 y(w.rows(), (2 * hp / t.rows) * t.cols);
  for (std::size_t r = 0; r < y.rows(); ++r)
    for (std::size_t c = 0; c < y.cols(); ++c) y(r, c) = 0;
  for (unsigned c = 0; c < hd; ++c) {
    const unsigned pc = rope_col(c, hd, hp), col = pc / t.rows * t.cols + pc % t.rows;
    for (std::size_t r = 0; r < w.rows(); ++r) y(r, col) = w(r, c0 + c);
  }
  return y;
}

// An epilogue: ROPE_BF16 of the whole padded head (src ACC, group Rows) into
// dst with cs rows aux. With a bias the source is CVT_BF16(acc, bias) in
// `tmp` (ROPE_BF16 has no bias; numerics.md: one more rounding).
Epilogue rope_into(Ctx& x, const Placement& dst, const Placement& cs, unsigned kphys, const ParamSet& bias,
                   const Placement& tmp) {
  return [&x, dst, cs, kphys, &bias, tmp](const Placement& acc, const Placement*, unsigned m0, unsigned c0) {
    if (c0 != 0 || acc.cols != kphys) dec_fail("a RoPE head does not fit one matmul block (WSPAD or ACC too small)");
    Placement src{Space::Acc, acc.addr, 1, acc.group_stride, x.t.rows, acc.rows, dst.cols};
    if (!bias.p1.empty()) {
      const Placement t = tmp.sub(m0, 0, acc.rows, dst.cols);
      emit_vec_rowwise(x, cvt_op(bias), src, t);
      src = t;
    }
    VecOp op;
    op.func = VecFunc::RopeBf16;
    op.whole_row = true;
    const Placement aux = cs.sub(m0, 0, acc.rows, cs.cols);
    emit_vec_rowwise(x, op, src, dst.sub(m0, 0, acc.rows, dst.cols), &aux);
  };
}


// Positions 0..n-1 of one cached head: padded column col(c) of position p is
// lane col % lanes of word p of DRAM row col / lanes.
Bf16 read_cache(const std::vector<std::uint8_t>& b, std::uint32_t base, std::uint32_t region, unsigned n,
                unsigned hd, unsigned lanes, unsigned bus, std::uint32_t row_bytes,
                const std::function<unsigned(unsigned)>& col) {
  Bf16 y(n, hd);
  for (unsigned p = 0; p < n; ++p)
    for (unsigned c = 0; c < hd; ++c) {
      const unsigned pc = col(c);
      const std::size_t at =
          (base - region) + std::size_t{pc / lanes} * row_bytes + std::size_t{p} * bus + 2 * (pc % lanes);
      y(p, c) = static_cast<std::uint16_t>(b.at(at) | b.at(at + 1) << 8);
    }
  return y;
}
}  // namespace

// The inverse of read_cache: rows 0..m.rows()-1 of one cached head into the region's bytes.
void write_cache(std::vector<std::uint8_t>& b, std::uint32_t base, std::uint32_t region, const Bf16& m,
                 unsigned lanes, unsigned bus, std::uint32_t row_bytes, const std::function<unsigned(unsigned)>& col) {
  for (unsigned p = 0; p < m.rows(); ++p)
    for (unsigned c = 0; c < m.cols(); ++c) {
      const unsigned pc = col(c);
      const std::size_t at =
          (base - region) + std::size_t{pc / lanes} * row_bytes + std::size_t{p} * bus + 2 * (pc % lanes);
      b.at(at) = static_cast<std::uint8_t>(m(p, c));
      b.at(at + 1) = static_cast<std::uint8_t>(m(p, c) >> 8);
    }
}

void KvCacheLayout::put(std::vector<std::uint8_t>& b, unsigned g, const ref::Matrix<std::uint16_t>& k_rows,
                        const ref::Matrix<std::uint16_t>& v_rows) const {
  if (b.size() != bytes) throw std::invalid_argument("KvCacheLayout::put: the region is not the cache's size");
  if (g >= kv_heads || k_rows.rows() > capacity || v_rows.rows() != k_rows.rows() || k_rows.cols() != head_dim ||
      v_rows.cols() != head_dim)
    throw std::invalid_argument("KvCacheLayout::put: K and V must be n x head_dim, n <= capacity, g < kv_heads");
  const unsigned hd = head_dim, h = half;
  write_cache(b, k_addr(g), addr, k_rows, rows, bus_bytes, row_bytes(), [hd, h](unsigned c) { return rope_col(c, hd, h); });
  write_cache(b, v_addr(g), addr, v_rows, cols, bus_bytes, row_bytes(), [](unsigned c) { return c; });
}

std::vector<std::uint8_t> KvCacheLayout::image(const ref::KvCache& c, std::uint8_t fill) const {
  if (c.k.size() != kv_heads || c.v.size() != kv_heads)
    throw std::invalid_argument("KvCacheLayout::image: the cache does not have one K and one V per KV head");
  std::vector<std::uint8_t> b(bytes, fill);
  for (unsigned g = 0; g < kv_heads; ++g) put(b, g, c.k[g], c.v[g]);
  return b;
}

Bf16 KvCacheLayout::k(const std::vector<std::uint8_t>& b, unsigned g, unsigned n) const {
  const unsigned hd = head_dim, h = half;
  return read_cache(b, k_addr(g), addr, n, hd, rows, bus_bytes, row_bytes(),
                    [hd, h](unsigned c) { return rope_col(c, hd, h); });
}
Bf16 KvCacheLayout::v(const std::vector<std::uint8_t>& b, unsigned g, unsigned n) const {
  return read_cache(b, v_addr(g), addr, n, head_dim, cols, bus_bytes, row_bytes(), [](unsigned c) { return c; });
}

CompiledDecoder::CompiledDecoder(const ref::LayerShape& s, const ref::LayerWeightsBf16& w, unsigned capacity,
                                 const ref::AccelConfig& cfg, std::uint32_t base) {
  if (s.kind != ref::LayerKind::Decoder) dec_fail("shape is not a decoder");
  if (!s.rope) dec_fail("only RoPE decoders are lowered");
  if (s.heads == 0 || s.kv_heads == 0 || s.heads % s.kv_heads != 0) dec_fail("heads must be a multiple of kv_heads");
  if (s.head_dim == 0 || s.head_dim % 2 != 0) dec_fail("RoPE needs an even head_dim");
  if (capacity == 0) dec_fail("capacity must be positive");
  auto p = std::make_shared<Packed>();
  p->s = s;
  p->cfg = cfg;
  p->t = target_of(cfg);
  p->capacity = capacity;
  const Target& t = p->t;
  if (t.bus_bytes < 2 * t.rows || t.bus_bytes < 2 * t.cols) dec_fail("bus_bytes must be >= 2*rows and >= 2*cols");
  if (t.rows > t.cols) dec_fail("ROPE_BF16 from ACC with group Rows needs Rows <= Cols");
  if (base % t.bus_bytes != 0) dec_fail("dram_base must be a multiple of bus_bytes");
  if (t.bus_bytes < 12) dec_fail("bus_bytes must hold one PARAMS channel (3 words of 32 bits)");
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  const auto F = static_cast<unsigned>(s.ffn);
  const auto mat = [](const Bf16& m, std::size_t r, std::size_t c, const char* name) {
    if (m.rows() != r || m.cols() != c)
      dec_fail(std::string(name) + " is " + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
               ", expected " + std::to_string(r) + "x" + std::to_string(c));
  };
  mat(w.wq, d, H * hd, "Wq");
  mat(w.wk, d, G * hd, "Wk");
  mat(w.wv, d, G * hd, "Wv");
  mat(w.wo, H * hd, d, "Wo");
  mat(w.w1, d, F, "W1");
  mat(w.w2, F, d, "W2");
  if (s.act == ref::LayerActivation::SwiGlu) mat(w.w3, d, F, "W3");
  const bool layernorm = s.norm == ref::LayerNormKind::LayerNorm;
  if (w.gamma1.size() != d || w.gamma2.size() != d) dec_fail("gamma1/gamma2 must have d_model elements");
  if (layernorm && (w.beta1.size() != d || w.beta2.size() != d)) dec_fail("beta1/beta2 must have d_model elements");
  const auto vec = [](std::size_t len, std::size_t want, const char* name) {
    if (len != want && len != 0)
      dec_fail(std::string(name) + " has length " + std::to_string(len) + ", expected " + std::to_string(want));
  };
  vec(w.bq.size(), H * hd, "bq");
  vec(w.bk.size(), G * hd, "bk");
  vec(w.bv.size(), G * hd, "bv");
  vec(w.bo.size(), d, "bo");
  vec(w.b1.size(), F, "b1");
  vec(w.b2.size(), d, "b2");

  p->hp = ceil_div(hd / 2, t.rows) * t.rows;
  p->kw = 2 * p->hp / t.rows;
  p->kphys = p->kw * t.cols;

  DramImage img(base, t.bus_bytes);
  for (unsigned h = 0; h < H; ++h) {
    p->wq.push_back(img.put(pack_w_bf16(rope_head_columns(w.wq, h * hd, hd, p->hp, t), t)));
    p->wo.push_back(img.put(pack_w_bf16(ref::row_block(w.wo, h * hd, hd), t)));
  }
  for (unsigned g = 0; g < G; ++g) {
    p->wk.push_back(img.put(pack_w_bf16(rope_head_columns(w.wk, g * hd, hd, p->hp, t), t)));
    p->wv.push_back(img.put(pack_w_bf16(ref::columns(w.wv, g * hd, hd), t)));
  }
  p->w1 = img.put(pack_w_bf16(w.w1, t));
  if (s.act == ref::LayerActivation::SwiGlu) p->w3 = img.put(pack_w_bf16(w.w3, t));
  p->w2 = img.put(pack_w_bf16(w.w2, t));
  {
    // cs(pos) in the padded head layout: cos_i at i, sin_i at hp + i; the pads are +0.
    std::vector<std::uint8_t> b(std::size_t{capacity} * p->kw * t.bus_bytes, 0);
    for (unsigned pos = 0; pos < capacity; ++pos) {
      const std::vector<std::uint16_t> cs = ref::rope_table_bf16(pos, hd, s.rope_theta);
      for (unsigned e = 0; e < hd; ++e) {
        const unsigned pc = rope_col(e, hd, p->hp);
        const std::size_t at = (std::size_t{pos} * p->kw + pc / t.rows) * t.bus_bytes + 2 * (pc % t.rows);
        b[at] = static_cast<std::uint8_t>(cs[e]);
        b[at + 1] = static_cast<std::uint8_t>(cs[e] >> 8);
      }
    }
    p->cs_table = img.put(b);
  }
  p->zeros = img.put(std::vector<std::uint8_t>(std::size_t{t.rows} * t.bus_bytes, 0));
  p->norm1 = {widen(w.gamma1), widen(w.beta1)};
  p->norm2 = {widen(w.gamma2), widen(w.beta2)};
  // A Q/K bias in the padded head order (pads +0: the pad columns stay +0).
  const auto padded_bias = [&](const std::vector<std::uint32_t>& b, unsigned c0) {
    ParamSet ps;
    if (b.empty()) return ps;
    ps.p1.assign(2 * p->hp, 0);
    for (unsigned c = 0; c < hd; ++c) ps.p1[rope_col(c, hd, p->hp)] = b[c0 + c];
    return ps;
  };
  for (unsigned h = 0; h < H; ++h) p->bq.push_back(padded_bias(w.bq, h * hd));
  for (unsigned g = 0; g < G; ++g) {
    p->bk.push_back(padded_bias(w.bk, g * hd));
    p->bv.push_back({{}, slice(w.bv, g * hd, hd)});
  }
  p->bo = {{}, w.bo}, p->b1 = {{}, w.b1}, p->b2 = {{}, w.b2};
  if (d > cfg.vec_maxlen) dec_fail("a norm row of d_model " + std::to_string(d) + " exceeds vec_maxlen");
  // One channel per word: the blobs serve every step's blocking.
  std::vector<const ParamSet*> sets{&p->norm1, &p->norm2, &p->bo, &p->b1, &p->b2};
  for (const auto* v : {&p->bq, &p->bk, &p->bv})
    for (const auto& ps : *v) sets.push_back(&ps);
  for (const ParamSet* ps : sets)
    if (!ps->p0.empty() || !ps->p1.empty()) params_blob_words(img, p->blobs, t.bus_bytes, *ps, false);

  KvCacheLayout& kv = p->cache;
  kv.kv_heads = G, kv.head_dim = hd, kv.capacity = capacity, kv.half = p->hp;
  kv.k_rows = p->kw, kv.v_rows = ceil_div(hd, t.cols);
  kv.rows = t.rows, kv.cols = t.cols, kv.bus_bytes = t.bus_bytes;
  kv.addr = img.end();
  kv.bytes = G * (kv.k_rows + kv.v_rows) * kv.row_bytes();
  p->input = {kv.addr + kv.bytes, a_words(capacity, d, t) * t.bus_bytes};
  p->output = {p->input.addr + p->input.bytes, p->input.bytes};

  dram_base = base;
  weights = {base, img.end() - base};
  weights_image = std::move(img.bytes());
  cache = kv;
  input = p->input;
  output = p->output;
  dram_bytes = output.addr + output.bytes - base;
  p_ = std::move(p);
}

CompiledLayer CompiledDecoder::step(unsigned L, unsigned T) const {
  const Packed& p = *p_;
  const ref::LayerShape& s = p.s;
  const Target& t = p.t;
  const ref::AccelConfig& cfg = p.cfg;
  if (T == 0) dec_fail("tokens must be positive");
  const unsigned N = L + T;
  if (N > p.capacity) dec_fail("positions " + std::to_string(N) + " exceed the cache capacity " +
                               std::to_string(p.capacity));
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  const auto F = static_cast<unsigned>(s.ffn), group = H / G;
  const KvCacheLayout& kv = p.cache;
  const unsigned pw = 2 * p.hp;  // padded Q/K head width

  // ---- on-chip placement ----
  SpadAlloc aspad("ASPAD", t.aspad_words), wspad("WSPAD", t.wspad_words);
  const unsigned n_cols = ceil_div(N, t.cols) * t.cols, n_rows = ceil_div(N, t.rows) * t.rows;
  // K_g^T (padded head) and V_g of all N positions stay in WSPAD (top) for the
  // heads of group g when they take at most half of it; else (long contexts)
  // they stream from the DRAM cache in chunks (two of K^T and two of V in a
  // quarter of WSPAD each, kc and vc positions), and the new positions' K/V go
  // through a staging buffer (stream_kv).
  const bool stream_kv = p.kw * n_cols + kv.v_rows * n_rows > t.wspad_words / 2;
  const unsigned kc = stream_kv ? t.wspad_words / 8 / p.kw / t.cols * t.cols : 0;
  const unsigned vc = stream_kv ? t.wspad_words / 8 / kv.v_rows / t.rows * t.rows : 0;
  if (stream_kv && (kc == 0 || vc == 0)) dec_fail("WSPAD holds no chunk of the KV cache");
  const unsigned t_cols = ceil_div(T, t.cols) * t.cols, t_rows = ceil_div(T, t.rows) * t.rows;
  // Streamed: the new positions' K^T and V in ASPAD, in the cache's word order.
  const Placement kt_pl = stream_kv ? Placement{Space::Aspad, aspad.take(p.kw * t_cols, "K^T of the new positions"), 1,
                                                t_cols, t.rows, T, pw}
                                    : Placement{Space::Wspad, wspad.take_top(p.kw * n_cols, "K^T of one KV head"), 1,
                                                n_cols, t.rows, N, pw};
  const Placement v_pl = stream_kv ? Placement{Space::Aspad, aspad.take(kv.v_rows * t_rows, "V of the new positions"), 1,
                                               t_rows, t.cols, T, hd}
                                   : Placement{Space::Wspad, wspad.take_top(kv.v_rows * n_rows, "V of one KV head"), 1,
                                               n_rows, t.cols, N, hd};
  std::array<std::uint32_t, 2> k_chunk{}, v_chunk{};
  if (stream_kv)
    for (unsigned b = 0; b < 2; ++b) {
      k_chunk[b] = wspad.take_top(p.kw * kc, "a K^T chunk");
      v_chunk[b] = wspad.take_top(kv.v_rows * vc, "a V chunk");
    }
  // The output projection and the FFN come after every head's attention: their
  // weights stream through all of WSPAD (K^T and V are reloaded each step).
  const Window wsp_win{0, wspad.free()}, post_win{0, t.wspad_words}, acc_win{0, t.acc_rows};

  const unsigned channels = std::min(cfg.vec_maxlen, std::max({d, F, pw}));
  const std::uint32_t params_stage = aspad.take(channels, "PARAMS staging");  // one channel per word
  const auto take_a = [&](unsigned rows, unsigned cols, const std::string& what) {
    return a_layout(aspad.take(a_words(rows, cols, t), what), rows, cols, t);
  };
  const Placement x_pl = take_a(T, d, "x"), n1_pl = take_a(T, d, "n1");
  const Placement cs_pl{Space::Aspad, aspad.take(T * p.kw, "cs rows"), p.kw, 1, t.rows, T, pw};
  // Streamed K/V: Q and P of every head of a group stacked (each chunk serves them all).
  const unsigned stack = stream_kv ? group : 1;
  const Placement q_stack = take_a(stack * T, pw, "q of the heads of a group");
  const Placement p_stack = take_a(stack * T, N, "p of the heads of a group");
  const Placement q_pl = q_stack.sub(0, 0, T, pw), p_pl = p_stack.sub((stack - 1) * T, 0, T, N);
  std::vector<Placement> o_pl;
  for (unsigned h = 0; h < H; ++h) o_pl.push_back(take_a(T, hd, "o.h" + std::to_string(h)));
  const Placement r1_pl = take_a(T, d, "r1"), n2_pl = take_a(T, d, "n2");
  const Placement f_pl = take_a(T, F, "f"), y_pl = take_a(T, d, "y");
  const std::uint32_t aspad_end = aspad.lo();
  // Bias temporaries (CVT_BF16(acc, b) before an op that has no bias) reuse
  // tensors that are dead while they live: Q/K's the FFN side (r1 .. y, not
  // written yet), A/F2's n2 (written after bo, read before b2), the gate's the
  // attention side (x .. o, read for the last time by the output projection).
  const auto scratch = [&](std::uint32_t from, std::uint32_t to, unsigned cols, const std::string& what) {
    return a_words(T, cols, t) <= to - from ? a_layout(from, T, cols, t) : take_a(T, cols, what);
  };
  const Placement qk_tmp = scratch(r1_pl.addr, aspad_end, pw, "biased q/k");
  const Placement a_tmp = n2_pl;
  const bool swiglu = s.act == ref::LayerActivation::SwiGlu;
  const Placement g_tmp = scratch(x_pl.addr, r1_pl.addr, F, "biased gate");

  CmdStream cmds(cfg);
  DramImage none(0, t.bus_bytes);  // the image is complete: nothing is appended
  BlobMap blobs = p.blobs;
  Ctx x{cfg, t, none, cmds, params_stage, blobs, true, true};

  cmds.add(isa::load(transfer(p.input.addr, 0, 1, a_words(T, d, t), Space::Aspad, x_pl.addr, 0)));
  cmds.add(isa::load(transfer(p.cs_table + L * p.kw * t.bus_bytes, 0, 1, T * p.kw, Space::Aspad, cs_pl.addr, 0)));
  std::uint32_t eps = 0;
  std::memcpy(&eps, &s.eps, sizeof eps);
  VecOp norm1;
  norm1.func = s.norm == ref::LayerNormKind::LayerNorm ? VecFunc::LayernormBf16 : VecFunc::RmsnormBf16;
  norm1.cfg = {eps, 0, 0, 0};
  norm1.params = &p.norm1;
  norm1.whole_row = true;
  emit_vec_rowwise(x, norm1, x_pl, n1_pl);
  // V rows N .. n_rows-1 are the K padding of P x V: +0, never stale data (NaN x 0 = NaN).
  if (n_rows > N && !stream_kv)
    cmds.add(isa::load(transfer(p.zeros, 0, kv.v_rows, n_rows - N, Space::Wspad, v_pl.addr + N, n_rows)));

  for (unsigned g = 0; g < G; ++g) {
    if (L > 0 && !stream_kv) {  // the cached positions 0..L-1
      cmds.add(isa::load(transfer(kv.k_addr(g), kv.row_bytes(), kv.k_rows, L, Space::Wspad, kt_pl.addr, n_cols)));
      cmds.add(isa::load(transfer(kv.v_addr(g), kv.row_bytes(), kv.v_rows, L, Space::Wspad, v_pl.addr, n_rows)));
    }
    const Placement k_new = stream_kv ? kt_pl : kt_pl.sub(L, 0, T, pw);
    const Placement v_new = stream_kv ? v_pl : v_pl.sub(L, 0, T, hd);
    emit_matmul(x, {{n1_pl, p.wk[g], d}}, p.kphys, wsp_win, acc_win, rope_into(x, k_new, cs_pl, p.kphys, p.bk[g], qk_tmp),
                {}, true);
    emit_matmul(x, {{n1_pl, p.wv[g], d}}, hd, wsp_win, acc_win, into(x, cvt_op(p.bv[g]), v_new));
    // Append the new rows to the DRAM cache.
    cmds.add(isa::store(transfer(kv.k_addr(g) + L * t.bus_bytes, kv.row_bytes(), kv.k_rows, T, k_new.space,
                                 k_new.addr, k_new.group_stride)));
    cmds.add(isa::store(transfer(kv.v_addr(g) + L * t.bus_bytes, kv.row_bytes(), kv.v_rows, T, v_new.space,
                                 v_new.addr, v_new.group_stride)));
    const auto q_proj = [&](unsigned h, const Placement& q) {
      emit_matmul(x, {{n1_pl, p.wq[h], d}}, p.kphys, wsp_win, acc_win, rope_into(x, q, cs_pl, p.kphys, p.bq[h], qk_tmp),
                  {}, true);
    };
    if (stream_kv) {
      for (unsigned i = 0; i < group; ++i) q_proj(g * group + i, q_stack.sub(i * T, 0, T, pw));
      const std::vector<Placement> o_grp(o_pl.begin() + g * group, o_pl.begin() + (g + 1) * group);
      emit_attention_group_streamed(x, {q_stack, p_stack, o_grp},
                                    {kv.k_addr(g), kv.v_addr(g), kv.row_bytes(), kv.k_rows, kv.v_rows, p.zeros, kc, vc,
                                     k_chunk, v_chunk},
                                    N, hd, acc_win, L);
      continue;
    }
    for (unsigned h = g * group; h < (g + 1) * group; ++h) {
      q_proj(h, q_pl);
      emit_attention_head(x, {q_pl, kt_pl, v_pl, p_pl, o_pl[h]}, hd, acc_win, L);
    }
  }
  // Output projection with the residual fused: R1 = resid(acc, bo, X).
  std::vector<MatmulPart> o_parts;
  for (unsigned h = 0; h < H; ++h) o_parts.push_back({o_pl[h], p.wo[h], hd});
  emit_matmul(x, o_parts, d, post_win, acc_win, resid_into(x, r1_pl, x_pl, p.bo, a_tmp));
  VecOp norm2 = norm1;
  norm2.params = &p.norm2;
  emit_vec_rowwise(x, norm2, r1_pl, n2_pl);
  if (swiglu) {
    // acc1 (gate) and acc3 (up) side by side in ACC, then SWIGLU_BF16(acc1, acc3);
    // with b1 the gate is CVT_BF16(acc1, b1) in ASPAD.
    const Placement f = f_pl, gt = g_tmp;
    const ParamSet& b1 = p.b1;
    emit_matmul(
        x, {{n2_pl, p.w1, d}}, F, post_win, acc_win,
        [&x, f, gt, &b1](const Placement& acc1, const Placement* acc3, unsigned m0, unsigned c0) {
          const Placement gate = biased(x, acc1, b1, gt, m0, c0);
          VecOp sw;
          sw.func = VecFunc::SwigluBf16;
          emit_vec_rowwise(x, sw, gate, f.sub(m0, c0, acc1.rows, acc1.cols), acc3);
        },
        {{n2_pl, p.w3, d}});
  } else {
    VecOp gelu;  // the bias fused: add(acc, P1), then GELU
    gelu.func = VecFunc::GeluBf16;
    gelu.cfg = {0, p.b1.p1.empty() ? 0u : 1u, 0, 0};
    if (!p.b1.p1.empty()) gelu.params = &p.b1;
    emit_matmul(x, {{n2_pl, p.w1, d}}, F, post_win, acc_win, into(x, gelu, f_pl));
  }
  emit_matmul(x, {{f_pl, p.w2, F}}, d, post_win, acc_win, resid_into(x, y_pl, r1_pl, p.b2, a_tmp));  // Y
  cmds.add(isa::store(transfer(p.output.addr, 0, 1, a_words(T, d, t), Space::Aspad, y_pl.addr, 0)));

  CompiledLayer out;
  cmds.take_into(out);
  out.dram_base = dram_base;
  out.dram_bytes = dram_bytes;
  out.weights = weights;
  out.input = {p.input.addr, a_words(T, d, t) * t.bus_bytes};
  out.output = {p.output.addr, a_words(T, d, t) * t.bus_bytes};
  out.seq_len = T;
  out.d_model = d;
  out.output_a_layout = true;
  out.bus_bytes = t.bus_bytes;
  out.out_row_words = ceil_div(d, t.bus_bytes / 2);
  out.target = t;
  // Only the tensors no scratch reused hold their values after the run.
  out.kv_chunk = kc;
  out.probes = {{"r1", r1_pl}, {"f", f_pl}, {"y", y_pl}};
  if (!stream_kv) out.probes["v.last"] = v_pl;
  if (p.b2.p1.empty()) out.probes["n2"] = n2_pl;
  if (!swiglu || p.b1.p1.empty() || g_tmp.addr >= r1_pl.addr) {
    out.probes.insert({{"x", x_pl}, {"n1", n1_pl}, {"p.last", p_pl}});
    for (unsigned h = 0; h < H; ++h) out.probes["o.h" + std::to_string(h)] = o_pl[h];
  }
  return out;
}

CompiledLayer compile_decoder_layer_bf16(const ref::LayerShape& s, const ref::LayerWeightsBf16& w, int tokens,
                                         int cache_len, unsigned capacity, const ref::AccelConfig& cfg,
                                         std::uint32_t dram_base) {
  if (tokens <= 0 || cache_len < 0) dec_fail("tokens must be positive and cache_len not negative");
  const CompiledDecoder dec(s, w, capacity, cfg, dram_base);
  CompiledLayer out = dec.step(static_cast<unsigned>(cache_len), static_cast<unsigned>(tokens));
  out.weights_image = dec.weights_image;
  return out;
}

}  // namespace npu::compiler
