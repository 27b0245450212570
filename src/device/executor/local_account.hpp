#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// The signed-in user's local account on the device (Account setup's "Joining your organization's
// network" for a Linux device), so that the desktop login accepts the password they just typed.
// The account database of the device root (ROOT/etc/passwd, shadow, group, gshadow) is edited
// directly, as the shadow suite's useradd does: under its lock (ROOT/etc/.pwd.lock, an fcntl
// lock, so that a useradd or passwd running meanwhile cannot interleave), each file replaced
// atomically (temporary file, fsync, rename) keeping its owner and mode. Files that do not
// exist (a test's bare root) are created: passwd and group 0644, shadow and gshadow 0640, owned
// as ROOT/etc is (the group "shadow" for shadow and gshadow when the root has it).
//
// Which UPN owns which account is recorded in ROOT/var/lib/groundcrew/accounts (0600, a line
// "UPN<TAB>NAME" per account, the UPN in lower case); the passwd entry's GECOS says it too
// ("Display Name,,,,upn"). A second sign-in of the same user updates that account (password,
// sudo membership, display name) and never creates another.
namespace groundcrew::executor {

/// A range of user (and group) ids, both ends included.
struct IdRange {
  uid_t first = 1000;
  uid_t last = 59999;

  friend bool operator==(const IdRange&, const IdRange&) = default;
};

/// "FIRST-LAST" (e.g. "1000-59999"), FIRST <= LAST, both below 2^31. kInvalidArgument naming
/// `field` otherwise.
[[nodiscard]] Result<IdRange> ParseIdRange(std::string_view text, std::string_view field);

/// The ids new accounts take: UID_MIN and UID_MAX of ROOT/etc/login.defs, else 1000-59999.
IdRange DefaultIdRange(const std::filesystem::path& root);

/// The account name for `upn`, before uniqueness: the UPN's local part without a "+tag", in
/// lower case, each run of characters outside [a-z0-9_-] as one '-', no '-' at either end, "u"
/// in front when it does not start with a letter, at most 32 characters; "user" when nothing is
/// left. This is adduser's default NAME_REGEX on Debian (^[a-z][-a-z0-9_]*$), stricter than
/// useradd's, so every tool of the system takes the name: "Ada.Lovelace+x@contoso.com" ->
/// "ada-lovelace".
std::string AccountNameFor(std::string_view upn);

/// The crypt(3) setting prefix the root uses for new passwords: the method of pam_unix's line
/// in ROOT/etc/pam.d/common-password (what passwd(1) uses; "yescrypt" on Debian 12), else
/// ENCRYPT_METHOD of ROOT/etc/login.defs, else yescrypt: "$y$", "$6$" (SHA512), "$5$"
/// (SHA256) or "$1$" (MD5).
std::string PasswordHashPrefix(const std::filesystem::path& root);

/// `password` hashed with the root's method (PasswordHashPrefix) and a random salt from the
/// system's random source, as a crypt(3) string for ROOT/etc/shadow. The password's bytes are
/// cleared (explicit_bzero) and it is left empty, whatever happens. kInvalidArgument for an
/// empty password; kInternal when libcrypt refuses. Never logs the password.
[[nodiscard]] Result<std::string> HashPassword(const std::filesystem::path& root,
                                               std::string& password);

/// Whether `password` gives `hash` under crypt(3) (for tests and checks).
bool PasswordMatches(std::string_view password, const std::string& hash);

struct AccountRequest {
  std::string user_principal_name;
  std::string display_name;   ///< GECOS's full name; the UPN's local part when empty
  std::string password_hash;  ///< HashPassword's
  /// A member of "sudo" (removed from it when false). A root without the group gets it with
  /// Debian's id (27), unless another group has that id (kFailedPrecondition).
  bool administrator = false;
};

struct AccountOptions {
  /// The ids of new accounts (and of their personal groups); DefaultIdRange when not set.
  std::optional<IdRange> ids;
};

/// An account as the root has it.
struct LocalAccount {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;      ///< inside the root ("/home/ada")
  bool created = false;  ///< this call created it (else it existed and was updated)
};

/// Creates the account of `request.user_principal_name` under `root`, or updates the one it
/// has (see the namespace comment): name AccountNameFor(upn), with 2, 3... appended when another
/// UPN's account, a system account or a group has it; uid the first free id of the range, a
/// personal group of the same name and id; home /home/NAME from ROOT/etc/skel (files, folders
/// and symbolic links copied, never followed; owned by the user; mode HOME_MODE of login.defs,
/// else 0700); shell /bin/bash when the root has it, else /bin/sh; the shadow entry with
/// `password_hash`, last change today, min 0, max 99999, warn 7. Errors name the file and what
/// to do: kFailedPrecondition when the id range has no free id or the lock stays taken 15 s,
/// kInvalidArgument for a malformed entry, kUnavailable when a file cannot be written.
[[nodiscard]] Result<LocalAccount> SetUpAccount(const std::filesystem::path& root,
                                                const AccountRequest& request,
                                                const AccountOptions& options = {});

/// The account `upn` owns under `root` (the record, checked against ROOT/etc/passwd); nullopt
/// when it has none.
std::optional<LocalAccount> FindAccount(const std::filesystem::path& root, std::string_view upn);

/// The passwd entry named `name` under `root`, with its home; nullopt when there is none.
std::optional<LocalAccount> FindUser(const std::filesystem::path& root, std::string_view name);

/// The ids of the groups of ROOT/etc/group that list `name` as a member (its supplementary
/// groups, as initgroups(3) would find them in the root), in the file's order.
std::vector<gid_t> SupplementaryGroups(const std::filesystem::path& root, std::string_view name);

}  // namespace groundcrew::executor
