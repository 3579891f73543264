#pragma once
// GPT-2 byte-level BPE tokenizer as SmolLM2 uses it (Hugging Face
// tokenizer.json: no normalizer; pre-tokenizer Sequence[Digits(individual_digits),
// ByteLevel(add_prefix_space=false, use_regex=true)]; BPE without unk, dropout
// or ignore_merges; ByteLevel decoder; llama.cpp: tokenizer.ggml.pre "smollm").
// Built from plain vectors, so it does not depend on the model-file readers;
// from_gguf() reads them out of a GGUF file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "npu/models/unicode.hpp"

namespace npu::models {

enum class BpePreTokenizer {
  Gpt2,    // the GPT-2 regex only
  SmolLM,  // every number code point isolated first, then the GPT-2 regex
};

class BpeTokenizer {
public:
  // tokens[i]: token of id i, in GPT-2's byte-to-unicode alphabet.
  // merges: "left right" in priority order (rank = index); both sides and
  //   their concatenation must be tokens. Errors name the merge (1-based).
  // special_ids: tokens matched whole in the input text (control tokens
  //   such as <|im_start|>), never split by BPE.
  BpeTokenizer(std::vector<std::string> tokens, const std::vector<std::string>& merges,
         std::vector<std::int32_t> special_ids, BpePreTokenizer pre = BpePreTokenizer::SmolLM);
  // tokenizer.ggml.tokens / merges; special = token_type 3 (control).
  static BpeTokenizer from_gguf(const std::string& path);

  std::vector<std::int32_t> encode(std::string_view text, bool parse_special = true) const;
  // Pre-tokenized pieces of one text without special tokens (UTF-8).
  std::vector<std::string> pre_tokenize(std::string_view text) const;
  // UTF-8 text; byte sequences that are not UTF-8 (a character cut between
  // tokens) become U+FFFD, as HF's ByteLevel decoder does.
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special = false) const;
  // Raw bytes of one token, for streaming output that buffers incomplete
  // UTF-8 characters itself; special tokens give their text.
  std::string token_bytes(std::int32_t id) const;

  std::int32_t token_to_id(std::string_view token) const;  // -1 when absent
  const std::string& id_to_token(std::int32_t id) const;   // throws on a bad id
  std::size_t vocab_size() const { return tokens_.size(); }
  bool is_special(std::int32_t id) const;

  // GPT-2's reversible byte -> code point map (printable bytes map to
  // themselves, the others to U+0100...).
  static char32_t byte_to_unicode(std::uint8_t byte);

private:
  void encode_piece(std::string_view bytes, std::vector<std::int32_t>& ids) const;
  void encode_text(std::u32string_view text, std::vector<std::int32_t>& ids) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, std::int32_t> ids_;
  // (left id << 32 | right id) -> (rank, merged id)
  std::unordered_map<std::uint64_t, std::pair<std::int32_t, std::int32_t>> merges_;
  std::vector<std::pair<std::u32string, std::int32_t>> specials_;  // longest first
  std::vector<bool> special_;
  std::int32_t byte_ids_[256];     // token id of each single byte
  std::int16_t unicode_to_byte_[324];  // inverse of byte_to_unicode, -1 elsewhere
  BpePreTokenizer pre_;
};

}  // namespace npu::models
