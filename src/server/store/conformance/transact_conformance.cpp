#include "server/store/conformance/transact_conformance.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

using namespace std::chrono_literals;

Resource Group(int n, const std::string& name = "") {
  Resource r;
  r.kind = ResourceKind::kGroup;
  r.id = "grp-" + std::to_string(n);
  r.name = name.empty() ? "Group " + std::to_string(n) : name;
  r.body = "{}";
  r.created_date_time = At(1'700'000'000);
  r.last_modified_date_time = At(1'700'000'000);
  return r;
}

core::AutopilotDeviceIdentity Device(int n) {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-" + std::to_string(n)};
  d.serial_number = "SN" + std::to_string(n);
  d.hardware_identifier = "hash-" + std::to_string(n);
  d.created_date_time = At(1'700'000'000);
  return d;
}

AuditEntry Entry(const std::string& action) {
  AuditEntry e;
  e.at = At(1'700'000'000);
  e.actor = "admin";
  e.action = action;
  e.resource_kind = "groups";
  return e;
}

AdminCredential Credential(int n) {
  AdminCredential c;
  c.id = "cred-" + std::to_string(n);
  c.name = "admin" + std::to_string(n);
  c.token_sha256 = std::string(63, 'a') + std::to_string(n % 10);
  c.created_date_time = At(1'700'000'000);
  return c;
}

DeploymentSession Session(int n, int device) {
  DeploymentSession s;
  s.id = "sess-" + std::to_string(n);
  s.device_id = Device(device).id.value();
  s.flow = "technician";
  s.deployment_state = "inProgress";
  s.started_date_time = At(1'700'000'000);
  return s;
}

SessionEvent Event(const std::string& session_id, const std::string& key) {
  SessionEvent e;
  e.session_id = session_id;
  e.idempotency_key = key;
  e.at = At(1'700'000'001);
  e.kind = "phaseStarted";
  e.detail = "{}";
  return e;
}

// Writes through every port: device 1, group 1, an update of group 100, an audit entry,
// credential 1, session 1 with an event, and finishes session 100. REQUIRES: group 100 at
// version 1 and session 100 of device 100 exist.
Status WriteEverywhere(Store& store) {
  GC_RETURN_IF_ERROR(store.devices().Insert(std::vector{Device(1)}));
  GC_RETURN_IF_ERROR(store.resources().Create(Group(1)));
  Resource existing = Group(100);
  existing.body = R"({"changed":true})";
  GC_RETURN_IF_ERROR(store.resources().Update(existing, 1));
  GC_RETURN_IF_ERROR(store.audit().Append(Entry("create")));
  GC_RETURN_IF_ERROR(store.credentials().Create(Credential(1)));
  GC_RETURN_IF_ERROR(store.sessions().CreateSession(Session(1, 1)));
  GC_RETURN_IF_ERROR(store.sessions().AppendEvent(Event("sess-1", "k1")));
  DeploymentSession finished = Session(100, 100);
  finished.deployment_state = "success";
  finished.finished_date_time = At(1'700'000'500);
  GC_RETURN_IF_ERROR(store.sessions().UpdateSession(finished));
  return Ok{};
}

TEST_P(TransactConformance, CommitsEverythingWhenTheUseCaseSucceeds) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(100)}).has_value());
  ASSERT_TRUE(store().resources().Create(Group(100)).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(Session(100, 100)).has_value());
  const int64_t before = *store().resources().Generation();

  Status result = store().Transact([&] { return WriteEverywhere(store()); });
  ASSERT_TRUE(result.has_value()) << result.error().message;

  EXPECT_TRUE(store().devices().Get(Device(1).id).has_value());
  EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(1).id).has_value());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(100).id)->version, 2);
  EXPECT_GT(*store().resources().Generation(), before);
  EXPECT_EQ(store().audit().List({})->items.size(), 1u);
  EXPECT_EQ(store().credentials().List()->size(), 1u);
  EXPECT_TRUE(store().sessions().GetSession("sess-1").has_value());
  EXPECT_EQ(store().sessions().ListEvents("sess-1", {})->items.size(), 1u);
  EXPECT_EQ(store().sessions().GetSession("sess-100")->deployment_state, "success");
}

