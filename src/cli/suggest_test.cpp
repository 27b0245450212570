#include "cli/suggest.hpp"

#include <gtest/gtest.h>

namespace groundcrew::cli {
namespace {

TEST(SuggestTest, EditDistanceCountsSwapsOnceAndIgnoresCase) {
  EXPECT_EQ(EditDistance("apply", "apply"), 0u);
  EXPECT_EQ(EditDistance("aply", "apply"), 1u);
  EXPECT_EQ(EditDistance("devcies", "devices"), 1u);  // a swap of neighbours
  EXPECT_EQ(EditDistance("GET", "get"), 0u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SuggestTest, SuggestsCloseWordsBestFirstThenPrefixes) {
  const std::vector<std::string> commands = {"apply", "plan",     "get",    "members", "devices",
                                             "audit", "sessions", "report", "watch",   "users"};
  EXPECT_EQ(Suggestions("aply", commands), std::vector<std::string>{"apply"});
  EXPECT_EQ(Suggestions("devcies", commands), std::vector<std::string>{"devices"});
  EXPECT_EQ(Suggestions("dev", commands), std::vector<std::string>{"devices"});  // a prefix
  EXPECT_EQ(Suggestions("sesions", commands), std::vector<std::string>{"sessions"});
  EXPECT_TRUE(Suggestions("zzzzzz", commands).empty());
  EXPECT_TRUE(Suggestions("", commands).empty());
  // Short words allow one edit: "gte" is one swap from "get", "xy" is nothing.
  EXPECT_EQ(Suggestions("gte", commands), std::vector<std::string>{"get"});
  EXPECT_TRUE(Suggestions("xy", commands).empty());
}

TEST(SuggestTest, FindsNamesByWordsInsideThemAndLimitsTheList) {
  const std::vector<std::string> apps = {"Contoso Notes", "Contoso Agent", "Contoso Runtime",
                                         "Contoso VPN Client", "Sales CRM"};
  EXPECT_EQ(Suggestions("contoso notse", apps), std::vector<std::string>{"Contoso Notes"});
  EXPECT_EQ(Suggestions("Runtime", apps), std::vector<std::string>{"Contoso Runtime"});
  EXPECT_EQ(Suggestions("contoso", apps).size(), 3u);
  EXPECT_EQ(Suggestions("contoso", apps, 10).size(), 4u);
}

TEST(SuggestTest, DidYouMeanQuotesEachSuggestion) {
  EXPECT_EQ(DidYouMean({}), "");
  EXPECT_EQ(DidYouMean({"apply"}), "did you mean \"apply\"?");
  EXPECT_EQ(DidYouMean({"a", "b"}), "did you mean \"a\" or \"b\"?");
  EXPECT_EQ(DidYouMean({"a", "b", "c"}), "did you mean \"a\", \"b\" or \"c\"?");
}

}  // namespace
}  // namespace groundcrew::cli
