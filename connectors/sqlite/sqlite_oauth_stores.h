// The authorization server's stores (connectors/store/oauth_stores.h) over a SqliteDatabase
// shared with the FHIR repository: services, authorization codes, refresh-token families and
// the replay cache, in the tables of migration 2.
//
// Contract beyond the interfaces:
//  - Thread-safe. Every operation that writes is one transaction on the database's writer
//    connection (BEGIN IMMEDIATE, which also takes SQLite's file lock), so the atomic steps
//    the interfaces promise hold across threads and across processes sharing the file. Reads
//    (service, services, findRefreshToken) run on the reader pool.
//  - Errors besides the interfaces' own: the database's kUnavailable "store-closed" and
//    "store-busy", kInternal for any other SQLite failure (the SQLite message only in
//    Error::detail). A failed call writes nothing.
//  - consumeCode and firstUse each also delete a bounded number of expired rows of their
//    table, so that neither grows without purgeExpiredCodes().
//  - The clock (createdMs/updatedMs of services) must be safe to read from several threads
//    and must outlive the stores.
#pragma once

#include "connectors/sql/dialect.h"
#include "connectors/sql/oauth_stores_sql.h"
#include "connectors/sqlite/sqlite_database.h"

namespace mes::store {

using SqliteOAuthStores = sql::OAuthStoresOver<SqliteDatabase, sql::SqliteDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class OAuthStoresOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
