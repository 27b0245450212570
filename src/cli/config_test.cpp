#include "cli/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace groundcrew::cli {
namespace {
namespace fs = std::filesystem;

const SavedLogin kSaved{"http://saved.example:8080/", "saved-token"};

TEST(ResolveConnectionTest, ServerPrecedenceIsFlagThenEnvThenSavedThenDefault) {
  Environment env;
  Connection c = ResolveConnection("", env, std::nullopt);
  EXPECT_EQ(c.server, kDefaultServer);
  EXPECT_EQ(c.server_source, "default");
  EXPECT_EQ(c.token, "");
  EXPECT_EQ(c.token_source, "");

  c = ResolveConnection("", env, kSaved);
  EXPECT_EQ(c.server, "http://saved.example:8080");
  EXPECT_EQ(c.server_source, "saved login");
  EXPECT_EQ(c.token, "saved-token");
  EXPECT_EQ(c.token_source, "saved login");

  env.server = "";  // set but empty: ignored
  c = ResolveConnection("", env, kSaved);
  EXPECT_EQ(c.server_source, "saved login");

  env.server = "http://env.example:9000";
  c = ResolveConnection("", env, kSaved);
  EXPECT_EQ(c.server, "http://env.example:9000");
  EXPECT_EQ(c.server_source, "GROUNDCREW_SERVER");

  c = ResolveConnection("http://flag.example:1/", env, kSaved);
  EXPECT_EQ(c.server, "http://flag.example:1");
  EXPECT_EQ(c.server_source, "--server");
}

TEST(ResolveConnectionTest, TokenPrecedenceIsEnvThenSavedForTheSameServerOnly) {
  Environment env;
  env.token = "env-token";
  Connection c = ResolveConnection("", env, kSaved);
  EXPECT_EQ(c.token, "env-token");
  EXPECT_EQ(c.token_source, "GROUNDCREW_TOKEN");

  env.token.reset();
  c = ResolveConnection("http://saved.example:8080", env, kSaved);  // same server, no slash
  EXPECT_EQ(c.token, "saved-token");

  c = ResolveConnection("http://other.example:8080", env, kSaved);  // never leak to another
  EXPECT_EQ(c.token, "");
  EXPECT_EQ(c.token_source, "");

  env.token = "env-token";
  c = ResolveConnection("http://other.example:8080", env, kSaved);
  EXPECT_EQ(c.token, "env-token");
}

TEST(CredentialsPathTest, XdgConfigHomeThenHome) {
  Environment env;
  EXPECT_FALSE(CredentialsPath(env).has_value());
  env.home = "/home/ada";
  EXPECT_EQ(*CredentialsPath(env), "/home/ada/.config/groundcrew/credentials.json");
  env.xdg_config_home = "relative/dir";  // the XDG spec says: ignore relative paths
  EXPECT_EQ(*CredentialsPath(env), "/home/ada/.config/groundcrew/credentials.json");
  env.xdg_config_home = "/xdg";
  EXPECT_EQ(*CredentialsPath(env), "/xdg/groundcrew/credentials.json");
}

class SavedLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gc-cli-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "xdg" / "groundcrew" / "credentials.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static unsigned Mode(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SavedLoginTest, SaveCreatesPrivateDirectoryAndFileAndLoadReadsIt) {
  // A permissive umask must not loosen the modes.
  const mode_t old_umask = ::umask(0);
  Status saved = SaveLogin(path_, {"http://127.0.0.1:8080", "secret"});
  ::umask(old_umask);
  ASSERT_TRUE(saved.has_value()) << saved.error().message;
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(Mode((dir_ / "xdg" / "groundcrew").string()), 0700u);
  for (const auto& entry : fs::directory_iterator(dir_ / "xdg" / "groundcrew")) {
    EXPECT_EQ(entry.path().filename(), "credentials.json");  // no temporary file left behind
  }

  auto loaded = LoadLogin(path_);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->server, "http://127.0.0.1:8080");
  EXPECT_EQ((*loaded)->token, "secret");

  // Saving again replaces the file and keeps the mode.
  ASSERT_TRUE(SaveLogin(path_, {"http://h:1", "t2"}).has_value());
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ((*LoadLogin(path_))->token, "t2");
}

TEST_F(SavedLoginTest, MissingFileIsNoLoginAndCorruptFileIsAnError) {
  auto none = LoadLogin(path_);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());

  fs::create_directories(fs::path(path_).parent_path());
  std::ofstream(path_) << R"({"server": 1})";
  auto corrupt = LoadLogin(path_);
  ASSERT_FALSE(corrupt.has_value());
  EXPECT_EQ(corrupt.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(corrupt.error().field, path_);
}

TEST_F(SavedLoginTest, RemoveSaysWhetherThereWasALogin) {
  ASSERT_TRUE(SaveLogin(path_, {"http://h:1", "t"}).has_value());
  auto removed = RemoveLogin(path_);
  ASSERT_TRUE(removed.has_value());
  EXPECT_TRUE(*removed);
  removed = RemoveLogin(path_);
  ASSERT_TRUE(removed.has_value());
  EXPECT_FALSE(*removed);
}

TEST(ResolveCaFileTest, FlagThenEnvironmentThenNone) {
  Environment env;
  EXPECT_EQ(ResolveCaFile("", env).path, "");
  EXPECT_EQ(ResolveCaFile("", env).source, "");
  env.ca = "";  // set but empty: ignored
  EXPECT_EQ(ResolveCaFile("", env).source, "");
  env.ca = "/env/ca.pem";
  EXPECT_EQ(ResolveCaFile("", env).path, "/env/ca.pem");
  EXPECT_EQ(ResolveCaFile("", env).source, "GROUNDCREW_CA");
  EXPECT_EQ(ResolveCaFile("/flag/ca.pem", env).path, "/flag/ca.pem");
  EXPECT_EQ(ResolveCaFile("/flag/ca.pem", env).source, "--ca");
}

}  // namespace
}  // namespace groundcrew::cli
