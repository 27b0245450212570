#include "server/store/conformance/resource_store_conformance.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

Resource Group(int n, const std::string& name = "") {
  Resource r;
  r.kind = ResourceKind::kGroup;
  r.id = "grp-" + std::to_string(1000 + n);
  r.name = name.empty() ? "Group " + std::to_string(n) : name;
  r.body = R"({"displayName":")" + r.name + R"("})";
  r.created_date_time = At(1'700'000'000 + n);
  r.last_modified_date_time = At(1'700'000'000 + n);
  return r;
}

void ExpectSame(const Resource& a, const Resource& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.created_date_time, b.created_date_time);
  EXPECT_EQ(a.last_modified_date_time, b.last_modified_date_time);
}

int64_t GenerationOf(ResourceStore& resources) {
  auto generation = resources.Generation();
  EXPECT_TRUE(generation.has_value()) << generation.error().message;
  return generation.has_value() ? *generation : -1;
}

TEST_P(ResourceStoreConformance, StoresEveryFieldAndReadsItBack) {
  Resource r = Group(1, "Sales");
  r.body =
      R"json({"displayName":"Sales","membershipRule":"(device.devicePhysicalIds -any \"x\")",)json"
      R"json("unicode":"Åre ✓"})json";
  r.last_modified_date_time = At(1'700'000'500);
  auto created = store().resources().Create(r);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->version, 1);
  ExpectSame(created->value, r);

  auto read = store().resources().Get(ResourceKind::kGroup, r.id);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->version, 1);
  ExpectSame(read->value, r);

  // The tenant is a resource like the others.
  Resource tenant{ResourceKind::kTenant, "tenant", "Contoso", "{}", At(1), At(2)};
  ASSERT_TRUE(store().resources().Create(tenant).has_value());
  auto tenant_read = store().resources().Get(ResourceKind::kTenant, "tenant");
  ASSERT_TRUE(tenant_read.has_value());
  ExpectSame(tenant_read->value, tenant);
}

