#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// InventoryStore on PostgreSQL: the latest inventory each registered device reported, one row of
// reported_inventories per device (going with the device) and its items in
// reported_inventory_items by position (going with their inventory). A new report replaces the
// old one whole.
namespace groundcrew::store::postgres::internal {
namespace {

constexpr const char* kSelectInventory =
    "SELECT flow, session_id, reported_at FROM reported_inventories WHERE device_id = $1";
constexpr const char* kSelectItems =
    "SELECT kind, item_id, version, outcome FROM reported_inventory_items WHERE device_id = $1 "
    "ORDER BY position";
constexpr const char* kDeleteInventory = "DELETE FROM reported_inventories WHERE device_id = $1";
constexpr const char* kInsertInventory =
    "INSERT INTO reported_inventories (device_id, flow, session_id, reported_at) "
    "VALUES ($1, $2, $3, $4)";
constexpr const char* kInsertItem =
    "INSERT INTO reported_inventory_items (device_id, position, kind, item_id, version, outcome) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr const char* kDeviceExists = "SELECT 1 FROM autopilot_devices WHERE id = $1";

// A stored name no release writes: the database was changed by something else.
Error Corrupt(std::string_view device_id, std::string_view column, std::string_view value) {
  return MakeError(
      ErrorCode::kInternal,
      fmt::format("the inventory of device {} has an unknown {} \"{}\"", device_id, column, value));
}

class PostgresInventoryStore final : public InventoryStore {
 public:
  explicit PostgresInventoryStore(ConnectionPool& pool) : pool_(pool) {}

  Result<std::optional<core::ReportedInventory>> Find(std::string_view device_id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    // One snapshot for the inventory and its items.
    Result<Transaction> transaction = Transaction::Begin(db, Transaction::Mode::kRead);
    if (!transaction) return transaction.error();
    Result<Statement> select = db.Prepare(kSelectInventory);
    if (!select) return select.error();
    select->Bind(1, device_id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<core::ReportedInventory>();
    core::ReportedInventory inventory;
    const std::string flow = select->Text(0);
    if (flow != core::ToString(core::Flow::kTechnician) &&
        flow != core::ToString(core::Flow::kUser)) {
      return Corrupt(device_id, "flow", flow);
    }
    inventory.flow =
        flow == core::ToString(core::Flow::kUser) ? core::Flow::kUser : core::Flow::kTechnician;
    inventory.session_id = select->Text(1);
    inventory.reported_date_time = TimeAt(*select, 2);

    Result<Statement> items = db.Prepare(kSelectItems);
    if (!items) return items.error();
    items->Bind(1, device_id);
    for (;;) {
      Result<bool> item = items->Step();
      if (!item) return item.error();
      if (!*item) break;
      const std::string kind = items->Text(0);
      const std::string outcome = items->Text(3);
      const std::optional<core::ItemKind> parsed_kind = core::ItemKindFromString(kind);
      if (!parsed_kind) return Corrupt(device_id, "kind", kind);
      const std::optional<core::ItemOutcome> parsed_outcome = core::ItemOutcomeFromString(outcome);
      if (!parsed_outcome) return Corrupt(device_id, "outcome", outcome);
      inventory.items.push_back({*parsed_kind, items->Text(1), items->Text(2), *parsed_outcome});
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return std::optional<core::ReportedInventory>(std::move(inventory));
  }

  Status Put(std::string_view device_id, const core::ReportedInventory& inventory) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    // Checked first so that a missing device is kNotFound rather than a foreign-key failure.
    Result<Statement> exists = db.Prepare(kDeviceExists);
    if (!exists) return exists.error();
    exists->Bind(1, device_id);
    Result<bool> device = exists->Step();
    if (!device) return device.error();
    if (!*device) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", device_id),
                       "deviceId");
    }
    // The old inventory and, by cascade, its items.
    GC_RETURN_IF_ERROR(Remove(db, device_id));
    Result<Statement> insert = db.Prepare(kInsertInventory);
    if (!insert) return insert.error();
    insert->Bind(1, device_id);
    insert->Bind(2, core::ToString(inventory.flow));
    insert->Bind(3, inventory.session_id);
    insert->Bind(4, Seconds(inventory.reported_date_time));
    GC_RETURN_IF_ERROR(insert->Run());
    Result<Statement> item = db.Prepare(kInsertItem);
    if (!item) return item.error();
    for (size_t i = 0; i < inventory.items.size(); ++i) {
      const core::InstalledItem& installed = inventory.items[i];
      item->Reset();
      item->Bind(1, device_id);
      item->Bind(2, static_cast<int64_t>(i));
      item->Bind(3, core::ToString(installed.kind));
      item->Bind(4, installed.id);
      item->Bind(5, installed.version);
      item->Bind(6, core::ToString(installed.outcome));
      GC_RETURN_IF_ERROR(item->Run());
    }
    return transaction->Commit();
  }

  Status Delete(std::string_view device_id) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    GC_RETURN_IF_ERROR(Remove(db, device_id));
    return transaction->Commit();
  }

 private:
  // REQUIRES: `db` is this call's connection, holding the writer.
  static Status Remove(Connection& db, std::string_view device_id) {
    Result<Statement> remove = db.Prepare(kDeleteInventory);
    if (!remove) return remove.error();
    remove->Bind(1, device_id);
    return remove->Run();
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<InventoryStore> MakeInventoryStore(ConnectionPool& pool) {
  return std::make_unique<PostgresInventoryStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal
