// Vector functions and a GEMM -> REQUANT -> GELU -> GEMM chain, DRAM to DRAM
// through npu_top, checked bit-exactly against the reference functions
// (npu::ref), computed on the host independently of the command model.
#include "gemm_flow.hpp"
#include "top_bench.hpp"

#include "npu/ref/fp.hpp"
#include "npu/ref/requant.hpp"
#include "npu/ref/vector.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstring>
#include <random>
#include <set>

using namespace npu;
using npu::tb::TopBench;

namespace {

constexpr std::uint64_t kTimeout = 2'000'000;

std::uint32_t f32(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
std::uint16_t bf16(float f) { return static_cast<std::uint16_t>(ref::fp32_to_bf16(f32(f))); }

using Rows = std::vector<std::vector<std::uint16_t>>;

// Rows of n BF16 elements, one row per ceil(n/8) bus words (lanes past n zero).
std::vector<std::uint8_t> pack_rows(const Rows& rows, unsigned n, unsigned bb) {
  const unsigned per = bb / 2, words = (n + per - 1) / per;
  std::vector<std::uint8_t> out(rows.size() * words * bb, 0);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (unsigned e = 0; e < n; ++e) {
      const std::size_t at = (r * words + e / per) * bb + (e % per) * 2;
      out[at] = rows[r][e] & 0xFF;
      out[at + 1] = rows[r][e] >> 8;
    }
  return out;
}

// Runs one BF16 row function: x (and gamma/beta) loaded, VEC, result stored.
std::vector<std::uint8_t> run_rows(TopBench& tb, isa::VecFunc f, const Rows& x,
                                   const std::vector<std::uint16_t>* gamma,
                                   const std::vector<std::uint16_t>* beta,
                                   std::array<std::uint32_t, 4> cfg) {
  auto& dev = tb.dev();
  dev.free_all();
  const unsigned bb = dev.hw().bus_bytes, n = static_cast<unsigned>(x[0].size());
  const unsigned per = bb / 2, words = (n + per - 1) / per, rows = static_cast<unsigned>(x.size());
  const auto xin = pack_rows(x, n, bb);
  const rt::Buffer xb = dev.alloc(xin.size()), yb = dev.alloc(xin.size());
  const rt::Buffer gb = dev.alloc(2 * words * bb);
  dev.upload(xb, xin);
  std::vector<std::uint8_t> gbytes;
  if (gamma) gbytes = pack_rows({*gamma}, n, bb);
  if (beta) {
    const auto b = pack_rows({*beta}, n, bb);
    gbytes.insert(gbytes.end(), b.begin(), b.end());
  }
  if (!gbytes.empty()) dev.upload(gb, gbytes);

  const std::uint32_t x_local = 0, y_local = rows * words, g_local = 2 * rows * words;
  std::vector<isa::Command> cmds;
  isa::Transfer t;
  t.dram_addr = xb.addr;
  t.dram_stride = words * bb;
  t.rows = rows;
  t.row_words = words;
  t.local_addr = x_local;
  t.local_stride = words;
  cmds.push_back(isa::load(t));
  if (!gbytes.empty()) {
    isa::Transfer g;
    g.dram_addr = gb.addr;
    g.row_words = static_cast<unsigned>(gbytes.size() / bb);
    g.local_addr = g_local;
    cmds.push_back(isa::load(g));
  }
  isa::VecArgs v;
  v.func = f;
  v.rows = rows;
  v.n = n;
  v.src = {x_local, isa::Space::Aspad, words, 1, per};
  v.dst = {y_local, isa::Space::Aspad, words, 1, per};
  v.aux = {g_local, isa::Space::Aspad, 0, 1, per};
  v.aux2_addr = g_local + words;
  v.cfg = cfg;
  // after the loads, before the store
  cmds.push_back(isa::vec(v, isa::Deps{}.pop_from(isa::Queue::Load).push_to(isa::Queue::Store)));
  isa::set_deps(cmds[cmds.size() - 2], isa::Deps{}.push_to(isa::Queue::Vec));
  isa::Transfer s = t;
  s.dram_addr = yb.addr;
  s.local_addr = y_local;
  cmds.push_back(isa::store(s, isa::Deps{}.pop_from(isa::Queue::Vec)));
  const auto r = dev.run(cmds, kTimeout);
  INFO(r.describe());
  REQUIRE(r.ok());
  return dev.download(yb, 0, xin.size());
}

void check_rows(const char* what, const Rows& want, const std::vector<std::uint8_t>& got,
                unsigned bb, std::uint64_t seed) {
  const unsigned n = static_cast<unsigned>(want[0].size());
  const auto w = pack_rows(want, n, bb);
  REQUIRE(w.size() == got.size());
  const unsigned per = bb / 2, words = (n + per - 1) / per;
  for (std::size_t i = 0; i + 1 < w.size(); i += 2)
    if (w[i] != got[i] || w[i + 1] != got[i + 1]) {
      const std::size_t row = i / (words * bb), e = (i % (words * bb)) / 2;
      FAIL(fmt::format("{} seed {}: row {} element {}: expected 0x{:04x}, got 0x{:04x}", what,
                       seed, row, e, w[i] | w[i + 1] << 8, got[i] | got[i + 1] << 8));
    }
}

Rows random_rows(std::mt19937_64& rng, unsigned rows, unsigned n, float scale) {
  std::normal_distribution<float> d(0.0f, scale);
  Rows x(rows, std::vector<std::uint16_t>(n));
  for (auto& r : x)
    for (auto& e : r) e = bf16(d(rng));
  return x;
}

}  // namespace

TEST_CASE("Softmax LayerNorm RMSNorm GELU and SiLU rows run DRAM to DRAM bit-exactly") {
  for (auto seed : tb::test_seeds({31, 32})) {
    std::mt19937_64 rng(seed);
    TopBench tb(16);
    const unsigned bb = tb.dev().hw().bus_bytes;
    const unsigned rows = 1 + rng() % 5, n = 1 + rng() % tb.dev().hw().vec_maxlen;
    INFO(fmt::format("seed {} rows {} n {}", seed, rows, n));
    const Rows x = random_rows(rng, rows, n, 3.0f);
    std::vector<std::uint16_t> gamma = random_rows(rng, 1, n, 1.0f)[0];
    std::vector<std::uint16_t> beta = random_rows(rng, 1, n, 0.5f)[0];
    const std::uint32_t scale = f32(0.125f), eps = f32(1e-5f);
    const std::int32_t offset = static_cast<std::int32_t>(rng() % 8) - 2;
    {
      Rows want;
      for (unsigned r = 0; r < rows; ++r)
        want.push_back(ref::softmax_bf16(x[r], scale, ref::CausalMask{r, offset}));
      const auto got = run_rows(tb, isa::VecFunc::SoftmaxBf16, x, nullptr, nullptr,
                                {scale, 1, static_cast<std::uint32_t>(offset), 0});
      check_rows("softmax", want, got, bb, seed);
    }
    {
      Rows want;
      for (unsigned r = 0; r < rows; ++r) want.push_back(ref::layernorm_bf16(x[r], gamma, beta, eps));
      check_rows("layernorm", want,
                 run_rows(tb, isa::VecFunc::LayerNormBf16, x, &gamma, &beta, {eps, 0, 0, 0}), bb,
                 seed);
    }
    {
      Rows want;
      for (unsigned r = 0; r < rows; ++r) want.push_back(ref::rmsnorm_bf16(x[r], gamma, eps));
      check_rows("rmsnorm", want,
                 run_rows(tb, isa::VecFunc::RmsNormBf16, x, &gamma, nullptr, {eps, 0, 0, 0}), bb,
                 seed);
    }
    for (auto f : {isa::VecFunc::GeluBf16, isa::VecFunc::SiluBf16}) {
      Rows want = x;
      for (auto& r : want)
        for (auto& e : r) e = f == isa::VecFunc::GeluBf16 ? ref::gelu_bf16(e) : ref::silu_bf16(e);
      check_rows(f == isa::VecFunc::GeluBf16 ? "gelu" : "silu", want,
                 run_rows(tb, f, x, nullptr, nullptr, {}), bb, seed);
    }
  }
}

TEST_CASE("A GEMM REQUANT GELU GEMM chain stays on chip and matches the reference") {
  // small: 4x5 array, 16-byte words, INT8 K tiles of 2*Rows = 8. C1 = A1 (8x16) x
  // W1 (16x8): two K tiles, two N tiles; requantized per channel into the next
  // GEMM's A layout (group = 2*Rows), i-GELU in place of layout, C2 = G (8x8) x W2 (8x5).
  for (auto seed : tb::test_seeds({41, 42, 43})) {
    std::mt19937_64 rng(seed);
    TopBench tb(16);
    auto& dev = tb.dev();
    const auto t = tb.target();
    REQUIRE(t.rows == 4);
    REQUIRE(t.cols == 5);
    const unsigned M = 8, K1 = 16, N1 = 8, N2 = 5, bb = t.bus_bytes;
    const unsigned kd = 2 * t.rows, kt1 = (K1 + kd - 1) / kd, kt2 = (N1 + kd - 1) / kd;
    ref::Matrix<std::int8_t> a1(M, K1), w1(K1, N1), w2(N1, N2);
    for (auto* m : {&a1, &w1, &w2})
      for (std::size_t i = 0; i < m->rows(); ++i)
        for (std::size_t j = 0; j < m->cols(); ++j) (*m)(i, j) = static_cast<std::int8_t>(rng());
    std::vector<ref::RequantParams> rq(N1);
    std::vector<std::int32_t> bias(N1);
    const std::int32_t zp = static_cast<std::int32_t>(rng() % 11) - 5;
    for (unsigned j = 0; j < N1; ++j) {
      rq[j] = {static_cast<std::int32_t>((1u << 30) + rng() % (1u << 30)),
               -static_cast<int>(7 + rng() % 4), zp};
      bias[j] = static_cast<std::int32_t>(rng() % 2001) - 1000;
    }
    const std::uint32_t gelu_scale = 1u << 17;  // S = 1/8
    const ref::RequantParams gelu_out{1 << 30, -16, 0};  // Q.20 -> scale 1/8

    // host reference, from the ref functions directly
    const auto c1 = ref::gemm_i8(a1, w1);
    ref::Matrix<std::int8_t> g(M, N1);
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N1; ++j) {
        const auto acc = static_cast<std::int32_t>(static_cast<std::uint32_t>(c1(i, j)) +
                                                   static_cast<std::uint32_t>(bias[j]));
        g(i, j) = ref::gelu_i8(ref::requantize(acc, rq[j]), gelu_scale, gelu_out);
      }
    const auto c2 = ref::gemm_i8(g, w2);
    std::set<int> distinct;
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N1; ++j) distinct.insert(g(i, j));
    REQUIRE(distinct.size() >= 8);  // the chain carries information, not saturation

