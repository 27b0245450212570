#include "cli/yaml_json.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace groundcrew::cli {
namespace {
namespace json = boost::json;

json::object Convert(const char* yaml) {
  auto result = YamlToJson(yaml, "t.yaml");
  EXPECT_TRUE(result.has_value()) << (result
                                          ? ""
                                          : result.error().field + ": " + result.error().message);
  return result ? result->as_object() : json::object{};
}

Error ConvertError(const char* yaml) {
  auto result = YamlToJson(yaml, "t.yaml");
  EXPECT_FALSE(result.has_value());
  return result ? Error{} : result.error();
}

TEST(YamlToJsonTest, PlainScalarsGetJsonTypes) {
  json::object doc = Convert(
      "int: 42\nneg: -7\nplus: +3\nzero: 0\ndecimal: 1.5\nexp: 1e3\nhalf: .5\n"
      "yes_bool: true\nno_bool: False\nnull1: null\nnull2: ~\nnull3:\ntext: hello world\n"
      "big: 18446744073709551615\n");
  EXPECT_EQ(doc["int"], json::value(42));
  EXPECT_EQ(doc["neg"], json::value(-7));
  EXPECT_EQ(doc["plus"], json::value(3));
  EXPECT_EQ(doc["zero"], json::value(0));
  EXPECT_EQ(doc["decimal"], json::value(1.5));
  EXPECT_EQ(doc["exp"], json::value(1000.0));
  EXPECT_EQ(doc["half"], json::value(0.5));
  EXPECT_EQ(doc["yes_bool"], json::value(true));
  EXPECT_EQ(doc["no_bool"], json::value(false));
  EXPECT_TRUE(doc["null1"].is_null());
  EXPECT_TRUE(doc["null2"].is_null());
  EXPECT_TRUE(doc["null3"].is_null());
  EXPECT_EQ(doc["text"], json::value("hello world"));
  EXPECT_TRUE(doc["big"].is_uint64());
}

TEST(YamlToJsonTest, QuotedAndLookAlikeScalarsStayStrings) {
  json::object doc = Convert(
      "serial: \"007\"\nsingle: '42'\nplain_zero_lead: 007\nquoted_bool: 'true'\n"
      "quoted_null: \"null\"\nempty: \"\"\nyes: yes\non: on\nversion: 1.2.3\n"
      "hex: 0x1F\ninf: .inf\ntagged: !!str 12\nblock: |\n  line 1\n  line 2\n"
      "folded: >\n  a\n  b\n");
  EXPECT_EQ(doc["serial"], json::value("007"));
  EXPECT_EQ(doc["single"], json::value("42"));
  EXPECT_EQ(doc["plain_zero_lead"], json::value("007"));
  EXPECT_EQ(doc["quoted_bool"], json::value("true"));
  EXPECT_EQ(doc["quoted_null"], json::value("null"));
  EXPECT_EQ(doc["empty"], json::value(""));
  EXPECT_EQ(doc["yes"], json::value("yes"));
  EXPECT_EQ(doc["on"], json::value("on"));
  EXPECT_EQ(doc["version"], json::value("1.2.3"));
  EXPECT_EQ(doc["hex"], json::value("0x1F"));
  EXPECT_EQ(doc["inf"], json::value(".inf"));
  EXPECT_EQ(doc["tagged"], json::value("12"));
  EXPECT_EQ(doc["block"], json::value("line 1\nline 2\n"));
  EXPECT_EQ(doc["folded"], json::value("a b\n"));
}

TEST(YamlToJsonTest, KeysAreStringsAndStructurePreserved) {
  json::object doc = Convert(
      "1: one\ntrue: yes\nlist: [1, \"2\", {a: b}]\nnested:\n  - x: 1\n    y: [ ]\n"
      "anchor: &a {k: v}\nalias: *a\n");
  EXPECT_EQ(doc["1"], json::value("one"));
  EXPECT_EQ(doc["true"], json::value("yes"));
  EXPECT_EQ(json::serialize(doc["list"]), R"([1,"2",{"a":"b"}])");
  EXPECT_EQ(json::serialize(doc["nested"]), R"([{"x":1,"y":[]}])");
  EXPECT_EQ(json::serialize(doc["alias"]), R"({"k":"v"})");
}

TEST(YamlToJsonTest, CoreTagsAreHonoured) {
  json::object doc = Convert("i: !!int 12\nf: !!float 2\nb: !!bool true\nn: !!null ~\n");
  EXPECT_EQ(doc["i"], json::value(12));
  EXPECT_EQ(doc["f"], json::value(2.0));
  EXPECT_EQ(doc["b"], json::value(true));
  EXPECT_TRUE(doc["n"].is_null());
}

TEST(YamlToJsonTest, SyntaxErrorsNameFileLineAndColumn) {
  Error error = ConvertError("users:\n  - {userPrincipalName: a@b.c\n  - x\n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.field.rfind("t.yaml: line ", 0), 0u) << error.field;
  EXPECT_NE(error.field.find(", column "), std::string::npos) << error.field;

  error = ConvertError("a: 1\nb: [1, 2\n");
  EXPECT_EQ(error.field.rfind("t.yaml: line ", 0), 0u) << error.field;

  error = ConvertError("a:\n  b: c\n d: e\n");
  EXPECT_EQ(error.field.rfind("t.yaml: line ", 0), 0u) << error.field;
}

TEST(YamlToJsonTest, DuplicateKeysAndBadTagsAreRefusedWithTheirPosition) {
  Error error = ConvertError("a: 1\nb: 2\na: 3\n");
  EXPECT_EQ(error.field, "t.yaml: line 3, column 1");
  EXPECT_NE(error.message.find("duplicate key \"a\""), std::string::npos);

  error = ConvertError("a:\n  b: !secret x\n");
  EXPECT_EQ(error.field, "t.yaml: line 2, column 6");
  EXPECT_NE(error.message.find("unsupported tag"), std::string::npos) << error.message;

  error = ConvertError("a: !!int abc\n");
  EXPECT_EQ(error.field, "t.yaml: line 1, column 4");
  EXPECT_NE(error.message.find("not an integer"), std::string::npos);

  error = ConvertError("? [a, b]\n: c\n");
  EXPECT_NE(error.message.find("must be a scalar"), std::string::npos);
}

// Found by fuzz/tenant_yaml_fuzz.cpp: bytes that are not UTF-8 became JSON the service refuses
// ("body: not valid UTF-8"); the CLI now names the line.
TEST(YamlToJsonTest, TextThatIsNotUtf8IsRefusedWithItsLine) {
  auto value = YamlToJson("users:\n  - {userPrincipalName: caf\xE9@contoso.com}\n", "t.yaml");
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().field.rfind("t.yaml: line 2", 0), 0u) << value.error().field;
  EXPECT_NE(value.error().message.find("not UTF-8"), std::string::npos);
  auto key = YamlToJson("caf\xE9: 1\n", "t.yaml");
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().field.rfind("t.yaml: line 1", 0), 0u) << key.error().field;
}

