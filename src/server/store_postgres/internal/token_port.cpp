#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/token_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<TokenStore> MakeTokenStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
