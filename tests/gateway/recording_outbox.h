// An outbox for the gateway's unit tests: keeps every notification it is handed, in order.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "connectors/outbox/outbox.h"

namespace mes::test {

class RecordingOutbox final : public outbox::Outbox {
 public:
  Result<std::string> send(const outbox::Notification& n) override {
    std::lock_guard lock(mutex_);
    sent.push_back(n);
    return "msg-" + std::to_string(sent.size());
  }
  std::vector<outbox::Notification> sent;

 private:
  std::mutex mutex_;
};

}  // namespace mes::test