    // device buffers
    const auto a1_dev = compiler::pack_a_i8(a1, t);
    const auto w1_dev = compiler::pack_w_i8(w1, t);
    const auto w2_dev = compiler::pack_w_i8(w2, t);
    std::vector<std::uint8_t> params(3 * N1 * 4);
    for (unsigned j = 0; j < N1; ++j) {
      const std::uint32_t v[3] = {static_cast<std::uint32_t>(rq[j].multiplier),
                                  static_cast<std::uint32_t>(rq[j].shift) & 0x3F,
                                  static_cast<std::uint32_t>(bias[j])};
      for (unsigned k = 0; k < 3; ++k)
        for (unsigned b = 0; b < 4; ++b) params[(3 * j + k) * 4 + b] = v[k] >> (8 * b) & 0xFF;
    }
    const rt::Buffer ab = dev.alloc(a1_dev.size()), w1b = dev.alloc(w1_dev.size());
    const rt::Buffer w2b = dev.alloc(w2_dev.size()), pb = dev.alloc(params.size());
    const unsigned wpr = t.acc_words_per_row();
    const rt::Buffer cb = dev.alloc(M * wpr * bb);
    dev.upload(ab, a1_dev);
    dev.upload(w1b, w1_dev);
    dev.upload(w2b, w2_dev);
    dev.upload(pb, params);

