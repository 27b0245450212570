#include "tests/support/debs.hpp"

#include <gtest/gtest.h>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace groundcrew::test_support {

std::filesystem::path BuildDeb(const std::filesystem::path& dir, const std::string& file_name,
                               const std::string& control,
                               const std::map<std::string, std::string>& data_files,
                               const std::string& compression) {
  const std::filesystem::path tree = dir / (file_name + ".tree");
  std::filesystem::remove_all(tree);
  WriteText(tree / "DEBIAN/control", control);
  for (const auto& [path, text] : data_files) WriteText(tree / path, text);
  const std::filesystem::path out = dir / file_name;
  // --nocheck: the broken packages tests need (no Version, ...) are built as they are.
  std::vector<std::string> argv = {"/usr/bin/dpkg-deb", "--root-owner-group", "--nocheck"};
  if (!compression.empty()) argv.push_back("-Z" + compression);
  argv.insert(argv.end(), {"--build", tree.string(), out.string()});
  const CommandResult built = RunCommand(argv);
  std::filesystem::remove_all(tree);
  if (built.exit_code != 0) {
    ADD_FAILURE() << "dpkg-deb --build " << file_name << ": " << built.out << built.err;
    return {};
  }
  return out;
}

std::string ControlText(const std::string& package, const std::string& version,
                        const std::string& architecture, const std::string& depends) {
  std::string text = "Package: " + package + "\nVersion: " + version +
                     "\nArchitecture: " + architecture +
                     "\nMaintainer: Contoso IT <it@contoso.com>\n";
  if (!depends.empty()) text += "Depends: " + depends + "\n";
  return text + "Description: a package built by a groundcrew test\n";
}

}  // namespace groundcrew::test_support
