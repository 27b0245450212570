#include "server/store/conformance/session_store_conformance.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

core::AutopilotDeviceIdentity Device(int n) {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-" + std::to_string(1000 + n)};
  d.serial_number = "SN" + std::to_string(1000 + n);
  d.hardware_identifier = "hash-" + std::to_string(n);
  d.created_date_time = At(1'700'000'000);
  return d;
}

DeploymentSession Session(int n, int device) {
  DeploymentSession s;
  s.id = "sess-" + std::to_string(1000 + n);
  s.device_id = Device(device).id.value();
  s.flow = n % 2 == 0 ? "technician" : "user";
  s.user_principal_name = n % 2 == 0 ? "" : "adele@contoso.com";
  s.deployment_state = "inProgress";
  s.started_date_time = At(1'700'000'000 + n);
  return s;
}

SessionEvent Event(const DeploymentSession& session, const std::string& key) {
  SessionEvent e;
  e.session_id = session.id;
  e.idempotency_key = key;
  e.at = At(1'700'000'100);
  e.kind = "phaseStarted";
  e.detail = R"({"phase":")" + key + R"("})";
  return e;
}

void ExpectSame(const DeploymentSession& a, const DeploymentSession& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.device_id, b.device_id);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_EQ(a.user_principal_name, b.user_principal_name);
  EXPECT_EQ(a.deployment_state, b.deployment_state);
  EXPECT_EQ(a.started_date_time, b.started_date_time);
  EXPECT_EQ(a.finished_date_time, b.finished_date_time);
}

void ExpectSame(const SessionEvent& a, const SessionEvent& b) {
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.detail, b.detail);
}

TEST_P(SessionStoreConformance, CreatesAndReadsBackEveryField) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  DeploymentSession s = Session(1, 1);
  ASSERT_TRUE(store().sessions().CreateSession(s).has_value());
  auto read = store().sessions().GetSession(s.id);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ExpectSame(*read, s);
  EXPECT_FALSE(read->finished_date_time.has_value());

  DeploymentSession finished = Session(2, 1);
  finished.deployment_state = "success";
  finished.finished_date_time = At(1'700'009'999);
  ASSERT_TRUE(store().sessions().CreateSession(finished).has_value());
  ExpectSame(*store().sessions().GetSession(finished.id), finished);
}

TEST_P(SessionStoreConformance, RefusesATakenIdAnUnknownDeviceAndReportsMissingSessions) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(Session(1, 1)).has_value());

  Status taken = store().sessions().CreateSession(Session(1, 1));
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(taken.error().field, "id");

  Status no_device = store().sessions().CreateSession(Session(2, 7));
  ASSERT_FALSE(no_device.has_value());
  EXPECT_EQ(no_device.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(no_device.error().field, "deviceId");
  EXPECT_EQ(store().sessions().GetSession(Session(2, 7).id).error().code, ErrorCode::kNotFound);

  auto missing = store().sessions().GetSession("nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(SessionStoreConformance, UpdateReplacesOnlyStateAndFinishTime) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  const DeploymentSession s = Session(1, 1);
  ASSERT_TRUE(store().sessions().CreateSession(s).has_value());

  DeploymentSession changed = s;
  changed.deployment_state = "failure";
  changed.finished_date_time = At(1'700'000'900);
  changed.flow = "technician";               // not replaced
  changed.user_principal_name = "x@y.z";     // not replaced
  changed.device_id = Device(2).id.value();  // not replaced
  changed.started_date_time = At(5);         // not replaced
  ASSERT_TRUE(store().sessions().UpdateSession(changed).has_value());
  auto read = store().sessions().GetSession(s.id);
  ASSERT_TRUE(read.has_value());
  DeploymentSession expected = s;
  expected.deployment_state = "failure";
  expected.finished_date_time = At(1'700'000'900);
  ExpectSame(*read, expected);

  // The same update again is fine (idempotent), and a finish time can be cleared.
  ASSERT_TRUE(store().sessions().UpdateSession(changed).has_value());
  changed.finished_date_time.reset();
  changed.deployment_state = "inProgress";
  ASSERT_TRUE(store().sessions().UpdateSession(changed).has_value());
  EXPECT_FALSE(store().sessions().GetSession(s.id)->finished_date_time.has_value());

  Status missing = store().sessions().UpdateSession(Session(9, 1));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(SessionStoreConformance, ListsSessionsInIdOrderByDeviceAndPages) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  for (int i = 0; i < 15; ++i) {
    const int n = (i * 4) % 15;  // out of id order
    ASSERT_TRUE(store().sessions().CreateSession(Session(n, n < 10 ? 1 : 2)).has_value());
  }

  std::vector<std::string> seen;
  PageRequest request{.after = "", .limit = 4};
  int pages = 0;
  for (;;) {
    auto page = store().sessions().ListSessions({}, request);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ++pages;
    for (const auto& s : page->items) seen.push_back(s.id);
    if (page->next_after.empty()) break;
    EXPECT_EQ(page->next_after, page->items.back().id);
    request.after = page->next_after;
    ASSERT_LT(pages, 10) << "paging does not end";
  }
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(seen.size(), 15u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  SessionFilter second;
  second.device_id = Device(2).id.value();
  auto of_device = store().sessions().ListSessions(second, {.after = "", .limit = 3});
  ASSERT_TRUE(of_device.has_value());
  ASSERT_EQ(of_device->items.size(), 3u);
  EXPECT_EQ(of_device->items.front().id, "sess-1010");
  EXPECT_EQ(of_device->next_after, "sess-1012");
  auto rest = store().sessions().ListSessions(second, {.after = of_device->next_after, .limit = 3});
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->items.size(), 2u);
  EXPECT_TRUE(rest->next_after.empty());
  for (const auto& s : rest->items) EXPECT_EQ(s.device_id, Device(2).id.value());

  SessionFilter none;
  none.device_id = "ztd-none";
  auto empty = store().sessions().ListSessions(none, {});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->items.empty());

  auto bad = store().sessions().ListSessions({}, {.after = "", .limit = 0});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().field, "limit");
}

TEST_P(SessionStoreConformance, AppendsEventsOnceByIdempotencyKey) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  const DeploymentSession a = Session(1, 1);
  const DeploymentSession b = Session(2, 1);
  ASSERT_TRUE(store().sessions().CreateSession(a).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(b).has_value());

  auto first = store().sessions().AppendEvent(Event(a, "k1"));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ExpectSame(*first, Event(a, "k1"));
  EXPECT_GT(first->sequence, 0);
  auto other_session = store().sessions().AppendEvent(Event(b, "k1"));  // keys are per session
  ASSERT_TRUE(other_session.has_value());
  EXPECT_GT(other_session->sequence, first->sequence);  // increasing across sessions
  auto second = store().sessions().AppendEvent(Event(a, "k2"));
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(second->sequence, other_session->sequence);

  SessionEvent resent = Event(a, "k1");
  resent.kind = "itemCompleted";  // a resend that differs changes nothing either
  resent.detail = R"({"changed":true})";
  resent.at = At(1'800'000'000);
  auto again = store().sessions().AppendEvent(resent);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->sequence, first->sequence);
  ExpectSame(*again, *first);

  auto events = store().sessions().ListEvents(a.id, {});
  ASSERT_TRUE(events.has_value()) << events.error().message;
  ASSERT_EQ(events->items.size(), 2u);
  EXPECT_EQ(events->items[0].sequence, first->sequence);
  ExpectSame(events->items[0], *first);
  EXPECT_EQ(events->items[1].sequence, second->sequence);
  EXPECT_TRUE(events->next_after.empty());

  SessionEvent keyless = Event(a, "");
  auto no_key = store().sessions().AppendEvent(keyless);
  ASSERT_FALSE(no_key.has_value());
  EXPECT_EQ(no_key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_key.error().field, "idempotencyKey");
}

