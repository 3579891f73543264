// SmolLM2-135M-Instruct greedy text generation, BF16, base configuration, on
// the functional model (rt::ModelTransport behind rt::Device) or, in
// build/sim/npu_generate_rtl, on the Verilated RTL (--backend rtl).
//   npu_generate [--backend model|rtl] [--gguf P] [--prompt TEXT] [--chat] [--system TEXT] [--tokens N]
//                [--capacity C] [--ids]
// Streams the continuation to stdout; load time, prefill, decode tokens/s and
// commands per token to stderr.
#include "npu/compiler/model_desc.hpp"
#include "npu/models/bpe.hpp"
#include "npu/models/smollm2.hpp"
#include "npu/runtime/device.hpp"
#include "npu/runtime/model_transport.hpp"
#include "tool_device.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int usage(const char* argv0) {
  fmt::print(stderr,
             "usage: {} [--backend model|rtl] [--gguf PATH] [--prompt TEXT] [--chat] [--system TEXT] [--tokens N]\n"
             "          [--capacity C] [--ids]\n"
             "  --backend   model (default) or rtl (npu_generate_rtl: the Verilated base npu_top)\n"
             "  --chat      wrap the prompt in SmolLM2's chat template (default system message)\n"
             "  --tokens N  new tokens (default 16; stops at <|im_end|>)\n"
             "  --capacity  KV cache positions (default: prompt + tokens, rounded up to 16)\n",
             argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string gguf = NPU_SMOLLM2_GGUF, prompt = "The capital of France is", system, backend = "model";
  bool chat = false, ids = false;
  unsigned tokens = 16, capacity = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--gguf" && has_value) gguf = argv[++i];
    else if (a == "--backend" && has_value) backend = argv[++i];
    else if (a == "--prompt" && has_value) prompt = argv[++i];
    else if (a == "--system" && has_value) system = argv[++i];
    else if (a == "--tokens" && has_value) tokens = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    else if (a == "--capacity" && has_value) capacity = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    else if (a == "--chat") chat = true;
    else if (a == "--ids") ids = true;
    else return usage(argv[0]);
  }
  try {
    const auto t_load = Clock::now();
    const npu::compiler::ModelDesc desc = npu::compiler::load_model_desc(std::string(NPU_MODELS_DIR) + "/smollm2-135m.yaml");
    const auto tok = npu::models::BpeTokenizer::from_gguf(gguf);
    const std::string text = chat ? npu::models::smollm2_chat_prompt(prompt, system) : prompt;
    const std::vector<std::int32_t> prompt_ids = tok.encode(text);
    if (capacity == 0) capacity = static_cast<unsigned>((prompt_ids.size() + tokens + 15) / 16 * 16);
    auto weights = std::make_shared<const npu::models::SmolLm2Weights>(npu::models::SmolLm2Weights::load(gguf, &desc));
    const double load_s = since(t_load);

    npu::tools::ToolDevice td(backend, 0xE000'0000, 1024);  // all 30 layers resident (~216 MB)
    npu::rt::Device& dev = td.dev();
    const auto t_up = Clock::now();
    npu::models::SmolLm2 model(weights, dev, capacity);
    const double upload_s = since(t_up);
    fmt::print(stderr, "SmolLM2-135M on {}: {} layers, {:.1f} MB on the device, KV cache {} positions; load {:.1f} s, "
               "compile + upload {:.1f} s\n", td.name(), weights->layers.size(), model.device_bytes() / 1e6, capacity,
               load_s, upload_s);
    const std::uint64_t c_start = dev.transport().cycles();
    fmt::print(stderr, "prompt: {} tokens (steps of at most {} tokens)\n", prompt_ids.size(), model.max_chunk(0));
    if (ids) fmt::print(stderr, "prompt ids: {}\n", prompt_ids);

    const auto t_gen = Clock::now();
    Clock::time_point t_first;
    std::uint64_t prefill_cmds = 0, c_first = 0;
    std::vector<std::int32_t> out;
    out = model.generate(prompt_ids, tokens, true, [&](std::int32_t id) {
      if (t_first == Clock::time_point{}) {  // the first token comes right after the prefill
        t_first = Clock::now();
        prefill_cmds = model.stats().commands;
        c_first = dev.transport().cycles();
      }
      std::fputs(tok.token_bytes(id).c_str(), stdout);
      std::fflush(stdout);
    });
    const double total_s = since(t_gen);
    std::fputs("\n", stdout);
    const double prefill_s = std::chrono::duration<double>(t_first - t_gen).count();
    const std::size_t decodes = out.size() - 1;
    const npu::models::SmolLm2Stats& st = model.stats();
    if (ids) fmt::print(stderr, "generated ids: {}\n", out);
    fmt::print(stderr, "prefill: {} tokens in {:.2f} s, {} commands\n", prompt_ids.size(), prefill_s, prefill_cmds);
    if (decodes > 0)
      fmt::print(stderr, "decode: {} tokens in {:.2f} s = {:.2f} tokens/s on {}, {} commands per "
                 "token ({} runs, compile {:.2f} s, device {:.2f} s in all)\n",
                 decodes, total_s - prefill_s, decodes / (total_s - prefill_s), td.name(),
                 (st.commands - prefill_cmds) / decodes, st.runs, st.compile_s, st.device_s);
    if (td.rtl()) {
      const std::uint64_t all = dev.transport().cycles() - c_start, prefill = c_first - c_start;
      fmt::print(stderr, "RTL: {} simulated cycles in all ({:.0f} cycles/s): prefill {} cycles", all,
                 total_s > 0 ? double(all) / total_s : 0.0, prefill);
      if (decodes > 0)
        fmt::print(stderr, ", {} cycles per decoded token (at 100 MHz: {:.1f} tokens/s)", (all - prefill) / decodes,
                   1e8 * double(decodes) / double(all - prefill));
      fmt::print(stderr, "\n");
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "npu_generate: {}\n", e.what());
    return 1;
  }
}