TEST(YamlToJsonTest, DeepNestingAndAliasExplosionsAreRefused) {
  std::string deep = "1";
  for (int i = 0; i < 70; ++i) deep = "[" + deep + "]";
  auto nested = YamlToJson("a: " + deep + "\n", "t.yaml");
  ASSERT_FALSE(nested.has_value());
  EXPECT_NE(nested.error().message.find("deeper than 64"), std::string::npos);

  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    const char previous = static_cast<char>(c - 1);
    laughs += fmt::format(
        "{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n", c, previous);
  }
  auto exploded = YamlToJson(laughs, "t.yaml");  // 10^8 values once expanded
  ASSERT_FALSE(exploded.has_value());
  EXPECT_NE(exploded.error().message.find("expands to more than"), std::string::npos);
}

// Found by fuzz/tenant_yaml_fuzz.cpp: an integer beyond 64 bits became a rounded double (a long
// serial number written without quotes lost its digits).
TEST(YamlToJsonTest, IntegersBeyond64BitsStayStringsWithEveryDigit) {
  auto value =
      YamlToJson("serial: 99999999990000001590897978359\nbig: 18446744073709551615\n", "t.yaml");
  ASSERT_TRUE(value.has_value()) << value.error().message;
  EXPECT_EQ(value->at("serial"), "99999999990000001590897978359");
  EXPECT_TRUE(value->at("big").is_uint64());
  EXPECT_FALSE(YamlToJson("n: !!int 99999999990000001590897978359\n", "t.yaml").has_value());
}

}  // namespace
}  // namespace groundcrew::cli
