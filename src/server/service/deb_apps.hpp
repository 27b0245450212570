#pragma once

#include "common/result.hpp"
#include "core/model/payloads.hpp"
#include "server/service/content_store.hpp"

namespace groundcrew::service {

/// For a deb app (other kinds: Ok, unchanged): reads the control file of its content, a .deb
/// on the server, and sets `package_name` and `package_version` from it (they are the .deb's,
/// never the admin's). Devices are taken to run groundcrewd's own Debian architecture
/// (debian_archive::BuildArchitecture; the agent checks again with the device's dpkg).
/// kInvalidArgument whose field is "content" and whose message names the content's file name
/// and says why, when the content is not a Debian package (no ar signature, no debian-binary
/// 2.x, no control.tar.{gz,xz,zst}, no Package or Version or a malformed one) or is built for
/// an architecture devices cannot run; "packageName" / "packageVersion" when the app already
/// names a package or version other than the .deb's. kNotFound when the content is not on the
/// server (callers report that as they do for any app).
[[nodiscard]] Status ReadDebPackage(core::App& app, const ContentStore& content);

}  // namespace groundcrew::service
