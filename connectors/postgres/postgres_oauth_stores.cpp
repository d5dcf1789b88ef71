// PostgreSQL implementation of the OAuth stores: the tables of migration 2 (described in
// connectors/sqlite/sqlite_oauth_stores.cpp); what makes each step atomic across instances is
// said in postgres_oauth_stores.h.
#include "connectors/postgres/postgres_oauth_stores.h"

#include "connectors/postgres/pg_db.h"
#include "connectors/sql/oauth_stores_sql_impl.h"

namespace mes::store::sql {
template class OAuthStoresOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
