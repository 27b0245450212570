#include "core/esp/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace groundcrew::core {
namespace {

// Win32 dependency graphs are limited to 100 apps (spec §11.7).
constexpr size_t kMaxDependencyGraph = 100;

int KindOrder(ItemKind kind) { return static_cast<int>(kind); }

// An app as a plan item to install (its own time limit, content size, installer class).
PlanItem AppItem(const App& app) {
  PlanItem item;
  item.kind = ItemKind::kApp;
  item.id = app.id.value();
  item.display_name = app.display_name;
  item.version = PlannedVersion(app);
  item.context = app.install_context;
  item.installer_class =
      app.kind == AppKind::kScript ? app.installer_class : std::string(kDpkgInstallerClass);
  item.time_limit_minutes = app.max_run_time_in_minutes;
  item.size = app.content.size > 0 ? app.content.size : app.size;
  return item;
}

// A policy, certificate or network profile as a plan item; its version is the profile's.
template <class Profile>
PlanItem ProfileItem(ItemKind kind, const Profile& profile, int time_limit) {
  PlanItem item;
  item.kind = kind;
  item.id = profile.id.value();
  item.display_name = profile.display_name;
  item.version = std::to_string(profile.version);
  item.time_limit_minutes = time_limit;
  return item;
}

// REQUIRES: t.kind is not kCompliance (compliance policies are not ESP items).
PlanItem ItemFor(const Tenant& tenant, const Targeted& t, int time_limit) {
  PlanItem item;
  switch (t.kind) {
    case PayloadKind::kApp:
      item = AppItem(tenant.apps[t.index]);
      break;
    case PayloadKind::kPolicy:
      item = ProfileItem(ItemKind::kPolicy, tenant.policies[t.index], time_limit);
      break;
    case PayloadKind::kCertificate:
      item = ProfileItem(ItemKind::kCertificate, tenant.certificates[t.index], time_limit);
      break;
    case PayloadKind::kNetwork:
      item = ProfileItem(ItemKind::kNetwork, tenant.network_profiles[t.index], time_limit);
      break;
    case PayloadKind::kCompliance:
      break;
  }
  item.action =
      t.intent == InstallIntent::kUninstall ? ItemAction::kUninstall : ItemAction::kInstall;
  return item;
}

using ItemKey = std::pair<ItemKind, std::string>;

// Adds the dependencies of every app in `items` (recursively), records edges, and sets
// plan_error on apps whose dependencies cannot be satisfied. `elsewhere` holds apps planned in
// an earlier phase of the same flow: they need no edge.
void AddDependencies(const TargetingIndex& index, std::vector<PlanItem>& items,
                     const std::unordered_set<std::string>& elsewhere) {
  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind == ItemKind::kApp) position.emplace(items[i].id, i);
  }
  for (size_t i = 0; i < items.size(); ++i) {  // items grows while we walk it
    if (items[i].kind != ItemKind::kApp || items[i].action != ItemAction::kInstall) continue;
    const App* app = index.FindApp(items[i].id);
    if (app == nullptr) continue;
    for (const AppDependency& dependency : app->dependencies) {
      const std::string& dep_id = dependency.app_id.value();
      if (elsewhere.count(dep_id) != 0 && position.count(dep_id) == 0) continue;
      auto found = position.find(dep_id);
      if (found == position.end()) {
        const App* dep = index.FindApp(dep_id);
        if (dep == nullptr) {
          items[i].plan_error = fmt::format("depends on app \"{}\", which does not exist", dep_id);
          continue;
        }
        if (!dependency.auto_install) {
          items[i].plan_error = fmt::format(
              "depends on \"{}\", which is neither assigned nor set to install automatically",
              dep->display_name);
          continue;
        }
        if (position.size() >= kMaxDependencyGraph) {
          items[i].plan_error =
              fmt::format("dependency graph exceeds {} apps", kMaxDependencyGraph);
          continue;
        }
        PlanItem added = AppItem(*dep);
        added.auto_dependency = true;
        added.blocking = items[i].blocking;
        added.from_assigned_user = items[i].from_assigned_user;
        found = position.emplace(dep_id, items.size()).first;
        items.push_back(std::move(added));
      } else if (items[i].blocking && !items[found->second].blocking) {
        // A blocking app cannot wait on something that may be skipped.
        items[found->second].blocking = true;
        items[found->second].deferred = false;
      }
      items[i].depends_on.push_back(dep_id);
    }
  }
}

