// The shared PostgreSQL database: the connection pool and the numbered migrations.
//
// The migrations are the SQLite ones (connectors/sqlite/sqlite_database.cpp) in PostgreSQL's
// spelling, with the same numbers and names, so that a database copied from SQLite
// (`mes-gateway store copy`) and one created here hold the same tables: BIGINT milliseconds,
// INTEGER flags (so the search SQL shared with SQLite, connectors/store/search_sql.h, runs
// unchanged), BIGSERIAL where SQLite numbers rows by rowid, append-only tables guarded by
// triggers that raise. Migration 9 adds the signing keys, which with PostgreSQL live in the
// store so that every instance signs and verifies with the same keys (postgres_signing_keys.h).
// Text ordering: every ORDER BY on text uses COLLATE "C" (byte order, as SQLite), whatever
// the database's locale.
#include "connectors/postgres/postgres_database.h"

#include <array>
#include <string_view>

#include "connectors/postgres/pg_db.h"

namespace mes::store {
namespace {

struct Migration {
  int64_t version;
  std::string_view name;
  std::string_view sql;
};

constexpr std::array kMigrations = {
    Migration{1, "versioned resources with search index", R"sql(
CREATE TABLE resource (
  rid          BIGSERIAL PRIMARY KEY,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version_id   BIGINT  NOT NULL,
  last_updated BIGINT  NOT NULL,
  deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  patient      TEXT,
  date_low     BIGINT,
  date_high    BIGINT
);
CREATE UNIQUE INDEX resource_by_id ON resource (type, id);
CREATE INDEX resource_by_patient_date ON resource (type, patient, date_low, rid);
CREATE INDEX resource_by_patient_updated ON resource (type, patient, last_updated, rid);

CREATE TABLE resource_version (
  rid          BIGINT  NOT NULL REFERENCES resource (rid),
  version_id   BIGINT  NOT NULL,
  last_updated BIGINT  NOT NULL,
  deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  source       TEXT    NOT NULL,
  content      TEXT,
  CHECK ((deleted = 1) = (content IS NULL)),
  PRIMARY KEY (rid, version_id)
);

CREATE TABLE token_index (
  rid      BIGINT NOT NULL REFERENCES resource (rid),
  param    TEXT   NOT NULL,
  system   TEXT   NOT NULL,
  code     TEXT   NOT NULL,
  type     TEXT   NOT NULL,
  patient  TEXT,
  date_low BIGINT,
  PRIMARY KEY (rid, param, system, code)
);
CREATE INDEX token_lookup ON token_index (type, param, code, patient, date_low, rid);

CREATE TABLE reference_index (
  rid      BIGINT NOT NULL REFERENCES resource (rid),
  param    TEXT   NOT NULL,
  target   TEXT   NOT NULL,
  type     TEXT   NOT NULL,
  patient  TEXT,
  date_low BIGINT,
  PRIMARY KEY (rid, param, target)
);
CREATE INDEX reference_lookup ON reference_index (type, param, target, patient, date_low, rid);
)sql"},
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
  version        BIGINT  NOT NULL CHECK (version >= 1),
  created_ms     BIGINT  NOT NULL,
  updated_ms     BIGINT  NOT NULL
);

CREATE TABLE service_redirect_uris (
  client_id TEXT    NOT NULL REFERENCES services (client_id),
  position  BIGINT  NOT NULL,
  uri       TEXT    NOT NULL,
  PRIMARY KEY (client_id, position)
);

CREATE TABLE authorization_codes (
  handle         TEXT    PRIMARY KEY,
  client_id      TEXT    NOT NULL,
  redirect_uri   TEXT    NOT NULL,
  code_challenge TEXT    NOT NULL,
  patient_id     TEXT    NOT NULL,
  scope          TEXT    NOT NULL,
  nonce          TEXT    NOT NULL,
  expires_ms     BIGINT  NOT NULL
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_ms);

CREATE TABLE refresh_families (
  family_id  TEXT    PRIMARY KEY,
  client_id  TEXT    NOT NULL,
  patient_id TEXT    NOT NULL,
  created_ms BIGINT  NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX refresh_families_by_pairing ON refresh_families (client_id, patient_id);

CREATE TABLE refresh_tokens (
  handle     TEXT    PRIMARY KEY,
  family_id  TEXT    NOT NULL REFERENCES refresh_families (family_id),
  state      TEXT    NOT NULL CHECK (state IN ('live', 'rotated')),
  scope      TEXT    NOT NULL,
  issued_ms  BIGINT  NOT NULL,
  expires_ms BIGINT  NOT NULL,
  rotated_ms BIGINT,
  CHECK ((state = 'rotated') = (rotated_ms IS NOT NULL))
);
CREATE UNIQUE INDEX refresh_tokens_live ON refresh_tokens (family_id) WHERE state = 'live';

CREATE TABLE replay_cache (
  key        TEXT    PRIMARY KEY,
  expires_ms BIGINT  NOT NULL
);
CREATE INDEX replay_cache_by_expiry ON replay_cache (expires_ms);
)sql"},
    Migration{3, "audit events are append-only", R"sql(
CREATE FUNCTION mes_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_ARGV[0];
END $$;
CREATE FUNCTION mes_audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'resource' THEN
    IF OLD.type = 'AuditEvent' THEN
      RAISE EXCEPTION 'AuditEvent resources are append-only';
    END IF;
  ELSIF TG_OP = 'INSERT' THEN
    IF NEW.version_id <> 1 AND
       (SELECT type FROM resource WHERE rid = NEW.rid) = 'AuditEvent' THEN
      RAISE EXCEPTION 'AuditEvent resources are append-only';
    END IF;
    RETURN NEW;
  ELSIF (SELECT type FROM resource WHERE rid = OLD.rid) = 'AuditEvent' THEN
    RAISE EXCEPTION 'AuditEvent resources are append-only';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON resource
  FOR EACH ROW EXECUTE FUNCTION mes_audit_event_guard();
CREATE TRIGGER audit_event_version_guard BEFORE INSERT OR UPDATE OR DELETE ON resource_version
  FOR EACH ROW EXECUTE FUNCTION mes_audit_event_guard();
)sql"},
    Migration{4, "portal accounts, sessions, failed logins per address", R"sql(
CREATE TABLE accounts (
  account_id      TEXT    PRIMARY KEY,
  login           TEXT    NOT NULL UNIQUE CHECK (login = lower(login)),
  role            TEXT    NOT NULL
                  CHECK (role IN ('patient', 'editor', 'evaluator', 'commission', 'admin')),
  patient_id      TEXT,
  password_hash   TEXT    NOT NULL,
  failed_logins   BIGINT  NOT NULL CHECK (failed_logins >= 0),
  locked_until_ms BIGINT  NOT NULL,
  created_ms      BIGINT  NOT NULL,
  updated_ms      BIGINT  NOT NULL,
  CHECK ((role = 'patient') = (patient_id IS NOT NULL))
);
CREATE INDEX accounts_by_patient ON accounts (patient_id) WHERE patient_id IS NOT NULL;

CREATE TABLE portal_sessions (
  handle         TEXT    PRIMARY KEY,
  state          TEXT    NOT NULL CHECK (state IN ('anonymous', 'otp-pending', 'authenticated')),
  account_id     TEXT    REFERENCES accounts (account_id),
  csrf_token     TEXT    NOT NULL,
  otp_hash       TEXT    NOT NULL,
  otp_expires_ms BIGINT  NOT NULL,
  otp_attempts   BIGINT  NOT NULL CHECK (otp_attempts >= 0),
  created_ms     BIGINT  NOT NULL,
  last_seen_ms   BIGINT  NOT NULL,
  expires_ms     BIGINT  NOT NULL,
  CHECK ((state = 'anonymous') = (account_id IS NULL))
);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_ms);
CREATE INDEX portal_sessions_by_account ON portal_sessions (account_id)
  WHERE account_id IS NOT NULL;

CREATE TABLE login_address_failures (
  address         TEXT    NOT NULL,
  window_start_ms BIGINT  NOT NULL,
  failures        BIGINT  NOT NULL CHECK (failures >= 1),
  PRIMARY KEY (address, window_start_ms)
);
CREATE INDEX login_address_failures_by_window ON login_address_failures (window_start_ms);
)sql"},
    Migration{5, "append-only audit log", R"sql(
CREATE TABLE audit_log (
  seq            BIGSERIAL PRIMARY KEY,
  recorded_ms    BIGINT  NOT NULL,
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
);
CREATE INDEX audit_log_by_patient ON audit_log (patient_id, recorded_ms, seq);

CREATE TABLE audit_service_access (
  patient_id TEXT    NOT NULL,
  client_id  TEXT    NOT NULL,
  first_seq  BIGINT  NOT NULL,
  PRIMARY KEY (patient_id, client_id)
);

CREATE FUNCTION mes_audit_first_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.category = 'rest' AND NEW.success = 1 AND NEW.patient_id <> '' AND NEW.client_id <> '' THEN
    INSERT INTO audit_service_access (patient_id, client_id, first_seq)
    VALUES (NEW.patient_id, NEW.client_id, NEW.seq) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER audit_log_first_access AFTER INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION mes_audit_first_access();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION mes_refuse_change('the audit log');
CREATE TRIGGER audit_service_access_append_only BEFORE UPDATE OR DELETE ON audit_service_access
  FOR EACH ROW EXECUTE FUNCTION mes_refuse_change('the audit log');
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION mes_refuse_change('the audit log');
)sql"},
    Migration{6, "audit journal marks", R"sql(
CREATE TABLE audit_journal_marks (
  journal    TEXT    PRIMARY KEY,
  generation BIGINT  NOT NULL CHECK (generation >= 1),
  "offset"   BIGINT  NOT NULL CHECK ("offset" >= 0)
);
)sql"},
    Migration{7, "named date index", R"sql(
CREATE TABLE date_index (
  rid     BIGINT NOT NULL,
  param   TEXT   NOT NULL,
  low_ms  BIGINT NOT NULL,
  high_ms BIGINT NOT NULL,
  PRIMARY KEY (rid, param, low_ms, high_ms)
);
)sql"},
    Migration{8, "referencing registry", R"sql(
CREATE TABLE registry_organisations (
  organisation_id TEXT    PRIMARY KEY,
  legal_name      TEXT    NOT NULL CHECK (legal_name <> ''),
  siret           TEXT    NOT NULL UNIQUE CHECK (siret ~ '^[0-9]{14}$'),
  editor_oid      TEXT    NOT NULL UNIQUE CHECK (editor_oid <> ''),
  contact         TEXT    NOT NULL,
  created_ms      BIGINT  NOT NULL
);

CREATE TABLE registry_members (
  account_id      TEXT    PRIMARY KEY,
  organisation_id TEXT    NOT NULL REFERENCES registry_organisations (organisation_id),
  created_ms      BIGINT  NOT NULL
);
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
  evaluation_round   BIGINT  NOT NULL CHECK (evaluation_round >= 0)
);
CREATE INDEX registry_services_by_organisation ON registry_services (organisation_id)
  WHERE organisation_id IS NOT NULL;

CREATE TABLE registry_reservations (
  client_id TEXT    NOT NULL REFERENCES registry_services (client_id),
  position  BIGINT  NOT NULL,
  text      TEXT    NOT NULL,
  PRIMARY KEY (client_id, position)
);

CREATE TABLE registry_history (
  seq              BIGSERIAL PRIMARY KEY,
  client_id        TEXT    NOT NULL REFERENCES services (client_id),
  recorded_ms      BIGINT  NOT NULL,
  action           TEXT    NOT NULL CHECK (action <> ''),
  from_status      TEXT    NOT NULL,
  to_status        TEXT    NOT NULL,
  actor_account_id TEXT    NOT NULL,
  actor_login      TEXT    NOT NULL,
  actor_role       TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  detail           TEXT    NOT NULL
);
CREATE INDEX registry_history_by_service ON registry_history (client_id, seq);
CREATE TRIGGER registry_history_append_only BEFORE UPDATE OR DELETE ON registry_history
  FOR EACH ROW EXECUTE FUNCTION mes_refuse_change('the registry history');

CREATE TABLE registry_marks (
  client_id        TEXT    NOT NULL REFERENCES services (client_id),
  round            BIGINT  NOT NULL CHECK (round >= 1),
  criterion_id     TEXT    NOT NULL,
  verdict          TEXT    NOT NULL CHECK (verdict IN ('met', 'not_met', 'not_applicable')),
  note             TEXT    NOT NULL,
  actor_account_id TEXT    NOT NULL,
  actor_login      TEXT    NOT NULL,
  marked_ms        BIGINT  NOT NULL,
  PRIMARY KEY (client_id, round, criterion_id)
);

CREATE TABLE registry_evidence (
  position               BIGSERIAL,
  evidence_id            TEXT    PRIMARY KEY,
  client_id              TEXT    NOT NULL REFERENCES services (client_id),
  kind                   TEXT    NOT NULL CHECK (kind IN ('test-report')),
  content                TEXT    NOT NULL,
  sha256                 TEXT    NOT NULL,
  uploaded_by_account_id TEXT    NOT NULL,
  uploaded_by_login      TEXT    NOT NULL,
  uploaded_ms            BIGINT  NOT NULL,
  UNIQUE (client_id, sha256)
);
CREATE INDEX registry_evidence_by_service ON registry_evidence (client_id, position);
CREATE TRIGGER registry_evidence_append_only BEFORE UPDATE OR DELETE ON registry_evidence
  FOR EACH ROW EXECUTE FUNCTION mes_refuse_change('registry evidence');
)sql"},
    // postgres_signing_keys.cpp: the token-signing keys every instance shares.
    Migration{9, "shared signing keys", R"sql(
CREATE TABLE signing_keys (
  kid         TEXT    PRIMARY KEY,
  private_pem TEXT    NOT NULL,
  created_ms  BIGINT  NOT NULL,
  retired_ms  BIGINT
);
CREATE UNIQUE INDEX signing_keys_current ON signing_keys ((retired_ms IS NULL)) WHERE retired_ms IS NULL;
)sql"},
    // The person behind a registry event (AuditEntry::actor).
    Migration{10, "audit actor", R"sql(
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT '';
)sql"},
};

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    BIGINT  PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at BIGINT  NOT NULL
))sql";

