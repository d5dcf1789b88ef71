#include "connectors/postgres/postgres_repository.h"

#include "connectors/postgres/pg_db.h"
#include "connectors/sql/repository_sql.h"

namespace mes::store {

using pg::Connection;

PostgresRepository::PostgresRepository(std::shared_ptr<PostgresDatabase> database,
                                       const Clock& clock)
    : database_(std::move(database)), clock_(clock) {}

PostgresRepository::~PostgresRepository() = default;

Result<ResourceRecord> PostgresRepository::read(const std::string& type, const std::string& id) {
  return database_->read([&](Connection& db) { return sql::readResource(db, type, id); });
}

Result<ResourceRecord> PostgresRepository::vread(const std::string& type, const std::string& id,
                                                 int64_t versionId) {
  return database_->read([&](Connection& db) { return sql::readVersion(db, type, id, versionId); });
}

Result<std::vector<ResourceRecord>> PostgresRepository::history(const std::string& type,
                                                                const std::string& id) {
  return database_->read([&](Connection& db) { return sql::readHistory(db, type, id); });
}

Result<SearchPage> PostgresRepository::search(const SearchQuery& query) {
  MES_RETURN_IF_ERROR(sql::checkPaging(query));
  auto work = [&](Connection& db) { return sql::runSearch(db, query); };
  if (sql::searchNeedsSnapshot(query)) return database_->snapshot(work);
  return database_->read(work);
}

Status PostgresRepository::transaction(const std::function<Status(Transaction&)>& work) {
  return database_->write([&](Connection& db) -> Status {
    Result<pg::Statement> lock = db.prepare("SELECT pg_advisory_xact_lock(?)");
    if (!lock) return lock.takeError();
    lock->bindInt64(1, kRepositoryWriteLock);
    MES_RETURN_IF_ERROR(lock->run());
    sql::WriteTransaction<Connection> tx(db, clock_);
    Status outcome = work(tx);
    // A failure the callback ignored still aborts the transaction.
    if (outcome && tx.failure()) outcome = *tx.failure();
    return outcome;
  });
}

}  // namespace mes::store
