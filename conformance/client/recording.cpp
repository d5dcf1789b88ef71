#include "conformance/client/recording.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "conformance/report/exchange_text.h"
#include "fhir/json/json.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

namespace mes::conformance::client {

namespace {

using fhir::Value;

std::string hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0f];
  }
  return out;
}

// A prefix that does not cut a UTF-8 sequence in two (so that text stays text).
std::string_view utf8Prefix(std::string_view bytes, size_t n) {
  if (n >= bytes.size()) return bytes;
  size_t end = n;
  while (end > 0 && n - end < 4 && (static_cast<unsigned char>(bytes[end]) & 0xc0) == 0x80) --end;
  return bytes.substr(0, end);
}

Value headersToJson(const http::Headers& headers) {
  Value out = Value::array();
  for (const auto& [name, value] : headers.all()) {
    Value pair = Value::array();
    pair.push(Value::string(name));
    pair.push(Value::string(isUtf8(value) ? value : printableText(value)));
    out.push(std::move(pair));
  }
  return out;
}

Value bodyToJson(const RecordedBody& body) {
  Value out = Value::object();
  out.set("size", Value::number(static_cast<int64_t>(body.size)));
  if (body.truncated) {
    out.set("sha256", Value::string(body.sha256));
    out.set("truncated", Value::boolean(true));
  }
  if (isUtf8(body.bytes)) {
    out.set("text", Value::string(body.bytes));
  } else {
    out.set("base64", Value::string(oauth::base64Encode(body.bytes)));
  }
  return out;
}

// Reading: every mistake names where it is.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  const Value* member(const Value& v, std::string_view key, Value::Kind kind, bool required,
                      std::string_view path) {
    const Value* found = v.isObject() ? v.find(key) : nullptr;
    if (found == nullptr) {
      if (required) problem(std::string(path) + "." + std::string(key) + " is missing");
      return nullptr;
    }
    if (found->kind() != kind) {
      problem(std::string(path) + "." + std::string(key) + " must be " + Value::kindName(kind));
      return nullptr;
    }
    return found;
  }
  std::string string(const Value& v, std::string_view key, std::string_view path,
                     bool required = true) {
    const Value* s = member(v, key, Value::Kind::kString, required, path);
    return s != nullptr ? s->text() : std::string();
  }
  int64_t integer(const Value& v, std::string_view key, std::string_view path,
                  bool required = true) {
    const Value* n = member(v, key, Value::Kind::kNumber, required, path);
    if (n == nullptr) return 0;
    std::optional<int64_t> i = n->asInt();
    if (!i) problem(std::string(path) + "." + std::string(key) + " must be a whole number");
    return i.value_or(0);
  }
  http::Headers headers(const Value& v, std::string_view key, std::string_view path) {
    http::Headers out;
    const Value* list = member(v, key, Value::Kind::kArray, true, path);
    if (list == nullptr) return out;
    for (const Value& pair : list->items()) {
      if (!pair.isArray() || pair.items().size() != 2 || !pair.items()[0].isString() ||
          !pair.items()[1].isString()) {
        problem(std::string(path) + "." + std::string(key) +
                " must hold [name, value] pairs of strings");
        return out;
      }
      out.add(pair.items()[0].text(), pair.items()[1].text());
    }
    return out;
  }
  RecordedBody body(const Value& v, std::string_view path) {
    RecordedBody out;
    const Value* b = member(v, "body", Value::Kind::kObject, true, path);
    if (b == nullptr) return out;
    const std::string at = std::string(path) + ".body";
    out.size = static_cast<uint64_t>(std::max<int64_t>(0, integer(*b, "size", at)));
    if (const Value* t = member(*b, "truncated", Value::Kind::kBool, false, at)) {
      out.truncated = t->asBool();
    }
    if (out.truncated) out.sha256 = string(*b, "sha256", at);
    if (const Value* text = member(*b, "text", Value::Kind::kString, false, at)) {
      out.bytes = text->text();
    } else if (const Value* b64 = member(*b, "base64", Value::Kind::kString, false, at)) {
      Result<std::string> bytes = oauth::base64Decode(b64->text());
      if (!bytes) {
        problem(at + ".base64 is not base64");
      } else {
        out.bytes = std::move(bytes).value();
      }
    } else {
      problem(at + " holds neither text nor base64");
    }
    return out;
  }

  void problem(std::string message) { problems_.push_back(std::move(message)); }
  bool ok() const { return problems_.empty(); }
  Error error(std::string code) const {
    Error e;
    e.kind = ErrorKind::kInvalid;
    for (const std::string& p : problems_) {
      e.problems.push_back({code, where_ + ": " + p + ".", {}, "error", {}});
    }
    return e;
  }

 private:
  std::string where_;
  std::vector<std::string> problems_;
};

