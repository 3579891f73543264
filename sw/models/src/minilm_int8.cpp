#include "npu/models/minilm_int8.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <utility>
#include <stdexcept>

namespace npu::models {

namespace {

using Clock = std::chrono::steady_clock;

void max_into(ref::ActivationScalesInt8& a, const ref::ActivationScalesInt8& b) {
  using P = std::pair<double*, double>;
  for (auto [x, y] : std::initializer_list<P>{{&a.x, b.x}, {&a.q, b.q}, {&a.k, b.k}, {&a.v, b.v}, {&a.s, b.s}, {&a.o, b.o},
                      {&a.a, b.a}, {&a.r1, b.r1}, {&a.h1, b.h1}, {&a.g, b.g}, {&a.f, b.f}, {&a.f2, b.f2},
                      {&a.r2, b.r2}, {&a.y, b.y}})
    *x = std::max(*x, y);
}

std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

}  // namespace

std::vector<std::string> read_sentences(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    const auto b = line.find_first_not_of(" \t\r\n");
    if (b == std::string::npos || line[b] == '#') continue;
    out.push_back(line.substr(b, line.find_last_not_of(" \t\r\n") - b + 1));
  }
  if (out.empty()) throw std::runtime_error(path + ": no sentences");
  return out;
}

MiniLmInt8::MiniLmInt8(const MiniLm& base, rt::Device& dev, const std::vector<std::string>& calibration)
    : MiniLmInt8(base, dev, calibration, Options{}) {}

MiniLmInt8::MiniLmInt8(const MiniLm& base, rt::Device& dev, const std::vector<std::string>& calibration,
                       Options opt)
    : base_(base), dev_(dev), opt_(opt) {
  if (calibration.empty()) throw std::invalid_argument("MiniLmInt8: no calibration sentences");
  const auto& ws = base_.weights();
  const auto& shape = base_.shape();
  // Scale 0 = not seen yet (every real scale is > 0).
  ref::ActivationScalesInt8 zero;
  zero.x = zero.q = zero.k = zero.v = zero.s = zero.o = zero.a = 0;
  zero.r1 = zero.h1 = zero.g = zero.f = zero.f2 = zero.r2 = zero.y = 0;
  std::vector<ref::ActivationScalesInt8> sc(ws.size(), zero);
  for (const auto& text : calibration) {
    ref::Matrix<double> x = ref::bf16_to_f64(base_.input(base_.tokens(text)));
    for (std::size_t l = 0; l < ws.size(); ++l) {
      max_into(sc[l], ref::calibrate_encoder_int8(x, shape, ws[l]));
      x = ref::encoder_layer_f64(x, shape, ws[l]);
    }
  }
  // One tensor between two layers, one scale: the int8 output feeds the next layer unchanged.
  for (std::size_t l = 0; l + 1 < ws.size(); ++l) sc[l].y = sc[l + 1].x = std::max(sc[l].y, sc[l + 1].x);
  for (std::size_t l = 0; l < ws.size(); ++l) {
    layers_.push_back(ref::quantize_encoder_layer(ws[l], shape, sc[l], opt_.pow2_weight_scales));
    if (l > 0 && layers_[l].p.scales.x != layers_[l - 1].p.scales.y)
      throw std::logic_error(fmt::format("MiniLmInt8: layer {} input scale differs from layer {} output scale", l,
                                         l - 1));
  }
}

Int8Matrix MiniLmInt8::input(const std::vector<std::int32_t>& ids) const {
  return ref::quantize_tensor_int8(ref::bf16_to_f64(base_.input(ids)), layers_.front().p.scales.x);
}

std::vector<Int8Matrix> MiniLmInt8::layer_outputs_reference(const std::vector<std::int32_t>& ids) const {
  std::vector<Int8Matrix> out;
  Int8Matrix x = input(ids);
  for (const auto& ql : layers_) {
    x = ref::encoder_layer_int8(x, base_.shape(), ql);
    out.push_back(x);
  }
  return out;
}

