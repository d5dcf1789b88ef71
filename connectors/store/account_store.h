// Storage interfaces of the patient portal (issue #3): accounts that log in on /portal, the
// portal's sessions, and the per-address count of failed logins. Like the OAuth stores they hold
// state every gateway instance must share (DESIGN "Scaling past one machine"), so each step that
// must be atomic across instances is one call here.
//
// Secrets are never stored in clear: passwords as slow-KDF hashes (oauth/password.h), session
// ids and one-time codes as their SHA-256 (the caller hashes; the store sees only `handle` and
// `otpHash`). The CSRF token is stored as is: it is not a credential on its own, it must match
// the session it was issued with.
//
// Times are milliseconds since the Unix epoch, passed by the caller (`nowMs`) so that tests and
// every instance agree on one clock; a record with `expiresMs` is expired from nowMs >= expiresMs.
//
// Every implementation passes tests/connectors/account_store_suite.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mes::store {

// --- accounts --------------------------------------------------------------------------------

// Roles an account may hold. Patients log in to the portal now; the referencing workflow (#5)
// adds accounts for editors, evaluators, the commission and administrators.
inline constexpr std::array<std::string_view, 5> kAccountRoles = {"patient", "editor", "evaluator",
                                                                  "commission", "admin"};
inline constexpr size_t kMinLoginLength = 3;
inline constexpr size_t kMaxLoginLength = 254;  // an e-mail address at most

struct AccountRecord {
  std::string accountId;     // opaque, chosen by the caller (random); [A-Za-z0-9_-]{8,64}
  std::string login;         // stored lower-cased (ASCII); unique ignoring case
  std::string role;          // one of kAccountRoles
  std::string patientId;     // the patient's logical id: required for "patient", else empty
  std::string passwordHash;  // oauth::hashPassword() output; never empty
  int64_t failedLogins = 0;  // consecutive password failures since the last success or lock
  int64_t lockedUntilMs = 0; // locked while nowMs < lockedUntilMs; 0 = never locked
  int64_t createdMs = 0;
  int64_t updatedMs = 0;
};

// The login as stored and looked up: ASCII letters lower-cased, nothing else changed.
std::string normalizeLogin(std::string_view login);

// What every store refuses, with kInvalid ("invalid-account"), naming the field in `expression`:
// an accountId outside [A-Za-z0-9_-]{8,64}; a login shorter than 3 or longer than 254 bytes, or
// with control characters, spaces or non-ASCII bytes; a role not in kAccountRoles; a patient
// without patientId, or another role with one; an empty passwordHash.
Status checkAccountRecord(const AccountRecord& account);

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // Stores a new account: login normalised, failedLogins = lockedUntilMs = 0,
  // createdMs = updatedMs = nowMs (the caller's values are ignored); returns what was stored.
  // kConflict ("already-exists") when the login (ignoring case) or the account id is taken;
  // checkAccountRecord()'s refusals.
  virtual Result<AccountRecord> createAccount(const AccountRecord& account, int64_t nowMs) = 0;
  // Lookup ignoring case. kNotFound ("not-found") when unknown.
  virtual Result<AccountRecord> accountByLogin(std::string_view login) = 0;
  // kNotFound ("not-found") when unknown.
  virtual Result<AccountRecord> account(const std::string& accountId) = 0;
  // Every account, ordered by login.
  virtual Result<std::vector<AccountRecord>> accounts() = 0;

  // One atomic step after a wrong password. While the account is locked (nowMs < lockedUntilMs)
  // nothing changes (the lock is not extended). Otherwise failedLogins + 1; when that reaches
  // maxFailures, lockedUntilMs = nowMs + lockoutMs and failedLogins = 0. updatedMs = nowMs when
  // something changed. Returns the record as stored afterwards. Concurrent calls lose no
  // increment, on any instance. kNotFound ("not-found") when unknown; kInvalid when
  // maxFailures < 1 or lockoutMs < 0.
  virtual Result<AccountRecord> recordLoginFailure(const std::string& accountId,
                                                   int64_t maxFailures, int64_t lockoutMs,
                                                   int64_t nowMs) = 0;
  // After a right password: failedLogins = 0 (the lock, if any, is the caller's business: a
  // locked account is refused before its password is checked). Returns the stored record.
  // kNotFound ("not-found") when unknown.
  virtual Result<AccountRecord> recordLoginSuccess(const std::string& accountId, int64_t nowMs) = 0;
  // Replaces the password hash (rehash after login, password change). kNotFound ("not-found")
  // when unknown; kInvalid ("invalid-account") when the hash is empty.
  virtual Status setPasswordHash(const std::string& accountId, const std::string& passwordHash,
                                 int64_t nowMs) = 0;
  // Lifts a lock and clears the failure count. kNotFound ("not-found") when unknown.
  virtual Result<AccountRecord> unlock(const std::string& accountId, int64_t nowMs) = 0;
};