// Orders items so that dependencies come first; ties by kind, then display name, then id.
// Items in a dependency cycle get a plan_error and keep their relative order at the end.
void OrderItems(std::vector<PlanItem>& items) {
  const size_t n = items.size();
  std::unordered_map<std::string, size_t> app_position;
  for (size_t i = 0; i < n; ++i) {
    if (items[i].kind == ItemKind::kApp) app_position.emplace(items[i].id, i);
  }
  std::vector<std::vector<size_t>> dependents(n);
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& dep : items[i].depends_on) {
      auto it = app_position.find(dep);
      if (it == app_position.end()) continue;
      dependents[it->second].push_back(i);
      ++pending[i];
    }
  }
  auto before = [&](size_t a, size_t b) {
    if (KindOrder(items[a].kind) != KindOrder(items[b].kind)) {
      return KindOrder(items[a].kind) < KindOrder(items[b].kind);
    }
    if (items[a].display_name != items[b].display_name) {
      return items[a].display_name < items[b].display_name;
    }
    return items[a].id < items[b].id;
  };
  auto cmp = [&](size_t a, size_t b) { return before(b, a); };  // min-heap
  std::vector<size_t> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::make_heap(ready.begin(), ready.end(), cmp);
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), cmp);
    const size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (size_t d : dependents[i]) {
      if (--pending[d] == 0) {
        ready.push_back(d);
        std::push_heap(ready.begin(), ready.end(), cmp);
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] > 0) {
      items[i].plan_error = "part of a dependency cycle";
      order.push_back(i);
    }
  }
  std::vector<PlanItem> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

}  // namespace

std::string_view ToString(Flow flow) {
  switch (flow) {
    case Flow::kTechnician:
      return "technician";
    case Flow::kUser:
      return "user";
  }
  return "?";
}

std::string_view ToString(EspPhase phase) {
  switch (phase) {
    case EspPhase::kDevicePreparation:
      return "device-preparation";
    case EspPhase::kDeviceSetup:
      return "device-setup";
    case EspPhase::kAccountSetup:
      return "account-setup";
  }
  return "?";
}

std::string_view ToString(ItemKind kind) {
  switch (kind) {
    case ItemKind::kPolicy:
      return "policy";
    case ItemKind::kCertificate:
      return "certificate";
    case ItemKind::kNetwork:
      return "network";
    case ItemKind::kApp:
      return "app";
    case ItemKind::kPreparationStep:
      return "preparation-step";
  }
  return "?";
}

std::string_view ToString(ItemAction action) {
  switch (action) {
    case ItemAction::kInstall:
      return "install";
    case ItemAction::kUninstall:
      return "uninstall";
  }
  return "?";
}

std::string_view ToString(DeltaReason reason) {
  switch (reason) {
    case DeltaReason::kTargeted:
      return "targeted";
    case DeltaReason::kNew:
      return "new";
    case DeltaReason::kChangedVersion:
      return "changed-version";
    case DeltaReason::kRetryFailed:
      return "retry-failed";
    case DeltaReason::kRetrySkipped:
      return "retry-skipped";
  }
  return "?";
}

std::string_view ToString(ItemOutcome outcome) {
  switch (outcome) {
    case ItemOutcome::kInstalled:
      return "installed";
    case ItemOutcome::kFailed:
      return "failed";
    case ItemOutcome::kSkipped:
      return "skipped";
  }
  return "?";
}

