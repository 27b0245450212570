#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/inventory_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<InventoryStore> MakeInventoryStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
