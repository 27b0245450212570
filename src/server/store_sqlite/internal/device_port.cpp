#include <fmt/format.h>

#include "server/store_sqlite/internal/device_query_sql.hpp"
#include "server/store_sqlite/internal/ports.hpp"

namespace groundcrew::store::sqlite::internal {
namespace {

using core::AutopilotDeviceIdentity;

// Every statement is a named constant. Device columns, in this order.
#define GC_DEVICE_COLUMNS                                                                       \
  "id, serial_number, product_key, hardware_identifier, group_tag, purchase_order_identifier, " \
  "user_principal_name, addressable_user_name, display_name, manufacturer, model, "             \
  "azure_ad_device_id, managed_device_id, enrollment_state, profile_assignment_status, "        \
  "profile_assigned_at, last_contacted_at, created_at, version"

constexpr const char* kInsertDevice = "INSERT INTO autopilot_devices (" GC_DEVICE_COLUMNS
                                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                      "?12, ?13, ?14, ?15, ?16, ?17, ?18, 1)";
constexpr const char* kSelectDeviceById =
    "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE id = ?1";
constexpr const char* kSelectDeviceBySerial =
    "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE serial_number = ?1";
constexpr const char* kSelectDeviceByHash =
    "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE hardware_identifier = ?1";
constexpr const char* kUpdateDevice =
    "UPDATE autopilot_devices SET serial_number = ?2, product_key = ?3, hardware_identifier = ?4, "
    "group_tag = ?5, purchase_order_identifier = ?6, user_principal_name = ?7, "
    "addressable_user_name = ?8, display_name = ?9, manufacturer = ?10, model = ?11, "
    "azure_ad_device_id = ?12, managed_device_id = ?13, enrollment_state = ?14, "
    "profile_assignment_status = ?15, profile_assigned_at = ?16, last_contacted_at = ?17, "
    "created_at = ?18, version = version + 1 WHERE id = ?1 AND version = ?19";
constexpr const char* kDeleteDevice =
    "DELETE FROM autopilot_devices WHERE id = ?1 AND version = ?2";
constexpr const char* kDeviceVersion = "SELECT version FROM autopilot_devices WHERE id = ?1";
// SQLite uses no index through "(?2 = '' OR serial_number = ?2)": a filter by serial number
// (unique) names its column plainly, or finding one device would scan them all. The others page
// in id order and filter as they go.
#define GC_LIST_DEVICES(first)                                           \
  "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE " first     \
  " AND id > ?1 "                                                        \
  "AND (?2 = '' OR serial_number = ?2) AND (?3 = '' OR group_tag = ?3) " \
  "AND (?4 IS NULL OR enrollment_state = ?4) "                           \
  "AND (?6 = '' OR latest_deployment_state = ?6) ORDER BY id LIMIT ?5"
constexpr const char* kListDevices = GC_LIST_DEVICES("1");
constexpr const char* kListDevicesBySerial = GC_LIST_DEVICES("serial_number = ?2");
#undef GC_LIST_DEVICES

// The console's list (DeviceStore::Query): the columns above, then the deployment summary.
constexpr const char* kQueryDevicesSelect =
    "SELECT " GC_DEVICE_COLUMNS
    ", latest_deployment_state, latest_deployment_at, latest_flow FROM autopilot_devices WHERE 1";
#undef GC_DEVICE_COLUMNS

// The fragments of the list's statement, one per filter and order (Query puts together those a
// query needs; parameters ?1..?9 as BindQuery binds them). Every filter but the search and every
// order has an index that makes the page a keyset range scan (migration 10); docs/admin-api.md
// names the combinations that are not. A search is a prefix range on each of its four columns'
// indexes (a multi-index OR); the other terms then carry a unary + so that SQLite never prefers
// scanning an order's index for a search (a selective search would read the whole table): its
// matches are sorted, which costs what they number.
constexpr const char* kSearchTerm =
    " AND (serial_number >= ?1 AND serial_number < ?2 OR display_name COLLATE NOCASE >= ?1 AND "
    "display_name COLLATE NOCASE < ?2 OR user_principal_name >= ?1 AND user_principal_name < ?2 "
    "OR group_tag >= ?1 AND group_tag < ?2)";
constexpr const char* kSerialTerm = " AND {}serial_number = ?3";
constexpr const char* kGroupTagTerm = " AND {}group_tag = ?4";
constexpr const char* kEnrollmentTerm = " AND {}enrollment_state = ?5";
constexpr const char* kStateTerm = " AND {}latest_deployment_state = ?6";
// After the cursor: serial numbers are unique, so they alone order the list; names and times
// repeat and the id breaks ties (written as a range on the key and a filter on the tie, the form
// SQLite turns into an index range).
constexpr const char* kAfterSerial = " AND {0}serial_number {1} ?7";
constexpr const char* kAfterName =
    " AND {0}display_name COLLATE NOCASE {1}= ?7 AND ({0}display_name COLLATE NOCASE {1} ?7 OR "
    "id {1} ?8)";
constexpr const char* kAfterTime =
    " AND {0}latest_deployment_at {1}= ?7 AND ({0}latest_deployment_at {1} ?7 OR id {1} ?8)";
constexpr const char* kOrderSerial = " ORDER BY {0}serial_number {1} LIMIT ?9";
constexpr const char* kOrderName = " ORDER BY {0}display_name COLLATE NOCASE {1}, id {1} LIMIT ?9";
constexpr const char* kOrderTime = " ORDER BY {0}latest_deployment_at {1}, id {1} LIMIT ?9";

}  // namespace

// Its text depends only on which filters are set and the order, so a connection caches at most
// a few dozen of them.
std::string DeviceQueryStatement(const DeviceQuery& query) {
  const bool search = !query.search.empty();
  const std::string_view plus = search ? "+" : "";
  std::string sql = kQueryDevicesSelect;
  if (search) sql += kSearchTerm;
  // A serial number is unique: finding its device goes through the serial index whatever else.
  if (!query.serial_number.empty()) sql += fmt::format(fmt::runtime(kSerialTerm), "");
  if (!query.group_tag.empty()) sql += fmt::format(fmt::runtime(kGroupTagTerm), plus);
  if (query.enrollment_state) sql += fmt::format(fmt::runtime(kEnrollmentTerm), plus);
  if (!query.deployment_state.empty()) sql += fmt::format(fmt::runtime(kStateTerm), plus);
  const std::string_view comparison = query.descending ? "<" : ">";
  const std::string_view direction = query.descending ? "DESC" : "ASC";
  const char* after = kAfterSerial;
  const char* order = kOrderSerial;
  if (query.order_by == DeviceOrder::kDeviceName) {
    after = kAfterName;
    order = kOrderName;
  } else if (query.order_by == DeviceOrder::kLastDeploymentDateTime) {
    after = kAfterTime;
    order = kOrderTime;
  }
  if (!query.after.empty()) sql += fmt::format(fmt::runtime(after), plus, comparison);
  sql += fmt::format(fmt::runtime(order), plus, direction);
  return sql;
}

namespace {

void BindQuery(Statement& s, const DeviceQuery& query, const DeviceCursor& cursor) {
  // Every string that starts with the search (ASCII case-insensitively, as the columns compare)
  // lies in [search, search + 0xFF): no UTF-8 text holds the byte 0xFF.
  s.Bind(1, query.search);
  s.Bind(2, query.search + "\xff");
  s.Bind(3, query.serial_number);
  s.Bind(4, query.group_tag);
  s.Bind(5, query.enrollment_state
                ? std::optional<int64_t>(static_cast<int64_t>(*query.enrollment_state))
                : std::nullopt);
  s.Bind(6, query.deployment_state);
  if (query.order_by == DeviceOrder::kLastDeploymentDateTime) {
    s.Bind(7, cursor.time_key);
  } else {
    s.Bind(7, cursor.text_key);
  }
  s.Bind(8, cursor.id);
  s.Bind(9, static_cast<int64_t>(query.limit) + 1);  // one more tells whether a page follows
}

// Binds ?1..?18 (everything but the version).
void BindDevice(Statement& s, const AutopilotDeviceIdentity& d) {
  s.Bind(1, d.id.value());
  s.Bind(2, d.serial_number);
  s.Bind(3, d.product_key);
  s.BindBlob(4, d.hardware_identifier);
  s.Bind(5, d.group_tag);
  s.Bind(6, d.purchase_order_identifier);
  s.Bind(7, d.user_principal_name);
  s.Bind(8, d.addressable_user_name);
  s.Bind(9, d.display_name);
  s.Bind(10, d.manufacturer);
  s.Bind(11, d.model);
  s.Bind(12, d.azure_ad_device_id.value());
  s.Bind(13, d.managed_device_id);
  s.Bind(14, static_cast<int64_t>(d.enrollment_state));
  s.Bind(15, static_cast<int64_t>(d.deployment_profile_assignment_status));
  s.Bind(16, Seconds(d.deployment_profile_assigned_date_time));
  s.Bind(17, Seconds(d.last_contacted_date_time));
  s.Bind(18, Seconds(d.created_date_time));
}

DeviceRecord ReadDevice(const Statement& row);

DeviceRow ReadDeviceRow(const Statement& row) {
  DeviceRow out;
  out.device = ReadDevice(row);
  out.summary.deployment_state = row.Text(19);
  if (const int64_t at = row.Int(20); at != 0) {
    out.summary.last_deployment_date_time = core::Timestamp{std::chrono::seconds{at}};
  }
  out.summary.last_flow = row.Text(21);
  return out;
}

DeviceRecord ReadDevice(const Statement& row) {
  DeviceRecord record;
  AutopilotDeviceIdentity& d = record.value;
  d.id = core::ZtdId{row.Text(0)};
  d.serial_number = row.Text(1);
  d.product_key = row.Text(2);
  d.hardware_identifier = row.Blob(3);
  d.group_tag = row.Text(4);
  d.purchase_order_identifier = row.Text(5);
  d.user_principal_name = row.Text(6);
  d.addressable_user_name = row.Text(7);
  d.display_name = row.Text(8);
  d.manufacturer = row.Text(9);
  d.model = row.Text(10);
  d.azure_ad_device_id = core::DirectoryObjectId{row.Text(11)};
  d.managed_device_id = row.Text(12);
  d.enrollment_state = static_cast<core::EnrollmentState>(row.Int(13));
  d.deployment_profile_assignment_status = static_cast<core::ProfileAssignmentStatus>(row.Int(14));
  d.deployment_profile_assigned_date_time = OptionalTimeAt(row, 15);
  d.last_contacted_date_time = OptionalTimeAt(row, 16);
  d.created_date_time = TimeAt(row, 17);
  record.version = row.Int(18);
  return record;
}

// Names what a UNIQUE violation was about, from SQLite's "UNIQUE constraint failed: t.column".
Error Taken(const Error& error, const AutopilotDeviceIdentity& device) {
  std::string what = "registration id";
  if (error.message.find("serial_number") != std::string::npos) what = "serial number";
  if (error.message.find("hardware_identifier") != std::string::npos) what = "hardware hash";
  return MakeError(
      ErrorCode::kAlreadyExists,
      fmt::format("device {}: its {} is already registered", device.serial_number, what),
      what == "serial number"   ? "serialNumber"
      : what == "hardware hash" ? "hardwareIdentifier"
                                : "id");
}

class SqliteDeviceStore final : public DeviceStore {
 public:
  explicit SqliteDeviceStore(ConnectionPool& pool) : pool_(pool) {}