TEST_P(ResourceStoreConformance, GetUnknownIsNotFound) {
  ASSERT_TRUE(store().resources().Create(Group(1)).has_value());
  auto missing = store().resources().Get(ResourceKind::kGroup, "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // Ids are per kind: a group's id is not a user's.
  auto other_kind = store().resources().Get(ResourceKind::kUser, Group(1).id);
  ASSERT_FALSE(other_kind.has_value());
  EXPECT_EQ(other_kind.error().code, ErrorCode::kNotFound);
}

TEST_P(ResourceStoreConformance, FindsByNameCaseInsensitivelyWithinTheKind) {
  ASSERT_TRUE(store().resources().Create(Group(1, "Sales Laptops")).has_value());
  ASSERT_TRUE(store().resources().Create(Group(2, "Lab")).has_value());

  auto found = store().resources().FindByName(ResourceKind::kGroup, "sALES lAPTOPS");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->value.id, Group(1).id);
  EXPECT_EQ((*found)->value.name, "Sales Laptops");  // stored as written
  EXPECT_EQ((*found)->version, 1);

  auto other_kind = store().resources().FindByName(ResourceKind::kUser, "Sales Laptops");
  ASSERT_TRUE(other_kind.has_value());
  EXPECT_FALSE(other_kind->has_value());
  auto missing = store().resources().FindByName(ResourceKind::kGroup, "Sales");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(ResourceStoreConformance, CreateRefusesATakenIdOrName) {
  ASSERT_TRUE(store().resources().Create(Group(1, "Sales")).has_value());

  Resource same_id = Group(1, "Other");
  auto id_taken = store().resources().Create(same_id);
  ASSERT_FALSE(id_taken.has_value());
  EXPECT_EQ(id_taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(id_taken.error().field, "id");
  EXPECT_NE(id_taken.error().message.find(same_id.id), std::string::npos)
      << id_taken.error().message;

  auto name_taken = store().resources().Create(Group(2, "SALES"));
  ASSERT_FALSE(name_taken.has_value());
  EXPECT_EQ(name_taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(name_taken.error().field, "name");
  EXPECT_NE(name_taken.error().message.find("SALES"), std::string::npos)
      << name_taken.error().message;
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(2).id).error().code,
            ErrorCode::kNotFound);

  // Another kind may use the same id and name.
  Resource user = Group(1, "Sales");
  user.kind = ResourceKind::kUser;
  EXPECT_TRUE(store().resources().Create(user).has_value());
}

TEST_P(ResourceStoreConformance, UpdatesAreCompareAndSwap) {
  Resource r = Group(1, "Sales");
  ASSERT_TRUE(store().resources().Create(r).has_value());

  Resource changed = r;
  changed.name = "Sales EMEA";
  changed.body = R"({"displayName":"Sales EMEA"})";
  changed.last_modified_date_time = At(1'800'000'000);
  changed.created_date_time = At(5);  // never replaced
  auto updated = store().resources().Update(changed, 1);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->value.name, "Sales EMEA");
  EXPECT_EQ(updated->value.body, changed.body);
  EXPECT_EQ(updated->value.last_modified_date_time, At(1'800'000'000));
  EXPECT_EQ(updated->value.created_date_time, r.created_date_time);
  auto read = store().resources().Get(ResourceKind::kGroup, r.id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->version, 2);
  ExpectSame(read->value, updated->value);
  // The old name is free again, the new one is found.
  EXPECT_FALSE(store().resources().FindByName(ResourceKind::kGroup, "Sales")->has_value());
  EXPECT_TRUE(store().resources().FindByName(ResourceKind::kGroup, "sales emea")->has_value());

  Resource stale = r;
  stale.name = "Stale";
  auto conflict = store().resources().Update(stale, 1);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, ErrorCode::kAborted);
  EXPECT_FALSE(conflict.error().message.empty());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, r.id)->value.name, "Sales EMEA");

  // Renaming in another case only is not a clash with itself.
  Resource recased = updated->value;
  recased.name = "SALES emea";
  auto recased_updated = store().resources().Update(recased, 2);
  ASSERT_TRUE(recased_updated.has_value()) << recased_updated.error().message;
  EXPECT_EQ(recased_updated->version, 3);
  EXPECT_EQ(recased_updated->value.name, "SALES emea");

  Resource other = Group(2, "Lab");
  ASSERT_TRUE(store().resources().Create(other).has_value());
  other.name = "sales EMEA";
  auto clash = store().resources().Update(other, 1);
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(clash.error().field, "name");
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, other.id)->value.name, "Lab");

  auto ghost = store().resources().Update(Group(9), 1);
  ASSERT_FALSE(ghost.has_value());
  EXPECT_EQ(ghost.error().code, ErrorCode::kNotFound);
}

TEST_P(ResourceStoreConformance, DeleteNeedsTheCurrentVersion) {
  Resource r = Group(1, "Sales");
  ASSERT_TRUE(store().resources().Create(r).has_value());
  Status stale = store().resources().Delete(ResourceKind::kGroup, r.id, 7);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, r.id).has_value());

  Status wrong_kind = store().resources().Delete(ResourceKind::kUser, r.id, 1);
  ASSERT_FALSE(wrong_kind.has_value());
  EXPECT_EQ(wrong_kind.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(store().resources().Delete(ResourceKind::kGroup, r.id, 1).has_value());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, r.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().resources().Delete(ResourceKind::kGroup, r.id, 1).error().code,
            ErrorCode::kNotFound);
  // Its id and name can be used again, starting over at version 1.
  auto again = store().resources().Create(r);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->version, 1);
}

