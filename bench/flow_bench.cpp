// DESIGN.md §5: with instant installs, sign-in to desktop in < 50 ms of groundcrew's own time for
// a 50-item plan. This measures the core's share: the user-flow state machine and the ESP runtime
// driven through a whole user flow (network, profile, sign-in, plan, 50 items, privacy, desktop).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "core/flow/user_flow.hpp"

namespace groundcrew::bench {
namespace {

using namespace core;

EspPlan FiftyItemPlan() {
  EspPlan plan;
  plan.flow = Flow::kUser;
  plan.show_progress = true;
  plan.device_setup.phase = EspPhase::kDeviceSetup;
  plan.account_setup = PhasePlan{};
  plan.account_setup->phase = EspPhase::kAccountSetup;
  for (int i = 0; i < 50; ++i) {
    PlanItem item;
    item.id = "app-" + std::to_string(i);
    item.display_name = "App " + std::to_string(i);
    item.installer_class = "class-" + std::to_string(i % 6);
    if (i % 10 == 9) item.depends_on = {"app-" + std::to_string(i - 1)};
    (i < 25 ? plan.device_setup : *plan.account_setup).items.push_back(std::move(item));
  }
  return plan;
}

void Require(bool ok) {
  if (!ok) std::abort();
}

// Plays every ready item of the phase on screen to success, instantly.
void RunPhase(UserState& state, const PhaseRun& (*run_of)(const UserState&), Timestamp now) {
  for (;;) {
    const auto ready = ReadyItems(run_of(state), now, 4);
    if (ready.empty()) return;
    for (const std::string& id : ready) {
      auto started = Apply(state, ItemStarted{.id = id}, now);
      Require(started.has_value());
      state = std::move(*started);
    }
    for (const std::string& id : ready) {
      auto done = Apply(state, ItemSucceeded{.id = id}, now);
      Require(done.has_value());
      state = std::move(*done);
    }
  }
}

void BM_UserFlowFiftyItems(benchmark::State& bench) {
  const EspPlan plan = FiftyItemPlan();
  ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.profile_name = "Depot";
  profile.assigned_user_upn = "adele@contoso.com";
  // The tutorial's profile: language, keyboard and EULA pages skipped, privacy page shown.
  profile.eula_hidden = true;
  profile.keyboard_selection_page_skipped = true;
  profile.locale = "en-US";
  const Timestamp now{};
  for (auto _ : bench) {
    UserState state;
    for (const UserEvent& event : {UserEvent{NetworkUp{}}, UserEvent{ProfileReceived{profile}},
                                   UserEvent{SignInSubmitted{"adele@contoso.com"}},
                                   UserEvent{SignInAccepted{}}, UserEvent{PlanReceived{plan}}}) {
      auto next = Apply(state, event, now);
      Require(next.has_value());
      state = std::move(*next);
    }
    RunPhase(
        state, [](const UserState& s) -> const PhaseRun& { return *s.device_setup; }, now);
    if (state.screen == UserScreen::kPrivacy) {
      auto next = Apply(state, PrivacyAccepted{}, now);
      Require(next.has_value());
      state = std::move(*next);
    }
    RunPhase(
        state, [](const UserState& s) -> const PhaseRun& { return *s.account_setup; }, now);
    Require(state.screen == UserScreen::kDesktop);
    benchmark::DoNotOptimize(state);
  }
}
BENCHMARK(BM_UserFlowFiftyItems)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace groundcrew::bench
