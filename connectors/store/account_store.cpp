#include "connectors/store/account_store.h"

#include <algorithm>

namespace mes::store {
namespace {

bool isAccountIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Printable ASCII but the space: logins are identifiers (often e-mail addresses), and keeping
// them ASCII keeps "ignoring case" one well-defined rule.
bool isLoginChar(char c) { return c > ' ' && c < 0x7f; }

Error invalidAccount(std::string message, std::string expression) {
  return Error::make(ErrorKind::kInvalid, "invalid-account", std::move(message),
                     std::move(expression));
}

}  // namespace

std::string normalizeLogin(std::string_view login) {
  std::string out(login);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status checkAccountRecord(const AccountRecord& account) {
  const std::string& id = account.accountId;
  if (id.size() < 8 || id.size() > 64 || !std::all_of(id.begin(), id.end(), isAccountIdChar)) {
    return invalidAccount("The account id must be 8 to 64 letters, digits, '_' or '-'.",
                          "accountId");
  }
  const std::string& login = account.login;
  if (login.size() < kMinLoginLength || login.size() > kMaxLoginLength ||
      !std::all_of(login.begin(), login.end(), isLoginChar)) {
    return invalidAccount(
        "The login must be 3 to 254 printable ASCII characters, without spaces.", "login");
  }
  if (std::find(kAccountRoles.begin(), kAccountRoles.end(), account.role) == kAccountRoles.end()) {
    return invalidAccount(
        "The role must be one of patient, editor, evaluator, commission, admin.", "role");
  }
  if ((account.role == "patient") == account.patientId.empty()) {
    return invalidAccount("A patient account needs a patient id; other roles have none.",
                          "patientId");
  }
  if (account.passwordHash.empty()) {
    return invalidAccount("The account needs a password hash.", "passwordHash");
  }
  return Status::ok();
}

std::string_view sessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kAnonymous:
      return "anonymous";
    case SessionState::kOtpPending:
      return "otp-pending";
    case SessionState::kAuthenticated:
      return "authenticated";
  }
  return "anonymous";
}

}  // namespace mes::store
