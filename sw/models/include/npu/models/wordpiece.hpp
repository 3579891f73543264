#pragma once
// BERT WordPiece tokenizer (uncased), behaving as Hugging Face
// BertTokenizerFast configured by all-MiniLM-L6-v2's tokenizer.json:
// BertNormalizer (clean text, CJK spacing, NFD + drop Mn, lowercase),
// BertPreTokenizer (split on whitespace, isolate punctuation), WordPiece
// (greedy longest match, "##" continuation, [UNK]), template [CLS] A [SEP].
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "npu/models/unicode.hpp"

namespace npu::models {

struct WordPieceConfig {
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  // Tokens matched whole in the raw text (HF "added tokens"), when present
  // in the vocabulary.
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string continuing_prefix = "##";
  std::size_t max_input_chars_per_word = 100;  // longer words become [UNK]
  bool lowercase = true;                       // also strips accents (HF default)
  bool handle_chinese_chars = true;
};

struct WordPieceEncodeOptions {
  bool add_special_tokens = true;  // [CLS] ... [SEP]
  bool parse_special = true;       // "[MASK]" in the text is the token, not 5 pieces
  std::size_t max_length = 0;      // > 0: truncate (counting [CLS]/[SEP]) to this many ids
};

class WordPieceTokenizer {
public:
  // vocab[i] is the token of id i; must contain the unk/cls/sep tokens.
  explicit WordPieceTokenizer(std::vector<std::string> vocab, WordPieceConfig config = {});
  // vocab.txt: one token per line, id = line number - 1.
  static WordPieceTokenizer from_vocab_file(const std::string& path, WordPieceConfig config = {});

  std::vector<std::int32_t> encode(std::string_view text, const WordPieceEncodeOptions& options = {}) const;
  // Word pieces of the text (no template tokens), as strings.
  std::vector<std::string> tokenize(std::string_view text, bool parse_special = true) const;
  // HF WordPiece decoder with cleanup: "##" pieces glue to the previous
  // one, " ." -> "." etc.; special tokens skipped unless asked for.
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special = true) const;

  // Normalized text (BertNormalizer), for tests and diagnostics.
  std::u32string normalize(std::u32string_view text) const;

  std::int32_t token_to_id(std::string_view token) const;  // -1 when absent
  const std::string& id_to_token(std::int32_t id) const;   // throws on a bad id
  std::size_t vocab_size() const { return vocab_.size(); }
  std::int32_t unk_id() const { return unk_id_; }
  std::int32_t cls_id() const { return cls_id_; }
  std::int32_t sep_id() const { return sep_id_; }

private:
  void encode_segment(std::u32string_view text, std::vector<std::int32_t>& ids) const;
  void encode_word(std::u32string_view word, std::vector<std::int32_t>& ids) const;
  bool is_special(std::int32_t id) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, std::int32_t> ids_;
  WordPieceConfig config_;
  std::vector<std::pair<std::u32string, std::int32_t>> specials_;  // longest first
  std::int32_t unk_id_ = -1, cls_id_ = -1, sep_id_ = -1;
};

}  // namespace npu::models
