// The model-file readers take a path: each input is written to one file per
// process (under TMPDIR, or /tmp), rewritten for every input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

inline std::string fuzz_temp_file(const std::uint8_t* data, std::size_t size, const char* ext) {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/npu_fuzz_" + std::to_string(getpid()) + ext;
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}
