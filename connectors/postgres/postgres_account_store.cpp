// PostgreSQL implementation of the patient portal's stores: the tables of migration 4 (described
// in connectors/sqlite/sqlite_account_store.cpp), the statements in PostgreSQL's spelling, the
// read-then-write steps under a row lock (FOR UPDATE) and bounded purges that skip rows another
// instance is purging (SKIP LOCKED).
#include "connectors/postgres/postgres_account_store.h"

#include <optional>

#include "connectors/postgres/pg_db.h"

namespace mes::store {
namespace {

using pg::Connection;
using pg::Statement;

// --- SQL ------------------------------------------------------------------------------------

constexpr std::string_view kInsertAccount =
    "INSERT INTO accounts (account_id, login, role, patient_id, password_hash, failed_logins, "
    "locked_until_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?) "
    "ON CONFLICT DO NOTHING";
constexpr std::string_view kSelectAccountById =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts WHERE account_id = ?";
constexpr std::string_view kSelectAccountByLogin =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts WHERE login = ?";
constexpr std::string_view kSelectAccounts =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts ORDER BY login COLLATE \"C\"";
// The row locked until the transaction ends: concurrent login steps on one account (on any
// instance) take turns and lose no increment.
constexpr std::string_view kSelectAccountForUpdate =
    "SELECT account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
    "created_ms, updated_ms FROM accounts WHERE account_id = ? FOR UPDATE";
constexpr std::string_view kUpdateLoginState =
    "UPDATE accounts SET failed_logins = ?, locked_until_ms = ?, updated_ms = ? "
    "WHERE account_id = ?";
constexpr std::string_view kUpdatePasswordHash =
    "UPDATE accounts SET password_hash = ?, updated_ms = ? WHERE account_id = ?";

constexpr std::string_view kInsertSession =
    "INSERT INTO portal_sessions (handle, state, account_id, csrf_token, otp_hash, "
    "otp_expires_ms, otp_attempts, created_ms, last_seen_ms, expires_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (handle) DO NOTHING";
constexpr std::string_view kSelectSession =
    "SELECT state, account_id, csrf_token, otp_hash, otp_expires_ms, otp_attempts, created_ms, "
    "last_seen_ms, expires_ms FROM portal_sessions WHERE handle = ? AND expires_ms > ?";
constexpr std::string_view kUpdateSession =
    "UPDATE portal_sessions SET state = ?, account_id = ?, csrf_token = ?, otp_hash = ?, "
    "otp_expires_ms = ?, otp_attempts = ?, last_seen_ms = ?, expires_ms = ? "
    "WHERE handle = ? AND expires_ms > ?";
constexpr std::string_view kDeleteLiveSession =
    "DELETE FROM portal_sessions WHERE handle = ? AND expires_ms > ?";
constexpr std::string_view kDeleteSession = "DELETE FROM portal_sessions WHERE handle = ?";
constexpr std::string_view kCountOtpAttempt =
    "UPDATE portal_sessions SET otp_attempts = otp_attempts + 1 "
    "WHERE handle = ? AND expires_ms > ?";
constexpr std::string_view kPurgeSessions = "DELETE FROM portal_sessions WHERE expires_ms <= ?";
constexpr std::string_view kPurgeSomeSessions =
    "DELETE FROM portal_sessions WHERE handle IN "
    "(SELECT handle FROM portal_sessions WHERE expires_ms <= ? LIMIT 16 FOR UPDATE SKIP LOCKED)";

constexpr std::string_view kRecordAddressFailure =
    "INSERT INTO login_address_failures (address, window_start_ms, failures) VALUES (?, ?, 1) "
    "ON CONFLICT (address, window_start_ms) DO UPDATE "
    "SET failures = login_address_failures.failures + 1 RETURNING failures";
constexpr std::string_view kSelectAddressFailures =
    "SELECT failures FROM login_address_failures WHERE address = ? AND window_start_ms = ?";
constexpr std::string_view kPurgeWindows =
    "DELETE FROM login_address_failures WHERE window_start_ms < ?";
constexpr std::string_view kPurgeSomeWindows =
    "DELETE FROM login_address_failures WHERE (address, window_start_ms) IN "
    "(SELECT address, window_start_ms FROM login_address_failures WHERE window_start_ms < ? "
    "LIMIT 16 FOR UPDATE SKIP LOCKED)";

// --- errors ---------------------------------------------------------------------------------

Error accountNotFound() {
  return Error::make(ErrorKind::kNotFound, "not-found", "The account does not exist.");
}

Error sessionNotFound() {
  return Error::make(ErrorKind::kNotFound, "not-found", "The session does not exist or expired.");
}

Error invalidSession(std::string message) {
  return Error::make(ErrorKind::kInvalid, "invalid-session", std::move(message));
}

// --- helpers --------------------------------------------------------------------------------

AccountRecord accountFromRow(const Statement& stmt) {
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
Result<std::optional<AccountRecord>> selectAccount(Connection& db, std::string_view sql,
                                                   const std::string& key) {
  Result<Statement> stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, key);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<AccountRecord>();
  return std::optional<AccountRecord>(accountFromRow(*stmt));
}

Status writeLoginState(Connection& db, const AccountRecord& account) {
  Result<Statement> stmt = db.prepare(kUpdateLoginState);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, account.failedLogins);
  stmt->bindInt64(2, account.lockedUntilMs);
  stmt->bindInt64(3, account.updatedMs);
  stmt->bindText(4, account.accountId);
  return stmt->run();
}

std::optional<SessionState> parseSessionState(std::string_view name) {
  for (SessionState state :
       {SessionState::kAnonymous, SessionState::kOtpPending, SessionState::kAuthenticated}) {
    if (sessionStateName(state) == name) return state;
  }
  return std::nullopt;
}

Status checkSession(const SessionRecord& session) {
  if (session.handle.empty()) return invalidSession("The session handle is empty.");
  if (session.csrfToken.empty()) return invalidSession("The session has no CSRF token.");
  if ((session.state == SessionState::kAnonymous) != session.accountId.empty()) {
    return invalidSession("Only an anonymous session has no account.");
  }
  return Status::ok();
}

Result<std::optional<SessionRecord>> selectSession(Connection& db, const std::string& handle,
                                                   int64_t nowMs) {
  Result<Statement> stmt = db.prepare(kSelectSession);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, handle);
  stmt->bindInt64(2, nowMs);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<SessionRecord>();
  SessionRecord session;
  session.handle = handle;
  std::optional<SessionState> state = parseSessionState(stmt->textAt(0));
  if (!state) return Error::internal("postgres: a portal session has an unknown state");
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

Status insertSession(Connection& db, const SessionRecord& session) {
  const std::string_view state = sessionStateName(session.state);
  Result<Statement> stmt = db.prepare(kInsertSession);
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

Status purgeSome(Connection& db, std::string_view sql, int64_t bound) {
  Result<Statement> stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, bound);
  return stmt->run();
}

}  // namespace

