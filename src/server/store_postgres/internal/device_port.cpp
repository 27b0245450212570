#include <fmt/format.h>

#include <string>
#include <vector>

#include "server/store_postgres/internal/ports.hpp"

// DeviceStore on PostgreSQL: one row of autopilot_devices per registration (schema_catalog.cpp),
// versioned for compare-and-swap updates, with the summary of its latest deployment that the
// session port keeps. Serial numbers (gc_nocase) and hardware hashes (bytea) are unique. List
// pages in id order; Query is the console's list: each page one keyset range scan of an index
// (a search: the prefix ranges' matches, sorted).
namespace groundcrew::store::postgres::internal {
namespace {

using core::AutopilotDeviceIdentity;

// Every statement is a named constant. Device columns, in this order.
#define GC_DEVICE_COLUMNS                                                                       \
  "id, serial_number, product_key, hardware_identifier, group_tag, purchase_order_identifier, " \
  "user_principal_name, addressable_user_name, display_name, manufacturer, model, "             \
  "azure_ad_device_id, managed_device_id, enrollment_state, profile_assignment_status, "        \
  "profile_assigned_at, last_contacted_at, created_at, version"

// A clash on a unique key inserts nothing (rather than failing the transaction), so that Taken
// can then look which key it was.
constexpr const char* kInsertDevice =
    "INSERT INTO autopilot_devices (" GC_DEVICE_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
    "$12, $13, $14, $15, $16, $17, $18, 1) ON CONFLICT DO NOTHING";
constexpr const char* kSelectDeviceById =
    "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE id = $1";
constexpr const char* kSelectDeviceBySerial =
    "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE serial_number = $1";
constexpr const char* kSelectDeviceByHash =
    "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE hardware_identifier = $1";
constexpr const char* kUpdateDevice =
    "UPDATE autopilot_devices SET serial_number = $2, product_key = $3, hardware_identifier = $4, "
    "group_tag = $5, purchase_order_identifier = $6, user_principal_name = $7, "
    "addressable_user_name = $8, display_name = $9, manufacturer = $10, model = $11, "
    "azure_ad_device_id = $12, managed_device_id = $13, enrollment_state = $14, "
    "profile_assignment_status = $15, profile_assigned_at = $16, last_contacted_at = $17, "
    "created_at = $18, version = version + 1 WHERE id = $1 AND version = $19";
constexpr const char* kDeleteDevice =
    "DELETE FROM autopilot_devices WHERE id = $1 AND version = $2";
constexpr const char* kDeviceVersion = "SELECT version FROM autopilot_devices WHERE id = $1";
// Which unique key a device clashes with, by another row (id, serial number, hardware hash).
// The device's own row (an update's) holds its keys too: it counts only for the id.
constexpr const char* kDeviceClash =
    "SELECT coalesce(bool_or(id = $1), false), "
    "coalesce(bool_or(id <> $1 AND serial_number = $2), false), "
    "coalesce(bool_or(id <> $1 AND hardware_identifier = $3), false) "
    "FROM autopilot_devices WHERE id = $1 OR serial_number = $2 OR hardware_identifier = $3";
// A filter by serial number (unique) names its column plainly so that a generic plan still
// finds the one device through its index; the others page in id order and filter as they go.
#define GC_LIST_DEVICES(first)                                                       \
  "SELECT " GC_DEVICE_COLUMNS " FROM autopilot_devices WHERE " first                 \
  " AND id > $1 "                                                                    \
  "AND ($2::text = '' OR serial_number = $2) AND ($3::text = '' OR group_tag = $3) " \
  "AND ($4::bigint IS NULL OR enrollment_state = $4) "                               \
  "AND ($6::text = '' OR latest_deployment_state = $6) ORDER BY id LIMIT $5"
constexpr const char* kListDevices = GC_LIST_DEVICES("TRUE");
constexpr const char* kListDevicesBySerial = GC_LIST_DEVICES("serial_number = $2");
#undef GC_LIST_DEVICES

// The console's list (DeviceStore::Query): the columns above, then the deployment summary.
constexpr const char* kQueryColumns =
    GC_DEVICE_COLUMNS ", latest_deployment_state, latest_deployment_at, latest_flow";
#undef GC_DEVICE_COLUMNS

// The fragments of the list's statement, one per filter and order; BuildDeviceQuery puts together
// those a query needs, numbering the parameters in the order they appear (PostgreSQL infers
// each one's type from its use, so none may be left unused). Every filter but the search and
// every order has an index that makes the page a keyset range scan (schema_catalog.cpp).
//
// A search is a prefix range on each of its four columns' indexes (a BitmapOr); its matches,
// with the other filters, are collected first (a MATERIALIZED CTE: the planner may not walk an
// order's index instead, which for a selective search would read the whole table) and then
// sorted, which costs what they number.
constexpr const char* kSearchTerm =
    " AND (serial_number >= {0} AND serial_number < {1} OR display_name COLLATE gc_nocase >= {0} "
    "AND display_name COLLATE gc_nocase < {1} OR user_principal_name >= {0} AND "
    "user_principal_name < {1} OR group_tag >= {0} AND group_tag < {1})";
// After the cursor: serial numbers are unique, so they alone order the list; names and times
// repeat and the id breaks ties (a row comparison, which a btree scan starts from).
constexpr const char* kAfterSerial = " AND serial_number {0} {1}";
constexpr const char* kAfterName = " AND (display_name COLLATE gc_nocase, id) {0} ({1}::text, {2})";
constexpr const char* kAfterTime = " AND (latest_deployment_at, id) {0} ({1}::bigint, {2})";
constexpr const char* kOrderSerial = " ORDER BY serial_number {0} LIMIT {1}";
constexpr const char* kOrderName = " ORDER BY display_name COLLATE gc_nocase {0}, id {0} LIMIT {1}";
constexpr const char* kOrderTime = " ORDER BY latest_deployment_at {0}, id {0} LIMIT {1}";

// The statement of one page of the console's list and its parameters' values, in order, as the
// text they are sent as (integers in decimal).
struct DeviceQuerySql {
  std::string sql;
  std::vector<std::string> values;

