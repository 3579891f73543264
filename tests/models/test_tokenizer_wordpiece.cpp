// WordPieceTokenizer: BERT uncased WordPiece as Hugging Face BertTokenizerFast
// (all-MiniLM-L6-v2's tokenizer.json). Small cases on a hand-built vocabulary,
// then every text of models/text/tokenizer_check.txt against HF's ids.
#include <catch2/catch.hpp>

#include "npu/models/wordpiece.hpp"
#include "tokenizer_golden.hpp"

#include <cstdio>
#include <string>
#include <vector>

using npu::models::TokenizerError;
using npu::models::WordPieceConfig;
using npu::models::WordPieceEncodeOptions;
using npu::models::WordPieceTokenizer;
using Catch::Matchers::Contains;
using Ids = std::vector<std::int32_t>;
using Pieces = std::vector<std::string>;

namespace {

// ids: 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK] 5... as listed
WordPieceTokenizer toy(WordPieceConfig config = {}) {
  return WordPieceTokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "una", "##aff", "##able",
                             "##ffable", "hello", "world", "!", "##s", "cafe", "中", "文", ".", ",", "'", "t",
                             "don"},
                            std::move(config));
}

WordPieceEncodeOptions plain() {
  WordPieceEncodeOptions o;
  o.add_special_tokens = false;
  return o;
}

const std::string kMiniLM = NPU_MINILM_DIR;

}  // namespace

TEST_CASE("WordPiece: encode wraps the word pieces in [CLS] ... [SEP]", "[wordpiece]") {
  const auto t = toy();
  CHECK(t.encode("hello world") == Ids{2, 10, 11, 3});
  CHECK(t.encode("hello world", plain()) == Ids{10, 11});
  CHECK(t.encode("") == Ids{2, 3});
  CHECK(t.encode("   \t\n ") == Ids{2, 3});
}

TEST_CASE("WordPiece: the longest vocabulary piece wins at each position (greedy)", "[wordpiece]") {
  // "una" + "##ffable" beats "un" + "##aff" + "##able": greedy, not fewest pieces by search.
  CHECK(toy().tokenize("unaffable") == Pieces{"una", "##ffable"});
}

TEST_CASE("WordPiece: continuation pieces carry the ## prefix", "[wordpiece]") {
  CHECK(toy().tokenize("hellos worlds") == Pieces{"hello", "##s", "world", "##s"});
  // A word never starts with a continuation piece: "s" alone is not "##s".
  CHECK(toy().tokenize("s") == Pieces{"[UNK]"});
}

TEST_CASE("WordPiece: a word with any unmatched part is one [UNK]", "[wordpiece]") {
  CHECK(toy().tokenize("unxyz hello") == Pieces{"[UNK]", "hello"});
}

TEST_CASE("WordPiece: words longer than max_input_chars_per_word are [UNK]", "[wordpiece]") {
  WordPieceConfig c;
  c.max_input_chars_per_word = 5;
  CHECK(toy(c).tokenize("hello hellos") == Pieces{"hello", "[UNK]"});  // 5 chars ok, 6 not
}

TEST_CASE("WordPiece: normalization lowercases, strips accents, spaces CJK, drops controls", "[wordpiece]") {
  const auto t = toy();
  CHECK(t.tokenize("HELLO Café CAFÉ") == Pieces{"hello", "cafe", "cafe"});
  CHECK(t.tokenize("cafe\xcc\x81") == Pieces{"cafe"});       // e + combining acute (Mn) dropped
  CHECK(t.tokenize("hello\xe4\xb8\xad\xe6\x96\x87") == Pieces{"hello", "中", "文"});  // each ideograph a word
  CHECK(t.tokenize("hel\x07lo\xe2\x80\x8b") == Pieces{"hello"});  // BEL (Cc) and ZWSP (Cf) removed
  // NFD first: U+0130 is I + U+0307, so the dot goes before lowercasing.
  CHECK(t.normalize(U"\u0130") == U"i");
}

TEST_CASE("WordPiece: punctuation is split off as single-character words", "[wordpiece]") {
  CHECK(toy().tokenize("hello,world!!") == Pieces{"hello", ",", "world", "!", "!"});
  CHECK(toy().tokenize("don't") == Pieces{"don", "'", "t"});
}

