// The member definitions of AccountStoreOver (account_store_sql.h), included only by the two
// connectors' sources, which instantiate it (connectors/sqlite/sqlite_account_store.cpp,
// connectors/postgres/postgres_account_store.cpp) with their connection header included first.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/sql/account_store_sql.h"
#include "connectors/sql/dialect.h"

namespace mes::store::sql {
namespace account_store_detail {

// --- SQL ------------------------------------------------------------------------------------

inline constexpr std::string_view kInsertAccount =
    "INSERT INTO accounts (account_id, login, role, patient_id, password_hash, failed_logins, "
    "locked_until_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?) "
    "ON CONFLICT DO NOTHING";
inline constexpr std::string_view kSelectAccountById =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts WHERE account_id = ?";
inline constexpr std::string_view kSelectAccountByLogin =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts WHERE login = ?";
template <typename Dialect>
inline const std::string kSelectAccounts =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts ORDER BY login" +
    std::string(Dialect::kTextOrder);
// The row locked until the transaction ends: concurrent login steps on one account (on any
// instance) take turns and lose no increment.
template <typename Dialect>
inline const std::string kSelectAccountForUpdate =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts WHERE account_id = ?" +
    std::string(Dialect::kForUpdate);
inline constexpr std::string_view kUpdateLoginState =
    "UPDATE accounts SET failed_logins = ?, locked_until_ms = ?, updated_ms = ? "
    "WHERE account_id = ?";
inline constexpr std::string_view kUpdatePasswordHash =
    "UPDATE accounts SET password_hash = ?, updated_ms = ? WHERE account_id = ?";

inline constexpr std::string_view kInsertSession =
    "INSERT INTO portal_sessions (handle, state, account_id, csrf_token, otp_hash, "
    "otp_expires_ms, otp_attempts, created_ms, last_seen_ms, expires_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (handle) DO NOTHING";
inline constexpr std::string_view kSelectSession =
    "SELECT state, account_id, csrf_token, otp_hash, otp_expires_ms, otp_attempts, created_ms, "
    "last_seen_ms, expires_ms FROM portal_sessions WHERE handle = ? AND expires_ms > ?";
inline constexpr std::string_view kUpdateSession =
    "UPDATE portal_sessions SET state = ?, account_id = ?, csrf_token = ?, otp_hash = ?, "
    "otp_expires_ms = ?, otp_attempts = ?, last_seen_ms = ?, expires_ms = ? "
    "WHERE handle = ? AND expires_ms > ?";
inline constexpr std::string_view kDeleteLiveSession =
    "DELETE FROM portal_sessions WHERE handle = ? AND expires_ms > ?";
inline constexpr std::string_view kDeleteSession = "DELETE FROM portal_sessions WHERE handle = ?";
inline constexpr std::string_view kCountOtpAttempt =
    "UPDATE portal_sessions SET otp_attempts = otp_attempts + 1 "
    "WHERE handle = ? AND expires_ms > ?";
inline constexpr std::string_view kPurgeSessions =
    "DELETE FROM portal_sessions WHERE expires_ms <= ?";
template <typename Dialect>
inline const std::string kPurgeSomeSessions =
    "DELETE FROM portal_sessions WHERE handle IN "
    "(SELECT handle FROM portal_sessions WHERE expires_ms <= ? LIMIT 16" +
    std::string(Dialect::kSkipLocked) + ")";

inline constexpr std::string_view kRecordAddressFailure =
    "INSERT INTO login_address_failures (address, window_start_ms, failures) VALUES (?, ?, 1) "
    "ON CONFLICT (address, window_start_ms) DO UPDATE "
    "SET failures = login_address_failures.failures + 1 RETURNING failures";
inline constexpr std::string_view kSelectAddressFailures =
    "SELECT failures FROM login_address_failures WHERE address = ? AND window_start_ms = ?";
inline constexpr std::string_view kPurgeWindows =
    "DELETE FROM login_address_failures WHERE window_start_ms < ?";
template <typename Dialect>
inline const std::string kPurgeSomeWindows =
    "DELETE FROM login_address_failures WHERE (address, window_start_ms) IN "
    "(SELECT address, window_start_ms FROM login_address_failures WHERE window_start_ms < ? "
    "LIMIT 16" +
    std::string(Dialect::kSkipLocked) + ")";

// --- errors ---------------------------------------------------------------------------------

inline Error accountNotFound() {
  return Error::make(ErrorKind::kNotFound, "not-found", "The account does not exist.");
}

inline Error sessionNotFound() {
  return Error::make(ErrorKind::kNotFound, "not-found", "The session does not exist or expired.");
}

inline Error invalidSession(std::string message) {
  return Error::make(ErrorKind::kInvalid, "invalid-session", std::move(message));
}

// --- helpers --------------------------------------------------------------------------------

template <typename Row>
AccountRecord accountFromRow(const Row& stmt) {
  AccountRecord account;
  account.accountId = stmt.stringAt(0);
  account.login = stmt.stringAt(1);
  account.role = stmt.stringAt(2);
  if (!stmt.isNull(3)) account.patientId = stmt.stringAt(3);
  account.passwordHash = stmt.stringAt(4);
  account.failedLogins = stmt.int64At(5);
  account.lockedUntilMs = stmt.int64At(6);
  account.createdMs = stmt.int64At(7);
  account.updatedMs = stmt.int64At(8);
  return account;
}

// The first account `sql` selects with `key` bound to its only parameter, or nullopt.
template <typename Db>
Result<std::optional<AccountRecord>> selectAccount(Db& db, std::string_view sql,
                                                   const std::string& key) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, key);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<AccountRecord>();
  return std::optional<AccountRecord>(accountFromRow(*stmt));
}

