// The sandbox's recorder: the handler behind the public port of `mes-conformance sandbox`. It
// forwards every request of the editor's app (and of the patient's browser) to the sandbox's
// gateway, sends the gateway's answer back unchanged, and appends the exchange to the
// recording (recording.h).
//
// To make the client test plan observable it answers two requests itself, once each per
// session (FaultPlan), instead of forwarding them:
//   - the refuseTokenAt-th request carrying `Authorization: Bearer` to /fhir gets
//     401 with `WWW-Authenticate: Bearer realm="mes-gateway", error="invalid_token"` and an
//     OperationOutcome (code "token-refused"): a gateway may refuse a token before its expiry
//     (revocation, key rotation, clock skew), and an app must then stop using it, refresh and
//     retry (client.handles-401);
//   - the unavailableAt-th write (POST, PUT, DELETE) to /fhir that was not so refused gets
//     503 with `Retry-After: <retryAfterSeconds>` and an OperationOutcome (code
//     "temporarily-unavailable"): the app must wait that long and send it again
//     (client.retry-after, client.error-handling).
// 0 turns either off. The gateway never sees an injected request.
//
// Forwarding: the method, the path (re-encoded from the decoded one the server hands over),
// the query as received, the headers but the hop-by-hop ones (Host, Connection,
// Content-Length, Transfer-Encoding, Keep-Alive) and the body. A gateway that does not answer
// gives the app 502, recorded with the failure. A body over the server's limit is answered 413
// by the recorder (recorded; the gateway never sees it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "conformance/client/recording.h"
#include "core/clock.h"
#include "gateway/http/http_client.h"
#include "gateway/http/message.h"

namespace mes::conformance::client {

struct FaultPlan {
  int refuseTokenAt = 3;
  int unavailableAt = 2;
  int retryAfterSeconds = 3;
};

struct RecorderOptions {
  std::string upstream;  // the gateway's own base URL: http://127.0.0.1:<private port>
  FaultPlan faults;
  size_t keepBodyBytes = 2 << 20;  // bodies up to this are recorded whole
  size_t prefixBytes = 4096;       // of larger ones, the first bytes (with size and SHA-256)
  size_t maxBodyBytes = 48 << 20;  // what the server takes (documents: 20 MiB as base64, JSON)
};

class Recorder {
 public:
  // `onExchange` (optional) hears each exchange once recorded (the sandbox prints the injected
  // ones). `upstream`, `clock` and `recording` must outlive the recorder.
  Recorder(RecorderOptions options, http::HttpClient& upstream, const Clock& clock,
           RecordingWriter& recording,
           std::function<void(const RecordedExchange&)> onExchange = {});

  // The server's handler. Thread-safe.
  http::Response handle(http::Request& request);

  uint64_t recorded() const { return recorded_.load(); }
  // The first error the recording returned (a full disk...); empty while none. The exchanges
  // are still forwarded: the app is not broken by the sandbox's own trouble.
  std::string recordingError() const;

 private:
  Injected decide(const http::Request& request);
  http::Response forward(const http::Request& request, const std::string& target,
                         RecordedExchange& exchange);

  RecorderOptions options_;
  http::HttpClient& upstream_;
  const Clock& clock_;
  RecordingWriter& recording_;
  std::function<void(const RecordedExchange&)> onExchange_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> recorded_{0};
  mutable std::mutex mutex_;
  int bearerRequests_ = 0;
  int writes_ = 0;
  std::string recordingError_;
};

// The path re-encoded segment by segment (what the server decoded) and the raw query.
std::string targetOf(const http::Request& request);

}  // namespace mes::conformance::client