Error closedError() {
  return Error::make(ErrorKind::kUnavailable, "store-closed", "The data store is not available.");
}

bool isUri(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

}  // namespace

std::string redactConnectionString(const std::string& url) {
  std::string out = url;
  if (isUri(out)) {
    const size_t start = out.find("://") + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    // password=... in the query string
    for (size_t p = out.find("password=", start); p != std::string::npos;
         p = out.find("password=", p + 1)) {
      const size_t value = p + 9;
      size_t end = out.find('&', value);
      if (end == std::string::npos) end = out.size();
      out.replace(value, end - value, "***");
    }
    return out;
  }
  for (size_t p = out.find("password"); p != std::string::npos; p = out.find("password", p + 1)) {
    size_t value = out.find('=', p);
    if (value == std::string::npos) break;
    ++value;
    while (value < out.size() && out[value] == ' ') ++value;
    size_t end = value;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      while (end < out.size() && out[end] != ' ') ++end;
    }
    out.replace(value, end - value, "***");
  }
  return out;
}

// --- pool -----------------------------------------------------------------------------------

namespace {
// Leases this thread holds (of any database). A thread that already holds one and asks for
// another (a read from inside a write callback) is never made to wait for the pool: every
// connection may be held by threads waiting for the lock that thread holds.
thread_local int tlLeases = 0;
}  // namespace

