#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// QR codes (ISO/IEC 18004, via libqrencode) and two renderings: terminal text and SVG. Used to
// show otpauth:// enrollment URIs to authenticator apps.
namespace groundcrew::identity {

/// Light modules around the symbol in every rendering (ISO/IEC 18004 asks for at least 4).
inline constexpr int kQrQuietZone = 4;

/// A QR symbol as a square matrix of modules, without quiet zone.
class QrCode {
 public:
  /// REQUIRES: modules.size() == size * size, row-major, true = dark.
  QrCode(int size, std::vector<bool> modules);

  /// Modules per side: 21 (version 1) to 177 (version 40).
  int size() const { return size_; }
  /// REQUIRES: 0 <= x, y < size(). x is the column, y the row, (0, 0) top left.
  bool dark(int x, int y) const { return modules_[static_cast<std::size_t>(y * size_ + x)]; }

  friend bool operator==(const QrCode&, const QrCode&) = default;

 private:
  int size_;
  std::vector<bool> modules_;
};

/// Encodes `text` (bytes, case preserved) at error correction level M in the smallest version
/// that fits. Errors: kInvalidArgument (field "text") when the text is empty, contains a NUL
/// byte or does not fit a version 40-M symbol (2331 bytes of arbitrary text; more when long runs
/// are digits or upper-case letters, which are packed tighter); kInternal when libqrencode fails
/// otherwise. The same text always gives the same matrix.
Result<QrCode> EncodeQr(std::string_view text);

/// Which colour the terminal draws text with on its background.
enum class TerminalBackground {
  kDark,   ///< light text on a dark background
  kLight,  ///< dark text on a light background
};

/// The symbol with its quiet zone as UTF-8 text, two module rows per line using the half blocks
/// U+2580 '▀', U+2584 '▄', U+2588 '█' and spaces: (size + 8) columns by ceil((size + 8) / 2)
/// lines, each ending in '\n'. Scanners expect dark modules on a light field, so on a kDark
/// terminal the LIGHT modules (and the quiet zone) are the glyphs drawn in the text colour and
/// dark modules are left as background; on a kLight terminal the dark modules are drawn. The half
/// row below the last module row (the total height is odd) is always left as background.
std::string RenderTerminal(const QrCode& qr,
                           TerminalBackground background = TerminalBackground::kDark);

/// A standalone SVG document (no XML declaration, no external references): a white background
/// and one black path of the dark modules, in a viewBox of (size + 8) module units with the quiet
/// zone, displayed at `module_px` pixels per module (values below 1 count as 1). Starts with
/// "<svg" and ends with "</svg>".
std::string RenderSvg(const QrCode& qr, int module_px = 8);

}  // namespace groundcrew::identity
