#include "identity/nonce.hpp"

#include <gtest/gtest.h>

namespace groundcrew::identity {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds kNow{seconds{1'800'000'000}};

TEST(Nonce, IsCheckedWithTheKeyAloneUntilItExpires) {
  const std::string key = NewNonceKey();
  const std::string nonce = IssueNonce(key, "GC-0001", kNow + seconds(120));
  EXPECT_EQ(nonce.size(), 75u);
  EXPECT_EQ(
      nonce.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  Result<sys_seconds> checked = CheckNonce(key, nonce, "GC-0001", kNow);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(*checked, kNow + seconds(120));
  EXPECT_TRUE(CheckNonce(key, nonce, "gc-0001", kNow + seconds(119)));  // serials ignore case
  Result<sys_seconds> expired = CheckNonce(key, nonce, "GC-0001", kNow + seconds(120));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(expired.error().field, "nonce");
}

TEST(Nonce, EveryNonceIsNew) {
  const std::string key = NewNonceKey();
  EXPECT_NE(IssueNonce(key, "GC-0001", kNow), IssueNonce(key, "GC-0001", kNow));
}

TEST(Nonce, AnotherSerialAnotherKeyOrAChangedByteIsRefused) {
  const std::string key = NewNonceKey();
  const std::string nonce = IssueNonce(key, "GC-0001", kNow + seconds(120));
  EXPECT_FALSE(CheckNonce(key, nonce, "GC-0002", kNow));
  EXPECT_FALSE(CheckNonce(NewNonceKey(), nonce, "GC-0001", kNow));
  for (size_t i = 0; i < nonce.size(); i += 7) {
    std::string changed = nonce;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(CheckNonce(key, changed, "GC-0001", kNow)) << i;
  }
  // A later expiry cannot be written in: the MAC covers it.
  std::string longer = IssueNonce(key, "GC-0001", kNow - seconds(1));
  EXPECT_FALSE(CheckNonce(key, longer, "GC-0001", kNow));
}

TEST(Nonce, MalformedTextIsRefusedNotCrashed) {
  const std::string key = NewNonceKey();
  const std::string long_text(5000, 'A');
  for (std::string_view text :
       {std::string_view(""), std::string_view("x"), std::string_view("!!!!"),
        std::string_view("AAAA"), std::string_view(long_text)}) {
    Result<sys_seconds> checked = CheckNonce(key, text, "GC-0001", kNow);
    ASSERT_FALSE(checked) << text;
    EXPECT_EQ(checked.error().field, "nonce");
  }
}

}  // namespace
}  // namespace groundcrew::identity
