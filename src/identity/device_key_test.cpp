#include "identity/device_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/test_certs.hpp"

namespace groundcrew::identity {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

unsigned ModeOf(const fs::path& path) {
  struct stat info;
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

std::string Contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(FileDeviceKey, CreatesTheKeyOnceWithMode0600) {
  TempDir dir;
  const fs::path state = dir.path() / "state" / "agent";  // missing, with a missing parent
  auto key = FileDeviceKey::OpenOrCreate(state);
  ASSERT_TRUE(key) << key.error().message;
  const fs::path file = state / "device.key";
  EXPECT_EQ((*key)->path(), file);
  EXPECT_EQ(ModeOf(file), 0600u);
  EXPECT_EQ(ModeOf(state), 0700u);
  EXPECT_EQ(ModeOf(dir.path() / "state"), 0700u);
  const std::string bytes = Contents(file);
  EXPECT_EQ(bytes.size(), 37u);
  EXPECT_EQ(bytes.substr(0, 4), "GCDK");
  // No temporary file is left behind.
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(state)) {
    names.insert(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::set<std::string>{"device.key"});

  auto public_key = (*key)->PublicKey();
  ASSERT_TRUE(public_key);
  auto reopened = FileDeviceKey::OpenOrCreate(state);
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto same = (*reopened)->PublicKey();
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, *public_key);
  EXPECT_EQ(Contents(file), bytes);  // never rewritten
}

TEST(FileDeviceKey, ConcurrentFirstOpensAgreeOnOneKey) {
  TempDir dir;
  constexpr int kOpeners = 8;
  std::vector<DevicePublicKey> keys(kOpeners);
  std::vector<std::string> errors(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      auto key = FileDeviceKey::OpenOrCreate(dir.path() / "state");
      if (key) {
        keys[i] = *(*key)->PublicKey();
      } else {
        errors[i] = key.error().message;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kOpeners; ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_EQ(keys[i], keys[0]);
  }
  auto later = FileDeviceKey::OpenOrCreate(dir.path() / "state");
  ASSERT_TRUE(later);
  EXPECT_EQ(*(*later)->PublicKey(), keys[0]);
}

TEST(FileDeviceKey, DifferentDirectoriesGetDifferentKeys) {
  TempDir a, b;
  auto key_a = FileDeviceKey::OpenOrCreate(a.path());
  auto key_b = FileDeviceKey::OpenOrCreate(b.path());
  ASSERT_TRUE(key_a && key_b);
  EXPECT_NE(*(*key_a)->PublicKey(), *(*key_b)->PublicKey());
}

TEST(FileDeviceKey, RefusesAKeyFileReadableByOthers) {
  TempDir dir;
  ASSERT_TRUE(FileDeviceKey::OpenOrCreate(dir.path()));
  const fs::path file = dir.path() / "device.key";
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto key = FileDeviceKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(key.error().message.find("0644"), std::string::npos) << key.error().message;
  EXPECT_NE(key.error().message.find(file.string()), std::string::npos);
  EXPECT_NE(key.error().message.find("0600"), std::string::npos);
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  EXPECT_FALSE(FileDeviceKey::OpenOrCreate(dir.path()));
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);  // stricter than 0600 is fine
  EXPECT_TRUE(FileDeviceKey::OpenOrCreate(dir.path()));
}

TEST(FileDeviceKey, RefusesAFileThatIsNotAKey) {
  TempDir dir;
  const std::string file = dir.Write("device.key", "not a key");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  auto key = FileDeviceKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Contents(file), "not a key");  // left alone, not replaced
}

TEST(FileDeviceKey, RefusesASymlinkedKeyFile) {
  TempDir dir;
  ASSERT_TRUE(FileDeviceKey::OpenOrCreate(dir.path() / "real"));
  const fs::path state = dir.path() / "linked";
  fs::create_directory(state);
  fs::create_symlink(dir.path() / "real" / "device.key", state / "device.key");
  auto key = FileDeviceKey::OpenOrCreate(state);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::kFailedPrecondition);
}

TEST(FileDeviceKey, RefusesAStatePathThatIsAFile) {
  TempDir dir;
  const std::string file = dir.Write("state", "x");
  auto key = FileDeviceKey::OpenOrCreate(file);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::kFailedPrecondition);
}

TEST(FileDeviceKey, SignaturesVerifyAndTamperingIsRefused) {
  TempDir dir;
  auto key = FileDeviceKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(key);
  const DevicePublicKey public_key = *(*key)->PublicKey();
  const std::string message = ProofMessage("nonce-123", "device-1", "https://groundcrew.example");
  auto signature = (*key)->Sign(message);
  ASSERT_TRUE(signature);
  EXPECT_TRUE(VerifyDeviceSignature(public_key, message, *signature));

  std::string tampered = message;
  tampered.back() = static_cast<char>(tampered.back() ^ 1);
  EXPECT_FALSE(VerifyDeviceSignature(public_key, tampered, *signature));
  EXPECT_FALSE(VerifyDeviceSignature(
      public_key, ProofMessage("nonce-124", "device-1", "https://groundcrew.example"), *signature));
  Signature bad = *signature;
  bad[0] ^= 1;
  EXPECT_FALSE(VerifyDeviceSignature(public_key, message, bad));
  DevicePublicKey other = public_key;
  other[5] ^= 1;
  EXPECT_FALSE(VerifyDeviceSignature(other, message, *signature));

  // The same key after reopening signs verifiably too.
  auto reopened = FileDeviceKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(VerifyDeviceSignature(public_key, "abc", *(*reopened)->Sign("abc")));
}

TEST(ProofMessage, IsDomainSeparatedAndUnambiguous) {
  const std::string message = ProofMessage("n", "dev", "aud");
  const std::string expected = std::string("groundcrew-device-proof-v1\0", 27) +
                               std::string("\0\0\0\1n", 5) + std::string("\0\0\0\3dev", 7) +
                               std::string("\0\0\0\3aud", 7);
  EXPECT_EQ(message, expected);
  // Moving bytes between fields changes the message.
  EXPECT_NE(ProofMessage("ab", "c", "d"), ProofMessage("a", "bc", "d"));
  EXPECT_NE(ProofMessage("", "", "x"), ProofMessage("", "x", ""));
  EXPECT_EQ(ProofMessage("n", "dev", "aud"), message);  // pure
}

TEST(SeededDeviceKey, TheSameSeedGivesTheSameKeyAndItsSignaturesVerify) {
  const std::string seed_a(32, 'a');
  SeededDeviceKey a(seed_a);
  SeededDeviceKey again(seed_a);
  SeededDeviceKey b(std::string(32, 'b'));
  ASSERT_EQ(a.PublicKey().value(), again.PublicKey().value());
  EXPECT_NE(a.PublicKey().value(), b.PublicKey().value());
  const std::string message = ProofMessage("nonce", "SERIAL-1", "https://service");
  const Signature signature = a.Sign(message).value();
  EXPECT_TRUE(VerifyDeviceSignature(a.PublicKey().value(), message, signature));
  EXPECT_FALSE(VerifyDeviceSignature(b.PublicKey().value(), message, signature));
}

}  // namespace
}  // namespace groundcrew::identity
