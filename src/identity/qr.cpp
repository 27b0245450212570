#include "identity/qr.hpp"

#include <qrencode.h>

#include <cerrno>
#include <memory>
#include <utility>

namespace groundcrew::identity {
namespace {

// Whether the module at (x, y) of the quiet-zoned symbol is dark; outside the symbol is light.
bool DarkWithQuietZone(const QrCode& qr, int x, int y) {
  x -= kQrQuietZone;
  y -= kQrQuietZone;
  return x >= 0 && y >= 0 && x < qr.size() && y < qr.size() && qr.dark(x, y);
}

}  // namespace

QrCode::QrCode(int size, std::vector<bool> modules) : size_(size), modules_(std::move(modules)) {}

Result<QrCode> EncodeQr(std::string_view text) {
  if (text.empty()) return MakeError(ErrorCode::kInvalidArgument, "must not be empty", "text");
  if (text.find('\0') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "must not contain a NUL byte", "text");
  }
  const std::string terminated(text);
  errno = 0;
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(terminated.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (code == nullptr) {
    if (errno == ERANGE) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "is too long for a QR code (" + std::to_string(text.size()) +
                           " bytes; level M holds at most 2331 bytes of arbitrary text)",
                       "text");
    }
    return MakeError(ErrorCode::kInternal, "libqrencode could not encode the text");
  }
  const int size = code->width;
  std::vector<bool> modules(static_cast<std::size_t>(size) * static_cast<std::size_t>(size));
  for (std::size_t i = 0; i < modules.size(); ++i) modules[i] = (code->data[i] & 1) != 0;
  return QrCode(size, std::move(modules));
}

std::string RenderTerminal(const QrCode& qr, TerminalBackground background) {
  static constexpr std::string_view kGlyphs[] = {
      " ",       // neither half drawn
      "\u2584",  // lower half
      "\u2580",  // upper half
      "\u2588",  // both halves
  };
  const int width = qr.size() + 2 * kQrQuietZone;
  const bool draw_light = background == TerminalBackground::kDark;
  const auto drawn = [&](int x, int y) {
    if (y >= width) return false;  // the half row below the symbol stays background
    return DarkWithQuietZone(qr, x, y) != draw_light;
  };
  std::string out;
  for (int y = 0; y < width; y += 2) {
    for (int x = 0; x < width; ++x) {
      out += kGlyphs[(drawn(x, y) ? 2 : 0) | (drawn(x, y + 1) ? 1 : 0)];
    }
    out.push_back('\n');
  }
  return out;
}

std::string RenderSvg(const QrCode& qr, int module_px) {
  if (module_px < 1) module_px = 1;
  const int width = qr.size() + 2 * kQrQuietZone;
  const std::string units = std::to_string(width);
  const std::string pixels = std::to_string(width * module_px);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 " +
                    units + " " + units + "\" width=\"" + pixels + "\" height=\"" + pixels +
                    "\" shape-rendering=\"crispEdges\">";
  out += "<rect width=\"" + units + "\" height=\"" + units + "\" fill=\"#ffffff\"/>";
  out += "<path fill=\"#000000\" d=\"";
  // One sub-path per horizontal run of dark modules.
  for (int y = 0; y < qr.size(); ++y) {
    for (int x = 0; x < qr.size();) {
      if (!qr.dark(x, y)) {
        ++x;
        continue;
      }
      int run = 0;
      while (x + run < qr.size() && qr.dark(x + run, y)) ++run;
      out += "M" + std::to_string(x + kQrQuietZone) + "," + std::to_string(y + kQrQuietZone) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  out += "\"/></svg>";
  return out;
}

}  // namespace groundcrew::identity
