#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "store/device_store.hpp"

namespace groundcrew::store::conformance {

/// A fresh, empty DeviceStore, kept alive by `owner` (the adapter's database), or null when this
/// backend is not available here (the suite then skips, saying why).
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
