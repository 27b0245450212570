#include "device/executor/local_account.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "device/executor/device_root.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using test_support::ModeOf;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WriteText;

// A minimal Debian-like root: system accounts, the groups "sudo" and "shadow", login.defs, a
// skel with a file, a folder and a link, and /bin/bash.
class LocalAccountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteText(Root() / "etc/passwd",
              "root:x:0:0:root:/root:/bin/bash\n"
              "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
              "sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n"
              "ada:x:1000:1000:Ada Byron,,,:/home/ada:/bin/bash\n");
    WriteText(Root() / "etc/shadow",
              "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
              "sshd:!:19000::::::\nada:!:19000:0:99999:7:::\n");
    WriteText(Root() / "etc/group",
              "root:x:0:\ndaemon:x:1:\nsudo:x:27:\nshadow:x:42:\nada:x:1000:\n"
              "staff:x:1001:\n");
    WriteText(Root() / "etc/gshadow",
              "root:*::\ndaemon:*::\nsudo:*::\nshadow:*::\nada:!::\nstaff:!::\n");
    fs::permissions(Root() / "etc/shadow", fs::perms(0640));
    fs::permissions(Root() / "etc/gshadow", fs::perms(0640));
    WriteText(Root() / "etc/login.defs", "# defaults\nUID_MIN\t\t 1000\nUID_MAX  60000\n");
    WriteText(Root() / "etc/skel/.profile", "# ~/.profile\n");
    WriteText(Root() / "etc/skel/.config/app/settings", "x=1\n");
    fs::create_symlink("/etc/hostname", Root() / "etc/skel/.hostname");
    WriteText(Root() / "bin/bash", "");
  }

  fs::path Root() const { return dir_.path() / "root"; }

  // `password` hashed for the root, then the account set up.
  Result<LocalAccount> SignIn(const std::string& upn, std::string password, bool administrator,
                              AccountOptions options = {}) {
    Result<std::string> hash = HashPassword(Root(), password);
    EXPECT_TRUE(hash) << hash.error().message;
    EXPECT_TRUE(password.empty());  // cleared
    if (!hash) return hash.error();
    return SetUpAccount(Root(), {upn, "", *hash, administrator}, options);
  }

  // The line of `name` in ROOT/etc/<file>.
  std::string Line(const std::string& file, const std::string& name) {
    std::istringstream lines(ReadText(Root() / "etc" / file));
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(name + ":")) return line;
    }
    return "";
  }
  std::string Field(const std::string& file, const std::string& name, int index) {
    std::istringstream fields(Line(file, name));
    std::string field;
    for (int i = 0; i <= index; ++i) std::getline(fields, field, ':');
    return field;
  }

  TempDir dir_;
};

TEST(AccountNameTest, IsTheUpnsLocalPartAsAdduserTakesIt) {
  EXPECT_EQ(AccountNameFor("Ada.Lovelace+x@contoso.com"), "ada-lovelace");
  EXPECT_EQ(AccountNameFor("adele.vance@contoso.com"), "adele-vance");
  EXPECT_EQ(AccountNameFor("o'Brien..Jr@contoso.com"), "o-brien-jr");
  EXPECT_EQ(AccountNameFor("1st_user@contoso.com"), "u1st_user");
  EXPECT_EQ(AccountNameFor("-dash-@contoso.com"), "dash");
  EXPECT_EQ(AccountNameFor("Ünï@contoso.com"), "n");
  EXPECT_EQ(AccountNameFor("ÅÄÖ@contoso.com"), "user");
  EXPECT_EQ(AccountNameFor("@contoso.com"), "user");
  EXPECT_EQ(AccountNameFor(std::string(40, 'a') + "@contoso.com"), std::string(32, 'a'));
  EXPECT_EQ(AccountNameFor(std::string(31, 'a') + ".b@contoso.com"), std::string(31, 'a'));
}

TEST(AccountIdsTest, ComeFromLoginDefsOrTheOption) {
  TempDir dir;
  EXPECT_EQ(DefaultIdRange(dir.path()), (IdRange{1000, 59999}));
  WriteText(dir.path() / "etc/login.defs", "UID_MIN 2000\nUID_MAX\t3000\n");
  EXPECT_EQ(DefaultIdRange(dir.path()), (IdRange{2000, 3000}));
  Result<IdRange> range = ParseIdRange("5000-5009", "--account-ids");
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (IdRange{5000, 5009}));
  for (const char* bad : {"5000", "9-1", "a-b", "1-4294967295", "-5"}) {
    Result<IdRange> refused = ParseIdRange(bad, "--account-ids");
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().field, "--account-ids");
    EXPECT_EQ(refused.error().message,
              std::string("\"") + bad +
                  "\" must be FIRST-LAST, two user ids with FIRST <= LAST (e.g. 1000-59999)");
  }
}

