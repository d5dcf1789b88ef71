// One PostgreSQL database shared by the stores built over it (the FHIR repository, the OAuth,
// portal, registry and audit stores, the signing keys), and by every gateway instance pointed at
// it: it owns a pool of connections and the schema.
//
// Contract:
//  - open() connects, applies the pending numbered migrations (kMigrations in
//    postgres_database.cpp, the PostgreSQL spelling of the SQLite ones plus the shared signing
//    keys) in one transaction under an advisory lock, so that instances starting together
//    migrate once, and keeps the connection in the pool.
//  - Thread-safe. Calls borrow a pooled connection (at most poolSize are open; a call waits
//    while every one is busy), opened on first need and replaced when the server dropped it. A
//    thread that already holds one (a read inside a write callback) gets an extra connection
//    rather than wait, so that it cannot wait for connections held by threads waiting for it.
//    write() runs its work in one read-committed transaction, committed when the work returns
//    ok and rolled back otherwise (or when it throws; the exception is rethrown). read() runs
//    statements in autocommit mode, each seeing the last committed state; snapshot() runs them
//    in one repeatable-read read-only transaction.
//  - Atomicity across instances comes from the statements themselves (conditional updates,
//    INSERT ... ON CONFLICT, DELETE ... RETURNING, row locks), or from the advisory locks named
//    below where a step reads before it writes.
//  - Errors: kUnavailable "store-closed" after close(), "store-unavailable" when the server
//    cannot be reached, "store-busy" on a statement timeout or deadlock, kInternal for any
//    other failure (the server's first message line only in Error::detail; the connection
//    string, which may hold a password, is never in an error).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace mes::store {

namespace pg {
class Connection;
}

struct PostgresOptions {
  // A libpq connection string: "postgresql://user:password@host:port/db?..." or
  // "host=... port=... dbname=... user=...". Never logged (see redactConnectionString).
  std::string url;
  int poolSize = 8;                // connections per process, >= 1
  int connectTimeoutSeconds = 5;   // libpq connect_timeout
  int statementTimeoutMs = 10000;  // server-side statement_timeout (and lock_timeout); 0 = none
  // The schema holding the tables, created when absent; empty: the server's default
  // (search_path, usually "public"). [a-z_][a-z0-9_]{0,62}: the tests give each store its own.
  std::string schema;
};

// The connection string with its password replaced by "***" (URI user:password@ and the
// password= keyword), for logs and messages.
std::string redactConnectionString(const std::string& url);

// Advisory lock keys (pg_advisory_xact_lock): writes that must be serialised across instances.
inline constexpr int64_t kRepositoryWriteLock = 0x4d45530001;  // "MES" 1: resource writes
inline constexpr int64_t kMigrationLock = 0x4d45530002;
inline constexpr int64_t kSigningKeyLock = 0x4d45530003;

bool validSchemaName(const std::string& name);

class PostgresDatabase {
 public:
  static Result<std::shared_ptr<PostgresDatabase>> open(const PostgresOptions& options,
                                                        const Clock& clock);
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  ~PostgresDatabase();

  // A pooled connection on loan, returned when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : owner_(other.owner_), connection_(std::exchange(other.connection_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    pg::Connection& connection() const { return *connection_; }

   private:
    friend class PostgresDatabase;
    Lease(PostgresDatabase* owner, pg::Connection* connection)
        : owner_(owner), connection_(connection) {}
    PostgresDatabase* owner_;
    pg::Connection* connection_;
  };
  Result<Lease> lease();

  Status write(const std::function<Status(pg::Connection&)>& work);
  // One write of `sql` with one integer parameter; returns how many rows it changed.
  Result<int64_t> writeCounting(std::string_view sql, int64_t parameter);

  // Runs `work` (returning a Status or a Result<T>) on a connection in autocommit mode.
  template <typename Work>
  auto read(Work&& work) -> std::invoke_result_t<Work&, pg::Connection&> {
    return inMode(false, std::forward<Work>(work));
  }
  // The same in one repeatable-read, read-only transaction.
  template <typename Work>
  auto snapshot(Work&& work) -> std::invoke_result_t<Work&, pg::Connection&> {
    return inMode(true, std::forward<Work>(work));
  }

  Status close();
  Status ping();
  int64_t schemaVersion() const { return schemaVersion_; }
  static int64_t latestSchemaVersion();
  const PostgresOptions& options() const { return options_; }

 private:
  PostgresDatabase(PostgresOptions options, const Clock& clock);
  Status migrate();
  void release(pg::Connection* connection);
  Status beginOn(pg::Connection& connection, bool snapshot);
  void endOn(pg::Connection& connection, bool ok, Status* status);

  template <typename Work>
  auto inMode(bool snapshotMode, Work&& work) -> std::invoke_result_t<Work&, pg::Connection&> {
    Result<Lease> leased = lease();
    if (!leased) return leased.takeError();
    pg::Connection& connection = leased->connection();
    Status begun = beginOn(connection, snapshotMode);
    if (!begun) return begun.takeError();
    auto out = work(connection);
    Status ended;
    endOn(connection, out.isOk(), &ended);
    if (!ended && out.isOk()) return ended.takeError();
    return out;
  }

  const PostgresOptions options_;
  const Clock& clock_;
  int64_t schemaVersion_ = 0;
  std::string conninfo_;            // the url with connect_timeout and application_name
  std::vector<std::string> setup_;  // SET statements run on every new connection

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pg::Connection>> connections_;  // open ones (<= poolSize)
  std::vector<pg::Connection*> free_;
  int leased_ = 0;
  bool closed_ = false;
};

}  // namespace mes::store
