#include "conformance/server/server_context.h"

#include <utility>

#include "conformance/server/checks.h"
#include "fhir/json/json.h"

namespace mes::conformance::server {

std::string pairingUnavailable(const ServerTarget& target, const TestPatient& patient) {
  std::vector<std::string> missing;
  if (target.clientId.empty()) missing.emplace_back("the app's client id (--client-id or --seed)");
  if (target.redirectUri.empty()) {
    missing.emplace_back("its redirect URI (--redirect-uri or --seed)");
  }
  if (patient.login.empty() || patient.password.empty()) {
    missing.emplace_back("the test patient's portal login and password (--seed)");
  }
  if (target.outboxDir.empty()) {
    missing.emplace_back("the gateway's outbox directory for the one-time code (--outbox)");
  }
  if (missing.empty()) return {};
  std::string out = "Driving the pairing needs ";
  for (size_t i = 0; i < missing.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
  }
  return out + ", which were not given.";
}

ServerContext::ServerContext(ServerTarget target, const Clock& clock, Sleep sleep)
    : target_(std::move(target)), clock_(clock), sleep_(std::move(sleep)) {
  while (!target_.baseUrl.empty() && target_.baseUrl.back() == '/') target_.baseUrl.pop_back();
  if (target_.fhirBase.empty()) target_.fhirBase = target_.baseUrl + "/fhir";
  while (!target_.fhirBase.empty() && target_.fhirBase.back() == '/') target_.fhirBase.pop_back();
}

std::string ServerContext::url(std::string_view pathAndQuery) const {
  return target_.baseUrl + std::string(pathAndQuery);
}

std::string ServerContext::fhirUrl(std::string_view pathAndQuery) const {
  return target_.fhirBase + std::string(pathAndQuery);
}

const fhir::Value& ServerContext::smartConfiguration(TestScope& t) {
  if (!smart_) {
    http::ClientRequest request{"GET", fhirUrl("/.well-known/smart-configuration"), {}, {}};
    request.headers.add("Accept", "application/json");
    const http::ClientResponse r = t.send(request);
    Result<fhir::Value> json = fhir::parseJson(r.body);
    if (r.status != 200 || !json || !json->isObject()) {
      t.error("The SMART configuration, which this test needs, could not be read: " +
              describeResponse(r) + ".");
    }
    smart_ = std::move(json).value();
  }
  return *smart_;
}

std::string ServerContext::endpoint(TestScope& t, std::string_view name) {
  const std::string advertised = stringAt(smartConfiguration(t), name);
  if (!advertised.empty()) return advertised;
  if (name == "authorization_endpoint") return url("/oauth/authorize");
  if (name == "token_endpoint") return url("/oauth/token");
  if (name == "revocation_endpoint") return url("/oauth/revoke");
  if (name == "introspection_endpoint") return url("/oauth/introspect");
  if (name == "jwks_uri") return url("/oauth/jwks");
  return {};
}

}  // namespace mes::conformance::server
