#include "device/agent/web_view.hpp"

#include <arpa/inet.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "common/durable_file.hpp"
#include "common/text.hpp"
#include "identity/random.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;

Error ListenError(std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(why), "--listen");
}

// Equal without an early exit, so the time taken says nothing of how much of a guess matched.
bool SameToken(std::string_view given, std::string_view token) {
  if (given.size() != token.size() || token.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  }
  return diff == 0;
}

// The value of `key` in a target's query ("/events?token=abc" -> "abc"); tokens are base64url,
// so no decoding is needed.
std::string_view QueryValue(std::string_view target, std::string_view key) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

WebReply Plain(int status, std::string text) {
  return WebReply{.status = status, .body = std::move(text) + "\n"};
}

WebReply JsonReply(int status, const json::object& body) {
  return WebReply{
      .status = status, .content_type = "application/json", .body = json::serialize(body)};
}

WebReply ErrorReply(int status, std::string_view code, const Error& error) {
  json::object body{{"error", code}, {"message", error.message}};
  if (!error.field.empty()) body["field"] = error.field;
  return JsonReply(status, body);
}

// The page may be framed by nobody and load nothing from elsewhere.
void AddPageHeaders(WebReply& reply) {
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
}

// {"version": N, "action": "signIn", "phase"?: "deviceSetup", "inputs"?: {"password": "..."}}.
WebReply HandlePress(const WebRequest& request, ScreenChannel& channel) {
  auto invalid = [](std::string message, std::string field) {
    return ErrorReply(400, "invalidRequest",
                      MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field)));
  };
  boost::system::error_code ec;
  const json::value parsed = json::parse(request.body, ec);
  if (ec || !parsed.is_object()) return invalid("the body must be a JSON object", "body");
  const json::object& body = parsed.as_object();
  const json::value* version = body.if_contains("version");
  if (version == nullptr || !version->is_number()) {
    return invalid("must be the screen's version (a number)", "version");
  }
  const auto number = version->to_number<std::uint64_t>(ec);
  if (ec) return invalid("must be the screen's version (a number)", "version");
  const json::value* action_name = body.if_contains("action");
  const auto action = action_name != nullptr && action_name->is_string()
                          ? device::ActionFromName(action_name->as_string())
                          : std::nullopt;
  if (!action) return invalid("must be one of the screen's buttons' actions", "action");
  Press press{.action = *action};
  if (const json::value* phase = body.if_contains("phase")) {
    press.phase = phase->is_string() ? wire::PhaseFromName(phase->as_string()) : std::nullopt;
    if (!press.phase) return invalid("must be a phase's name", "phase");
  }
  if (const json::value* inputs = body.if_contains("inputs")) {
    if (!inputs->is_object()) return invalid("must be an object of strings", "inputs");
    for (const auto& [name, value] : inputs->as_object()) {
      if (!value.is_string()) {
        return invalid("must be a string", "inputs." + std::string(name));
      }
      press.inputs.emplace(std::string(name), std::string(value.as_string()));
    }
  }
  if (Status submitted = channel.Submit(number, std::move(press)); !submitted) {
    return ErrorReply(409, "stale", submitted.error());
  }
  return JsonReply(202, json::object{});
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> ParseLoopbackListen(std::string_view listen) {
  std::string_view host = listen;
  std::string_view port_text;
  if (listen.starts_with('[')) {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos)
      return ListenError("'[' without ']' in " + std::string(listen));
    host = listen.substr(1, close - 1);
    const std::string_view rest = listen.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return ListenError("expected ':PORT' after ']' in " + std::string(listen));
    }
    if (!rest.empty()) port_text = rest.substr(1);
  } else if (const std::size_t colon = listen.rfind(':'); colon != std::string_view::npos) {
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
  }
  std::uint16_t port = 0;
  if (!port_text.empty()) {
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size()) {
      return ListenError("the port must be a number from 0 to 65535, not '" +
                         std::string(port_text) + "'");
    }
  }
  std::string address(host == "localhost" ? "127.0.0.1" : host);
  in_addr v4{};
  in6_addr v6{};
  const bool loopback =
      (::inet_pton(AF_INET, address.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) ||
      (::inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6));
  if (!loopback) {
    return ListenError("'" + std::string(host) +
                       "' is not a loopback address: the OOBE is served to this device's own "
                       "screen only (use 127.0.0.1 or [::1])");
  }
  return std::pair{std::move(address), port};
}

