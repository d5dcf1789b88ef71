#include "connectors/sqlite/sqlite_db.h"

#include <sqlite3.h>

#include <limits>
#include <mutex>
#include <utility>

namespace mes::store::sqlite {
namespace {

// SQLite takes the SQL length as an int; SQL texts are small since data never travels in them.
bool sqlTooLong(std::string_view sql) {
  return sql.size() > static_cast<size_t>(std::numeric_limits<int>::max());
}

}  // namespace

Error sqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string detail = "sqlite: ";
  detail.append(context);
  detail += ": ";
  // sqlite3_errmsg describes the most recent failure on the connection, which is this one
  // since connections are used by one thread at a time; without a connection, or when the
  // connection's code differs, fall back to the generic text of the code.
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) {
    detail += sqlite3_errmsg(db);
  } else {
    detail += sqlite3_errstr(rc);
  }
  detail += " (code ";
  detail += std::to_string(rc);
  detail += ')';

  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    Error e = Error::make(ErrorKind::kUnavailable, "store-busy",
                          "The data store is busy; retry the request later.");
    e.detail = std::move(detail);
    return e;
  }
  return Error::internal(std::move(detail));
}

// --- Statement ------------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(std::exchange(other.db_, nullptr)),
      inUse_(std::exchange(other.inUse_, nullptr)),
      bindError_(std::exchange(other.bindError_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
    inUse_ = std::exchange(other.inUse_, nullptr);
    bindError_ = std::exchange(other.bindError_, 0);
  }
  return *this;
}

Statement::~Statement() {
  release();
}

void Statement::release() noexcept {
  if (stmt_ == nullptr) return;
  if (inUse_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *inUse_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  inUse_ = nullptr;
}

void Statement::bindInt64(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
  if (rc != SQLITE_OK && bindError_ == 0) bindError_ = rc;
}

void Statement::bindOptionalInt64(int index, std::optional<int64_t> value) {
  if (value) {
    bindInt64(index, *value);
  } else {
    bindNull(index);
  }
}

void Statement::bindText(int index, std::string_view text) {
  // sqlite3_bind_text64 takes the length as an unsigned 64-bit count and reports TOOBIG
  // itself; SQLITE_STATIC: no copy, see the lifetime rule in the header.
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), static_cast<sqlite3_uint64>(text.size()),
                          SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bindError_ == 0) bindError_ = rc;
}

void Statement::bindTextOrNull(int index, std::string_view text) {
  if (text.empty()) {
    bindNull(index);
  } else {
    bindText(index, text);
  }
}

void Statement::bindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bindError_ == 0) bindError_ = rc;
}

Error Statement::errorFor(int rc, std::string_view what) const {
  std::string context(what);
  context += ": ";
  context.append(sql());
  return sqliteError(db_, rc, context);
}

Result<bool> Statement::step() {
  if (bindError_ != 0) {
    const int rc = std::exchange(bindError_, 0);
    return errorFor(rc, "bind");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  // With the v2 prepare interface the step code is the precise one; capture the message
  // before the reset, which keeps the same error on the connection anyway.
  Error e = errorFor(rc, "step");
  sqlite3_reset(stmt_);
  return e;
}

Status Statement::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row) return row.takeError();
    if (!*row) return Status::ok();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::int64At(int column) const {
  return static_cast<int64_t>(sqlite3_column_int64(stmt_, column));
}

std::string_view Statement::textAt(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_, column);
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

std::string_view Statement::sql() const {
  const char* text = stmt_ == nullptr ? nullptr : sqlite3_sql(stmt_);
  return text == nullptr ? std::string_view{} : std::string_view{text};
}