Error unwritable(const std::filesystem::path& path, const std::string& why) {
  return Error::make(ErrorKind::kUnavailable, "recording-unwritable",
                     "Cannot write " + path.string() + ": " + why);
}

Result<std::string> slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::make(ErrorKind::kUnavailable, "session-unreadable",
                       "Cannot read " + path.string() + ".");
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr fhir::ParseLimits kLineLimits{16, size_t{256} << 20};

}  // namespace

RecordedBody keepBody(std::string_view body, size_t keepBytes, size_t prefixBytes) {
  RecordedBody out;
  out.size = body.size();
  if (body.size() <= keepBytes) {
    out.bytes = std::string(body);
    return out;
  }
  out.truncated = true;
  out.sha256 = hex(oauth::sha256(body));
  const std::string_view text = utf8Prefix(body, prefixBytes);
  out.bytes = std::string(isUtf8(text) ? text : body.substr(0, prefixBytes));
  return out;
}

std::string_view injectedName(Injected injected) {
  switch (injected) {
    case Injected::kNone:
      return "";
    case Injected::kRefusedToken:
      return "refused-token";
    case Injected::kUnavailable:
      return "unavailable";
  }
  return "";
}

Value sessionToJson(const SessionInfo& info) {
  Value out = Value::object();
  out.set("format", Value::string(std::string(kSessionFormat)));
  out.set("tool", Value::string(info.tool));
  out.set("public_url", Value::string(info.publicUrl));
  out.set("fhir_base", Value::string(info.fhirBase));
  Value client = Value::object();
  client.set("client_id", Value::string(info.clientId));
  client.set("name", Value::string(info.clientName));
  client.set("client_type", Value::string(info.clientType));
  Value uris = Value::array();
  for (const std::string& u : info.redirectUris) uris.push(Value::string(u));
  client.set("redirect_uris", std::move(uris));
  Value accesses = Value::array();
  for (const std::string& a : info.accesses) accesses.push(Value::string(a));
  client.set("accesses", std::move(accesses));
  client.set("allowed_scopes", Value::string(info.allowedScopes));
  out.set("client", std::move(client));
  Value patients = Value::array();
  for (const SessionPatient& p : info.patients) {
    Value patient = Value::object();
    patient.set("patient_id", Value::string(p.patientId));
    patient.set("login", Value::string(p.login));
    patients.push(std::move(patient));
  }
  out.set("patients", std::move(patients));
  Value settings = Value::object();
  settings.set("access_token_seconds", Value::number(int64_t{info.accessTokenSeconds}));
  settings.set("refuse_token_at", Value::number(int64_t{info.refuseTokenAt}));
  settings.set("unavailable_at", Value::number(int64_t{info.unavailableAt}));
  settings.set("retry_after_seconds", Value::number(int64_t{info.retryAfterSeconds}));
  settings.set("keep_body_bytes", Value::number(static_cast<int64_t>(info.keepBodyBytes)));
  out.set("settings", std::move(settings));
  out.set("started_ms", Value::number(info.startedMs));
  if (info.stoppedMs) out.set("stopped_ms", Value::number(*info.stoppedMs));
  out.set("exchanges", Value::number(static_cast<int64_t>(info.exchanges)));
  return out;
}