TEST_P(ResourceStoreConformance, ListsAKindInIdOrderByPages) {
  std::vector<int> order(25);
  for (int i = 0; i < 25; ++i) order[i] = (i * 7) % 25;  // created out of id order
  for (int i : order) ASSERT_TRUE(store().resources().Create(Group(i)).has_value());
  for (int i = 0; i < 3; ++i) {
    Resource app = Group(100 + i);
    app.kind = ResourceKind::kApp;
    ASSERT_TRUE(store().resources().Create(app).has_value());
  }

  std::vector<std::string> seen;
  PageRequest request{.after = "", .limit = 10};
  int pages = 0;
  for (;;) {
    auto page = store().resources().List(ResourceKind::kGroup, request);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ++pages;
    ASSERT_LE(page->items.size(), 10u);
    for (const auto& record : page->items) {
      EXPECT_EQ(record.value.kind, ResourceKind::kGroup);
      EXPECT_EQ(record.version, 1);
      seen.push_back(record.value.id);
    }
    if (page->next_after.empty()) break;
    EXPECT_EQ(page->next_after, page->items.back().value.id);
    request.after = page->next_after;
    ASSERT_LT(pages, 10) << "paging does not end";
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());

  // A page that ends exactly at the last item says so.
  auto exact = store().resources().List(ResourceKind::kApp, {.after = "", .limit = 3});
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->items.size(), 3u);
  EXPECT_TRUE(exact->next_after.empty());
  // `after` need not be a stored id.
  auto from_middle = store().resources().List(ResourceKind::kGroup, {.after = "grp-1010x"});
  ASSERT_TRUE(from_middle.has_value());
  ASSERT_FALSE(from_middle->items.empty());
  EXPECT_EQ(from_middle->items.front().value.id, "grp-1011");
  auto empty = store().resources().List(ResourceKind::kPolicy, {});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->items.empty());
  EXPECT_TRUE(empty->next_after.empty());

  for (int limit : {0, -1, kMaxPageSize + 1}) {
    auto bad = store().resources().List(ResourceKind::kGroup, {.after = "", .limit = limit});
    ASSERT_FALSE(bad.has_value()) << limit;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(bad.error().field, "limit");
  }
  EXPECT_TRUE(store()
                  .resources()
                  .List(ResourceKind::kGroup, {.after = "", .limit = kMaxPageSize})
                  .has_value());
}

TEST_P(ResourceStoreConformance, ListAllReturnsTheWholeKindInIdOrder) {
  for (int i : {5, 3, 9, 1}) ASSERT_TRUE(store().resources().Create(Group(i)).has_value());
  Resource app = Group(2);
  app.kind = ResourceKind::kApp;
  ASSERT_TRUE(store().resources().Create(app).has_value());

  auto all = store().resources().ListAll(ResourceKind::kGroup);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  std::vector<std::string> ids;
  for (const auto& record : *all) ids.push_back(record.value.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"grp-1001", "grp-1003", "grp-1005", "grp-1009"}));
  ExpectSame((*all)[0].value, Group(1));

  auto none = store().resources().ListAll(ResourceKind::kNetworkProfile);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_P(ResourceStoreConformance, GenerationGrowsWithEveryChangeAndOnlyThen) {
  ResourceStore& resources = store().resources();
  const int64_t start = GenerationOf(resources);

  Resource r = Group(1, "Sales");
  ASSERT_TRUE(resources.Create(r).has_value());
  const int64_t after_create = GenerationOf(resources);
  EXPECT_GT(after_create, start);

  // Reads and failed changes leave it alone.
  (void)resources.Get(ResourceKind::kGroup, r.id);
  (void)resources.FindByName(ResourceKind::kGroup, "sales");
  (void)resources.List(ResourceKind::kGroup, {});
  (void)resources.ListAll(ResourceKind::kGroup);
  EXPECT_FALSE(resources.Create(Group(2, "SALES")).has_value());
  EXPECT_FALSE(resources.Update(r, 9).has_value());
  EXPECT_FALSE(resources.Delete(ResourceKind::kGroup, "nope", 1).has_value());
  EXPECT_EQ(GenerationOf(resources), after_create);

  r.body = "{}";
  ASSERT_TRUE(resources.Update(r, 1).has_value());
  const int64_t after_update = GenerationOf(resources);
  EXPECT_GT(after_update, after_create);

  // Any kind counts.
  Resource user = Group(1);
  user.kind = ResourceKind::kUser;
  ASSERT_TRUE(resources.Create(user).has_value());
  const int64_t after_user = GenerationOf(resources);
  EXPECT_GT(after_user, after_update);

  ASSERT_TRUE(resources.Delete(ResourceKind::kGroup, r.id, 2).has_value());
  EXPECT_GT(GenerationOf(resources), after_user);
}

}  // namespace
}  // namespace groundcrew::store::conformance
