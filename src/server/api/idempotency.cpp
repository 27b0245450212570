#include "server/api/idempotency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "common/text.hpp"
#include "identity/sha256.hpp"
#include "server/http/error_mapping.hpp"

namespace groundcrew::api {
namespace {

constexpr std::size_t kMaxKeyLength = 255;
constexpr const char* kHeader = "Idempotency-Key";

Status CheckKey(std::string_view key) {
  const bool printable = std::all_of(key.begin(), key.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7E;
  });
  if (key.empty() || key.size() > kMaxKeyLength || !printable) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: must be 1 to {} printable ASCII characters, e.g. a UUID",
                                 kHeader, kMaxKeyLength),
                     kHeader);
  }
  return Ok{};
}

}  // namespace

server::Response Idempotent(service::Services& services, const service::Actor& actor,
                            const server::Request& request,
                            const std::function<server::Response()>& handler) {
  const std::string* key = request.headers.Find(kHeader);
  if (key == nullptr) return handler();
  if (Status s = CheckKey(*key); !s) return server::ErrorResponse(s.error());
  // Keys are per credential, told apart by name (unique, ASCII case-insensitively).
  const std::string credential = text::ToLowerAscii(actor.name);
  const std::string fingerprint =
      fmt::format("{} {} {}", request.method, request.target, identity::Sha256Hex(request.body));
  const core::Timestamp now = services.clock();
  server::Response out;
  bool wrote = false;
  Status done = services.store.Transact([&]() -> Status {
    auto found = services.store.idempotency().Find(credential, *key, now);
    if (!found) return found.error();
    if (*found) {
      if ((*found)->fingerprint != fingerprint) {
        out = server::ErrorResponse(
            422, MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("{}: already used for another request (a different "
                                       "method, path or body) in the last {} hours; use a "
                                       "new key for a new request",
                                       kHeader, kIdempotencyKeyLifetime.count()),
                           kHeader));
        return Ok{};
      }
      out.status = (*found)->status;
      out.content_type = (*found)->content_type;
      out.body = (*found)->body;
      out.headers.emplace_back("Idempotent-Replayed", "true");
      return Ok{};
    }
    out = handler();  // its use case's transaction joins this one
    if (out.status < 200 || out.status >= 300) return Ok{};
    wrote = true;
    if (auto swept = services.store.idempotency().DeleteExpired(now); !swept) {
      return swept.error();
    }
    return services.store.idempotency().Put({credential, *key, fingerprint, out.status,
                                             out.content_type, out.body, now,
                                             now + kIdempotencyKeyLifetime});
  });
  if (!done) {
    // The use case's write rolled back with the answer: what it published is not committed.
    if (wrote) services.catalog.Forget();
    return server::ErrorResponse(done.error());
  }
  return out;
}

server::Response NotIdempotent(const server::Request& request,
                               const std::function<server::Response()>& handler) {
  if (request.headers.Find(kHeader) != nullptr) {
    return server::ErrorResponse(MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: not accepted here: the answer holds a secret that is shown once and "
                    "never stored, so it cannot be answered again",
                    kHeader),
        kHeader));
  }
  return handler();
}

}  // namespace groundcrew::api
