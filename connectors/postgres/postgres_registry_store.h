// The referencing registry's store (connectors/store/registry_store.h) over a PostgresDatabase
// shared with the other stores, in the tables of migration 8 (see
// connectors/sqlite/sqlite_registry_store.cpp) and the services tables of migration 2, which it
// writes in the same transactions.
//
// Contract beyond the interface:
//  - Thread-safe. Every operation that writes is one transaction, so a service's record, its
//    registry rows and its history event are written together or not at all; the version
//    check locks the service row, so it holds across instances until the commit. An entry is
//    read in one snapshot.
//  - Errors besides the interface's own: the database's (postgres_database.h). A failed call
//    writes nothing.
//  - The clock stamps services' createdMs/updatedMs; it must outlive the store.
#pragma once

#include "connectors/postgres/postgres_database.h"
#include "connectors/sql/dialect.h"
#include "connectors/sql/registry_store_sql.h"

namespace mes::store {

using PostgresRegistryStore = sql::RegistryStoreOver<PostgresDatabase, sql::PostgresDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class RegistryStoreOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
