#include "server/store/conformance/audit_store_conformance.hpp"

#include <string>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

AuditEntry Entry(int n) {
  AuditEntry e;
  e.at = At(1'700'000'000 + n);
  e.actor = "admin";
  e.action = n % 2 == 0 ? "create" : "update";
  e.resource_kind = "groups";
  e.resource_id = "grp-" + std::to_string(n);
  e.resource_name = "Group " + std::to_string(n);
  e.detail = R"({"n":)" + std::to_string(n) + "}";
  return e;
}

void ExpectSame(const AuditEntry& a, const AuditEntry& b) {
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.resource_kind, b.resource_kind);
  EXPECT_EQ(a.resource_id, b.resource_id);
  EXPECT_EQ(a.resource_name, b.resource_name);
  EXPECT_EQ(a.detail, b.detail);
}

TEST_P(AuditStoreConformance, AppendAssignsIncreasingSequencesAndListReturnsThemInOrder) {
  std::vector<AuditEntry> appended;
  for (int i = 0; i < 5; ++i) {
    AuditEntry e = Entry(i);
    e.sequence = 999 - i;  // ignored
    auto stored = store().audit().Append(e);
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    ExpectSame(*stored, e);
    EXPECT_GT(stored->sequence, 0);
    if (!appended.empty()) {
      EXPECT_GT(stored->sequence, appended.back().sequence);
    }
    appended.push_back(*stored);
  }
  auto page = store().audit().List({});
  ASSERT_TRUE(page.has_value()) << page.error().message;
  ASSERT_EQ(page->items.size(), 5u);
  EXPECT_TRUE(page->next_after.empty());
  for (size_t i = 0; i < appended.size(); ++i) {
    EXPECT_EQ(page->items[i].sequence, appended[i].sequence);
    ExpectSame(page->items[i], appended[i]);
  }
}

TEST_P(AuditStoreConformance, EmptyLogListsNothing) {
  auto page = store().audit().List({});
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_TRUE(page->items.empty());
  EXPECT_TRUE(page->next_after.empty());
}

TEST_P(AuditStoreConformance, ListsByPagesAfterASequence) {
  std::vector<int64_t> sequences;
  for (int i = 0; i < 25; ++i) {
    auto stored = store().audit().Append(Entry(i));
    ASSERT_TRUE(stored.has_value());
    sequences.push_back(stored->sequence);
  }
  std::vector<int64_t> seen;
  PageRequest request{.after = "", .limit = 10};
  int pages = 0;
  for (;;) {
    auto page = store().audit().List(request);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ++pages;
    for (const auto& entry : page->items) seen.push_back(entry.sequence);
    if (page->next_after.empty()) break;
    EXPECT_EQ(page->next_after, std::to_string(page->items.back().sequence));
    request.after = page->next_after;
    ASSERT_LT(pages, 10) << "paging does not end";
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, sequences);

  // `after` is exclusive; a page ending exactly at the newest entry says it is the last.
  auto tail = store().audit().List({.after = std::to_string(sequences[19]), .limit = 5});
  ASSERT_TRUE(tail.has_value());
  ASSERT_EQ(tail->items.size(), 5u);
  EXPECT_EQ(tail->items.front().sequence, sequences[20]);
  EXPECT_TRUE(tail->next_after.empty());
  auto beyond = store().audit().List({.after = std::to_string(sequences.back()), .limit = 5});
  ASSERT_TRUE(beyond.has_value());
  EXPECT_TRUE(beyond->items.empty());
  auto from_zero = store().audit().List({.after = "0", .limit = 1});
  ASSERT_TRUE(from_zero.has_value());
  ASSERT_EQ(from_zero->items.size(), 1u);
  EXPECT_EQ(from_zero->items[0].sequence, sequences[0]);
}

TEST_P(AuditStoreConformance, RefusesAMalformedAfterOrLimit) {
  ASSERT_TRUE(store().audit().Append(Entry(1)).has_value());
  for (const char* after : {"abc", "-1", "1x", " 1", "1.5", "99999999999999999999999"}) {
    auto bad = store().audit().List({.after = after, .limit = 10});
    ASSERT_FALSE(bad.has_value()) << after;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument) << after;
    EXPECT_EQ(bad.error().field, "after") << after;
  }
  for (int limit : {0, kMaxPageSize + 1}) {
    auto bad = store().audit().List({.after = "", .limit = limit});
    ASSERT_FALSE(bad.has_value()) << limit;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(bad.error().field, "limit");
  }
}

}  // namespace
}  // namespace groundcrew::store::conformance

namespace groundcrew::store::conformance {
namespace {

TEST_P(AuditStoreConformance, FiltersByActorCaseInsensitivelyAndByKindAcrossPages) {
  std::vector<int64_t> matching;
  for (int i = 0; i < 12; ++i) {
    AuditEntry e = Entry(i);
    e.actor = i % 3 == 0 ? "Alice" : "admin";
    e.resource_kind = i % 2 == 0 ? "autopilotDevices" : "groups";
    auto stored = store().audit().Append(e);
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    if (i % 3 == 0 && i % 2 == 0) matching.push_back(stored->sequence);
  }
  std::vector<int64_t> seen;
  PageRequest request{.after = "", .limit = 1};
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10) << "paging does not end";
    auto page =
        store().audit().List({.actor = "alice", .resource_kind = "autopilotDevices"}, request);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    for (const AuditEntry& e : page->items) seen.push_back(e.sequence);
    if (page->next_after.empty()) break;
    request.after = page->next_after;
  }
  EXPECT_EQ(seen, matching);  // entries 0 and 6
  auto by_actor = store().audit().List({.actor = "ADMIN"}, {.after = "", .limit = 100});
  ASSERT_TRUE(by_actor.has_value());
  EXPECT_EQ(by_actor->items.size(), 8u);
  auto by_kind = store().audit().List({.resource_kind = "groups"}, {.after = "", .limit = 100});
  ASSERT_TRUE(by_kind.has_value());
  EXPECT_EQ(by_kind->items.size(), 6u);
  auto nobody = store().audit().List({.actor = "nobody"}, {.after = "", .limit = 100});
  ASSERT_TRUE(nobody.has_value());
  EXPECT_TRUE(nobody->items.empty());
}

}  // namespace
}  // namespace groundcrew::store::conformance