TEST_CASE("WordPiece: special tokens in the text are matched whole unless disabled", "[wordpiece]") {
  const auto t = toy();
  CHECK(t.encode("hello [MASK]world") == Ids{2, 10, 4, 11, 3});
  auto o = plain();
  o.parse_special = false;  // then "[MASK]" is text: "[" "mask" "]" -> unknown words
  CHECK(t.encode("[MASK]", o) == Ids{1, 1, 1});
}

TEST_CASE("WordPiece: truncation keeps [CLS] and [SEP] within max_length", "[wordpiece]") {
  const auto t = toy();
  WordPieceEncodeOptions o;
  o.max_length = 4;
  CHECK(t.encode("hello world hello world", o) == Ids{2, 10, 11, 3});
  o.max_length = 100;
  CHECK(t.encode("hello world", o) == Ids{2, 10, 11, 3});
  auto p = plain();
  p.max_length = 1;
  CHECK(t.encode("hello world", p) == Ids{10});
}

TEST_CASE("WordPiece: decode joins ## pieces and cleans spaces before punctuation", "[wordpiece]") {
  const auto t = toy();
  CHECK(t.decode({2, 10, 13, 18, 11, 12, 3}) == "hellos, world!");
  CHECK(t.decode({2, 10, 3}, false) == "[CLS] hello [SEP]");
  CHECK(t.decode(t.encode("Hello, WORLD!")) == "hello, world!");
}

TEST_CASE("WordPiece: errors name the file, the byte offset or the id", "[wordpiece][errors]") {
  CHECK_THROWS_WITH(WordPieceTokenizer::from_vocab_file("/nonexistent/vocab.txt"),
                    Contains("/nonexistent/vocab.txt"));
  CHECK_THROWS_WITH(WordPieceTokenizer({"hello", "[CLS]", "[SEP]"}), Contains("[UNK]"));
  const auto t = toy();
  CHECK_THROWS_WITH(t.encode("ok \xff there"), Contains("invalid UTF-8 at byte offset 3"));
  CHECK_THROWS_WITH(t.encode("\xc3"), Contains("byte offset 0"));         // truncated sequence
  CHECK_THROWS_WITH(t.encode("\xc0\xaf"), Contains("invalid UTF-8"));     // overlong '/'
  CHECK_THROWS_WITH(t.encode("\xed\xa0\x80"), Contains("invalid UTF-8"));  // surrogate
  CHECK_THROWS_AS(t.decode({99}), TokenizerError);
}

TEST_CASE("WordPiece: a vocab.txt file is read one token per line", "[wordpiece]") {
  const std::string path = "test_tokenizer_wordpiece_vocab.txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("[PAD]\r\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n", f);
    std::fclose(f);
  }
  const auto t = WordPieceTokenizer::from_vocab_file(path);
  std::remove(path.c_str());
  CHECK(t.vocab_size() == 6);
  CHECK(t.encode("Hellos") == Ids{2, 4, 5, 3});
}

TEST_CASE("WordPiece: all-MiniLM-L6-v2 matches Hugging Face tokenizers on the text set", "[wordpiece][golden]") {
  using namespace npu::models::test;
  const auto t = WordPieceTokenizer::from_vocab_file(kMiniLM + "/vocab.txt");
  REQUIRE(t.vocab_size() == 30522);
  const auto texts = check_texts();
  const auto golden = read_golden("tokenizer_golden_minilm.txt");
  const auto golden16 = read_golden("tokenizer_golden_minilm_trunc16.txt");
  const auto decoded = read_lines(std::string(NPU_MODELS_TEST_DATA) + "/tokenizer_golden_minilm_decode.txt");
  REQUIRE(texts.size() >= 40);
  REQUIRE(golden.size() == texts.size());
  REQUIRE(golden16.size() == texts.size());
  REQUIRE(decoded.size() == texts.size());
  WordPieceEncodeOptions o16;
  o16.max_length = 16;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO("tokenizer_check.txt line " << i + 1 << ": \"" << texts[i] << "\"");
    const Ids ids = t.encode(texts[i]);
    CHECK(first_difference(ids, golden[i]) == "");
    CHECK(first_difference(t.encode(texts[i], o16), golden16[i]) == "");
    CHECK(t.decode(ids) == decoded[i]);
  }
}
