#include "mac_array_driver.hpp"

#include <Vmac_array.h>
#include <fmt/format.h>

#include <cstring>
#include <deque>
#include <stdexcept>

#include "port_bits.hpp"

namespace npu::tb {
namespace {

constexpr unsigned kRows = NPU_ROWS;
constexpr unsigned kCols = NPU_COLS;
#ifdef NPU_WSTREAM
constexpr bool kWStream = true;
#else
constexpr bool kWStream = false;
#endif
constexpr unsigned kElemBits = 16;
constexpr unsigned kAccBits = 32;

constexpr std::uint16_t kBf16NegZero = 0x8000;  // K padding: acc + (-0) == acc

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

float fp32_value(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

// A GEMM in raw port words: A/B as 16-bit elements, C_init as 32-bit words.
struct MacArrayDriver::Job {
  bool bf16 = false;
  std::size_t m = 0, k = 0, n = 0;
  std::function<std::uint16_t(std::size_t, std::size_t)> a;
  std::function<std::uint16_t(std::size_t, std::size_t)> b;
  std::function<std::uint32_t(std::size_t, std::size_t)> c_init;
};

MacArrayDriver::MacArrayDriver(MacArraySim& sim, Traffic traffic, std::uint64_t seed)
    : sim_(sim), traffic_(traffic), rng_(seed) {}

unsigned MacArrayDriver::rows() { return kRows; }
bool MacArrayDriver::weight_stream() { return kWStream; }
unsigned MacArrayDriver::cols() { return kCols; }

bool MacArrayDriver::coin(double p) {
  if (p >= 1.0) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

RunStats MacArrayDriver::run(std::vector<WBeat> weight_beats,
                             std::size_t num_a,
                             const std::function<bool(std::size_t, ABeat&)>& make_a,
                             const std::function<void(std::size_t, const CBeat&)>& take_c) {
  Vmac_array& dut = sim_.dut();
  std::deque<WBeat> wq(weight_beats.begin(), weight_beats.end());
  const std::size_t num_w = wq.size();
  bool w_pending = false;
  bool a_pending = false;
  ABeat a_beat;
  std::size_t a_issued = 0;
  std::size_t c_received = 0;
  std::size_t w_sent = 0;
  RunStats stats;
  bool started = false;
  std::uint64_t last_progress = sim_.cycle();
  CBeat c_beat;
  c_beat.c.resize(kCols);
  // A result offered but not taken must be offered again, unchanged.
  bool c_held = false;
  CBeat held;
  held.c.resize(kCols);

  while (c_received < num_a || !wq.empty()) {
    // Offer beats. Once valid is raised it stays up until the transfer.
    // WStream: gaps only before a tile's first beat.
    if (!w_pending && !wq.empty() && ((kWStream && !wq.front().first) || coin(traffic_.w_valid))) {
      w_pending = true;
      for (unsigned j = 0; j < wq.front().lanes.size(); ++j)
        put_bits(dut.w_data_i, j * kElemBits, kElemBits, wq.front().lanes[j]);
      dut.w_tr_i = wq.front().tr ? 1 : 0;
    }
    if (!a_pending && a_issued < num_a && coin(traffic_.a_valid) && make_a(a_issued, a_beat)) {
      a_pending = true;
      for (unsigned r = 0; r < kRows; ++r)
        put_bits(dut.a_data_i, r * kElemBits, kElemBits, a_beat.a[r]);
      for (unsigned j = 0; j < kCols; ++j)
        put_bits(dut.a_acc_i, j * kAccBits, kAccBits, a_beat.acc[j]);
      dut.a_mode_i = (a_beat.bf16 ? 1 : 0) | (a_beat.a_unsigned ? 2 : 0);
      dut.a_last_i = a_beat.last ? 1 : 0;
    }
    dut.w_valid_i = w_pending ? 1 : 0;
    dut.a_valid_i = a_pending ? 1 : 0;
    dut.c_ready_i = coin(traffic_.c_ready) ? 1 : 0;
    sim_.settle();

    const bool w_fire = w_pending && dut.w_ready_o;
    const bool a_fire = a_pending && dut.a_ready_o;
    const bool c_fire = dut.c_valid_o && dut.c_ready_i;
    const std::uint64_t now = sim_.cycle();
    if (c_held) {
      bool same = dut.c_valid_o && (dut.c_last_o != 0) == held.last;
      for (unsigned j = 0; j < kCols; ++j)
        same = same && get_bits(dut.c_data_o, j * kAccBits, kAccBits) == held.c[j];
      if (!same)
        throw std::runtime_error(fmt::format(
            "mac_array: stalled result changed at cycle {} (offered at cycle {} with c_ready low): "
            "c_valid={} c_last={} (was {})",
            now, held.cycle, int{dut.c_valid_o}, int{dut.c_last_o}, int{held.last}));
    }
    const bool was_held = c_held;
    c_held = dut.c_valid_o && !dut.c_ready_i;
    if (c_held && !was_held) {  // first stalled cycle of this beat: remember it
      for (unsigned j = 0; j < kCols; ++j) held.c[j] = get_bits(dut.c_data_o, j * kAccBits, kAccBits);
      held.last = dut.c_last_o != 0;
      held.cycle = now;
    }
    if (c_fire) {
      if (c_received >= num_a)
        throw std::runtime_error(
            fmt::format("mac_array: unexpected extra result beat at cycle {} "
                        "({} A rows sent, {} results already received)",
                        now, a_issued, c_received));
      for (unsigned j = 0; j < kCols; ++j) c_beat.c[j] = get_bits(dut.c_data_o, j * kAccBits, kAccBits);
      c_beat.last = dut.c_last_o != 0;
      c_beat.cycle = now;
    }
    if ((w_fire || a_fire) && !started) {
      started = true;
      stats.first_beat_cycle = now;
    }
    sim_.tick();

    if (w_fire) {
      wq.pop_front();
      w_pending = false;
      ++w_sent;
    }
    if (a_fire) {
      ++a_issued;
      a_pending = false;
    }
    if (c_fire) {
      take_c(c_received++, c_beat);
      stats.last_result_cycle = now;
    }
    if (w_fire || a_fire || c_fire) {
      last_progress = sim_.cycle();
    } else if (sim_.cycle() - last_progress > stall_limit_) {
      throw SimTimeout(fmt::format(
          "mac_array: no transfer on any port for {} cycles (now cycle {}): "
          "weights {}/{} beats sent (w_valid={} w_ready={}), A rows {}/{} sent "
          "(a_valid={} a_ready={}), results {}/{} received (c_valid={})",
          stall_limit_, sim_.cycle(), w_sent, num_w, int{dut.w_valid_i}, int{dut.w_ready_o},
          a_issued, num_a, int{dut.a_valid_i}, int{dut.a_ready_o}, c_received, num_a,
          int{dut.c_valid_o}));
    }
  }
  dut.w_valid_i = 0;
  dut.a_valid_i = 0;
  dut.c_ready_i = 0;
  sim_.settle();
  stats.cycles = num_a == 0 ? 0 : stats.last_result_cycle - stats.first_beat_cycle + 1;
  return stats;
}

namespace {
std::vector<MacArrayDriver::WBeat> tile_beats(const WTile& t) {
  std::vector<MacArrayDriver::WBeat> out;
  if (t.w.rows() != kRows || t.w.cols() != kCols)
    throw std::invalid_argument(fmt::format("weight tile must be {}x{}, got {}x{}", kRows, kCols,
                                            t.w.rows(), t.w.cols()));
  const unsigned beats = t.transposed ? kCols : kRows, lanes = t.transposed ? kRows : kCols;
  for (unsigned b = 0; b < beats; ++b) {
    MacArrayDriver::WBeat w;
    w.tr = t.transposed;
    w.first = b == 0;
    for (unsigned l = 0; l < lanes; ++l) w.lanes.push_back(t.transposed ? t.w(l, b) : t.w(b, l));
    out.push_back(std::move(w));
  }
  return out;
}
}  // namespace

std::vector<CBeat> MacArrayDriver::stream(const std::vector<ref::Matrix<std::uint16_t>>& tiles,
                                          const std::vector<ABeat>& beats) {
  std::vector<WTile> t;
  for (const auto& m : tiles) t.push_back({m, false});
  return stream(t, beats);
}

std::vector<CBeat> MacArrayDriver::stream(const std::vector<WTile>& tiles, const std::vector<ABeat>& beats) {
  std::vector<WBeat> w;
  for (const auto& t : tiles)
    for (auto& b : tile_beats(t)) w.push_back(std::move(b));
  for (const auto& b : beats)
    if (b.a.size() != kRows || b.acc.size() != kCols)
      throw std::invalid_argument("A beat must have Rows activations and Cols accumulators");
  std::vector<CBeat> out;
  out.reserve(beats.size());
  run(std::move(w), beats.size(),
      [&](std::size_t i, ABeat& b) {
        b = beats[i];
        return true;
      },
      [&](std::size_t, const CBeat& c) { out.push_back(c); });
  return out;
}

GemmRun<std::uint32_t> MacArrayDriver::run_gemm(const Job& job) {
  const std::size_t m_rows = job.m;
  // K depth of a tile: Rows (BF16) or 2*Rows (INT8, two per PE lane)
  const std::size_t per = job.bf16 ? 1 : 2, depth = kRows * per;
  const std::size_t kt_count = ceil_div(job.k, depth);
  const std::size_t nt_count = ceil_div(job.n, kCols);
  const std::size_t padded_n = nt_count * kCols;
  const std::uint16_t a_pad = job.bf16 ? kBf16NegZero : 0;

  GemmRun<std::uint32_t> out;
  out.c = ref::Matrix<std::uint32_t>(job.m, job.n);
  out.leave_cycle = ref::Matrix<std::uint64_t>(job.m, job.n);
  if (job.m == 0 || job.n == 0) return out;
  if (job.k == 0) throw std::invalid_argument("GEMM with K = 0 is not supported by the array");

  // Weight tiles in issue order: n tiles outer, k chunks inner; W padded with 0.
  // Lane value of element pair (or single BF16 element) starting at K index k.
  const auto lane = [&](const std::function<std::uint16_t(std::size_t, std::size_t)>& f,
                        std::size_t k, std::size_t other, bool a_side, std::uint16_t pad) {
    std::uint16_t v = 0;
    for (std::size_t h = 0; h < per; ++h) {
      const std::size_t kk = k + h;
      const bool in = kk < job.k && (a_side || other < job.n);
      const std::uint16_t e = in ? (a_side ? f(other, kk) : f(kk, other)) : pad;
      v = static_cast<std::uint16_t>(per == 1 ? e : (v | (e & 0xFF) << (8 * h)));
    }
    return v;
  };
  std::vector<WBeat> w;
  w.reserve(nt_count * kt_count * kRows);
  for (std::size_t nt = 0; nt < nt_count; ++nt)
    for (std::size_t kt = 0; kt < kt_count; ++kt)
      for (std::size_t r = 0; r < kRows; ++r) {
        WBeat beat;
        beat.first = r == 0;
        beat.lanes.assign(kCols, 0);
        for (std::size_t j = 0; j < kCols; ++j) beat.lanes[j] = lane(job.b, kt * depth + r * per, nt * kCols + j, false, 0);
        w.push_back(std::move(beat));
      }

  // Host-side accumulator memory (padded to whole column tiles).
  std::vector<std::uint32_t> acc(m_rows * padded_n, 0);
  for (std::size_t m = 0; m < job.m; ++m)
    for (std::size_t n = 0; n < job.n; ++n) acc[m * padded_n + n] = job.c_init(m, n);

  std::size_t received = 0;
  const std::size_t num_a = nt_count * kt_count * m_rows;
  auto make_a = [&](std::size_t i, ABeat& beat) {
    const std::size_t t = i / m_rows, m = i % m_rows;
    const std::size_t nt = t / kt_count, kt = t % kt_count;
    // Chunk kt needs this row's chunk kt-1 partial sum back first.
    if (kt > 0 && received < i - m_rows + 1) return false;
    beat.a.assign(kRows, a_pad);
    for (std::size_t r = 0; r < kRows; ++r) beat.a[r] = lane(job.a, kt * depth + r * per, m, true, a_pad);
    beat.acc.assign(acc.begin() + m * padded_n + nt * kCols,
                    acc.begin() + m * padded_n + (nt + 1) * kCols);
    beat.bf16 = job.bf16;
    beat.last = (m == m_rows - 1);
    return true;
  };
  auto take_c = [&](std::size_t i, const CBeat& beat) {
    const std::size_t t = i / m_rows, m = i % m_rows;
    const std::size_t nt = t / kt_count, kt = t % kt_count;
    if (beat.last != (m == m_rows - 1))
      throw std::runtime_error(fmt::format(
          "mac_array: c_last_o = {} for result row {} of tile {} at cycle {} (expected {})",
          int{beat.last}, m, t, beat.cycle, int{m == m_rows - 1}));
    std::copy(beat.c.begin(), beat.c.end(), acc.begin() + m * padded_n + nt * kCols);
    if (kt == kt_count - 1)
      for (std::size_t j = 0; j < kCols; ++j) {
        const std::size_t n = nt * kCols + j;
        if (n >= job.n) break;
        out.c(m, n) = beat.c[j];
        out.leave_cycle(m, n) = beat.cycle;
      }
    ++received;
  };
  out.stats = run(std::move(w), num_a, make_a, take_c);
  out.stats.macs = static_cast<std::uint64_t>(job.m) * job.n * job.k;
  out.stats.utilisation =
      out.stats.cycles == 0
          ? 0.0
          : static_cast<double>(out.stats.macs) /
                (static_cast<double>(out.stats.cycles) * kRows * kCols * per);
  return out;
}

namespace {
void check_shapes(std::size_t a_rows, std::size_t a_cols, std::size_t b_rows, std::size_t b_cols,
                  std::size_t c_rows, std::size_t c_cols, bool has_c) {
  if (a_cols != b_rows || (has_c && (c_rows != a_rows || c_cols != b_cols)))
    throw std::invalid_argument(
        fmt::format("GEMM shape mismatch: A {}x{}, B {}x{}{}", a_rows, a_cols, b_rows, b_cols,
                    has_c ? fmt::format(", C_init {}x{}", c_rows, c_cols) : std::string{}));
}
}  // namespace

GemmRun<std::int32_t> MacArrayDriver::gemm_i8(const ref::Matrix<std::int8_t>& a,
                                              const ref::Matrix<std::int8_t>& b,
                                              const ref::Matrix<std::int32_t>* c_init) {
  check_shapes(a.rows(), a.cols(), b.rows(), b.cols(), c_init ? c_init->rows() : 0,
               c_init ? c_init->cols() : 0, c_init != nullptr);
  Job job;
  job.bf16 = false;
  job.m = a.rows();
  job.k = a.cols();
  job.n = b.cols();
  // Bytes; the driver packs two per lane.
  job.a = [&](std::size_t i, std::size_t j) { return static_cast<std::uint16_t>(static_cast<std::uint8_t>(a(i, j))); };
  job.b = [&](std::size_t i, std::size_t j) { return static_cast<std::uint16_t>(static_cast<std::uint8_t>(b(i, j))); };
  job.c_init = [&](std::size_t i, std::size_t j) {
    return c_init ? static_cast<std::uint32_t>((*c_init)(i, j)) : 0u;
  };
  GemmRun<std::uint32_t> raw = run_gemm(job);
  GemmRun<std::int32_t> out;
  out.c = ref::Matrix<std::int32_t>(raw.c.rows(), raw.c.cols());
  for (std::size_t i = 0; i < raw.c.rows(); ++i)
    for (std::size_t j = 0; j < raw.c.cols(); ++j) out.c(i, j) = static_cast<std::int32_t>(raw.c(i, j));
  out.leave_cycle = std::move(raw.leave_cycle);
  out.stats = raw.stats;
  return out;
}

GemmRun<std::uint32_t> MacArrayDriver::gemm_bf16(const ref::Matrix<std::uint16_t>& a,
                                                 const ref::Matrix<std::uint16_t>& b,
                                                 const ref::Matrix<std::uint32_t>* c_init) {
  check_shapes(a.rows(), a.cols(), b.rows(), b.cols(), c_init ? c_init->rows() : 0,
               c_init ? c_init->cols() : 0, c_init != nullptr);
  Job job;
  job.bf16 = true;
  job.m = a.rows();
  job.k = a.cols();
  job.n = b.cols();
  job.a = [&](std::size_t i, std::size_t j) { return a(i, j); };
  job.b = [&](std::size_t i, std::size_t j) { return b(i, j); };
  job.c_init = [&](std::size_t i, std::size_t j) { return c_init ? (*c_init)(i, j) : 0u; };
  return run_gemm(job);
}

// --- checking ---------------------------------------------------------------

std::string rerun_command(const CheckContext& ctx) {
  if (!ctx.rerun.empty()) return ctx.rerun;
  return fmt::format("NPU_SEED={} NPU_WAVES={} {} \"{}\"", ctx.seed, ctx.waves_path, ctx.binary,
                     ctx.test_name);
}

namespace {
template <class T, class Fmt>
CheckResult compare_bits(const CheckContext& ctx, std::string_view tensor,
                         const ref::Matrix<T>& expected, const GemmRun<T>& actual, Fmt show) {
  CheckResult res;
  if (expected.rows() != actual.c.rows() || expected.cols() != actual.c.cols()) {
    res.ok = false;
    res.mismatches = expected.rows() * expected.cols();
    res.message = fmt::format(
        "test \"{}\" seed {}: tensor {} has shape {}x{}, expected {}x{}\n  rerun with waves: {}",
        ctx.test_name, ctx.seed, tensor, actual.c.rows(), actual.c.cols(), expected.rows(),
        expected.cols(), rerun_command(ctx));
    return res;
  }
  for (std::size_t r = 0; r < expected.rows(); ++r)
    for (std::size_t c = 0; c < expected.cols(); ++c) {
      const auto e = static_cast<std::uint32_t>(expected(r, c));
      const auto g = static_cast<std::uint32_t>(actual.c(r, c));
      if (e == g) continue;
      if (res.mismatches++ == 0)
        res.message = fmt::format(
            "FIRST MISMATCH: test \"{}\" seed {} tensor {} row {} col {}: expected {} actual {}; "
            "result left the array at cycle {}",
            ctx.test_name, ctx.seed, tensor, r, c, show(e), show(g), actual.leave_cycle(r, c));
    }
  if (res.mismatches > 0) {
    res.ok = false;
    res.message += fmt::format("\n  {} mismatching element(s) of {}\n  rerun with waves: {}",
                               res.mismatches, expected.rows() * expected.cols(),
                               rerun_command(ctx));
  }
  return res;
}
}  // namespace

CheckResult compare_i32(const CheckContext& ctx, std::string_view tensor,
                        const ref::Matrix<std::int32_t>& expected,
                        const GemmRun<std::int32_t>& actual) {
  return compare_bits(ctx, tensor, expected, actual, [](std::uint32_t v) {
    return fmt::format("0x{:08x} ({})", v, static_cast<std::int32_t>(v));
  });
}

CheckResult compare_fp32(const CheckContext& ctx, std::string_view tensor,
                         const ref::Matrix<std::uint32_t>& expected,
                         const GemmRun<std::uint32_t>& actual) {
  return compare_bits(ctx, tensor, expected, actual, [](std::uint32_t v) {
    return fmt::format("0x{:08x} ({:.9g})", v, fp32_value(v));
  });
}

}  // namespace npu::tb
