// BpeTokenizer::from_gguf, apart so that bpe.cpp does not depend on the GGUF reader.
#include "npu/models/bpe.hpp"
#include "npu/models/gguf.hpp"

namespace npu::models {

BpeTokenizer BpeTokenizer::from_gguf(const std::string& path) {
  const GgufFile file(path);
  const std::string model = file.string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw TokenizerError(path + ": tokenizer.ggml.model is '" + model + "', expected 'gpt2' (byte-level BPE)");
  // llama.cpp's names of the pre-tokenizers: "smollm" isolates digits first.
  BpePreTokenizer pre = BpePreTokenizer::Gpt2;
  if (file.has("tokenizer.ggml.pre")) {
    const std::string name = file.string("tokenizer.ggml.pre");
    if (name == "smollm")
      pre = BpePreTokenizer::SmolLM;
    else if (name != "gpt-2" && name != "gpt2")
      throw TokenizerError(path + ": tokenizer.ggml.pre '" + name + "' is not supported (smollm, gpt-2)");
  }
  std::vector<std::string> tokens = file.strings("tokenizer.ggml.tokens");
  const std::vector<std::string> merges = file.strings("tokenizer.ggml.merges");
  std::vector<std::int32_t> specials;
  if (file.has("tokenizer.ggml.token_type")) {
    const std::vector<std::int32_t> types = file.i32s("tokenizer.ggml.token_type");
    if (types.size() != tokens.size())
      throw TokenizerError(path + ": tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                           " entries for " + std::to_string(tokens.size()) + " tokens");
    constexpr std::int32_t kControl = 3;  // llama_token_type LLAMA_TOKEN_TYPE_CONTROL
    for (std::size_t i = 0; i < types.size(); ++i)
      if (types[i] == kControl) specials.push_back(static_cast<std::int32_t>(i));
  }
  try {
    return BpeTokenizer(std::move(tokens), merges, std::move(specials), pre);
  } catch (const TokenizerError& e) {
    throw TokenizerError(path + ": " + e.what());
  }
}

}  // namespace npu::models
