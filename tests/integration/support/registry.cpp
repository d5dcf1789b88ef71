#include "integration/support/registry.h"

#include <stdexcept>

#include "fhir/json/json.h"

namespace mes::itest {
namespace {

std::string stringMember(const fhir::Value& json, const char* name) {
  const std::string* s = json.isObject() ? json.findString(name) : nullptr;
  return s != nullptr ? *s : std::string();
}

}  // namespace

RegistryUser registryLogin(GatewayProcess& gw, const std::string& login,
                           const std::string& password) {
  RegistryUser user;
  user.login = login;
  areaLogin(gw, user.browser, "/registry", login, password, login, "/registry/");
  HttpResponse session = gw.client().get("/registry/api/session", user.browser.headers());
  auto json = fhir::parseJson(session.body);
  if (session.status != 200 || !json) {
    throw std::runtime_error("registry session: HTTP " + std::to_string(session.status) + " " +
                             session.body);
  }
  user.csrf = stringMember(*json, "csrf_token");
  return user;
}

HttpResponse registryCall(GatewayProcess& gw, const RegistryUser& user, const std::string& method,
                          const std::string& path, const std::string& body, bool csrf) {
  HeaderList headers = user.browser.headers();
  if (csrf) headers.emplace_back("X-CSRF-Token", user.csrf);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return gw.client().request(method, "/registry/api" + path, headers, body);
}

std::string outcomeCodes(const HttpResponse& response) {
  auto outcome = fhir::parseJson(response.body);
  const fhir::Value* issues = outcome && outcome->isObject() ? outcome->find("issue") : nullptr;
  std::string out;
  if (issues == nullptr || !issues->isArray()) return out;
  for (const fhir::Value& issue : issues->items()) {
    const fhir::Value* details = issue.find("details");
    const fhir::Value* coding = details != nullptr ? details->find("coding") : nullptr;
    if (coding == nullptr || !coding->isArray() || coding->items().empty()) continue;
    out += (out.empty() ? "" : " ") + stringMember(coding->items()[0], "code");
  }
  return out;
}

}  // namespace mes::itest