TEST_P(SessionStoreConformance, EventsOfAMissingSessionAreNotFound) {
  DeploymentSession ghost = Session(9, 1);
  auto appended = store().sessions().AppendEvent(Event(ghost, "k1"));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code, ErrorCode::kNotFound);
  auto listed = store().sessions().ListEvents(ghost.id, {});
  ASSERT_FALSE(listed.has_value());
  EXPECT_EQ(listed.error().code, ErrorCode::kNotFound);
}

TEST_P(SessionStoreConformance, ListsEventsByPagesAfterASequence) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  const DeploymentSession a = Session(1, 1);
  const DeploymentSession b = Session(2, 1);
  ASSERT_TRUE(store().sessions().CreateSession(a).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(b).has_value());
  std::vector<int64_t> sequences;
  for (int i = 0; i < 12; ++i) {
    auto e = store().sessions().AppendEvent(Event(a, "k" + std::to_string(i)));
    ASSERT_TRUE(e.has_value());
    sequences.push_back(e->sequence);
    ASSERT_TRUE(store().sessions().AppendEvent(Event(b, "k" + std::to_string(i))).has_value());
  }

  std::vector<int64_t> seen;
  PageRequest request{.after = "", .limit = 5};
  int pages = 0;
  for (;;) {
    auto page = store().sessions().ListEvents(a.id, request);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ++pages;
    for (const auto& e : page->items) {
      EXPECT_EQ(e.session_id, a.id);
      seen.push_back(e.sequence);
    }
    if (page->next_after.empty()) break;
    EXPECT_EQ(page->next_after, std::to_string(page->items.back().sequence));
    request.after = page->next_after;
    ASSERT_LT(pages, 10) << "paging does not end";
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, sequences);

  for (const char* after : {"x", "-3", "12a"}) {
    auto bad = store().sessions().ListEvents(a.id, {.after = after, .limit = 5});
    ASSERT_FALSE(bad.has_value()) << after;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(bad.error().field, "after");
  }
  auto bad_limit = store().sessions().ListEvents(a.id, {.after = "", .limit = kMaxPageSize + 1});
  ASSERT_FALSE(bad_limit.has_value());
  EXPECT_EQ(bad_limit.error().field, "limit");
}

