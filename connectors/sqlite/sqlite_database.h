// One SQLite database file in WAL mode, shared by the stores built over it (the FHIR
// repository, the OAuth stores): it owns the connections, the WAL checkpoints and the schema.
//
// Contract:
//  - open() creates the file when absent, switches it to WAL, applies the pending numbered
//    migrations (every store's tables; see kMigrations in sqlite_database.cpp) in one
//    transaction, opens the reader pool and starts one background thread, which copies the
//    write-ahead log into the database file (checkpoints) so that commits do not wait for it.
//  - Thread-safe. write() calls are serialised on a single writer connection (BEGIN
//    IMMEDIATE ... COMMIT; the file lock also serialises them against other processes).
//    Group commit: writes that arrive while another is running wait and then run one after
//    the other in one transaction (up to kMaxWriteGroup), each inside a savepoint of its own,
//    and are acknowledged together after its COMMIT. One write's failure or exception rolls
//    back its savepoint only; the others commit. A write is never acknowledged before the
//    COMMIT that holds it; a failed COMMIT fails every write of its group. read() calls run on a
//    pool of read-only connections, see the last committed state and never block on a write in
//    progress; a reader call waits while every reader connection is busy.
//  - A write() started from inside a write() callback on the same thread is refused
//    (kInternal) rather than deadlocking; read() from inside one works but sees only
//    committed data. close() from inside a write() callback is refused too.
//  - Errors: kUnavailable "store-closed" after close(), kUnavailable "store-busy" when another
//    process holds the database lock beyond busyTimeoutMs, kInternal for any other SQLite
//    failure (the SQLite message only in Error::detail).
//  - The clock (used for schema_migrations.applied_at) must outlive the database.
//  - Destruction closes, ignoring the status. Stores hold the database by shared_ptr.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

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

class SqliteDatabase {
 public:
  // Opens (creating when absent) and migrates the database. Fails with kInternal
  // "schema-too-new" when the database's schema version is newer than this code knows (the
  // message says so), kInternal when the file is not a database or options are invalid.
  static Result<std::shared_ptr<SqliteDatabase>> open(const SqliteOptions& options,
                                                      const Clock& clock);

  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  ~SqliteDatabase();

  // A reader connection on loan; returned to the pool when destroyed. Must not outlive the
  // database, must stay on one thread, and must not be kept across calls.
  class ReaderLease {
   public:
    ReaderLease(ReaderLease&& other) noexcept
        : owner_(other.owner_), connection_(std::exchange(other.connection_, nullptr)) {}
    ReaderLease& operator=(ReaderLease&&) = delete;
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    ~ReaderLease();
    sqlite::Connection& connection() const { return *connection_; }

   private:
    friend class SqliteDatabase;
    ReaderLease(SqliteDatabase* owner, sqlite::Connection* connection)
        : owner_(owner), connection_(connection) {}
    SqliteDatabase* owner_;
    sqlite::Connection* connection_;
  };

  // Waits for a free reader connection; kUnavailable "store-closed" once closed.
  Result<ReaderLease> leaseReader();

  // Runs `work` on a leased reader connection and returns what it returns (a Status or a
  // Result<T>). Each statement sees the last committed state; wrap several statements in
  // BEGIN ... COMMIT on the connection when they must see the same one.
  template <typename Work>
  auto read(Work&& work) -> std::invoke_result_t<Work&, sqlite::Connection&> {
    Result<ReaderLease> lease = leaseReader();
    if (!lease) return lease.takeError();
    return work(lease->connection());
  }

  // Runs `work` on a leased reader connection inside BEGIN ... COMMIT, so that its statements
  // see one committed state (a snapshot).
  template <typename Work>
  auto snapshot(Work&& work) -> std::invoke_result_t<Work&, sqlite::Connection&> {
    Result<ReaderLease> lease = leaseReader();
    if (!lease) return lease.takeError();
    Status begun = beginSnapshot(lease->connection());
    if (!begun) return begun.takeError();
    auto out = work(lease->connection());
    Status ended = endSnapshot(lease->connection());
    if (!ended && out.isOk()) return ended.takeError();
    return out;
  }

  // Runs `work` on the writer connection inside a transaction (its own, or a savepoint of a
  // group's, see the contract above) and returns once that transaction has committed: its
  // writes are committed when it returns ok; rolled back when it fails, when the COMMIT fails,
  // or when it throws (the exception is rethrown in the caller's thread). `work` may run on
  // another caller's thread; it must use only the connection it receives (not read() or
  // another store: it sees the uncommitted writes of the group before it only through that
  // connection), and must not keep it or its statements.
  Status write(const std::function<Status(sqlite::Connection&)>& work);
  // Writes at most per group transaction.
  static constexpr size_t kMaxWriteGroup = 64;
  // Counters since open(): write() calls that ran their callback, and the transactions that
  // held them (writes / transactions is the mean group size). For tests and diagnostics.
  struct WriteCounters {
    uint64_t writes = 0;
    uint64_t transactions = 0;
  };
  WriteCounters writeCounters() const;
  // write() calls waiting for their group to start (for tests).
  size_t queuedWrites() const;
  // One write of `sql` with one integer parameter (e.g. "DELETE ... WHERE expires_ms <= ?");
  // returns how many rows it changed.
  Result<int64_t> writeCounting(std::string_view sql, int64_t parameter);

  // Waits for calls in progress, checkpoints the WAL into the database file (TRUNCATE),
  // finalises statements and closes every connection. Idempotent: a second call returns ok.
  // Every other call afterwards, through any store sharing the database, fails with
  // kUnavailable ("store-closed").
  Status close();
  // Readiness: a reader connection answers a query on the schema. kUnavailable when closed.
  Status ping();

  // The highest migration applied to the database (after open(), the latest one known).
  int64_t schemaVersion() const { return schemaVersion_; }
  // The highest migration this code knows.
  static int64_t latestSchemaVersion();
  // How many migrations this code knows (versions may skip a number reserved by a branch).
  static int64_t migrationCount();
  const std::string& path() const { return options_.path; }

 private:
  SqliteDatabase(SqliteOptions options, const Clock& clock);
  Status openConnections();
  static Status beginSnapshot(sqlite::Connection& reader);
  static Status endSnapshot(sqlite::Connection& reader);
  Status migrate();
  void releaseReader(sqlite::Connection* connection);
  // One write() call waiting for, or running in, a group.
  struct PendingWrite {
    const std::function<Status(sqlite::Connection&)>* work = nullptr;
    Status status;
    std::exception_ptr exception;
    bool ran = false;  // the callback ran (counted in writeCounters)
    bool done = false;
  };
  // Runs `group` in one transaction on the writer connection, under writerMutex_.
  void runGroup(const std::vector<PendingWrite*>& group);
  void onWalCommit(int walFrames);
  void runCheckpoints();
  void stopCheckpoints();

  const SqliteOptions options_;
  const Clock& clock_;
  int64_t schemaVersion_ = 0;

  // Group commit: callers queue here; one of them at a time leads, taking the queue's head as
  // its group, and wakes everyone when the group is done.
  mutable std::mutex groupMutex_;  // guards the four members below
  std::condition_variable groupDone_;
  std::deque<PendingWrite*> queuedWrites_;
  bool leading_ = false;
  WriteCounters counters_;

  std::mutex writerMutex_;  // guards writer_ and serialises writes
  std::unique_ptr<sqlite::Connection> writer_;
  std::atomic<std::thread::id> writerThread_{};  // thread running a write, if any
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
