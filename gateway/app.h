// Assembles the gateway from its parts: store, services, router, HTTP server. main() and the
// seed command use it; it holds no logic of its own beyond wiring and the shutdown order.
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/status.h"
#include "gateway/config.h"
#include "gateway/log.h"

namespace mes::store {
class Repository;
}

namespace mes::gateway {

class Gateway {
 public:
  // Opens (and migrates) the store under config.dataDir; creates the directory if needed.
  static Result<std::unique_ptr<Gateway>> open(const Config& config, Logger& logger);
  ~Gateway();

  store::Repository& repository();
  // Starts serving HTTP; returns once listening.
  Status serve();
  // Graceful stop: finish in-flight requests (up to the configured grace), close the store.
  void stop();

 private:
  struct Parts;
  explicit Gateway(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// Writes the demo patient (and nothing else yet) unless it exists; returns it as JSON text
// describing what was seeded.
Result<std::string> seedDemo(store::Repository& repository);

}  // namespace mes::gateway