  // The placeholder of a new parameter bound to `value`.
  std::string Parameter(std::string value) {
    values.push_back(std::move(value));
    return fmt::format("${}", values.size());
  }
  std::string Parameter(int64_t value) { return Parameter(std::to_string(value)); }
};

// Its text depends only on which filters are set, the order, the direction and whether a cursor
// is given, so a connection prepares at most a few dozen of them.
DeviceQuerySql BuildDeviceQuery(const DeviceQuery& query, const DeviceCursor& cursor) {
  DeviceQuerySql out;
  std::string where;
  if (!query.search.empty()) {
    // Every string that starts with the search (as gc_nocase compares) lies in
    // [search, search + U+FFFF): ICU gives U+FFFF a primary weight above every character's.
    const std::string low = out.Parameter(query.search);
    const std::string high = out.Parameter(query.search + "\xEF\xBF\xBF");
    where += fmt::format(fmt::runtime(kSearchTerm), low, high);
  }
  if (!query.serial_number.empty()) {
    where += " AND serial_number = " + out.Parameter(query.serial_number);
  }
  if (!query.group_tag.empty()) where += " AND group_tag = " + out.Parameter(query.group_tag);
  if (query.enrollment_state) {
    where +=
        " AND enrollment_state = " + out.Parameter(static_cast<int64_t>(*query.enrollment_state));
  }
  if (!query.deployment_state.empty()) {
    where += " AND latest_deployment_state = " + out.Parameter(query.deployment_state);
  }

  const std::string_view comparison = query.descending ? "<" : ">";
  const std::string_view direction = query.descending ? "DESC" : "ASC";
  std::string after;
  const char* order = kOrderSerial;
  if (query.order_by == DeviceOrder::kDeviceName) order = kOrderName;
  if (query.order_by == DeviceOrder::kLastDeploymentDateTime) order = kOrderTime;
  if (!query.after.empty()) {
    if (query.order_by == DeviceOrder::kSerialNumber) {
      after = fmt::format(fmt::runtime(kAfterSerial), comparison, out.Parameter(cursor.text_key));
    } else if (query.order_by == DeviceOrder::kDeviceName) {
      const std::string key = out.Parameter(cursor.text_key);
      after = fmt::format(fmt::runtime(kAfterName), comparison, key, out.Parameter(cursor.id));
    } else {
      const std::string key = out.Parameter(cursor.time_key);
      after = fmt::format(fmt::runtime(kAfterTime), comparison, key, out.Parameter(cursor.id));
    }
  }
  // One more row than the page tells whether a page follows.
  const std::string limit = out.Parameter(static_cast<int64_t>(query.limit) + 1);
  const std::string ordered = fmt::format(fmt::runtime(order), direction, limit);

  if (query.search.empty()) {
    out.sql = fmt::format("SELECT {} FROM autopilot_devices WHERE TRUE{}{}{}", kQueryColumns, where,
                          after, ordered);
  } else {
    out.sql = fmt::format(
        "WITH matches AS MATERIALIZED (SELECT {} FROM autopilot_devices WHERE TRUE{}) "
        "SELECT * FROM matches WHERE TRUE{}{}",
        kQueryColumns, where, after, ordered);
  }
  return out;
}

void Bind(Statement& s, const DeviceQuerySql& query) {
  for (size_t i = 0; i < query.values.size(); ++i) s.Bind(static_cast<int>(i) + 1, query.values[i]);
}

}  // namespace

// The text of DeviceStore::Query's statement for `query` (its filters, order, direction and
// whether it has a cursor), for a test of its plans.
std::string DeviceQueryStatement(const DeviceQuery& query) {
  return BuildDeviceQuery(query, DeviceCursor{}).sql;
}

namespace {

// Binds $1..$18 (everything but the version).
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

class PostgresDeviceStore final : public DeviceStore {
 public:
  explicit PostgresDeviceStore(ConnectionPool& pool) : pool_(pool) {}

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
      if (Status s = insert->Run(); !s) return s.error();
      if (db.changes() == 0) return Taken(db, device, /*updating=*/false);
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
    if (Status s = UpdateInSavepoint(db, device, expected_version); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) return Taken(db, device, true);
      return s.error();
    }
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
    const DeviceQuerySql statement = BuildDeviceQuery(query, cursor);
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list = db.Prepare(statement.sql);
    if (!list) return list.error();
    Bind(*list, statement);
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