template <typename Db>
Status writeLoginState(Db& db, const AccountRecord& account) {
  auto stmt = db.prepare(kUpdateLoginState);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, account.failedLogins);
  stmt->bindInt64(2, account.lockedUntilMs);
  stmt->bindInt64(3, account.updatedMs);
  stmt->bindText(4, account.accountId);
  return stmt->run();
}

inline std::optional<SessionState> parseSessionState(std::string_view name) {
  for (SessionState state :
       {SessionState::kAnonymous, SessionState::kOtpPending, SessionState::kAuthenticated}) {
    if (sessionStateName(state) == name) return state;
  }
  return std::nullopt;
}

inline Status checkSession(const SessionRecord& session) {
  if (session.handle.empty()) return invalidSession("The session handle is empty.");
  if (session.csrfToken.empty()) return invalidSession("The session has no CSRF token.");
  if ((session.state == SessionState::kAnonymous) != session.accountId.empty()) {
    return invalidSession("Only an anonymous session has no account.");
  }
  return Status::ok();
}

template <typename Db>
Result<std::optional<SessionRecord>> selectSession(Db& db, const std::string& handle,
                                                   int64_t nowMs) {
  auto stmt = db.prepare(kSelectSession);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, handle);
  stmt->bindInt64(2, nowMs);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<SessionRecord>();
  SessionRecord session;
  session.handle = handle;
  std::optional<SessionState> state = parseSessionState(stmt->textAt(0));
  if (!state) return Error::internal("store: a portal session has an unknown state");
  session.state = *state;
  if (!stmt->isNull(1)) session.accountId = stmt->stringAt(1);
  session.csrfToken = stmt->stringAt(2);
  session.otpHash = stmt->stringAt(3);
  session.otpExpiresMs = stmt->int64At(4);
  session.otpAttempts = stmt->int64At(5);
  session.createdMs = stmt->int64At(6);
  session.lastSeenMs = stmt->int64At(7);
  session.expiresMs = stmt->int64At(8);
  return std::optional<SessionRecord>(std::move(session));
}

