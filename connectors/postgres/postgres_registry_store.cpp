// PostgreSQL implementation of the registry store: the tables of migration 8 (described in
// connectors/sqlite/sqlite_registry_store.cpp). A change checks the service's version under a
// row lock (postgres_service_rows.h); reads of an entry run in one snapshot.
#include "connectors/postgres/postgres_registry_store.h"

#include "connectors/postgres/pg_db.h"
#include "connectors/sql/registry_store_sql_impl.h"

namespace mes::store::sql {
template class RegistryStoreOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