    const auto load = [&](const rt::Buffer& b, isa::Space sp, std::uint32_t local) {
      return tb::load_buffer(b, sp, local, bb);
    };
    const std::uint32_t kA1 = 0, kP = 64, kX = 128, kY = 192, kW1 = 0, kW2 = 64;
    std::vector<isa::Command> cmds = {load(ab, isa::Space::Aspad, kA1),
                                      load(w1b, isa::Space::Wspad, kW1),
                                      load(w2b, isa::Space::Wspad, kW2),
                                      load(pb, isa::Space::Aspad, kP), isa::fence()};
    for (unsigned nt = 0; nt < 2; ++nt) {
      isa::GemmArgs gm;
      gm.a_addr = kA1;
      gm.w_addr = kW1 + nt * kt1 * t.rows;
      gm.acc_addr = nt * M;
      gm.m = M;
      gm.k_tiles = kt1;
      gm.a_kstride = M;
      gm.w_kstride = t.rows;
      // GEMM and VEC run in different queues: the last GEMM tells REQUANT its
      // ACC rows are there (the GEMM queue retires in order).
      cmds.push_back(isa::gemm(gm, nt == 1 ? isa::Deps{}.push_to(isa::Queue::Vec) : isa::Deps{}));
    }
    isa::VecArgs p;
    p.func = isa::VecFunc::ReqParams;
    p.n = 3 * N1;
    p.src = {kP, isa::Space::Aspad, 0, 1, bb / 4};
    cmds.push_back(isa::vec(p));
    isa::VecArgs rqv;
    rqv.func = isa::VecFunc::Requant;
    rqv.rows = M;
    rqv.n = N1;
    rqv.src = {0, isa::Space::Acc, 1, M, t.cols};      // ACC [nt][m], Cols channels per row
    rqv.dst = {kX, isa::Space::Aspad, 1, M, kd};       // A layout [kt][m], 2*Rows per word
    rqv.cfg = {static_cast<std::uint32_t>(zp), 0, 0, 0};
    cmds.push_back(isa::vec(rqv, isa::Deps{}.pop_from(isa::Queue::Gemm)));
    isa::VecArgs gv;
    gv.func = isa::VecFunc::GeluI8;
    gv.rows = M;
    gv.n = N1;
    gv.src = {kX, isa::Space::Aspad, 1, M, kd};
    gv.dst = {kY, isa::Space::Aspad, 1, M, kd};
    gv.cfg = {gelu_scale, static_cast<std::uint32_t>(gelu_out.multiplier),
              static_cast<std::uint32_t>(gelu_out.shift) & 0x3F,
              static_cast<std::uint32_t>(gelu_out.zero_point)};
    cmds.push_back(isa::vec(gv, isa::Deps{}.push_to(isa::Queue::Gemm)));
    isa::GemmArgs g2;
    g2.a_addr = kY;
    g2.w_addr = kW2;
    g2.acc_addr = 2 * M;
    g2.m = M;
    g2.k_tiles = kt2;
    g2.a_kstride = M;
    g2.w_kstride = t.rows;
    cmds.push_back(isa::gemm(g2, isa::Deps{}.pop_from(isa::Queue::Vec)));
    cmds.push_back(isa::fence());
    isa::Transfer st;
    st.dram_addr = cb.addr;
    st.row_words = M * wpr;
    st.space = isa::Space::Acc;
    st.local_addr = 2 * M * wpr;
    cmds.push_back(isa::store(st));

    const auto r = dev.run(cmds, kTimeout);
    INFO(fmt::format("seed {}: {}", seed, r.describe()));
    REQUIRE(r.ok());
    compiler::GemmShape s2;
    s2.m = M;
    s2.k = N1;
    s2.n = N2;
    const auto got = compiler::unpack_c(dev.download(cb, 0, cb.bytes), s2, t);
    ref::Matrix<std::uint32_t> want(M, N2);
    for (unsigned i = 0; i < M; ++i)
      for (unsigned j = 0; j < N2; ++j) want(i, j) = static_cast<std::uint32_t>(c2(i, j));
    if (auto mm = tb::first_mismatch("C2", want, got, tb.cycle())) FAIL(fmt::format("seed {}: {}", seed, *mm));
  }
}
