#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>

#include "core/model/ids.hpp"
#include "server/store/store.hpp"

// What the conformance suites of the ports reached through store::Store share. Each suite is a
// value-parameterised fixture of its own, instantiated by an adapter's test with
//   INSTANTIATE_TEST_SUITE_P(<Backend>, ResourceStoreConformance, ::testing::Values(factory));
namespace groundcrew::store::conformance {

/// A fresh, empty Store, kept alive by `owner` (the adapter's database). `store` is null only
/// when the backend is not configured on this machine (PostgreSQL without a DSN): the suite then
/// skips. A backend that is configured but fails to open must fail the test instead (e.g. with
/// ADD_FAILURE in the factory and a null store, or a failing assertion).
struct StoreHandle {
  std::shared_ptr<void> owner;
  Store* store = nullptr;
};
using StoreFactory = std::function<StoreHandle()>;

/// The base of the Store-wide suites: opens a fresh store per test, or skips.
class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    handle_ = GetParam()();
    if (handle_.store != nullptr) return;
    // A factory that reported a failure has a broken backend: fail (fatally, so that the test
    // body does not run), never skip.
    if (HasFailure()) GTEST_FAIL() << "the store backend failed to open";
    GTEST_SKIP() << "this store backend is not configured here";
  }
  void TearDown() override { handle_ = {}; }

  Store& store() { return *handle_.store; }

 private:
  StoreHandle handle_;
};

/// Unix seconds as a Timestamp, for test data.
inline core::Timestamp At(int64_t seconds) {
  return core::Timestamp{std::chrono::seconds{seconds}};
}

}  // namespace groundcrew::store::conformance
