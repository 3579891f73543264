// Drives a Verilated mac_array through its weight / activation / result
// valid-ready ports and maps arbitrary M x K x N GEMMs onto the array.
// The array size is the compiled model's (NPU_ROWS x NPU_COLS).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "npu/ref/matrix.hpp"
#include "sim_control.hpp"

class Vmac_array;

namespace npu::tb {

using MacArraySim = SimControl<Vmac_array>;

// Per-port probabilities: an available beat is offered (valid) in a cycle
// with probability *_valid; c_ready is high in a cycle with probability
// c_ready. 1.0 everywhere = no back-pressure and no gaps.
struct Traffic {
  double w_valid = 1.0;
  double a_valid = 1.0;
  double c_ready = 1.0;

  static Traffic full_speed() { return {}; }
  static Traffic random(double p) { return {p, p, p}; }
};

struct RunStats {
  std::uint64_t first_beat_cycle = 0;   // first input transfer
  std::uint64_t last_result_cycle = 0;  // last result transfer
  std::uint64_t cycles = 0;             // last - first + 1
  std::uint64_t macs = 0;               // M * N * K (useful MACs only)
  double utilisation = 0.0;             // macs / (cycles * Rows * Cols)
};

template <class T>
struct GemmRun {
  ref::Matrix<T> c;
  ref::Matrix<std::uint64_t> leave_cycle;  // cycle each final C element left the array
  RunStats stats;
};

// One activation beat (low-level streaming interface). INT8: lane k holds
// activations 2k (low byte) and 2k+1 (high byte).
struct ABeat {
  std::vector<std::uint16_t> a;    // Rows elements
  std::vector<std::uint32_t> acc;  // Cols elements
  bool bf16 = false;
  bool a_unsigned = false;         // INT8 activation bytes are uint8
  bool last = false;
};

// A weight tile as the PEs hold it: tile(k, j) is PE(k, j)'s 16-bit weight (BF16,
// or INT8 rows 2k, 2k+1 in the low and high byte). Sent as Rows row beats, or
// as Cols column beats when transposed.
struct WTile {
  ref::Matrix<std::uint16_t> w;
  bool transposed = false;
};

// One result beat as it left the array.
struct CBeat {
  std::vector<std::uint32_t> c;  // Cols elements
  bool last = false;
  std::uint64_t cycle = 0;
};

class MacArrayDriver {
 public:
  // Cycles without any transfer before the driver declares a hang.
  static constexpr std::uint64_t kDefaultStallLimit = 20'000;

  MacArrayDriver(MacArraySim& sim, Traffic traffic, std::uint64_t seed);

  static unsigned rows();
  static unsigned cols();

  // Accumulate mode when c_init is given, overwrite mode (from 0) otherwise.
  GemmRun<std::int32_t> gemm_i8(const ref::Matrix<std::int8_t>& a,
                                const ref::Matrix<std::int8_t>& b,
                                const ref::Matrix<std::int32_t>* c_init = nullptr);
  GemmRun<std::uint32_t> gemm_bf16(const ref::Matrix<std::uint16_t>& a,
                                   const ref::Matrix<std::uint16_t>& b,
                                   const ref::Matrix<std::uint32_t>* c_init = nullptr);

  // Streams weight tiles and independent A beats (the caller sets `last`
  // consistently with the tiles); returns results in order.
  std::vector<CBeat> stream(const std::vector<WTile>& tiles, const std::vector<ABeat>& beats);
  std::vector<CBeat> stream(const std::vector<ref::Matrix<std::uint16_t>>& tiles,
                            const std::vector<ABeat>& beats);

  // The model's weight port promises (mac_array WStream = 1): once a tile's
  // first beat is offered, its beats follow back to back; gaps only between tiles.
  static bool weight_stream();

  void set_stall_limit(std::uint64_t cycles) { stall_limit_ = cycles; }

  // One beat on the weight port.
  struct WBeat {
    std::vector<std::uint16_t> lanes;
    bool tr = false, first = false;
  };

 private:
  struct Job;
  GemmRun<std::uint32_t> run_gemm(const Job& job);
  // Core handshake loop. make_a(i, beat) fills beat i or returns false if it
  // may not be issued yet; take_c(i, beat) consumes result i.
  RunStats run(std::vector<WBeat> weight_beats, std::size_t num_a,
               const std::function<bool(std::size_t, ABeat&)>& make_a,
               const std::function<void(std::size_t, const CBeat&)>& take_c);
  bool coin(double p);

  MacArraySim& sim_;
  Traffic traffic_;
  std::mt19937_64 rng_;
  std::uint64_t stall_limit_ = kDefaultStallLimit;
};

// --- result checking -------------------------------------------------------

// Where a comparison runs, so a failure message can say how to replay it.
struct CheckContext {
  std::string test_name;
  std::uint64_t seed = 0;
  std::string binary;      // path of the test executable
  std::string waves_path;  // suggested FST path for the rerun command
  std::string rerun;       // full rerun command; derived from the above if empty
};

struct CheckResult {
  bool ok = true;
  std::size_t mismatches = 0;
  std::string message;  // empty when ok; describes the FIRST mismatch otherwise
};

std::string rerun_command(const CheckContext& ctx);

CheckResult compare_i32(const CheckContext& ctx, std::string_view tensor,
                        const ref::Matrix<std::int32_t>& expected,
                        const GemmRun<std::int32_t>& actual);
// FP32 bit patterns (the BF16 GEMM accumulates in FP32); raw bits compared.
CheckResult compare_fp32(const CheckContext& ctx, std::string_view tensor,
                         const ref::Matrix<std::uint32_t>& expected,
                         const GemmRun<std::uint32_t>& actual);

}  // namespace npu::tb
