// PostgreSQL implementation of the patient portal's stores: the tables of migration 4 (described
// in connectors/sqlite/sqlite_account_store.cpp), the statements in PostgreSQL's spelling, the
// read-then-write steps under a row lock (FOR UPDATE) and bounded purges that skip rows another
// instance is purging (SKIP LOCKED).
#include "connectors/postgres/postgres_account_store.h"

#include "connectors/postgres/pg_db.h"
#include "connectors/sql/account_store_sql_impl.h"

namespace mes::store::sql {
template class AccountStoreOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
