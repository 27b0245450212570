#include "device/agent/screen_channel.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <thread>

namespace groundcrew::agent {
namespace {

using device::Action;
using device::Button;
using device::Screen;
using device::ScreenId;
using std::chrono::milliseconds;

Screen SignIn(std::string notice = "") {
  Screen screen{.id = ScreenId::kSignIn, .title = "Sign in"};
  screen.inputs = {{.name = "password", .label = "Password", .secret = true}};
  screen.buttons = {Button{.action = Action::kSignIn, .label = "Sign in", .key = '\n'}};
  if (!notice.empty()) screen.notice = device::Notice{device::Notice::Tone::kError, notice};
  return screen;
}

auto Soon() { return std::chrono::steady_clock::now() + milliseconds(10); }

TEST(ScreenChannelTest, EachChangeIsANewVersionAndAnEqualScreenIsNot) {
  ScreenChannel channel;
  EXPECT_EQ(channel.Next(0, Soon()), std::nullopt);
  channel.Publish(SignIn());
  channel.Publish(SignIn());
  auto first = channel.Next(0, Soon());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->version, 1u);
  const auto json = boost::json::parse(first->json).as_object();
  EXPECT_EQ(json.at("screen").at("screen"), "signIn");
  EXPECT_EQ(channel.Next(1, Soon()), std::nullopt);
  channel.Publish(SignIn("That password is not right."));
  EXPECT_EQ(channel.Next(1, Soon())->version, 2u);
}

TEST(ScreenChannelTest, APressIsTakenOnlyForTheScreenUpAndOnlyForItsButtons) {
  ScreenChannel channel;
  const Screen screen = SignIn();
  channel.Publish(screen);
  EXPECT_FALSE(channel.Submit(1, Press{.action = Action::kProvision}));  // not on this screen
  EXPECT_FALSE(channel.Submit(7, Press{.action = Action::kSignIn}));     // not this version
  ASSERT_TRUE(channel.Submit(1, Press{.action = Action::kSignIn, .inputs = {{"password", "pw"}}}));
  auto press = channel.Wait(screen, milliseconds(0));
  ASSERT_TRUE(press);
  EXPECT_EQ(press->action, Action::kSignIn);
  EXPECT_EQ(press->inputs.at("password"), "pw");
  EXPECT_EQ(channel.Wait(screen, milliseconds(0)), std::nullopt);
}

TEST(ScreenChannelTest, APressTakenStaysValidWhileTheScreenStillOffersItsButton) {
  ScreenChannel channel;
  channel.Publish(SignIn());
  ASSERT_TRUE(channel.Submit(1, Press{.action = Action::kSignIn}));
  // The screen changed after the press was taken (a notice), but still has Sign in.
  const Screen again = SignIn("Signing in...");
  auto press = channel.Wait(again, milliseconds(0));
  ASSERT_TRUE(press);
  EXPECT_EQ(press->action, Action::kSignIn);
  // A press for a screen replaced by another one is dropped, even one with the same button.
  ASSERT_TRUE(channel.Submit(2, Press{.action = Action::kSignIn}));
  Screen other = SignIn();
  other.id = ScreenId::kOobePage;
  EXPECT_EQ(channel.Wait(other, milliseconds(0)), std::nullopt);
  // A press for a screen replaced by one without its button is dropped.
  channel.Publish(again);
  ASSERT_TRUE(channel.Submit(4, Press{.action = Action::kSignIn}));
  Screen code{.id = ScreenId::kMfa, .title = "Enter code"};
  code.buttons = {Button{.action = Action::kVerify, .label = "Verify", .key = '\n'}};
  EXPECT_EQ(channel.Wait(code, milliseconds(0)), std::nullopt);
  EXPECT_FALSE(channel.Submit(5, Press{.action = Action::kSignIn}));
}

TEST(ScreenChannelTest, WaitReturnsThePressMadeFromAnotherThread) {
  ScreenChannel channel;
  const Screen screen = SignIn();
  channel.Publish(screen);
  std::thread browser([&] {
    std::this_thread::sleep_for(milliseconds(20));
    EXPECT_TRUE(channel.Submit(1, Press{.action = Action::kSignIn}));
  });
  auto press = channel.Wait(screen, std::nullopt);
  browser.join();
  ASSERT_TRUE(press);
  EXPECT_EQ(press->action, Action::kSignIn);
}

TEST(ScreenChannelTest, EndAndCloseStopEveryWait) {
  ScreenChannel channel;
  const Screen screen = SignIn();
  channel.Publish(screen);
  channel.End(0);
  auto end = channel.Next(1, Soon());
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->ended);
  EXPECT_EQ(boost::json::parse(end->json).at("exit"), 0);
  EXPECT_FALSE(channel.Submit(end->version, Press{.action = Action::kSignIn}));
  EXPECT_EQ(channel.Wait(screen, std::nullopt), std::nullopt);

  ScreenChannel other;
  other.Publish(screen);
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    other.Close();
  });
  EXPECT_EQ(other.Wait(screen, std::nullopt), std::nullopt);
  closer.join();
  EXPECT_TRUE(other.closed());
  // What was published before Close still goes out; nothing more is waited for.
  EXPECT_EQ(other.Next(0, std::chrono::steady_clock::time_point::max())->version, 1u);
  EXPECT_EQ(other.Next(1, std::chrono::steady_clock::time_point::max()), std::nullopt);
}

}  // namespace
}  // namespace groundcrew::agent
