#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "server/store_sqlite/internal/ports.hpp"

namespace groundcrew::store::sqlite::internal {
namespace {

#define GC_SESSION_COLUMNS \
  "id, device_id, flow, user_principal_name, deployment_state, started_at, finished_at"
#define GC_EVENT_COLUMNS "sequence, session_id, idempotency_key, at, kind, detail"

constexpr const char* kInsertSession =
    "INSERT INTO deployment_sessions (" GC_SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kUpdateSession =
    "UPDATE deployment_sessions SET deployment_state = ?2, finished_at = ?3 WHERE id = ?1";
constexpr const char* kSelectSession =
    "SELECT " GC_SESSION_COLUMNS " FROM deployment_sessions WHERE id = ?1";
constexpr const char* kSessionExists = "SELECT 1 FROM deployment_sessions WHERE id = ?1";
constexpr const char* kDeviceExists = "SELECT 1 FROM autopilot_devices WHERE id = ?1";
// Two statements rather than one with "(?2 = '' OR device_id = ?2)": SQLite cannot use the
// (device_id, id) index through that OR, and one device's sessions were found by scanning every
// session (a device's report cost grew with the fleet: 12 ms of CPU each at 10,000 devices).
#define GC_SESSION_FILTERS \
  " AND (?4 = '' OR flow = ?4) AND (?5 = '' OR deployment_state = ?5) ORDER BY id LIMIT ?3"
constexpr const char* kListSessions =
    "SELECT " GC_SESSION_COLUMNS " FROM deployment_sessions WHERE id > ?1" GC_SESSION_FILTERS;
constexpr const char* kListDeviceSessions =
    "SELECT " GC_SESSION_COLUMNS
    " FROM deployment_sessions WHERE device_id = ?2 AND id > ?1" GC_SESSION_FILTERS;
#undef GC_SESSION_FILTERS
// The latest session of each device named by the placeholders (formatted in), found through the
// (device_id, id) index: of a device's sessions, the one started last, then created last.
constexpr const char* kLatestSessions =
    "SELECT " GC_SESSION_COLUMNS
    " FROM deployment_sessions s WHERE s.device_id IN ({}) AND s.rowid = (SELECT t.rowid FROM "
    "deployment_sessions t WHERE t.device_id = s.device_id ORDER BY t.started_at DESC, t.rowid "
    "DESC LIMIT 1)";
constexpr const char* kInsertEvent =
    "INSERT INTO session_events (session_id, idempotency_key, at, kind, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kSelectEventByKey = "SELECT " GC_EVENT_COLUMNS
                                          " FROM session_events WHERE session_id = ?1 AND "
                                          "idempotency_key = ?2";
constexpr const char* kListEvents = "SELECT " GC_EVENT_COLUMNS
                                    " FROM session_events WHERE session_id = ?1 AND sequence > ?2 "
                                    "ORDER BY sequence LIMIT ?3";

constexpr const char* kListAllEvents = "SELECT " GC_EVENT_COLUMNS
                                       " FROM session_events WHERE sequence > ?1 "
                                       "ORDER BY sequence LIMIT ?2";

// The events of the sessions matching ?3 (device), ?4 (flow), ?5 (state): the scan walks the
// events from the cursor and looks each one's session up by its key.
constexpr const char* kListMatchingEvents =
    "SELECT " GC_EVENT_COLUMNS
    " FROM session_events JOIN deployment_sessions s ON s.id = session_id WHERE sequence > ?1 "
    "AND (?3 = '' OR s.device_id = ?3) AND (?4 = '' OR s.flow = ?4) "
    "AND (?5 = '' OR s.deployment_state = ?5) ORDER BY sequence LIMIT ?2";
constexpr const char* kLastSequence = "SELECT COALESCE(MAX(sequence), 0) FROM session_events";

#undef GC_SESSION_COLUMNS
#undef GC_EVENT_COLUMNS

void BindSession(Statement& s, const DeploymentSession& session) {
  s.Bind(1, session.id);
  s.Bind(2, session.device_id);
  s.Bind(3, session.flow);
  s.Bind(4, session.user_principal_name);
  s.Bind(5, session.deployment_state);
  s.Bind(6, Seconds(session.started_date_time));
  s.Bind(7, Seconds(session.finished_date_time));
}

DeploymentSession ReadSession(const Statement& row) {
  DeploymentSession session;
  session.id = row.Text(0);
  session.device_id = row.Text(1);
  session.flow = row.Text(2);
  session.user_principal_name = row.Text(3);
  session.deployment_state = row.Text(4);
  session.started_date_time = TimeAt(row, 5);
  session.finished_date_time = OptionalTimeAt(row, 6);
  return session;
}

SessionEvent ReadEvent(const Statement& row) {
  SessionEvent event;
  event.sequence = row.Int(0);
  event.session_id = row.Text(1);
  event.idempotency_key = row.Text(2);
  event.at = TimeAt(row, 3);
  event.kind = row.Text(4);
  event.detail = row.Text(5);
  return event;
}

Error NoSession(std::string_view id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no deployment session has id {}", id), "id");
}

// A page of events from `list` (which selects limit + 1 rows after the cursor), keyed by
// sequence.
Result<Page<SessionEvent>> ReadEventPage(Statement& list, int limit) {
  return ReadPage<SessionEvent>(
      list, limit, [](const Statement& row) { return ReadEvent(row); },
      [](const SessionEvent& item) { return std::to_string(item.sequence); });
}

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(ConnectionPool& pool) : pool_(pool) {}