PostgresDatabase::Lease::~Lease() {
  if (connection_ != nullptr) owner_->release(connection_);
}

PostgresDatabase::PostgresDatabase(PostgresOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  conninfo_ = options_.url;
  const std::string extra = "connect_timeout=" + std::to_string(options_.connectTimeoutSeconds);
  if (isUri(conninfo_)) {
    conninfo_ += conninfo_.find('?') == std::string::npos ? "?" : "&";
    conninfo_ += extra + "&application_name=mes-gateway";
  } else {
    conninfo_ += " " + extra + " application_name=mes-gateway";
  }
  // Values from validated integers; SET cannot take parameters.
  setup_.push_back("SET statement_timeout = " + std::to_string(options_.statementTimeoutMs));
  setup_.push_back("SET lock_timeout = " + std::to_string(options_.statementTimeoutMs));
  // A validated identifier (open() checks it).
  if (!options_.schema.empty()) setup_.push_back("SET search_path = " + options_.schema);
}

bool validSchemaName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

PostgresDatabase::~PostgresDatabase() {
  (void)close();
}

int64_t PostgresDatabase::latestSchemaVersion() {
  return kMigrations.back().version;
}

Result<std::shared_ptr<PostgresDatabase>> PostgresDatabase::open(const PostgresOptions& options,
                                                                 const Clock& clock) {
  if (options.url.empty()) return Error::internal("postgres: no connection string");
  if (options.poolSize < 1 || options.poolSize > 256) {
    return Error::internal("postgres: poolSize must be between 1 and 256");
  }
  if (options.connectTimeoutSeconds < 1 || options.statementTimeoutMs < 0) {
    return Error::internal("postgres: invalid timeouts");
  }
  if (!options.schema.empty() && !validSchemaName(options.schema)) {
    return Error::internal("postgres: invalid schema name '" + options.schema + "'");
  }
  std::shared_ptr<PostgresDatabase> database(new PostgresDatabase(options, clock));
  MES_RETURN_IF_ERROR(database->migrate());
  return database;
}

