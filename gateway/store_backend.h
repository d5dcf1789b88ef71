// The stores the gateway runs on, as chosen by the configuration (store.backend): SQLite, one
// file under the data directory (the default), or PostgreSQL (store.postgres_url), shared by
// every gateway instance pointed at it. Everything above this sees only the store interfaces.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/store/access_state.h"
#include "connectors/store/account_store.h"
#include "connectors/store/audit_log.h"
#include "connectors/store/oauth_stores.h"
#include "connectors/store/registry_store.h"
#include "connectors/store/repository.h"
#include "connectors/store/signing_key_table.h"
#include "core/clock.h"
#include "core/status.h"
#include "gateway/config.h"

namespace mes::gateway {

struct StoreBackend {
  std::string kind;      // "sqlite" | "postgres"
  std::string location;  // the SQLite file, or the connection string with its password hidden
  int64_t schemaVersion = 0;
  bool synchronousFull = false;  // SQLite synchronous=FULL (the audit journal syncs alike)

  store::Repository* repository = nullptr;
  store::ServiceStore* services = nullptr;
  store::AuthorizationCodeStore* codes = nullptr;
  store::RefreshTokenStore* refreshTokens = nullptr;
  store::ReplayCache* replays = nullptr;
  store::AccountStore* accounts = nullptr;
  store::PortalSessionStore* sessions = nullptr;
  store::LoginThrottle* throttle = nullptr;
  store::RegistryStore* registry = nullptr;
  store::AuditLog* auditLog = nullptr;
  store::AccessStateReader* accessState = nullptr;
  // The shared signing keys (PostgreSQL); null: keys are files under the data directory.
  store::SigningKeyTable* signingKeys = nullptr;

  std::function<Status()> ping;
  // Closes the store; every store above fails with kUnavailable "store-closed" afterwards.
  std::function<Status()> close;
  std::vector<std::shared_ptr<void>> owned;  // keeps the implementations alive
};

// Opens (creating and migrating as needed) the store the configuration names.
Result<std::unique_ptr<StoreBackend>> openStoreBackend(const Config& config, const Clock& clock);

}  // namespace mes::gateway