TEST(PasswordHashTest, UsesTheMethodPamOrLoginDefsName) {
  TempDir dir;
  EXPECT_EQ(PasswordHashPrefix(dir.path()), "$y$");
  WriteText(dir.path() / "etc/login.defs", "ENCRYPT_METHOD SHA512\n");
  EXPECT_EQ(PasswordHashPrefix(dir.path()), "$6$");
  std::string password = "correct horse";
  Result<std::string> sha512 = HashPassword(dir.path(), password);
  ASSERT_TRUE(sha512);
  EXPECT_TRUE(sha512->starts_with("$6$"));
  EXPECT_TRUE(password.empty());
  EXPECT_TRUE(PasswordMatches("correct horse", *sha512));
  EXPECT_FALSE(PasswordMatches("correct horse!", *sha512));
  // Debian 12: pam_unix's yescrypt wins over login.defs' SHA512.
  WriteText(dir.path() / "etc/pam.d/common-password",
            "# password yescrypt\npassword\t[success=1 default=ignore]\tpam_unix.so obscure "
            "use_authtok try_first_pass yescrypt\n");
  EXPECT_EQ(PasswordHashPrefix(dir.path()), "$y$");
  password = "correct horse";
  Result<std::string> yescrypt = HashPassword(dir.path(), password);
  ASSERT_TRUE(yescrypt);
  EXPECT_TRUE(yescrypt->starts_with("$y$"));
  EXPECT_TRUE(PasswordMatches("correct horse", *yescrypt));
  password = "correct horse";
  Result<std::string> again = HashPassword(dir.path(), password);
  ASSERT_TRUE(again);
  EXPECT_NE(*again, *yescrypt);  // a fresh salt each time
  password.clear();
  EXPECT_FALSE(HashPassword(dir.path(), password));
}