ref::Matrix<double> MiniLmInt8::dequantize(const Int8Matrix& y, std::size_t layer) const {
  return ref::dequantize_tensor_int8(y, layers_.at(layer).p.scales.y);
}

std::vector<float> MiniLmInt8::pool(const Int8Matrix& last) const {
  if (last.rows() == 0) throw std::invalid_argument("MiniLmInt8::pool: no tokens");
  const ref::Matrix<double> h = dequantize(last, layers_.size() - 1);
  std::vector<double> m(h.cols(), 0.0);
  for (std::size_t r = 0; r < h.rows(); ++r)
    for (std::size_t c = 0; c < h.cols(); ++c) m[c] += h(r, c);
  double norm = 0;
  for (double& v : m) {
    v /= double(h.rows());
    norm += v * v;
  }
  norm = std::max(std::sqrt(norm), 1e-12);
  std::vector<float> e(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) e[i] = static_cast<float>(m[i] / norm);
  return e;
}

MiniLmInt8::Streams& MiniLmInt8::streams(unsigned T) {
  if (auto it = streams_.find(T); it != streams_.end()) return it->second;
  const ref::AccelConfig& cfg = base_.accel();
  const std::size_t align = 4096;
  // The six layers as one stream at `base`; a buffer too small for this T is replaced (and the cache dropped).
  const auto compile = [&](std::uint32_t base) {
    try {
      Streams s{compiler::compile_encoder_stack_int8(base_.shape(), layers_, static_cast<int>(T), cfg, {}, base), 0};
      s.bytes = align_up(s.stack.dram_bytes, align);
      return s;
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(
          fmt::format("all-MiniLM-L6-v2 INT8: the layers do not compile for T = {} tokens: {}", T, e.what()));
    }
  };
  Streams s = compile(buf_ ? buf_->addr : 0x10000);
  if (!buf_ || s.bytes > buf_->bytes) {
    buf_ = dev_.alloc(s.bytes + s.bytes / 4, align);  // slack for longer sentences
    streams_.clear();
    resident_.reset();
    s = compile(buf_->addr);
  }
  return streams_.emplace(T, std::move(s)).first->second;
}

std::vector<Int8Matrix> MiniLmInt8::layer_outputs(const std::vector<std::int32_t>& ids) {
  const Int8Matrix x = input(ids);
  const auto T = static_cast<unsigned>(ids.size());
  last_ = MiniLmRun{};
  last_.tokens = T;
  const auto t0 = Clock::now();
  Streams& s = streams(T);
  const compiler::CompiledLayer& cl = s.stack;
  if (resident_ != T) {
    dev_.upload(*buf_, cl.weights_image, cl.weights.addr - buf_->addr);
    last_.image_bytes_uploaded += cl.weights_image.size();
    resident_ = T;
  }
  const auto t1 = Clock::now();
  last_.compile_seconds = std::chrono::duration<double>(t1 - t0).count();
  stream_figures(cl, last_);
  last_.model_macs = layers_.size() * base_.shape().macs(T);
  dev_.upload(*buf_, cl.pack_input_i8(x), cl.input.addr - buf_->addr);
  const rt::RunResult r =
      dev_.run(cl.cmds, opt_.timeout_cycles ? opt_.timeout_cycles : rt::run_timeout(cl.cmds, dev_.hw()));
  if (!r.ok()) {
    dev_.soft_reset();
    throw std::runtime_error(fmt::format("all-MiniLM-L6-v2 INT8 (T = {}): the accelerator run of the {} layers "
                                         "failed: {}", T, layers_.size(), r.describe()));
  }
  last_.device_cycles = r.cycles;
  // Inner layers' outputs from their DRAM regions (INT8 A layout), the last from the output.
  std::vector<Int8Matrix> out;
  for (const compiler::DramRegion& reg : cl.layer_outputs)
    out.push_back(cl.unpack_a_i8(dev_.download(*buf_, reg.addr - buf_->addr, reg.bytes)));
  out.push_back(cl.unpack_output_i8(dev_.download(*buf_, cl.output.addr - buf_->addr, cl.output.bytes)));
  last_.run_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return out;
}

}  // namespace npu::models
