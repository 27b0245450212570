#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/integration/harness.hpp"

// Golden files of the CLI's output: tests/integration/golden/<name>.
namespace groundcrew::integration {

/// `text` with what differs between runs replaced: ids by <id>, times by <time>.
inline std::string Normalize(std::string text) {
  text = std::regex_replace(
      text, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>");
  return std::regex_replace(text, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"),
                            "<time>");
}

/// Compares Normalize(actual) with tests/integration/golden/<name>; GROUNDCREW_UPDATE_GOLDEN=1
/// rewrites the file instead.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path = SourceDir() / "tests/integration/golden" / name;
  const std::string normalized = Normalize(actual);
  if (const char* update = std::getenv("GROUNDCREW_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << normalized;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with GROUNDCREW_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(normalized, expected.str()) << "golden file " << path;
}

}  // namespace groundcrew::integration
