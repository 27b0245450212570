#include "cli/render.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/read_file.hpp"

// Golden files: src/cli/testdata/<name>.json rendered must equal <name>.txt byte for byte
// (colour off). GROUNDCREW_UPDATE_GOLDEN=1 rewrites the .txt files instead (review the diff).
namespace groundcrew::cli {
namespace {
namespace json = boost::json;

constexpr const char* kTestData = "src/cli/testdata/";

json::value Input(const std::string& name) {
  auto text = ReadWholeFile(kTestData + name + ".json");
  EXPECT_TRUE(text.has_value()) << name;
  return text ? json::parse(*text) : json::value();
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = kTestData + name + ".txt";
  if (const char* update = std::getenv("GROUNDCREW_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  auto expected = ReadWholeFile(path);
  ASSERT_TRUE(expected.has_value()) << path << " is missing; run with GROUNDCREW_UPDATE_GOLDEN=1";
  EXPECT_EQ(*expected, actual) << "golden file " << path << " differs";
}

TEST(RenderGoldenTest, PlanWithBothFlows) {
  std::ostringstream out;
  RenderPlan(Input("plan"), Style{}, out);
  ExpectGolden("plan", out.str());
}

TEST(RenderGoldenTest, PlanWithoutProfileOrUser) {
  std::ostringstream out;
  RenderPlan(Input("plan-no-profile"), Style{}, out);
  ExpectGolden("plan-no-profile", out.str());
}

TEST(RenderGoldenTest, ApplyWithDevices) {
  std::ostringstream out;
  RenderApply(Input("apply"), Style{}, out);
  ExpectGolden("apply", out.str());
}

TEST(RenderGoldenTest, ApplyDryRun) {
  std::ostringstream out;
  RenderApply(Input("apply-dry-run"), Style{}, out);
  ExpectGolden("apply-dry-run", out.str());
}

TEST(RenderGoldenTest, ImportWithAFailedRow) {
  std::ostringstream out;
  EXPECT_EQ(RenderImport(Input("import-failed"), Style{}, out), 1u);
  ExpectGolden("import-failed", out.str());
}

TEST(RenderGoldenTest, ListsPerKind) {
  std::ostringstream out;
  json::value lists = Input("lists");
  for (const auto& entry : lists.as_object()) {
    out << "== " << std::string(entry.key()) << '\n';
    RenderList(entry.key(), entry.value().as_array(), Style{}, out);
  }
  ExpectGolden("lists", out.str());
}

TEST(RenderTest, ColourIsOnlyAddedWhenAskedAndKeepsColumnsAligned) {
  const json::value answer = Input("apply-dry-run");
  std::ostringstream plain, coloured;
  RenderApply(answer, Style{false}, plain);
  RenderApply(answer, Style{true}, coloured);
  EXPECT_EQ(plain.str().find('\x1b'), std::string::npos);
  EXPECT_NE(coloured.str().find("\x1b[32m+ groups \"Sales devices\"\x1b[0m"), std::string::npos)
      << coloured.str();
  EXPECT_NE(coloured.str().find("\x1b[31m- users \"alex.wilber@contoso.com\"\x1b[0m"),
            std::string::npos);
  std::string stripped = coloured.str();
  for (size_t at; (at = stripped.find('\x1b')) != std::string::npos;) {
    stripped.erase(at, stripped.find('m', at) - at + 1);
  }
  EXPECT_EQ(stripped, plain.str());
}

TEST(RenderTest, TableTimesAreUtcWithASpaceAndOtherTextIsShownAsItIs) {
  EXPECT_EQ(TimeCell("2026-12-06T15:04:05Z"), "2026-12-06 15:04:05Z");
  EXPECT_EQ(TimeCell(""), "");
  EXPECT_EQ(TimeCell("2026-12-06T15:04:05+01:00"), "2026-12-06T15:04:05+01:00");
  EXPECT_EQ(TimeCell("soon\x1b[2J"), "soon\u241b[2J");
}

TEST(RenderTest, WriteJsonIndentsOneDocument) {
  std::ostringstream out;
  WriteJson(out, json::parse(R"({"a":[1,{"b":null}],"c":{},"d":[],"e":"x\"y"})"));
  EXPECT_EQ(out.str(),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {},\n"
            "  \"d\": [],\n  \"e\": \"x\\\"y\"\n}\n");
  EXPECT_EQ(json::parse(out.str()),
            json::parse(R"({"a":[1,{"b":null}],"c":{},"d":[],"e":"x\"y"})"));
}

TEST(RenderTest, CellTextAndObjects) {
  const json::value v =
      json::parse(R"({"s":"x","b":true,"n":3,"a":["p","q"],"o":{"k":1},"z":null,"m":[{"k":1}]})");
  EXPECT_EQ(CellText(v, "s"), "x");
  EXPECT_EQ(CellText(v, "b"), "yes");
  EXPECT_EQ(CellText(v, "n"), "3");
  EXPECT_EQ(CellText(v, "a"), "p, q");
  EXPECT_EQ(CellText(v, "o"), R"({"k":1})");
  EXPECT_EQ(CellText(v, "o.k"), "1");
  EXPECT_EQ(CellText(v, "z"), "");
  EXPECT_EQ(CellText(v, "missing.path"), "");
  EXPECT_EQ(CellText(v, "m"), R"([{"k":1}])");
  std::ostringstream out;
  RenderObject(json::parse(R"({"id":"z-1","serialNumber":"PF3XK2LM","groupTag":""})"), out);
  EXPECT_EQ(out.str(),
            "PROPERTY      VALUE\nid            z-1\nserialNumber  PF3XK2LM\ngroupTag\n");
}

}  // namespace
}  // namespace groundcrew::cli
