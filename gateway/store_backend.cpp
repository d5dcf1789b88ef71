#include "gateway/store_backend.h"

#include <filesystem>

#include "connectors/postgres/postgres_access_state.h"
#include "connectors/postgres/postgres_account_store.h"
#include "connectors/postgres/postgres_audit_log.h"
#include "connectors/postgres/postgres_oauth_stores.h"
#include "connectors/postgres/postgres_registry_store.h"
#include "connectors/postgres/postgres_repository.h"
#include "connectors/postgres/postgres_signing_keys.h"
#include "connectors/sqlite/sqlite_access_state.h"
#include "connectors/sqlite/sqlite_account_store.h"
#include "connectors/sqlite/sqlite_audit_log.h"
#include "connectors/sqlite/sqlite_oauth_stores.h"
#include "connectors/sqlite/sqlite_registry_store.h"
#include "connectors/sqlite/sqlite_repository.h"

namespace mes::gateway {
namespace {

// Fills the interface pointers from stores that implement them over one database.
template <typename Database, typename Repository, typename OAuth, typename Accounts,
          typename Registry, typename Audit, typename Access>
Status assemble(StoreBackend& b, std::shared_ptr<Database> database, const Clock& clock) {
  auto repository = std::make_shared<Repository>(database, clock);
  auto oauth = OAuth::open(database, clock);
  if (!oauth) return oauth.takeError();
  auto accounts = Accounts::open(database);
  if (!accounts) return accounts.takeError();
  auto registry = Registry::open(database, clock);
  if (!registry) return registry.takeError();
  auto audit = Audit::open(database);
  if (!audit) return audit.takeError();
  auto access = std::make_shared<Access>(database);
  b.repository = repository.get();
  b.services = oauth->get();
  b.codes = oauth->get();
  b.refreshTokens = oauth->get();
  b.replays = oauth->get();
  b.accounts = accounts->get();
  b.sessions = accounts->get();
  b.throttle = accounts->get();
  b.registry = registry->get();
  b.auditLog = audit->get();
  b.accessState = access.get();
  b.schemaVersion = database->schemaVersion();
  b.ping = [database] { return database->ping(); };
  b.close = [database] { return database->close(); };
  b.owned = {database, repository, *oauth, *accounts, *registry, *audit, access};
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<StoreBackend>> openStoreBackend(const Config& config, const Clock& clock) {
  auto backend = std::make_unique<StoreBackend>();
  backend->kind = config.storeBackend;
  if (config.storeBackend == "postgres") {
    store::PostgresOptions options;
    options.url = config.storePostgresUrl;
    options.poolSize = config.storePoolSize;
    options.connectTimeoutSeconds = config.storeConnectTimeoutSeconds;
    options.statementTimeoutMs = config.storeStatementTimeoutMs;
    options.schema = config.storePostgresSchema;
    backend->location = store::redactConnectionString(options.url);
    auto database = store::PostgresDatabase::open(options, clock);
    if (!database) return database.takeError();
    MES_RETURN_IF_ERROR((
        assemble<store::PostgresDatabase, store::PostgresRepository, store::PostgresOAuthStores,
                 store::PostgresAccountStore, store::PostgresRegistryStore, store::PostgresAuditLog,
                 store::PostgresAccessState>(*backend, *database, clock)));
    auto keys = std::make_shared<store::PostgresSigningKeys>(*database);
    backend->signingKeys = keys.get();
    backend->owned.push_back(keys);
    return backend;
  }
  store::SqliteOptions options;
  options.path = (std::filesystem::path(config.dataDir) / "mes-gateway.sqlite").string();
  options.synchronousFull = config.storeSynchronous == "full";
  options.readConnections = config.storeReadConnections;
  backend->location = options.path;
  backend->synchronousFull = options.synchronousFull;
  auto database = store::SqliteDatabase::open(options, clock);
  if (!database) return database.takeError();
  MES_RETURN_IF_ERROR(
      (assemble<store::SqliteDatabase, store::SqliteRepository, store::SqliteOAuthStores,
                store::SqliteAccountStore, store::SqliteRegistryStore, store::SqliteAuditLog,
                store::SqliteAccessState>(*backend, *database, clock)));
  return backend;
}

}  // namespace mes::gateway
