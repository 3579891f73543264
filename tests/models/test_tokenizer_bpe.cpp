// BpeTokenizer: GPT-2 byte-level BPE with SmolLM2's pre-tokenizer. Small
// cases on hand-built vocabularies, then every text of
// models/text/tokenizer_check.txt against Hugging Face's ids.
#include <catch2/catch.hpp>

#include "npu/models/bpe.hpp"
#include "npu/models/model_file.hpp"
#include "tokenizer_golden.hpp"

#include <string>
#include <vector>

using npu::models::BpePreTokenizer;
using npu::models::BpeTokenizer;
using npu::models::TokenizerError;
using Catch::Matchers::Contains;
using Ids = std::vector<std::int32_t>;
using Pieces = std::vector<std::string>;

namespace {

// The 256 byte symbols (id = byte) followed by `extra`.
std::vector<std::string> byte_vocab(const std::vector<std::string>& extra) {
  std::vector<std::string> v;
  for (unsigned b = 0; b < 256; ++b) {
    std::string s;
    npu::models::unicode::append_utf8(s, BpeTokenizer::byte_to_unicode(static_cast<std::uint8_t>(b)));
    v.push_back(s);
  }
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

BpeTokenizer plain(BpePreTokenizer pre = BpePreTokenizer::SmolLM) { return BpeTokenizer(byte_vocab({}), {}, {}, pre); }

}  // namespace

TEST_CASE("BPE: bytes map to GPT-2's printable code points and back", "[bpe]") {
  CHECK(BpeTokenizer::byte_to_unicode('A') == U'A');
  CHECK(BpeTokenizer::byte_to_unicode(' ') == U'\u0120');   // "Ġ"
  CHECK(BpeTokenizer::byte_to_unicode('\n') == U'\u010A');  // "Ċ"
  CHECK(BpeTokenizer::byte_to_unicode(0x00) == U'\u0100');
  CHECK(BpeTokenizer::byte_to_unicode(0xAD) == U'\u0143');  // the one hole in Latin-1
  CHECK(BpeTokenizer::byte_to_unicode(0xFF) == U'\u00FF');
}

TEST_CASE("BPE: the GPT-2 regex splits words, contractions, numbers and spaces", "[bpe]") {
  const auto t = plain(BpePreTokenizer::Gpt2);
  CHECK(t.pre_tokenize("Hello world!") == Pieces{"Hello", " world", "!"});
  CHECK(t.pre_tokenize("don't it's we'll") == Pieces{"don", "'t", " it", "'s", " we", "'ll"});
  CHECK(t.pre_tokenize("IT'S") == Pieces{"IT", "'", "S"});  // contractions are lowercase only
  CHECK(t.pre_tokenize("a  b") == Pieces{"a", " ", " b"});  // the last space goes with the word
  CHECK(t.pre_tokenize("a \n\tb  ") == Pieces{"a", " \n", "\t", "b", "  "});  // only U+0020 prefixes a word
  CHECK(t.pre_tokenize("x2026 ...!") == Pieces{"x", "2026", " ...!"});
  CHECK(t.pre_tokenize("café über") == Pieces{"café", " über"});
}

TEST_CASE("BPE: SmolLM's pre-tokenizer isolates every digit before the regex", "[bpe]") {
  const auto t = plain();
  CHECK(t.pre_tokenize("in 2026") == Pieces{"in", " ", "2", "0", "2", "6"});
  CHECK(t.pre_tokenize("3.14") == Pieces{"3", ".", "1", "4"});
  // The regex runs on the stretch before the digit alone: its spaces end there.
  CHECK(t.pre_tokenize("a  1") == Pieces{"a", "  ", "1"});
}

TEST_CASE("BPE: the pair of lowest merge rank is merged first", "[bpe]") {
  const auto vocab = byte_vocab({"ab", "bc"});  // ids 256, 257
  CHECK(BpeTokenizer(vocab, {"b c", "a b"}, {}).encode("abc") == Ids{'a', 257});
  CHECK(BpeTokenizer(vocab, {"a b", "b c"}, {}).encode("abc") == Ids{256, 'c'});
  // Merges chain: "abc" needs "ab" first.
  const auto chain = byte_vocab({"ab", "abc"});
  CHECK(BpeTokenizer(chain, {"a b", "ab c"}, {}).encode("abc abc") == Ids{257, ' ', 257});
  // Equal ranks: leftmost first ("aaa" -> "aa" "a").
  CHECK(BpeTokenizer(byte_vocab({"aa"}), {"a a"}, {}).encode("aaa") == Ids{256, 'a'});
}

TEST_CASE("BPE: special tokens are matched whole in the text unless disabled", "[bpe]") {
  const auto vocab = byte_vocab({"<|im_start|>", "<|im_end|>"});  // 256, 257
  const BpeTokenizer t(vocab, {}, {256, 257});
  CHECK(t.encode("<|im_start|>a<|im_end|>") == Ids{256, 'a', 257});
  CHECK(t.encode("<|im_start|>", false).size() == 12);  // plain bytes
  CHECK(t.is_special(256));
  CHECK_FALSE(t.is_special('a'));
  CHECK(t.decode({256, 'h', 'i', 257}) == "<|im_start|>hi<|im_end|>");
  CHECK(t.decode({256, 'h', 'i', 257}, true) == "hi");
}

TEST_CASE("BPE: decode reverses the byte map and a cut character becomes U+FFFD", "[bpe]") {
  const auto t = plain();
  const std::string text = "Zürich 😀 \t\n x";
  CHECK(t.decode(t.encode(text)) == text);
  const Ids cut = {0xF0, 0x9F, 'a'};  // first two bytes of a 4-byte character
  CHECK(t.decode(cut) == "\xef\xbf\xbd" "a");
  CHECK(t.token_bytes(0xF0) == "\xf0");
}

TEST_CASE("BPE: errors name the merge, the byte offset or the id", "[bpe][errors]") {
  const auto vocab = byte_vocab({"ab"});
  CHECK_THROWS_WITH(BpeTokenizer(vocab, {"a b", "ab"}, {}), Contains("BPE merge 2 ('ab')") && Contains("two tokens"));
  CHECK_THROWS_WITH(BpeTokenizer(vocab, {"a  b"}, {}), Contains("merge 1"));
  CHECK_THROWS_WITH(BpeTokenizer(vocab, {"x y"}, {}), Contains("'xy' is not a token"));
  CHECK_THROWS_WITH(BpeTokenizer(vocab, {}, {999}), Contains("token id 999"));
  CHECK_THROWS_WITH(plain().encode("ok\x80"), Contains("invalid UTF-8 at byte offset 2"));
  CHECK_THROWS_WITH(BpeTokenizer({"a"}, {}, {}).encode("b"), Contains("byte 0x62"));
  CHECK_THROWS_AS(plain().decode({-1}), TokenizerError);
}

TEST_CASE("BPE: SmolLM2's GGUF vocabulary matches Hugging Face tokenizers on the text set", "[bpe][golden]") {
  using namespace npu::models::test;
  const auto t = BpeTokenizer::from_gguf(NPU_SMOLLM2_GGUF);
  REQUIRE(t.vocab_size() == 49152);
  CHECK(t.id_to_token(1) == "<|im_start|>");
  CHECK(t.is_special(2));
  const auto texts = check_texts();
  const auto golden = read_golden("tokenizer_golden_smollm2.txt");
  REQUIRE(texts.size() >= 40);
  REQUIRE(golden.size() == texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO("tokenizer_check.txt line " << i + 1 << ": \"" << texts[i] << "\"");
    const Ids ids = t.encode(texts[i]);
    CHECK(first_difference(ids, golden[i]) == "");
    CHECK(t.decode(ids) == texts[i]);  // byte-level BPE is lossless
  }
}

TEST_CASE("BPE: from_gguf reports a missing file with its path", "[bpe][errors]") {
  CHECK_THROWS_WITH(BpeTokenizer::from_gguf("/nonexistent/model.gguf"), Contains("/nonexistent/model.gguf"));
}