// --- Connection -----------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, Mode mode,
                                                     int busyTimeoutMs) {
  if (sqlite3_threadsafe() == 0) {
    return Error::internal("sqlite: the linked SQLite library was built without thread support");
  }
  // Once per process, before SQLite initialises itself: no memory statistics. They cost a
  // process-wide mutex on every allocation SQLite makes, which every connection's statements
  // then contend for (measured: the largest single source of futex calls of an authenticated
  // read). Nothing here reads sqlite3_memory_used(). When the library was initialised already
  // (another user in the process), the call is refused and the default stays.
  static std::once_flag configured;
  std::call_once(configured, [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)sqlite3_initialize();
  });
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |=
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqliteError(db, rc, "open " + path);
    sqlite3_close_v2(db);  // a handle is returned even on failure (or null: a no-op)
    return e;
  }
  std::unique_ptr<Connection> connection(new Connection(db));
  const int timeoutRc = sqlite3_busy_timeout(db, busyTimeoutMs < 0 ? 0 : busyTimeoutMs);
  if (timeoutRc != SQLITE_OK) return sqliteError(db, timeoutRc, "busy_timeout");
  MES_RETURN_IF_ERROR(connection->exec("PRAGMA foreign_keys = ON"));
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  cache_.clear();
  // v2: if a statement were still alive the handle would close when it is finalised.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Connection::close() {
  if (db_ == nullptr) return Status::ok();
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  cache_.clear();
  const int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    Error e = sqliteError(db_, rc, "close");
    sqlite3_close_v2(db_);  // closes once the remaining statements are finalised
    db_ = nullptr;
    return e;
  }
  db_ = nullptr;
  return Status::ok();
}

Status Connection::exec(std::string_view sql) {
  if (db_ == nullptr) return Error::internal("sqlite: exec on a closed connection");
  // sqlite3_exec needs a NUL-terminated script.
  const std::string script(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string context = "exec: ";
    context += script.substr(0, 120);
    if (message != nullptr) {
      context += ": ";
      context += message;
    }
    sqlite3_free(message);
    return sqliteError(nullptr, rc, context);
  }
  return Status::ok();
}

Result<std::string> Connection::queryText(std::string_view sql) {
  Result<Statement> stmt = prepareUncached(sql);
  if (!stmt) return stmt.takeError();
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::string();
  return stmt->stringAt(0);
}

Result<Statement> Connection::prepareUncached(std::string_view sql) {
  if (db_ == nullptr) return Error::internal("sqlite: prepare on a closed connection");
  if (sqlTooLong(sql)) return Error::internal("sqlite: prepare: SQL text too long");
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string context = "prepare: ";
    context.append(sql);
    return sqliteError(db_, rc, context);
  }
  if (stmt == nullptr) return Error::internal("sqlite: prepare: empty SQL text");
  return Statement(stmt, db_, nullptr);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  if (db_ == nullptr) return Error::internal("sqlite: prepare on a closed connection");
  auto found = cache_.find(sql);
  if (found != cache_.end()) {
    if (found->second.inUse) return prepareUncached(sql);
    found->second.inUse = true;
    return Statement(found->second.stmt, db_, &found->second.inUse);
  }
  if (cache_.size() >= kMaxCachedStatements || sqlTooLong(sql)) return prepareUncached(sql);

  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string context = "prepare: ";
    context.append(sql);
    return sqliteError(db_, rc, context);
  }
  if (stmt == nullptr) return Error::internal("sqlite: prepare: empty SQL text");
  auto [slot, inserted] = cache_.emplace(std::string(sql), CachedStatement{stmt, true});
  (void)inserted;
  return Statement(stmt, db_, &slot->second.inUse);
}

void Connection::setWalCommitHook(std::function<void(int walFrames)> hook) {
  if (db_ == nullptr) return;
  walHook_ = std::move(hook);
  if (walHook_) {
    sqlite3_wal_hook(db_, &Connection::walHookTrampoline, this);
  } else {
    sqlite3_wal_hook(db_, nullptr, nullptr);
  }
}

int Connection::walHookTrampoline(void* self, sqlite3* /*db*/, const char* /*schema*/, int frames) {
  // Nothing may unwind through SQLite's C frames; a failing hook only loses a signal.
  try {
    static_cast<Connection*>(self)->walHook_(frames);
  } catch (...) {
  }
  return SQLITE_OK;
}

int64_t Connection::lastInsertRowId() const {
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

int64_t Connection::changes() const {
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

bool Connection::inTransaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

Result<int64_t> runCounting(Connection& db, Statement& stmt) {
  MES_RETURN_IF_ERROR(stmt.run());
  return db.changes();
}

}  // namespace mes::store::sqlite