  Result<std::vector<DeviceRecord>> Insert(
      std::span<const AutopilotDeviceIdentity> devices) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> insert = db.Prepare(kInsertDevice);
    if (!insert) return insert.error();
    std::vector<DeviceRecord> stored;
    stored.reserve(devices.size());
    for (const AutopilotDeviceIdentity& device : devices) {
      insert->Reset();
      BindDevice(*insert, device);
      if (Status s = insert->Run(); !s) {
        if (s.error().code == ErrorCode::kAlreadyExists) return Taken(s.error(), device);
        return s.error();
      }
      stored.push_back(DeviceRecord{device, 1});
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return stored;
  }

  Result<DeviceRecord> Get(const core::ZtdId& id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<std::optional<DeviceRecord>> found = FindOne(db, kSelectDeviceById, id.value(), false);
    if (!found) return found.error();
    if (!*found) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", id.value()), "id");
    }
    return std::move(**found);
  }

  Result<std::optional<DeviceRecord>> FindBySerialNumber(std::string_view serial) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    return FindOne(db, kSelectDeviceBySerial, serial, false);
  }

  Result<std::optional<DeviceRecord>> FindByHardwareHash(std::string_view hash) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    return FindOne(db, kSelectDeviceByHash, hash, true);
  }

  Result<DeviceRecord> Update(const AutopilotDeviceIdentity& device,
                              int64_t expected_version) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> update = db.Prepare(kUpdateDevice);
    if (!update) return update.error();
    BindDevice(*update, device);
    update->Bind(19, expected_version);
    if (Status s = update->Run(); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) return Taken(s.error(), device);
      return s.error();
    }
    if (db.changes() == 0) return ConflictOrMissing(db, device.id);
    if (Status s = transaction->Commit(); !s) return s.error();
    return DeviceRecord{device, expected_version + 1};
  }

  Status Delete(const core::ZtdId& id, int64_t expected_version) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> remove = db.Prepare(kDeleteDevice);
    if (!remove) return remove.error();
    remove->Bind(1, id.value());
    remove->Bind(2, expected_version);
    if (Status s = remove->Run(); !s) return s;
    if (db.changes() == 0) return ConflictOrMissing(db, id);
    return transaction->Commit();
  }

  Result<Page<DeviceRecord>> List(const DeviceFilter& filter, const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list =
        db.Prepare(filter.serial_number.empty() ? kListDevices : kListDevicesBySerial);
    if (!list) return list.error();
    list->Bind(1, page.after);
    list->Bind(2, filter.serial_number);
    list->Bind(3, filter.group_tag);
    list->Bind(4, filter.enrollment_state
                      ? std::optional<int64_t>(static_cast<int64_t>(*filter.enrollment_state))
                      : std::nullopt);
    list->Bind(5, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    list->Bind(6, filter.deployment_state);
    Result<Page<DeviceRecord>> result = ReadPage<DeviceRecord>(
        *list, page.limit, [&](const Statement& row) { return ReadDevice(row); },
        [](const DeviceRecord& item) { return item.value.id.value(); });
    return result;
  }

  Result<Page<DeviceRow>> Query(const DeviceQuery& query) override {
    if (Status s = CheckDeviceQueryLimit(query); !s) return s.error();
    DeviceCursor cursor;
    if (!query.after.empty()) {
      Result<DeviceCursor> decoded = DecodeDeviceCursor(query);
      if (!decoded) return decoded.error();
      cursor = std::move(*decoded);
    }
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list = db.Prepare(DeviceQueryStatement(query));
    if (!list) return list.error();
    BindQuery(*list, query, cursor);
    return ReadPage<DeviceRow>(
        *list, query.limit, [](const Statement& row) { return ReadDeviceRow(row); },
        [&](const DeviceRow& row) { return EncodeDeviceCursor(query, row); });
  }

 private:
  // REQUIRES: `db` is this call's connection.
  Result<std::optional<DeviceRecord>> FindOne(Connection& db, const char* sql, std::string_view key,
                                              bool blob) {
    Result<Statement> select = db.Prepare(sql);
    if (!select) return select.error();
    if (blob) {
      select->BindBlob(1, key);
    } else {
      select->Bind(1, key);
    }
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<DeviceRecord>();
    return std::optional<DeviceRecord>(ReadDevice(*select));
  }

  // After an update or delete changed nothing: was the row changed by someone else, or deleted?
  // REQUIRES: `db` is this call's connection.
  Error ConflictOrMissing(Connection& db, const core::ZtdId& id) {
    Result<Statement> version = db.Prepare(kDeviceVersion);
    if (!version) return version.error();
    version->Bind(1, id.value());
    Result<bool> row = version->Step();
    if (!row) return row.error();
    if (!*row) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", id.value()), "id");
    }
    return MakeError(ErrorCode::kAborted,
                     fmt::format("device {} was changed by someone else (now version {}); read it "
                                 "again and retry",
                                 id.value(), version->Int(0)),
                     "version");
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<DeviceStore> MakeDeviceStore(ConnectionPool& pool) {
  return std::make_unique<SqliteDeviceStore>(pool);
}

}  // namespace groundcrew::store::sqlite::internal
