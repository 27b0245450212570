#include "server/store/conformance/credential_store_conformance.hpp"

#include <string>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

AdminCredential Credential(int n, const std::string& name,
                           CredentialRole role = CredentialRole::kAdmin) {
  AdminCredential c;
  c.id = "cred-" + std::to_string(n);
  c.name = name;
  c.role = role;
  c.token_sha256 = std::string(63, '0') + std::to_string(n % 10);
  c.created_date_time = At(1'700'000'000 + n);
  return c;
}

void ExpectSame(const AdminCredential& a, const AdminCredential& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.token_sha256, b.token_sha256);
  EXPECT_EQ(a.created_date_time, b.created_date_time);
  EXPECT_EQ(a.revoked_date_time, b.revoked_date_time);
}

TEST_P(CredentialStoreConformance, CreatesAndFindsByTokenHash) {
  const AdminCredential admin = Credential(1, "admin");
  const AdminCredential reader = Credential(2, "auditor", CredentialRole::kReader);
  ASSERT_TRUE(store().credentials().Create(admin).has_value());
  ASSERT_TRUE(store().credentials().Create(reader).has_value());

  auto found = store().credentials().FindByTokenSha256(reader.token_sha256);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  ExpectSame(**found, reader);
  EXPECT_FALSE((*found)->revoked_date_time.has_value());

  auto missing = store().credentials().FindByTokenSha256(std::string(64, 'f'));
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(CredentialStoreConformance, RefusesATakenIdNameOrToken) {
  ASSERT_TRUE(store().credentials().Create(Credential(1, "admin")).has_value());

  AdminCredential same_id = Credential(2, "other");
  same_id.id = "cred-1";
  AdminCredential same_name = Credential(3, "ADMIN");  // names compare case-insensitively
  AdminCredential same_token = Credential(4, "third");
  same_token.token_sha256 = Credential(1, "x").token_sha256;
  for (const auto& [duplicate, field] : {std::pair{same_id, "id"}, std::pair{same_name, "name"},
                                         std::pair{same_token, "tokenSha256"}}) {
    Status created = store().credentials().Create(duplicate);
    ASSERT_FALSE(created.has_value()) << field;
    EXPECT_EQ(created.error().code, ErrorCode::kAlreadyExists) << field;
    EXPECT_EQ(created.error().field, field);
    EXPECT_EQ(created.error().message.find(same_token.token_sha256), std::string::npos)
        << "an error must not echo a token hash";
  }
  auto all = store().credentials().List();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(CredentialStoreConformance, ListsEveryCredentialInNameOrder) {
  auto empty = store().credentials().List();
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_TRUE(empty->empty());

  ASSERT_TRUE(store().credentials().Create(Credential(1, "Carol")).has_value());
  ASSERT_TRUE(
      store().credentials().Create(Credential(2, "alice", CredentialRole::kReader)).has_value());
  ASSERT_TRUE(store().credentials().Create(Credential(3, "bob")).has_value());
  ASSERT_TRUE(store().credentials().Revoke("cred-3", At(1'800'000'000)).has_value());

  auto all = store().credentials().List();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  std::vector<std::string> names;
  for (const auto& c : *all) names.push_back(c.name);
  // ASCII case-insensitively: "Carol" after "bob".
  EXPECT_EQ(names, (std::vector<std::string>{"alice", "bob", "Carol"}));
  ExpectSame((*all)[0], Credential(2, "alice", CredentialRole::kReader));
  EXPECT_EQ((*all)[1].revoked_date_time, At(1'800'000'000));  // revoked ones are listed
}

TEST_P(CredentialStoreConformance, RevokeMarksOnceAndKeepsTheCredential) {
  const AdminCredential c = Credential(1, "admin");
  ASSERT_TRUE(store().credentials().Create(c).has_value());

  ASSERT_TRUE(store().credentials().Revoke(c.id, At(1'800'000'000)).has_value());
  auto found = store().credentials().FindByTokenSha256(c.token_sha256);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->has_value());  // revoked credentials are returned, marked
  EXPECT_EQ((*found)->revoked_date_time, At(1'800'000'000));

  ASSERT_TRUE(store().credentials().Revoke(c.id, At(1'900'000'000)).has_value());
  EXPECT_EQ((*store().credentials().FindByTokenSha256(c.token_sha256))->revoked_date_time,
            At(1'800'000'000));  // the first time stands

  Status missing = store().credentials().Revoke("nope", At(1));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(CredentialStoreConformance, ACredentialCreatedRevokedStaysRevoked) {
  AdminCredential c = Credential(1, "old");
  c.revoked_date_time = At(1'750'000'000);
  ASSERT_TRUE(store().credentials().Create(c).has_value());
  auto found = store().credentials().FindByTokenSha256(c.token_sha256);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->has_value());
  ExpectSame(**found, c);
}

}  // namespace
}  // namespace groundcrew::store::conformance
