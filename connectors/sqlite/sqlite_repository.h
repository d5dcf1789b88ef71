// The embedded store: store::Repository over one SQLite file in WAL mode.
//
// Contract beyond store::Repository:
//  - Thread-safe. Writes (transaction() and the one-operation helpers) are serialised on a
//    single writer connection; reads (read, vread, history, search, ping) run on a small pool
//    of reader connections and see the last committed state, never blocking on a write in
//    progress. A reader call waits while every reader connection is busy.
//  - open() starts one background thread, which copies the write-ahead log into the database
//    file (checkpoints) so that commits do not wait for it; close() stops it.
//  - Inside a transaction callback use the Transaction it receives: it sees the
//    transaction's own writes. Calling transaction() again from inside the callback is
//    refused (kInternal) rather than deadlocking; Repository::read() from inside works but
//    sees only committed data. close() must not be called from inside a callback.
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

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store {

namespace sqlite {
class Connection;
}

struct SqliteOptions {
  // The database file; created when absent (its directory must exist). A plain path:
  // ":memory:" and URIs are refused, since the reader connections must share the file.
  std::string path;
  // false: PRAGMA synchronous=NORMAL. In WAL mode a committed transaction survives a process
  // crash (kill -9) but the last transactions may be lost on power failure.
  // true: synchronous=FULL, every commit also survives power loss (one fsync per commit).
  bool synchronousFull = false;
  int readConnections = 4;   // >= 1
  int busyTimeoutMs = 5000;  // how long to wait for a lock held by another process
  // Page cache per connection (writer and each reader), in KiB.
  int cacheSizeKib = 8192;
};

class SqliteRepository final : public Repository {
 public:
  // Opens (creating when absent) the database, switches it to WAL, applies the pending
  // migrations in one transaction and opens the reader pool. Fails with kInternal when the
  // database's schema version is newer than this code knows (the message says so), when the
  // file is not a database, or when options are invalid.
  static Result<std::unique_ptr<SqliteRepository>> open(const SqliteOptions& options,
                                                        const Clock& clock);

  SqliteRepository(const SqliteRepository&) = delete;
  SqliteRepository& operator=(const SqliteRepository&) = delete;
  ~SqliteRepository() override;  // close(), ignoring its status

  Result<ResourceRecord> read(const std::string& type, const std::string& id) override;
  Result<ResourceRecord> vread(const std::string& type, const std::string& id,
                               int64_t versionId) override;
  Result<std::vector<ResourceRecord>> history(const std::string& type,
                                              const std::string& id) override;
  Result<SearchPage> search(const SearchQuery& query) override;
  Status transaction(const std::function<Status(Transaction&)>& work) override;

  // Waits for calls in progress, checkpoints the WAL into the database file (TRUNCATE),
  // finalises statements and closes every connection. Idempotent: a second call returns ok.
  // Every other call afterwards fails with kUnavailable ("store-closed").
  Status close();
  // Readiness: a reader connection answers a query on the schema. kUnavailable when closed.
  Status ping();
  // The highest migration applied to the database (after open(), the latest one known).
  int64_t schemaVersion() const { return schemaVersion_; }
  // The highest migration this code knows.
  static int64_t latestSchemaVersion();

  // Diagnostics: SQLite's EXPLAIN QUERY PLAN lines for the statements search(query) runs
  // (the page, then the total when query.withTotal), each line prefixed "page: " or
  // "total: ". Operators use it to check that a search is served by the indexes.
  Result<std::vector<std::string>> explainSearch(const SearchQuery& query);

 private:
  class ReaderLease;

  SqliteRepository(SqliteOptions options, const Clock& clock);
  Status openConnections();
  Status migrate();
  Result<ReaderLease> acquireReader();
  void releaseReader(sqlite::Connection* connection);
  void onWalCommit(int walFrames);
  void runCheckpoints();
  void stopCheckpoints();

  const SqliteOptions options_;
  const Clock& clock_;
  int64_t schemaVersion_ = 0;

  std::mutex writerMutex_;  // guards writer_ and serialises transactions
  std::unique_ptr<sqlite::Connection> writer_;
  std::atomic<std::thread::id> writerThread_{};  // thread running a transaction, if any
  // Guarded by writerMutex_ (the WAL hook runs inside the writer's commits).
  bool walOverflow_ = false;  // the WAL outgrew the checkpoint thread
  int lastWalFrames_ = 0;
  int nextCheckpointFrames_;  // WAL size at which to wake the checkpoint thread

  // Checkpoints run on their own connection and thread, so that commits never wait for
  // the WAL to be copied into the database file (and for its fsyncs).
  std::unique_ptr<sqlite::Connection> checkpointer_;
  std::thread checkpointThread_;
  std::mutex checkpointRunMutex_;  // held while a checkpoint runs, on either connection
  std::mutex checkpointMutex_;     // guards the two flags below
  std::condition_variable checkpointWanted_;
  bool checkpointPending_ = false;
  bool checkpointStop_ = false;

  std::mutex readersMutex_;  // guards freeReaders_, closed_, and the pool's lifetime
  std::condition_variable readerReturned_;
  std::vector<std::unique_ptr<sqlite::Connection>> readers_;
  std::vector<sqlite::Connection*> freeReaders_;
  bool closed_ = false;
};

}  // namespace mes::store