TEST_P(SessionStoreConformance, ListsEveryEventInSequenceOrderAfterASequence) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  const DeploymentSession a = Session(1, 1);
  const DeploymentSession b = Session(2, 2);
  ASSERT_TRUE(store().sessions().CreateSession(a).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(b).has_value());
  auto empty = store().sessions().ListAllEvents({});
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_TRUE(empty->items.empty());
  EXPECT_TRUE(empty->next_after.empty());

  std::vector<std::pair<std::string, int64_t>> appended;  // (session, sequence), interleaved
  for (int i = 0; i < 7; ++i) {
    const DeploymentSession& session = i % 3 == 0 ? b : a;
    auto e = store().sessions().AppendEvent(Event(session, "k" + std::to_string(i)));
    ASSERT_TRUE(e.has_value());
    appended.emplace_back(session.id, e->sequence);
  }
  ASSERT_TRUE(store().sessions().AppendEvent(Event(a, "k1")).has_value());  // a resend: no row

  std::vector<std::pair<std::string, int64_t>> seen;
  PageRequest request{.after = "", .limit = 3};
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10) << "paging does not end";
    auto page = store().sessions().ListAllEvents(request);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    for (const auto& e : page->items) seen.emplace_back(e.session_id, e.sequence);
    if (page->next_after.empty()) break;
    EXPECT_EQ(page->next_after, std::to_string(page->items.back().sequence));
    request.after = page->next_after;
  }
  EXPECT_EQ(seen, appended);

  // A stream reads on from the last sequence it saw: nothing new, then the next event only.
  const std::string last = std::to_string(appended.back().second);
  auto none = store().sessions().ListAllEvents({.after = last, .limit = 10});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->items.empty());
  auto next = store().sessions().AppendEvent(Event(b, "k-next"));
  ASSERT_TRUE(next.has_value());
  auto one = store().sessions().ListAllEvents({.after = last, .limit = 10});
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->items.size(), 1u);
  ExpectSame(one->items[0], *next);
  EXPECT_EQ(one->items[0].sequence, next->sequence);

  for (const char* after : {"x", "-3", "12a"}) {
    auto bad = store().sessions().ListAllEvents({.after = after, .limit = 5});
    ASSERT_FALSE(bad.has_value()) << after;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(bad.error().field, "after");
  }
  for (int limit : {0, kMaxPageSize + 1}) {
    auto bad = store().sessions().ListAllEvents({.after = "", .limit = limit});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().field, "limit");
  }
}

