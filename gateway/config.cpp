#include "gateway/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include "connectors/postgres/postgres_database.h"
#include "fhir/json/json.h"

namespace mes::gateway {
namespace {

using Setter = std::function<Status(Config&, const std::string& value, const std::string& origin)>;

Error bad(const std::string& origin, const std::string& why) {
  return Error::make(ErrorKind::kInvalid, "config-invalid", origin + ": " + why);
}

template <typename Int>
Status parseInt(const std::string& text, Int min, Int max, Int& out, const std::string& origin) {
  long long v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || v < static_cast<long long>(min) ||
      v > static_cast<long long>(max)) {
    return bad(origin, "expected a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got \"" + text + "\"");
  }
  out = static_cast<Int>(v);
  return Status::ok();
}

Status oneOf(const std::string& text, std::initializer_list<const char*> allowed, std::string& out,
             const std::string& origin) {
  std::string list;
  for (const char* a : allowed) {
    if (text == a) {
      out = text;
      return Status::ok();
    }
    list += list.empty() ? a : std::string(", ") + a;
  }
  return bad(origin, "expected one of " + list + ", got \"" + text + "\"");
}

struct Setting {
  SettingDoc doc;
  bool numeric;  // JSON value must be a number (else a string)
  Setter set;
};

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = {
      {{"listen", "MES_LISTEN", "--listen", "address to listen on", "127.0.0.1"}, false,
       [](Config& c, const std::string& v, const std::string& o) -> Status {
         if (v.empty()) return bad(o, "must not be empty");
         c.listen = v;
         return Status::ok();
       }},
      {{"port", "MES_PORT", "--port", "TCP port", "8080"}, true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<uint16_t>(v, 1, 65535, c.port, o);
       }},
      {{"data_dir", "MES_DATA_DIR", "--data-dir", "directory for the database and other state",
        "./var"},
       false,
       [](Config& c, const std::string& v, const std::string& o) -> Status {
         if (v.empty()) return bad(o, "must not be empty");
         c.dataDir = v;
         return Status::ok();
       }},
      {{"public_url", "MES_PUBLIC_URL", "--public-url",
        "public base URL used in links (default http://<listen>:<port>)", ""},
       false,
       [](Config& c, const std::string& v, const std::string& o) -> Status {
         if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
           return bad(o, "must start with http:// or https://");
         }
         c.publicUrl = v;
         while (!c.publicUrl.empty() && c.publicUrl.back() == '/') c.publicUrl.pop_back();
         return Status::ok();
       }},
      {{"max_body_bytes", "MES_MAX_BODY_BYTES", "--max-body-bytes",
        "largest accepted request body, in bytes (larger: 413)", "1048576"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<size_t>(v, 1024, size_t{1} << 30, c.maxBodyBytes, o);
       }},
      {{"max_json_depth", "MES_MAX_JSON_DEPTH", "--max-json-depth",
        "deepest accepted JSON nesting (deeper: 400)", "32"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<size_t>(v, 8, 512, c.maxJsonDepth, o);
       }},
      {{"http_threads", "MES_HTTP_THREADS", "--http-threads", "HTTP worker threads", "8"}, true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<size_t>(v, 1, 256, c.httpThreads, o);
       }},
      {{"shutdown_grace_seconds", "MES_SHUTDOWN_GRACE_SECONDS", "--shutdown-grace-seconds",
        "how long SIGTERM waits for in-flight requests", "10"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 0, 600, c.shutdownGraceSeconds, o);
       }},
      {{"log_level", "MES_LOG_LEVEL", "--log-level", "debug, info, warn or error", "info"}, false,
       [](Config& c, const std::string& v, const std::string& o) {
         return oneOf(v, {"debug", "info", "warn", "error"}, c.logLevel, o);
       }},
      {{"store.synchronous", "MES_STORE_SYNCHRONOUS", "--store-synchronous",
        "SQLite durability: normal (survives a process crash) or full (also power loss)",
        "normal"},
       false,
       [](Config& c, const std::string& v, const std::string& o) {
         return oneOf(v, {"normal", "full"}, c.storeSynchronous, o);
       }},
      {{"store.read_connections", "MES_STORE_READ_CONNECTIONS", "--store-read-connections",
        "SQLite reader connections", "4"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 1, 64, c.storeReadConnections, o);
       }},
      {{"store.backend", "MES_STORE_BACKEND", "--store-backend",
        "sqlite (a file in the data directory) or postgres (store.postgres_url, shared by every "
        "instance)",
        "sqlite"},
       false,
       [](Config& c, const std::string& v, const std::string& o) {
         return oneOf(v, {"sqlite", "postgres"}, c.storeBackend, o);
       }},
      {{"store.postgres_url", "MES_STORE_POSTGRES_URL", "--store-postgres-url",
        "PostgreSQL connection string (postgresql://user:password@host:port/db?sslmode=...); "
        "never logged",
        ""},
       false,
       [](Config& c, const std::string& v, const std::string& o) -> Status {
         if (!v.empty() && v.find('\n') != std::string::npos) return bad(o, "must be one line");
         c.storePostgresUrl = v;
         return Status::ok();
       }},
      {{"store.postgres_schema", "MES_STORE_POSTGRES_SCHEMA", "--store-postgres-schema",
        "PostgreSQL schema holding the gateway's tables, created when absent (default: the "
        "connection's search_path, usually public)",
        ""},
       false,
       [](Config& c, const std::string& v, const std::string& o) -> Status {
         if (!v.empty() && !store::validSchemaName(v)) {
           return bad(o, "expected a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63)");
         }
         c.storePostgresSchema = v;
         return Status::ok();
       }},
      {{"store.pool_size", "MES_STORE_POOL_SIZE", "--store-pool-size",
        "PostgreSQL connections per gateway process", "8"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 1, 256, c.storePoolSize, o);
       }},
      {{"store.connect_timeout_seconds", "MES_STORE_CONNECT_TIMEOUT_SECONDS",
        "--store-connect-timeout-seconds", "how long a PostgreSQL connection attempt may take",
        "5"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 1, 300, c.storeConnectTimeoutSeconds, o);
       }},
      {{"store.statement_timeout_ms", "MES_STORE_STATEMENT_TIMEOUT_MS",
        "--store-statement-timeout-ms",
        "longest PostgreSQL statement or lock wait before the request fails with 503 (0: none)",
        "10000"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 0, 3600000, c.storeStatementTimeoutMs, o);
       }},
      {{"documents.blob_dir", "MES_DOCUMENTS_BLOB_DIR", "--documents-blob-dir",
        "directory of the document bytes (default <data_dir>/blobs); instances behind one load "
        "balancer share one",
        ""},
       false,
       [](Config& c, const std::string& v, const std::string&) -> Status {
         c.blobDir = v;
         return Status::ok();
       }},
      {{"outbox.dir", "MES_OUTBOX_DIR", "--outbox-dir",
        "directory of the notification outbox (default <data_dir>/outbox)", ""},
       false,
       [](Config& c, const std::string& v, const std::string&) -> Status {
         c.outboxDir = v;
         return Status::ok();
       }},
      {{"documents.max_bytes", "MES_DOCUMENTS_MAX_BYTES", "--documents-max-bytes",
        "largest document accepted by the Documents API, in decoded bytes (larger: 413)",
        "20971520"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<uint64_t>(v, 1024, uint64_t{1} << 30, c.documentsMaxBytes, o);
       }},
      {{"oauth.access_token_seconds", "MES_OAUTH_ACCESS_TOKEN_SECONDS",
        "--oauth-access-token-seconds", "lifetime of access tokens", "600"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 30, 3600, c.accessTokenSeconds, o);
       }},
      {{"oauth.refresh_token_seconds", "MES_OAUTH_REFRESH_TOKEN_SECONDS",
        "--oauth-refresh-token-seconds", "lifetime of each refresh token (renewed on rotation)",
        "2592000"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int64_t>(v, 300, int64_t{400} * 24 * 3600, c.refreshTokenSeconds, o);
       }},
      {{"portal.max_login_failures", "MES_PORTAL_MAX_LOGIN_FAILURES",
        "--portal-max-login-failures", "consecutive failed logins before an account locks", "5"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 1, 100, c.portalMaxLoginFailures, o);
       }},
      {{"portal.lockout_seconds", "MES_PORTAL_LOCKOUT_SECONDS", "--portal-lockout-seconds",
        "how long a locked account refuses logins", "900"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 1, 86400, c.portalLockoutSeconds, o);
       }},
      {{"portal.session_seconds", "MES_PORTAL_SESSION_SECONDS", "--portal-session-seconds",
        "idle lifetime of a portal session", "1800"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 60, 86400, c.portalSessionSeconds, o);
       }},
      {{"portal.otp_seconds", "MES_PORTAL_OTP_SECONDS", "--portal-otp-seconds",
        "lifetime of a one-time login code", "300"},
       true,
       [](Config& c, const std::string& v, const std::string& o) {
         return parseInt<int>(v, 30, 3600, c.portalOtpSeconds, o);
       }},
      {{"registry.criteria_file", "MES_REGISTRY_CRITERIA_FILE", "--registry-criteria-file",
        "referencing criteria file read at start instead of the built-in "
        "docs/registry-criteria.json",
        ""},
       false,
       [](Config& c, const std::string& v, const std::string&) -> Status {
         c.registryCriteriaFile = v;
         return Status::ok();
       }},
  };
  return kSettings;
}

