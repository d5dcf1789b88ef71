// The patient portal's stores (connectors/store/account_store.h) over a SQL database, written once
// for SQLite (connectors/sqlite/sqlite_account_store.h) and PostgreSQL
// (connectors/postgres/postgres_account_store.h): the tables of migration 4, the same statements,
// the differences in connectors/sql/dialect.h. `Database` is SqliteDatabase or PostgresDatabase:
// write(work) runs `work` in one transaction, read(work) outside one, snapshot(work) in one
// read-only snapshot. The member definitions are in account_store_sql_impl.h, instantiated once per
// database by its connector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/store/account_store.h"
#include "core/status.h"

namespace mes::store::sql {

template <typename Database, typename Dialect>
class AccountStoreOver final : public AccountStore,
                               public PortalSessionStore,
                               public LoginThrottle {
 public:
  // The stores over an open database. kInternal when the database's schema lacks the tables (a
  // database opened by this code always has them).
  static Result<std::shared_ptr<AccountStoreOver>> open(std::shared_ptr<Database> database);

  AccountStoreOver(const AccountStoreOver&) = delete;
  AccountStoreOver& operator=(const AccountStoreOver&) = delete;
  ~AccountStoreOver() override = default;

  // The migration that created the tables these stores use.
  static constexpr int64_t kSchemaVersion = 4;

  // AccountStore
  Result<AccountRecord> createAccount(const AccountRecord& account, int64_t nowMs) override;
  Result<AccountRecord> accountByLogin(std::string_view login) override;
  Result<AccountRecord> account(const std::string& accountId) override;
  Result<std::vector<AccountRecord>> accounts() override;
  Result<AccountRecord> recordLoginFailure(const std::string& accountId, int64_t maxFailures,
                                           int64_t lockoutMs, int64_t nowMs) override;
  Result<AccountRecord> recordLoginSuccess(const std::string& accountId, int64_t nowMs) override;
  Status setPasswordHash(const std::string& accountId, const std::string& passwordHash,
                         int64_t nowMs) override;
  Result<AccountRecord> unlock(const std::string& accountId, int64_t nowMs) override;

  // PortalSessionStore
  Status createSession(const SessionRecord& session) override;
  Result<SessionRecord> session(const std::string& handle, int64_t nowMs) override;
  Status updateSession(const SessionRecord& session, int64_t nowMs) override;
  Status replaceSession(const std::string& oldHandle, const SessionRecord& next,
                        int64_t nowMs) override;
  Result<SessionRecord> countOtpAttempt(const std::string& handle, int64_t nowMs) override;
  Status deleteSession(const std::string& handle) override;
  Result<int64_t> purgeExpiredSessions(int64_t nowMs) override;

  // LoginThrottle
  Result<int64_t> recordAddressFailure(const std::string& address, int64_t windowStartMs) override;
  Result<int64_t> addressFailures(const std::string& address, int64_t windowStartMs) override;
  Result<int64_t> purgeAddressWindowsBefore(int64_t windowStartMs) override;

  const std::shared_ptr<Database>& database() const { return database_; }

 private:
  explicit AccountStoreOver(std::shared_ptr<Database> database) : database_(std::move(database)) {}

  const std::shared_ptr<Database> database_;
};

}  // namespace mes::store::sql
