#include "identity/qr.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace groundcrew::identity {
namespace {

constexpr std::string_view kUri =
    "otpauth://totp/Groundcrew:alice%40contoso.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=Groundcrew&algorithm=SHA1&digits=6&period=30";

// True when the 7x7 finder pattern (dark ring, light ring, dark 3x3 centre) has its top-left
// corner at (left, top).
bool HasFinderPattern(const QrCode& qr, int left, int top) {
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 7; ++x) {
      const bool ring = x == 0 || y == 0 || x == 6 || y == 6;
      const bool centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
      if (qr.dark(left + x, top + y) != (ring || centre)) return false;
    }
  }
  return true;
}

TEST(EncodeQr, IsASquareSymbolWithFinderPatterns) {
  const Result<QrCode> qr = EncodeQr(kUri);
  ASSERT_TRUE(qr) << qr.error().message;
  EXPECT_GE(qr->size(), 21);
  EXPECT_EQ((qr->size() - 17) % 4, 0) << "sizes are 17 + 4 * version";
  EXPECT_TRUE(HasFinderPattern(*qr, 0, 0));
  EXPECT_TRUE(HasFinderPattern(*qr, qr->size() - 7, 0));
  EXPECT_TRUE(HasFinderPattern(*qr, 0, qr->size() - 7));
  EXPECT_FALSE(HasFinderPattern(*qr, qr->size() - 7, qr->size() - 7));
}

TEST(EncodeQr, ShortTextIsVersionOne) {
  const Result<QrCode> qr = EncodeQr("HELLO");
  ASSERT_TRUE(qr);
  EXPECT_EQ(qr->size(), 21);
}

TEST(EncodeQr, SameTextSameMatrix) {
  const Result<QrCode> a = EncodeQr(kUri);
  const Result<QrCode> b = EncodeQr(kUri);
  const Result<QrCode> c = EncodeQr(std::string(kUri) + "x");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(EncodeQr, RefusesWhatDoesNotFit) {
  const Result<QrCode> big = EncodeQr(std::string(2332, 'a'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(big.error().field, "text");
  EXPECT_TRUE(EncodeQr(std::string(2331, 'a')));  // the 8-bit capacity of version 40-M
  EXPECT_EQ(EncodeQr("").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeQr(std::string("a\0b", 3)).error().code, ErrorCode::kInvalidArgument);
}

// Splits UTF-8 text into lines of code points (as strings).
std::vector<std::vector<std::string>> Glyphs(const std::string& text) {
  std::vector<std::vector<std::string>> lines(1);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\n') {
      lines.emplace_back();
      ++i;
      continue;
    }
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    lines.back().push_back(text.substr(i, length));
    i += length;
  }
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

// Reads a terminal rendering back as a grid of drawn (true) / background half-cells.
std::vector<std::vector<bool>> DrawnCells(const std::string& rendering) {
  std::vector<std::vector<bool>> cells;
  for (const auto& line : Glyphs(rendering)) {
    std::vector<bool> upper, lower;
    for (const std::string& glyph : line) {
      upper.push_back(glyph == "\u2580" || glyph == "\u2588");
      lower.push_back(glyph == "\u2584" || glyph == "\u2588");
      EXPECT_TRUE(glyph == " " || glyph == "\u2580" || glyph == "\u2584" || glyph == "\u2588")
          << "unexpected glyph '" << glyph << "'";
    }
    cells.push_back(upper);
    cells.push_back(lower);
  }
  return cells;
}

TEST(RenderTerminal, DrawsLightModulesAndQuietZoneOnDarkTerminals) {
  const Result<QrCode> qr = EncodeQr(kUri);
  ASSERT_TRUE(qr);
  const std::string text = RenderTerminal(*qr);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const int width = qr->size() + 2 * kQrQuietZone;
  const auto lines = Glyphs(text);
  ASSERT_EQ(static_cast<int>(lines.size()), (width + 1) / 2);
  for (const auto& line : lines) EXPECT_EQ(static_cast<int>(line.size()), width);
  // Quiet zone: the top two lines are full blocks (four light module rows).
  for (int x = 0; x < width; ++x) {
    EXPECT_EQ(lines[0][x], "\u2588");
    EXPECT_EQ(lines[1][x], "\u2588");
  }
  const auto cells = DrawnCells(text);
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      const int mx = x - kQrQuietZone, my = y - kQrQuietZone;
      const bool inside = mx >= 0 && my >= 0 && mx < qr->size() && my < qr->size();
      const bool light = !inside || !qr->dark(mx, my);
      ASSERT_EQ(cells[y][x], light) << "module (" << x << ", " << y << ")";
    }
  }
  // The half row below the symbol is background.
  for (int x = 0; x < width; ++x) EXPECT_FALSE(cells[width][x]);
}