Result<std::shared_ptr<PostgresAccountStore>> PostgresAccountStore::open(
    std::shared_ptr<PostgresDatabase> database) {
  if (database == nullptr) return Error::internal("store: PostgresAccountStore needs a database");
  if (database->schemaVersion() < kSchemaVersion) {
    return Error::internal("postgres: the database is at schema version " +
                           std::to_string(database->schemaVersion()) +
                           ", the account store needs " + std::to_string(kSchemaVersion));
  }
  return std::shared_ptr<PostgresAccountStore>(new PostgresAccountStore(std::move(database)));
}

// --- accounts -------------------------------------------------------------------------------

Result<AccountRecord> PostgresAccountStore::createAccount(const AccountRecord& account,
                                                          int64_t nowMs) {
  AccountRecord created = account;
  created.login = normalizeLogin(account.login);
  created.failedLogins = 0;
  created.lockedUntilMs = 0;
  created.createdMs = nowMs;
  created.updatedMs = nowMs;
  MES_RETURN_IF_ERROR(checkAccountRecord(created));
  Status written = database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kInsertAccount);
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

Result<AccountRecord> PostgresAccountStore::accountByLogin(std::string_view login) {
  const std::string key = normalizeLogin(login);
  Result<std::optional<AccountRecord>> found = database_->read(
      [&](Connection& db) { return selectAccount(db, kSelectAccountByLogin, key); });
  if (!found) return found.takeError();
  if (!*found) return accountNotFound();
  return std::move(**found);
}

Result<AccountRecord> PostgresAccountStore::account(const std::string& accountId) {
  Result<std::optional<AccountRecord>> found = database_->read(
      [&](Connection& db) { return selectAccount(db, kSelectAccountById, accountId); });
  if (!found) return found.takeError();
  if (!*found) return accountNotFound();
  return std::move(**found);
}

