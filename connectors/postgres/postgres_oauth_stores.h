// The authorization server's stores (connectors/store/oauth_stores.h) over a PostgresDatabase
// shared with the FHIR repository: services, authorization codes, refresh-token families and
// the replay cache, in the tables of migration 2.
//
// Contract beyond the interfaces:
//  - Thread-safe, and shared by every gateway instance on the database. Each operation that
//    writes is one transaction whose atomic step is one statement or holds a row lock:
//    consumeCode is DELETE ... RETURNING (one consumer gets the code), rotate locks the token
//    and its family (FOR UPDATE: a concurrent rotation of the same token then sees it rotated,
//    reuse), firstUse is one INSERT ... ON CONFLICT DO UPDATE ... WHERE expired, service
//    updates lock the service row before checking its version.
//  - Errors besides the interfaces' own: the database's (postgres_database.h). A failed call
//    writes nothing.
//  - consumeCode and firstUse each also delete a bounded number of expired rows of their
//    table, so that neither grows without purgeExpiredCodes().
//  - The clock (createdMs/updatedMs of services) must be safe to read from several threads
//    and must outlive the stores.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/oauth_stores.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store {

class PostgresOAuthStores final : public ServiceStore,
                                  public AuthorizationCodeStore,
                                  public RefreshTokenStore,
                                  public ReplayCache {
 public:
  // The stores over an open database. kInternal when the database's schema lacks the OAuth
  // tables (a database opened by this code always has them).
  static Result<std::shared_ptr<PostgresOAuthStores>> open(
      std::shared_ptr<PostgresDatabase> database, const Clock& clock);

  PostgresOAuthStores(const PostgresOAuthStores&) = delete;
  PostgresOAuthStores& operator=(const PostgresOAuthStores&) = delete;
  ~PostgresOAuthStores() override = default;

  // The migration that created the tables these stores use.
  static constexpr int64_t kSchemaVersion = 2;

  // ServiceStore
  Result<ServiceRecord> createService(const ServiceRecord& service) override;
  Result<ServiceRecord> service(const std::string& clientId) override;
  Result<std::vector<ServiceRecord>> services() override;
  Result<ServiceRecord> updateService(const ServiceRecord& service,
                                      int64_t expectedVersion) override;

  // AuthorizationCodeStore
  Status putCode(const AuthorizationCode& code) override;
  Result<AuthorizationCode> consumeCode(const std::string& handle, int64_t nowMs) override;
  Result<int64_t> purgeExpiredCodes(int64_t nowMs) override;

  // RefreshTokenStore
  Status createFamily(const RefreshToken& first) override;
  Result<bool> familyLive(const std::string& familyId) override;
  Result<std::pair<RefreshOutcome, RefreshToken>> rotate(const std::string& presentedHandle,
                                                         const RefreshToken& next,
                                                         int64_t nowMs) override;
  Status revokeFamily(const std::string& familyId, int64_t nowMs) override;
  Result<int64_t> revokeFamiliesOf(const std::string& clientId, const std::string& patientId,
                                   int64_t nowMs) override;
  Result<RefreshToken> findRefreshToken(const std::string& handle) override;

  // ReplayCache
  Result<bool> firstUse(const std::string& key, int64_t expiresMs, int64_t nowMs) override;

  const std::shared_ptr<PostgresDatabase>& database() const { return database_; }

 private:
  PostgresOAuthStores(std::shared_ptr<PostgresDatabase> database, const Clock& clock)
      : database_(std::move(database)), clock_(clock) {}

  const std::shared_ptr<PostgresDatabase> database_;
  const Clock& clock_;
};

}  // namespace mes::store
