// Vector-engine throughput on the `base` shape (Cols 16, BusBytes 32, MaxLen
// 1024, 16 lanes): every VEC function over rows x n elements with memories
// that never stall, cycles from the command handshake to done, element-passes
// per cycle (rows x n x passes / cycles) against the 16-lane peak. Results
// are checked against the reference model too. Run by `make bench`.
//   bench_vec_bin [rows] [n ...]   (default: 32 rows, fewer where an ACC stream needs
//   them; n = 64 384 1024)
#include <npu/isa.hpp>
#include <npu/ref/accel_model.hpp>
#include <npu/ref/vec_model.hpp>

#include "Vnpu_vec_engine_base.h"
#include "vec_cmd_gen.hpp"
#include "vec_engine_harness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace ref = npu::ref;
namespace isa = npu::isa;
using isa::Space;
using isa::VecFunc;

constexpr unsigned kLanes = 16;

ref::AccelConfig base_config() {
  ref::AccelConfig c;
  c.rows = 16, c.cols = 16, c.bus_bytes = 32;
  c.aspad_words = 8192, c.wspad_words = 2048, c.acc_rows = 1024, c.vec_maxlen = 1024;
  return c;
}

// A row-major stream of `rows` x n elements at addr, groups of a whole word.
void stream(const ref::AccelConfig& cfg, isa::Elem t, Space s, std::uint32_t addr, unsigned n, std::uint32_t& a,
            std::uint32_t& rs, std::uint32_t& gs, std::uint32_t& g) {
  g = ref::vec_elems_per_word(t, s, cfg);
  a = addr, gs = 1, rs = (n + g - 1) / g;
}

struct Case {
  VecFunc f;
  Space src, aux;
};

}  // namespace

