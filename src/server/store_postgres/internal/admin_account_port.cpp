#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/admin_account_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<AdminAccountStore> MakeAdminAccountStore(ConnectionPool&) { return nullptr; }

std::unique_ptr<ConsoleSessionStore> MakeConsoleSessionStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