template <typename Db>
Status insertSession(Db& db, const SessionRecord& session) {
  const std::string_view state = sessionStateName(session.state);
  auto stmt = db.prepare(kInsertSession);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, session.handle);
  stmt->bindText(2, state);
  stmt->bindTextOrNull(3, session.accountId);
  stmt->bindText(4, session.csrfToken);
  stmt->bindText(5, session.otpHash);
  stmt->bindInt64(6, session.otpExpiresMs);
  stmt->bindInt64(7, session.otpAttempts);
  stmt->bindInt64(8, session.createdMs);
  stmt->bindInt64(9, session.lastSeenMs);
  stmt->bindInt64(10, session.expiresMs);
  Result<int64_t> inserted = runCounting(db, *stmt);
  if (!inserted) return inserted.takeError();
  if (*inserted == 0) {
    return Error::make(ErrorKind::kConflict, "already-exists",
                       "The session handle is already stored.");
  }
  return Status::ok();
}

template <typename Db>
Status purgeSome(Db& db, std::string_view sql, int64_t bound) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, bound);
  return stmt->run();
}

}  // namespace account_store_detail

using namespace account_store_detail;

template <typename Database, typename Dialect>
Result<std::shared_ptr<AccountStoreOver<Database, Dialect>>>
AccountStoreOver<Database, Dialect>::open(std::shared_ptr<Database> database) {
  if (database == nullptr) return Error::internal("store: the account store needs a database");
  if (database->schemaVersion() < kSchemaVersion) {
    return Error::internal("store: the database is at schema version " +
                           std::to_string(database->schemaVersion()) +
                           ", the account store needs " + std::to_string(kSchemaVersion));
  }
  return std::shared_ptr<AccountStoreOver<Database, Dialect>>(
      new AccountStoreOver(std::move(database)));
}

// --- accounts -------------------------------------------------------------------------------

template <typename Database, typename Dialect>
Result<AccountRecord> AccountStoreOver<Database, Dialect>::createAccount(
    const AccountRecord& account, int64_t nowMs) {
  AccountRecord created = account;
  created.login = normalizeLogin(account.login);
  created.failedLogins = 0;
  created.lockedUntilMs = 0;
  created.createdMs = nowMs;
  created.updatedMs = nowMs;
  MES_RETURN_IF_ERROR(checkAccountRecord(created));
  Status written = this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kInsertAccount);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, created.accountId);
    stmt->bindText(2, created.login);
    stmt->bindText(3, created.role);
    stmt->bindTextOrNull(4, created.patientId);
    stmt->bindText(5, created.passwordHash);
    stmt->bindInt64(6, created.createdMs);
    stmt->bindInt64(7, created.updatedMs);
    Result<int64_t> inserted = runCounting(db, *stmt);
    if (!inserted) return inserted.takeError();
    if (*inserted == 0) {
      return Error::make(ErrorKind::kConflict, "already-exists",
                         "An account with this login (or account id) already exists.");
    }
    return Status::ok();
  });
  if (!written) return written.takeError();
  return created;
}

template <typename Database, typename Dialect>
Result<AccountRecord> AccountStoreOver<Database, Dialect>::accountByLogin(std::string_view login) {
  const std::string key = normalizeLogin(login);
  Result<std::optional<AccountRecord>> found = this->database_->read(
      [&](auto& db) { return selectAccount(db, kSelectAccountByLogin, key); });
  if (!found) return found.takeError();
  if (!*found) return accountNotFound();
  return std::move(**found);
}

template <typename Database, typename Dialect>
Result<AccountRecord> AccountStoreOver<Database, Dialect>::account(const std::string& accountId) {
  Result<std::optional<AccountRecord>> found = this->database_->read(
      [&](auto& db) { return selectAccount(db, kSelectAccountById, accountId); });
  if (!found) return found.takeError();
  if (!*found) return accountNotFound();
  return std::move(**found);
}

template <typename Database, typename Dialect>
Result<std::vector<AccountRecord>> AccountStoreOver<Database, Dialect>::accounts() {
  return this->database_->read([](auto& db) -> Result<std::vector<AccountRecord>> {
    auto stmt = db.prepare(kSelectAccounts<Dialect>);
    if (!stmt) return stmt.takeError();
    std::vector<AccountRecord> all;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return all;
      all.push_back(accountFromRow(*stmt));
    }
  });
}

