// groundcrew-agent: the device agent. Wiring only. Today it has `hwid`; `oobe` (the out-of-box
// flow) follows in the device agent issue.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <iostream>

#include "agent/hwid.hpp"
#include "common/base64.hpp"
#include "identity/device_key.hpp"

namespace {

struct HwidOptions {
  std::string state_dir = "/var/lib/groundcrew";
  std::string root = "/";
  groundcrew::agent::DeviceFacts overrides;
  std::string group_tag;
  std::string assigned_user;
  bool json = false;
};

int Hwid(const HwidOptions& options) {
  auto fail = [](const groundcrew::Error& error) {
    std::cerr << "groundcrew-agent hwid: " << error.message << "\n";
    return 1;
  };
  auto facts = groundcrew::agent::ReadDeviceFacts(options.root, options.overrides);
  if (!facts) return fail(facts.error());
  auto key = groundcrew::identity::FileDeviceKey::OpenOrCreate(options.state_dir);
  if (!key) return fail(key.error());
  auto public_key = (*key)->PublicKey();
  if (!public_key) return fail(public_key.error());
  if (options.json) {
    auto hash = groundcrew::agent::HardwareHash(*facts, *public_key);
    if (!hash) return fail(hash.error());
    const std::string_view key_bytes(reinterpret_cast<const char*>(public_key->data()),
                                     public_key->size());
    std::cout << boost::json::serialize(boost::json::object{
                     {"serialNumber", facts->serial_number},
                     {"manufacturer", facts->manufacturer},
                     {"model", facts->model},
                     {"hardwareHash", groundcrew::base64::Encode(*hash)},
                     {"publicKey", groundcrew::base64::Encode(key_bytes)},
                     {"keyFile", (*key)->path().string()}})
              << "\n";
    return 0;
  }
  auto csv = groundcrew::agent::RegistrationCsv(*facts, *public_key, options.group_tag,
                                                options.assigned_user);
  if (!csv) return fail(csv.error());
  std::cout << *csv;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"groundcrew-agent: the groundcrew device agent"};
  app.require_subcommand(1);
  HwidOptions hwid;
  CLI::App* hwid_cmd = app.add_subcommand(
      "hwid",
      "Print this device's registration row (Microsoft's CSV format, with its header) for\n"
      "`groundcrew devices import`. The hardware hash carries the serial number, manufacturer,\n"
      "model and the public half of the device's Ed25519 key, which is created once in the\n"
      "state directory (device.key, mode 0600) and never leaves the device.");
  hwid_cmd->add_option("--state", hwid.state_dir, "the agent's state directory")
      ->capture_default_str();
  hwid_cmd->add_option("--root", hwid.root, "where the firmware tables are read (tests)")
      ->capture_default_str();
  hwid_cmd->add_option("--serial", hwid.overrides.serial_number,
                       "serial number (default: /sys/class/dmi/id/product_serial)");
  hwid_cmd->add_option("--manufacturer", hwid.overrides.manufacturer,
                       "manufacturer (default: /sys/class/dmi/id/sys_vendor)");
  hwid_cmd->add_option("--model", hwid.overrides.model,
                       "model (default: /sys/class/dmi/id/product_name)");
  hwid_cmd->add_option("--group-tag", hwid.group_tag, "the row's Group Tag");
  hwid_cmd->add_option("--assigned-user", hwid.assigned_user, "the row's Assigned User (UPN)");
  hwid_cmd->add_flag("--json", hwid.json, "print the serial number, hash and key as JSON");
  int code = 0;
  hwid_cmd->callback([&] { code = Hwid(hwid); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int exit = app.exit(e);
    return exit == 0 ? 0 : 2;
  }
  return code;
}
