// Start-up configuration: parsed and validated once into an immutable struct.
//
// Precedence, lowest first: built-in defaults < JSON config file < environment (MES_*) <
// command-line flags. Unknown keys in the file, unknown flags and malformed values are errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace mes::gateway {

struct Config {
  std::string listen = "127.0.0.1";
  uint16_t port = 8080;
  std::string dataDir = "./var";
  // Public base URL (scheme://host[:port], no trailing slash) used in links and Location
  // headers; empty means http://<listen>:<port>.
  std::string publicUrl;
  size_t maxBodyBytes = 1 << 20;  // FHIR JSON bodies
  size_t maxJsonDepth = 32;
  size_t httpThreads = 8;
  int shutdownGraceSeconds = 10;
  std::string logLevel = "info";      // debug | info | warn | error
  std::string storeSynchronous = "normal";  // normal | full (SQLite PRAGMA synchronous)
  int storeReadConnections = 4;
  // Which store: "sqlite" (a file under dataDir) or "postgres" (storePostgresUrl, shared by
  // every instance pointed at it).
  std::string storeBackend = "sqlite";
  std::string storePostgresUrl;  // libpq connection string; a secret: never logged
  std::string storePostgresSchema;  // tables in this schema (created when absent); "" = default
  int storePoolSize = 8;               // PostgreSQL connections per process
  int storeConnectTimeoutSeconds = 5;  // PostgreSQL connect_timeout
  int storeStatementTimeoutMs = 10000; // PostgreSQL statement_timeout and lock_timeout
  // Where document bytes and notifications go; empty: <dataDir>/blobs and <dataDir>/outbox.
  // Instances behind one load balancer point blobDir at one shared directory.
  std::string blobDir;
  std::string outboxDir;

  // Documents API (SPEC §3): the largest document accepted, in decoded bytes (larger: 413).
  // The bodies of the document routes are streamed to the blob store, so this limit, not
  // maxBodyBytes, bounds them (gateway/document_api.h: documentBodyLimit).
  uint64_t documentsMaxBytes = uint64_t{20} << 20;

  // Authorization server (SPEC §1).
  int accessTokenSeconds = 600;          // JWT access tokens
  int64_t refreshTokenSeconds = 30LL * 24 * 3600;  // each refresh token; rotation renews it
  // Patient portal (/portal).
  int portalMaxLoginFailures = 5;        // consecutive failures before the account locks
  int portalLockoutSeconds = 900;        // how long a locked account refuses every login
  int portalSessionSeconds = 1800;       // a portal session ends after this idle time
  int portalOtpSeconds = 300;            // lifetime of a one-time login code
  // Referencing registry (issue #5): the criteria file read and checked at start; empty = the
  // built-in copy of docs/registry-criteria.json.
  std::string registryCriteriaFile;

  // True when the public URL is https: cookies then carry Secure.
  bool tls() const { return baseUrl().rfind("https://", 0) == 0; }

  std::string baseUrl() const;  // publicUrl or the derived one
  std::string fhirBase() const { return baseUrl() + "/fhir"; }
};

// One configurable setting, for --help and the README.
struct SettingDoc {
  std::string key;   // JSON key in the config file
  std::string env;   // environment variable
  std::string flag;  // command-line flag
  std::string help;
  std::string defaultValue;
};
const std::vector<SettingDoc>& settingDocs();

// Builds the configuration. `args` are the command's flags (after the subcommand); `env` the
// process environment. A --config FILE flag (or MES_CONFIG) names the JSON file. Returns
// kInvalid with a message naming the offending key, variable or flag.
Result<Config> loadConfig(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env);

}  // namespace mes::gateway