TEST_F(LocalAccountTest, CreatesTheAccountWithItsGroupHomeAndPassword) {
  const auto modes_before = std::pair(ModeOf(Root() / "etc/shadow"), ModeOf(Root() / "etc/passwd"));
  Result<LocalAccount> account = SignIn("Ada.Lovelace@contoso.com", "s3cret pass", true);
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_TRUE(account->created);
  EXPECT_EQ(account->name, "ada-lovelace");
  EXPECT_EQ(account->uid, 1002u);  // 1000 is ada's, 1001 the group staff's
  EXPECT_EQ(account->gid, 1002u);
  EXPECT_EQ(account->home, "/home/ada-lovelace");
  EXPECT_EQ(Line("passwd", "ada-lovelace"),
            "ada-lovelace:x:1002:1002:Ada.Lovelace,,,,ada.lovelace@contoso.com:"
            "/home/ada-lovelace:/bin/bash");
  EXPECT_EQ(Line("group", "ada-lovelace"), "ada-lovelace:x:1002:");
  EXPECT_EQ(Line("gshadow", "ada-lovelace"), "ada-lovelace:!::");
  EXPECT_EQ(Line("group", "sudo"), "sudo:x:27:ada-lovelace");
  EXPECT_EQ(Line("gshadow", "sudo"), "sudo:*::ada-lovelace");
  const std::string hash = Field("shadow", "ada-lovelace", 1);
  EXPECT_TRUE(hash.starts_with("$y$")) << hash;
  EXPECT_TRUE(PasswordMatches("s3cret pass", hash));
  const long today = std::chrono::duration_cast<std::chrono::days>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_EQ(Line("shadow", "ada-lovelace"),
            "ada-lovelace:" + hash + ":" + std::to_string(today) + ":0:99999:7:::");
  // The other entries and the files' modes are kept.
  EXPECT_EQ(Line("passwd", "ada"), "ada:x:1000:1000:Ada Byron,,,:/home/ada:/bin/bash");
  EXPECT_EQ(Line("shadow", "sshd"), "sshd:!:19000::::::");
  EXPECT_EQ(std::pair(ModeOf(Root() / "etc/shadow"), ModeOf(Root() / "etc/passwd")), modes_before);
  EXPECT_EQ(ModeOf(Root() / "var/lib/groundcrew/accounts"), 0600);
  EXPECT_EQ(ReadText(Root() / "var/lib/groundcrew/accounts"),
            "ada.lovelace@contoso.com\tada-lovelace\n");
  // The home, from skel: files, folders and links (not followed).
  const fs::path home = Root() / "home/ada-lovelace";
  EXPECT_EQ(ModeOf(home), 0700);
  EXPECT_EQ(ReadText(home / ".profile"), "# ~/.profile\n");
  EXPECT_EQ(ReadText(home / ".config/app/settings"), "x=1\n");
  EXPECT_EQ(fs::read_symlink(home / ".hostname"), "/etc/hostname");
  EXPECT_FALSE(fs::exists(Root() / "home/.ada-lovelace.partial"));
  if (::geteuid() == 0) {
    struct stat st {};
    ASSERT_EQ(::lstat((home / ".config/app/settings").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1002u);
    EXPECT_EQ(st.st_gid, 1002u);
    ASSERT_EQ(::lstat((home / ".hostname").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1002u);
  }
  EXPECT_EQ(FindAccount(Root(), "ADA.LOVELACE@contoso.com")->name, "ada-lovelace");
  EXPECT_FALSE(FindAccount(Root(), "grace@contoso.com"));
}

TEST_F(LocalAccountTest, ASecondSignInUpdatesTheAccountAndItsAdministratorRights) {
  ASSERT_TRUE(SignIn("ada.lovelace@contoso.com", "first", true));
  WriteText(Root() / "home/ada-lovelace/notes", "mine\n");
  const std::string first_hash = Field("shadow", "ada-lovelace", 1);
  Result<LocalAccount> again = SignIn("Ada.Lovelace@Contoso.com", "second", false);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->name, "ada-lovelace");
  EXPECT_EQ(again->uid, 1002u);
  const std::string hash = Field("shadow", "ada-lovelace", 1);
  EXPECT_NE(hash, first_hash);
  EXPECT_TRUE(PasswordMatches("second", hash));
  EXPECT_FALSE(PasswordMatches("first", hash));
  EXPECT_EQ(Line("group", "sudo"), "sudo:x:27:");  // standard now
  EXPECT_EQ(Line("gshadow", "sudo"), "sudo:*::");
  EXPECT_EQ(ReadText(Root() / "home/ada-lovelace/notes"), "mine\n");  // the home is kept
  std::istringstream passwd(ReadText(Root() / "etc/passwd"));
  int entries = 0;
  for (std::string line; std::getline(passwd, line);) entries += line.starts_with("ada-lovelace");
  EXPECT_EQ(entries, 1);
  // Administrator again: back in sudo, once.
  ASSERT_TRUE(SignIn("ada.lovelace@contoso.com", "third", true));
  ASSERT_TRUE(SignIn("ada.lovelace@contoso.com", "third", true));
  EXPECT_EQ(Line("group", "sudo"), "sudo:x:27:ada-lovelace");
}

TEST_F(LocalAccountTest, SupplementaryGroupsAreTheGroupsListingTheUser) {
  ASSERT_TRUE(SignIn("ada.lovelace@contoso.com", "first", true));
  // sudo (27, the administrator's) and the groups that list her; not her own group (no member
  // list), nor one naming a longer name that starts like hers.
  WriteText(Root() / "etc/group", ReadText(Root() / "etc/group") +
                                      "users:x:100:bob,ada-lovelace\n"
                                      "audio:x:29:ada-lovelace2\n");
  EXPECT_EQ(SupplementaryGroups(Root(), "ada-lovelace"), (std::vector<gid_t>{27, 100}));
  EXPECT_EQ(SupplementaryGroups(Root(), "nobody-here"), std::vector<gid_t>{});
}

TEST_F(LocalAccountTest, NamesTakenBySomeoneElseGetANumber) {
  // "ada" is an account nobody signed in as; "root", "daemon", "sshd" are the system's.
  Result<LocalAccount> ada = SignIn("ada@contoso.com", "pw", false);
  ASSERT_TRUE(ada) << ada.error().message;
  EXPECT_EQ(ada->name, "ada2");
  Result<LocalAccount> other_ada = SignIn("ada@fabrikam.com", "pw", false);
  ASSERT_TRUE(other_ada);
  EXPECT_EQ(other_ada->name, "ada3");
  for (const char* system :
       {"root@contoso.com", "daemon@contoso.com", "sshd@contoso.com", "staff@contoso.com"}) {
    Result<LocalAccount> account = SignIn(system, "pw", false);
    ASSERT_TRUE(account) << system;
    EXPECT_EQ(account->name, AccountNameFor(system) + "2");
  }
  EXPECT_EQ(Line("passwd", "root"), "root:x:0:0:root:/root:/bin/bash");
  // Each signs in again into their own account.
  EXPECT_EQ(SignIn("ada@fabrikam.com", "pw", false)->name, "ada3");
  EXPECT_EQ(SignIn("ada@contoso.com", "pw", false)->name, "ada2");
  // The record lost (or never written): the GECOS names the owner.
  fs::remove(Root() / "var/lib/groundcrew/accounts");
  Result<LocalAccount> found = SignIn("ada@fabrikam.com", "pw", false);
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->created);
  EXPECT_EQ(found->name, "ada3");
}

