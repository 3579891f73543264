// all-MiniLM-L6-v2 sentence embeddings through the layer compiler and the
// driver, BF16, base configuration (docs/models.md, "all-MiniLM-L6-v2 on the
// accelerator"), on the functional model (rt::ModelTransport) or, in
// build/sim/npu_embed_rtl, on the Verilated RTL (--backend rtl).
//
//   npu_embed [--backend model|rtl] [--dtype bf16|int8] [--model-dir D] [--text T]... [--file F] [--cosine]
//             [--check] [--show N]
//
// --dtype int8: the INT8 (I-BERT) path (npu::models::MiniLmInt8, calibrated on
// models/text/calibration.txt); both run the six layers as one stream.
// --file: one sentence a line ('#' lines and blank lines skipped; "A | B"
// lines as in models/text/eval.txt give two sentences). --check also runs the
// host bit-exact reference (ref::encoder_layer_bf16) and compares the last
// hidden state bit for bit. The model transport has no timing: its cycle
// count is the driver's polling only, so there the figures printed are the
// stream's commands, MACs and DMA bytes; the RTL adds cycles and utilization.
#include "npu/models/minilm.hpp"
#include "npu/models/minilm_int8.hpp"
#include "npu/runtime/device.hpp"
#include "npu/runtime/model_transport.hpp"
#include "tool_device.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#ifndef NPU_MINILM_DIR
#define NPU_MINILM_DIR ""
#endif

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

void read_file(const std::string& path, std::vector<std::string>& out) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find(" | ");
    if (bar == std::string::npos) {
      out.push_back(line);
    } else {
      out.push_back(trim(line.substr(0, bar)));
      out.push_back(trim(line.substr(bar + 3)));
    }
  }
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return ab / std::sqrt(aa * bb);
}

int usage(const char* argv0) {
  fmt::print(stderr,
             "usage: {} [--backend model|rtl] [--dtype bf16|int8] [--model-dir D] [--text T]... [--file F] "
             "[--cosine] [--check] [--show N]\n",
             argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = NPU_MINILM_DIR;
  std::vector<std::string> texts;
  std::string backend = "model", dtype = "bf16";
  bool cos = false, check = false;
  unsigned show = 8;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a == "--model-dir" && has_value) dir = argv[++i];
      else if (a == "--backend" && has_value) backend = argv[++i];
      else if (a == "--dtype" && has_value) dtype = argv[++i];
      else if (a == "--text" && has_value) texts.emplace_back(argv[++i]);
      else if (a == "--file" && has_value) read_file(argv[++i], texts);
      else if (a == "--show" && has_value) show = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
      else if (a == "--cosine") cos = true;
      else if (a == "--check") check = true;
      else return usage(argv[0]);
    }
    if (texts.empty()) return usage(argv[0]);
    if (dir.empty()) throw std::runtime_error("no model directory: give --model-dir");

    npu::tools::ToolDevice td(backend, 0x1000'0000, 64);
    npu::rt::Device& dev = td.dev();
    if (dtype != "bf16" && dtype != "int8") throw std::runtime_error("--dtype must be bf16 or int8, not '" + dtype + "'");
    npu::models::MiniLm m(dir, dev);
    std::optional<npu::models::MiniLmInt8> q;
    if (dtype == "int8")
      q.emplace(m, dev, npu::models::read_sentences(std::string(NPU_MODELS_DIR) + "/text/calibration.txt"));
    fmt::print("all-MiniLM-L6-v2, {}, on {}, base ({}x{} PEs, ASPAD {} words)\n", q ? "INT8 (I-BERT)" : "BF16",
               td.name(), m.accel().rows, m.accel().cols, m.accel().aspad_words);
    std::vector<std::vector<float>> emb;
    std::vector<std::size_t> which;  // sentence index of each embedding
    int status = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const auto ids = m.tokens(texts[i]);
      fmt::print("[{}] {}\n    tokens {}:", i, texts[i], ids.size());
      for (auto id : ids) fmt::print(" {}", id);
      fmt::print("\n");
      std::fflush(stdout);
      npu::models::Bf16Matrix h;
      std::vector<npu::models::Int8Matrix> outs;  // INT8: every layer's output
      try {
        if (q) outs = q->layer_outputs(ids);
        else h = m.hidden(ids);
      } catch (const npu::models::SequenceLengthError& e) {
        fmt::print("    {}\n", e.what());  // the other sentences still run
        status = 1;
        continue;
      }
      const auto& r = q ? q->last_run() : m.last_run();
      fmt::print("    {} commands, {} MACs issued ({} in the layer math), DMA {} B read / {} B written; "
                 "{}compile {:.2f} s, run {:.2f} s",
                 r.commands, r.issued_macs, r.model_macs, r.dma_read_bytes, r.dma_write_bytes,
                 r.compiled ? "" : "cached stream, ", r.compile_seconds, r.run_seconds);
      if (td.rtl())
        fmt::print("; {} cycles, MAC utilization {:.1f} % ({:.0f} cycles/s)\n", r.device_cycles,
                   100.0 * double(r.model_macs) / (double(std::max<std::uint64_t>(r.device_cycles, 1)) * 256),
                   r.run_seconds > 0 ? double(r.device_cycles) / r.run_seconds : 0.0);
      else
        fmt::print(" on the model ({} polling cycles)\n", r.device_cycles);
      emb.push_back(q ? q->pool(outs.back()) : npu::models::MiniLm::pool(h));
      which.push_back(i);
      fmt::print("    e[:{}] =", show);
      for (unsigned k = 0; k < show && k < emb.back().size(); ++k) fmt::print(" {:+.5f}", emb.back()[k]);
      fmt::print("\n");
      if (check) {
        const auto bad = q ? npu::ref::first_mismatch(outs.back(), q->layer_outputs_reference(ids).back(),
                                                      "last layer's int8 output")
                           : npu::ref::first_mismatch(h, m.hidden_reference(ids), "last hidden state");
        fmt::print("    bit-exact reference: {}\n", bad ? *bad : "equal");
        if (bad) status = 1;
      }
    }
    if (cos && emb.size() > 1) {
      fmt::print("cosine:\n   ");
      for (std::size_t j = 0; j < emb.size(); ++j) fmt::print(" {:>7}", which[j]);
      fmt::print("\n");
      for (std::size_t i = 0; i < emb.size(); ++i) {
        fmt::print("{:>3}", which[i]);
        for (std::size_t j = 0; j < emb.size(); ++j) fmt::print(" {:7.4f}", cosine(emb[i], emb[j]));
        fmt::print("\n");
      }
    }
    return status;
  } catch (const std::exception& e) {
    fmt::print(stderr, "npu_embed: {}\n", e.what());
    return 1;
  }
}
