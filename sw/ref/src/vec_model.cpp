#include "npu/ref/vec_model.hpp"

#include "npu/ref/bf16.hpp"
#include "npu/ref/fp.hpp"
#include "npu/ref/requant.hpp"
#include "npu/ref/vector.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

namespace npu::ref {

using isa::Elem;
using isa::Fault;
using isa::Space;
using isa::VecFunc;

namespace {

constexpr unsigned fn(VecFunc f) { return static_cast<unsigned>(f); }

int sext(std::uint32_t v, unsigned bits) {
  const std::uint32_t m = 1u << (bits - 1);
  // in 64 bits: for bits == 32 the 32-bit subtraction overflowed (found by fuzz_accel_model)
  return static_cast<int>(static_cast<std::int64_t>((v & ((m << 1) - 1)) ^ m) - std::int64_t{m});
}

using Rows = std::vector<std::vector<std::uint32_t>>;

// Raw element bits of a stream, [row][e]; BF16 widened to FP32, INT8
// sign-extended, U8 zero-extended.
Rows read_stream(const LocalMemories& mem, const AccelConfig& cfg, Space space, std::uint64_t addr,
                 std::uint64_t rs, std::uint64_t gs, std::uint64_t group, Elem t, unsigned rows, unsigned n) {
  Rows v(rows, std::vector<std::uint32_t>(n));
  const unsigned eb = vec_elem_bytes(t);
  for (unsigned r = 0; r < rows; ++r)
    for (unsigned e = 0; e < n; ++e) {
      const std::uint64_t w = vec_word_of(addr, rs, gs, group, r, e);
      const unsigned lane = static_cast<unsigned>(e % group);
      std::uint32_t x = 0;
      if (space == Space::Acc) {
        x = mem.acc.at(w * cfg.cols + lane);
      } else {
        const auto& m = space == Space::Aspad ? mem.aspad : mem.wspad;
        for (unsigned i = 0; i < eb; ++i) x |= std::uint32_t{m.at(w * cfg.bus_bytes + lane * eb + i)} << (8 * i);
      }
      if (t == Elem::Bf16) x = bf16_to_fp32(static_cast<std::uint16_t>(x));
      if (t == Elem::I8) x = static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int8_t>(x)));
      v[r][e] = x;
    }
  return v;
}

std::uint64_t space_words(Space s, const AccelConfig& cfg) {
  return s == Space::Aspad ? cfg.aspad_words : s == Space::Wspad ? cfg.wspad_words : cfg.acc_rows;
}

}  // namespace

unsigned vec_elem_bytes(Elem t) {
  switch (t) {
    case Elem::I8:
    case Elem::U8: return 1;
    case Elem::Bf16: return 2;
    default: return 4;
  }
}

unsigned vec_elems_per_word(Elem t, Space space, const AccelConfig& cfg) {
  return space == Space::Acc ? cfg.cols : cfg.bus_bytes / vec_elem_bytes(t);
}

Elem vec_src_type(const isa::VecFuncInfo& f, Space space) {
  return space == Space::Aspad ? f.src_aspad : space == Space::Acc ? f.src_acc : Elem::None;
}
Elem vec_aux_type(const isa::VecFuncInfo& f, Space space) {
  return space == Space::Aspad ? f.aux_aspad : space == Space::Acc ? f.aux_acc : Elem::None;
}

