#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

// What a .deb file says about itself (deb(5)): an ar archive whose first member is
// `debian-binary` ("2.x"), then `control.tar` (optionally .gz, .xz or .zst) holding the
// `control` file. Read with libarchive; only the control member is read, never the data.
// Shared by the CLI (files it uploads), groundcrewd (content a deb app names) and the agent
// (content it installs).
namespace groundcrew::debian_archive {

/// The fields of a .deb's control file that groundcrew uses.
struct DebControl {
  std::string package;       ///< a valid Debian package name
  std::string version;       ///< a valid Debian version (core::ParseDebianVersion)
  std::string architecture;  ///< "all", "amd64", ...
  std::string depends;       ///< as written ("" when the package has none)
};

/// The control fields of the .deb in `bytes`. kInvalidArgument with the reason when it is not a
/// Debian package ("not a Debian package: ..."), when its control file lacks Package, Version
/// or Architecture, or holds a malformed package name or version ("the control file's ...").
[[nodiscard]] Result<DebControl> ReadDebControl(std::string_view bytes);

/// ReadDebControl on the file at `path`, read as far as the control member only. kNotFound /
/// kUnavailable when the file cannot be opened; otherwise as ReadDebControl.
[[nodiscard]] Result<DebControl> ReadDebControlFile(const std::filesystem::path& path);

/// The Debian architecture this program was built for ("amd64", "arm64", "i386", "armhf",
/// "riscv64", "ppc64el", "s390x"; "unknown" for any other), from the compiler's target.
std::string_view BuildArchitecture();

/// Ok when a package built for `architecture` installs on a system whose dpkg architecture is
/// `native` with the foreign architectures `foreign` ("all" always does). kFailedPrecondition
/// otherwise: "the package is built for arm64; the device runs amd64 (a .deb must be built for
/// \"all\" or amd64)".
[[nodiscard]] Status CheckArchitecture(std::string_view architecture, std::string_view native,
                                       std::span<const std::string> foreign = {});

}  // namespace groundcrew::debian_archive
