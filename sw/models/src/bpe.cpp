#include "npu/models/bpe.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace npu::models {
namespace {

bool printable_byte(unsigned b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }

// End of the GPT-2 regex match at text[i]:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// Alternatives are tried in order; the two whitespace forms differ only by
// the look-ahead backtracking one character before a non-space.
std::size_t gpt2_match(std::u32string_view s, std::size_t i) {
  const std::size_t n = s.size();
  if (s[i] == U'\'' && i + 1 < n) {
    const char32_t a = s[i + 1];
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return i + 2;
    if (i + 2 < n) {
      const char32_t b = s[i + 2];
      if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return i + 3;
    }
  }
  const std::size_t j = (s[i] == U' ' && i + 1 < n) ? i + 1 : i;  // the optional leading space
  auto run = [&](std::size_t k, auto pred) {
    while (k < n && pred(s[k])) ++k;
    return k;
  };
  const char32_t c = s[j];
  if (unicode::is_letter(c)) return run(j, unicode::is_letter);
  if (unicode::is_number(c)) return run(j, unicode::is_number);
  auto other = [](char32_t x) {
    return !unicode::is_white_space(x) && !unicode::is_letter(x) && !unicode::is_number(x);
  };
  if (other(c)) return run(j, other);
  const std::size_t e = run(i, unicode::is_white_space);
  if (e == n || e - i == 1) return e;  // \s+(?!\S) at the end, or \s+
  return e - 1;                        // leave the last space to the next word
}

}  // namespace

char32_t BpeTokenizer::byte_to_unicode(std::uint8_t byte) {
  if (printable_byte(byte)) return byte;
  unsigned n = 0;  // rank of the byte among the non-printable ones
  for (unsigned b = 0; b < byte; ++b) n += printable_byte(b) ? 0 : 1;
  return 256 + n;
}

BpeTokenizer::BpeTokenizer(std::vector<std::string> tokens, const std::vector<std::string>& merges,
               std::vector<std::int32_t> special_ids, BpePreTokenizer pre)
  : tokens_(std::move(tokens)), special_(tokens_.size(), false), pre_(pre) {
  ids_.reserve(tokens_.size());
  for (std::size_t i = 0; i < tokens_.size(); ++i) ids_.insert_or_assign(tokens_[i], static_cast<std::int32_t>(i));
  std::fill(std::begin(unicode_to_byte_), std::end(unicode_to_byte_), std::int16_t{-1});
  for (unsigned b = 0; b < 256; ++b) {
    const char32_t u = byte_to_unicode(static_cast<std::uint8_t>(b));
    unicode_to_byte_[u] = static_cast<std::int16_t>(b);
    std::string sym;
    unicode::append_utf8(sym, u);
    byte_ids_[b] = token_to_id(sym);
  }
  merges_.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const std::string& m = merges[r];
    auto fail = [&](const std::string& why) {
      return TokenizerError("BPE merge " + std::to_string(r + 1) + " ('" + m + "'): " + why);
    };
    const std::size_t sp = m.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == m.size() || m.find(' ', sp + 1) != std::string::npos)
      throw fail("expected two tokens separated by one space");
    const std::string left = m.substr(0, sp), right = m.substr(sp + 1);
    const std::int32_t a = token_to_id(left), b = token_to_id(right), ab = token_to_id(left + right);
    if (a < 0) throw fail("'" + left + "' is not a token");
    if (b < 0) throw fail("'" + right + "' is not a token");
    if (ab < 0) throw fail("'" + left + right + "' is not a token");
    // As HF: a repeated pair takes the later rank.
    merges_.insert_or_assign((std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b),
                 std::make_pair(static_cast<std::int32_t>(r), ab));
  }
  for (std::int32_t id : special_ids) {
    const std::string& text = id_to_token(id);
    if (text.empty()) throw TokenizerError("special token " + std::to_string(id) + " is empty");
    special_[static_cast<std::size_t>(id)] = true;
    specials_.emplace_back(unicode::decode_utf8(text), id);
  }
  std::stable_sort(specials_.begin(), specials_.end(),
           [](const auto& x, const auto& y) { return x.first.size() > y.first.size(); });
}