  // Runs the UPDATE in a savepoint of its own, rolled back when it fails, so that after a unique
  // violation the transaction can still query which key clashed. REQUIRES: `db` is the writer,
  // held by this thread, in a transaction.
  Status UpdateInSavepoint(Connection& db, const AutopilotDeviceIdentity& device,
                           int64_t expected_version) {
    Result<Transaction> savepoint = Transaction::Begin(db);
    if (!savepoint) return savepoint.error();
    Result<Statement> update = db.Prepare(kUpdateDevice);
    if (!update) return update.error();
    BindDevice(*update, device);
    update->Bind(19, expected_version);
    if (Status s = update->Run(); !s) return s;
    if (db.changes() == 0) return ConflictOrMissing(db, device.id);
    return savepoint->Commit();
  }

  // After `device` was refused for a unique key (an insert that inserted nothing, an update
  // rolled back), names the key another row holds: the id, else the serial number, else the
  // hash. An update keeps its id, so for one only the others can clash. REQUIRES: `db` is this
  // call's connection.
  Error Taken(Connection& db, const AutopilotDeviceIdentity& device, bool updating) {
    Result<Statement> clash = db.Prepare(kDeviceClash);
    if (!clash) return clash.error();
    clash->Bind(1, device.id.value());
    clash->Bind(2, device.serial_number);
    clash->BindBlob(3, device.hardware_identifier);
    Result<bool> row = clash->Step();
    if (!row) return row.error();
    std::string_view what = "hardware hash";
    std::string_view field = "hardwareIdentifier";
    if (*row && !updating && clash->Int(0) == 1) {
      what = "registration id";
      field = "id";
    } else if (*row && clash->Int(1) == 1) {
      what = "serial number";
      field = "serialNumber";
    }
    return MakeError(
        ErrorCode::kAlreadyExists,
        fmt::format("device {}: its {} is already registered", device.serial_number, what),
        std::string(field));
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
  return std::make_unique<PostgresDeviceStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal
