#include "gateway/log.h"

#include <cstdio>

#include "fhir/json/json.h"
#include "fhir/types/datetime.h"

namespace mes::gateway {

LogLevel parseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

void Logger::log(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (!enabled(level)) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  fhir::Value line = fhir::Value::object();
  line.set("ts", fhir::Value::string(fhir::formatInstant(clock_.nowMs())));
  line.set("level", fhir::Value::string(kNames[static_cast<int>(level)]));
  line.set("msg", fhir::Value::string(std::string(message)));
  for (const auto& field : fields) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            line.set(field.key, fhir::Value::string(v));
          } else if constexpr (std::is_same_v<T, bool>) {
            line.set(field.key, fhir::Value::boolean(v));
          } else {
            line.set(field.key, fhir::Value::number(v));
          }
        },
        field.value);
  }
  std::string text = fhir::toJson(line);
  text.push_back('\n');
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace mes::gateway
