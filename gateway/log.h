// Structured logging: one JSON object per line on stderr. Secrets never go into a log line:
// callers pass what they decided is safe (no bodies, no tokens, no Authorization header).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.h"

namespace mes::gateway {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
LogLevel parseLogLevel(std::string_view name);  // unknown names read as info

struct LogField {
  std::string key;
  std::variant<std::string, int64_t, double, bool> value;
};

class Logger {
 public:
  Logger(const Clock& clock, LogLevel minimum, std::FILE* out = stderr)
      : clock_(clock), minimum_(minimum), out_(out) {}
  bool enabled(LogLevel level) const { return level >= minimum_; }
  // {"ts":"…","level":"info","msg":"…", fields…}
  void log(LogLevel level, std::string_view message, const std::vector<LogField>& fields = {});
  void info(std::string_view m, const std::vector<LogField>& f = {}) { log(LogLevel::kInfo, m, f); }
  void warn(std::string_view m, const std::vector<LogField>& f = {}) { log(LogLevel::kWarn, m, f); }
  void error(std::string_view m, const std::vector<LogField>& f = {}) { log(LogLevel::kError, m, f); }

 private:
  const Clock& clock_;
  LogLevel minimum_;
  std::FILE* out_;
  std::mutex mutex_;
};

}  // namespace mes::gateway