Result<PostgresDatabase::Lease> PostgresDatabase::lease() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) return closedError();
    if (!free_.empty()) {
      pg::Connection* connection = free_.back();
      free_.pop_back();
      if (connection->usable()) {
        ++leased_;
        ++tlLeases;
        return Lease(this, connection);
      }
      std::erase_if(connections_, [&](const auto& c) { return c.get() == connection; });
      continue;
    }
    if (static_cast<int>(connections_.size()) < options_.poolSize || tlLeases > 0) {
      // Reserve the slot, connect without holding the lock.
      connections_.push_back(nullptr);
      ++leased_;
      lock.unlock();
      Result<std::unique_ptr<pg::Connection>> opened = pg::Connection::open(conninfo_, setup_);
      lock.lock();
      auto slot = std::find(connections_.begin(), connections_.end(), nullptr);
      if (!opened) {
        connections_.erase(slot);
        --leased_;
        returned_.notify_one();
        return opened.takeError();
      }
      pg::Connection* connection = opened->get();
      *slot = std::move(opened).value();
      ++tlLeases;
      return Lease(this, connection);
    }
    returned_.wait(lock);
  }
}

void PostgresDatabase::release(pg::Connection* connection) {
  connection->abort();
  --tlLeases;
  std::lock_guard lock(mutex_);
  --leased_;
  // Beyond the pool size (a nested lease's extra connection): closed rather than kept.
  if (closed_ || !connection->usable() ||
      static_cast<int>(connections_.size()) > options_.poolSize) {
    std::erase_if(connections_, [&](const auto& c) { return c.get() == connection; });
  } else {
    free_.push_back(connection);
  }
  returned_.notify_all();
}