Fault vec_check(const isa::Command& cmd, const AccelConfig& cfg) {
  const auto c = isa::VecCmd::decode(cmd);
  const unsigned func = cmd.func();
  const isa::VecFuncInfo fi = isa::vec_func_info(func);
  if (!fi.legal) return Fault::IllegalOpcode;
  const Elem st = vec_src_type(fi, c.src_space), at = vec_aux_type(fi, c.aux_space);
  bool bad = c.rows == 0 || c.n == 0;
  if (func == fn(VecFunc::Params)) {
    if (c.n % 3 != 0 || c.n > 3 * cfg.vec_maxlen) bad = true;
  } else if (func == fn(VecFunc::LutLoad)) {
    if (c.n != 256) bad = true;
  } else if (c.n > cfg.vec_maxlen) {
    bad = true;
  }
  if (st == Elem::None) bad = true;
  if (st != Elem::None && (c.src_group == 0 || c.src_group > vec_elems_per_word(st, c.src_space, cfg))) bad = true;
  if (fi.has_dst()) {
    if (c.dst_space != Space::Aspad && c.dst_space != Space::Wspad) bad = true;
    const bool bytes = fi.dst == Elem::I8 || fi.dst == Elem::U8;
    if (c.dst_pairs && !bytes) bad = true;
    const unsigned epw = c.dst_pairs ? cfg.bus_bytes / 2 : vec_elems_per_word(fi.dst, Space::Aspad, cfg);
    if (c.dst_group == 0 || c.dst_group > epw) bad = true;
  }
  if (fi.has_aux()) {
    if (at == Elem::None) bad = true;
    if (at != Elem::None && (c.aux_group == 0 || c.aux_group > vec_elems_per_word(at, c.aux_space, cfg))) bad = true;
  }
  if (func == fn(VecFunc::RopeBf16)) {
    const unsigned h = c.n / 2;
    if (c.n % 2 != 0 || c.src_group == 0 || c.dst_group == 0 || h % c.src_group != 0 ||
        h % c.dst_group != 0 || c.aux_group != c.src_group || c.dst_group != c.src_group)
      bad = true;
  }
  // cfg values whose meaning has a range
  if (func == fn(VecFunc::SoftmaxI8) && (c.cfg0 == 0 || c.cfg0 > kVecMaxScaleQ20)) bad = true;
  if (func == fn(VecFunc::AddI8) || func == fn(VecFunc::MulI8)) {
    const int s = sext(c.cfg3, 6), ka = sext(c.cfg1, 16), kb = sext(c.cfg1 >> 16, 16);
    if (s < -31 || s > 30 || ka == -32768 || kb == -32768) bad = true;
  }
  if (func == fn(VecFunc::LayernormI32) || func == fn(VecFunc::RmsnormI32)) {
    const int s = sext(c.cfg2, 6);
    if (c.cfg0 == 0 || s < -31 || s > 30) bad = true;
  }
  if (bad) return Fault::BadField;
  const auto last = [&](std::uint64_t a, std::uint64_t rs, std::uint64_t gs, std::uint64_t g, std::uint64_t rows) {
    return vec_word_of(a, rs, gs, g, rows - 1, c.n - 1);
  };
  if (last(c.src_addr, c.src_row_stride, c.src_group_stride, c.src_group, c.rows) >= space_words(c.src_space, cfg))
    return c.src_space == Space::Acc ? Fault::AccRange : Fault::SpadRange;
  if (fi.has_dst()) {
    const std::uint64_t dst_rows = c.dst_pairs ? (c.rows + 1) / 2 : c.rows;
    if (last(c.dst_addr, c.dst_row_stride, c.dst_group_stride, c.dst_group, dst_rows) >= space_words(c.dst_space, cfg))
      return Fault::SpadRange;
  }
  if (fi.has_aux() &&
      last(c.aux_addr, c.aux_row_stride, c.aux_group_stride, c.aux_group, c.rows) >= space_words(c.aux_space, cfg))
    return c.aux_space == Space::Acc ? Fault::AccRange : Fault::SpadRange;
  return Fault::None;
}

void VecModel::reset() {
  params_.clear();
  lut_.fill(0);
}

