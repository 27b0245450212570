#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/device_trust_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<DeviceTrustStore> MakeDeviceTrustStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