template <typename Database, typename Dialect>
Result<AccountRecord> AccountStoreOver<Database, Dialect>::recordLoginFailure(
    const std::string& accountId, int64_t maxFailures, int64_t lockoutMs, int64_t nowMs) {
  if (maxFailures < 1 || lockoutMs < 0) {
    return Error::make(ErrorKind::kInvalid, "invalid-argument",
                       "maxFailures must be at least 1 and lockoutMs not negative.");
  }
  AccountRecord account;
  Status written = this->database_->write([&](auto& db) -> Status {
    Result<std::optional<AccountRecord>> found =
        selectAccount(db, kSelectAccountForUpdate<Dialect>, accountId);
    if (!found) return found.takeError();
    if (!*found) return accountNotFound();
    account = std::move(**found);
    if (nowMs < account.lockedUntilMs) return Status::ok();  // locked: not extended
    account.failedLogins += 1;
    if (account.failedLogins >= maxFailures) {
      account.lockedUntilMs = nowMs + lockoutMs;
      account.failedLogins = 0;
    }
    account.updatedMs = nowMs;
    return writeLoginState(db, account);
  });
  if (!written) return written.takeError();
  return account;
}

template <typename Database, typename Dialect>
Result<AccountRecord> AccountStoreOver<Database, Dialect>::recordLoginSuccess(
    const std::string& accountId, int64_t nowMs) {
  AccountRecord account;
  Status written = this->database_->write([&](auto& db) -> Status {
    Result<std::optional<AccountRecord>> found =
        selectAccount(db, kSelectAccountForUpdate<Dialect>, accountId);
    if (!found) return found.takeError();
    if (!*found) return accountNotFound();
    account = std::move(**found);
    if (account.failedLogins == 0) return Status::ok();
    account.failedLogins = 0;
    account.updatedMs = nowMs;
    return writeLoginState(db, account);
  });
  if (!written) return written.takeError();
  return account;
}

template <typename Database, typename Dialect>
Status AccountStoreOver<Database, Dialect>::setPasswordHash(const std::string& accountId,
                                                            const std::string& passwordHash,
                                                            int64_t nowMs) {
  if (passwordHash.empty()) {
    return Error::make(ErrorKind::kInvalid, "invalid-account", "The account needs a password hash.",
                       "passwordHash");
  }
  return this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kUpdatePasswordHash);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, passwordHash);
    stmt->bindInt64(2, nowMs);
    stmt->bindText(3, accountId);
    Result<int64_t> changed = runCounting(db, *stmt);
    if (!changed) return changed.takeError();
    if (*changed == 0) return accountNotFound();
    return Status::ok();
  });
}

template <typename Database, typename Dialect>
Result<AccountRecord> AccountStoreOver<Database, Dialect>::unlock(const std::string& accountId,
                                                                  int64_t nowMs) {
  AccountRecord account;
  Status written = this->database_->write([&](auto& db) -> Status {
    Result<std::optional<AccountRecord>> found =
        selectAccount(db, kSelectAccountForUpdate<Dialect>, accountId);
    if (!found) return found.takeError();
    if (!*found) return accountNotFound();
    account = std::move(**found);
    account.failedLogins = 0;
    account.lockedUntilMs = 0;
    account.updatedMs = nowMs;
    return writeLoginState(db, account);
  });
  if (!written) return written.takeError();
  return account;
}

// --- sessions -------------------------------------------------------------------------------

template <typename Database, typename Dialect>
Status AccountStoreOver<Database, Dialect>::createSession(const SessionRecord& session) {
  MES_RETURN_IF_ERROR(checkSession(session));
  return this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(purgeSome(db, kPurgeSomeSessions<Dialect>, session.createdMs));
    return insertSession(db, session);
  });
}

template <typename Database, typename Dialect>
Result<SessionRecord> AccountStoreOver<Database, Dialect>::session(const std::string& handle,
                                                                   int64_t nowMs) {
  Result<std::optional<SessionRecord>> found =
      this->database_->read([&](auto& db) { return selectSession(db, handle, nowMs); });
  if (!found) return found.takeError();
  if (!*found) return sessionNotFound();
  return std::move(**found);
}