TEST_P(TransactConformance, RollsBackEverythingWhenTheUseCaseFails) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(100)}).has_value());
  ASSERT_TRUE(store().resources().Create(Group(100)).has_value());
  DeploymentSession kept = Session(100, 100);
  ASSERT_TRUE(store().sessions().CreateSession(kept).has_value());
  const int64_t before = *store().resources().Generation();

  const Error failure = MakeError(ErrorCode::kFailedPrecondition, "the use case gave up", "why");
  Status result = store().Transact([&]() -> Status {
    if (Status s = WriteEverywhere(store()); !s) return s;
    // The use case reads its own writes.
    EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(1).id).has_value());
    EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(100).id)->version, 2);
    EXPECT_TRUE(store().devices().Get(Device(1).id).has_value());
    return failure;
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), failure);  // Transact returns the use case's error as it is

  EXPECT_EQ(store().devices().Get(Device(1).id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(1).id).error().code,
            ErrorCode::kNotFound);
  auto group = store().resources().Get(ResourceKind::kGroup, Group(100).id);
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(group->version, 1);
  EXPECT_EQ(group->value.body, "{}");
  EXPECT_EQ(*store().resources().Generation(), before);
  EXPECT_TRUE(store().audit().List({})->items.empty());
  EXPECT_TRUE(store().credentials().List()->empty());
  EXPECT_EQ(store().sessions().GetSession("sess-1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().sessions().GetSession(kept.id)->deployment_state, "inProgress");

  // The store is still usable, and a later Transact commits.
  ASSERT_TRUE(store().Transact([&] { return WriteEverywhere(store()); }).has_value());
  EXPECT_TRUE(store().devices().Get(Device(1).id).has_value());
}

TEST_P(TransactConformance, ANestedFailureRollsBackOnlyTheInnerPart) {
  Status inner_result = Ok{};
  Status result = store().Transact([&]() -> Status {
    GC_RETURN_IF_ERROR(store().resources().Create(Group(1)));
    inner_result = store().Transact([&]() -> Status {
      GC_RETURN_IF_ERROR(store().resources().Create(Group(2)));
      GC_RETURN_IF_ERROR(store().devices().Insert(std::vector{Device(2)}));
      GC_RETURN_IF_ERROR(store().audit().Append(Entry("inner")));
      return MakeError(ErrorCode::kAborted, "inner gave up");
    });
    // The inner part is already gone; the outer one is intact.
    EXPECT_FALSE(store().resources().Get(ResourceKind::kGroup, Group(2).id).has_value());
    EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(1).id).has_value());
    GC_RETURN_IF_ERROR(store().resources().Create(Group(3)));
    return Ok{};  // the outer use case decides to go on
  });
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_FALSE(inner_result.has_value());
  EXPECT_EQ(inner_result.error().message, "inner gave up");

  EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(1).id).has_value());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(2).id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(3).id).has_value());
  EXPECT_EQ(store().devices().Get(Device(2).id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store().audit().List({})->items.empty());
}

TEST_P(TransactConformance, ANestedSuccessIsUndoneWhenTheOuterUseCaseFails) {
  Status result = store().Transact([&]() -> Status {
    GC_RETURN_IF_ERROR(store().resources().Create(Group(1)));
    GC_RETURN_IF_ERROR(store().Transact([&]() -> Status {
      GC_RETURN_IF_ERROR(store().resources().Create(Group(2)));
      return Ok{};
    }));
    return MakeError(ErrorCode::kInvalidArgument, "outer gave up");
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(1).id).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(2).id).error().code,
            ErrorCode::kNotFound);
}