TEST_P(SessionStoreConformance, DeletingADeviceDeletesItsSessionsAndEvents) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  const DeploymentSession gone = Session(1, 1);
  const DeploymentSession kept = Session(2, 2);
  ASSERT_TRUE(store().sessions().CreateSession(gone).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(kept).has_value());
  ASSERT_TRUE(store().sessions().AppendEvent(Event(gone, "k1")).has_value());
  ASSERT_TRUE(store().sessions().AppendEvent(Event(kept, "k1")).has_value());

  ASSERT_TRUE(store().devices().Delete(Device(1).id, 1).has_value());
  EXPECT_EQ(store().sessions().GetSession(gone.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().sessions().ListEvents(gone.id, {}).error().code, ErrorCode::kNotFound);
  auto remaining = store().sessions().ListSessions({}, {});
  ASSERT_TRUE(remaining.has_value());
  ASSERT_EQ(remaining->items.size(), 1u);
  EXPECT_EQ(remaining->items[0].id, kept.id);
  auto kept_events = store().sessions().ListEvents(kept.id, {});
  ASSERT_TRUE(kept_events.has_value());
  EXPECT_EQ(kept_events->items.size(), 1u);
}

TEST_P(SessionStoreConformance, FiltersSessionsByFlowAndStateWithOrWithoutADevice) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  for (int n = 1; n <= 8; ++n) {
    DeploymentSession s = Session(n, n <= 4 ? 1 : 2);
    s.deployment_state = n % 4 == 0 ? "failure" : "success";
    ASSERT_TRUE(store().sessions().CreateSession(s).has_value());
  }
  auto ids = [&](const SessionFilter& filter) {
    std::vector<std::string> out;
    auto page = store().sessions().ListSessions(filter, {.after = "", .limit = 100});
    EXPECT_TRUE(page.has_value());
    if (page) {
      for (const auto& s : page->items) out.push_back(s.id);
    }
    return out;
  };
  EXPECT_EQ(ids({.flow = "technician"}),
            (std::vector<std::string>{"sess-1002", "sess-1004", "sess-1006", "sess-1008"}));
  EXPECT_EQ(ids({.deployment_state = "failure"}),
            (std::vector<std::string>{"sess-1004", "sess-1008"}));
  EXPECT_EQ(
      ids({.device_id = Device(2).id.value(), .flow = "technician", .deployment_state = "failure"}),
      std::vector<std::string>{"sess-1008"});
  EXPECT_TRUE(ids({.flow = "user", .deployment_state = "failure"}).empty());
}

