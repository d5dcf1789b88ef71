// Assembles the gateway from its parts: stores, services, router, HTTP server. main() and the
// CLI commands use it; it holds no logic of its own beyond wiring, the demo seed and the
// shutdown order.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "gateway/config.h"
#include "gateway/log.h"

namespace mes::store {
class Repository;
class ServiceStore;
class AccountStore;
}  // namespace mes::store
namespace mes::oauth {
class SigningKeyStore;
}
namespace mes::blob {
class BlobStore;
}

namespace mes::gateway {

class AuthorizationServer;
class DocumentService;
class PairingStore;
class PortalAuth;
namespace registry {
class Registry;
}

class Gateway {
 public:
  // Opens (and migrates) the store under config.dataDir, the signing keys (created at first
  // start) and the outbox; creates the directory if needed.
  static Result<std::unique_ptr<Gateway>> open(const Config& config, Logger& logger);
  ~Gateway();

  store::Repository& repository();
  DocumentService& documents();
  blob::BlobStore& blobs();
  store::ServiceStore& services();
  store::AccountStore& accounts();
  oauth::SigningKeyStore& signingKeys();
  PairingStore& pairings();
  PortalAuth& portal();
  AuthorizationServer& authorizationServer();
  registry::Registry& registry();  // the referencing registry (issue #5)

  // Starts serving HTTP; returns once listening.
  Status serve();
  // Graceful stop: finish in-flight requests (up to the configured grace), close the store.
  void stop();

 private:
  struct Parts;
  explicit Gateway(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// What seed-demo writes, unless already there: the demo patient (Patient/demo) and a second one
// (Patient/demo-2, to see isolation between patients), a portal account for each, and the demo service (a referenced public client allowed every MES scope,
// redirect URI http://127.0.0.1:8765/callback). The account's password is random, chosen at the
// first seed, and kept in <data-dir>/demo-credentials.json (0600) so later runs print it again.
// Returns the JSON printed by the command.
Result<std::string> seedDemo(Gateway& gateway, const Config& config);
// The demo patient alone (the benchmark seeder writes it straight into a store).
Status seedDemoPatient(store::Repository& repository, bool& created);

}  // namespace mes::gateway