template <typename Database, typename Dialect>
Status AccountStoreOver<Database, Dialect>::updateSession(const SessionRecord& session,
                                                          int64_t nowMs) {
  MES_RETURN_IF_ERROR(checkSession(session));
  return this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kUpdateSession);
    if (!stmt) return stmt.takeError();
    const std::string_view state = sessionStateName(session.state);
    stmt->bindText(1, state);
    stmt->bindTextOrNull(2, session.accountId);
    stmt->bindText(3, session.csrfToken);
    stmt->bindText(4, session.otpHash);
    stmt->bindInt64(5, session.otpExpiresMs);
    stmt->bindInt64(6, session.otpAttempts);
    stmt->bindInt64(7, session.lastSeenMs);
    stmt->bindInt64(8, session.expiresMs);
    stmt->bindText(9, session.handle);
    stmt->bindInt64(10, nowMs);
    Result<int64_t> changed = runCounting(db, *stmt);
    if (!changed) return changed.takeError();
    if (*changed == 0) return sessionNotFound();
    return Status::ok();
  });
}

template <typename Database, typename Dialect>
Status AccountStoreOver<Database, Dialect>::replaceSession(const std::string& oldHandle,
                                                           const SessionRecord& next,
                                                           int64_t nowMs) {
  MES_RETURN_IF_ERROR(checkSession(next));
  return this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kDeleteLiveSession);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, oldHandle);
    stmt->bindInt64(2, nowMs);
    Result<int64_t> removed = runCounting(db, *stmt);
    if (!removed) return removed.takeError();
    if (*removed == 0) return sessionNotFound();
    return insertSession(db, next);
  });
}

template <typename Database, typename Dialect>
Result<SessionRecord> AccountStoreOver<Database, Dialect>::countOtpAttempt(
    const std::string& handle, int64_t nowMs) {
  std::optional<SessionRecord> counted;
  Status written = this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kCountOtpAttempt);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, handle);
    stmt->bindInt64(2, nowMs);
    Result<int64_t> changed = runCounting(db, *stmt);
    if (!changed) return changed.takeError();
    if (*changed == 0) return sessionNotFound();
    Result<std::optional<SessionRecord>> found = selectSession(db, handle, nowMs);
    if (!found) return found.takeError();
    if (!*found) return sessionNotFound();
    counted = std::move(*found);
    return Status::ok();
  });
  if (!written) return written.takeError();
  return std::move(*counted);
}

template <typename Database, typename Dialect>
Status AccountStoreOver<Database, Dialect>::deleteSession(const std::string& handle) {
  return this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kDeleteSession);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, handle);
    return stmt->run();
  });
}

template <typename Database, typename Dialect>
Result<int64_t> AccountStoreOver<Database, Dialect>::purgeExpiredSessions(int64_t nowMs) {
  return this->database_->writeCounting(kPurgeSessions, nowMs);
}

// --- failed logins per address --------------------------------------------------------------

template <typename Database, typename Dialect>
Result<int64_t> AccountStoreOver<Database, Dialect>::recordAddressFailure(
    const std::string& address, int64_t windowStartMs) {
  int64_t failures = 0;
  Status written = this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(purgeSome(db, kPurgeSomeWindows<Dialect>, windowStartMs));
    auto stmt = db.prepare(kRecordAddressFailure);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, address);
    stmt->bindInt64(2, windowStartMs);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return Error::internal("store: the address failure upsert returned no row");
    failures = stmt->int64At(0);
    return Status::ok();
  });
  if (!written) return written.takeError();
  return failures;
}

template <typename Database, typename Dialect>
Result<int64_t> AccountStoreOver<Database, Dialect>::addressFailures(const std::string& address,
                                                                     int64_t windowStartMs) {
  return this->database_->read([&](auto& db) -> Result<int64_t> {
    auto stmt = db.prepare(kSelectAddressFailures);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, address);
    stmt->bindInt64(2, windowStartMs);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    return *row ? stmt->int64At(0) : int64_t{0};
  });
}

template <typename Database, typename Dialect>
Result<int64_t> AccountStoreOver<Database, Dialect>::purgeAddressWindowsBefore(
    int64_t windowStartMs) {
  return this->database_->writeCounting(kPurgeWindows, windowStartMs);
}

}  // namespace mes::store::sql
