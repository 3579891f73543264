#include "npu/compiler/layer.hpp"

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
  throw std::invalid_argument("compile_encoder_layer_bf16: " + what);
}

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

// Commands with the simplest race-free token discipline: a command waits for
// the one before it whenever that one ran in another queue. This serialises
// the queues (no overlap yet), is correct for any placement and reuse of
// local memory, and leaves no token behind.
class CmdStream {
 public:
  void add(isa::Command c) {
    const Queue q = isa::queue_of(c.op());
    if (!cmds_.empty() && q != last_) {
      isa::Command& prev = cmds_.back();
      isa::set_deps(prev, isa::deps(prev).push_to(q));
      isa::set_deps(c, isa::deps(c).pop_from(last_));
    }
    last_ = q;
    cmds_.push_back(c);
  }
  std::vector<isa::Command> take() { return std::move(cmds_); }

 private:
  std::vector<isa::Command> cmds_;
  Queue last_ = Queue::Load;
};

// ---- placements ---------------------------------------------------------------

// T x cols BF16 in the GEMM A layout [kt][row] at addr.
Placement a_layout(std::uint32_t addr, unsigned rows, unsigned cols, const Target& t) {
  return {Space::Aspad, addr, 1, rows, t.rows, rows, cols};
}
unsigned a_words(unsigned rows, unsigned cols, const Target& t) { return ceil_div(cols, t.rows) * rows; }

// A GEMM result in ACC: N tile nt of row r at addr + nt*rows + r.
Placement acc_layout(std::uint32_t addr, unsigned rows, unsigned cols, const Target& t) {
  return {Space::Acc, addr, 1, rows, t.cols, rows, cols};
}

// ---- parameters (PARAMS) ------------------------------------------------------

// Per-channel values of one VEC op: channel c of column c (P2 unused here).
struct ParamSet {
  std::vector<std::uint32_t> p0, p1;
};

// Everything the emitters share.
struct Ctx {
  const ref::AccelConfig& cfg;
  Target t;
  DramImage& dram;
  CmdStream& cmds;
  std::uint32_t params_stage = 0;  // ASPAD words for one PARAMS row
  std::map<std::tuple<const ParamSet*, unsigned, unsigned>, std::uint32_t> blobs{};
};

// LOAD + PARAMS of channels [c0, c0+n) of `ps` (blob packed once, reused).
void emit_params(Ctx& x, const ParamSet& ps, unsigned c0, unsigned n) {
  const unsigned per_word = x.cfg.bus_bytes / 4, words = ceil_div(3 * n, per_word);
  auto key = std::make_tuple(&ps, c0, n);
  auto it = x.blobs.find(key);
  if (it == x.blobs.end()) {
    std::vector<std::uint8_t> b(std::size_t{words} * x.cfg.bus_bytes, 0);
    for (unsigned e = 0; e < n; ++e) {
      const std::uint32_t v[3] = {ps.p0.empty() ? 0 : ps.p0.at(c0 + e), ps.p1.empty() ? 0 : ps.p1.at(c0 + e), 0};
      for (unsigned k = 0; k < 3; ++k)
        for (unsigned i = 0; i < 4; ++i) b[(3 * e + k) * 4 + i] = static_cast<std::uint8_t>(v[k] >> (8 * i));
    }
    it = x.blobs.emplace(key, x.dram.put(b)).first;
  }
  isa::Transfer tr;
  tr.dram_addr = it->second;
  tr.row_words = words;
  tr.space = Space::Aspad;
  tr.local_addr = x.params_stage;
  x.cmds.add(isa::load(tr));
  isa::VecArgs v;
  v.func = VecFunc::Params;
  v.src = {x.params_stage, Space::Aspad, 0, 1, per_word};
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
    if (aux) v.aux = aux->sub(0, c0, src.rows, nc).stream();
    v.rows = src.rows;
    v.n = nc;
    v.cfg = op.cfg;
    x.cmds.add(isa::vec(v));
  }
}