const Setting* byKey(const std::string& key) {
  for (const auto& s : settings()) {
    if (s.doc.key == key) return &s;
  }
  return nullptr;
}

Status applyObject(Config& config, const fhir::Value& object, const std::string& prefix,
                   const std::string& file) {
  for (const auto& [name, value] : object.members()) {
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    const std::string origin = file + ": key \"" + key + "\"";
    if (value.isObject()) {
      bool isSection = false;
      for (const auto& s : settings()) {
        if (s.doc.key.rfind(key + ".", 0) == 0) isSection = true;
      }
      if (!isSection) return bad(origin, "unknown key");
      MES_RETURN_IF_ERROR(applyObject(config, value, key, file));
      continue;
    }
    const Setting* setting = byKey(key);
    if (setting == nullptr) return bad(origin, "unknown key");
    if (setting->numeric ? !value.isNumber() : !value.isString()) {
      return bad(origin, setting->numeric ? "expected a number" : "expected a string");
    }
    MES_RETURN_IF_ERROR(setting->set(config, value.text(), origin));
  }
  return Status::ok();
}

Status applyFile(Config& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad(path, "cannot read the config file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto parsed = fhir::parseJson(buffer.str());
  if (!parsed) return bad(path, parsed.error().problems.front().message);
  if (!parsed->isObject()) return bad(path, "the config file must hold a JSON object");
  return applyObject(config, *parsed, "", path);
}

}  // namespace

