#include "server/store/conformance/sealed_value_store_conformance.hpp"

#include <array>
#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

// Sealed bytes as the service stores them: raw, NUL and 0xff included.
const std::string kKeyRing("\x00\x01sealed-key-ring\xff\x00\x80", 20);
const std::string kRotated("\xff\x00rotated\x00", 10);

// The stored value; nullopt when absent (or on an error, which fails the test).
std::optional<Versioned<std::string>> Stored(SealedValueStore& values, const std::string& name) {
  Result<std::optional<Versioned<std::string>>> value = values.Get(name);
  EXPECT_TRUE(value.has_value()) << value.error().message;
  return value.has_value() ? *value : std::nullopt;
}

TEST_P(SealedValueStoreConformance, CreatesAndReturnsTheBytesAsTheyWere) {
  SealedValueStore& values = store().sealed_values();
  EXPECT_FALSE(Stored(values, "tokenKeyRing").has_value());

  Result<int64_t> created = values.Put("tokenKeyRing", kKeyRing, 0);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(*created, 1);
  std::optional<Versioned<std::string>> stored = Stored(values, "tokenKeyRing");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, kKeyRing);
  EXPECT_EQ(stored->value.size(), 20u);
  EXPECT_EQ(stored->version, 1);

  // Zero bytes are a value too.
  ASSERT_TRUE(values.Put("empty", std::string_view(), 0).has_value());
  stored = Stored(values, "empty");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, "");
  EXPECT_EQ(stored->version, 1);

  EXPECT_FALSE(Stored(values, "tenantCa.key").has_value());
}

TEST_P(SealedValueStoreConformance, CreatingAnExistingNameIsRefused) {
  SealedValueStore& values = store().sealed_values();
  ASSERT_TRUE(values.Put("nonceKey", kKeyRing, 0).has_value());
  Result<int64_t> again = values.Put("nonceKey", kRotated, 0);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().field, "name");
  // The value stays, and its bytes are in no error message.
  EXPECT_EQ(again.error().message.find("sealed-key-ring"), std::string::npos);
  EXPECT_EQ(again.error().message.find("rotated"), std::string::npos);
  std::optional<Versioned<std::string>> stored = Stored(values, "nonceKey");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, kKeyRing);
  EXPECT_EQ(stored->version, 1);
}

TEST_P(SealedValueStoreConformance, ReplacesOnlyTheVersionRead) {
  SealedValueStore& values = store().sealed_values();
  ASSERT_TRUE(values.Put("tokenKeyRing", kKeyRing, 0).has_value());

  Result<int64_t> replaced = values.Put("tokenKeyRing", kRotated, 1);
  ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
  EXPECT_EQ(*replaced, 2);

  // A writer that read version 1 lost: refused, the value stays.
  Result<int64_t> stale = values.Put("tokenKeyRing", "stale", 1);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_EQ(stale.error().message.find("rotated"), std::string::npos);
  // So is a version never reached.
  Result<int64_t> ahead = values.Put("tokenKeyRing", "ahead", 7);
  ASSERT_FALSE(ahead.has_value());
  EXPECT_EQ(ahead.error().code, ErrorCode::kAborted);
  std::optional<Versioned<std::string>> stored = Stored(values, "tokenKeyRing");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, kRotated);
  EXPECT_EQ(stored->version, 2);

  Result<int64_t> third = values.Put("tokenKeyRing", kKeyRing, 2);
  ASSERT_TRUE(third.has_value()) << third.error().message;
  EXPECT_EQ(*third, 3);
  stored = Stored(values, "tokenKeyRing");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, kKeyRing);
  EXPECT_EQ(stored->version, 3);

  // Replacing what was never created.
  Result<int64_t> absent = values.Put("tenantCa.key", kKeyRing, 1);
  ASSERT_FALSE(absent.has_value());
  EXPECT_EQ(absent.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(absent.error().field, "name");
  EXPECT_FALSE(Stored(values, "tenantCa.key").has_value());
}