// The VEC epilogue of a matmul block: called with the ACC block (rows m0..,
// columns c0.. of the result).
using Epilogue = std::function<void(const Placement& acc_block, unsigned m0, unsigned c0)>;

// One K segment of a matmul: A (ASPAD, A layout) times W packed in DRAM
// (pack_w_bf16 of a k x n matrix). Segments accumulate in order, so their
// concatenation along K is one GEMM in k order.
struct MatmulPart {
  Placement a;
  std::uint32_t w_dram = 0;
  unsigned k = 0;
};

struct Window {
  std::uint32_t addr = 0, size = 0;
};

// C = [A_0 | A_1 | ...] x [W_0; W_1; ...] (n columns), blocked so that the W
// tiles of one block fit the WSPAD window and the C block fits the ACC window;
// each finished block goes through `epi` before the next overwrites ACC.
// N blocks are whole multiples of lcm(Rows, Cols) columns so that every
// epilogue starts on a word of an A-layout or ACC stream.
void emit_matmul(Ctx& x, const std::vector<MatmulPart>& parts, unsigned n, Window wsp, Window acc,
                 const Epilogue& epi) {
  const Target& t = x.t;
  const unsigned rows = parts.front().a.rows, nt_n = ceil_div(n, t.cols);
  unsigned kt_max = 0;
  for (const auto& p : parts) {
    if (p.a.space != Space::Aspad || p.a.group != t.rows || p.a.row_stride != 1 || p.a.rows != rows)
      throw std::logic_error("emit_matmul: A must be in the A layout");
    kt_max = std::max(kt_max, ceil_div(p.k, t.rows));
  }
  const unsigned align = std::lcm(t.rows, t.cols) / t.cols;  // N tiles per aligned block
  const auto round = [&](unsigned tiles) { return tiles >= nt_n ? nt_n : tiles / align * align; };
  // Prefer whole K in WSPAD; else K chunks of one aligned N block.
  unsigned n_blk = round(wsp.size / (kt_max * t.rows));
  unsigned k_blk = kt_max;
  if (n_blk == 0) {
    n_blk = std::min(nt_n, align);
    k_blk = wsp.size / (n_blk * t.rows);
    if (k_blk == 0) fail("WSPAD window of " + std::to_string(wsp.size) + " words holds no K tile");
  }
  n_blk = std::min(n_blk, round(acc.size / std::min(rows, acc.size)));
  if (n_blk == 0) n_blk = std::min(nt_n, align);
  const unsigned m_blk = std::min({rows, acc.size / n_blk, 65535u});
  if (m_blk == 0) fail("ACC window too small for one block");

  for (unsigned m0 = 0; m0 < rows; m0 += m_blk) {
    const unsigned mr = std::min(m_blk, rows - m0);
    for (unsigned nt0 = 0; nt0 < nt_n; nt0 += n_blk) {
      const unsigned nc = std::min(n_blk, nt_n - nt0);
      bool first = true;
      for (const auto& p : parts) {
        const unsigned kt_n = ceil_div(p.k, t.rows);
        for (unsigned kt0 = 0; kt0 < kt_n; kt0 += k_blk) {
          const unsigned kc = std::min(k_blk, kt_n - kt0);
          isa::Transfer tw;  // W [nt][kt][r]: nc N tiles of kc K tiles each
          tw.dram_addr = p.w_dram + (nt0 * kt_n + kt0) * t.rows * t.bus_bytes;
          tw.dram_stride = kt_n * t.rows * t.bus_bytes;
          tw.rows = nc;
          tw.row_words = kc * t.rows;
          tw.space = Space::Wspad;
          tw.local_addr = wsp.addr;
          tw.local_stride = kc * t.rows;
          x.cmds.add(isa::load(tw));
          isa::GemmArgs g;
          g.bf16 = true;
          g.accumulate = !first;
          g.a_addr = p.a.word(m0, kt0 * t.rows);
          g.a_kstride = p.a.group_stride;
          g.w_addr = wsp.addr;
          g.w_kstride = t.rows;
          g.w_nstride = kc * t.rows;
          g.acc_addr = acc.addr;
          g.acc_nstride = mr;
          g.m = mr;
          g.k_tiles = kc;
          g.n_tiles = nc;
          x.cmds.add(isa::gemm(g));
          first = false;
        }
      }
      const unsigned c0 = nt0 * t.cols;
      epi(acc_layout(acc.addr, mr, std::min(nc * t.cols, n - c0), t), m0, c0);
    }
  }
}

