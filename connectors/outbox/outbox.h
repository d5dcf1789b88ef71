// The notification outbox: messages to a patient (one-time login codes, a new pairing, a first
// access by an app...) leave the gateway through this interface. MES delivers them by e-mail,
// SMS or its app; the default connector writes each one as a JSON file that an operator's
// delivery process (or a test) picks up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace mes::outbox {

struct Notification {
  std::string recipient;  // the patient's logical id (Patient/<id> without the type), or for
                          // a registry account (gateway/portal_auth.h) its login, an e-mail
  std::string kind;       // stable machine name: "login-code", "pairing-created", ...
  std::string subject;    // one line, in French, shown as the message title
  std::string body;       // plain text, in French
  // Extra machine-readable facts for the delivery process (e.g. {"code": "123456"}); values are
  // strings. Keys are unique.
  std::vector<std::pair<std::string, std::string>> data;
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  // Hands the message over durably (it survives a crash once this returns ok) and returns its
  // message id. kUnavailable when the outbox cannot take it.
  virtual Result<std::string> send(const Notification& notification) = 0;
};

}  // namespace mes::outbox
