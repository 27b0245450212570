// Runs every *.scenario file under this folder as its own test (see README.md).
#include "scenario_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scenario_script.hpp"

namespace groundcrew::core::scenarios {
namespace {

const std::filesystem::path kScenarioDir = GC_SCENARIO_DIR;

// Paths of every scenario, relative to kScenarioDir, sorted.
std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kScenarioDir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".scenario") {
      files.push_back(entry.path().lexically_relative(kScenarioDir).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).replace_extension().generic_string();
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, Passes) {
  const std::filesystem::path path = kScenarioDir / GetParam();
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  Result<Script> script = ParseScript(path.string(), text.str());
  ASSERT_TRUE(script) << path.string() << ":" << script.error().field << ": "
                      << script.error().message;
  for (const Failure& failure : RunScenario(*script)) {
    ADD_FAILURE_AT(script->path.c_str(), failure.line) << failure.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()), TestName);

}  // namespace
}  // namespace groundcrew::core::scenarios