std::string Config::baseUrl() const {
  if (!publicUrl.empty()) return publicUrl;
  return "http://" + listen + ":" + std::to_string(port);
}

const std::vector<SettingDoc>& settingDocs() {
  static const std::vector<SettingDoc> kDocs = [] {
    std::vector<SettingDoc> docs;
    for (const auto& s : settings()) docs.push_back(s.doc);
    return docs;
  }();
  return kDocs;
}

Result<Config> loadConfig(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env) {
  Config config;
  // Pair up flags first, so a missing value or unknown flag is reported before anything else.
  std::string file;
  if (auto it = env.find("MES_CONFIG"); it != env.end()) file = it->second;
  std::vector<std::pair<const Setting*, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool inlineValue = false;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      inlineValue = true;
    }
    if (!inlineValue) {
      if (i + 1 >= args.size()) return bad("flag " + flag, "needs a value");
      value = args[++i];
    }
    if (flag == "--config") {
      file = value;
      continue;
    }
    const Setting* found = nullptr;
    for (const auto& s : settings()) {
      if (s.doc.flag == flag) found = &s;
    }
    if (found == nullptr) return bad("flag " + flag, "unknown flag (see --help)");
    flags.emplace_back(found, value);
  }
  if (!file.empty()) MES_RETURN_IF_ERROR(applyFile(config, file));
  for (const auto& s : settings()) {
    if (auto it = env.find(s.doc.env); it != env.end()) {
      MES_RETURN_IF_ERROR(s.set(config, it->second, "environment variable " + s.doc.env));
    }
  }
  for (const auto& [setting, value] : flags) {
    MES_RETURN_IF_ERROR(setting->set(config, value, "flag " + setting->doc.flag));
  }
  if (config.storeBackend == "postgres" && config.storePostgresUrl.empty()) {
    return bad("store.postgres_url", "is required when store.backend is postgres");
  }
  return config;
}

}  // namespace mes::gateway