TEST_P(SessionStoreConformance, LatestSessionsGivesEachDevicesLastStartedSessionInOneRead) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2), Device(3)}).has_value());
  DeploymentSession late = Session(1, 1);  // created first, started last
  late.started_date_time = At(1'700'050'000);
  ASSERT_TRUE(store().sessions().CreateSession(late).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(Session(2, 1)).has_value());
  // Device 2: two sessions started in the same second; the one created last wins.
  DeploymentSession first = Session(9, 2);
  DeploymentSession second = Session(4, 2);
  second.started_date_time = first.started_date_time;
  second.deployment_state = "failure";
  ASSERT_TRUE(store().sessions().CreateSession(first).has_value());
  ASSERT_TRUE(store().sessions().CreateSession(second).has_value());

  const std::vector<std::string> ids = {Device(3).id.value(), Device(2).id.value(), "ztd-none",
                                        Device(1).id.value()};
  auto latest = store().sessions().LatestSessions(ids);
  ASSERT_TRUE(latest.has_value()) << latest.error().message;
  ASSERT_EQ(latest->size(), 2u) << "device 3 and the unknown id have none";
  std::sort(latest->begin(), latest->end(),
            [](const auto& a, const auto& b) { return a.device_id < b.device_id; });
  ExpectSame((*latest)[0], late);
  ExpectSame((*latest)[1], second);

  EXPECT_TRUE(store().sessions().LatestSessions({})->empty());
  // Many ids at once (more than any padding), each given once.
  std::vector<std::string> many(kMaxPageSize, "ztd-none");
  many[700] = Device(1).id.value();
  auto of_many = store().sessions().LatestSessions(many);
  ASSERT_TRUE(of_many.has_value()) << of_many.error().message;
  ASSERT_EQ(of_many->size(), 1u);
  EXPECT_EQ((*of_many)[0].id, late.id);
  many.push_back("ztd-one-too-many");
  auto refused = store().sessions().LatestSessions(many);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().field, "deviceIds");

  // Devices filter on their latest session's state; a device without one never matches.
  auto failed = store().devices().List({.deployment_state = "failure"}, {});
  ASSERT_TRUE(failed.has_value()) << failed.error().message;
  ASSERT_EQ(failed->items.size(), 1u);
  EXPECT_EQ(failed->items[0].value.id, Device(2).id);
  auto in_progress = store().devices().List({.deployment_state = "inProgress"}, {});
  ASSERT_TRUE(in_progress.has_value());
  ASSERT_EQ(in_progress->items.size(), 1u);
  EXPECT_EQ(in_progress->items[0].value.id, Device(1).id);
}

TEST_P(SessionStoreConformance, ListsMatchingEventsAndReadsOnFromTheHighestSequence) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  DeploymentSession technician = Session(2, 1);
  DeploymentSession user = Session(3, 1);
  DeploymentSession other = Session(4, 2);
  technician.deployment_state = "failure";
  for (const DeploymentSession& s : {technician, user, other}) {
    ASSERT_TRUE(store().sessions().CreateSession(s).has_value());
  }
  std::vector<int64_t> of_technician, of_device;
  int64_t highest = 0;  // the last event is the other device's
  auto none = store().sessions().LastEventSequence();
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_EQ(*none, 0);
  for (int i = 0; i < 9; ++i) {
    const DeploymentSession& s = i % 3 == 0 ? technician : i % 3 == 1 ? user : other;
    auto e = store().sessions().AppendEvent(Event(s, "k" + std::to_string(i)));
    ASSERT_TRUE(e.has_value());
    if (&s == &technician) of_technician.push_back(e->sequence);
    if (&s != &other) of_device.push_back(e->sequence);
    highest = e->sequence;
  }

  auto read = [&](const SessionFilter& filter, int limit) {
    std::vector<int64_t> seen;
    PageRequest request{.after = "", .limit = limit};
    for (int pages = 0; pages < 20; ++pages) {
      auto page = store().sessions().ListMatchingEvents(filter, request);
      EXPECT_TRUE(page.has_value()) << page.error().message;
      if (!page) break;
      for (const auto& e : page->items) seen.push_back(e.sequence);
      // The last page reads on from the highest sequence; the others from their last event.
      if (page->next_after == std::to_string(highest)) break;
      EXPECT_EQ(static_cast<int>(page->items.size()), limit);
      EXPECT_EQ(page->next_after, std::to_string(page->items.back().sequence));
      request.after = page->next_after;
    }
    return seen;
  };
  EXPECT_EQ(read({.flow = "technician", .deployment_state = "failure"}, 2), of_technician);
  EXPECT_EQ(read({.device_id = Device(1).id.value()}, 4), of_device);
  EXPECT_EQ(read({.deployment_state = "failure"}, 100), of_technician);
  EXPECT_TRUE(read({.flow = "user", .deployment_state = "failure"}, 5).empty());

  auto last = store().sessions().LastEventSequence();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, highest);

  // Nothing after the highest sequence: nothing to read on from.
  auto done = store().sessions().ListMatchingEvents({.flow = "user"},
                                                    {.after = std::to_string(highest), .limit = 5});
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->items.empty());
  EXPECT_TRUE(done->next_after.empty());
  auto bad = store().sessions().ListMatchingEvents({.flow = "user"}, {.after = "x", .limit = 5});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field, "after");
}

