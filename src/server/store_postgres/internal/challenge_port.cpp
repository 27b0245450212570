#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/challenge_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<ChallengeStore> MakeChallengeStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
