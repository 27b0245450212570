#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "server/store/device_store.hpp"

namespace groundcrew::store::conformance {

/// A fresh, empty DeviceStore, kept alive by `owner` (the adapter's database). `store` is null
/// only when the backend is not configured on this machine (PostgreSQL without a DSN): the
/// suite then skips. A backend that is configured but fails to open must fail the test instead.
struct DeviceStoreHandle {
  std::shared_ptr<void> owner;
  DeviceStore* store = nullptr;
};
using DeviceStoreFactory = std::function<DeviceStoreHandle()>;

/// The behaviour every DeviceStore adapter must have. Adapters instantiate it with
/// INSTANTIATE_TEST_SUITE_P(<Backend>, DeviceStoreConformance, ::testing::Values(factory)).
class DeviceStoreConformance : public ::testing::TestWithParam<DeviceStoreFactory> {
 protected:
  void SetUp() override;
  DeviceStore& store() { return *handle_.store; }

 private:
  DeviceStoreHandle handle_;
};

}  // namespace groundcrew::store::conformance
