#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// DeviceTrustStore on PostgreSQL: one row of device_trust (schema_identity.cpp) per registered
// device once it joins, going with its device (a foreign key to autopilot_devices, ON DELETE
// CASCADE). Each write names the version it read (optimistic concurrency): a changed row is
// kAborted.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_DEVICE_TRUST_COLUMNS                                                               \
  "device_id, directory_device_id, trust_type, display_name, joined_at, certificate_serial, " \
  "certificate_expires_at, enrolled_at, resealed_at, primary_user_id, updated_at, version"

constexpr const char* kSelectDeviceTrust =
    "SELECT " GC_DEVICE_TRUST_COLUMNS " FROM device_trust WHERE device_id = $1";
// A device that already has its trust inserts nothing (changes() == 0).
constexpr const char* kInsertDeviceTrust =
    "INSERT INTO device_trust (" GC_DEVICE_TRUST_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1) ON CONFLICT DO NOTHING";
constexpr const char* kUpdateDeviceTrust =
    "UPDATE device_trust SET directory_device_id = $2, trust_type = $3, display_name = $4, "
    "joined_at = $5, certificate_serial = $6, certificate_expires_at = $7, enrolled_at = $8, "
    "resealed_at = $9, primary_user_id = $10, updated_at = $11, version = version + 1 "
    "WHERE device_id = $1 AND version = $12";
constexpr const char* kDeviceTrustVersion = "SELECT version FROM device_trust WHERE device_id = $1";
constexpr const char* kDeleteDeviceTrust = "DELETE FROM device_trust WHERE device_id = $1";
constexpr const char* kDeviceExists = "SELECT 1 FROM autopilot_devices WHERE id = $1";

#undef GC_DEVICE_TRUST_COLUMNS

// Binds $1..$11 (everything but the version). The trust type is stored as its enumerator's
// value, like autopilot_devices.enrollment_state.
void BindTrust(Statement& s, const DeviceTrust& t) {
  s.Bind(1, t.device_id);
  s.Bind(2, t.directory_device_id);
  s.Bind(3, static_cast<int64_t>(t.trust_type));
  s.Bind(4, t.display_name);
  s.Bind(5, Seconds(t.joined_date_time));
  s.Bind(6, t.certificate_serial);
  s.Bind(7, Seconds(t.certificate_expiration_date_time));
  s.Bind(8, Seconds(t.enrolled_date_time));
  s.Bind(9, Seconds(t.resealed_date_time));
  s.Bind(10, t.primary_user_id);
  s.Bind(11, Seconds(t.updated_date_time));
}

DeviceTrustRecord ReadTrust(const Statement& row) {
  DeviceTrustRecord record;
  DeviceTrust& t = record.value;
  t.device_id = row.Text(0);
  t.directory_device_id = row.Text(1);
  t.trust_type = static_cast<core::TrustType>(row.Int(2));
  t.display_name = row.Text(3);
  t.joined_date_time = OptionalTimeAt(row, 4);
  t.certificate_serial = row.Text(5);
  t.certificate_expiration_date_time = OptionalTimeAt(row, 6);
  t.enrolled_date_time = OptionalTimeAt(row, 7);
  t.resealed_date_time = OptionalTimeAt(row, 8);
  t.primary_user_id = row.Text(9);
  t.updated_date_time = TimeAt(row, 10);
  record.version = row.Int(11);
  return record;
}

Error NoDevice(std::string_view device_id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", device_id), "deviceId");
}

class PostgresDeviceTrustStore final : public DeviceTrustStore {
 public:
  explicit PostgresDeviceTrustStore(ConnectionPool& pool) : pool_(pool) {}

  Result<std::optional<DeviceTrustRecord>> Find(std::string_view device_id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectDeviceTrust);
    if (!select) return select.error();
    select->Bind(1, device_id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<DeviceTrustRecord>();
    return std::optional<DeviceTrustRecord>(ReadTrust(*select));
  }

  Result<DeviceTrustRecord> Put(const DeviceTrust& trust,
                                std::optional<int64_t> expected_version) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    // Checked first so that a missing device is kNotFound rather than a foreign-key failure
    // (the write lock keeps the device from going before the commit).
    Result<bool> device = DeviceExists(db, trust.device_id);
    if (!device) return device.error();
    if (!*device) return NoDevice(trust.device_id);
    Result<Statement> write =
        db.Prepare(expected_version ? kUpdateDeviceTrust : kInsertDeviceTrust);
    if (!write) return write.error();
    BindTrust(*write, trust);
    if (expected_version) write->Bind(12, *expected_version);
    if (Status s = write->Run(); !s) return s.error();
    if (db.changes() == 0) {
      if (!expected_version) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("device {} already has its trust", trust.device_id),
                         "deviceId");
      }
      return ConflictOrMissing(db, trust.device_id, *expected_version);
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return DeviceTrustRecord{trust, expected_version ? *expected_version + 1 : 1};
  }

  Status Delete(std::string_view device_id) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Statement> remove = db.Prepare(kDeleteDeviceTrust);
    if (!remove) return remove.error();
    remove->Bind(1, device_id);
    return remove->Run();
  }

 private:
  // REQUIRES: `db` is this call's connection.
  Result<bool> DeviceExists(Connection& db, std::string_view device_id) {
    Result<Statement> select = db.Prepare(kDeviceExists);
    if (!select) return select.error();
    select->Bind(1, device_id);
    return select->Step();
  }

  // After an update changed nothing. REQUIRES: `db` is this call's connection.
  Error ConflictOrMissing(Connection& db, const std::string& device_id, int64_t expected_version) {
    Result<Statement> version = db.Prepare(kDeviceTrustVersion);
    if (!version) return version.error();
    version->Bind(1, device_id);
    Result<bool> row = version->Step();
    if (!row) return row.error();
    if (!*row) {
      return MakeError(ErrorCode::kNotFound, fmt::format("device {} has no trust", device_id),
                       "deviceId");
    }
    return MakeError(ErrorCode::kAborted,
                     fmt::format("the trust of device {} changed (version {}, not {}); read it "
                                 "again and retry",
                                 device_id, version->Int(0), expected_version),
                     "version");
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<DeviceTrustStore> MakeDeviceTrustStore(ConnectionPool& pool) {
  return std::make_unique<PostgresDeviceTrustStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal
