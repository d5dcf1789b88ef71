// A thin RAII layer over the SQLite C API: a connection, prepared statements, and a
// per-connection cache of prepared statements keyed by their SQL text.
//
// Values always travel through bind*(); SQL text never carries data. Every SQLite failure
// becomes a mes::Error whose client-facing part is generic and whose `detail` holds what
// SQLite said (context, message, extended result code) for the log:
//   - SQLITE_BUSY / SQLITE_LOCKED (the busy timeout expired because another process holds
//     the lock) -> ErrorKind::kUnavailable, code "store-busy" (retryable);
//   - anything else -> ErrorKind::kInternal, code "internal-error".
//
// Threading: a Connection and the Statements it hands out belong to one thread at a time;
// the owner serialises access (a mutex, a pool). Connections are opened in SQLite's
// multi-thread mode (no per-call SQLite mutex), which is safe under that rule.
// sqlite3.h is deliberately not included here: only connectors/sqlite sees the C API.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mes::store::sqlite {

// The Error for SQLite result code `rc` on `db` (which may be null), `context` saying what
// was being done ("prepare", "step: INSERT INTO resource..."). Only `detail` names SQLite.
Error sqliteError(sqlite3* db, int rc, std::string_view context);

// A prepared statement. Obtained from Connection::prepare(); must not outlive it.
// Destruction resets the statement and clears its bindings (cached statements, returned to
// the cache) or finalises it (uncached ones).
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Parameters are 1-based, in the order of the `?` in the SQL text. A failed bind is
  // remembered and reported by the next step()/run().
  void bindInt64(int index, int64_t value);
  void bindOptionalInt64(int index, std::optional<int64_t> value);  // nullopt binds NULL
  // SQLite keeps a reference to `text`, not a copy: the caller keeps it alive until the
  // statement is stepped to completion, reset, rebound or destroyed.
  void bindText(int index, std::string_view text);
  // A temporary std::string would dangle.
  template <typename T>
  requires std::same_as<T, std::string>
  void bindText(int index, T&& text) = delete;
  // Binds NULL when `text` is empty, otherwise as bindText().
  void bindTextOrNull(int index, std::string_view text);
  void bindNull(int index);

  // Advances to the next row: true when a row is available, false when done. After false
  // (or an error) the statement is reset and can be stepped again with its bindings.
  Result<bool> step();
  // Runs a statement that returns no rows to completion (rows, if any, are skipped), then
  // resets it so it can be rebound and run again.
  Status run();
  // Resets for another execution; bindings are kept.
  void reset();

  // Column accessors for the current row; 0-based. A text view is valid until the next
  // step(), reset() or destruction.
  bool isNull(int column) const;
  int64_t int64At(int column) const;
  std::string_view textAt(int column) const;
  std::string stringAt(int column) const { return std::string(textAt(column)); }

  // The SQL text, for diagnostics.
  std::string_view sql() const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* stmt, sqlite3* db, bool* inUse) : stmt_(stmt), db_(db), inUse_(inUse) {}
  void release() noexcept;
  Error errorFor(int rc, std::string_view what) const;

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  bool* inUse_ = nullptr;  // the cache slot's flag; null when this statement owns stmt_
  int bindError_ = 0;      // first failed bind's result code, 0 when none
};

// One SQLite connection with its statement cache.
class Connection {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };

  // Opens `path` (a file path; URIs are not interpreted). Sets the busy timeout, turns on
  // foreign keys and extended result codes. Fails when SQLite was built without thread
  // support.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, Mode mode,
                                                  int busyTimeoutMs);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // closes, finalising cached statements

  // Runs a script of one or more statements with no parameters (pragmas, DDL). Never pass
  // text that contains data.
  Status exec(std::string_view sql);
  // Runs a single statement with no parameters and returns the first column of its first
  // row as text (empty when there is no row or it is NULL); for pragmas that answer.
  Result<std::string> queryText(std::string_view sql);

  // A statement from the cache (prepared on first use). When the same SQL is already in use
  // on this connection (nested use), or the cache is full, an uncached statement is prepared
  // instead, so callers never need to care.
  Result<Statement> prepare(std::string_view sql);
  // A statement that is finalised when destroyed, for one-off SQL.
  Result<Statement> prepareUncached(std::string_view sql);

  // Calls `hook` after every commit on this connection with the number of frames now in the
  // write-ahead log, and turns off SQLite's own automatic checkpoints on this connection (the
  // owner checkpoints instead). The hook runs on the committing thread, inside the commit:
  // it must be cheap and must not use this connection. An empty function removes the hook.
  void setWalCommitHook(std::function<void(int walFrames)> hook);

  int64_t lastInsertRowId() const;
  // Rows inserted, updated or deleted by the last INSERT, UPDATE or DELETE completed on this
  // connection (an upsert's DO NOTHING counts 0, its DO UPDATE 1).
  int64_t changes() const;
  // True while a transaction is open on this connection.
  bool inTransaction() const;
  bool isOpen() const { return db_ != nullptr; }
  // Finalises every cached statement and closes the connection. Statements handed out must
  // have been destroyed. Idempotent.
  Status close();

  static constexpr size_t kMaxCachedStatements = 256;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool inUse = false;
  };
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const noexcept {
      return std::hash<std::string_view>{}(sql);
    }
  };

  static int walHookTrampoline(void* self, sqlite3* db, const char* schema, int frames);

  sqlite3* db_ = nullptr;
  std::function<void(int)> walHook_;
  std::unordered_map<std::string, CachedStatement, SqlHash, std::equal_to<>> cache_;
};

// Runs `stmt` to completion on `db` and returns how many rows it changed.
Result<int64_t> runCounting(Connection& db, Statement& stmt);

}  // namespace mes::store::sqlite
