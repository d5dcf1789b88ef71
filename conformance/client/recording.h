// The recording of a sandbox session (`mes-conformance sandbox`), which `grade` reads later.
//
// A session directory holds:
//   session.json     what the session was: the app's registration, the test patients (logins,
//                    never passwords), the URLs, the settings that make the client plan
//                    observable (token lifetime, the deliberate 401 and 503), when it started
//                    and, once closed, when it stopped and how many exchanges it holds.
//   exchanges.jsonl  one JSON object per line per exchange between the app (or the patient's
//                    browser) and the gateway, appended as each response is sent. Lines are in
//                    completion order; `seq` is the arrival order, which readers sort by.
//   gateway/         the sandbox gateway's data directory; gateway.log its output.
// Both files are 0600 in a 0700 directory: they hold the session's tokens as sent (the grader
// needs them to follow a token from its issue to its use); reports never show them
// (conformance/redaction.h).
//
// An exchange line:
//   {"seq": 12, "started_ms": ..., "finished_ms": ..., "remote": "127.0.0.1",
//    "method": "POST", "target": "/fhir/Observation?x=1",
//    "request": {"headers": [["Content-Type", "application/fhir+json"], ...], "body": BODY},
//    "response": {"status": 201, "reason": "Created", "headers": [...], "body": BODY},
//    "injected": "refused-token" | "unavailable"      (only when the sandbox answered itself)
//    "failure": "..."}                                 (only when the gateway did not answer)
// BODY is {"size": N, "text": "..."} for UTF-8 text, {"size": N, "base64": "..."} for other
// bytes; a body larger than the recorder's limit keeps only a prefix:
//   {"size": N, "sha256": "<hex of the whole body>", "truncated": true, "text"|"base64": prefix}
// An empty body is {"size": 0, "text": ""}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/value.h"
#include "gateway/http/message.h"

namespace mes::conformance::client {

inline constexpr const char* kSessionFile = "session.json";
inline constexpr const char* kExchangesFile = "exchanges.jsonl";
inline constexpr const char* kGatewayDir = "gateway";
inline constexpr const char* kGatewayLog = "gateway.log";
inline constexpr std::string_view kSessionFormat = "mes-sandbox-session/1";

// A request or response body as kept.
struct RecordedBody {
  std::string bytes;  // the whole body, or its first bytes when truncated
  uint64_t size = 0;  // the size of the whole body
  bool truncated = false;
  std::string sha256;  // lower-case hex of the whole body; set when truncated
};
// Keeps `body` whole when it is at most `keepBytes` long, else its first `prefixBytes` with
// its size and SHA-256.
RecordedBody keepBody(std::string_view body, size_t keepBytes, size_t prefixBytes);

// Why the sandbox answered a request itself instead of the gateway.
enum class Injected {
  kNone,
  kRefusedToken,  // 401 invalid_token, once: an app must handle a refused token at any time
  kUnavailable,   // 503 with Retry-After, once: an app must wait and retry its write
};
std::string_view injectedName(Injected injected);  // "", "refused-token", "unavailable"

struct RecordedExchange {
  uint64_t seq = 0;        // arrival order, from 1
  int64_t startedMs = 0;   // the recorder had the whole request
  int64_t finishedMs = 0;  // the response was ready to send
  std::string remote;      // the caller's address
  std::string method;
  std::string target;  // path and query as forwarded: /fhir/Observation?patient=demo
  http::Headers requestHeaders;
  RecordedBody requestBody;
  int status = 0;
  std::string reason;
  http::Headers responseHeaders;
  RecordedBody responseBody;
  Injected injected = Injected::kNone;
  std::string failure;  // why the gateway gave no answer (the app got a 502); empty otherwise
};

struct SessionPatient {
  std::string patientId;
  std::string login;
};

// session.json.
struct SessionInfo {
  std::string tool;       // "mes-conformance 0.1.0"
  std::string publicUrl;  // the base URL the app talks to (the gateway's issuer)
  std::string fhirBase;   // publicUrl + "/fhir"
  std::string clientId;
  std::string clientName;
  std::string clientType;  // public | confidential-asymmetric
  std::vector<std::string> redirectUris;
  std::vector<std::string> accesses;  // the MES access families the registration asks for
  std::string allowedScopes;          // the scopes those families hold
  std::vector<SessionPatient> patients;
  int accessTokenSeconds = 0;
  int refuseTokenAt = 0;      // the n-th request with a token to /fhir gets a 401; 0 never
  int unavailableAt = 0;      // the n-th write to /fhir gets a 503; 0 never
  int retryAfterSeconds = 0;  // the Retry-After of that 503
  uint64_t keepBodyBytes = 0;
  int64_t startedMs = 0;
  std::optional<int64_t> stoppedMs;  // set when the sandbox closed the recording
  uint64_t exchanges = 0;            // how many it recorded (set on close)
};

fhir::Value sessionToJson(const SessionInfo& info);
// kInvalid "session-invalid" naming the member that is missing or of the wrong type.
Result<SessionInfo> sessionFromJson(const fhir::Value& json);

// One line of exchanges.jsonl (no newline) and back. kInvalid "exchange-invalid".
std::string exchangeToJsonLine(const RecordedExchange& exchange);
Result<RecordedExchange> exchangeFromJsonLine(std::string_view line);

// Writes session.json whole (a temporary file renamed over it), 0600.
Status writeSessionInfo(const std::filesystem::path& directory, const SessionInfo& info);

// Appends exchanges to <directory>/exchanges.jsonl, one line per call, each line written with
// one write() so that lines never interleave; thread-safe. kUnavailable "recording-unwritable".
class RecordingWriter {
 public:
  static Result<std::unique_ptr<RecordingWriter>> open(const std::filesystem::path& directory);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  Status append(const RecordedExchange& exchange);
  // Flushes to disk (fsync) and closes; later appends fail. Idempotent.
  Status close();
  uint64_t written() const;

 private:
  explicit RecordingWriter(int fd) : fd_(fd) {}
  mutable std::mutex mutex_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

// A session as read back.
struct Recording {
  SessionInfo info;
  std::vector<RecordedExchange> exchanges;  // sorted by seq
  // What the reader had to overlook: a torn last line (the sandbox was killed mid-write), a
  // session never closed. Each a sentence for the report.
  std::vector<std::string> warnings;
};

// The time of day of `ms` (UTC, HH:MM:SS), as the sandbox prints exchanges and grade names them.
std::string timeOfDay(int64_t ms);

// Reads a session directory. kInvalid "session-invalid" when it is no session (no
// session.json, or a malformed one, or a malformed line other than the last); kUnavailable
// "session-unreadable" when a file cannot be read.
Result<Recording> readRecording(const std::filesystem::path& directory);

}  // namespace mes::conformance::client
