#include "common/base64.hpp"

#include <gtest/gtest.h>

namespace groundcrew::base64 {
namespace {

TEST(Base64Test, RoundTripsRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Encode(plain), encoded);
    auto decoded = Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, RefusesUnpaddedMisplacedPaddingAndForeignCharacters) {
  for (const char* bad : {"Zg", "Zm8", "Z===", "Zg=a", "Zm9v!A==", "Zh=="}) {
    auto decoded = Decode(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(decoded.error().message.find("base64"), std::string::npos);
  }
}

}  // namespace
}  // namespace groundcrew::base64
