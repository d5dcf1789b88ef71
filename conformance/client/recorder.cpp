#include "conformance/client/recorder.h"

#include <utility>

#include "fhir/json/json.h"
#include "fhir/outcome/operation_outcome.h"

namespace mes::conformance::client {

namespace {

bool isWrite(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH";
}

bool underFhir(std::string_view path) {
  return path == "/fhir" || path.rfind("/fhir/", 0) == 0;
}

http::Response outcomeResponse(int status, ErrorKind kind, std::string code, std::string message) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/fhir+json");
  r.headers.set("Cache-Control", "no-store");
  r.body =
      fhir::toJson(fhir::operationOutcome(Error::make(kind, std::move(code), std::move(message))));
  return r;
}

std::string reasonOf(int status) {
  switch (status) {
    case 401:
      return "Unauthorized";
    case 413:
      return "Payload Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

}  // namespace

std::string targetOf(const http::Request& request) {
  std::string out;
  const std::string_view path = request.path;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    out += http::percentEncode(segment);
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  if (!request.rawQuery.empty()) out += "?" + request.rawQuery;
  return out;
}

Recorder::Recorder(RecorderOptions options, http::HttpClient& upstream, const Clock& clock,
                   RecordingWriter& recording,
                   std::function<void(const RecordedExchange&)> onExchange)
    : options_(std::move(options)),
      upstream_(upstream),
      clock_(clock),
      recording_(recording),
      onExchange_(std::move(onExchange)) {
  while (!options_.upstream.empty() && options_.upstream.back() == '/') {
    options_.upstream.pop_back();
  }
}

std::string Recorder::recordingError() const {
  std::lock_guard lock(mutex_);
  return recordingError_;
}

Injected Recorder::decide(const http::Request& request) {
  if (!underFhir(request.path)) return Injected::kNone;
  const bool bearer = request.headers.get("Authorization").rfind("Bearer ", 0) == 0;
  std::lock_guard lock(mutex_);
  if (bearer && ++bearerRequests_ == options_.faults.refuseTokenAt) return Injected::kRefusedToken;
  if (isWrite(request.method) && ++writes_ == options_.faults.unavailableAt) {
    return Injected::kUnavailable;
  }
  return Injected::kNone;
}

http::Response Recorder::forward(const http::Request& request, const std::string& target,
                                 RecordedExchange& exchange) {
  http::ClientRequest out;
  out.method = request.method;
  out.url = options_.upstream + target;
  for (const auto& [name, value] : request.headers.all()) {
    if (!http::isPerHopHeader(name)) out.headers.add(name, value);
  }
  out.body = request.body;
  Result<http::ClientResponse> answer = upstream_.send(out);
  http::Response response;
  if (!answer) {
    exchange.failure = answer.error().problems.empty() ? std::string("no answer")
                                                       : answer.error().problems.front().message;
    response = outcomeResponse(502, ErrorKind::kUnavailable, "gateway-unavailable",
                               "The sandbox's gateway did not answer: " + exchange.failure);
    exchange.reason = reasonOf(502);
    return response;
  }
  response.status = answer->status;
  exchange.reason = answer->reason;
  for (const auto& [name, value] : answer->headers.all()) {
    if (!http::isPerHopHeader(name)) response.headers.add(name, value);
  }
  response.body = std::move(answer->body);
  return response;
}

http::Response Recorder::handle(http::Request& request) {
  RecordedExchange exchange;
  exchange.seq = ++seq_;
  exchange.startedMs = clock_.nowMs();
  exchange.remote = request.remoteAddress;
  exchange.method = request.method;
  exchange.target = targetOf(request);
  exchange.requestHeaders = request.headers;
  exchange.requestBody = keepBody(request.body, options_.keepBodyBytes, options_.prefixBytes);

  http::Response response;
  if (request.bodyTooLarge) {
    exchange.requestBody.size = request.declaredBodyBytes;
    response = outcomeResponse(413, ErrorKind::kTooLarge, "body-too-large",
                               "The sandbox takes request bodies up to " +
                                   std::to_string(options_.maxBodyBytes) +
                                   " bytes; this one was not forwarded to the gateway.");
    exchange.reason = reasonOf(413);
  } else {
    exchange.injected = decide(request);
    switch (exchange.injected) {
      case Injected::kRefusedToken:
        response = outcomeResponse(
            401, ErrorKind::kUnauthorized, "token-refused",
            "The sandbox refuses this access token once, as a gateway may refuse a token before "
            "it expires (revocation, key rotation, clock skew): stop using it, refresh, and send "
            "the request again.");
        response.headers.set("WWW-Authenticate",
                             "Bearer realm=\"mes-gateway\", error=\"invalid_token\", "
                             "error_description=\"The access token was refused.\"");
        exchange.reason = reasonOf(401);
        break;
      case Injected::kUnavailable:
        response = outcomeResponse(
            503, ErrorKind::kUnavailable, "temporarily-unavailable",
            "The sandbox answers this write 503 once, as a busy gateway may: wait the "
            "Retry-After delay, then send it again.");
        response.headers.set("Retry-After", std::to_string(options_.faults.retryAfterSeconds));
        exchange.reason = reasonOf(503);
        break;
      case Injected::kNone:
        response = forward(request, exchange.target, exchange);
        break;
    }
  }
  exchange.finishedMs = clock_.nowMs();
  exchange.status = response.status;
  exchange.responseHeaders = response.headers;
  exchange.responseBody = keepBody(response.body, options_.keepBodyBytes, options_.prefixBytes);
  if (Status written = recording_.append(exchange); !written) {
    std::lock_guard lock(mutex_);
    if (recordingError_.empty()) recordingError_ = written.error().problems.front().message;
  } else {
    ++recorded_;
  }
  if (onExchange_) onExchange_(exchange);
  return response;
}

}  // namespace mes::conformance::client
