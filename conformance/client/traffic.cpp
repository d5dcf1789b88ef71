#include "conformance/client/traffic.h"

#include <ctime>

#include "conformance/redaction.h"
#include "conformance/report/exchange_text.h"
#include "conformance/server/checks.h"
#include "fhir/json/json.h"

namespace mes::conformance::client {

namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool isFormBody(const RecordedExchange& e) {
  return e.requestHeaders.get("Content-Type").find("application/x-www-form-urlencoded") !=
         std::string::npos;
}

std::string bodyAsShown(const RecordedBody& body) {
  if (!body.truncated) return body.bytes;
  if (!isUtf8(body.bytes)) return body.bytes;
  return body.bytes + "\n[… recorded in part: " + std::to_string(body.size) +
         " bytes in all, SHA-256 " + body.sha256 + "]";
}

}  // namespace

std::string pathOfTarget(std::string_view target) {
  return http::percentDecode(target.substr(0, target.find('?')), false);
}

Params queryOfTarget(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  return http::parseQuery(target.substr(q + 1));
}

std::optional<fhir::Value> jsonOf(const RecordedBody& body) {
  if (body.truncated || body.bytes.empty()) return std::nullopt;
  Result<fhir::Value> json = fhir::parseJson(body.bytes);
  if (!json) return std::nullopt;
  return std::move(json).value();
}

std::string outcomeCodesOf(const RecordedExchange& e) {
  const std::optional<fhir::Value> body = jsonOf(e.responseBody);
  if (!body) return {};
  std::string out;
  for (const std::string& code : server::outcomeCodes(*body)) {
    out += (out.empty() ? "" : " ") + code;
  }
  return out;
}

const std::string& FhirCall::type() const {
  static const std::string kNone;
  return segments.empty() ? kNone : segments.front();
}

bool FhirCall::isData() const {
  const std::string& t = type();
  return !t.empty() && t != "metadata" && t != ".well-known" && t[0] >= 'A' && t[0] <= 'Z';
}

bool FhirCall::isWrite() const {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool FhirCall::isSearch() const {
  if (!isData()) return false;
  if (method == "GET") return segments.size() == 1;
  return method == "POST" && segments.size() == 2 && segments[1] == "_search";
}

Traffic::Traffic(Recording recording) : recording_(std::move(recording)) {
  std::map<std::string, std::string> patientOfToken;    // access token -> patient
  std::map<std::string, std::string> patientOfRefresh;  // refresh token -> patient
  for (const RecordedExchange& e : recording_.exchanges) {
    const std::string path = pathOfTarget(e.target);
    if (e.responseHeaders.has("Location")) {
      const std::string& location = e.responseHeaders.get("Location");
      const std::string code = server::queryParameter(location, "code");
      if (!code.empty() && location.rfind("/", 0) != 0) {
        codeStates_[code] = server::queryParameter(location, "state");
      }
    }
    if (path == "/oauth/authorize") {
      Authorization a;
      a.exchange = &e;
      a.params = e.method == "POST" && isFormBody(e) ? http::parseForm(e.requestBody.bytes)
                                                     : queryOfTarget(e.target);
      authorizations_.push_back(std::move(a));
    } else if (path == "/oauth/token" && e.method == "POST") {
      TokenCall t;
      t.exchange = &e;
      t.form = http::parseForm(e.requestBody.bytes);
      t.grantType = http::firstValue(t.form, "grant_type");
      if (const std::optional<fhir::Value> body = jsonOf(e.responseBody)) {
        t.accessToken = server::stringAt(*body, "access_token");
        t.refreshToken = server::stringAt(*body, "refresh_token");
        t.patient = server::stringAt(*body, "patient");
        t.scope = server::stringAt(*body, "scope");
        t.error = server::stringAt(*body, "error");
        const std::string idToken = server::stringAt(*body, "id_token");
        for (const std::string* token :
             std::initializer_list<const std::string*>{&t.accessToken, &t.refreshToken, &idToken}) {
          if (!token->empty()) issuedTokens_.push_back(*token);
        }
      }
      t.granted = e.status == 200 && !t.accessToken.empty();
      if (t.patient.empty() && t.grantType == "refresh_token") {
        const auto known = patientOfRefresh.find(http::firstValue(t.form, "refresh_token"));
        if (known != patientOfRefresh.end()) t.patient = known->second;
      }
      if (t.granted) patientOfToken[t.accessToken] = t.patient;
      if (!t.refreshToken.empty()) patientOfRefresh[t.refreshToken] = t.patient;
      tokenCalls_.push_back(std::move(t));
    } else if (path == "/fhir" || path.rfind("/fhir/", 0) == 0) {
      FhirCall c;
      c.exchange = &e;
      c.method = e.method;
      c.path = path.substr(5);
      c.segments = split(c.path);
      c.query = queryOfTarget(e.target);
      const std::string& authorization = e.requestHeaders.get("Authorization");
      if (authorization.rfind("Bearer ", 0) == 0) {
        c.token = authorization.substr(7);
        c.tokenInHeader = true;
      } else {
        c.token = http::firstValue(c.query, "access_token");
      }
      const auto known = patientOfToken.find(c.token);
      if (known != patientOfToken.end()) c.patient = known->second;
      fhirCalls_.push_back(std::move(c));
    }
  }
}

std::optional<std::string> Traffic::stateOfCode(const std::string& code) const {
  const auto it = codeStates_.find(code);
  if (it == codeStates_.end()) return std::nullopt;
  return it->second;
}

Exchange Traffic::toExchange(const RecordedExchange& e) const {
  Exchange out;
  out.method = e.method;
  out.url = recording_.info.publicUrl + e.target;
  out.requestHeaders = e.requestHeaders;
  out.requestBody = bodyAsShown(e.requestBody);
  out.status = e.status;
  out.reason = e.reason;
  if (e.injected != Injected::kNone) out.reason += " (answered by the sandbox itself)";
  out.responseHeaders = e.responseHeaders;
  out.responseBody = bodyAsShown(e.responseBody);
  out.failure = e.failure;
  out.startedMs = e.startedMs;
  out.durationMs = e.finishedMs - e.startedMs;
  return out;
}

std::string Traffic::describe(const RecordedExchange& e, bool withAnswer) const {
  constexpr size_t kShownTarget = 100;
  std::string target = printableText(redactUrl(e.target));
  if (target.size() > kShownTarget) {
    size_t cut = kShownTarget;
    while (cut > 0 && (static_cast<unsigned char>(target[cut]) & 0xc0) == 0x80) --cut;
    target = target.substr(0, cut) + "…";
  }
  std::string out = "#" + std::to_string(e.seq) + " " + e.method + " " + target + " (" +
                    timeOfDay(e.startedMs) + ")";
  if (!withAnswer) return out;
  if (!e.failure.empty()) return out + " → no answer from the gateway";
  out += " → " + std::to_string(e.status);
  if (e.injected != Injected::kNone) out += " from the sandbox";
  return out;
}

}  // namespace mes::conformance::client
