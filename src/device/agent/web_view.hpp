#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "device/agent/screen_channel.hpp"
#include "device/agent/view.hpp"

// The web view: the OOBE as a page in a browser on the device itself (a kiosk, docs/agent.md).
// `groundcrew-agent oobe --ui web` serves the page (web/oobe, built by Vite and embedded in the
// binary), the screen model as Server-Sent Events, and takes the person's presses back, on a
// loopback address only. Every request but the page's static files carries the run's token, so
// another local user cannot read the screen (it may show an authenticator's secret) or drive
// the OOBE; the Host header must name the loopback address (no DNS rebinding). Like every view
// it only renders: the driver decides what a press does.
//
// Routes (docs/agent.md, "The web view"):
//   GET  /?token=T          the page (index.html)
//   GET  /assets/NAME       its scripts and styles
//   GET  /events?token=T    text/event-stream: "screen" events {"version", "screen"}, then an
//                           "end" event {"version", "exit"}; a keep-alive comment every 15 s
//   POST /press             X-Groundcrew-Token: T; {"version", "action", "phase"?, "inputs"?}
//                           -> 202, or 409 when that screen is no longer up
namespace groundcrew::agent {

/// One file of the page, embedded at build time (oobe_page_files.cpp, generated).
struct EmbeddedFile {
  std::string_view path;  ///< "/index.html", "/assets/index-3f2a.js"
  std::string_view content_type;
  std::string_view bytes;
};
/// The OOBE page's files (web/oobe, built by `npm run build:oobe`).
std::span<const EmbeddedFile> OobePageFiles();

/// A request as the web view's routes see it (web_server.cpp reads it off the socket).
struct WebRequest {
  std::string method = {};
  std::string target = {};  ///< "/events?token=..."
  std::string host = {};    ///< the Host header
  std::string origin = {};  ///< the Origin header; empty when absent
  std::string token = {};   ///< the X-Groundcrew-Token header; empty when absent
  std::string body = {};
};

/// What a route answers. `events` asks the server to keep the connection as an event stream
/// (ScreenChannel::Next, EventStreamChunk) instead of sending `body`.
struct WebReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body = {};
  std::vector<std::pair<std::string, std::string>> headers = {};
  bool events = false;
};

/// The routes above over `channel`, for a server bound to `port` whose run token is `token`.
/// Pure apart from the channel (Submit). Never throws on any input.
WebReply RouteWebRequest(const WebRequest& request, ScreenChannel& channel, std::string_view token,
                         std::uint16_t port, std::span<const EmbeddedFile> files);

/// `published` as one Server-Sent Event ("event: screen\ndata: {...}\n\n", or "end").
std::string EventStreamChunk(const PublishedScreen& published);

/// The loopback HTTP server behind the web view (web_server.cpp: Boost.Beast, one thread).
class WebServer {
 public:
  virtual ~WebServer() = default;
  virtual std::uint16_t port() const = 0;
  /// A new screen was published: wakes the event streams. Any thread.
  virtual void Notify() = 0;
  /// Ends every stream and connection and joins the server's thread. Idempotent.
  virtual void Stop() = 0;
};

/// Binds `address`:`port` (port 0: any free one) and serves RouteWebRequest. kInvalidArgument
/// (field "--listen") when the address is not a loopback address; kUnavailable when it cannot
/// be bound.
[[nodiscard]] Result<std::unique_ptr<WebServer>> StartWebServer(
    const std::string& address, std::uint16_t port, ScreenChannel& channel, std::string token,
    std::span<const EmbeddedFile> files);

class WebView final : public View {
 public:
  /// Starts serving on `listen` ("127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT"; PORT 0 or
  /// absent: any free port). The token is the one in STATE/oobe-web.url when a previous run of
  /// this OOBE left it there (a restart keeps the kiosk's page working), else a new random one;
  /// the page's URL with it is written there (0600) and is url(). Errors: kInvalidArgument
  /// (field "--listen") for a malformed or non-loopback address; kUnavailable when the port
  /// cannot be bound or the file cannot be written.
  [[nodiscard]] static Result<std::unique_ptr<WebView>> Start(std::string_view listen,
                                                              const std::filesystem::path& state);
  /// Stops the server (the page's stream ends).
  ~WebView() override;

  /// "http://127.0.0.1:PORT/?token=T". SECRET: it lets whoever has it drive the OOBE.
  const std::string& url() const { return url_; }
  /// The run ended with `exit_code`: the page is told (the last screen stays up). When the OOBE
  /// is over (not a restart to continue it), the URL file is removed.
  void End(int exit_code, bool oobe_over);

  void Show(const device::Screen& screen) override;
  void Pressed(const device::Button& button) override { (void)button; }
  bool interactive() const override { return true; }
  std::optional<Press> Wait(const device::Screen& screen,
                            std::optional<std::chrono::milliseconds> timeout) override;
  bool closed() const override { return channel_.closed(); }

  /// The URL file's name in the state folder.
  static constexpr std::string_view kUrlFile = "oobe-web.url";

 private:
  WebView() = default;
  ScreenChannel channel_;
  std::unique_ptr<WebServer> server_;
  std::filesystem::path url_file_;
  std::string url_;
};

/// Splits --listen's "HOST:PORT" ("[::1]:PORT" for IPv6; PORT optional, default 0) and checks
/// that HOST is a loopback address ("localhost" is 127.0.0.1). kInvalidArgument (field
/// "--listen") naming what is wrong.
[[nodiscard]] Result<std::pair<std::string, std::uint16_t>> ParseLoopbackListen(
    std::string_view listen);

}  // namespace groundcrew::agent
