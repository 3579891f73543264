#include "npu/models/wordpiece.hpp"

#include <algorithm>
#include <fstream>
#include <utility>

namespace npu::models {
namespace {

// BertNormalizer's clean_text treats \t \n \r as whitespace, not control.
bool bert_whitespace(char32_t c) { return c == U'\t' || c == U'\n' || c == U'\r' || unicode::is_white_space(c); }
// Cc Cf Co Cs; unassigned code points (Cn) stay, as in HF (measured over all
// code points: its category data leaves them out of "other").
bool bert_control(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  return unicode::is_other(c) && unicode::category(c) != unicode::Category::Cn;
}
bool bert_punctuation(char32_t c) {
  const bool ascii = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
             (c >= 123 && c <= 126);
  return ascii || unicode::is_punctuation(c);
}
// The CJK ideograph blocks of HF's is_chinese_char (not all of CJK: no kana, no Hangul).
bool chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
       (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::string utf8(std::u32string_view s) { return unicode::encode_utf8(s); }

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceConfig config)
  : vocab_(std::move(vocab)), config_(std::move(config)) {
  ids_.reserve(vocab_.size());
  for (std::size_t i = 0; i < vocab_.size(); ++i) ids_.insert_or_assign(vocab_[i], static_cast<std::int32_t>(i));
  auto required = [&](const std::string& token) {
    const std::int32_t id = token_to_id(token);
    if (id < 0) throw TokenizerError("WordPiece vocabulary has no '" + token + "' token");
    return id;
  };
  unk_id_ = required(config_.unk_token);
  cls_id_ = required(config_.cls_token);
  sep_id_ = required(config_.sep_token);
  for (const auto& s : config_.special_tokens) {
    const std::int32_t id = token_to_id(s);
    if (id >= 0 && !s.empty()) specials_.emplace_back(unicode::decode_utf8(s), id);
  }
  // Longest first, so that at one position the longest special token wins.
  std::stable_sort(specials_.begin(), specials_.end(),
           [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

WordPieceTokenizer WordPieceTokenizer::from_vocab_file(const std::string& path, WordPieceConfig config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TokenizerError("cannot open WordPiece vocabulary '" + path + "'");
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) {
    // As HF: trailing whitespace (also a CR of CRLF files) is not part of the token.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    try {
      unicode::decode_utf8(line);
    } catch (const TokenizerError& e) {
      throw TokenizerError(path + ":" + std::to_string(vocab.size() + 1) + ": " + e.what());
    }
    vocab.push_back(line);
  }
  if (vocab.empty()) throw TokenizerError("WordPiece vocabulary '" + path + "' is empty");
  try {
    return WordPieceTokenizer(std::move(vocab), std::move(config));
  } catch (const TokenizerError& e) {
    throw TokenizerError(path + ": " + e.what());
  }
}

std::int32_t WordPieceTokenizer::token_to_id(std::string_view token) const {
  const auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

const std::string& WordPieceTokenizer::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= vocab_.size())
    throw TokenizerError("token id " + std::to_string(id) + " outside the vocabulary of " +
               std::to_string(vocab_.size()));
  return vocab_[static_cast<std::size_t>(id)];
}

bool WordPieceTokenizer::is_special(std::int32_t id) const {
  return std::any_of(specials_.begin(), specials_.end(), [id](const auto& s) { return s.second == id; });
}

std::u32string WordPieceTokenizer::normalize(std::u32string_view text) const {
  std::u32string cleaned;
  cleaned.reserve(text.size());
  for (char32_t c : text) {  // clean_text + handle_chinese_chars
    if (c == 0 || c == 0xFFFD || bert_control(c)) continue;
    if (bert_whitespace(c)) {
      cleaned.push_back(U' ');
    } else if (config_.handle_chinese_chars && chinese_char(c)) {
      cleaned.append({U' ', c, U' '});
    } else {
      cleaned.push_back(c);
    }
  }
  if (!config_.lowercase) return cleaned;
  // strip_accents (implied by lowercase): NFD, drop Mn; then lowercase.
  std::u32string out;
  out.reserve(cleaned.size());
  for (char32_t c : unicode::nfd(cleaned))
    if (!unicode::is_mark_nonspacing(c)) unicode::append_lower(out, c);
  return out;
}

void WordPieceTokenizer::encode_word(std::u32string_view word, std::vector<std::int32_t>& ids) const {
  if (word.size() > config_.max_input_chars_per_word) {
    ids.push_back(unk_id_);
    return;
  }
  const std::size_t first = ids.size();
  for (std::size_t start = 0; start < word.size();) {
    std::int32_t found = -1;
    std::size_t end = word.size();
    for (; end > start; --end) {  // greedy: longest piece in the vocabulary
      std::string piece = start > 0 ? config_.continuing_prefix : std::string();
      piece += utf8(word.substr(start, end - start));
      found = token_to_id(piece);
      if (found >= 0) break;
    }
    if (found < 0) {  // one unmatched position makes the whole word unknown
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

void WordPieceTokenizer::encode_segment(std::u32string_view text, std::vector<std::int32_t>& ids) const {
  const std::u32string norm = normalize(text);
  std::size_t word_start = 0;
  auto flush = [&](std::size_t end) {
    if (end > word_start) encode_word(std::u32string_view(norm).substr(word_start, end - word_start), ids);
  };
  for (std::size_t i = 0; i < norm.size(); ++i) {
    const char32_t c = norm[i];
    if (unicode::is_white_space(c)) {
      flush(i);
      word_start = i + 1;
    } else if (bert_punctuation(c)) {
      flush(i);
      encode_word(std::u32string_view(norm).substr(i, 1), ids);
      word_start = i + 1;
    }
  }
  flush(norm.size());
}

std::vector<std::int32_t> WordPieceTokenizer::encode(std::string_view text,
                                                     const WordPieceEncodeOptions& options) const {
  const std::u32string cps = unicode::decode_utf8(text);
  std::vector<std::int32_t> ids;
  if (options.add_special_tokens) ids.push_back(cls_id_);
  std::size_t segment = 0;
  for (std::size_t i = 0; options.parse_special && i < cps.size();) {
    const auto it = std::find_if(specials_.begin(), specials_.end(), [&](const auto& s) {
      return std::u32string_view(cps).substr(i, s.first.size()) == s.first;
    });
    if (it == specials_.end()) {
      ++i;
      continue;
    }
    encode_segment(std::u32string_view(cps).substr(segment, i - segment), ids);
    ids.push_back(it->second);
    i += it->first.size();
    segment = i;
  }
  encode_segment(std::u32string_view(cps).substr(segment), ids);
  if (options.max_length > 0) {  // truncate the sequence, keep the template
    const std::size_t reserved = options.add_special_tokens ? 1 : 0;
    const std::size_t keep = options.max_length > 2 * reserved ? options.max_length - reserved : reserved;
    if (ids.size() > keep) ids.resize(keep);
  }
  if (options.add_special_tokens) ids.push_back(sep_id_);
  return ids;
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text, bool parse_special) const {
  WordPieceEncodeOptions options;
  options.add_special_tokens = false;
  options.parse_special = parse_special;
  std::vector<std::string> pieces;
  for (std::int32_t id : encode(text, options)) pieces.push_back(id_to_token(id));
  return pieces;
}

std::string WordPieceTokenizer::decode(const std::vector<std::int32_t>& ids, bool skip_special) const {
  static constexpr std::pair<std::string_view, std::string_view> kCleanup[] = {
    {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
    {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out;
  bool first = true;
  for (std::int32_t id : ids) {
    const std::string& token = id_to_token(id);
    if (skip_special && is_special(id)) continue;
    std::string piece;
    const std::string& prefix = config_.continuing_prefix;
    if (first) {
      piece = token;
    } else if (token.compare(0, prefix.size(), prefix) == 0) {
      piece = token.substr(prefix.size());
    } else {
      piece = " " + token;
    }
    first = false;
    // HF applies the cleanup to each piece, so only patterns inside one piece fire.
    for (const auto& [from, to] : kCleanup) {
      for (std::size_t pos = 0; (pos = piece.find(from, pos)) != std::string::npos; pos += to.size())
        piece.replace(pos, from.size(), to);
    }
    out += piece;
  }
  return out;
}

}  // namespace npu::models
