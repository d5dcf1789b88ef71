// Talking to the referencing registry over HTTP as its users do: the /registry login (password +
// one-time code from the outbox) and JSON API calls with the session cookie and the CSRF header.
#pragma once

#include <string>

#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"
#include "integration/support/pairing.h"

namespace mes::itest {

inline constexpr const char* kRegistryPassword = "une phrase de passe longue";

// A logged-in registry user: the cookies and the session's CSRF token.
struct RegistryUser {
  std::string login;
  Browser browser;
  std::string csrf;
};

// Logs in on /registry (throws when a step fails) and reads the CSRF token from
// GET /registry/api/session.
RegistryUser registryLogin(GatewayProcess& gw, const std::string& login,
                           const std::string& password = kRegistryPassword);

// A JSON API call under /registry/api with the user's cookie and, unless `csrf` is false, the
// CSRF header; `body` sent as application/json when not empty.
HttpResponse registryCall(GatewayProcess& gw, const RegistryUser& user, const std::string& method,
                          const std::string& path, const std::string& body = "", bool csrf = true);

// The codes of an OperationOutcome's issues (details.coding[0].code), space-separated.
std::string outcomeCodes(const HttpResponse& response);

}  // namespace mes::itest