// Where one attention head reads and writes.
struct HeadPlaces {
  Placement q;   // T x hd, ASPAD A layout
  Placement kt;  // K_g^T tiles in WSPAD: token n's key is the A-layout row n (w_transposed)
  Placement v;   // V_g in WSPAD as W tiles: token t is word t of its column tile (w_kstride Rows)
  Placement p;   // T x T probabilities, ASPAD A layout (the A of P x V)
  Placement o;   // T x hd output, ASPAD A layout
};

// S = Q_h K_g^T (ACC), P = SOFTMAX_BF16(S, scale) row by row, O_h = CVT(P V_g),
// in row blocks that fit the ACC window.
void emit_attention_head(Ctx& x, const HeadPlaces& hp, unsigned hd, Window acc) {
  const Target& t = x.t;
  const unsigned T = hp.q.rows, nt_s = ceil_div(T, t.cols), nt_o = ceil_div(hd, t.cols);
  const unsigned m_blk = std::min(T, acc.size / std::max(nt_s, nt_o));
  if (m_blk == 0) fail("ACC too small for one attention row");
  for (unsigned m0 = 0; m0 < T; m0 += m_blk) {
    const unsigned mr = std::min(m_blk, T - m0);
    isa::GemmArgs s;
    s.bf16 = true;
    s.w_transposed = true;
    s.a_addr = hp.q.word(m0, 0);
    s.a_kstride = hp.q.group_stride;
    s.k_tiles = ceil_div(hd, t.rows);
    s.w_addr = hp.kt.addr;
    s.w_kstride = hp.kt.group_stride;
    s.n_tiles = nt_s;
    s.w_nstride = t.cols;
    s.acc_addr = acc.addr;
    s.acc_nstride = mr;
    s.m = mr;
    x.cmds.add(isa::gemm(s));
    VecOp sm;
    sm.func = VecFunc::SoftmaxBf16;
    sm.cfg = {ref::attention_scale_fp32(hd), 0, 0, 0};
    sm.whole_row = true;
    emit_vec_rowwise(x, sm, acc_layout(acc.addr, mr, T, t), hp.p.sub(m0, 0, mr, T));

    isa::GemmArgs o;
    o.bf16 = true;
    o.a_addr = hp.p.word(m0, 0);
    o.a_kstride = hp.p.group_stride;
    o.k_tiles = ceil_div(T, t.rows);
    o.w_addr = hp.v.addr;
    o.w_kstride = t.rows;
    o.n_tiles = nt_o;
    o.w_nstride = hp.v.group_stride;
    o.acc_addr = acc.addr;
    o.acc_nstride = mr;
    o.m = mr;
    x.cmds.add(isa::gemm(o));
    VecOp cv;
    cv.cfg = {kFp32One, 0, 0, 0};
    emit_vec_rowwise(x, cv, acc_layout(acc.addr, mr, hd, t), hp.o.sub(m0, 0, mr, hd));
  }
}

// ---- host-side helpers ----------------------------------------------------------

Bf16 columns(const Bf16& m, std::size_t c0, std::size_t n) {
  Bf16 y(m.rows(), n);
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < n; ++c) y(r, c) = m(r, c0 + c);
  return y;
}
Bf16 row_block(const Bf16& m, std::size_t r0, std::size_t n) {
  Bf16 y(n, m.cols());
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(r, c) = m(r0 + r, c);
  return y;
}
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

