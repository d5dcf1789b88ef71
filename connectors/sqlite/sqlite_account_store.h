// The patient portal's stores (connectors/store/account_store.h) over a SqliteDatabase shared with
// the FHIR repository and the OAuth stores: accounts, portal sessions and failed logins per
// address, in the tables of migration 4.
//
// Contract beyond the interfaces:
//  - Thread-safe. Every operation that writes is one transaction on the database's writer
//    connection (BEGIN IMMEDIATE, which also takes SQLite's file lock), so the atomic steps the
//    interfaces promise hold across threads and across processes sharing the file. Reads run on
//    the reader pool.
//  - Errors besides the interfaces' own: the database's kUnavailable "store-closed" and
//    "store-busy", kInternal for any other SQLite failure (the SQLite message only in
//    Error::detail). A failed call writes nothing.
//  - A session's accountId must name a stored account (a foreign key): otherwise kInternal.
//  - createSession and recordAddressFailure each also delete a bounded number of expired rows of
//    their table, so that neither grows without purges.
#pragma once

#include "connectors/sql/account_store_sql.h"
#include "connectors/sql/dialect.h"
#include "connectors/sqlite/sqlite_database.h"

namespace mes::store {

using SqliteAccountStore = sql::AccountStoreOver<SqliteDatabase, sql::SqliteDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class AccountStoreOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