TEST_F(LocalAccountTest, AFullIdRangeIsAnError) {
  AccountOptions options;
  options.ids = IdRange{1000, 1002};
  ASSERT_TRUE(SignIn("grace@contoso.com", "pw", false, options));  // takes 1002
  Result<LocalAccount> full = SignIn("alan@contoso.com", "pw", false, options);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(full.error().message,
            "no user id is free in 1000-1002 (every one is a user's or a group's): widen the "
            "range (--account-ids) or remove accounts");
  EXPECT_EQ(Line("passwd", "alan"), "");
  EXPECT_EQ(ReadText(Root() / "var/lib/groundcrew/accounts"), "grace@contoso.com\tgrace\n");
}

TEST_F(LocalAccountTest, ABareRootGetsItsAccountFilesAndAMalformedOneIsRefused) {
  TempDir bare;
  std::string password = "pw";
  Result<std::string> hash = HashPassword(bare.path(), password);
  ASSERT_TRUE(hash);
  Result<LocalAccount> account =
      SetUpAccount(bare.path(), {"grace@contoso.com", "Grace Hopper", *hash, false});
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(ReadText(bare.path() / "etc/passwd"),
            "grace:x:1000:1000:Grace Hopper,,,,grace@contoso.com:/home/grace:/bin/sh\n");
  EXPECT_EQ(ModeOf(bare.path() / "etc/shadow"), 0640);
  EXPECT_EQ(ModeOf(bare.path() / "etc/gshadow"), 0640);
  EXPECT_EQ(ModeOf(bare.path() / "etc/group"), 0644);
  EXPECT_TRUE(fs::is_directory(bare.path() / "home/grace"));
  EXPECT_EQ(ReadText(bare.path() / "etc/group"), "grace:x:1000:\n");
  // An administrator: the group sudo is made, with Debian's id.
  ASSERT_TRUE(SetUpAccount(bare.path(), {"grace@contoso.com", "Grace Hopper", *hash, true}));
  EXPECT_EQ(ReadText(bare.path() / "etc/group"), "grace:x:1000:\nsudo:x:27:grace\n");
  EXPECT_EQ(ReadText(bare.path() / "etc/gshadow"), "grace:!::\nsudo:*::grace\n");
  // Unless another group has that id.
  WriteText(bare.path() / "etc/group", "grace:x:1000:\nwheel:x:27:\n");
  Result<LocalAccount> admin =
      SetUpAccount(bare.path(), {"grace@contoso.com", "Grace Hopper", *hash, true});
  ASSERT_FALSE(admin);
  EXPECT_EQ(admin.error().message,
            "the user is an administrator, but " + (bare.path() / "etc/group").string() +
                " has no group \"sudo\" and its id 27 is the group \"wheel\"'s: add the group "
                "sudo");

  WriteText(Root() / "etc/group", "root:x:0:\nbroken:x:1\n");
  Result<LocalAccount> refused = SignIn("grace@contoso.com", "pw", false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, (Root() / "etc/group").string());
  EXPECT_EQ(refused.error().message,
            "line 2 has 3 fields where 4 are expected: fix the file (pwck, grpck) and sign in "
            "again");
}

TEST_F(LocalAccountTest, NeverMakesTheHomeThroughALink) {
  fs::create_directories(dir_.path() / "elsewhere");
  fs::create_symlink(dir_.path() / "elsewhere", Root() / "home");
  Result<LocalAccount> account = SignIn("grace@contoso.com", "pw", false);
  ASSERT_FALSE(account);
  EXPECT_EQ(account.error().message,
            (Root() / "home").string() +
                " is a symbolic link: the home folder is only made in a real folder of the root");
  EXPECT_TRUE(fs::is_empty(dir_.path() / "elsewhere"));
}

