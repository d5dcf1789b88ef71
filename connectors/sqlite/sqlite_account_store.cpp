// SQLite implementation of the patient portal's stores.
//
// Schema (migration 4 in sqlite_database.cpp) and why:
//
//   accounts(account_id PK, login UNIQUE, role, patient_id, password_hash, failed_logins,
//            locked_until_ms, created_ms, updated_ms)   index accounts_by_patient (patient_id)
//     The login is stored lower-cased (a CHECK holds the rule), so "unique ignoring case" is the
//     plain UNIQUE constraint and lookups use its index. The role list is a CHECK too: #5 adds
//     accounts of the other roles without a migration. patient_id is NULL for non-patients (a
//     CHECK ties it to the role); its index serves "the account of this patient".
//     recordLoginFailure reads and writes the counter inside one BEGIN IMMEDIATE transaction:
//     no increment is lost between threads or processes.
//
//   portal_sessions(handle PK, state, account_id -> accounts, csrf_token, otp_hash,
//                   otp_expires_ms, otp_attempts, created_ms, last_seen_ms, expires_ms)
//       WITHOUT ROWID; index portal_sessions_by_expiry (expires_ms),
//       portal_sessions_by_account (account_id)
//     Keyed by the SHA-256 of the session id, so a copy of the database cannot be replayed as
//     cookies. An anonymous session has no account (CHECK). Every statement on a session also
//     tests expires_ms, so an expired row is never used even before it is purged.
//
//   login_address_failures(address, window_start_ms, failures)  PK (address, window_start_ms),
//       WITHOUT ROWID; index login_address_failures_by_window (window_start_ms)
//     One counter per address and fixed window, incremented by an upsert under the write lock.
//
// Every write is one transaction on the shared writer connection (SqliteDatabase::write).
#include "connectors/sqlite/sqlite_account_store.h"

#include "connectors/sql/account_store_sql_impl.h"
#include "connectors/sqlite/sqlite_db.h"

namespace mes::store::sql {
template class AccountStoreOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