TEST_P(SessionStoreConformance, TheDeviceRowFollowsItsLatestSession) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  auto summary = [&](int device) {
    auto page = store().devices().Query({.serial_number = Device(device).serial_number});
    EXPECT_TRUE(page.has_value() && page->items.size() == 1u);
    return page && !page->items.empty() ? page->items[0].summary : DeploymentSummary{};
  };
  EXPECT_EQ(summary(1).deployment_state, "notStarted");
  DeploymentSession technician = Session(2, 1);  // started at +2
  ASSERT_TRUE(store().sessions().CreateSession(technician).has_value());
  EXPECT_EQ(summary(1), (DeploymentSummary{"inProgress", At(1'700'000'002), "technician"}));
  technician.deployment_state = "success";
  technician.finished_date_time = At(1'700'000'100);
  ASSERT_TRUE(store().sessions().UpdateSession(technician).has_value());
  EXPECT_EQ(summary(1), (DeploymentSummary{"success", At(1'700'000'002), "technician"}));
  DeploymentSession user = Session(5, 1);  // started later: the latest
  ASSERT_TRUE(store().sessions().CreateSession(user).has_value());
  EXPECT_EQ(summary(1), (DeploymentSummary{"inProgress", At(1'700'000'005), "user"}));
  // A change to an older session leaves the summary to the latest.
  technician.deployment_state = "failure";
  ASSERT_TRUE(store().sessions().UpdateSession(technician).has_value());
  EXPECT_EQ(summary(1).deployment_state, "inProgress");
  EXPECT_EQ(summary(2).deployment_state, "notStarted");  // the other device is untouched

  // The summary's filter and order.
  auto in_progress = store().devices().Query({.deployment_state = "inProgress"});
  ASSERT_TRUE(in_progress.has_value());
  ASSERT_EQ(in_progress->items.size(), 1u);
  EXPECT_EQ(in_progress->items[0].device.value.id, Device(1).id);
  auto newest = store().devices().Query(
      {.order_by = DeviceOrder::kLastDeploymentDateTime, .descending = true, .limit = 1});
  ASSERT_TRUE(newest.has_value());
  ASSERT_EQ(newest->items.size(), 1u);
  EXPECT_EQ(newest->items[0].device.value.id, Device(1).id);
  auto older = store().devices().Query({.order_by = DeviceOrder::kLastDeploymentDateTime,
                                        .descending = true,
                                        .after = newest->next_after,
                                        .limit = 1});
  ASSERT_TRUE(older.has_value());
  ASSERT_EQ(older->items.size(), 1u);
  EXPECT_EQ(older->items[0].device.value.id, Device(2).id);
  EXPECT_TRUE(older->next_after.empty());
}

TEST_P(SessionStoreConformance, TheDashboardCountsTheWindowAndListsTheNewest) {
  std::vector<core::AutopilotDeviceIdentity> devices;
  for (int d = 1; d <= 6; ++d) devices.push_back(Device(d));
  ASSERT_TRUE(store().devices().Insert(devices).has_value());
  auto run = [&](int n, int device, const std::string& flow, const std::string& state,
                 int64_t started, std::optional<int64_t> finished) {
    DeploymentSession s = Session(n, device);
    s.flow = flow;
    s.started_date_time = At(started);
    ASSERT_TRUE(store().sessions().CreateSession(s).has_value());
    s.deployment_state = state;
    if (finished) s.finished_date_time = At(*finished);
    ASSERT_TRUE(store().sessions().UpdateSession(s).has_value());
  };
  const int64_t since = 1'700'100'000;
  run(1, 1, "technician", "success", since - 500, since - 100);       // before the window
  run(2, 1, "technician", "success", since + 0, since + 100);         // 100 s
  run(3, 2, "technician", "failure", since + 0, since + 300);         // 300 s
  run(4, 3, "technician", "successOnRetry", since + 0, since + 200);  // 200 s
  run(5, 4, "user", "failure", since + 10, since + 70);               // 60 s
  run(6, 4, "user", "success", since + 100, since + 140);             // 40 s
  run(7, 5, "user", "inProgress", since + 200, std::nullopt);
  run(8, 6, "technician", "inProgress", since + 300, std::nullopt);
  SessionEvent phase = Event(Session(8, 6), "DevicePreparation");
  ASSERT_TRUE(store().sessions().AppendEvent(phase).has_value());
  phase.idempotency_key = "k2";
  phase.detail = R"({"phase":"DeviceSetup"})";
  ASSERT_TRUE(store().sessions().AppendEvent(phase).has_value());
  SessionEvent failed = Event(Session(3, 2), "f1");
  failed.kind = "phaseFailed";
  failed.detail = R"j({"phase":"DeviceSetup","message":"App Contoso VPN failed (0x80070643)"})j";
  ASSERT_TRUE(store().sessions().AppendEvent(failed).has_value());

  auto figures = store().sessions().Dashboard(At(since), 50);
  ASSERT_TRUE(figures.has_value()) << figures.error().message;
  ASSERT_EQ(figures->in_progress.size(), 2u);
  EXPECT_EQ(figures->in_progress[0].session.id, Session(8, 6).id);  // started last first
  EXPECT_EQ(figures->in_progress[0].phase, "DeviceSetup");
  EXPECT_EQ(figures->in_progress[0].serial_number, Device(6).serial_number);
  EXPECT_EQ(figures->in_progress[1].phase, "");
  ASSERT_EQ(figures->failed.size(), 2u);
  EXPECT_EQ(figures->failed[0].session.id, Session(3, 2).id);  // finished last first
  EXPECT_EQ(figures->failed[0].error_message, "App Contoso VPN failed (0x80070643)");
  EXPECT_EQ(figures->failed[1].session.id, Session(5, 4).id);
  EXPECT_EQ(figures->technician.succeeded, 2);
  EXPECT_EQ(figures->technician.failed, 1);
  EXPECT_EQ(figures->technician.median_duration_seconds, 200.0);
  EXPECT_EQ(figures->user.succeeded, 1);
  EXPECT_EQ(figures->user.failed, 1);
  EXPECT_EQ(figures->user.median_duration_seconds, 50.0);  // the mean of the middle two
  // Devices 2 (failed), 4, 5, 6 (user flow or in progress) are not waiting; 1 and 3 are.
  EXPECT_EQ(figures->waiting_for_user_flow, 2);

  auto one = store().sessions().Dashboard(At(since), 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->in_progress.size(), 1u);
  EXPECT_EQ(one->failed.size(), 1u);
  auto later = store().sessions().Dashboard(At(since + 1000), 50);
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(later->failed.empty());
  EXPECT_EQ(later->technician.succeeded + later->technician.failed, 0);
  EXPECT_FALSE(later->technician.median_duration_seconds.has_value());
  EXPECT_EQ(later->in_progress.size(), 2u);  // in progress whenever they started
  EXPECT_EQ(store().sessions().Dashboard(At(since), 0).error().field, "limit");
}

}  // namespace
}  // namespace groundcrew::store::conformance
