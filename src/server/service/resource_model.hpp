#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <variant>

#include "common/result.hpp"
#include "core/model/tenant.hpp"
#include "server/store/resource_store.hpp"

// Catalog resources as model values: one variant over every kind, and the few operations the
// use cases need on any of them (decode, encode, name, identity, add to a tenant).
namespace groundcrew::service {

/// One catalog resource; the alternative's index is its store::ResourceKind.
using AnyResource =
    std::variant<core::TenantSettings, core::User, core::Group, core::DeploymentProfile,
                 core::EspProfile, core::App, core::Policy, core::CertificateProfile,
                 core::NetworkProfile, core::CompliancePolicy, core::Assignment>;

store::ResourceKind KindOf(const AnyResource& resource);

/// An assignment's payload kind as the API spells it: "app", "policy", "certificate",
/// "network", "compliance".
std::string_view PayloadKindName(core::PayloadKind kind);
/// The catalog kind holding payloads of `kind`.
store::ResourceKind KindOfPayload(core::PayloadKind kind);

/// The kind's model defaults (what a create starts from).
AnyResource DefaultResource(store::ResourceKind kind);

/// Applies the fields present in `json` (strict: unknown fields and bad values are
/// kInvalidArgument naming the field) onto `resource`.
[[nodiscard]] Status DecodeOnto(const boost::json::value& json, AnyResource& resource);

/// The resource's API JSON, Graph property names, with "id" and, where the kind has them,
/// times and "version".
boost::json::object Encode(const AnyResource& resource);

/// The body the store keeps: Encode() without the fields the store holds in columns ("id",
/// "createdDateTime", "lastModifiedDateTime", "version"), so that equal bodies mean equal
/// resources. Unlike the API JSON it holds secrets (a network profile's pre-shared key).
std::string StoredBody(const AnyResource& resource);

/// The unique name within the kind: userPrincipalName for users, displayName for most,
/// "tenant" for the settings, and for an assignment a key of payload and target (one
/// assignment per payload and target).
std::string NameOf(const AnyResource& resource);

std::string IdOf(const AnyResource& resource);
void SetId(AnyResource& resource, const std::string& id);

/// Copies the store's bookkeeping into the model: id, times and, for kinds that version their
/// content (ESP profiles, policies, certificate, network and compliance profiles), `version`,
/// which the user-flow delta compares.
void SetBookkeeping(AnyResource& resource, const store::ResourceRecord& record);

/// The resource a stored record holds (its body decoded, bookkeeping applied). kInternal when
/// the stored body no longer decodes.
[[nodiscard]] Result<AnyResource> Load(const store::ResourceRecord& record);

/// API JSON of a stored record: its body with the bookkeeping columns put back and secrets
/// replaced by whether they are set.
boost::json::object ToJson(const store::ResourceRecord& record);

/// Adds the resource to the vector of its kind (or replaces the settings).
void AddTo(core::Tenant& tenant, AnyResource resource);

}  // namespace groundcrew::service
