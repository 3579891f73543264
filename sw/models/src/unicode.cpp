#include "npu/models/unicode.hpp"

#include <algorithm>
#include <iterator>

#include "unicode_tables.hpp"

namespace npu::models::unicode {
namespace {

namespace ud = unicode_data;

// One UTF-8 sequence at text[i]: returns its length and sets cp when valid;
// when invalid, returns 0 and sets bad to the length of the maximal invalid
// prefix (Unicode's "maximal subpart", 1..3 bytes).
std::size_t decode_one(std::string_view text, std::size_t i, char32_t& cp, std::size_t& bad) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= text.size()) {
      bad = k;
      return 0;
    }
    const auto b = static_cast<unsigned char>(text[i + k]);
    const unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      bad = k;
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  return len;
}

template <typename Table, typename Key>
const auto* find_exact(const Table& table, Key cp) {
  const auto* end = std::end(table);
  const auto* it = std::lower_bound(std::begin(table), end, cp,
                    [](const auto& e, Key c) { return e.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

constexpr char32_t kHangulFirst = 0xAC00, kHangulLast = 0xD7A3;
constexpr char32_t kJamoL = 0x1100, kJamoV = 0x1161, kJamoT = 0x11A7;
constexpr char32_t kJamoVCount = 21, kJamoTCount = 28;

}  // namespace

const char* data_version() { return ud::kUnicodeVersion; }

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    std::size_t bad = 0;
    const std::size_t n = decode_one(text, i, cp, bad);
    if (n == 0) {
      throw TokenizerError("invalid UTF-8 at byte offset " + std::to_string(i) +
                 " (byte 0x" +
                 "0123456789ABCDEF"[static_cast<unsigned char>(text[i]) >> 4] +
                 "0123456789ABCDEF"[static_cast<unsigned char>(text[i]) & 15] + ")");
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(out, cp);
  return out;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t cp = 0;
    std::size_t bad = 0;
    const std::size_t n = decode_one(bytes, i, cp, bad);
    if (n == 0) {
      append_utf8(out, 0xFFFD);
      i += bad;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

Category category(char32_t cp) {
  const auto* begin = std::begin(ud::kCategoryRanges);
  const auto* end = std::end(ud::kCategoryRanges);
  if (cp > 0x10FFFF) return Category::Cn;
  // Last run starting at or before cp.
  const auto* it = std::upper_bound(begin, end, cp,
                    [](char32_t c, const ud::CategoryRun& r) { return c < r.first; });
  return static_cast<Category>((it - 1)->category);
}

bool is_letter(char32_t cp) {
  const auto c = category(cp);
  return c >= Category::Lu && c <= Category::Lo;
}

bool is_number(char32_t cp) {
  const auto c = category(cp);
  return c >= Category::Nd && c <= Category::No;
}

bool is_punctuation(char32_t cp) {
  const auto c = category(cp);
  return c >= Category::Pc && c <= Category::Po;
}

bool is_white_space(char32_t cp) {
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return true;
  const auto c = category(cp);
  return c >= Category::Zs && c <= Category::Zp;
}

bool is_other(char32_t cp) {
  const auto c = category(cp);
  return c == Category::Cn || c >= Category::Cc;
}

bool is_mark_nonspacing(char32_t cp) { return category(cp) == Category::Mn; }

std::uint8_t combining_class(char32_t cp) {
  const auto* end = std::end(ud::kCombiningClass);
  const auto* it = std::upper_bound(std::begin(ud::kCombiningClass), end, cp,
                    [](char32_t c, const ud::ClassRun& r) { return c < r.first; });
  if (it == std::begin(ud::kCombiningClass)) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp >= kHangulFirst && cp <= kHangulLast) {
      const char32_t s = cp - kHangulFirst;
      out.push_back(kJamoL + s / (kJamoVCount * kJamoTCount));
      out.push_back(kJamoV + (s % (kJamoVCount * kJamoTCount)) / kJamoTCount);
      if (s % kJamoTCount != 0) out.push_back(kJamoT + s % kJamoTCount);
    } else if (const auto* d = find_exact(ud::kDecomposition, static_cast<std::uint32_t>(cp))) {
      out.append(std::begin(ud::kDecompositionPool) + d->offset,
             std::begin(ud::kDecompositionPool) + d->offset + d->length);
    } else {
      out.push_back(cp);
    }
  }
  // Canonical ordering: stable sort of every run of non-starters by class.
  for (std::size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
             [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

void append_lower(std::u32string& out, char32_t cp) {
  if (const auto* s = find_exact(ud::kLowerSimple, static_cast<std::uint32_t>(cp))) {
    out.push_back(s->lower);
  } else if (const auto* m = find_exact(ud::kLowerSpecial, static_cast<std::uint32_t>(cp))) {
    out.append(m->lower, m->lower + m->n);
  } else {
    out.push_back(cp);
  }
}

}  // namespace npu::models::unicode
