#pragma once
// Shared by the tokenizer tests: the fixed text set models/text/tokenizer_check.txt
// and the goldens of tests/models/gen_tokenizer_golden.py (Hugging Face tokenizers).
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace npu::models::test {

// One text per line; "\n" is a line feed, "\\" a backslash (as the generator).
inline std::string unescape(const std::string& line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == 'n' || line[i + 1] == '\\')) {
      out.push_back(line[i + 1] == 'n' ? '\n' : '\\');
      ++i;
    } else {
      out.push_back(line[i]);
    }
  }
  return out;
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::vector<std::string> check_texts() {
  std::vector<std::string> texts;
  for (const auto& line : read_lines(std::string(NPU_MODELS_DIR) + "/text/tokenizer_check.txt"))
    texts.push_back(unescape(line));
  return texts;
}

inline std::vector<std::vector<std::int32_t>> read_golden(const std::string& name) {
  std::vector<std::vector<std::int32_t>> rows;
  for (const auto& line : read_lines(std::string(NPU_MODELS_TEST_DATA) + "/" + name)) {
    std::istringstream s(line);
    std::vector<std::int32_t> ids;
    for (std::int32_t id; s >> id;) ids.push_back(id);
    rows.push_back(ids);
  }
  return rows;
}

inline std::string join(const std::vector<std::int32_t>& ids) {
  std::string s;
  for (std::int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

// "" when equal, else where and how the ids differ.
inline std::string first_difference(const std::vector<std::int32_t>& got, const std::vector<std::int32_t>& want) {
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  if (i == got.size() && i == want.size()) return "";
  return "first difference at id position " + std::to_string(i) + "\n  got:  " + join(got) + "\n  want: " + join(want);
}

}  // namespace npu::models::test
