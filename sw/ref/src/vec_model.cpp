#include "npu/ref/vec_model.hpp"

#include "npu/ref/requant.hpp"
#include "npu/ref/vector.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

namespace npu::ref {

using isa::Fault;
using isa::VecFunc;

namespace {

constexpr unsigned fn(VecFunc f) { return static_cast<unsigned>(f); }

int sext(std::uint32_t v, unsigned bits) {
  const std::uint32_t m = 1u << (bits - 1);
  return static_cast<int>((v & ((m << 1) - 1)) ^ m) - static_cast<int>(m);
}

using Rows = std::vector<std::vector<std::uint32_t>>;

// Raw element bits of a stream, [row][e].
Rows read_stream(const LocalMemories& mem, const AccelConfig& cfg, bool in_acc, std::uint64_t addr,
                 std::uint64_t rs, std::uint64_t gs, std::uint64_t group, VecType t, unsigned rows, unsigned n) {
  Rows v(rows, std::vector<std::uint32_t>(n));
  const unsigned eb = vec_elem_bytes(t);
  for (unsigned r = 0; r < rows; ++r)
    for (unsigned e = 0; e < n; ++e) {
      const std::uint64_t w = vec_word_of(addr, rs, gs, group, r, e);
      const unsigned lane = static_cast<unsigned>(e % group);
      if (in_acc) {
        v[r][e] = mem.acc.at(w * cfg.cols + lane);
      } else {
        std::uint32_t x = 0;
        for (unsigned i = 0; i < eb; ++i) x |= std::uint32_t{mem.aspad.at(w * cfg.bus_bytes + lane * eb + i)} << (8 * i);
        v[r][e] = x;
      }
    }
  return v;
}

}  // namespace

const std::vector<VecFunc>& vec_funcs() {
  static const std::vector<VecFunc> kFuncs = {
      VecFunc::Requant,     VecFunc::ReqParams,     VecFunc::GeluI8,      VecFunc::SiluI8,   VecFunc::SiluTable,
      VecFunc::AddI8,       VecFunc::MulI8,         VecFunc::SoftmaxI8,   VecFunc::SoftmaxBf16,
      VecFunc::LayerNormBf16, VecFunc::RmsNormBf16, VecFunc::GeluBf16,    VecFunc::SiluBf16, VecFunc::AddBf16,
      VecFunc::MulBf16};
  return kFuncs;
}

VecFuncInfo vec_func_info(unsigned f) {
  VecFuncInfo i;
  const auto& all = vec_funcs();
  i.legal = std::any_of(all.begin(), all.end(), [&](VecFunc v) { return fn(v) == f; });
  if (f == fn(VecFunc::Requant) || f == fn(VecFunc::ReqParams)) i.src = VecType::I32;
  if (f >= 0x10) i.src = i.dst = VecType::Bf16;
  i.has_dst = f != fn(VecFunc::ReqParams) && f != fn(VecFunc::SiluTable);
  const bool binary = f == fn(VecFunc::AddI8) || f == fn(VecFunc::MulI8) || f == fn(VecFunc::AddBf16) ||
                      f == fn(VecFunc::MulBf16);
  i.has_aux = binary || f == fn(VecFunc::LayerNormBf16) || f == fn(VecFunc::RmsNormBf16);
  i.aux_rows = binary;
  i.has_aux2 = f == fn(VecFunc::LayerNormBf16);
  return i;
}

unsigned vec_elem_bytes(VecType t) { return t == VecType::I8 ? 1 : t == VecType::Bf16 ? 2 : 4; }

unsigned vec_elems_per_word(VecType t, bool in_acc, const AccelConfig& cfg) {
  return in_acc ? cfg.cols : cfg.bus_bytes / vec_elem_bytes(t);
}

VecFields VecFields::decode(const isa::Command& c) {
  const auto& w = c.w;
  VecFields f;
  f.func = w[0] >> 16 & 0xFF;
  f.src = w[1] & 0xFFFFFF;
  f.src_space = w[1] >> 24 & 3;
  f.src_rs = w[2] & 0xFFFF, f.src_gs = w[2] >> 16;
  f.dst = w[3] & 0xFFFFFF;
  f.dst_rs = w[4] & 0xFFFF, f.dst_gs = w[4] >> 16;
  f.aux = w[5] & 0xFFFFFF;
  f.aux2 = w[6] & 0xFFFFFF;
  f.rows = w[7] & 0xFFFF, f.n = w[7] >> 16;
  f.src_group = w[8] & 0xFF, f.dst_group = w[8] >> 8 & 0xFF, f.aux_group = w[8] >> 16 & 0xFF;
  f.aux_rs = w[9] & 0xFFFF, f.aux_gs = w[9] >> 16;
  for (unsigned i = 0; i < 4; ++i) f.cfg[i] = w[10 + i];
  return f;
}

Fault vec_check(const isa::Command& cmd, const AccelConfig& cfg) {
  const VecFields c = VecFields::decode(cmd);
  const VecFuncInfo fi = vec_func_info(c.func);
  if (!fi.legal) return Fault::IllegalOpcode;
  const bool acc = c.src_space == 2;
  const bool params = c.func == fn(VecFunc::ReqParams) || c.func == fn(VecFunc::SiluTable);
  bool bad = c.rows == 0 || c.n == 0;
  if (!params && c.n > cfg.vec_maxlen) bad = true;
  if (!(c.src_space == 0 || (acc && fi.src == VecType::I32))) bad = true;
  if (c.src_group == 0 || c.src_group > vec_elems_per_word(fi.src, acc, cfg)) bad = true;
  if (fi.has_dst && (c.dst_group == 0 || c.dst_group > vec_elems_per_word(fi.dst, false, cfg))) bad = true;
  if (fi.has_aux && (c.aux_group == 0 || c.aux_group > vec_elems_per_word(fi.src, false, cfg))) bad = true;
  if (c.func == fn(VecFunc::ReqParams) && (c.n % 3 != 0 || c.n > 3 * cfg.req_channels)) bad = true;
  if (c.func == fn(VecFunc::Requant) && c.n > cfg.req_channels) bad = true;
  if (c.func == fn(VecFunc::SiluTable) && c.n != 256) bad = true;
  if (bad) return Fault::BadField;
  const auto last = [&](std::uint64_t a, std::uint64_t rs, std::uint64_t gs, std::uint64_t g) {
    return vec_word_of(a, rs, gs, g, c.rows - 1, c.n - 1);
  };
  if (last(c.src, c.src_rs, c.src_gs, c.src_group) >= (acc ? cfg.acc_rows : cfg.aspad_words))
    return acc ? Fault::AccRange : Fault::SpadRange;
  if (fi.has_dst && last(c.dst, c.dst_rs, c.dst_gs, c.dst_group) >= cfg.aspad_words) return Fault::SpadRange;
  if (fi.has_aux && last(c.aux, fi.aux_rows ? c.aux_rs : 0, c.aux_gs, c.aux_group) >= cfg.aspad_words)
    return Fault::SpadRange;
  if (fi.has_aux2 && last(c.aux2, 0, c.aux_gs, c.aux_group) >= cfg.aspad_words) return Fault::SpadRange;
  return Fault::None;
}

void VecModel::reset() {
  req_.clear();
  silu_.fill(0);
}

VecModel::WordWrites VecModel::compute(const isa::Command& cmd, const LocalMemories& mem, const AccelConfig& cfg) {
  if (const Fault f = vec_check(cmd, cfg); f != Fault::None)
    throw std::invalid_argument("VecModel::compute: command faults with " + isa::fault_name(f));
  if (req_.size() < cfg.req_channels) req_.resize(cfg.req_channels);
  const VecFields c = VecFields::decode(cmd);
  const VecFuncInfo fi = vec_func_info(c.func);
  const auto func = static_cast<VecFunc>(c.func);
  const bool acc = c.src_space == 2;
  const Rows x = read_stream(mem, cfg, acc, c.src, c.src_rs, c.src_gs, c.src_group, fi.src, c.rows, c.n);
  Rows a, b;
  if (fi.has_aux)
    a = read_stream(mem, cfg, false, c.aux, fi.aux_rows ? c.aux_rs : 0, c.aux_gs, c.aux_group, fi.src, c.rows, c.n);
  if (fi.has_aux2) b = read_stream(mem, cfg, false, c.aux2, 0, c.aux_gs, c.aux_group, fi.src, c.rows, c.n);

  Rows y(c.rows, std::vector<std::uint32_t>(c.n));
  const auto i8 = [](std::uint32_t v) { return static_cast<std::int8_t>(v & 0xFFu); };
  const auto u16 = [](std::uint32_t v) { return static_cast<std::uint16_t>(v); };
  const RequantParams gelu_out{static_cast<std::int32_t>(c.cfg[1] & 0x7FFFFFFFu), sext(c.cfg[2], 6),
                               static_cast<std::int32_t>(c.cfg[3])};
  const RequantParams elt_out{static_cast<std::int32_t>(c.cfg[2] & 0x7FFFFFFFu), sext(c.cfg[3], 6),
                              sext(c.cfg[3] >> 8, 24)};
  for (unsigned r = 0; r < c.rows; ++r) {
    std::vector<std::uint16_t> xr(c.n), ar(c.n), br(c.n);
    std::vector<std::int8_t> xi(c.n);
    for (unsigned e = 0; e < c.n; ++e) {
      xr[e] = u16(x[r][e]);
      xi[e] = i8(x[r][e]);
      if (fi.has_aux) ar[e] = u16(a[r][e]);
      if (fi.has_aux2) br[e] = u16(b[r][e]);
    }
    const std::optional<CausalMask> mask =
        (c.cfg[1] & 1u) ? std::optional<CausalMask>(CausalMask{r, static_cast<std::int32_t>(c.cfg[2])})
                        : std::nullopt;
    std::vector<std::uint16_t> yv;  // BF16 results
    switch (func) {
      case VecFunc::ReqParams:
        for (unsigned ch = 0; ch < c.n / 3; ++ch)
          req_.at(ch) = {static_cast<std::int32_t>(x[r][3 * ch] & 0x7FFFFFFFu), sext(x[r][3 * ch + 1], 6),
                         static_cast<std::int32_t>(x[r][3 * ch + 2])};
        break;
      case VecFunc::SiluTable:
        for (unsigned e = 0; e < 256; ++e) silu_[e] = xi[e];
        break;
      case VecFunc::Requant:
        for (unsigned e = 0; e < c.n; ++e) {
          const ReqChannel& ch = req_.at(e);
          const auto acc32 = static_cast<std::int32_t>(x[r][e] + static_cast<std::uint32_t>(ch.bias));
          y[r][e] = static_cast<std::uint8_t>(requantize(acc32, {ch.mult, ch.shift, static_cast<std::int32_t>(c.cfg[0])}));
        }
        break;
      case VecFunc::GeluI8:
        for (unsigned e = 0; e < c.n; ++e)
          y[r][e] = static_cast<std::uint8_t>(gelu_i8(xi[e], c.cfg[0] & 0x7FFFFFu, gelu_out));
        break;
      case VecFunc::SiluI8:
        for (unsigned e = 0; e < c.n; ++e) y[r][e] = static_cast<std::uint8_t>(silu_i8(xi[e], silu_));
        break;
      case VecFunc::AddI8:
      case VecFunc::MulI8: {
        const std::int32_t za = static_cast<std::int8_t>(c.cfg[0] & 0xFFu);
        const std::int32_t zb = static_cast<std::int8_t>((c.cfg[0] >> 8) & 0xFFu);
        for (unsigned e = 0; e < c.n; ++e) {
          const std::int8_t av = xi[e], bv = i8(a[r][e]);
          y[r][e] = static_cast<std::uint8_t>(
              func == VecFunc::AddI8 ? add_i8(av, bv, {za, zb, sext(c.cfg[1], 16), sext(c.cfg[1] >> 16, 16), elt_out})
                                     : mul_i8(av, bv, {za, zb, elt_out}));
        }
        break;
      }
      case VecFunc::SoftmaxI8: {
        const auto s = softmax_i8(xi, c.cfg[0], mask);
        for (unsigned e = 0; e < c.n; ++e) y[r][e] = s[e];
        break;
      }
      case VecFunc::SoftmaxBf16: yv = softmax_bf16(xr, c.cfg[0], mask); break;
      case VecFunc::LayerNormBf16: yv = layernorm_bf16(xr, ar, br, c.cfg[0]); break;
      case VecFunc::RmsNormBf16: yv = rmsnorm_bf16(xr, ar, c.cfg[0]); break;
      case VecFunc::GeluBf16:
      case VecFunc::SiluBf16:
      case VecFunc::AddBf16:
      case VecFunc::MulBf16:
        yv.resize(c.n);
        for (unsigned e = 0; e < c.n; ++e)
          yv[e] = func == VecFunc::GeluBf16   ? gelu_bf16(xr[e])
                  : func == VecFunc::SiluBf16 ? silu_bf16(xr[e])
                  : func == VecFunc::AddBf16  ? add_bf16(xr[e], ar[e])
                                              : mul_bf16(xr[e], ar[e]);
        break;
    }
    for (unsigned e = 0; e < yv.size(); ++e) y[r][e] = yv[e];
  }

  WordWrites words;
  if (!fi.has_dst) return words;
  const unsigned eb = vec_elem_bytes(fi.dst);
  for (unsigned r = 0; r < c.rows; ++r)
    for (unsigned e0 = 0; e0 < c.n; e0 += c.dst_group) {
      // One (row, group): a whole word, lanes past the group's elements zero.
      std::vector<std::uint8_t> bytes(cfg.bus_bytes, 0);
      for (unsigned e = e0; e < std::min(c.n, e0 + c.dst_group); ++e)
        for (unsigned i = 0; i < eb; ++i) bytes[(e - e0) * eb + i] = static_cast<std::uint8_t>(y[r][e] >> (8 * i));
      const auto w = static_cast<std::uint32_t>(vec_word_of(c.dst, c.dst_rs, c.dst_gs, c.dst_group, r, e0));
      words[w] = std::move(bytes);
    }
  return words;
}

void VecModel::exec(const isa::Command& c, LocalMemories& mem, const AccelConfig& cfg) {
  for (const auto& [w, bytes] : compute(c, mem, cfg))
    std::copy(bytes.begin(), bytes.end(), mem.aspad.begin() + static_cast<std::ptrdiff_t>(std::size_t{w} * cfg.bus_bytes));
}

std::shared_ptr<VecModel> install(AccelModel& m, std::shared_ptr<VecModel> vec) {
  if (!vec) throw std::invalid_argument("install: null VecModel");
  m.set_vec([vec](const isa::Command& c, const AccelConfig& cfg) { return vec->check(c, cfg); },
            [vec](const isa::Command& c, LocalMemories& mem, const AccelConfig& cfg) { vec->exec(c, mem, cfg); });
  return vec;
}

}  // namespace npu::ref
