#include "identity/secret_box.hpp"

#include <gtest/gtest.h>

#include "tests/support/files.hpp"

namespace groundcrew::identity {
namespace {

TEST(SecretBoxTest, SealedTextOpensOnlyWithItsKeyAndUnaltered) {
  const SealingKey key = {7, 7, 7};
  const std::string sealed = Seal(key, "wifi passphrase");
  EXPECT_EQ(sealed.find("wifi"), std::string::npos);
  EXPECT_NE(Seal(key, "wifi passphrase"), sealed);  // a fresh nonce each time
  EXPECT_EQ(*Unseal(key, sealed), "wifi passphrase");
  EXPECT_EQ(*Unseal(key, Seal(key, "")), "");

  const SealingKey other = {8};
  auto refused = Unseal(other, sealed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "sealed");
  std::string altered = sealed;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Unseal(key, altered));
  EXPECT_FALSE(Unseal(key, "not base64!"));
  EXPECT_FALSE(Unseal(key, "AAAA"));  // shorter than a nonce and a tag
}

TEST(SecretBoxTest, TheSealingKeyComesFromTheDeviceKeyAndItsPurpose) {
  test_support::TempDir dir;
  auto device_key = FileDeviceKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(device_key);
  auto journal = DeriveSealingKey(**device_key, "journal");
  ASSERT_TRUE(journal);
  EXPECT_EQ(*DeriveSealingKey(**device_key, "journal"), *journal);  // stable across calls
  EXPECT_NE(*DeriveSealingKey(**device_key, "other"), *journal);
  test_support::TempDir elsewhere;
  auto another_device = FileDeviceKey::OpenOrCreate(elsewhere.path());
  ASSERT_TRUE(another_device);
  EXPECT_NE(*DeriveSealingKey(**another_device, "journal"), *journal);
}

}  // namespace
}  // namespace groundcrew::identity