VecModel::WordWrites VecModel::compute(const isa::Command& cmd, const LocalMemories& mem, const AccelConfig& cfg) {
  if (const Fault f = vec_check(cmd, cfg); f != Fault::None)
    throw std::invalid_argument("VecModel::compute: command faults with " + isa::fault_name(f));
  if (params_.size() < cfg.vec_maxlen) params_.resize(cfg.vec_maxlen, Channel{});
  const auto c = isa::VecCmd::decode(cmd);
  const isa::VecFuncInfo fi = isa::vec_func_info(cmd.func());
  const auto func = c.func;
  const Elem st = vec_src_type(fi, c.src_space);
  const Rows x = read_stream(mem, cfg, c.src_space, c.src_addr, c.src_row_stride, c.src_group_stride, c.src_group,
                             st, c.rows, c.n);
  Rows a;
  if (fi.has_aux())
    a = read_stream(mem, cfg, c.aux_space, c.aux_addr, c.aux_row_stride, c.aux_group_stride, c.aux_group,
                    vec_aux_type(fi, c.aux_space), c.rows, c.n);

  Rows y(c.rows, std::vector<std::uint32_t>(c.n));
  const auto i8 = [](std::uint32_t v) { return static_cast<std::int8_t>(v & 0xFFu); };
  const RequantParams elt_out{static_cast<std::int32_t>(c.cfg2 & 0x7FFFFFFFu), sext(c.cfg3, 6), sext(c.cfg3 >> 8, 24)};
  const RequantParams norm_out{static_cast<std::int32_t>(c.cfg1 & 0x7FFFFFFFu), sext(c.cfg2, 6), sext(c.cfg2 >> 8, 24)};
  const bool int_cvt = c.src_space == Space::Acc && (c.cfg1 & 4u);
  for (unsigned r = 0; r < c.rows; ++r) {
    const auto& xr = x[r];
    const std::optional<CausalMask> mask =
        (c.cfg1 & 1u) ? std::optional<CausalMask>(CausalMask{r, sext(c.cfg2, 32)}) : std::nullopt;
    std::vector<std::uint32_t> p0(c.n), p1(c.n);
    for (unsigned e = 0; e < c.n && e < params_.size(); ++e) {
      p0[e] = params_[e][0];
      p1[e] = params_[e][1];
    }
    std::vector<std::uint16_t> yv;  // BF16 results
    switch (func) {
      case VecFunc::Params:
        for (unsigned ch = 0; ch < c.n / 3; ++ch) params_.at(ch) = {xr[3 * ch], xr[3 * ch + 1], xr[3 * ch + 2]};
        break;
      case VecFunc::LutLoad:
        for (unsigned e = 0; e < 256; ++e) lut_[e] = i8(xr[e]);
        break;
      case VecFunc::Requant:
        for (unsigned e = 0; e < c.n; ++e) {
          const Channel& ch = params_.at(e);
          const auto acc32 = static_cast<std::int32_t>(xr[e] + ch[1]);
          const int shift = std::clamp(sext(ch[2], 6), -31, 30);
          std::int8_t q = requantize(acc32, {static_cast<std::int32_t>(ch[0] & 0x7FFFFFFFu), shift,
                                             static_cast<std::int32_t>(c.cfg0)});
          if (c.cfg1 & 1u) q = lut_i8(q, lut_);
          y[r][e] = static_cast<std::uint8_t>(q);
        }
        break;
      case VecFunc::LutI8:
        for (unsigned e = 0; e < c.n; ++e) y[r][e] = static_cast<std::uint8_t>(lut_i8(i8(xr[e]), lut_));
        break;
      case VecFunc::AddI8:
      case VecFunc::MulI8: {
        const std::int32_t za = static_cast<std::int8_t>(c.cfg0 & 0xFFu);
        const std::int32_t zb = static_cast<std::int8_t>((c.cfg0 >> 8) & 0xFFu);
        for (unsigned e = 0; e < c.n; ++e) {
          const std::int8_t av = i8(xr[e]), bv = i8(a[r][e]);
          y[r][e] = static_cast<std::uint8_t>(
              func == VecFunc::AddI8 ? add_i8(av, bv, {za, zb, sext(c.cfg1, 16), sext(c.cfg1 >> 16, 16), elt_out})
                                     : mul_i8(av, bv, {za, zb, elt_out}));
        }
        break;
      }
      case VecFunc::SoftmaxI8: {
        std::vector<std::int8_t> xi(c.n);
        for (unsigned e = 0; e < c.n; ++e) xi[e] = i8(xr[e]);
        const auto s = softmax_i8(xi, c.cfg0, mask);
        for (unsigned e = 0; e < c.n; ++e) y[r][e] = s[e];
        break;
      }
      case VecFunc::LayernormI32:
      case VecFunc::RmsnormI32: {
        std::vector<std::int32_t> xi(c.n), beta(c.n);
        std::vector<std::int8_t> gamma(c.n);
        for (unsigned e = 0; e < c.n; ++e) {
          // |x| < 2^15 is the documented input range; wider inputs saturate.
          xi[e] = std::clamp(static_cast<std::int32_t>(xr[e]), -kVecNormMaxAbsInput, kVecNormMaxAbsInput);
          gamma[e] = i8(p0[e]);
          beta[e] = static_cast<std::int32_t>(p1[e]);
        }
        const IntNormParams p{c.cfg0, norm_out};
        const auto o = func == VecFunc::LayernormI32 ? layernorm_i32(xi, gamma, beta, p) : rmsnorm_i32(xi, gamma, beta, p);
        for (unsigned e = 0; e < c.n; ++e) y[r][e] = static_cast<std::uint8_t>(o[e]);
        break;
      }
      case VecFunc::QuantI8:
        for (unsigned e = 0; e < c.n; ++e)
          y[r][e] = static_cast<std::uint8_t>(quant_i8(xr[e], c.cfg0, sext(c.cfg1, 8)));
        break;
      case VecFunc::SoftmaxBf16: yv = softmax_f32(xr, c.cfg0, mask); break;
      case VecFunc::LayernormBf16: yv = layernorm_f32(xr, p0, p1, c.cfg0); break;
      case VecFunc::RmsnormBf16: yv = rmsnorm_f32(xr, p0, c.cfg0); break;
      case VecFunc::RopeBf16: {
        std::vector<std::uint16_t> cs(c.n);
        for (unsigned e = 0; e < c.n; ++e) cs[e] = fp32_to_bf16(a[r][e]);  // exact: a BF16 stream
        yv = rope_f32(xr, cs);
        break;
      }
      default:
        yv.resize(c.n);
        for (unsigned e = 0; e < c.n; ++e) {
          const std::uint32_t v = xr[e];
          switch (func) {
            case VecFunc::GeluBf16: yv[e] = gelu_f32((c.cfg1 & 1u) ? fp32_add(v, p1[e]) : v); break;
            case VecFunc::SiluBf16: yv[e] = silu_f32((c.cfg1 & 1u) ? fp32_add(v, p1[e]) : v); break;
            case VecFunc::AddBf16: yv[e] = fp32_to_bf16(fp32_add(v, a[r][e])); break;
            case VecFunc::MulBf16: yv[e] = fp32_to_bf16(fp32_mul(v, a[r][e])); break;
            case VecFunc::SwigluBf16: yv[e] = swiglu_f32(v, a[r][e]); break;
            case VecFunc::CvtBf16: {
              const std::uint32_t w = int_cvt ? i32_to_fp32(static_cast<std::int32_t>(v)) : v;
              yv[e] = cvt_f32(w, (c.cfg1 & 1u) ? p0[e] : c.cfg0,
                              (c.cfg1 & 2u) ? std::optional<std::uint32_t>(p1[e]) : std::nullopt);
              break;
            }
            default: throw std::logic_error("VecModel: unhandled func " + isa::name(func));
          }
        }
        break;
    }
    for (unsigned e = 0; e < yv.size(); ++e) y[r][e] = yv[e];
  }

  WordWrites words;
  if (!fi.has_dst()) return words;
  const unsigned eb = vec_elem_bytes(fi.dst);
  for (unsigned r = 0; r < c.rows; ++r)
    for (unsigned e0 = 0; e0 < c.n; e0 += c.dst_group) {
      const unsigned wr = c.dst_pairs ? r / 2 : r;
      const auto w = static_cast<std::uint32_t>(vec_word_of(c.dst_addr, c.dst_row_stride, c.dst_group_stride,
                                                            c.dst_group, wr, e0));
      auto& bytes = words[w];
      if (c.dst_pairs) {  // this row's bytes of the lane pairs only
        for (unsigned e = e0; e < std::min(c.n, e0 + c.dst_group); ++e)
          bytes[2 * (e - e0) + (r & 1u)] = static_cast<std::uint8_t>(y[r][e]);
      } else {  // the whole word: the group's elements, the other lanes zero
        for (unsigned b = 0; b < cfg.bus_bytes; ++b) bytes[b] = 0;
        for (unsigned e = e0; e < std::min(c.n, e0 + c.dst_group); ++e)
          for (unsigned i = 0; i < eb; ++i) bytes[(e - e0) * eb + i] = static_cast<std::uint8_t>(y[r][e] >> (8 * i));
      }
    }
  return words;
}

void VecModel::exec(const isa::Command& cmd, LocalMemories& mem, const AccelConfig& cfg) {
  const auto dst = isa::VecCmd::decode(cmd).dst_space;
  auto& m = dst == Space::Wspad ? mem.wspad : mem.aspad;
  for (const auto& [w, bytes] : compute(cmd, mem, cfg))
    for (const auto& [b, v] : bytes) m[std::size_t{w} * cfg.bus_bytes + b] = v;
}

std::shared_ptr<VecModel> install(AccelModel& m, std::shared_ptr<VecModel> vec) {
  if (!vec) throw std::invalid_argument("install: null VecModel");
  m.set_vec([vec](const isa::Command& c, const AccelConfig& cfg) { return vec->check(c, cfg); },
            [vec](const isa::Command& c, LocalMemories& mem, const AccelConfig& cfg) { vec->exec(c, mem, cfg); });
  return vec;
}

}  // namespace npu::ref
