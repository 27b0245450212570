#pragma once

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

namespace groundcrew::api {

/// Registers the device API of docs/device-api.md on `router`: what the agent calls during the
/// out-of-box flow. Two routes are open (a nonce, and the token that answers a signed nonce);
/// every other route needs a device token and reaches only the device it was issued to (another
/// device's id answers 404), except /v1/agent/me, which needs a user token. `services` must
/// outlive the router.
[[nodiscard]] Status AddDeviceApiRoutes(server::Router& router, service::Services& services);

}  // namespace groundcrew::api
