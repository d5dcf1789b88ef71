#include "connectors/store/oauth_stores.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace mes::store {
namespace {

constexpr std::array<std::string_view, 2> kClientTypes = {"public", "confidential-asymmetric"};
constexpr std::array<std::string_view, 8> kStatuses = {
    "draft",      "submitted", "under_evaluation", "commission",
    "referenced", "rejected",  "suspended",        "withdrawn"};

bool isClientIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

template <size_t N>
bool isOneOf(const std::array<std::string_view, N>& words, std::string_view value) {
  return std::find(words.begin(), words.end(), value) != words.end();
}

Error invalidService(std::string message, std::string expression) {
  return Error::make(ErrorKind::kInvalid, "invalid-service", std::move(message),
                     std::move(expression));
}

}  // namespace

Status checkServiceRecord(const ServiceRecord& service) {
  const std::string& id = service.clientId;
  if (id.size() < 3 || id.size() > 64 || !std::all_of(id.begin(), id.end(), isClientIdChar)) {
    return invalidService("The client id must be 3 to 64 letters, digits, '.', '_' or '-'.",
                          "clientId");
  }
  if (service.name.empty()) return invalidService("The service needs a name.", "name");
  if (!isOneOf(kClientTypes, service.clientType)) {
    return invalidService("The client type must be 'public' or 'confidential-asymmetric'.",
                          "clientType");
  }
  if (service.redirectUris.empty()) {
    return invalidService("The service needs at least one redirect URI.", "redirectUris");
  }
  for (const std::string& uri : service.redirectUris) {
    if (uri.empty()) return invalidService("A redirect URI is empty.", "redirectUris");
  }
  if (!isOneOf(kStatuses, service.status)) {
    return invalidService("The service status is not one of the known statuses.", "status");
  }
  return Status::ok();
}

}  // namespace mes::store
