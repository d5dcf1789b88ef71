// The referencing registry's store (connectors/store/registry_store.h) over a SqliteDatabase
// shared with the other stores, in the tables of migration 8 (see sqlite_registry_store.cpp)
// and the services tables of migration 2, which it writes in the same transactions.
//
// Contract beyond the interface:
//  - Thread-safe. Every operation that writes is one transaction on the database's writer
//    connection, so a service's record, its registry rows and its history event are written
//    together or not at all, also across processes sharing the file (the CLI and the server).
//    Reads run on the reader pool; an entry is read in one snapshot.
//  - Errors besides the interface's own: the database's kUnavailable "store-closed" and
//    "store-busy", kInternal for any other SQLite failure (detail only). A failed call writes
//    nothing.
//  - The clock stamps services' createdMs/updatedMs; it must outlive the store.
#pragma once

#include "connectors/sql/dialect.h"
#include "connectors/sql/registry_store_sql.h"
#include "connectors/sqlite/sqlite_database.h"

namespace mes::store {

using SqliteRegistryStore = sql::RegistryStoreOver<SqliteDatabase, sql::SqliteDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class RegistryStoreOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