int main(int argc, char** argv) {
  const ref::AccelConfig cfg = base_config();
  const unsigned rows_arg = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 32;
  std::vector<unsigned> ns;
  for (int i = 2; i < argc; ++i) ns.push_back(static_cast<unsigned>(std::atoi(argv[i])));
  if (ns.empty()) ns = {64, 384, 1024};
  // Binary BF16 functions read their second operand from ACC (FP32): with
  // both in ASPAD the two streams share its one read port (half rate).
  const std::vector<Case> cases = {
      {VecFunc::Requant, Space::Acc, Space::Aspad},      {VecFunc::LutI8, Space::Aspad, Space::Aspad},
      {VecFunc::AddI8, Space::Aspad, Space::Aspad},      {VecFunc::MulI8, Space::Aspad, Space::Aspad},
      {VecFunc::SoftmaxI8, Space::Aspad, Space::Aspad},  {VecFunc::LayernormI32, Space::Acc, Space::Aspad},
      {VecFunc::RmsnormI32, Space::Acc, Space::Aspad},   {VecFunc::QuantI8, Space::Aspad, Space::Aspad},
      {VecFunc::SoftmaxBf16, Space::Aspad, Space::Aspad}, {VecFunc::LayernormBf16, Space::Aspad, Space::Aspad},
      {VecFunc::RmsnormBf16, Space::Aspad, Space::Aspad}, {VecFunc::GeluBf16, Space::Aspad, Space::Aspad},
      {VecFunc::SiluBf16, Space::Aspad, Space::Aspad},    {VecFunc::AddBf16, Space::Aspad, Space::Acc},
      {VecFunc::AddBf16, Space::Aspad, Space::Aspad},    {VecFunc::MulBf16, Space::Aspad, Space::Acc},
      {VecFunc::CvtBf16, Space::Acc, Space::Aspad},      {VecFunc::RopeBf16, Space::Acc, Space::Aspad},
      {VecFunc::SwigluBf16, Space::Aspad, Space::Acc},
  };
  fmt::print("npu_vec_engine, base shape (Cols 16, BusBytes 32, {} lanes), memories without stalls\n", kLanes);
  fmt::print("{:<15} {:>5} {:>5} {:>4} {:>5} {:>6} {:>9} {:>12} {:>9}  {}\n", "func", "src", "aux", "rows", "n", "passes",
             "cycles", "elem-pass/c", "of peak", "bits");
  bool all_exact = true;
  for (unsigned n : ns)
    for (const Case& k : cases) {
      // rows of an ACC stream must fit the 1024 ACC rows (16 elements per row)
      const unsigned rows = std::min(rows_arg, cfg.acc_rows / ((n + 15) / 16));
      const isa::VecFuncInfo fi = isa::vec_func_info(static_cast<unsigned>(k.f));
      ref::LocalMemories mem;
      mem.aspad.assign(std::size_t{cfg.aspad_words} * cfg.bus_bytes, 0);
      mem.wspad.assign(std::size_t{cfg.wspad_words} * cfg.bus_bytes, 0);
      mem.acc.assign(std::size_t{cfg.acc_rows} * cfg.cols, 0);
      npu::tb::VecCmdGen gen(cfg, n * 131 + static_cast<unsigned>(k.f));
      gen.fill(mem);
      npu::tb::VecEngineHarness<Vnpu_vec_engine_base> h(cfg, 1, 1.0, "");
      ref::VecModel model;
      auto run = [&](const isa::VecCmd& c, bool timed) -> std::uint64_t {
        const isa::Command cmd = c.encode();
        if (const auto f = ref::vec_check(cmd, cfg); f != isa::Fault::None)
          throw std::runtime_error(fmt::format("bench_vec: {} n {} faults {}", isa::name(c.func), n,
                                               isa::fault_name(f)));
        ref::LocalMemories want = mem;
        model.exec(cmd, want, cfg);
        const std::uint64_t cyc = h.run(cmd, mem, 100'000'000);
        if (want.aspad != mem.aspad || want.wspad != mem.wspad) {
          all_exact = false;
          if (timed) fmt::print("  MISMATCH against the model\n");
        }
        return cyc;
      };
      if (fi.params) run(gen.params_for(k.f, std::min(n, cfg.vec_maxlen), mem), false);
      if (k.f == VecFunc::LutI8 || k.f == VecFunc::Requant) run(gen.lut_load(mem), false);
      // the command: random contents from the generator, fixed dense layout
      isa::VecCmd c = gen.make(k.f, mem, 1, 1);
      c.rows = rows, c.n = n;
      const isa::Elem st = ref::vec_src_type(fi, k.src);
      c.src_space = k.src;
      stream(cfg, st, k.src, 0, n, c.src_addr, c.src_row_stride, c.src_group_stride, c.src_group);
      if (fi.has_aux()) {
        c.aux_space = k.aux;
        stream(cfg, ref::vec_aux_type(fi, k.aux), k.aux, k.aux == Space::Acc ? 0 : 3000, n, c.aux_addr,
               c.aux_row_stride, c.aux_group_stride, c.aux_group);
      }
      if (fi.has_dst()) {
        c.dst_space = Space::Aspad, c.dst_pairs = false;
        stream(cfg, fi.dst, Space::Aspad, 6000, n, c.dst_addr, c.dst_row_stride, c.dst_group_stride,
               c.dst_group);
      }
      if (k.f == VecFunc::RopeBf16) {  // all three streams with the common group
        c.aux_group = c.dst_group = c.src_group = std::min(c.src_group, c.aux_group);
        c.src_row_stride = (n + c.src_group - 1) / c.src_group;
        c.aux_row_stride = c.dst_row_stride = c.src_row_stride;
      }
      if (k.f == VecFunc::SoftmaxI8 || k.f == VecFunc::SoftmaxBf16) c.cfg1 = 0;  // no mask
      const std::uint64_t cyc = run(c, true);
      const double ep = double(rows) * n * fi.passes / double(cyc);
      fmt::print("{:<15} {:>5} {:>5} {:>4} {:>5} {:>6} {:>9} {:>12.2f} {:>8.1f}%  {}\n", isa::name(k.f),
                 isa::name(k.src), fi.has_aux() ? isa::name(k.aux) : "-", rows, n, fi.passes, cyc, ep,
                 100.0 * ep / kLanes, all_exact ? "exact" : "MISMATCH");
    }
  return all_exact ? 0 : 1;
}