TEST(RenderTerminal, DrawsDarkModulesOnLightTerminals) {
  const Result<QrCode> qr = EncodeQr("HELLO");
  ASSERT_TRUE(qr);
  const auto cells = DrawnCells(RenderTerminal(*qr, TerminalBackground::kLight));
  const int width = qr->size() + 2 * kQrQuietZone;
  ASSERT_EQ(static_cast<int>(cells.size()), width + 1);
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      const int mx = x - kQrQuietZone, my = y - kQrQuietZone;
      const bool inside = mx >= 0 && my >= 0 && mx < qr->size() && my < qr->size();
      ASSERT_EQ(cells[y][x], inside && qr->dark(mx, my)) << "module (" << x << ", " << y << ")";
    }
  }
}

TEST(RenderSvg, IsAStandaloneDocumentOfTheDarkModules) {
  const Result<QrCode> qr = EncodeQr(kUri);
  ASSERT_TRUE(qr);
  const std::string svg = RenderSvg(*qr, 5);
  const int width = qr->size() + 2 * kQrQuietZone;
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << svg.substr(0, 80);
  EXPECT_TRUE(svg.ends_with("</svg>"));
  const std::string units = std::to_string(width);
  EXPECT_NE(svg.find("viewBox=\"0 0 " + units + " " + units + "\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"" + std::to_string(width * 5) + "\""), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);  // no external references
  EXPECT_EQ(svg.find("<svg", 1), std::string::npos);
  // Every element that is opened is closed.
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '<'), std::count(svg.begin(), svg.end(), '>'));

  // Paint the path's runs and compare with the matrix, quiet zone included.
  std::vector<std::vector<bool>> painted(width, std::vector<bool>(width, false));
  const std::size_t d = svg.find(" d=\"");
  ASSERT_NE(d, std::string::npos);
  const std::string path = svg.substr(d + 4, svg.find('"', d + 4) - (d + 4));
  int runs = 0;
  for (std::size_t at = 0; at < path.size(); ++runs) {
    int x = 0, y = 0, length = 0, back = 0, used = 0;
    ASSERT_EQ(std::sscanf(path.c_str() + at, "M%d,%dh%dv1h-%dz%n", &x, &y, &length, &back, &used),
              4)
        << "unexpected path data at " << at << ": " << path.substr(at, 20);
    at += static_cast<std::size_t>(used);
    ASSERT_EQ(length, back);
    ASSERT_GT(length, 0);
    ASSERT_LE(x + length, width);
    ASSERT_LT(y, width);
    for (int i = 0; i < length; ++i) {
      ASSERT_FALSE(painted[y][x + i]) << "painted twice";
      painted[y][x + i] = true;
    }
  }
  EXPECT_GT(runs, 0);
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      const int mx = x - kQrQuietZone, my = y - kQrQuietZone;
      const bool inside = mx >= 0 && my >= 0 && mx < qr->size() && my < qr->size();
      ASSERT_EQ(painted[y][x], inside && qr->dark(mx, my)) << "module (" << x << ", " << y << ")";
    }
  }
}

TEST(RenderSvg, ClampsTheModuleSize) {
  const Result<QrCode> qr = EncodeQr("HELLO");
  ASSERT_TRUE(qr);
  EXPECT_NE(RenderSvg(*qr, 0).find("width=\"29\""), std::string::npos);
}

}  // namespace
}  // namespace groundcrew::identity
