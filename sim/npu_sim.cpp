// npu_sim: runs the default workload (an N x N x N GEMM in INT8 and in BF16,
// N = 256 unless --size says otherwise) on the Verilated mac_array, checks
// both bit-exactly against the reference model and reports throughput.
//   npu_sim --config configs/base.yaml [--seed N] [--waves out.fst] [--size N]
// Exit: 0 all PASS, 1 a FAIL or a runtime/config error, 2 bad arguments.
#include <Vmac_array.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "mac_array_driver.hpp"
#include "npu/ref/gemm.hpp"
#include "stimulus.hpp"

namespace {

using npu::tb::CheckContext;
using npu::tb::CheckResult;
using npu::tb::MacArrayDriver;
using npu::tb::MacArraySim;
using npu::tb::RunStats;

struct Options {
  std::string config;
  std::uint64_t seed = 1;
  std::string waves;
  std::size_t size = 256;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct HelpRequested {};

constexpr const char* kUsage =
    "usage: npu_sim --config <configs/NAME.yaml> [--seed N] [--waves FILE.fst] [--size N]\n"
    "  --config  array configuration; must match the compiled model ({}x{}, '{}')\n"
    "  --seed    random data seed (default 1)\n"
    "  --waves   write an FST trace of the whole run to FILE.fst\n"
    "  --size    GEMM dimension M = K = N (default 256)\n";

std::uint64_t parse_number(const std::string& opt, const std::string& text) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '-')
    throw UsageError(fmt::format("{}: '{}' is not a non-negative integer", opt, text));
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--config") {
      o.config = value();
    } else if (arg == "--seed") {
      o.seed = parse_number(arg, value());
    } else if (arg == "--waves") {
      o.waves = value();
    } else if (arg == "--size") {
      o.size = parse_number(arg, value());
      if (o.size == 0) throw UsageError("--size must be at least 1");
    } else if (arg == "--help" || arg == "-h") {
      throw HelpRequested{};
    } else {
      throw UsageError(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (o.config.empty()) throw UsageError("--config is required");
  return o;
}

// Reads array.rows / array.cols; throws std::runtime_error naming the file.
void check_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(fmt::format("{}: cannot open config file", path));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(fmt::format("{}: malformed YAML: {}", path, e.what()));
  }
  if (!root.IsMap() || !root["array"] || !root["array"].IsMap())
    throw std::runtime_error(fmt::format("{}: missing map 'array'", path));
  auto dim = [&](const char* key) -> long long {
    const YAML::Node n = root["array"][key];
    if (!n) throw std::runtime_error(fmt::format("{}: missing key 'array.{}'", path, key));
    long long v = 0;
    try {
      v = n.as<long long>();
    } catch (const YAML::Exception&) {
      throw std::runtime_error(fmt::format("{}: array.{} is not an integer", path, key));
    }
    if (v <= 0) throw std::runtime_error(fmt::format("{}: array.{} must be positive", path, key));
    return v;
  };
  const long long rows = dim("rows"), cols = dim("cols");
  if (rows != NPU_ROWS || cols != NPU_COLS)
    throw std::runtime_error(fmt::format(
        "{}: array is {}x{} but this npu_sim was built for the '{}' model ({}x{}); "
        "build and run the matching configuration",
        path, rows, cols, NPU_CONFIG_NAME, NPU_ROWS, NPU_COLS));
}

struct Outcome {
  bool pass;
  RunStats stats;
  double cycles_per_s;
  std::string message;
};

void report(const std::string& tensor, std::size_t n, const Outcome& o) {
  fmt::print("{:<8} {}x{}x{}  {}  cycles {}  MACs {}  util {:.2f}%  sim {:.0f} cycles/s\n",
             tensor, n, n, n, o.pass ? "PASS" : "FAIL", o.stats.cycles, o.stats.macs,
             100.0 * o.stats.utilisation, o.cycles_per_s);
  if (!o.pass) fmt::print("{}\n", o.message);
}

template <class Run, class Check>
Outcome timed(MacArraySim& sim, Run run, Check check) {
  const std::uint64_t c0 = sim.cycle();
  const auto t0 = std::chrono::steady_clock::now();
  auto result = run();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const CheckResult r = check(result);
  return {r.ok, result.stats, secs > 0 ? static_cast<double>(sim.cycle() - c0) / secs : 0.0,
          r.message};
}

int run(const Options& o) {
  check_config(o.config);
  if (!o.waves.empty()) {
    const auto dir = std::filesystem::path(o.waves).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir);
  }
  fmt::print("npu_sim: config '{}' ({}x{} array), seed {}, GEMM {}^3{}\n", NPU_CONFIG_NAME,
             NPU_ROWS, NPU_COLS, o.seed, o.size,
             o.waves.empty() ? std::string{} : ", waves " + o.waves);

  // Waves hold the array's ports only: its internal PE buses over 130k
  // cycles would be hundreds of MB (tests trace everything instead).
  MacArraySim sim(o.waves, MacArraySim::kDefaultCycleLimit, 1);
  sim.reset();
  MacArrayDriver driver(sim, npu::tb::Traffic::full_speed(), o.seed);
  std::mt19937_64 rng(o.seed);
  const std::size_t n = o.size;
  CheckContext ctx;
  ctx.test_name = "npu_sim";
  ctx.seed = o.seed;
  ctx.rerun = fmt::format("build/sim/npu_sim --config {} --seed {} --size {} --waves {}", o.config,
                          o.seed, o.size, o.waves.empty() ? "build/waves/sim.fst" : o.waves);

  int failures = 0;
  {
    const auto a = npu::tb::random_i8(rng, n, n);
    const auto b = npu::tb::random_i8(rng, n, n);
    const auto expected = npu::ref::gemm_i8(a, b);
    const Outcome out = timed(sim, [&] { return driver.gemm_i8(a, b); },
                              [&](const auto& got) { return npu::tb::compare_i32(ctx, "C_int8", expected, got); });
    report("C_int8", n, out);
    failures += out.pass ? 0 : 1;
  }
  {
    const auto a = npu::tb::random_bf16(rng, n, n);
    const auto b = npu::tb::random_bf16(rng, n, n);
    const auto expected = npu::ref::gemm_bf16(a, b);
    const Outcome out = timed(sim, [&] { return driver.gemm_bf16(a, b); },
                              [&](const auto& got) { return npu::tb::compare_fp32(ctx, "C_bf16", expected, got); });
    report("C_bf16", n, out);
    failures += out.pass ? 0 : 1;
  }
  fmt::print("summary: {} of 2 tensors PASS, {} FAIL ({} simulated cycles)\n", 2 - failures,
             failures, sim.cycle());
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  try {
    opts = parse_args(argc, argv);
  } catch (const HelpRequested&) {
    fmt::print(kUsage, NPU_ROWS, NPU_COLS, NPU_CONFIG_NAME);
    return 0;
  } catch (const UsageError& e) {
    fmt::print(stderr, "npu_sim: {}\n", e.what());
    fmt::print(stderr, kUsage, NPU_ROWS, NPU_COLS, NPU_CONFIG_NAME);
    return 2;
  }
  try {
    return run(opts);
  } catch (const std::exception& e) {
    fmt::print(stderr, "npu_sim: error: {}\n", e.what());
    return 1;
  }
}
