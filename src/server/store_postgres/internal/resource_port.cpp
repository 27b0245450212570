#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/resource_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<ResourceStore> MakeResourceStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
