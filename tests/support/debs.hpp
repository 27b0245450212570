#pragma once

#include <filesystem>
#include <map>
#include <string>

// Debian packages for tests, built with the machine's own `dpkg-deb --build`.
namespace groundcrew::test_support {

/// Builds `dir`/<file_name> from a package whose DEBIAN/control is `control` (a control
/// paragraph as it is, e.g. ControlText's; tests build broken ones too) and whose data is
/// `data_files` (path under the root -> text), compressed with `compression` (dpkg-deb -Z:
/// "gzip", "xz", "zstd", "none"; "" = its default). Fails the calling test (ADD_FAILURE) and
/// returns "" when dpkg-deb refuses.
std::filesystem::path BuildDeb(const std::filesystem::path& dir, const std::string& file_name,
                               const std::string& control,
                               const std::map<std::string, std::string>& data_files = {},
                               const std::string& compression = "");

/// A control paragraph with the given fields and a maintainer and description.
std::string ControlText(const std::string& package, const std::string& version,
                        const std::string& architecture, const std::string& depends = "");

}  // namespace groundcrew::test_support