std::int32_t BpeTokenizer::token_to_id(std::string_view token) const {
  const auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

const std::string& BpeTokenizer::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size())
    throw TokenizerError("token id " + std::to_string(id) + " outside the vocabulary of " +
               std::to_string(tokens_.size()));
  return tokens_[static_cast<std::size_t>(id)];
}

bool BpeTokenizer::is_special(std::int32_t id) const {
  return id >= 0 && static_cast<std::size_t>(id) < special_.size() && special_[static_cast<std::size_t>(id)];
}

std::vector<std::string> BpeTokenizer::pre_tokenize(std::string_view text) const {
  const std::u32string cps = unicode::decode_utf8(text);
  const std::u32string_view all(cps);
  std::vector<std::string> pieces;
  // The regex runs on each stretch between isolated numbers separately, so
  // its look-ahead sees the stretch end (HF applies pre-tokenizers in turn).
  auto regex = [&](std::u32string_view s) {
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t e = gpt2_match(s, i);
      pieces.push_back(unicode::encode_utf8(s.substr(i, e - i)));
      i = e;
    }
  };
  if (pre_ == BpePreTokenizer::Gpt2) {
    regex(all);
    return pieces;
  }
  std::size_t start = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!unicode::is_number(all[i])) continue;
    regex(all.substr(start, i - start));
    regex(all.substr(i, 1));
    start = i + 1;
  }
  regex(all.substr(start));
  return pieces;
}

void BpeTokenizer::encode_piece(std::string_view bytes, std::vector<std::int32_t>& ids) const {
  std::vector<std::int32_t> sym;
  sym.reserve(bytes.size());
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (byte_ids_[b] < 0)
      throw TokenizerError("BPE vocabulary has no token for byte 0x" + std::string(1, "0123456789ABCDEF"[b >> 4]) +
                 "0123456789ABCDEF"[b & 15]);
    sym.push_back(byte_ids_[b]);
  }
  // Merge the pair of lowest rank (leftmost among equals) until none is left.
  for (;;) {
    std::int32_t best_rank = std::numeric_limits<std::int32_t>::max(), best_id = -1;
    std::size_t best = 0;
    for (std::size_t i = 0; i + 1 < sym.size(); ++i) {
      const auto it = merges_.find((std::uint64_t(std::uint32_t(sym[i])) << 32) | std::uint32_t(sym[i + 1]));
      if (it != merges_.end() && it->second.first < best_rank) {
        best_rank = it->second.first;
        best_id = it->second.second;
        best = i;
      }
    }
    if (best_id < 0) break;
    sym[best] = best_id;
    sym.erase(sym.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  ids.insert(ids.end(), sym.begin(), sym.end());
}

void BpeTokenizer::encode_text(std::u32string_view text, std::vector<std::int32_t>& ids) const {
  if (text.empty()) return;
  for (const std::string& piece : pre_tokenize(unicode::encode_utf8(text))) encode_piece(piece, ids);
}

std::vector<std::int32_t> BpeTokenizer::encode(std::string_view text, bool parse_special) const {
  const std::u32string cps = unicode::decode_utf8(text);
  const std::u32string_view all(cps);
  std::vector<std::int32_t> ids;
  std::size_t segment = 0;
  for (std::size_t i = 0; parse_special && i < all.size();) {
    const auto it = std::find_if(specials_.begin(), specials_.end(),
                   [&](const auto& s) { return all.substr(i, s.first.size()) == s.first; });
    if (it == specials_.end()) {
      ++i;
      continue;
    }
    encode_text(all.substr(segment, i - segment), ids);
    ids.push_back(it->second);
    i += it->first.size();
    segment = i;
  }
  encode_text(all.substr(segment), ids);
  return ids;
}

std::string BpeTokenizer::token_bytes(std::int32_t id) const {
  const std::string& token = id_to_token(id);
  std::string bytes;
  for (char32_t c : unicode::decode_utf8(token)) {
    if (c >= std::size(unicode_to_byte_) || unicode_to_byte_[c] < 0) return token;  // not byte-level: as is (HF)
    bytes.push_back(static_cast<char>(unicode_to_byte_[c]));
  }
  return bytes;
}

std::string BpeTokenizer::decode(const std::vector<std::int32_t>& ids, bool skip_special) const {
  std::string bytes;
  for (std::int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    bytes += token_bytes(id);
  }
  return unicode::sanitize_utf8(bytes);
}

}  // namespace npu::models
