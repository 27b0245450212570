#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cli/yaml_json.hpp"
#include "common/result.hpp"

// Declarative tenant files (docs/admin-api.md "Declarative tenants"): reading the YAML and
// resolving its file references before the document is posted to /v1/apply.
namespace groundcrew::cli {

/// One app content file to upload before the document refers to it by hash.
struct ContentFile {
  std::string path;       ///< as resolved (relative to the YAML file's directory)
  std::string file_name;  ///< the last path component
  std::string sha256;     ///< lower-case hex of `bytes`
  std::uint64_t size = 0;
  const std::string* bytes = nullptr;  ///< valid during the upload call only
};

/// Makes `file` available on the server (PUT /v1/content/{sha256}); the apply command's real
/// one talks HTTP, tests pass fakes.
using Uploader = std::function<Status(const ContentFile& file)>;

/// Resolves the file references in a tenant document, in place:
/// - every `apps[i].content` of the form {"file": PATH} becomes {"fileName", "sha256", "size"}
///   after `upload` succeeded for it (each distinct content is uploaded once);
///   content already given as {"fileName", "sha256", "size"} is left alone; the file of an app
///   whose `kind` is "deb" must be a Debian package (debian_archive::ReadDebControl), else
///   kInvalidArgument "PATH: not a Debian package: ..." (or the control file's fault);
/// - `devices: {"csv": PATH}` becomes {"csvText": "<the file's text>"} (UTF-16 with a byte
///   order mark is converted to UTF-8; other text must be UTF-8).
/// Relative paths are relative to `base_dir` ("" = the working directory).
/// Errors name the property (field "apps[2].content.file", "devices.csv") and stop at the first;
/// an upload's error is returned as it is.
[[nodiscard]] Status ResolveFileReferences(boost::json::value& document,
                                           const std::string& base_dir, const Uploader& upload);

/// Reads the YAML file at `path`, converts it to JSON (YamlToJson), checks that it is a mapping
/// and resolves its file references relative to the file's directory. With `marks`, also says
/// where each value of the document is in the file.
[[nodiscard]] Result<boost::json::value> LoadTenantFile(const std::string& path,
                                                        const Uploader& upload,
                                                        YamlMarks* marks = nullptr);

/// Where in the file the value a server path names is ("apps[Company Portal].dependencies[0]
/// .app": a section's entry by its name, or by index), from the marks LoadTenantFile recorded:
/// the deepest value of the path that `document` has (the entry when its property is missing).
/// nullopt when not even the first step is in the document.
std::optional<YamlMark> LocateField(const boost::json::value& document, const YamlMarks& marks,
                                    std::string_view path);

}  // namespace groundcrew::cli