// --- portal sessions ---------------------------------------------------------------------------

enum class SessionState {
  kAnonymous,    // a visitor: holds a CSRF token for the login form
  kOtpPending,   // the password was right; waiting for the one-time code
  kAuthenticated,
};
// "anonymous" | "otp-pending" | "authenticated", as stored.
std::string_view sessionStateName(SessionState state);

struct SessionRecord {
  std::string handle;     // SHA-256 of the session id (the cookie value): never the id itself
  SessionState state = SessionState::kAnonymous;
  std::string accountId;  // empty while anonymous
  std::string csrfToken;  // the token every form of this session carries
  std::string otpHash;    // SHA-256 of the pending one-time code; empty when none
  int64_t otpExpiresMs = 0;
  int64_t otpAttempts = 0;  // codes tried against otpHash
  int64_t createdMs = 0;
  int64_t lastSeenMs = 0;
  int64_t expiresMs = 0;  // idle expiry; the caller moves it forward on use
};

class PortalSessionStore {
 public:
  virtual ~PortalSessionStore() = default;
  // kConflict ("already-exists") when the handle is taken; kInvalid ("invalid-session") when
  // the handle or CSRF token is empty, or a non-anonymous session has no accountId.
  virtual Status createSession(const SessionRecord& session) = 0;
  // The live session. kNotFound ("not-found") when unknown or expired at nowMs.
  virtual Result<SessionRecord> session(const std::string& handle, int64_t nowMs) = 0;
  // Replaces every field but handle and createdMs of a live session. kNotFound ("not-found")
  // when unknown or expired at nowMs; createSession()'s kInvalid refusals.
  virtual Status updateSession(const SessionRecord& session, int64_t nowMs) = 0;
  // One atomic step for a privilege change (a new session id against fixation): removes the
  // live session `oldHandle` and stores `next` (with its own handle). Exactly one of several
  // concurrent calls with the same oldHandle succeeds; the others get kNotFound ("not-found"),
  // as does an unknown or expired oldHandle. kConflict when next.handle is taken; kInvalid as
  // createSession(). Nothing is written on failure.
  virtual Status replaceSession(const std::string& oldHandle, const SessionRecord& next,
                                int64_t nowMs) = 0;
  // One atomic step before a one-time code is compared: otpAttempts + 1 on the live session,
  // returning the record afterwards. The caller compares only when the count is within its
  // limit, so concurrent guesses cannot exceed it. kNotFound ("not-found") when unknown or
  // expired.
  virtual Result<SessionRecord> countOtpAttempt(const std::string& handle, int64_t nowMs) = 0;
  // Removes the session if present (ok either way).
  virtual Status deleteSession(const std::string& handle) = 0;
  // Removes sessions expired at nowMs; returns how many.
  virtual Result<int64_t> purgeExpiredSessions(int64_t nowMs) = 0;
};

// --- failed logins per remote address -------------------------------------------------------

// Counts failed logins per remote address in fixed windows (the caller picks the window start,
// e.g. nowMs rounded down to 15 minutes), so that all instances share one count.
class LoginThrottle {
 public:
  virtual ~LoginThrottle() = default;
  // Adds one failure for `address` in the window starting at windowStartMs and returns the
  // window's count afterwards, atomically. Also removes a bounded number of rows of windows
  // that started before windowStartMs, so the table does not grow without purges.
  virtual Result<int64_t> recordAddressFailure(const std::string& address,
                                               int64_t windowStartMs) = 0;
  // The count of the window (0 when none).
  virtual Result<int64_t> addressFailures(const std::string& address, int64_t windowStartMs) = 0;
  // Removes the rows of windows that started before windowStartMs; returns how many.
  virtual Result<int64_t> purgeAddressWindowsBefore(int64_t windowStartMs) = 0;
};

}  // namespace mes::store
