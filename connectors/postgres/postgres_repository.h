// store::Repository over PostgreSQL: the tables, statements, search and write logic are the
// SQLite store's (connectors/sql/repository_sql.h), run over a PostgresDatabase.
//
// Contract beyond store::Repository:
//  - Many gateway processes may share the database. Writes (transaction() and the
//    one-operation helpers) are serialised across all of them by a transaction-level advisory
//    lock (kRepositoryWriteLock) taken first in each write transaction: a write transaction
//    sees the last committed state and nothing commits under it, exactly as with SQLite's single
//    writer, so If-Match, conditional create and the agenda's search-then-write keep one winner
//    across instances. Reads (read, vread, history, search) do not wait for writes.
//  - Errors: the codes of the SQLite store, and the database's kUnavailable
//    "store-unavailable" / "store-busy" / "store-closed".
//  - The clock gives meta.lastUpdated (strictly increasing per resource, as SQLite's).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store {

class PostgresRepository final : public Repository {
 public:
  PostgresRepository(std::shared_ptr<PostgresDatabase> database, const Clock& clock);
  ~PostgresRepository() override;

  Result<ResourceRecord> read(const std::string& type, const std::string& id) override;
  Result<ResourceRecord> vread(const std::string& type, const std::string& id,
                               int64_t versionId) override;
  Result<std::vector<ResourceRecord>> history(const std::string& type,
                                              const std::string& id) override;
  Result<SearchPage> search(const SearchQuery& query) override;
  Status transaction(const std::function<Status(Transaction&)>& work) override;

  const std::shared_ptr<PostgresDatabase>& database() const { return database_; }

 private:
  const std::shared_ptr<PostgresDatabase> database_;
  const Clock& clock_;
};

}  // namespace mes::store