  Status CreateSession(const DeploymentSession& session) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    // Checked first so that a missing device is kNotFound rather than a foreign-key failure.
    Result<bool> device = Exists(db, kDeviceExists, session.device_id);
    if (!device) return device.error();
    if (!*device) {
      return MakeError(
          ErrorCode::kNotFound,
          fmt::format("session {}: no device has id {}", session.id, session.device_id),
          "deviceId");
    }
    Result<Statement> insert = db.Prepare(kInsertSession);
    if (!insert) return insert.error();
    BindSession(*insert, session);
    if (Status s = insert->Run(); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("a deployment session with id {} already exists", session.id),
                         "id");
      }
      return s;
    }
    return transaction->Commit();
  }

  Status UpdateSession(const DeploymentSession& session) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> update = db.Prepare(kUpdateSession);
    if (!update) return update.error();
    update->Bind(1, session.id);
    update->Bind(2, session.deployment_state);
    update->Bind(3, Seconds(session.finished_date_time));
    if (Status s = update->Run(); !s) return s;
    if (db.changes() == 0) return NoSession(session.id);
    return transaction->Commit();
  }

  Result<DeploymentSession> GetSession(std::string_view id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectSession);
    if (!select) return select.error();
    select->Bind(1, id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return NoSession(id);
    return ReadSession(*select);
  }

  Result<Page<DeploymentSession>> ListSessions(const SessionFilter& filter,
                                               const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list =
        db.Prepare(filter.device_id.empty() ? kListSessions : kListDeviceSessions);
    if (!list) return list.error();
    list->Bind(1, page.after);
    if (!filter.device_id.empty()) list->Bind(2, filter.device_id);
    list->Bind(3, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    list->Bind(4, filter.flow);
    list->Bind(5, filter.deployment_state);
    Result<Page<DeploymentSession>> result = ReadPage<DeploymentSession>(
        *list, page.limit, [&](const Statement& row) { return ReadSession(row); },
        [](const DeploymentSession& item) { return item.id; });
    return result;
  }

  Result<SessionEvent> AppendEvent(const SessionEvent& event) override {
    if (event.idempotency_key.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "a session event needs an idempotency key (a resent event reuses it)",
                       "idempotencyKey");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<bool> session = Exists(db, kSessionExists, event.session_id);
    if (!session) return session.error();
    if (!*session) return NoSession(event.session_id);
    Result<std::optional<SessionEvent>> stored = FindEvent(db, event);
    if (!stored) return stored.error();
    if (*stored) return std::move(**stored);  // a resend: the first one stands
    Result<Statement> insert = db.Prepare(kInsertEvent);
    if (!insert) return insert.error();
    insert->Bind(1, event.session_id);
    insert->Bind(2, event.idempotency_key);
    insert->Bind(3, Seconds(event.at));
    insert->Bind(4, event.kind);
    insert->Bind(5, event.detail);
    if (Status s = insert->Run(); !s) return s.error();
    SessionEvent appended = event;
    appended.sequence = db.last_insert_rowid();
    if (Status s = transaction->Commit(); !s) return s.error();
    return appended;
  }

  Result<Page<SessionEvent>> ListEvents(std::string_view session_id,
                                        const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    // One read transaction, so that the existence check and the page agree.
    Result<Transaction> transaction = Transaction::Begin(db, Transaction::Mode::kRead);
    if (!transaction) return transaction.error();
    Result<bool> session = Exists(db, kSessionExists, session_id);
    if (!session) return session.error();
    if (!*session) return NoSession(session_id);
    Result<Statement> list = db.Prepare(kListEvents);
    if (!list) return list.error();
    list->Bind(1, session_id);
    list->Bind(2, *after);
    list->Bind(3, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    Result<Page<SessionEvent>> result = ReadEventPage(*list, page.limit);
    if (!result) return result.error();
    list->Reset();  // done reading before the transaction ends
    if (Status s = transaction->Commit(); !s) return s.error();
    return result;
  }

  Result<Page<SessionEvent>> ListAllEvents(const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list = db.Prepare(kListAllEvents);
    if (!list) return list.error();
    list->Bind(1, *after);
    list->Bind(2, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    return ReadEventPage(*list, page.limit);
  }

  Result<Page<SessionEvent>> ListMatchingEvents(const SessionFilter& filter,
                                                const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    // One read transaction, so that the highest sequence is the one the page was read at.
    Result<Transaction> transaction = Transaction::Begin(db, Transaction::Mode::kRead);
    if (!transaction) return transaction.error();
    Result<Statement> list = db.Prepare(kListMatchingEvents);
    if (!list) return list.error();
    list->Bind(1, *after);
    list->Bind(2, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    list->Bind(3, filter.device_id);
    list->Bind(4, filter.flow);
    list->Bind(5, filter.deployment_state);
    Result<Page<SessionEvent>> result = ReadEventPage(*list, page.limit);
    if (!result) return result.error();
    list->Reset();
    if (result->next_after.empty()) {  // the last page: read on from the highest sequence
      Result<Statement> last = db.Prepare(kLastSequence);
      if (!last) return last.error();
      Result<bool> row = last->Step();
      if (!row) return row.error();
      const int64_t highest = *row ? last->Int(0) : 0;
      if (highest > *after) result->next_after = std::to_string(highest);
      last->Reset();
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return result;
  }

  Result<int64_t> LastEventSequence() override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> last = lease.connection().Prepare(kLastSequence);
    if (!last) return last.error();
    Result<bool> row = last->Step();
    if (!row) return row.error();
    return *row ? last->Int(0) : int64_t{0};
  }

  Result<std::vector<DeploymentSession>> LatestSessions(
      std::span<const std::string> device_ids) override {
    if (device_ids.size() > static_cast<size_t>(kMaxPageSize)) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("at most {} devices at a time, not {}", kMaxPageSize, device_ids.size()),
          "deviceIds");
    }
    std::vector<DeploymentSession> latest;
    if (device_ids.empty()) return latest;
    // Placeholders in a power of two from 16 (padded with the first id again), so that each
    // connection compiles and keeps at most 7 texts of the statement.
    const size_t count = std::bit_ceil(std::max<size_t>(device_ids.size(), 16));
    std::string placeholders;
    for (size_t i = 1; i <= count; ++i) placeholders += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(fmt::format(fmt::runtime(kLatestSessions), placeholders));
    if (!select) return select.error();
    for (size_t i = 0; i < count; ++i) {
      select->Bind(static_cast<int>(i + 1), device_ids[i < device_ids.size() ? i : 0]);
    }
    for (;;) {
      Result<bool> row = select->Step();
      if (!row) return row.error();
      if (!*row) break;
      latest.push_back(ReadSession(*select));
    }
    return latest;
  }

 private:
  // REQUIRES: `db` is this call's connection.
  Result<bool> Exists(Connection& db, const char* sql, std::string_view id) {
    Result<Statement> select = db.Prepare(sql);
    if (!select) return select.error();
    select->Bind(1, id);
    return select->Step();
  }

  // REQUIRES: `db` is this call's connection.
  Result<std::optional<SessionEvent>> FindEvent(Connection& db, const SessionEvent& event) {
    Result<Statement> select = db.Prepare(kSelectEventByKey);
    if (!select) return select.error();
    select->Bind(1, event.session_id);
    select->Bind(2, event.idempotency_key);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<SessionEvent>();
    return std::optional<SessionEvent>(ReadEvent(*select));
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<SessionStore> MakeSessionStore(ConnectionPool& pool) {
  return std::make_unique<SqliteSessionStore>(pool);
}

}  // namespace groundcrew::store::sqlite::internal