std::optional<ItemKind> ItemKindFromString(std::string_view text) {
  for (ItemKind kind : {ItemKind::kPolicy, ItemKind::kCertificate, ItemKind::kNetwork,
                        ItemKind::kApp, ItemKind::kPreparationStep}) {
    if (ToString(kind) == text) return kind;
  }
  return std::nullopt;
}

std::optional<ItemOutcome> ItemOutcomeFromString(std::string_view text) {
  for (ItemOutcome outcome :
       {ItemOutcome::kInstalled, ItemOutcome::kFailed, ItemOutcome::kSkipped}) {
    if (ToString(outcome) == text) return outcome;
  }
  return std::nullopt;
}

std::vector<InstalledItem> AssumedCleanTechnicianFlow(const EspPlan& technician) {
  std::vector<InstalledItem> installed;
  for (const PlanItem& item : technician.device_setup.items) {
    if (item.action != ItemAction::kInstall) continue;
    ItemOutcome outcome = ItemOutcome::kInstalled;
    if (item.deferred) outcome = ItemOutcome::kSkipped;
    if (!item.plan_error.empty()) outcome = ItemOutcome::kFailed;
    installed.push_back({item.kind, item.id, item.version, outcome});
  }
  return installed;
}

Result<EspPlan> BuildEspPlan(const TargetingIndex& index, const PlanRequest& request) {
  if (request.device == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "a plan needs a device", "device");
  }
  if ((request.flow == Flow::kUser) != (request.user != nullptr)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     request.flow == Flow::kUser ? "the user flow needs the signed-in user"
                                                 : "the technician flow has no user",
                     "user");
  }
  const Tenant& tenant = index.tenant();
  const GroupSet device_groups = index.DeviceGroups(*request.device);
  GroupSet user_groups;
  if (request.user != nullptr) user_groups = index.UserGroups(*request.user);
  const GroupSet* user_groups_ptr = request.user != nullptr ? &user_groups : nullptr;

  EspPlan plan;
  plan.flow = request.flow;
  const EspProfile* esp = index.EspProfileFor(device_groups, user_groups_ptr);
  EspProfile defaults;  // Graph defaults when the tenant has no ESP profile at all
  if (esp != nullptr) {
    plan.esp_profile_id = esp->id.value();
    plan.esp_profile_name = esp->display_name;
  } else {
    esp = &defaults;
  }
  plan.show_progress = esp->show_installation_progress;
  plan.block_device_use = !esp->allow_device_use_before_profile_and_app_install_complete;
  plan.install_quality_updates = request.flow == Flow::kUser && esp->install_quality_updates;
  plan.error_options.reset = esp->allow_device_reset_on_install_failure;
  plan.error_options.try_again = !esp->block_device_setup_retry_by_user;
  plan.error_options.continue_anyway = esp->allow_device_use_on_install_failure;
  plan.error_options.collect_logs = esp->allow_log_collection_on_install_failure;
  if (!esp->custom_error_message.empty()) plan.error_options.message = esp->custom_error_message;
  const int timeout = esp->install_progress_timeout_in_minutes;

  const std::unordered_set<std::string> selected = [&] {
    std::unordered_set<std::string> ids;
    for (const AppId& id : esp->selected_mobile_app_ids) ids.insert(id.value());
    return ids;
  }();
  auto blocking_app = [&](const std::string& id) { return selected.empty() || selected.count(id); };

  std::vector<PlanItem> device_items, account_items;
  auto place = [&](const Targeted& t, bool from_assigned_user) {
    if (t.kind == PayloadKind::kCompliance || t.intent == InstallIntent::kAvailable) return;
    if (t.kind != PayloadKind::kApp && t.intent != InstallIntent::kRequired) return;
    PlanItem item = ItemFor(tenant, t, timeout);
    item.from_assigned_user = from_assigned_user;
    item.blocking = item.action == ItemAction::kInstall &&
                    (item.kind != ItemKind::kApp || blocking_app(item.id));
    const bool device_phase =
        from_assigned_user ||
        (t.via == TargetedVia::kDevice &&
         (item.kind != ItemKind::kApp || item.context == InstallContext::kDevice));
    if (device_phase) {
      device_items.push_back(std::move(item));
    } else if (request.flow == Flow::kUser) {
      // A policy reaching the device through its user applies for them: its user settings go
      // to their session only (core/settings/catalog.hpp, SettingScope).
      if (item.kind == ItemKind::kPolicy) item.context = InstallContext::kUser;
      account_items.push_back(std::move(item));
    }
  };

  for (const Targeted& t : index.Resolve(device_groups, user_groups_ptr)) place(t, false);

  if (request.flow == Flow::kTechnician && request.registration != nullptr &&
      !request.registration->user_principal_name.empty()) {
    if (const User* assigned =
            index.FindUserByPrincipalName(request.registration->user_principal_name)) {
      const GroupSet assigned_groups = index.UserGroups(*assigned);
      std::unordered_set<std::string> already;
      for (const PlanItem& item : device_items) already.insert(item.id);
      for (const Targeted& t : index.Resolve(device_groups, &assigned_groups)) {
        if (t.kind != PayloadKind::kApp || t.via != TargetedVia::kUser ||
            t.intent != InstallIntent::kRequired ||
            tenant.apps[t.index].install_context != InstallContext::kDevice ||
            already.count(tenant.apps[t.index].id.value()) != 0) {
          continue;
        }
        place(t, true);
      }
    }
  }

  AddDependencies(index, device_items, {});
  {
    std::unordered_set<std::string> in_device;
    for (const PlanItem& item : device_items) in_device.insert(item.id);
    AddDependencies(index, account_items, in_device);
  }

  if (request.flow == Flow::kTechnician && !selected.empty() &&
      !esp->allow_non_blocking_app_installation) {
    for (PlanItem& item : device_items) {
      if (item.kind == ItemKind::kApp && !item.blocking) item.deferred = true;
    }
  }

  if (request.flow == Flow::kUser) {
    std::map<ItemKey, const InstalledItem*> installed;
    for (const InstalledItem& item : request.installed) installed[{item.kind, item.id}] = &item;
    auto installed_same = [&](const PlanItem& item) {
      auto it = installed.find({item.kind, item.id});
      return it != installed.end() && it->second->outcome == ItemOutcome::kInstalled &&
             it->second->version == item.version;
    };
    std::vector<PlanItem> delta;
    for (PlanItem& item : device_items) {
      auto it = installed.find({item.kind, item.id});
      if (item.action == ItemAction::kUninstall) {
        if (it != installed.end() && it->second->outcome == ItemOutcome::kInstalled) {
          item.reason = DeltaReason::kTargeted;
          delta.push_back(std::move(item));
        }
        continue;
      }
      if (it == installed.end()) {
        item.reason = DeltaReason::kNew;
      } else if (it->second->outcome == ItemOutcome::kFailed) {
        item.reason = DeltaReason::kRetryFailed;
      } else if (it->second->outcome == ItemOutcome::kSkipped) {
        item.reason = DeltaReason::kRetrySkipped;
      } else if (it->second->version != item.version) {
        item.reason = DeltaReason::kChangedVersion;
      } else {
        continue;  // present at the same version: detected, not reinstalled
      }
      delta.push_back(std::move(item));
    }
    // Dependencies left out because they are installed stay in depends_on: the runtime treats an
    // edge to an item that is not in the phase as satisfied.
    device_items = std::move(delta);
    std::erase_if(account_items, [&](const PlanItem& item) {
      return item.kind == ItemKind::kApp && item.context == InstallContext::kDevice &&
             item.action == ItemAction::kInstall && installed_same(item);
    });
  }

  OrderItems(device_items);
  plan.device_setup = PhasePlan{EspPhase::kDeviceSetup, std::move(device_items), timeout};
  if (request.flow == Flow::kUser) {
    OrderItems(account_items);
    plan.account_setup = PhasePlan{EspPhase::kAccountSetup, std::move(account_items), timeout};
  }
  return plan;
}

}  // namespace groundcrew::core