TEST_P(TransactConformance, AFailedCallKeepsTheUseCasesEarlierWrites) {
  ASSERT_TRUE(store().resources().Create(Group(100, "Existing")).has_value());
  const int64_t before = *store().resources().Generation();
  std::vector<ErrorCode> failures;
  Status result = store().Transact([&]() -> Status {
    GC_RETURN_IF_ERROR(store().resources().Create(Group(1, "Sales")));
    GC_RETURN_IF_ERROR(store().devices().Insert(std::vector{Device(1)}));
    // Each of these fails; the use case notes it and carries on.
    auto duplicate_name = store().resources().Create(Group(2, "SALES"));
    if (!duplicate_name) failures.push_back(duplicate_name.error().code);
    auto stale = store().resources().Update(Group(100, "Renamed"), 5);
    if (!stale) failures.push_back(stale.error().code);
    // A batch is all or nothing inside a use case too: device 2 is not kept.
    auto batch = store().devices().Insert(std::vector{Device(2), Device(1)});
    if (!batch) failures.push_back(batch.error().code);
    auto orphan = store().sessions().AppendEvent(Event("sess-none", "k"));
    if (!orphan) failures.push_back(orphan.error().code);
    GC_RETURN_IF_ERROR(store().resources().Create(Group(3)));
    return Ok{};
  });
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(failures, (std::vector<ErrorCode>{ErrorCode::kAlreadyExists, ErrorCode::kAborted,
                                              ErrorCode::kAlreadyExists, ErrorCode::kNotFound}));

  EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(1).id).has_value());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(2).id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store().resources().Get(ResourceKind::kGroup, Group(3).id).has_value());
  EXPECT_EQ(store().resources().Get(ResourceKind::kGroup, Group(100).id)->value.name, "Existing");
  EXPECT_TRUE(store().devices().Get(Device(1).id).has_value());
  EXPECT_EQ(store().devices().Get(Device(2).id).error().code, ErrorCode::kNotFound);
  EXPECT_GT(*store().resources().Generation(), before);
}

TEST_P(TransactConformance, OtherThreadsCallsWaitUntilItEnds) {
  std::atomic<bool> other_done{false};
  int64_t other_sequence = 0;
  int64_t first = 0;
  int64_t last = 0;
  std::thread other;
  Status result = store().Transact([&]() -> Status {
    auto a = store().audit().Append(Entry("first"));
    if (!a) return a.error();
    first = a->sequence;
    other = std::thread([&] {
      auto b = store().audit().Append(Entry("other"));
      other_sequence = b.has_value() ? b->sequence : -1;
      other_done = true;
    });
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(other_done.load()) << "another thread's call ran inside the transaction";
    auto c = store().audit().Append(Entry("last"));
    if (!c) return c.error();
    last = c->sequence;
    return Ok{};
  });
  if (other.joinable()) other.join();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(other_done.load());
  EXPECT_GT(last, first);
  EXPECT_GT(other_sequence, last);  // no interleaving: the other append came after the use case

  auto log = store().audit().List({});
  ASSERT_TRUE(log.has_value());
  std::vector<std::string> actions;
  for (const auto& entry : log->items) actions.push_back(entry.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"first", "last", "other"}));
}

TEST_P(TransactConformance, OtherThreadsNeverSeeAUseCasesWrites) {
  std::atomic<bool> other_done{false};
  ErrorCode other_saw = ErrorCode::kInternal;
  bool other_found = false;
  std::thread other;
  Status result = store().Transact([&]() -> Status {
    GC_RETURN_IF_ERROR(store().resources().Create(Group(1)));
    other = std::thread([&] {
      auto read = store().resources().Get(ResourceKind::kGroup, Group(1).id);
      other_found = read.has_value();
      if (!read) other_saw = read.error().code;
      other_done = true;
    });
    // The read may wait for the transaction or run at once (then on the last commit): either
    // way it must not find the uncommitted group.
    std::this_thread::sleep_for(100ms);
    return MakeError(ErrorCode::kAborted, "changed my mind");
  });
  if (other.joinable()) other.join();
  ASSERT_FALSE(result.has_value());
  EXPECT_FALSE(other_found);
  EXPECT_EQ(other_saw, ErrorCode::kNotFound);
}

#undef GC_TRY

}  // namespace
}  // namespace groundcrew::store::conformance