WebReply RouteWebRequest(const WebRequest& request, ScreenChannel& channel, std::string_view token,
                         std::uint16_t port, std::span<const EmbeddedFile> files) {
  // A page on another name that resolves here (DNS rebinding) sends its own Host.
  const std::string suffix = ":" + std::to_string(port);
  if (request.host != "127.0.0.1" + suffix && request.host != "localhost" + suffix &&
      request.host != "[::1]" + suffix) {
    return Plain(421, "This page is served as http://127.0.0.1" + suffix + "/ only.");
  }
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (request.method == "POST" && path == "/press") {
    if (!request.origin.empty() && request.origin != "http://" + request.host) {
      return Plain(403, "Presses come from the OOBE page only.");
    }
    if (!SameToken(request.token, token)) return Plain(403, "The token is missing or wrong.");
    return HandlePress(request, channel);
  }
  if (request.method != "GET" && request.method != "HEAD") {
    WebReply reply = Plain(405, "Method not allowed.");
    reply.headers.emplace_back("Allow", path == "/press" ? "POST" : "GET");
    return reply;
  }
  if (path == "/events") {
    if (!SameToken(QueryValue(target, "token"), token)) {
      return Plain(403, "The token is missing or wrong.");
    }
    return WebReply{.content_type = "text/event-stream",
                    .body = "",
                    .headers = {{"Cache-Control", "no-store"}},
                    .events = true};
  }
  const std::string_view file_path = path == "/" ? "/index.html" : path;
  if (file_path == "/index.html" && !SameToken(QueryValue(target, "token"), token)) {
    return Plain(403,
                 "Open the OOBE with the address groundcrew-agent printed (it carries the run's "
                 "token).");
  }
  for (const EmbeddedFile& file : files) {
    if (file.path != file_path) continue;
    WebReply reply{.content_type = std::string(file.content_type), .body = std::string(file.bytes)};
    AddPageHeaders(reply);
    reply.headers.emplace_back("Cache-Control", file_path == "/index.html"
                                                    ? "no-store"
                                                    : "public, max-age=31536000, immutable");
    return reply;
  }
  return Plain(404, "Not found.");
}

std::string EventStreamChunk(const PublishedScreen& published) {
  return std::string(published.ended ? "event: end\n" : "event: screen\n") +
         "data: " + published.json + "\n\n";
}

Result<std::unique_ptr<WebView>> WebView::Start(std::string_view listen,
                                                const std::filesystem::path& state) {
  auto address = ParseLoopbackListen(listen);
  if (!address) return address.error();
  std::unique_ptr<WebView> view(new WebView());
  view->url_file_ = state / kUrlFile;
  // A restart of the same OOBE (an app asked for one) keeps its token: the kiosk's page goes on.
  std::string token;
  if (auto previous = durable::ReadWholeFile(view->url_file_)) {
    token = std::string(QueryValue(text::Trim(*previous), "token"));
  }
  if (token.size() < 43) token = identity::RandomToken(32);
  auto server =
      StartWebServer(address->first, address->second, view->channel_, token, OobePageFiles());
  if (!server) return server.error();
  view->server_ = std::move(*server);
  const std::string host =
      address->first.find(':') != std::string::npos ? "[" + address->first + "]" : address->first;
  view->url_ = "http://" + host + ":" + std::to_string(view->server_->port()) + "/?token=" + token;
  if (Status written = durable::WriteFileAtomically(view->url_file_, view->url_ + "\n", 0600);
      !written) {
    return written.error();
  }
  return view;
}

WebView::~WebView() {
  channel_.Close();
  if (server_) server_->Stop();
}

void WebView::End(int exit_code, bool oobe_over) {
  channel_.End(exit_code);
  server_->Notify();
  if (oobe_over) (void)durable::RemoveFile(url_file_);
}

void WebView::Show(const device::Screen& screen) {
  channel_.Publish(screen);
  server_->Notify();
}

std::optional<Press> WebView::Wait(const device::Screen& screen,
                                   std::optional<std::chrono::milliseconds> timeout) {
  Show(screen);
  return channel_.Wait(screen, timeout);
}

}  // namespace groundcrew::agent