Result<SessionInfo> sessionFromJson(const Value& json) {
  Reader r(kSessionFile);
  SessionInfo info;
  if (!json.isObject()) {
    r.problem("$ must be an object");
    return r.error("session-invalid");
  }
  if (r.string(json, "format", "$") != kSessionFormat && r.ok()) {
    r.problem("$.format must be " + std::string(kSessionFormat));
  }
  info.tool = r.string(json, "tool", "$");
  info.publicUrl = r.string(json, "public_url", "$");
  info.fhirBase = r.string(json, "fhir_base", "$");
  if (const Value* client = r.member(json, "client", Value::Kind::kObject, true, "$")) {
    info.clientId = r.string(*client, "client_id", "$.client");
    info.clientName = r.string(*client, "name", "$.client");
    info.clientType = r.string(*client, "client_type", "$.client");
    info.allowedScopes = r.string(*client, "allowed_scopes", "$.client");
    for (const char* key : {"redirect_uris", "accesses"}) {
      if (const Value* list = r.member(*client, key, Value::Kind::kArray, true, "$.client")) {
        for (const Value& v : list->items()) {
          if (!v.isString()) {
            r.problem(std::string("$.client.") + key + " must hold strings");
            break;
          }
          (std::string_view(key) == "accesses" ? info.accesses : info.redirectUris)
              .push_back(v.text());
        }
      }
    }
  }
  if (const Value* patients = r.member(json, "patients", Value::Kind::kArray, true, "$")) {
    for (const Value& p : patients->items()) {
      info.patients.push_back(
          {r.string(p, "patient_id", "$.patients[]"), r.string(p, "login", "$.patients[]")});
    }
  }
  if (const Value* s = r.member(json, "settings", Value::Kind::kObject, true, "$")) {
    info.accessTokenSeconds = static_cast<int>(r.integer(*s, "access_token_seconds", "$.settings"));
    info.refuseTokenAt = static_cast<int>(r.integer(*s, "refuse_token_at", "$.settings"));
    info.unavailableAt = static_cast<int>(r.integer(*s, "unavailable_at", "$.settings"));
    info.retryAfterSeconds = static_cast<int>(r.integer(*s, "retry_after_seconds", "$.settings"));
    info.keepBodyBytes = static_cast<uint64_t>(r.integer(*s, "keep_body_bytes", "$.settings"));
  }
  info.startedMs = r.integer(json, "started_ms", "$");
  if (json.find("stopped_ms") != nullptr) info.stoppedMs = r.integer(json, "stopped_ms", "$");
  info.exchanges = static_cast<uint64_t>(r.integer(json, "exchanges", "$"));
  if (!r.ok()) return r.error("session-invalid");
  return info;
}

std::string exchangeToJsonLine(const RecordedExchange& e) {
  Value out = Value::object();
  out.set("seq", Value::number(static_cast<int64_t>(e.seq)));
  out.set("started_ms", Value::number(e.startedMs));
  out.set("finished_ms", Value::number(e.finishedMs));
  out.set("remote", Value::string(e.remote));
  out.set("method", Value::string(e.method));
  out.set("target", Value::string(isUtf8(e.target) ? e.target : printableText(e.target)));
  Value request = Value::object();
  request.set("headers", headersToJson(e.requestHeaders));
  request.set("body", bodyToJson(e.requestBody));
  out.set("request", std::move(request));
  Value response = Value::object();
  response.set("status", Value::number(int64_t{e.status}));
  response.set("reason", Value::string(isUtf8(e.reason) ? e.reason : printableText(e.reason)));
  response.set("headers", headersToJson(e.responseHeaders));
  response.set("body", bodyToJson(e.responseBody));
  out.set("response", std::move(response));
  if (e.injected != Injected::kNone) {
    out.set("injected", Value::string(std::string(injectedName(e.injected))));
  }
  if (!e.failure.empty()) out.set("failure", Value::string(e.failure));
  return fhir::toJson(out);
}

Result<RecordedExchange> exchangeFromJsonLine(std::string_view line) {
  Result<Value> json = fhir::parseJson(line, kLineLimits);
  Reader r(kExchangesFile);
  if (!json || !json->isObject()) {
    r.problem("a line is not a JSON object");
    return r.error("exchange-invalid");
  }
  RecordedExchange e;
  e.seq = static_cast<uint64_t>(r.integer(*json, "seq", "$"));
  e.startedMs = r.integer(*json, "started_ms", "$");
  e.finishedMs = r.integer(*json, "finished_ms", "$");
  e.remote = r.string(*json, "remote", "$", false);
  e.method = r.string(*json, "method", "$");
  e.target = r.string(*json, "target", "$");
  if (const Value* req = r.member(*json, "request", Value::Kind::kObject, true, "$")) {
    e.requestHeaders = r.headers(*req, "headers", "$.request");
    e.requestBody = r.body(*req, "$.request");
  }
  if (const Value* res = r.member(*json, "response", Value::Kind::kObject, true, "$")) {
    e.status = static_cast<int>(r.integer(*res, "status", "$.response"));
    e.reason = r.string(*res, "reason", "$.response", false);
    e.responseHeaders = r.headers(*res, "headers", "$.response");
    e.responseBody = r.body(*res, "$.response");
  }
  const std::string injected = r.string(*json, "injected", "$", false);
  if (injected == injectedName(Injected::kRefusedToken)) {
    e.injected = Injected::kRefusedToken;
  } else if (injected == injectedName(Injected::kUnavailable)) {
    e.injected = Injected::kUnavailable;
  } else if (!injected.empty()) {
    r.problem("$.injected is refused-token or unavailable");
  }
  e.failure = r.string(*json, "failure", "$", false);
  if (!r.ok()) {
    Error error = r.error("exchange-invalid");
    for (Problem& p : error.problems) {
      p.message = std::string(kExchangesFile) + ", exchange " + std::to_string(e.seq) +
                  p.message.substr(std::strlen(kExchangesFile));
    }
    return error;
  }
  return e;
}

