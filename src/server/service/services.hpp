#pragma once

#include "server/service/admin_service.hpp"
#include "server/service/apply.hpp"
#include "server/service/catalog.hpp"
#include "server/service/catalog_service.hpp"
#include "server/service/content_store.hpp"
#include "server/service/context.hpp"
#include "server/service/deployment_service.hpp"
#include "server/service/device_service.hpp"
#include "server/service/device_trust_service.hpp"
#include "server/service/diagnostics_service.hpp"
#include "server/service/secrets.hpp"
#include "server/service/sign_in_service.hpp"
#include "server/service/token_service.hpp"
#include "server/store/store.hpp"

namespace groundcrew::service {

/// The settings of the identity use cases (and of the deployments devices run with them).
struct IdentityOptions {
  TokenOptions tokens;
  SignInOptions sign_in;
  DeviceTrustOptions trust;
  DeploymentOptions deployment;
};

/// `trust` with the nonce key of `secrets` (unless `trust` names one).
inline DeviceTrustOptions WithNonceKey(DeviceTrustOptions trust, const Secrets& secrets) {
  if (trust.nonce_key.empty()) trust.nonce_key = secrets.nonce_key;
  return trust;
}

/// Every use case of the service over one store, wired once by the daemon's main.
struct Services {
  /// `diagnostics_root`: where devices' diagnostics archives are kept (DataDir::diagnostics()).
  Services(store::Store& store_in, ContentStore content_in, std::filesystem::path diagnostics_root,
           Clock clock_in, Secrets secrets_in, SaveKeys save_keys = {},
           IdentityOptions options = {}, ReloadKeys reload_keys = {})
      : store(store_in),
        clock(std::move(clock_in)),
        secrets(std::move(secrets_in)),
        catalog(store),
        resources(store, catalog, content, clock),  // `content` is only bound here
        devices(store, catalog, clock),
        apply(store, catalog, devices, content, clock),  // `content` is only bound here
        content(std::move(content_in)),
        diagnostics(store, std::move(diagnostics_root), clock),
        tokens(store, clock, secrets.keys, std::move(save_keys), options.tokens,
               std::move(reload_keys)),
        trust(store, catalog, devices, tokens, secrets.ca, secrets.ca_certificate_pem, clock,
              WithNonceKey(options.trust, secrets)),
        sign_in(store, catalog, tokens, clock, options.sign_in),
        deployment(store, catalog, secrets.ca, secrets.ca_certificate_pem, clock,
                   options.deployment),
        admins(store, clock,
               AdminOptions{
                   .lockout = options.sign_in.lockout,
                   .password_cost = options.sign_in.password_cost,
                   .concurrent_password_hashes = options.sign_in.concurrent_password_hashes}) {}

  store::Store& store;
  Clock clock;
  Secrets secrets;  ///< the CA signs here; the key ring is copied into `tokens`
  Catalog catalog;
  CatalogService resources;
  DeviceService devices;
  ApplyService apply;
  ContentStore content;
  DiagnosticsService diagnostics;  ///< call Purge() at startup
  TokenService tokens;
  DeviceTrustService trust;
  SignInService sign_in;
  DeploymentService deployment;  ///< call StopWaiting() before stopping the HTTP server
  AdminService admins;           ///< admins as people and their console sessions
};

}  // namespace groundcrew::service