// CVT_BF16 from ACC, scale 1.0, bias P1 when the bias is present.
VecOp cvt_op(const ParamSet& bias) {
  VecOp op;
  op.func = VecFunc::CvtBf16;
  op.cfg = {kFp32One, bias.p1.empty() ? 0u : 2u, 0, 0};
  if (!bias.p1.empty()) op.params = &bias;
  return op;
}

// A matmul epilogue that applies `op` into columns of `dst`.
Epilogue into(Ctx& x, VecOp op, const Placement& dst) {
  return [&x, op, dst](const Placement& acc, unsigned m0, unsigned c0) {
    VecOp o = op;
    o.param_col0 = c0;
    emit_vec_rowwise(x, o, acc, dst.sub(m0, c0, acc.rows, acc.cols));
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

ref::Matrix<std::uint16_t> CompiledLayer::unpack_output(const std::vector<std::uint8_t>& b) const {
  if (b.size() < output.bytes) throw std::invalid_argument("unpack_output: buffer too small");
  ref::Matrix<std::uint16_t> y(seq_len, d_model);
  for (unsigned r = 0; r < seq_len; ++r)
    for (unsigned e = 0; e < d_model; ++e) {
      const std::size_t at = std::size_t{r} * out_row_words * bus_bytes + 2 * e;
      y(r, e) = static_cast<std::uint16_t>(b[at] | b[at + 1] << 8);
    }
  return y;
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

CompiledLayer compile_encoder_layer_bf16(const ModelDesc& model, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base) {
  return compile_encoder_layer_bf16(layer_shape(model), w, seq_len, cfg, dram_base);
}

CompiledLayer compile_encoder_layer_bf16(const ref::LayerShape& s, const ref::LayerWeightsBf16& w, int seq_len,
                                         const ref::AccelConfig& cfg, std::uint32_t dram_base) {
  if (s.kind != ref::LayerKind::Encoder) fail("shape is not an encoder");
  if (s.act != ref::LayerActivation::Gelu) fail("only the GELU FFN is lowered (SwiGLU: not yet)");
  if (s.heads == 0 || s.kv_heads == 0 || s.heads % s.kv_heads != 0) fail("heads must be a multiple of kv_heads");
  if (seq_len <= 0) fail("seq_len must be positive");
  const Target t = target_of(cfg);
  if (t.bus_bytes < 2 * t.rows || t.bus_bytes < 2 * t.cols) fail("bus_bytes must be >= 2*rows and >= 2*cols");
  if (dram_base % t.bus_bytes != 0) fail("dram_base must be a multiple of bus_bytes");
  const auto T = static_cast<unsigned>(seq_len);
  const auto d = static_cast<unsigned>(s.d_model), hd = static_cast<unsigned>(s.head_dim);
  const auto H = static_cast<unsigned>(s.heads), G = static_cast<unsigned>(s.kv_heads);
  const auto F = static_cast<unsigned>(s.ffn), group = H / G;
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

  CompiledLayer out;
  out.seq_len = T;
  out.d_model = d;
  out.bus_bytes = t.bus_bytes;
  out.target = t;

  // ---- weights, packed once with the GEMM compiler's W layout ----
  DramImage img(dram_base, t.bus_bytes);
  std::vector<std::uint32_t> wq(H), wo(H), wk(G), wv(G);
  std::vector<ParamSet> bq(H), bk(G), bv(G);
  for (unsigned h = 0; h < H; ++h) {
    wq[h] = img.put(pack_w_bf16(columns(w.wq, h * hd, hd), t));
    wo[h] = img.put(pack_w_bf16(row_block(w.wo, h * hd, hd), t));
    bq[h].p1 = slice(w.bq, h * hd, hd);
  }
  for (unsigned g = 0; g < G; ++g) {
    wk[g] = img.put(pack_w_bf16(columns(w.wk, g * hd, hd), t));
    wv[g] = img.put(pack_w_bf16(columns(w.wv, g * hd, hd), t));
    bk[g].p1 = slice(w.bk, g * hd, hd);
    bv[g].p1 = slice(w.bv, g * hd, hd);
  }
  const std::uint32_t w1 = img.put(pack_w_bf16(w.w1, t)), w2 = img.put(pack_w_bf16(w.w2, t));
  const ParamSet bo{{}, w.bo}, b1{{}, w.b1}, b2{{}, w.b2};
  const ParamSet ln1{widen(w.gamma1), widen(w.beta1)}, ln2{widen(w.gamma2), widen(w.beta2)};

  // ---- on-chip placement ----
  SpadAlloc aspad("ASPAD", t.aspad_words), wspad("WSPAD", t.wspad_words);
  const unsigned kt_hd = ceil_div(hd, t.rows), t_cols = ceil_div(T, t.cols) * t.cols;
  const unsigned t_rows = ceil_div(T, t.rows) * t.rows, nt_hd = ceil_div(hd, t.cols);
  // K_g^T and V_g stay in WSPAD (top) for the heads of group g; weights stream below them.
  const Placement kt_pl{Space::Wspad, wspad.take_top(kt_hd * t_cols, "K^T of one KV head"), 1, t_cols, t.rows, T, hd};
  const Placement v_pl{Space::Wspad, wspad.take_top(nt_hd * t_rows, "V of one KV head"), 1, t_rows, t.cols, T, hd};
  const Window wsp_win{0, wspad.free()}, acc_win{0, t.acc_rows};

  const unsigned epw = t.bus_bytes / 2;  // BF16 per word
  const std::uint32_t params_stage = aspad.take(ceil_div(3 * cfg.vec_maxlen, t.bus_bytes / 4), "PARAMS staging");
  const auto take_a = [&](unsigned cols, const std::string& what) {
    return a_layout(aspad.take(a_words(T, cols, t), what), T, cols, t);
  };
  const Placement x_pl = take_a(d, "x");
  const Placement q_pl = take_a(hd, "q of one head");
  const Placement p_pl = take_a(T, "p of one head");
  std::vector<Placement> o_pl;
  for (unsigned h = 0; h < H; ++h) o_pl.push_back(take_a(hd, "o.h" + std::to_string(h)));
  const Placement a_pl = take_a(d, "a"), r1_pl = take_a(d, "r1"), h1_pl = take_a(d, "h1");
  const Placement f_pl = take_a(F, "f"), f2_pl = take_a(d, "f2"), r2_pl = take_a(d, "r2");
  out.out_row_words = ceil_div(d, epw);
  const Placement y_pl{Space::Aspad, aspad.take(T * out.out_row_words, "y"), out.out_row_words, 1, epw, T, d};

  CmdStream cmds;
  Ctx x{cfg, t, img, cmds, params_stage};

  // The DRAM regions after the constant image; the zero row for V padding first.
  std::optional<std::uint32_t> zeros;
  if (t_rows > T) zeros = img.put(std::vector<std::uint8_t>(std::size_t{t_rows - T} * t.bus_bytes, 0));
  // Parameter blobs are appended to the image while emitting, so the input and
  // output regions are placed after emission and their addresses patched in.

  // ---- the stream ----
  {
    isa::Transfer tx;  // x arrives in the A layout, one contiguous block
    tx.row_words = a_words(T, d, t);
    check_u16(tx.row_words, "x LOAD words");
    tx.space = Space::Aspad;
    tx.local_addr = x_pl.addr;
    cmds.add(isa::load(tx));
  }
  if (zeros) {
    // V rows T .. t_rows-1 are the K padding of P x V: +0, never stale data (NaN x 0 = NaN).
    isa::Transfer tz;
    tz.dram_addr = *zeros;
    tz.dram_stride = 0;
    tz.rows = nt_hd;
    tz.row_words = t_rows - T;
    tz.space = Space::Wspad;
    tz.local_addr = v_pl.addr + T;
    tz.local_stride = t_rows;
    cmds.add(isa::load(tz));
  }

  for (unsigned g = 0; g < G; ++g) {
    emit_matmul(x, {{x_pl, wk[g], d}}, hd, wsp_win, acc_win, into(x, cvt_op(bk[g]), kt_pl));
    emit_matmul(x, {{x_pl, wv[g], d}}, hd, wsp_win, acc_win, into(x, cvt_op(bv[g]), v_pl));
    for (unsigned h = g * group; h < (g + 1) * group; ++h) {
      emit_matmul(x, {{x_pl, wq[h], d}}, hd, wsp_win, acc_win, into(x, cvt_op(bq[h]), q_pl));
      emit_attention_head(x, {q_pl, kt_pl, v_pl, p_pl, o_pl[h]}, hd, acc_win);
    }
  }
  // Output projection: the heads are consecutive K segments of one GEMM chain.
  std::vector<MatmulPart> o_parts;
  for (unsigned h = 0; h < H; ++h) o_parts.push_back({o_pl[h], wo[h], hd});
  emit_matmul(x, o_parts, d, wsp_win, acc_win, into(x, cvt_op(bo), a_pl));
  VecOp add;
  add.func = VecFunc::AddBf16;
  emit_vec_rowwise(x, add, x_pl, r1_pl, &a_pl);  // R1 = X + A

  std::uint32_t eps = 0;
  std::memcpy(&eps, &s.eps, sizeof eps);
  const bool layernorm = s.norm == ref::LayerNormKind::LayerNorm;
  VecOp norm1;
  norm1.func = layernorm ? VecFunc::LayernormBf16 : VecFunc::RmsnormBf16;
  norm1.cfg = {eps, 0, 0, 0};
  norm1.params = &ln1;
  norm1.whole_row = true;
  emit_vec_rowwise(x, norm1, r1_pl, h1_pl);

  VecOp gelu;
  gelu.func = VecFunc::GeluBf16;  // the FFN bias is fused: add(acc, P1), then GELU
  gelu.cfg = {0, b1.p1.empty() ? 0u : 1u, 0, 0};
  if (!b1.p1.empty()) gelu.params = &b1;
  emit_matmul(x, {{h1_pl, w1, d}}, F, wsp_win, acc_win, into(x, gelu, f_pl));
  emit_matmul(x, {{f_pl, w2, F}}, d, wsp_win, acc_win, into(x, cvt_op(b2), f2_pl));
  emit_vec_rowwise(x, add, h1_pl, r2_pl, &f2_pl);  // R2 = H1 + F2

  VecOp norm2 = norm1;
  norm2.params = &ln2;
  emit_vec_rowwise(x, norm2, r2_pl, y_pl);  // Y in row layout, ready for the host
  {
    isa::Transfer ty;
    ty.row_words = T * out.out_row_words;
    check_u16(ty.row_words, "y STORE words");
    ty.space = Space::Aspad;
    ty.local_addr = y_pl.addr;
    cmds.add(isa::store(ty));
  }

  // ---- DRAM regions, now that the constant image is complete ----
  out.weights = {dram_base, img.end() - dram_base};
  out.input = {img.end(), a_words(T, d, t) * t.bus_bytes};
  out.output = {out.input.addr + out.input.bytes, T * out.out_row_words * t.bus_bytes};
  out.dram_base = dram_base;
  out.dram_bytes = out.output.addr + out.output.bytes - dram_base;
  out.cmds = cmds.take();
  // The first command is the input LOAD, the last the output STORE.
  out.cmds.front().w[1] = out.input.addr;
  out.cmds.back().w[1] = out.output.addr;
  out.weights_image = std::move(img.bytes());

  out.probes = {{"x", x_pl}, {"a", a_pl}, {"r1", r1_pl}, {"h1", h1_pl}, {"f", f_pl},
                {"f2", f2_pl}, {"r2", r2_pl}, {"y", y_pl}, {"q.last", q_pl}, {"p.last", p_pl},
                {"k.last", kt_pl}, {"v.last", v_pl}};
  for (unsigned h = 0; h < H; ++h) out.probes["o.h" + std::to_string(h)] = o_pl[h];
  return out;
}

}  // namespace npu::compiler
