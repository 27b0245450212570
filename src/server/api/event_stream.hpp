#pragma once

#include "server/http/http_types.hpp"
#include "server/service/services.hpp"

// The live feed of deployment events (docs/admin-api.md, "Live events"): Server-Sent Events
// that the HTTP server writes as devices report them.
namespace groundcrew::api {

/// GET /v1/deploymentEvents/stream for a caller already authenticated: every device's events
/// (or, with ?deviceId=, that device's) as Server-Sent Events "id: <sequence>", "event:
/// deployment", "data: <the event as GET /v1/deploymentEvents gives it>", from after the
/// Last-Event-ID header's sequence (else ?after=, else the newest event stored: only what comes
/// next). Woken by DeploymentService::SubscribeToEvents, so events arrive as they are stored.
/// The stream ends after kEventStreamLifetime (the browser reconnects with Last-Event-ID and is
/// authenticated again). Errors: 400 for a cursor that is not a sequence (field
/// "Last-Event-ID" or "after") or an empty deviceId; 404 (field "deviceId") for a device that
/// is not registered. `services` must outlive the response.
[[nodiscard]] server::Response DeploymentEventStream(service::Services& services,
                                                     const server::Request& request);

}  // namespace groundcrew::api
