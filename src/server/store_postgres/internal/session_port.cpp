#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/session_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<SessionStore> MakeSessionStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
