// Proves the contract of CompiledRule::Matches and RuleSet::Match: evaluation allocates nothing
// once compiled (and, for RuleSet, once the output vector has capacity). A separate test binary,
// because it replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/rules/rule.hpp"
#include "core/rules/rule_set.hpp"
#include "core/rules/subject.hpp"

// GCC flags free() in a replaced operator delete as a mismatch; the pair below is consistent.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

// Every replaceable form is replaced, so that each allocation is counted and each pointer is
// freed by the allocator that made it.
namespace {
void* Allocate(std::size_t size, std::size_t alignment) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  size = size == 0 ? 1 : size;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
void* AllocateOrThrow(std::size_t size, std::size_t alignment) {
  if (void* p = Allocate(size, alignment)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return AllocateOrThrow(n, 0); }
void* operator new[](std::size_t n) { return AllocateOrThrow(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return AllocateOrThrow(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return AllocateOrThrow(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n, 0); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace groundcrew::core::rules {
namespace {

long AllocationsDuring(const auto& work) {
  allocations = 0;
  counting = true;
  work();
  counting = false;
  return allocations.load();
}

DirectoryDevice Device() {
  DirectoryDevice d;
  d.id = DirectoryObjectId{"3a5b1c2d-0001-4c6e-9a1f-000000000001"};
  d.display_name = "LAB-0042-WORKSTATION";
  d.model = "Surface Laptop 5";
  d.manufacturer = "Contoso";
  d.device_physical_ids = {"[ZTDId]:6f2c0f6e-58a1-4f0c-8a53-2d1f0c9b0001", "[OrderID]:179887111881",
                           "[PurchaseOrderId]:76222342342"};
  return d;
}

constexpr const char* kRules[] = {
    R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))",
    R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881")))",
    R"(device.deviceModel -in ["Surface Laptop 5", "Surface Pro 9"] -and device.accountEnabled -eq true)",
    R"(device.displayName -match "^lab-[0-9]+-work" -or -not (device.deviceManufacturer -contains "fab"))",
    R"(device.devicePhysicalIds -all (_ -notEndsWith "x") -and device.extensionAttribute1 -eq null)",
};

TEST(RuleAllocationTest, TheCounterSeesAllocations) {
  size_t length = 0;
  EXPECT_EQ(AllocationsDuring([&] {
              std::string s(64, 'x');
              length = std::strlen(s.c_str());  // the buffer is really used
            }),
            1);
  EXPECT_EQ(length, 64u);
}

TEST(RuleAllocationTest, MatchesAllocatesNothing) {
  const DirectoryDevice device = Device();
  const DeviceAttributes attributes(device, {});
  for (const char* text : kRules) {
    auto rule = CompileRule(text);
    ASSERT_TRUE(rule.has_value()) << text;
    EXPECT_TRUE(rule->Matches(attributes.subject())) << text;  // warm RE2's cache
    bool matched = false;
    EXPECT_EQ(AllocationsDuring([&] {
                for (int i = 0; i < 100; ++i) matched = rule->Matches(attributes.subject());
              }),
              0)
        << text;
    EXPECT_TRUE(matched);
  }
}

TEST(RuleAllocationTest, RuleSetMatchAllocatesNothingOnceTheOutputHasCapacity) {
  std::vector<std::pair<uint32_t, CompiledRule>> compiled;
  for (uint32_t i = 0; i < std::size(kRules); ++i)
    compiled.emplace_back(i, *CompileRule(kRules[i]));
  const RuleSet set(std::move(compiled));
  const DirectoryDevice device = Device();
  const DeviceAttributes attributes(device, {});
  std::vector<uint32_t> matched;
  matched.reserve(16);
  set.Match(attributes.subject(), matched);  // warm RE2's cache
  EXPECT_EQ(AllocationsDuring([&] {
              for (int i = 0; i < 100; ++i) {
                matched.clear();
                set.Match(attributes.subject(), matched);
              }
            }),
            0);
  EXPECT_EQ(matched.size(), std::size(kRules));
}

}  // namespace
}  // namespace groundcrew::core::rules
