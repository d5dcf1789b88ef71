// Outbox connector writing one JSON file per message under a directory (default
// <data-dir>/outbox/). File names sort by creation time: <epoch-ms>-<seq>-<id>.json. A file
// appears complete or not at all (written to a temporary name, fsynced, then renamed).
//
// File content:
//   {"id": "...", "created": "2026-11-23T07:06:27.123Z", "recipient": "demo",
//    "kind": "login-code", "subject": "...", "body": "...", "data": {"code": "123456"}}
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "connectors/outbox/outbox.h"
#include "core/clock.h"

namespace mes::outbox {

class FileOutbox final : public Outbox {
 public:
  // Creates the directory (0700) when missing. kUnavailable when it cannot.
  static Result<std::unique_ptr<FileOutbox>> open(const std::filesystem::path& directory,
                                                  const Clock& clock, IdGenerator& ids);
  Result<std::string> send(const Notification& notification) override;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  FileOutbox(std::filesystem::path directory, const Clock& clock, IdGenerator& ids)
      : directory_(std::move(directory)), clock_(clock), ids_(ids) {}
  std::filesystem::path directory_;
  const Clock& clock_;
  IdGenerator& ids_;
  std::atomic<uint64_t> sequence_{0};
};

}  // namespace mes::outbox
