// The patient portal's stores (connectors/store/account_store.h) over a PostgresDatabase shared
// with the FHIR repository and the OAuth stores: accounts, portal sessions and failed logins per
// address, in the tables of migration 4.
//
// Contract beyond the interfaces:
//  - Thread-safe, and shared by every gateway instance on the database: each operation that
//    writes is one transaction whose read-then-write steps hold the row's lock (FOR UPDATE), or
//    one statement (the failure counter is one upsert ... RETURNING, a session replacement one
//    conditional DELETE), so the atomic steps the interfaces promise hold across instances.
//  - Errors besides the interfaces' own: the database's (postgres_database.h). A failed call
//    writes nothing.
//  - A session's accountId must name a stored account (a foreign key): otherwise kInternal.
//  - createSession and recordAddressFailure each also delete a bounded number of expired rows of
//    their table, so that neither grows without purges.
#pragma once

#include "connectors/postgres/postgres_database.h"
#include "connectors/sql/account_store_sql.h"
#include "connectors/sql/dialect.h"

namespace mes::store {

using PostgresAccountStore = sql::AccountStoreOver<PostgresDatabase, sql::PostgresDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class AccountStoreOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
