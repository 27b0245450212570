#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/user_credential_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<UserCredentialStore> MakeUserCredentialStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
