#include "device/executor/sim_executor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace groundcrew::executor {
namespace {

using std::chrono::milliseconds;

TEST(ParseSimBehaviourTest, DefaultsWithoutTheToken) {
  Result<SimBehaviour> behaviour = ParseSimBehaviour("Contoso VPN client for field staff.");
  ASSERT_TRUE(behaviour);
  EXPECT_EQ(*behaviour, SimBehaviour{});
  EXPECT_EQ(*ParseSimBehaviour("prism:duration=5s"), SimBehaviour{}) << "not the token";
}

TEST(ParseSimBehaviourTest, ReadsEverySetting) {
  Result<SimBehaviour> behaviour = ParseSimBehaviour(
      "Contoso VPN client. sim:duration=2.5s,jitter=0.2,failureRate=0.1,exitCode=1618 (test)");
  ASSERT_TRUE(behaviour) << behaviour.error().message;
  EXPECT_EQ(behaviour->duration, milliseconds(2500));
  EXPECT_DOUBLE_EQ(behaviour->jitter, 0.2);
  EXPECT_DOUBLE_EQ(behaviour->failure_rate, 0.1);
  EXPECT_EQ(behaviour->exit_code, 1618);
  EXPECT_EQ(ParseSimBehaviour("sim:duration=250ms")->duration, milliseconds(250));
  EXPECT_EQ(ParseSimBehaviour("sim:duration=3m")->duration, milliseconds(180000));
}

TEST(ParseSimBehaviourTest, RefusesMalformedSettingsNamingThem) {
  for (const char* description :
       {"sim:duration=5", "sim:duration=fast", "sim:failureRate=1.5", "sim:jitter=-1",
        "sim:exitCode=12x", "sim:color=blue", "sim:duration"}) {
    Result<SimBehaviour> behaviour = ParseSimBehaviour(description);
    ASSERT_FALSE(behaviour) << description;
    EXPECT_EQ(behaviour.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(behaviour.error().field, "description");
  }
  EXPECT_NE(ParseSimBehaviour("sim:color=blue").error().message.find("color"), std::string::npos);
}

class SimExecutorTest : public ::testing::Test {
 protected:
  SimExecutorOptions Options(std::uint64_t seed) {
    SimExecutorOptions options;
    options.seed = seed;
    options.sleep = [this](milliseconds duration) { slept_ += duration; };
    return options;
  }

  void AddApp(const std::string& id, const std::string& description) {
    core::App app;
    app.id = core::AppId(id);
    app.display_name = "Sim " + id;
    app.description = description;
    app.content.size = 1000;
    payloads_.Add(std::move(app));
  }

  static core::PlanItem Item(const std::string& id, core::ItemKind kind = core::ItemKind::kApp) {
    core::PlanItem item;
    item.kind = kind;
    item.id = id;
    item.time_limit_minutes = 60;
    return item;
  }

  // The outcome of every item's first attempt, in order.
  std::vector<ItemResult::Outcome> Outcomes(SimExecutor& executor, int items) {
    std::vector<ItemResult::Outcome> outcomes;
    for (int i = 0; i < items; ++i) {
      Result<ItemResult> result =
          executor.Apply(Item("app-" + std::to_string(i)), payloads_, {}, {});
      outcomes.push_back(result ? result->outcome : ItemResult::Outcome::kRetry);
    }
    return outcomes;
  }

  Payloads payloads_;
  milliseconds slept_{0};
};

TEST_F(SimExecutorTest, TakesTheDurationAndReportsProgress) {
  AddApp("app-1", "sim:duration=2s");
  SimExecutor executor(Options(1));
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  int reports = 0;
  Result<ItemResult> result =
      executor.Apply(Item("app-1"), payloads_, {}, [&](std::uint64_t d, std::uint64_t t) {
        done = d;
        total = t;
        ++reports;
      });
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_EQ(slept_, milliseconds(2000));
  EXPECT_EQ(reports, 10);
  EXPECT_EQ(done, 1000u);
  EXPECT_EQ(total, 1000u);
}

TEST_F(SimExecutorTest, IsDeterministicPerSeedAndItem) {
  for (int i = 0; i < 40; ++i) {
    AddApp("app-" + std::to_string(i), "sim:duration=1s,jitter=0.5,failureRate=0.5");
  }
  SimExecutor first(Options(42));
  const auto outcomes = Outcomes(first, 40);
  const milliseconds first_slept = slept_;
  slept_ = milliseconds(0);
  SimExecutor second(Options(42));
  EXPECT_EQ(Outcomes(second, 40), outcomes);
  EXPECT_EQ(slept_, first_slept);

  const int failures =
      static_cast<int>(std::count(outcomes.begin(), outcomes.end(), ItemResult::Outcome::kFailed));
  EXPECT_GT(failures, 5);
  EXPECT_LT(failures, 35);
  SimExecutor other(Options(7));
  EXPECT_NE(Outcomes(other, 40), outcomes) << "another seed, other outcomes";

  // The same draw whatever the order items run in.
  SimExecutor reversed(Options(42));
  for (int i = 39; i >= 0; --i) {
    Result<ItemResult> result = reversed.Apply(Item("app-" + std::to_string(i)), payloads_, {}, {});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->outcome, outcomes[static_cast<size_t>(i)]) << i;
  }
}

TEST_F(SimExecutorTest, RetriedAttemptsDrawAgain) {
  AddApp("app-flaky", "sim:failureRate=0.5");
  SimExecutor executor(Options(3));
  int attempts = 0;
  while (attempts < 50) {
    ++attempts;
    Result<ItemResult> result = executor.Apply(Item("app-flaky"), payloads_, {}, {});
    ASSERT_TRUE(result);
    if (result->succeeded()) break;
  }
  EXPECT_LT(attempts, 50);
}

TEST_F(SimExecutorTest, ExitCodesAreClassifiedWithTheAppsReturnCodes) {
  AddApp("app-fail", "sim:failureRate=1,exitCode=1603");
  AddApp("app-reboot", "sim:failureRate=1,exitCode=3010");
  AddApp("app-retry", "sim:failureRate=1,exitCode=1618");
  SimExecutor executor(Options(0));
  Result<ItemResult> fail = executor.Apply(Item("app-fail"), payloads_, {}, {});
  ASSERT_TRUE(fail);
  EXPECT_EQ(fail->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(fail->code, 1603);
  Result<ItemResult> reboot = executor.Apply(Item("app-reboot"), payloads_, {}, {});
  ASSERT_TRUE(reboot);
  EXPECT_TRUE(reboot->succeeded());
  EXPECT_EQ(reboot->reboot, core::RebootKind::kSoft);
  Result<ItemResult> retry = executor.Apply(Item("app-retry"), payloads_, {}, {});
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->outcome, ItemResult::Outcome::kRetry);
  EXPECT_EQ(retry->code, 1618);
}

TEST_F(SimExecutorTest, RemembersWhatIsInstalled) {
  AddApp("app-1", "");
  SimExecutor executor(Options(0));
  EXPECT_FALSE(*executor.Detect(Item("app-1"), payloads_, {}));
  Result<ItemResult> first = executor.Apply(Item("app-1"), payloads_, {}, {});
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->detected);
  EXPECT_TRUE(*executor.Detect(Item("app-1"), payloads_, {}));
  Result<ItemResult> second = executor.Apply(Item("app-1"), payloads_, {}, {});
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->detected);

  core::PlanItem uninstall = Item("app-1");
  uninstall.action = core::ItemAction::kUninstall;
  ASSERT_TRUE(executor.Apply(uninstall, payloads_, {}, {}));
  EXPECT_FALSE(*executor.Detect(Item("app-1"), payloads_, {}));

  SimExecutorOptions options = Options(0);
  options.installed = {"app-1"};
  SimExecutor resumed(options);
  EXPECT_TRUE(resumed.Apply(Item("app-1"), payloads_, {}, {})->detected);
}

