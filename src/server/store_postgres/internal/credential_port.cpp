#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/credential_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<CredentialStore> MakeCredentialStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
