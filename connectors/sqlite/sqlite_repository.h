// The embedded store: store::Repository over one SQLite file in WAL mode.
//
// Contract beyond store::Repository:
//  - A store over a SqliteDatabase (connectors/sqlite/sqlite_database.h), which it may share
//    with other stores: threading, the reader pool, WAL checkpoints, migrations and the
//    "store-closed"/"store-busy" errors are the database's. Writes (transaction() and the
//    one-operation helpers) are serialised on its writer connection; reads (read, vread,
//    history, search, ping) run on its reader pool and see the last committed state.
//  - Inside a transaction callback use the Transaction it receives: it sees the
//    transaction's own writes. Calling transaction() again (or a write of another store over
//    the same database) from inside the callback is refused (kInternal) rather than
//    deadlocking; Repository::read() from inside works but sees only committed data.
//    close() must not be called from inside a callback.
//  - meta.lastUpdated comes from the injected Clock and strictly increases per resource: when
//    the clock gives the previous version's time or earlier, the new version gets previous+1.
//  - Dates: bounds on DateBound::Column::kLow use the index; bounds on kHigh filter the rows
//    the rest of the query selected. Sorting by date sorts on the low end of the range;
//    resources without a date sort as the earliest. Ties sort by insertion order of the
//    resource, so paging is deterministic.
//  - Errors: kNotFound "not-found", kGone "deleted", kConflict "already-exists",
//    kPreconditionFailed "version-conflict", kInvalid "invalid-search" (negative count or
//    offset), kUnavailable "store-closed" after close(), kUnavailable "store-busy" when
//    another process holds the database lock beyond busyTimeoutMs, kInternal for any other
//    SQLite failure (the SQLite message only in Error::detail).
//  - A Render callback that fails (or throws) aborts that write before anything is written.
//    If a SQLite failure happens in the middle of a write, the whole transaction is rolled
//    back even if the callback ignores the error and returns ok (the error is returned).
//  - The clock must be safe to read from several threads and must outlive the repository.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store {

class SqliteRepository final : public Repository {
 public:
  // Creates the database (SqliteDatabase::open: creating the file when absent, WAL, pending
  // migrations, reader pool) and a repository over it that alone holds it.
  static Result<std::unique_ptr<SqliteRepository>> open(const SqliteOptions& options,
                                                        const Clock& clock);
  // A repository over an open database that other stores may share. The clock gives
  // meta.lastUpdated; it must be safe to read from several threads and outlive the repository.
  SqliteRepository(std::shared_ptr<SqliteDatabase> database, const Clock& clock);

  SqliteRepository(const SqliteRepository&) = delete;
  SqliteRepository& operator=(const SqliteRepository&) = delete;
  // Releases the database, which closes when its last store goes.
  ~SqliteRepository() override;

  Result<ResourceRecord> read(const std::string& type, const std::string& id) override;
  Result<ResourceRecord> vread(const std::string& type, const std::string& id,
                               int64_t versionId) override;
  Result<std::vector<ResourceRecord>> history(const std::string& type,
                                              const std::string& id) override;
  Result<SearchPage> search(const SearchQuery& query) override;
  Status transaction(const std::function<Status(Transaction&)>& work) override;

  // SqliteDatabase::close() of the database, shared or not: every store over it is closed.
  Status close();
  // SqliteDatabase::ping().
  Status ping();
  // The highest migration applied to the database (after open(), the latest one known).
  int64_t schemaVersion() const { return database_->schemaVersion(); }
  // The highest migration this code knows.
  static int64_t latestSchemaVersion();
  const std::shared_ptr<SqliteDatabase>& database() const { return database_; }

  // Diagnostics: SQLite's EXPLAIN QUERY PLAN lines for the statements search(query) runs
  // (the page, then the total when query.withTotal), each line prefixed "page: " or
  // "total: ". Operators use it to check that a search is served by the indexes.
  Result<std::vector<std::string>> explainSearch(const SearchQuery& query);

 private:
  const std::shared_ptr<SqliteDatabase> database_;
  const Clock& clock_;
};

}  // namespace mes::store