Status writeSessionInfo(const std::filesystem::path& directory, const SessionInfo& info) {
  const std::filesystem::path path = directory / kSessionFile;
  const std::filesystem::path temporary = path.string() + ".tmp";
  const std::string text = fhir::toPrettyJson(sessionToJson(info)) + "\n";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return unwritable(temporary, std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return unwritable(temporary, std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return unwritable(path, ec.message());
  return Status::ok();
}

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::open(
    const std::filesystem::path& directory) {
  const std::filesystem::path path = directory / kExchangesFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return unwritable(path, std::strerror(errno));
  return std::unique_ptr<RecordingWriter>(new RecordingWriter(fd));
}

RecordingWriter::~RecordingWriter() {
  (void)close();
}

Status RecordingWriter::append(const RecordedExchange& exchange) {
  const std::string line = exchangeToJsonLine(exchange) + "\n";
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return unwritable(kExchangesFile, "the recording is closed");
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return unwritable(kExchangesFile, std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  ++written_;
  return Status::ok();
}

Status RecordingWriter::close() {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return Status::ok();
  const bool synced = ::fsync(fd_) == 0;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) return unwritable(kExchangesFile, std::strerror(errno));
  return Status::ok();
}

uint64_t RecordingWriter::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

std::string timeOfDay(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &tm);
  return text;
}

Result<Recording> readRecording(const std::filesystem::path& directory) {
  Recording out;
  const std::filesystem::path sessionPath = directory / kSessionFile;
  if (!std::filesystem::is_regular_file(sessionPath)) {
    return Error::make(ErrorKind::kInvalid, "session-invalid",
                       directory.string() + " is no sandbox session: it holds no " + kSessionFile +
                           " (`mes-conformance sandbox --session " + directory.string() +
                           "` records one).");
  }
  Result<std::string> sessionText = slurp(sessionPath);
  if (!sessionText) return sessionText.takeError();
  Result<Value> sessionJson = fhir::parseJson(*sessionText);
  if (!sessionJson) {
    return Error::make(ErrorKind::kInvalid, "session-invalid",
                       sessionPath.string() + " is not JSON.");
  }
  Result<SessionInfo> info = sessionFromJson(*sessionJson);
  if (!info) return info.takeError();
  out.info = std::move(info).value();
  if (!out.info.stoppedMs) {
    out.warnings.push_back(
        "The session was not closed (the sandbox still runs, or was killed): the recording may "
        "end early.");
  }
  const std::filesystem::path exchangesPath = directory / kExchangesFile;
  if (std::filesystem::exists(exchangesPath)) {
    Result<std::string> text = slurp(exchangesPath);
    if (!text) return text.takeError();
    std::string_view rest(*text);
    size_t lineNumber = 0;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const bool last = end == std::string_view::npos;
      const std::string_view line = rest.substr(0, end);
      rest = last ? std::string_view() : rest.substr(end + 1);
      ++lineNumber;
      if (line.empty()) continue;
      Result<RecordedExchange> e = exchangeFromJsonLine(line);
      if (!e) {
        if (last) {
          out.warnings.push_back("The last line of " + std::string(kExchangesFile) +
                                 " is incomplete (the sandbox was stopped while writing it): "
                                 "that exchange is left out.");
          break;
        }
        Error error = e.takeError();
        for (Problem& p : error.problems) {
          p.code = "session-invalid";
          p.message += " (line " + std::to_string(lineNumber) + ")";
        }
        return error;
      }
      out.exchanges.push_back(std::move(e).value());
    }
  }
  std::sort(out.exchanges.begin(), out.exchanges.end(),
            [](const RecordedExchange& a, const RecordedExchange& b) { return a.seq < b.seq; });
  return out;
}

}  // namespace mes::conformance::client
