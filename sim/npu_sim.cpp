// npu_sim: runs the default workload through the whole accelerator (npu_top):
// an N x N x N GEMM in INT8 and in BF16 (N = 256 unless --size says
// otherwise), tiled by the compiler into a command stream that the runtime
// puts in the ring; checks C bit-exactly against the reference model and
// prints the performance counters. With --model, one compiled transformer
// layer of that model description instead (tb/top/layer_flow.hpp): random
// weights from the seed, checked bit for bit against the direct layer
// reference, with cycles, utilization and the per-engine and per-function
// breakdown. With --embed K, sentence K of the MiniLM eval set embedded by
// the real all-MiniLM-L6-v2 (its six layers in one stream, BF16) on the RTL:
// the last hidden state bit for bit against the host reference, and the
// cosine of the embedding to the float model's (tests/models/data).
//   npu_sim --config configs/base.yaml [--seed N] [--waves out.fst] [--size N]
//           [--latency CYCLES] [--model models/NAME.yaml [--tokens T] | --embed K]
// Exit: 0 all PASS, 1 a FAIL or a runtime/config error, 2 bad arguments.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "gemm_flow.hpp"
#include "layer_flow.hpp"
#include "npu/models/minilm.hpp"
#include "top_bench.hpp"

namespace {

struct Options {
  std::string config;
  std::uint64_t seed = 1;
  std::string waves;
  npu::tb::TraceWindow window;
  std::size_t size = 256;
  unsigned latency = 100;
  std::string model;    // a model description: run one compiled layer instead of the GEMMs
  unsigned tokens = 0;  // 0: the model's seq_len
  std::optional<unsigned> embed;  // a sentence of the MiniLM eval set, embedded on the RTL
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct HelpRequested {};

constexpr const char* kUsage =
    "usage: npu_sim --config <configs/NAME.yaml> [--seed N] [--waves FILE.fst] [--size N]\n"
    "               [--latency CYCLES] [--trace-from CYCLE] [--trace-to CYCLE]\n"
    "  --config   configuration; must match the compiled model ({}x{}, '{}')\n"
    "  --seed     random data seed (default 1)\n"
    "  --waves    write an FST trace of the run to FILE.fst\n"
    "  --trace-from, --trace-to  trace only cycles [FROM, TO) (with --waves)\n"
    "  --size     GEMM dimension M = K = N (default 256)\n"
    "  --latency  memory read/write latency in cycles (default 100)\n"
    "  --model    a model description (models/NAME.yaml): one compiled layer of it instead of the\n"
    "             GEMMs (an encoder layer in its dtype, or a decoder's decode step)\n"
    "  --tokens   the encoder's sequence length or the decode step's context (default: seq_len)\n"
    "  --embed    sentence K of the MiniLM eval set through the real all-MiniLM-L6-v2 (BF16),\n"
    "             bit-exact against the host reference, with its cosine to the float model\n";

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
    } else if (arg == "--trace-from") {
      o.window.from = parse_number(arg, value());
    } else if (arg == "--trace-to") {
      o.window.to = parse_number(arg, value());
    } else if (arg == "--size") {
      o.size = parse_number(arg, value());
      if (o.size == 0 || o.size > 4096) throw UsageError("--size must be 1..4096");
    } else if (arg == "--latency") {
      o.latency = static_cast<unsigned>(parse_number(arg, value()));
      if (o.latency == 0 || o.latency > 100000) throw UsageError("--latency must be 1..100000");
    } else if (arg == "--model") {
      o.model = value();
    } else if (arg == "--tokens") {
      o.tokens = static_cast<unsigned>(parse_number(arg, value()));
      if (o.tokens == 0 || o.tokens > 4096) throw UsageError("--tokens must be 1..4096");
    } else if (arg == "--embed") {
      o.embed = static_cast<unsigned>(parse_number(arg, value()));
    } else if (arg == "--help" || arg == "-h") {
      throw HelpRequested{};
    } else {
      throw UsageError(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (o.config.empty()) throw UsageError("--config is required");
  if (o.window.to <= o.window.from)
    throw UsageError(fmt::format("--trace-to ({}) must be greater than --trace-from ({})", o.window.to,
                                 o.window.from));
  const bool windowed = o.window.from != 0 || o.window.to != npu::tb::TraceWindow{}.to;
  if (windowed && o.waves.empty()) throw UsageError("--trace-from/--trace-to need --waves");
  if (o.embed && !o.model.empty()) throw UsageError("--embed and --model are two workloads: give one");
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

// The configuration file must describe the model this program was built for:
// its sizes are compared with the device's HW_* registers.
void check_accel(const std::string& path, const npu::rt::HwConfig& hw) {
  const YAML::Node accel = YAML::LoadFile(path)["accel"];
  if (!accel || !accel.IsMap())
    throw std::runtime_error(fmt::format("{}: missing map 'accel'", path));
  auto want = [&](const char* key, unsigned have) {
    const YAML::Node n = accel[key];
    if (!n) throw std::runtime_error(fmt::format("{}: missing key 'accel.{}'", path, key));
    long long v = 0;
    try {
      v = n.as<long long>();
    } catch (const YAML::Exception&) {
      throw std::runtime_error(fmt::format("{}: accel.{} is not an integer", path, key));
    }
    if (v != have)
      throw std::runtime_error(fmt::format("{}: accel.{} is {} but the '{}' model has {}; "
                                           "rebuild after changing a configuration",
                                           path, key, v, NPU_CONFIG_NAME, have));
  };
  want("bus_bytes", hw.bus_bytes);
  want("aspad_words", hw.aspad_words);
  want("wspad_words", hw.wspad_words);
  want("acc_rows", hw.acc_rows);
  want("vec_maxlen", hw.vec_maxlen);
}

// One compiled layer of o.model; PASS when it ran and equals the reference bit for bit.
int run_model(npu::tb::TopBench& bench, const Options& o) {
  const npu::compiler::ModelDesc md = npu::compiler::load_model_desc(o.model);
  const unsigned T = o.tokens ? o.tokens : static_cast<unsigned>(md.seq_len);
  fmt::print("model '{}' ({}), one {} layer, {} {}\n", md.name, o.model, npu::compiler::to_string(md.dtype),
             md.kind == npu::compiler::LayerKind::Decoder ? "decode step at context" : "T", T);
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t c0 = bench.cycle();
  try {
    npu::tb::run_model_layer(bench, md, T, o.seed);
  } catch (const std::runtime_error& e) {
    fmt::print("FAIL {}\n  rerun: {} --config {} --model {} --tokens {} --seed {} --waves build/waves/sim.fst\n",
               e.what(), npu::tb::self_executable(), o.config, o.model, T, o.seed);
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("summary: PASS ({} simulated cycles, {:.0f} cycles/s)\n", bench.cycle() - c0,
             secs > 0 ? double(bench.cycle() - c0) / secs : 0.0);
  return 0;
}

// Sentence k of the golden file ("# [i] text" lines, then one line of the float model's
// embedding per sentence) and its embedding.
std::pair<std::string, std::vector<double>> golden_sentence(const std::string& path, unsigned k) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the MiniLM float goldens");
  std::vector<std::string> texts;
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# [", 0) == 0) {
      const auto close = line.find("] ");
      if (close == std::string::npos) throw std::runtime_error(path + ": malformed sentence line: " + line);
      texts.push_back(line.substr(close + 2));
      continue;
    }
    std::istringstream row(line);
    std::vector<double> v;
    for (double x; row >> x;) v.push_back(x);
    if (!v.empty()) rows.push_back(std::move(v));
  }
  if (texts.size() != rows.size()) throw std::runtime_error(path + ": sentences and embeddings do not pair up");
  if (k >= texts.size())
    throw std::runtime_error(fmt::format("--embed {}: the eval set has sentences 0..{}", k, texts.size() - 1));
  return {texts[k], rows[k]};
}

// --embed: one real MiniLM embedding on the RTL; PASS when bit-exact against the host reference.
int run_embed(npu::tb::TopBench& bench, const Options& o) {
  const auto [text, golden] = golden_sentence(NPU_MINILM_GOLDEN, *o.embed);
  npu::models::MiniLm m(NPU_MINILM_DIR, bench.dev());  // run timeouts sized to each stream's work
  const std::vector<std::int32_t> ids = m.tokens(text);
  fmt::print("all-MiniLM-L6-v2 ({}), sentence {}: \"{}\" ({} tokens), 6 layers BF16 in one stream\n",
             NPU_MINILM_DIR, *o.embed, text, ids.size());
  const auto t0 = std::chrono::steady_clock::now();
  const npu::models::Bf16Matrix hidden = m.hidden(ids);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const npu::models::MiniLmRun& run = m.last_run();
  const auto bad = npu::ref::first_mismatch(hidden, m.hidden_reference(ids), "last hidden state");
  const std::vector<float> e = npu::models::MiniLm::pool(hidden);
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < e.size() && i < golden.size(); ++i)
    ab += e[i] * golden[i], aa += double(e[i]) * e[i], bb += golden[i] * golden[i];
  const unsigned peak = bench.dev().hw().rows * bench.dev().hw().cols;
  fmt::print("  {} commands, {} cycles, {} MACs of layer math, MAC utilization {:.1f} % of {} MACs/cycle; DMA "
             "read {} B, written {} B; {:.1f} s on the host ({:.0f} cycles/s)\n",
             run.commands, run.device_cycles, run.model_macs,
             100.0 * double(run.model_macs) / (double(std::max<std::uint64_t>(run.device_cycles, 1)) * peak), peak,
             run.counters.dma_rd_bytes, run.counters.dma_wr_bytes, secs,
             secs > 0 ? double(run.device_cycles) / secs : 0.0);
  fmt::print("  last hidden state vs the host reference (ref::encoder_layer_bf16 six times): {}\n",
             bad.value_or("bit-exact"));
  fmt::print("  cosine of the embedding to the float model's: {:.6f}\n", ab / std::sqrt(aa * bb));
  fmt::print("summary: {}\n", bad ? "FAIL" : "PASS");
  return bad ? 1 : 0;
}

