// The shared SQLite database: connections, WAL checkpoints and the numbered migrations of
// every store built over it. Each store's source describes its own tables and why
// (sqlite_repository.cpp: migrations 1, 3 and 7; sqlite_oauth_stores.cpp: migration 2;
// sqlite_account_store.cpp: migration 4; sqlite_audit_log.cpp: migrations 5 and 6;
// sqlite_registry_store.cpp: migration 8).
// schema_migrations(version PK, name, applied_at) lists the migrations applied; each one runs,
// with its row there, in the same transaction.
//
// Connections: one writer (behind a mutex), a pool of read-only readers (WAL lets them read
// the last committed state while a write is in progress), and one connection on a thread of
// its own that checkpoints the WAL, so commits never wait for the copy into the database
// file and its fsyncs (this roughly doubled the commit rate when measured).
#include "connectors/sqlite/sqlite_database.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "connectors/sqlite/sqlite_db.h"

namespace mes::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

struct Migration {
  int64_t version;
  std::string_view name;
  std::string_view sql;
};

// Ordered by version; append only. A released migration is never edited. The tables of each
// migration are described, with the reasons for their shape, in the source of the store that
// uses them.
constexpr std::array kMigrations = {
    // sqlite_repository.cpp
    Migration{1, "versioned resources with search index", R"sql(
CREATE TABLE resource (
  rid          INTEGER PRIMARY KEY,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version_id   INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  patient      TEXT,
  date_low     INTEGER,
  date_high    INTEGER
) STRICT;
CREATE UNIQUE INDEX resource_by_id ON resource (type, id);
CREATE INDEX resource_by_patient_date ON resource (type, patient, date_low);
CREATE INDEX resource_by_patient_updated ON resource (type, patient, last_updated);

CREATE TABLE resource_version (
  vid          INTEGER PRIMARY KEY,
  rid          INTEGER NOT NULL REFERENCES resource (rid),
  version_id   INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  source       TEXT    NOT NULL,
  content      TEXT,
  CHECK ((deleted = 1) = (content IS NULL))
) STRICT;
CREATE UNIQUE INDEX resource_version_by_rid ON resource_version (rid, version_id);

CREATE TABLE token_index (
  rid      INTEGER NOT NULL REFERENCES resource (rid),
  param    TEXT    NOT NULL,
  system   TEXT    NOT NULL,
  code     TEXT    NOT NULL,
  type     TEXT    NOT NULL,
  patient  TEXT,
  date_low INTEGER,
  PRIMARY KEY (rid, param, system, code)
) STRICT, WITHOUT ROWID;
CREATE INDEX token_lookup ON token_index (type, param, code, patient, date_low);

CREATE TABLE reference_index (
  rid      INTEGER NOT NULL REFERENCES resource (rid),
  param    TEXT    NOT NULL,
  target   TEXT    NOT NULL,
  type     TEXT    NOT NULL,
  patient  TEXT,
  date_low INTEGER,
  PRIMARY KEY (rid, param, target)
) STRICT, WITHOUT ROWID;
CREATE INDEX reference_lookup ON reference_index (type, param, target, patient, date_low);
)sql"},
    // sqlite_oauth_stores.cpp
    Migration{2, "oauth services, authorization codes, refresh families, replay cache", R"sql(
CREATE TABLE services (
  client_id      TEXT    PRIMARY KEY,
  name           TEXT    NOT NULL,
  editor_name    TEXT    NOT NULL,
  editor_oid     TEXT    NOT NULL,
  client_type    TEXT    NOT NULL,
  jwks           TEXT    NOT NULL,
  jwks_uri       TEXT    NOT NULL,
  allowed_scopes TEXT    NOT NULL,
  status         TEXT    NOT NULL,
  version        INTEGER NOT NULL CHECK (version >= 1),
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL
) STRICT;

CREATE TABLE service_redirect_uris (
  client_id TEXT    NOT NULL REFERENCES services (client_id),
  position  INTEGER NOT NULL,
  uri       TEXT    NOT NULL,
  PRIMARY KEY (client_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE authorization_codes (
  handle         TEXT    PRIMARY KEY,
  client_id      TEXT    NOT NULL,
  redirect_uri   TEXT    NOT NULL,
  code_challenge TEXT    NOT NULL,
  patient_id     TEXT    NOT NULL,
  scope          TEXT    NOT NULL,
  nonce          TEXT    NOT NULL,
  expires_ms     INTEGER NOT NULL
) STRICT;
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_ms);

CREATE TABLE refresh_families (
  family_id  TEXT    PRIMARY KEY,
  client_id  TEXT    NOT NULL,
  patient_id TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX refresh_families_by_pairing ON refresh_families (client_id, patient_id);

CREATE TABLE refresh_tokens (
  handle     TEXT    PRIMARY KEY,
  family_id  TEXT    NOT NULL REFERENCES refresh_families (family_id),
  state      TEXT    NOT NULL CHECK (state IN ('live', 'rotated')),
  scope      TEXT    NOT NULL,
  issued_ms  INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  rotated_ms INTEGER,
  CHECK ((state = 'rotated') = (rotated_ms IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX refresh_tokens_live ON refresh_tokens (family_id) WHERE state = 'live';

CREATE TABLE replay_cache (
  key        TEXT    PRIMARY KEY,
  expires_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX replay_cache_by_expiry ON replay_cache (expires_ms);
)sql"},
    // sqlite_repository.cpp: the audit trail (AuditEvent resources) is append-only, whatever
    // the code above the store does. Creating one inserts; nothing may change or remove it.
    Migration{3, "audit events are append-only", R"sql(
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON resource
  WHEN OLD.type = 'AuditEvent'
  BEGIN SELECT RAISE(ABORT, 'AuditEvent resources are append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON resource
  WHEN OLD.type = 'AuditEvent'
  BEGIN SELECT RAISE(ABORT, 'AuditEvent resources are append-only'); END;
CREATE TRIGGER audit_event_version_no_update BEFORE UPDATE ON resource_version
  WHEN (SELECT type FROM resource WHERE rid = OLD.rid) = 'AuditEvent'
  BEGIN SELECT RAISE(ABORT, 'AuditEvent resources are append-only'); END;
CREATE TRIGGER audit_event_version_no_delete BEFORE DELETE ON resource_version
  WHEN (SELECT type FROM resource WHERE rid = OLD.rid) = 'AuditEvent'
  BEGIN SELECT RAISE(ABORT, 'AuditEvent resources are append-only'); END;
CREATE TRIGGER audit_event_version_no_append BEFORE INSERT ON resource_version
  WHEN (SELECT type FROM resource WHERE rid = NEW.rid) = 'AuditEvent' AND NEW.version_id <> 1
  BEGIN SELECT RAISE(ABORT, 'AuditEvent resources are append-only'); END;
)sql"},
    // sqlite_account_store.cpp
    Migration{4, "portal accounts, sessions, failed logins per address", R"sql(
CREATE TABLE accounts (
  account_id      TEXT    PRIMARY KEY,
  login           TEXT    NOT NULL UNIQUE CHECK (login = lower(login)),
  role            TEXT    NOT NULL
                  CHECK (role IN ('patient', 'editor', 'evaluator', 'commission', 'admin')),
  patient_id      TEXT,
  password_hash   TEXT    NOT NULL,
  failed_logins   INTEGER NOT NULL CHECK (failed_logins >= 0),
  locked_until_ms INTEGER NOT NULL,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  CHECK ((role = 'patient') = (patient_id IS NOT NULL))
) STRICT;
CREATE INDEX accounts_by_patient ON accounts (patient_id) WHERE patient_id IS NOT NULL;

CREATE TABLE portal_sessions (
  handle         TEXT    PRIMARY KEY,
  state          TEXT    NOT NULL CHECK (state IN ('anonymous', 'otp-pending', 'authenticated')),
  account_id     TEXT    REFERENCES accounts (account_id),
  csrf_token     TEXT    NOT NULL,
  otp_hash       TEXT    NOT NULL,
  otp_expires_ms INTEGER NOT NULL,
  otp_attempts   INTEGER NOT NULL CHECK (otp_attempts >= 0),
  created_ms     INTEGER NOT NULL,
  last_seen_ms   INTEGER NOT NULL,
  expires_ms     INTEGER NOT NULL,
  CHECK ((state = 'anonymous') = (account_id IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_ms);
CREATE INDEX portal_sessions_by_account ON portal_sessions (account_id)
  WHERE account_id IS NOT NULL;

CREATE TABLE login_address_failures (
  address         TEXT    NOT NULL,
  window_start_ms INTEGER NOT NULL,
  failures        INTEGER NOT NULL CHECK (failures >= 1),
  PRIMARY KEY (address, window_start_ms)
) STRICT, WITHOUT ROWID;
CREATE INDEX login_address_failures_by_window ON login_address_failures (window_start_ms);
)sql"},
    // sqlite_audit_log.cpp: the audit trail as one narrow append-only row per entry (the
    // AuditEvent resources of migration 3 cost a versioned resource and eight index rows each).
    // Events stored as AuditEvent resources by earlier versions stay where they are, readable
    // and still append-only; the activity page shows the entries of this table.
    Migration{5, "append-only audit log", R"sql(
CREATE TABLE audit_log (
  seq            INTEGER PRIMARY KEY,
  recorded_ms    INTEGER NOT NULL,
  category       TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  subtype        TEXT    NOT NULL,
  success        INTEGER NOT NULL CHECK (success IN (0, 1)),
  http_status    INTEGER NOT NULL,
  outcome_code   TEXT    NOT NULL,
  outcome_text   TEXT    NOT NULL,
  patient_id     TEXT    NOT NULL,
  client_id      TEXT    NOT NULL,
  service_name   TEXT    NOT NULL,
  service_oid    TEXT    NOT NULL,
  resource       TEXT    NOT NULL,
  query          TEXT    NOT NULL,
  source_address TEXT    NOT NULL,
  request_id     TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_log_by_patient ON audit_log (patient_id, recorded_ms);

CREATE TABLE audit_service_access (
  patient_id TEXT    NOT NULL,
  client_id  TEXT    NOT NULL,
  first_seq  INTEGER NOT NULL,
  PRIMARY KEY (patient_id, client_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_log_first_access AFTER INSERT ON audit_log
  WHEN NEW.category = 'rest' AND NEW.success = 1 AND NEW.patient_id <> '' AND NEW.client_id <> ''
  BEGIN
    INSERT OR IGNORE INTO audit_service_access (patient_id, client_id, first_seq)
    VALUES (NEW.patient_id, NEW.client_id, NEW.seq);
  END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_service_access_no_update BEFORE UPDATE ON audit_service_access
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_service_access_no_delete BEFORE DELETE ON audit_service_access
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql"},
    // sqlite_audit_log.cpp: where each audit journal (connectors/audit/file_audit_journal.h) has
    // been imported up to, written in the same transaction as the imported entries.
    Migration{6, "audit journal marks", R"sql(
CREATE TABLE audit_journal_marks (
  journal    TEXT    PRIMARY KEY,
  generation INTEGER NOT NULL CHECK (generation >= 1),
  offset     INTEGER NOT NULL CHECK (offset >= 0)
) STRICT, WITHOUT ROWID;
)sql"},
    // sqlite_repository.cpp: named date ranges besides a resource's main one (the Documents
    // API searches DocumentReference.date and context.period separately).
    Migration{7, "named date index", R"sql(
CREATE TABLE date_index (
  rid     INTEGER NOT NULL,
  param   TEXT    NOT NULL,
  low_ms  INTEGER NOT NULL,
  high_ms INTEGER NOT NULL,
  PRIMARY KEY (rid, param, low_ms, high_ms)
) WITHOUT ROWID;
)sql"},
    // sqlite_registry_store.cpp: the referencing registry (issue #5).
    Migration{8, "referencing registry", R"sql(
CREATE TABLE registry_organisations (
  organisation_id TEXT    PRIMARY KEY,
  legal_name      TEXT    NOT NULL CHECK (legal_name <> ''),
  siret           TEXT    NOT NULL UNIQUE CHECK (length(siret) = 14 AND siret NOT GLOB '*[^0-9]*'),
  editor_oid      TEXT    NOT NULL UNIQUE CHECK (editor_oid <> ''),
  contact         TEXT    NOT NULL,
  created_ms      INTEGER NOT NULL
) STRICT;

CREATE TABLE registry_members (
  account_id      TEXT    PRIMARY KEY,
  organisation_id TEXT    NOT NULL REFERENCES registry_organisations (organisation_id),
  created_ms      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX registry_members_by_organisation ON registry_members (organisation_id);

CREATE TABLE registry_services (
  client_id          TEXT    PRIMARY KEY REFERENCES services (client_id),
  organisation_id    TEXT    REFERENCES registry_organisations (organisation_id),
  editor_siret       TEXT    NOT NULL,
  contact            TEXT    NOT NULL,
  description        TEXT    NOT NULL,
  category           TEXT    NOT NULL,
  website            TEXT    NOT NULL,
  requested_accesses TEXT    NOT NULL,
  granted_accesses   TEXT    NOT NULL,
  decision           TEXT    NOT NULL CHECK (decision IN
                       ('', 'favourable', 'favourable_with_reservations', 'unfavourable')),
  evaluation_round   INTEGER NOT NULL CHECK (evaluation_round >= 0)
) STRICT;
CREATE INDEX registry_services_by_organisation ON registry_services (organisation_id)
  WHERE organisation_id IS NOT NULL;

CREATE TABLE registry_reservations (
  client_id TEXT    NOT NULL REFERENCES registry_services (client_id),
  position  INTEGER NOT NULL,
  text      TEXT    NOT NULL,
  PRIMARY KEY (client_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE registry_history (
  seq              INTEGER PRIMARY KEY,
  client_id        TEXT    NOT NULL REFERENCES services (client_id),
  recorded_ms      INTEGER NOT NULL,
  action           TEXT    NOT NULL CHECK (action <> ''),
  from_status      TEXT    NOT NULL,
  to_status        TEXT    NOT NULL,
  actor_account_id TEXT    NOT NULL,
  actor_login      TEXT    NOT NULL,
  actor_role       TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  detail           TEXT    NOT NULL
) STRICT;
CREATE INDEX registry_history_by_service ON registry_history (client_id, seq);
CREATE TRIGGER registry_history_no_update BEFORE UPDATE ON registry_history
  BEGIN SELECT RAISE(ABORT, 'the registry history is append-only'); END;
CREATE TRIGGER registry_history_no_delete BEFORE DELETE ON registry_history
  BEGIN SELECT RAISE(ABORT, 'the registry history is append-only'); END;

CREATE TABLE registry_marks (
  client_id        TEXT    NOT NULL REFERENCES services (client_id),
  round            INTEGER NOT NULL CHECK (round >= 1),
  criterion_id     TEXT    NOT NULL,
  verdict          TEXT    NOT NULL CHECK (verdict IN ('met', 'not_met', 'not_applicable')),
  note             TEXT    NOT NULL,
  actor_account_id TEXT    NOT NULL,
  actor_login      TEXT    NOT NULL,
  marked_ms        INTEGER NOT NULL,
  PRIMARY KEY (client_id, round, criterion_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE registry_evidence (
  evidence_id            TEXT    PRIMARY KEY,
  client_id              TEXT    NOT NULL REFERENCES services (client_id),
  kind                   TEXT    NOT NULL CHECK (kind IN ('test-report')),
  content                TEXT    NOT NULL,
  sha256                 TEXT    NOT NULL,
  uploaded_by_account_id TEXT    NOT NULL,
  uploaded_by_login      TEXT    NOT NULL,
  uploaded_ms            INTEGER NOT NULL,
  UNIQUE (client_id, sha256)
) STRICT;
CREATE TRIGGER registry_evidence_no_update BEFORE UPDATE ON registry_evidence
  BEGIN SELECT RAISE(ABORT, 'registry evidence is append-only'); END;
CREATE TRIGGER registry_evidence_no_delete BEFORE DELETE ON registry_evidence
  BEGIN SELECT RAISE(ABORT, 'registry evidence is append-only'); END;
)sql"},
    // The person behind a registry event (AuditEntry::actor). 9 is PostgreSQL's shared signing
    // keys (SQLite keeps the keys as files): the numbers stay those of the same schema steps.
    Migration{10, "audit actor", R"sql(
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT '';
)sql"},
};

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT)sql";
constexpr std::string_view kSelectSchemaVersion =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr std::string_view kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";

constexpr std::string_view kBeginImmediate = "BEGIN IMMEDIATE";
constexpr std::string_view kCommit = "COMMIT";
constexpr std::string_view kRollback = "ROLLBACK";
constexpr std::string_view kPing = "SELECT version FROM schema_migrations LIMIT 1";

constexpr std::string_view kPassiveCheckpoint = "PRAGMA wal_checkpoint(PASSIVE)";
// Waits (busy timeout) for readers of older snapshots, so that the log is fully copied and the
// next write rewinds it.
constexpr std::string_view kRestartCheckpoint = "PRAGMA wal_checkpoint(RESTART)";

constexpr int kMaxReadConnections = 64;
// The checkpoint thread copies the WAL into the database file each time kCheckpointFrames
// new frames (pages) have been committed (SQLite's own default period). While writes keep
// coming that copy never quite catches up with the log, and a log is only rewound once fully
// copied: so from kMaxWalFrames on, the writer itself finishes the copy right after its
// commit, still holding the write lock (a short copy, the thread having done most of it),
// and the log starts over.
constexpr int kCheckpointFrames = 1000;
constexpr int kMaxWalFrames = 8000;

Error closedError() {
  return Error::make(ErrorKind::kUnavailable, "store-closed", "The data store is not available.");
}

Status runSql(Connection& db, std::string_view sql) {
  Result<Statement> stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  return stmt->run();
}

// Ends the open transaction, if any. A failure leaves the connection unusable for writes
// until the next attempt, which rolls back again before BEGIN.
void rollback(Connection& db) {
  if (db.inTransaction()) (void)runSql(db, kRollback);
}

}  // namespace

// --- reader pool ----------------------------------------------------------------------------

SqliteDatabase::ReaderLease::~ReaderLease() {
  if (connection_ != nullptr) owner_->releaseReader(connection_);
}

Result<SqliteDatabase::ReaderLease> SqliteDatabase::leaseReader() {
  std::unique_lock lock(readersMutex_);
  readerReturned_.wait(lock, [this] { return closed_ || !freeReaders_.empty(); });
  if (closed_) return closedError();
  sqlite::Connection* connection = freeReaders_.back();
  freeReaders_.pop_back();
  return ReaderLease(this, connection);
}

void SqliteDatabase::releaseReader(sqlite::Connection* connection) {
  std::lock_guard lock(readersMutex_);
  freeReaders_.push_back(connection);
  // close() waits for every reader to come back; wake it as well as any waiting reader.
  if (closed_) {
    readerReturned_.notify_all();
  } else {
    readerReturned_.notify_one();
  }
}

// --- lifecycle ------------------------------------------------------------------------------

SqliteDatabase::SqliteDatabase(SqliteOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), nextCheckpointFrames_(kCheckpointFrames) {}

SqliteDatabase::~SqliteDatabase() {
  (void)close();
}

int64_t SqliteDatabase::latestSchemaVersion() {
  return kMigrations.back().version;
}

int64_t SqliteDatabase::migrationCount() {
  return static_cast<int64_t>(kMigrations.size());
}

Result<std::shared_ptr<SqliteDatabase>> SqliteDatabase::open(const SqliteOptions& options,
                                                             const Clock& clock) {
  if (options.path.empty() || options.path == ":memory:" || options.path.rfind("file:", 0) == 0) {
    return Error::internal("sqlite: the database path must be a plain file path, got '" +
                           options.path + "'");
  }
  if (options.readConnections < 1 || options.readConnections > kMaxReadConnections) {
    return Error::internal("sqlite: readConnections must be between 1 and " +
                           std::to_string(kMaxReadConnections));
  }
  if (options.busyTimeoutMs < 0 || options.cacheSizeKib < 0) {
    return Error::internal("sqlite: busyTimeoutMs and cacheSizeKib must not be negative");
  }
  std::shared_ptr<SqliteDatabase> database(new SqliteDatabase(options, clock));
  Status opened = database->openConnections();
  if (!opened) {
    (void)database->close();
    return opened.takeError();
  }
  return database;
}

Status SqliteDatabase::openConnections() {
  // Pragma values cannot be bound; they come from validated integers and fixed words.
  const std::string cacheSize = "PRAGMA cache_size = -" + std::to_string(options_.cacheSizeKib);
  {
    std::lock_guard lock(writerMutex_);
    Result<std::unique_ptr<sqlite::Connection>> writer = sqlite::Connection::open(
        options_.path, sqlite::Connection::Mode::kReadWriteCreate, options_.busyTimeoutMs);
    if (!writer) return writer.takeError();
    writer_ = std::move(writer).value();
    Result<std::string> mode = writer_->queryText("PRAGMA journal_mode = WAL");
    if (!mode) return mode.takeError();
    if (*mode != "wal") {
      return Error::internal("sqlite: could not switch " + options_.path +
                             " to WAL mode (journal_mode is '" + *mode + "')");
    }
    MES_RETURN_IF_ERROR(writer_->exec(options_.synchronousFull ? "PRAGMA synchronous = FULL"
                                                               : "PRAGMA synchronous = NORMAL"));
    MES_RETURN_IF_ERROR(writer_->exec(cacheSize));
    MES_RETURN_IF_ERROR(writer_->exec("PRAGMA temp_store = MEMORY"));
    // After a burst, do not keep a WAL file larger than this once it is rewound.
    MES_RETURN_IF_ERROR(writer_->exec("PRAGMA journal_size_limit = 67108864"));
    MES_RETURN_IF_ERROR(migrate());
    writer_->setWalCommitHook([this](int walFrames) { onWalCommit(walFrames); });
  }

  Result<std::unique_ptr<sqlite::Connection>> checkpointer = sqlite::Connection::open(
      options_.path, sqlite::Connection::Mode::kReadWriteCreate, options_.busyTimeoutMs);
  if (!checkpointer) return checkpointer.takeError();
  checkpointer_ = std::move(checkpointer).value();
  checkpointThread_ = std::thread([this] { runCheckpoints(); });

  std::lock_guard lock(readersMutex_);
  for (int i = 0; i < options_.readConnections; ++i) {
    Result<std::unique_ptr<sqlite::Connection>> reader = sqlite::Connection::open(
        options_.path, sqlite::Connection::Mode::kReadOnly, options_.busyTimeoutMs);
    if (!reader) return reader.takeError();
    MES_RETURN_IF_ERROR((*reader)->exec(cacheSize));
    MES_RETURN_IF_ERROR((*reader)->exec("PRAGMA temp_store = MEMORY"));
    freeReaders_.push_back(reader->get());
    readers_.push_back(std::move(reader).value());
  }
  return Status::ok();
}

// Runs with writerMutex_ held, before the readers exist.
Status SqliteDatabase::migrate() {
  sqlite::Connection& db = *writer_;
  MES_RETURN_IF_ERROR(runSql(db, kBeginImmediate));
  auto apply = [&]() -> Status {
    MES_RETURN_IF_ERROR(db.exec(kCreateMigrationsTable));
    int64_t current = 0;
    {
      Result<Statement> stmt = db.prepare(kSelectSchemaVersion);
      if (!stmt) return stmt.takeError();
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (*row) current = stmt->int64At(0);
    }
    const int64_t latest = latestSchemaVersion();
    if (current > latest) {
      Error e = Error::make(
          ErrorKind::kInternal, "schema-too-new",
          "The database schema version " + std::to_string(current) +
              " is newer than this gateway supports (" + std::to_string(latest) +
              "); run a gateway release that knows it, or restore a compatible backup.");
      e.detail = "sqlite: " + options_.path + ": schema_migrations holds version " +
                 std::to_string(current) + ", code knows up to " + std::to_string(latest);
      return e;
    }
    for (const Migration& migration : kMigrations) {
      if (migration.version <= current) continue;
      MES_RETURN_IF_ERROR(db.exec(migration.sql));
      Result<Statement> stmt = db.prepare(kInsertMigration);
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, migration.version);
      stmt->bindText(2, migration.name);
      stmt->bindInt64(3, clock_.nowMs());
      MES_RETURN_IF_ERROR(stmt->run());
      current = migration.version;
    }
    schemaVersion_ = current;
    return Status::ok();
  };
  Status applied = apply();
  if (applied) applied = runSql(db, kCommit);
  rollback(db);
  return applied;
}

void SqliteDatabase::onWalCommit(int walFrames) {
  if (walFrames < lastWalFrames_) nextCheckpointFrames_ = kCheckpointFrames;  // log rewound
  lastWalFrames_ = walFrames;
  if (walFrames >= kMaxWalFrames) walOverflow_ = true;
  if (walFrames < nextCheckpointFrames_) return;
  nextCheckpointFrames_ = walFrames + kCheckpointFrames;
  {
    std::lock_guard lock(checkpointMutex_);
    checkpointPending_ = true;
  }
  checkpointWanted_.notify_one();
}

void SqliteDatabase::runCheckpoints() {
  std::unique_lock lock(checkpointMutex_);
  for (;;) {
    checkpointWanted_.wait(lock, [this] { return checkpointPending_ || checkpointStop_; });
    if (checkpointStop_) return;
    checkpointPending_ = false;
    lock.unlock();
    // PASSIVE copies what it can without waiting for readers or the writer. A failure (disk
    // full, I/O error) leaves the frames in the WAL, where they stay durable; the next signal
    // retries, and the writer's own fallback checkpoint bounds the WAL meanwhile.
    {
      std::lock_guard running(checkpointRunMutex_);
      (void)checkpointer_->exec(kPassiveCheckpoint);
    }
    lock.lock();
  }
}

void SqliteDatabase::stopCheckpoints() {
  {
    std::lock_guard lock(checkpointMutex_);
    checkpointStop_ = true;
  }
  checkpointWanted_.notify_all();
  if (checkpointThread_.joinable()) checkpointThread_.join();
  if (checkpointer_ != nullptr) {
    (void)checkpointer_->close();
    checkpointer_.reset();
  }
}

Result<int64_t> SqliteDatabase::writeCounting(std::string_view sql, int64_t parameter) {
  int64_t changed = 0;
  Status written = write([&](sqlite::Connection& db) -> Status {
    Result<sqlite::Statement> stmt = db.prepare(sql);
    if (!stmt) return stmt.takeError();
    stmt->bindInt64(1, parameter);
    Result<int64_t> count = sqlite::runCounting(db, *stmt);
    if (!count) return count.takeError();
    changed = *count;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return changed;
}

Status SqliteDatabase::close() {
  if (writerThread_.load() == std::this_thread::get_id()) {
    return Error::internal("store: close() called from inside a write callback");
  }
  stopCheckpoints();
  Status result;
  {
    std::unique_lock lock(readersMutex_);
    closed_ = true;
    readerReturned_.notify_all();
    readerReturned_.wait(lock, [this] { return freeReaders_.size() == readers_.size(); });
    for (auto& reader : readers_) {
      Status closed = reader->close();
      if (!closed && result) result = std::move(closed);
    }
    freeReaders_.clear();
    readers_.clear();
  }
  std::lock_guard lock(writerMutex_);
  if (writer_ != nullptr) {
    Status checkpointed = writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!checkpointed && result) result = std::move(checkpointed);
    Status closed = writer_->close();
    if (!closed && result) result = std::move(closed);
    writer_.reset();
  }
  return result;
}

Status SqliteDatabase::beginSnapshot(sqlite::Connection& reader) {
  return runSql(reader, "BEGIN");
}

Status SqliteDatabase::endSnapshot(sqlite::Connection& reader) {
  Status ended = runSql(reader, "COMMIT");
  rollback(reader);  // no-op after a successful COMMIT
  return ended;
}

Status SqliteDatabase::ping() {
  Result<ReaderLease> lease = leaseReader();
  if (!lease) return lease.takeError();
  Result<Statement> stmt = lease->connection().prepare(kPing);
  if (!stmt) return stmt.takeError();
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  return Status::ok();
}

// --- writes ---------------------------------------------------------------------------------

Status SqliteDatabase::write(const std::function<Status(sqlite::Connection&)>& work) {
  if (writerThread_.load() == std::this_thread::get_id()) {
    return Error::internal("store: a write was started from inside a write callback");
  }
  PendingWrite me;
  me.work = &work;
  std::unique_lock lock(groupMutex_);
  queuedWrites_.push_back(&me);
  while (!me.done) {
    if (leading_) {
      groupDone_.wait(lock);
      continue;
    }
    // Lead: the queue's head (oldest first, this call's write among them unless the queue is
    // longer than a group) becomes one transaction.
    leading_ = true;
    const size_t size = std::min(queuedWrites_.size(), kMaxWriteGroup);
    std::vector<PendingWrite*> group(queuedWrites_.begin(), queuedWrites_.begin() + size);
    queuedWrites_.erase(queuedWrites_.begin(), queuedWrites_.begin() + size);
    lock.unlock();
    try {
      runGroup(group);
    } catch (...) {
      // Only an allocation failure gets here. A transaction it left open is rolled back by
      // the next group; every write of this group without an outcome of its own gets it.
      for (PendingWrite* pending : group) {
        if (pending->status.isOk() && !pending->exception) {
          pending->exception = std::current_exception();
        }
      }
    }
    lock.lock();
    leading_ = false;
    size_t ran = 0;
    for (PendingWrite* pending : group) {
      if (pending->ran) ++ran;
      pending->done = true;
    }
    if (ran > 0) {
      counters_.writes += ran;
      ++counters_.transactions;
    }
    groupDone_.notify_all();
  }
  lock.unlock();
  if (me.exception) std::rethrow_exception(me.exception);
  return me.status;
}

void SqliteDatabase::runGroup(const std::vector<PendingWrite*>& group) {
  // Fails every write of the group that has no failure of its own (ran ok or did not run).
  auto failAll = [&](const Status& error) {
    for (PendingWrite* pending : group) {
      if (pending->status.isOk() && !pending->exception) pending->status = error;
    }
  };
  std::lock_guard lock(writerMutex_);
  if (writer_ == nullptr) return failAll(closedError());
  sqlite::Connection& db = *writer_;
  writerThread_.store(std::this_thread::get_id());
  struct OwnerReset {
    std::atomic<std::thread::id>& owner;
    ~OwnerReset() { owner.store(std::thread::id()); }
  } ownerReset{writerThread_};

  rollback(db);  // a transaction left open by a failed ROLLBACK earlier
  if (Status begun = runSql(db, kBeginImmediate); !begun) return failAll(begun);
  // A lone write needs no savepoint: the transaction is its own.
  const bool savepoints = group.size() > 1;
  bool anyOk = false;
  for (size_t i = 0; i < group.size(); ++i) {
    PendingWrite& pending = *group[i];
    if (savepoints) {
      if (Status saved = runSql(db, "SAVEPOINT mes_write"); !saved) {
        rollback(db);
        return failAll(saved);
      }
    }
    pending.ran = true;
    try {
      pending.status = (*pending.work)(db);
    } catch (...) {
      pending.exception = std::current_exception();
    }
    const bool ok = pending.status.isOk() && !pending.exception;
    if (!db.inTransaction()) {
      // SQLite rolled the whole transaction back by itself (e.g. disk full, I/O error): the
      // writes before this one are lost with it and fail too; the rest of the group runs in a
      // new transaction.
      const Status lost =
          ok || pending.exception
              ? Status(Error::internal("store: the transaction was rolled back inside a write"))
              : pending.status;
      if (ok) pending.status = lost;
      for (size_t j = 0; j < i; ++j) {
        if (group[j]->status.isOk() && !group[j]->exception) group[j]->status = lost;
      }
      anyOk = false;
      if (i + 1 < group.size()) {
        if (Status begun = runSql(db, kBeginImmediate); !begun) {
          for (size_t j = i + 1; j < group.size(); ++j) group[j]->status = begun;
          return;
        }
      }
      continue;
    }
    if (savepoints) {
      Status ended = runSql(db, ok ? "RELEASE mes_write" : "ROLLBACK TO mes_write");
      if (ended && !ok) ended = runSql(db, "RELEASE mes_write");
      if (!ended) {
        // The savepoint could not be ended: nothing of the group can be trusted.
        rollback(db);
        return failAll(ended);
      }
    }
    anyOk = anyOk || ok;
  }
  // Commit what succeeded (a lone failed write: nothing to commit, the rollback ends it).
  Status committed = anyOk ? runSql(db, kCommit) : Status::ok();
  rollback(db);  // no-op after a successful COMMIT
  if (!committed) failAll(committed);
  if (walOverflow_) {
    walOverflow_ = false;
    // SQLite refuses a checkpoint while another one runs (without waiting): wait for the
    // thread's. Best effort: the commits are done whatever happens here; a failure is retried
    // after the next commit that finds the WAL still too large.
    std::lock_guard running(checkpointRunMutex_);
    (void)runSql(db, kRestartCheckpoint);
  }
}

SqliteDatabase::WriteCounters SqliteDatabase::writeCounters() const {
  std::lock_guard lock(groupMutex_);
  return counters_;
}

size_t SqliteDatabase::queuedWrites() const {
  std::lock_guard lock(groupMutex_);
  return queuedWrites_.size();
}

}  // namespace mes::store
