#include "core/naming/certificate_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace groundcrew::core {
namespace {

TEST(ReplaceAllTest, ReplacesEveryOccurrenceAndNeverItsOwnReplacement) {
  std::string text = "{{A}}-{{A}}-{{B}}";
  ReplaceAll(text, "{{A}}", "x");
  EXPECT_EQ(text, "x-x-{{B}}");
  // A value that contains the placeholder is not expanded again.
  std::string loop = "[{{A}}]";
  ReplaceAll(loop, "{{A}}", "{{A}}{{A}}");
  EXPECT_EQ(loop, "[{{A}}{{A}}]");
  std::string none = "nothing";
  ReplaceAll(none, "{{A}}", "x");
  EXPECT_EQ(none, "nothing");
}

TEST(CertificateCommonNameTest, FillsThePlaceholders) {
  EXPECT_EQ(CertificateCommonName("CN={{DeviceName}}", "CON-1", "SN-1", "ztd-1"), "CON-1");
  EXPECT_EQ(CertificateCommonName("CN={{SerialNumber}}-{{DeviceId}}", "CON-1", "SN-1", "ztd-1"),
            "SN-1-ztd-1");
  EXPECT_EQ(CertificateCommonName("CN={{DeviceName}}-{{DeviceName}}", "SN-1", "SN-1", "z"),
            "SN-1-SN-1");
  // Unknown placeholders stay as they are.
  EXPECT_EQ(CertificateCommonName("CN={{UserName}}", "CON-1", "SN-1", "ztd-1"), "{{UserName}}");
}

TEST(CertificateCommonNameTest, KeepsOnlyTheCommonName) {
  // "CN=" in any case, spaces trimmed, other attributes dropped.
  EXPECT_EQ(CertificateCommonName("  cn= {{DeviceName}} , O=Contoso, C=US", "CON-1", "", ""),
            "CON-1");
  // Without "CN=", the whole text up to the first comma.
  EXPECT_EQ(CertificateCommonName("{{SerialNumber}},OU=Devices", "CON-1", "SN-1", ""), "SN-1");
}

TEST(CertificateCommonNameTest, FallsBackToTheDeviceNameWhenNothingIsLeft) {
  EXPECT_EQ(CertificateCommonName("", "CON-1", "SN-1", "ztd-1"), "CON-1");
  EXPECT_EQ(CertificateCommonName("CN=", "CON-1", "SN-1", "ztd-1"), "CON-1");
  EXPECT_EQ(CertificateCommonName("CN= ,O=Contoso", "CON-1", "SN-1", "ztd-1"), "CON-1");
}

TEST(CertificateCommonNameTest, CutsTo64BytesWithoutSplittingAUtf8Sequence) {
  const std::string long_name(100, 'a');
  EXPECT_EQ(CertificateCommonName("CN={{DeviceName}}", long_name, "", ""), std::string(64, 'a'));
  // 63 ASCII bytes then "é" (2 bytes): byte 64 would split it, so the cut is at 63.
  const std::string accented = std::string(63, 'a') + "\xC3\xA9" + "zz";
  EXPECT_EQ(CertificateCommonName("CN={{DeviceName}}", accented, "", ""), std::string(63, 'a'));
  // Exactly 64 bytes ending in a whole sequence are kept.
  const std::string exact = std::string(62, 'a') + "\xC3\xA9";
  EXPECT_EQ(CertificateCommonName("CN={{DeviceName}}", exact, "", ""), exact);
}

}  // namespace
}  // namespace groundcrew::core