int run(const Options& o) {
  check_config(o.config);
  if (!o.waves.empty()) {
    const auto dir = std::filesystem::path(o.waves).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir);
  }
  npu::tb::TopBenchOptions bo;
  bo.waves = o.waves;
  bo.trace_depth = 3;  // npu_top's ports and the engines' ports: a long run stays small
  bo.cycle_limit = 2'000'000'000;
  bo.mem.read_latency = o.latency;
  bo.mem.write_latency = o.latency;
  bo.window_size = 0x0800'0000;  // 128 MiB: the six MiniLM layers' weights are 21 MB
  npu::tb::TopBench bench(NPU_BUS_BYTES, bo);
  if (o.window.from != 0 || o.window.to != npu::tb::TraceWindow{}.to)
    bench.transport().sim().set_trace_window(o.window);  // else NPU_TRACE_FROM/TO or all
  const auto& hw = bench.dev().hw();
  check_accel(o.config, hw);
  fmt::print("npu_sim: config '{}' ({}x{} array, {}-bit AXI, memory latency {}), seed {}, "
             "{}{}\n", NPU_CONFIG_NAME, hw.rows, hw.cols, 8 * hw.bus_bytes, o.latency, o.seed,
             !o.model.empty() ? "model " + o.model
             : o.embed        ? fmt::format("MiniLM sentence {}", *o.embed)
                              : fmt::format("GEMM {}^3", o.size),
             o.waves.empty() ? std::string{} : ", waves " + o.waves);

  if (!o.model.empty()) return run_model(bench, o);
  if (o.embed) return run_embed(bench, o);
  int failures = 0;
  for (auto type : {npu::compiler::DType::Int8, npu::compiler::DType::Bf16}) {
    npu::compiler::GemmShape s;
    s.m = s.k = s.n = static_cast<unsigned>(o.size);
    s.type = type;
    const char* name = type == npu::compiler::DType::Int8 ? "C_int8" : "C_bf16";
    const std::uint64_t c0 = bench.cycle();
    const auto t0 = std::chrono::steady_clock::now();
    // Timeout sized to the work: a few times the MAC-bound cycles plus the
    // operand traffic (bus words) and the memory latency, and a margin.
    const std::uint64_t work = std::uint64_t{s.m} * s.k * s.n / (hw.rows * hw.cols) +
                               (std::uint64_t{s.m} * s.k + std::uint64_t{s.k} * s.n) * 2 / hw.bus_bytes +
                               std::uint64_t{s.m} * s.n * 4 / hw.bus_bytes;
    const std::uint64_t timeout = 4 * work + 200 * std::uint64_t{o.latency} + 100'000;
    const auto run = npu::tb::run_gemm(bench, s, o.seed, timeout);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool pass = run.result.ok() && !run.mismatch;
    const auto& k = run.counters;
    // sim: the whole GEMM on the host (operands, reference GEMM, check); rtl: the run alone
    fmt::print("{:<7} {}x{}x{}  {}  cycles {}  MACs {}  util {:.2f}%  sim {:.0f} cycles/s (rtl {:.0f})\n",
               name, s.m, s.k, s.n, pass ? "PASS" : "FAIL", k.cycles, k.macs,
               100.0 * k.mac_utilization(hw, type == npu::compiler::DType::Int8),
               secs > 0 ? (bench.cycle() - c0) / secs : 0.0,
               run.run_seconds > 0 ? run.run_cycles / run.run_seconds : 0.0);
    fmt::print("        {} commands; busy/stall cycles: gemm {}/{}  load {}/{}  store {}/{}  "
               "vec {}/{}; DMA read {} B, write {} B\n", run.commands, k.gemm_busy,
               k.gemm_stall, k.load_busy, k.load_stall, k.store_busy, k.store_stall, k.vec_busy,
               k.vec_stall, k.dma_rd_bytes, k.dma_wr_bytes);
    if (!run.result.ok()) fmt::print("        {}\n", run.result.describe());
    if (run.mismatch)
      fmt::print("        first mismatch: {}\n        rerun: {} --config {} --seed {} --size {} "
                 "--waves build/waves/sim.fst\n", *run.mismatch, npu::tb::self_executable(),
                 o.config, o.seed, o.size);
    failures += pass ? 0 : 1;
  }
  fmt::print("summary: {} of 2 tensors PASS, {} FAIL ({} simulated cycles)\n", 2 - failures,
             failures, bench.cycle());
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
