// SQLite implementation of the OAuth stores.
//
// Schema (migration 2 in sqlite_database.cpp) and why:
//
//   services(client_id PK, name, editor_name, editor_oid, client_type, jwks, jwks_uri,
//            allowed_scopes, status, version, created_ms, updated_ms)
//   service_redirect_uris(client_id, position, uri)  PK (client_id, position), WITHOUT ROWID
//     One row per service; its redirect URIs in a child table in their given order, so that
//     no list encoding is parsed back. The referencing registry (#5) adds its own tables keyed
//     by client_id (sqlite_registry_store.cpp) and writes these rows in the same transactions
//     (sqlite_service_rows.h). Reads join both tables in one statement (one snapshot).
//
//   authorization_codes(handle PK, client_id, redirect_uri, code_challenge, patient_id, scope,
//                       nonce, expires_ms)   index authorization_codes_by_expiry (expires_ms)
//     Consuming a code deletes its row: single use is the row's absence. The expiry index
//     serves purges.
//
//   refresh_families(family_id PK, client_id, patient_id, created_ms, revoked_at)
//       index refresh_families_by_pairing (client_id, patient_id)
//   refresh_tokens(handle PK, family_id, state live|rotated, scope, issued_ms, expires_ms,
//                  rotated_ms)   UNIQUE index refresh_tokens_live (family_id) WHERE live
//     Client and patient belong to the family, so every token of a family has the same ones.
//     A family is revoked by setting revoked_at: its tokens stay, so that presenting any of
//     them later is recognised (kRevoked) rather than unknown. The partial unique index makes
//     "one live token per family" a property of the data, not only of the code. The pairing
//     index serves revocation of a pairing and (by its prefix) of a whole client.
//
//   replay_cache(key PK, expires_ms)  WITHOUT ROWID; index replay_cache_by_expiry (expires_ms)
//     firstUse is one upsert that only overwrites an expired row, so "first" is decided by
//     SQLite's constraint under the write lock.
//
// Every write is one transaction on the shared writer connection (SqliteDatabase::write).
#include "connectors/sqlite/sqlite_oauth_stores.h"

#include "connectors/sql/oauth_stores_sql_impl.h"
#include "connectors/sqlite/sqlite_db.h"

namespace mes::store::sql {
template class OAuthStoresOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
