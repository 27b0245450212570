#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/idempotency_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<IdempotencyStore> MakeIdempotencyStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