Status PostgresDatabase::close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  returned_.notify_all();
  returned_.wait(lock, [this] { return leased_ == 0; });
  free_.clear();
  connections_.clear();
  return Status::ok();
}

Status PostgresDatabase::ping() {
  return read([](pg::Connection& db) -> Status {
    Result<pg::Statement> stmt = db.prepare("SELECT 1");
    if (!stmt) return stmt.takeError();
    return stmt->run();
  });
}

Status PostgresDatabase::beginOn(pg::Connection& connection, bool snapshot) {
  return connection.begin(snapshot ? pg::Connection::Mode::kSnapshot : pg::Connection::Mode::kRead);
}

void PostgresDatabase::endOn(pg::Connection& connection, bool ok, Status* status) {
  if (ok) {
    *status = connection.commit();
  } else {
    connection.abort();
  }
}

Status PostgresDatabase::write(const std::function<Status(pg::Connection&)>& work) {
  Result<Lease> leased = lease();
  if (!leased) return leased.takeError();
  pg::Connection& db = leased->connection();
  MES_RETURN_IF_ERROR(db.begin(pg::Connection::Mode::kWrite));
  Status outcome;
  try {
    outcome = work(db);
  } catch (...) {
    db.abort();
    throw;
  }
  if (outcome) return db.commit();
  db.abort();
  return outcome;
}

Result<int64_t> PostgresDatabase::writeCounting(std::string_view sql, int64_t parameter) {
  int64_t changed = 0;
  Status written = write([&](pg::Connection& db) -> Status {
    Result<pg::Statement> stmt = db.prepare(sql);
    if (!stmt) return stmt.takeError();
    stmt->bindInt64(1, parameter);
    Result<int64_t> count = pg::runCounting(db, *stmt);
    if (!count) return count.takeError();
    changed = *count;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return changed;
}

Status PostgresDatabase::migrate() {
  return write([this](pg::Connection& db) -> Status {
    // Instances starting together: one migrates, the others wait and find nothing to do.
    Result<pg::Statement> lock = db.prepare("SELECT pg_advisory_xact_lock(?)");
    if (!lock) return lock.takeError();
    lock->bindInt64(1, kMigrationLock);
    MES_RETURN_IF_ERROR(lock->run());
    if (!options_.schema.empty()) {
      MES_RETURN_IF_ERROR(db.exec("CREATE SCHEMA IF NOT EXISTS " + options_.schema));
    }
    MES_RETURN_IF_ERROR(db.exec(kCreateMigrationsTable));
    int64_t current = 0;
    {
      Result<pg::Statement> stmt =
          db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
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
      e.detail = "postgres: schema_migrations holds version " + std::to_string(current) +
                 ", code knows up to " + std::to_string(latest);
      return e;
    }
    for (const Migration& migration : kMigrations) {
      if (migration.version <= current) continue;
      MES_RETURN_IF_ERROR(db.exec(migration.sql));
      Result<pg::Statement> stmt =
          db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, migration.version);
      stmt->bindText(2, migration.name);
      stmt->bindInt64(3, clock_.nowMs());
      MES_RETURN_IF_ERROR(stmt->run());
      current = migration.version;
    }
    schemaVersion_ = current;
    return Status::ok();
  });
}

}  // namespace mes::store
