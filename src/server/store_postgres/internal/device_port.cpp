#include "server/store_postgres/internal/ports.hpp"

// STUB: to be ported from store_sqlite/internal/device_port.cpp.
namespace groundcrew::store::postgres::internal {

std::unique_ptr<DeviceStore> MakeDeviceStore(ConnectionPool&) { return nullptr; }

}  // namespace groundcrew::store::postgres::internal