Result<std::vector<AccountRecord>> PostgresAccountStore::accounts() {
  return database_->read([](Connection& db) -> Result<std::vector<AccountRecord>> {
    Result<Statement> stmt = db.prepare(kSelectAccounts);
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

Result<AccountRecord> PostgresAccountStore::recordLoginFailure(const std::string& accountId,
                                                               int64_t maxFailures,
                                                               int64_t lockoutMs, int64_t nowMs) {
  if (maxFailures < 1 || lockoutMs < 0) {
    return Error::make(ErrorKind::kInvalid, "invalid-argument",
                       "maxFailures must be at least 1 and lockoutMs not negative.");
  }
  AccountRecord account;
  Status written = database_->write([&](Connection& db) -> Status {
    Result<std::optional<AccountRecord>> found =
        selectAccount(db, kSelectAccountForUpdate, accountId);
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

Result<AccountRecord> PostgresAccountStore::recordLoginSuccess(const std::string& accountId,
                                                               int64_t nowMs) {
  AccountRecord account;
  Status written = database_->write([&](Connection& db) -> Status {
    Result<std::optional<AccountRecord>> found =
        selectAccount(db, kSelectAccountForUpdate, accountId);
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

Status PostgresAccountStore::setPasswordHash(const std::string& accountId,
                                             const std::string& passwordHash, int64_t nowMs) {
  if (passwordHash.empty()) {
    return Error::make(ErrorKind::kInvalid, "invalid-account", "The account needs a password hash.",
                       "passwordHash");
  }
  return database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kUpdatePasswordHash);
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

Result<AccountRecord> PostgresAccountStore::unlock(const std::string& accountId, int64_t nowMs) {
  AccountRecord account;
  Status written = database_->write([&](Connection& db) -> Status {
    Result<std::optional<AccountRecord>> found =
        selectAccount(db, kSelectAccountForUpdate, accountId);
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

Status PostgresAccountStore::createSession(const SessionRecord& session) {
  MES_RETURN_IF_ERROR(checkSession(session));
  return database_->write([&](Connection& db) -> Status {
    MES_RETURN_IF_ERROR(purgeSome(db, kPurgeSomeSessions, session.createdMs));
    return insertSession(db, session);
  });
}

Result<SessionRecord> PostgresAccountStore::session(const std::string& handle, int64_t nowMs) {
  Result<std::optional<SessionRecord>> found =
      database_->read([&](Connection& db) { return selectSession(db, handle, nowMs); });
  if (!found) return found.takeError();
  if (!*found) return sessionNotFound();
  return std::move(**found);
}

Status PostgresAccountStore::updateSession(const SessionRecord& session, int64_t nowMs) {
  MES_RETURN_IF_ERROR(checkSession(session));
  return database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kUpdateSession);
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

Status PostgresAccountStore::replaceSession(const std::string& oldHandle, const SessionRecord& next,
                                            int64_t nowMs) {
  MES_RETURN_IF_ERROR(checkSession(next));
  return database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kDeleteLiveSession);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, oldHandle);
    stmt->bindInt64(2, nowMs);
    Result<int64_t> removed = runCounting(db, *stmt);
    if (!removed) return removed.takeError();
    if (*removed == 0) return sessionNotFound();
    return insertSession(db, next);
  });
}

Result<SessionRecord> PostgresAccountStore::countOtpAttempt(const std::string& handle,
                                                            int64_t nowMs) {
  std::optional<SessionRecord> counted;
  Status written = database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kCountOtpAttempt);
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

Status PostgresAccountStore::deleteSession(const std::string& handle) {
  return database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kDeleteSession);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, handle);
    return stmt->run();
  });
}

Result<int64_t> PostgresAccountStore::purgeExpiredSessions(int64_t nowMs) {
  return database_->writeCounting(kPurgeSessions, nowMs);
}

// --- failed logins per address --------------------------------------------------------------

Result<int64_t> PostgresAccountStore::recordAddressFailure(const std::string& address,
                                                           int64_t windowStartMs) {
  int64_t failures = 0;
  Status written = database_->write([&](Connection& db) -> Status {
    MES_RETURN_IF_ERROR(purgeSome(db, kPurgeSomeWindows, windowStartMs));
    Result<Statement> stmt = db.prepare(kRecordAddressFailure);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, address);
    stmt->bindInt64(2, windowStartMs);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return Error::internal("postgres: the address failure upsert returned no row");
    failures = stmt->int64At(0);
    return Status::ok();
  });
  if (!written) return written.takeError();
  return failures;
}

Result<int64_t> PostgresAccountStore::addressFailures(const std::string& address,
                                                      int64_t windowStartMs) {
  return database_->read([&](Connection& db) -> Result<int64_t> {
    Result<Statement> stmt = db.prepare(kSelectAddressFailures);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, address);
    stmt->bindInt64(2, windowStartMs);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    return *row ? stmt->int64At(0) : int64_t{0};
  });
}

Result<int64_t> PostgresAccountStore::purgeAddressWindowsBefore(int64_t windowStartMs) {
  return database_->writeCounting(kPurgeWindows, windowStartMs);
}

}  // namespace mes::store