TEST_P(SealedValueStoreConformance, NamesAreListedInByteOrder) {
  SealedValueStore& values = store().sealed_values();
  Result<std::vector<std::string>> none = values.Names();
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_TRUE(none->empty());

  for (const char* name : {"tokenKeyRing", "tenantCa.key", "Z", "a", "tenantCa.certificate"}) {
    ASSERT_TRUE(values.Put(name, kKeyRing, 0).has_value()) << name;
  }
  Result<std::vector<std::string>> names = values.Names();
  ASSERT_TRUE(names.has_value()) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"Z", "a", "tenantCa.certificate", "tenantCa.key",
                                              "tokenKeyRing"}));
}

TEST_P(SealedValueStoreConformance, RefusesEmptyNamesAndNegativeVersions) {
  SealedValueStore& values = store().sealed_values();
  Result<int64_t> unnamed = values.Put("", kKeyRing, 0);
  ASSERT_FALSE(unnamed.has_value());
  EXPECT_EQ(unnamed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unnamed.error().field, "name");
  Result<int64_t> negative = values.Put("nonceKey", kKeyRing, -1);
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(negative.error().field, "expected_version");
  Result<std::optional<Versioned<std::string>>> get = values.Get("");
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(get.error().field, "name");
  Result<std::vector<std::string>> names = values.Names();
  ASSERT_TRUE(names.has_value());
  EXPECT_TRUE(names->empty());
}

TEST_P(SealedValueStoreConformance, OfTwoWritersOfOneVersionExactlyOneWins) {
  ExpectOneWinnerPerVersion(store(), store());
}

TEST_P(SealedValueStoreConformance, APutInsideARolledBackTransactionLeavesNothing) {
  SealedValueStore& values = store().sealed_values();
  ASSERT_TRUE(values.Put("tokenKeyRing", kKeyRing, 0).has_value());
  Status rolled_back = store().Transact([&]() -> Status {
    Result<int64_t> created = values.Put("nonceKey", kKeyRing, 0);
    if (!created) return created.error();
    Result<int64_t> replaced = values.Put("tokenKeyRing", kRotated, 1);
    if (!replaced) return replaced.error();
    return MakeError(ErrorCode::kAborted, "the use case failed");
  });
  ASSERT_FALSE(rolled_back.has_value());
  EXPECT_EQ(rolled_back.error().message, "the use case failed");
  EXPECT_FALSE(Stored(values, "nonceKey").has_value());
  std::optional<Versioned<std::string>> stored = Stored(values, "tokenKeyRing");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, kKeyRing);
  EXPECT_EQ(stored->version, 1);
}

}  // namespace

void ExpectOneWinnerPerVersion(Store& a, Store& b) {
  constexpr int kValues = 20;
  for (int i = 0; i < kValues; ++i) {
    ASSERT_TRUE(a.sealed_values().Put("key." + std::to_string(i), kKeyRing, 0).has_value());
  }
  const std::array<Store*, 2> stores = {&a, &b};
  const std::array<std::string, 2> written = {std::string("from-a\0", 7), "from-b"};
  std::array<std::vector<char>, 2> wins = {std::vector<char>(kValues, 0),
                                           std::vector<char>(kValues, 0)};
  std::atomic<int> unexpected{0};
  std::latch start(2);
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      for (int i = 0; i < kValues; ++i) {
        Result<int64_t> put =
            stores[w]->sealed_values().Put("key." + std::to_string(i), written[w], 1);
        if (put.has_value() && *put == 2) {
          wins[w][i] = 1;
        } else if (put.has_value() || put.error().code != ErrorCode::kAborted) {
          ++unexpected;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(unexpected.load(), 0);
  for (int i = 0; i < kValues; ++i) {
    SCOPED_TRACE("value " + std::to_string(i));
    EXPECT_EQ(wins[0][i] + wins[1][i], 1);
    for (Store* store : stores) {
      std::optional<Versioned<std::string>> stored =
          Stored(store->sealed_values(), "key." + std::to_string(i));
      ASSERT_TRUE(stored.has_value());
      EXPECT_EQ(stored->version, 2);
      EXPECT_EQ(stored->value, written[wins[0][i] ? 0 : 1]);
    }
  }
}

}  // namespace groundcrew::store::conformance