TEST_F(LocalAccountTest, WaitsForTheShadowSuitesLock) {
  // Another process (a useradd, as lckpwdf(3) does) holds ROOT/etc/.pwd.lock for 600 ms.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    const int fd = ::open((Root() / "etc/.pwd.lock").c_str(), O_WRONLY | O_CREAT, 0600);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const char byte = ::fcntl(fd, F_SETLK, &lock) == 0 ? 'y' : 'n';
    (void)::write(ready[1], &byte, 1);
    ::usleep(600 * 1000);
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  const auto start = std::chrono::steady_clock::now();
  Result<LocalAccount> account = SignIn("grace@contoso.com", "pw", false);
  const auto waited = std::chrono::steady_clock::now() - start;
  int status = 0;
  ::waitpid(holder, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(400));
  EXPECT_EQ(Line("passwd", "grace").substr(0, 16), "grace:x:1002:100");
}

// The account on a real Debian 12 root (scripts/debian-root), checked with the root's own tools.
TEST(LocalAccountOnDebianTest, TheRootsToolsAcceptTheAccount) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  if (const std::string skip = test_support::UnpackDebianRoot(root); !skip.empty()) {
    GTEST_SKIP() << skip;
  }
  const DeviceRoot device(root);
  const auto run = [&](std::vector<std::string> argv) {
    Result<ToolOutcome> outcome = device.Run({.argv = std::move(argv)});
    EXPECT_TRUE(outcome);
    return outcome ? *outcome : ToolOutcome{};
  };
  const ToolOutcome pwck_before = run({"pwck", "-r"});
  std::string password = "Tr0ub4dor&3 horse";
  Result<std::string> hash = HashPassword(root, password);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$y$"));  // pam_unix's yescrypt on Debian 12
  Result<LocalAccount> account =
      SetUpAccount(root, {"Ada.Lovelace@contoso.com", "Ada Lovelace", *hash, true});
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(account->name, "ada-lovelace");
  ToolOutcome passwd = run({"getent", "passwd", "ada-lovelace"});
  EXPECT_TRUE(passwd.ok()) << passwd.output;
  EXPECT_EQ(passwd.output,
            "ada-lovelace:x:1000:1000:Ada Lovelace,,,,ada.lovelace@contoso.com:"
            "/home/ada-lovelace:/bin/bash\n");
  ToolOutcome id = run({"id", "ada-lovelace"});
  EXPECT_EQ(id.output,
            "uid=1000(ada-lovelace) gid=1000(ada-lovelace) groups=1000(ada-lovelace),27(sudo)\n");
  // pwck finds nothing about the account (minbase lacks some system accounts' folders, which
  // it complains about before and after).
  ToolOutcome pwck = run({"pwck", "-r"});
  EXPECT_EQ(pwck.output, pwck_before.output);
  EXPECT_EQ(pwck.outcome.exit_code, pwck_before.outcome.exit_code);
  EXPECT_EQ(pwck.output.find("ada"), std::string::npos) << pwck.output;
  ToolOutcome grpck = run({"grpck", "-r"});
  EXPECT_TRUE(grpck.ok()) << grpck.output;
  ToolOutcome stat = run({"stat", "-c", "%U:%G %a", "/etc/shadow", "/etc/gshadow",
                          "/home/ada-lovelace", "/home/ada-lovelace/.bashrc"});
  EXPECT_EQ(stat.output,
            "root:shadow 640\nroot:shadow 640\nada-lovelace:ada-lovelace 700\n"
            "ada-lovelace:ada-lovelace 644\n");
  ToolOutcome shadow = run({"getent", "shadow", "ada-lovelace"});
  ASSERT_TRUE(shadow.ok()) << shadow.output;
  const std::string stored = shadow.output.substr(13, shadow.output.find(':', 13) - 13);
  EXPECT_EQ(stored, *hash);
  EXPECT_TRUE(PasswordMatches("Tr0ub4dor&3 horse", stored));
  // A second sign-in as a standard user: the same account, out of sudo.
  password = "new password";
  hash = HashPassword(root, password);
  ASSERT_TRUE(hash);
  ASSERT_TRUE(SetUpAccount(root, {"ada.lovelace@contoso.com", "Ada Lovelace", *hash, false}));
  EXPECT_EQ(run({"id", "ada-lovelace"}).output,
            "uid=1000(ada-lovelace) gid=1000(ada-lovelace) groups=1000(ada-lovelace)\n");
  EXPECT_EQ(run({"pwck", "-r"}).output, pwck_before.output);
  // useradd, the shadow suite's own, takes the lock and the next id after ours.
  EXPECT_TRUE(run({"useradd", "-m", "grace"}).ok());
  EXPECT_EQ(run({"id", "-u", "grace"}).output, "1001\n");
}

}  // namespace
}  // namespace groundcrew::executor