TEST_F(SimExecutorTest, AnAttemptLongerThanTheLimitTimesOut) {
  AddApp("app-slow", "sim:duration=3m");
  SimExecutor executor(Options(0));
  core::PlanItem item = Item("app-slow");
  item.time_limit_minutes = 1;
  Result<ItemResult> result = executor.Apply(item, payloads_, {}, {});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, core::kTimeoutErrorCode);
  EXPECT_EQ(slept_, milliseconds(60000));
}

TEST_F(SimExecutorTest, AStopRequestAborts) {
  AddApp("app-1", "sim:duration=10s");
  SimExecutor executor(Options(0));
  std::stop_source stop;
  stop.request_stop();
  ApplyContext context;
  context.stop = stop.get_token();
  Result<ItemResult> result = executor.Apply(Item("app-1"), payloads_, context, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kAborted);
}

TEST_F(SimExecutorTest, OtherKindsAndErrors) {
  core::NetworkProfile wifi;
  wifi.id = core::NetworkProfileId("net-1");
  payloads_.Add(wifi);
  core::Policy policy;
  policy.id = core::PolicyId("pol-1");
  policy.description = "sim:duration=1s,failureRate=1,exitCode=5";
  payloads_.Add(policy);
  AddApp("app-bad", "sim:duration=soon");
  SimExecutorOptions options = Options(0);
  options.facts.os_version = "12";
  SimExecutor executor(options);

  EXPECT_TRUE(
      executor.Apply(Item("net-1", core::ItemKind::kNetwork), payloads_, {}, {})->succeeded());
  Result<ItemResult> policy_result =
      executor.Apply(Item("pol-1", core::ItemKind::kPolicy), payloads_, {}, {});
  ASSERT_TRUE(policy_result);
  EXPECT_EQ(policy_result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(policy_result->code, 5);

  Result<ItemResult> bad = executor.Apply(Item("app-bad"), payloads_, {}, {});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->outcome, ItemResult::Outcome::kFailed);
  EXPECT_NE(bad->message.find("app-bad"), std::string::npos);
  EXPECT_NE(bad->message.find("duration"), std::string::npos);

  EXPECT_EQ(executor.Apply(Item("missing"), payloads_, {}, {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(executor.Apply(Item("step", core::ItemKind::kPreparationStep), payloads_, {}, {})
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(executor.ReadFacts()->os_version, "12");
}

}  // namespace
}  // namespace groundcrew::executor
