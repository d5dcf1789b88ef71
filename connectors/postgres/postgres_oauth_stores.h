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

#include "connectors/postgres/postgres_database.h"
#include "connectors/sql/dialect.h"
#include "connectors/sql/oauth_stores_sql.h"

namespace mes::store {

using PostgresOAuthStores = sql::OAuthStoresOver<PostgresDatabase, sql::PostgresDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class OAuthStoresOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
