#include "gateway/app.h"

#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <fstream>
#include <sstream>
#include <tuple>

#include "connectors/audit/file_audit_journal.h"
#include "connectors/blob/file_blob_store.h"
#include "connectors/outbox/file_outbox.h"
#include "fhir/json/json.h"
#include "gateway/agenda_api.h"
#include "gateway/audit.h"
#include "gateway/document_api.h"
#include "gateway/document_service.h"
#include "gateway/authorization_server.h"
#include "gateway/fhir_api.h"
#include "gateway/fhir_response.h"
#include "gateway/http/http_server.h"
#include "gateway/measure_service.h"
#include "gateway/pairings.h"
#include "gateway/portal_auth.h"
#include "gateway/registry/catalogue.h"
#include "gateway/registry/criteria.h"
#include "gateway/registry/pairing_effects.h"
#include "gateway/registry/registry.h"
#include "gateway/registry/registry_api.h"
#include "gateway/registry/registry_pages.h"
#include "gateway/request_audit.h"
#include "gateway/resource_index.h"
#include "gateway/router.h"
#include "gateway/store_backend.h"
#include "gateway/swagger_site.h"
#include "gateway/token_policy.h"
#include "oauth/api_access.h"
#include "oauth/crypto/random.h"
#include "oauth/password.h"
#include "oauth/shared_signing_keys.h"
#include "oauth/signing_keys.h"

namespace mes::gateway {

namespace {

// /fhir errors are OperationOutcomes; a 401 also says how to authenticate (RFC 6750 §3).
http::Response fhirError(const Error& e, const RequestContext&) {
  http::Response r = errorResponse(e);
  if (r.status == 401) r.headers.set("WWW-Authenticate", bearerChallenge(e));
  return r;
}

}  // namespace

struct Gateway::Parts {
  Parts(const Config& c, Logger& l) : config(c), logger(l) {}

  Config config;
  Logger& logger;
  SystemClock clock;
  RandomIdGenerator ids;
  std::unique_ptr<StoreBackend> store;  // SQLite or PostgreSQL (store.backend)
  std::unique_ptr<audit::FileAuditJournal> auditJournal;
  std::unique_ptr<oauth::SigningKeyStore> keys;
  std::unique_ptr<outbox::FileOutbox> outbox;
  std::unique_ptr<blob::FileBlobStore> blobs;  // document bytes, <data-dir>/blobs
  std::unique_ptr<MeasureService> measures;
  std::unique_ptr<PairingStore> pairings;
  std::unique_ptr<AuditTrail> audit;
  std::unique_ptr<AccessTokens> accessTokens;
  std::unique_ptr<TokenAccessPolicy> policy;
  std::unique_ptr<Router> router;
  std::unique_ptr<FhirApi> api;
  std::unique_ptr<AgendaService> agenda;  // SPEC §4
  std::unique_ptr<AgendaApi> agendaApi;
  std::unique_ptr<DocumentService> documents;  // SPEC §3
  std::unique_ptr<DocumentApi> documentApi;
  std::unique_ptr<PortalAuth> portal;
  std::unique_ptr<AuthorizationServer> authz;
  std::unique_ptr<FhirRequestAuditor> auditor;
  // The referencing registry (issue #5).
  std::unique_ptr<registry::CriteriaCatalogue> criteria;
  std::unique_ptr<PortalAuth> registryAuth;  // the /registry login area
  std::unique_ptr<registry::AuthorizationPairingEffects> pairingEffects;
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<registry::RegistryApi> registryApi;
  std::unique_ptr<registry::RegistryPages> registryPages;
  std::unique_ptr<registry::Catalogue> catalogue;
  std::unique_ptr<SwaggerSite> swagger;  // /swagger/: the OpenAPI documents and their page
  std::unique_ptr<http::Server> server;
  // Housekeeping: removes expired codes, portal sessions and login-rate windows.
  std::thread housekeeper;
  std::mutex housekeeperMutex;
  std::condition_variable housekeeperWake;
  bool stopping = false;

  void housekeeping() {
    std::unique_lock lock(housekeeperMutex);
    while (!housekeeperWake.wait_for(lock, std::chrono::minutes(5), [this] { return stopping; })) {
      lock.unlock();
      const int64_t now = clock.nowMs();
      auto codes = store->codes->purgeExpiredCodes(now);
      auto sessions = store->sessions->purgeExpiredSessions(now);
      auto windows = store->throttle->purgeAddressWindowsBefore(now - 24 * 3600 * 1000);
      if (!codes || !sessions || !windows) {
        logger.warn("housekeeping failed; retried in 5 minutes");
      } else if (*codes + *sessions + *windows > 0) {
        logger.info("housekeeping", {{"expired_codes", *codes},
                                     {"expired_sessions", *sessions},
                                     {"old_rate_windows", *windows}});
      }
      lock.lock();
    }
  }
};

Gateway::Gateway(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Gateway::~Gateway() { stop(); }

store::Repository& Gateway::repository() { return *parts_->store->repository; }
DocumentService& Gateway::documents() { return *parts_->documents; }
blob::BlobStore& Gateway::blobs() { return *parts_->blobs; }
store::ServiceStore& Gateway::services() { return *parts_->store->services; }
store::AccountStore& Gateway::accounts() { return *parts_->store->accounts; }
oauth::SigningKeyStore& Gateway::signingKeys() { return *parts_->keys; }
PairingStore& Gateway::pairings() { return *parts_->pairings; }
PortalAuth& Gateway::portal() { return *parts_->portal; }
AuthorizationServer& Gateway::authorizationServer() { return *parts_->authz; }
registry::Registry& Gateway::registry() { return *parts_->registry; }

Result<std::unique_ptr<Gateway>> Gateway::open(const Config& config, Logger& logger) {
  std::error_code ec;
  std::filesystem::create_directories(config.dataDir, ec);
  if (ec) {
    return Error::make(ErrorKind::kUnavailable, "data-dir",
                       "Cannot create the data directory " + config.dataDir + ": " + ec.message());
  }
  auto parts = std::make_unique<Parts>(config, logger);
  Parts& p = *parts;
  auto opened = openStoreBackend(config, p.clock);
  if (!opened) return opened.takeError();
  p.store = std::move(*opened);
  StoreBackend& st = *p.store;
  auto criteria = config.registryCriteriaFile.empty()
                      ? registry::criteriaBuiltIn()
                      : registry::CriteriaCatalogue::load(config.registryCriteriaFile);
  if (!criteria) {
    Error e = Error::make(ErrorKind::kInvalid, "criteria-invalid",
                          "The referencing criteria cannot be used: " +
                              registry::problemsText(criteria.error()));
    return e;
  }
  p.criteria = std::make_unique<registry::CriteriaCatalogue>(std::move(*criteria));
  audit::JournalOptions journalOptions;
  journalOptions.syncEachAppend = st.synchronousFull;
  // Each instance's journal is local to its data directory; its slots carry random ids, so the
  // marks of several instances' journals in one shared audit log never collide.
  auto journal = audit::FileAuditJournal::open(std::filesystem::path(config.dataDir) / "audit",
                                              *st.auditLog, journalOptions);
  if (!journal) return journal.takeError();
  p.auditJournal = std::move(*journal);
  p.auditJournal->setImportErrorHandler([&logger](const Error& e) {
    logger.error("audit journal import failed; retrying", {{"detail", e.detail}});
  });
  if (const audit::JournalRecovery& r = p.auditJournal->recovery();
      r.replayed > 0 || r.droppedBytes > 0) {
    logger.warn("audit journal recovered", {{"replayed_entries", static_cast<int64_t>(r.replayed)},
                                           {"dropped_tail_bytes", static_cast<int64_t>(r.droppedBytes)}});
  }
  logger.info("store opened", {{"backend", st.kind},
                               {"location", st.location},
                               {"schema_version", st.schemaVersion},
                               {"synchronous", config.storeSynchronous}});
  // Retired keys stay published until every token they signed has expired (plus a margin for
  // clock skew between instances). With PostgreSQL the keys are shared through the store.
  const int64_t keyRetainSeconds = int64_t{config.accessTokenSeconds} + 300;
  if (st.signingKeys != nullptr) {
    auto keys = oauth::SharedSigningKeyStore::open(*st.signingKeys, p.clock, keyRetainSeconds);
    if (!keys) return keys.takeError();
    p.keys = std::move(*keys);
  } else {
    auto keys = oauth::FileSigningKeyStore::open(config.dataDir, p.clock, keyRetainSeconds);
    if (!keys) return keys.takeError();
    p.keys = std::move(*keys);
  }
  auto outbox = outbox::FileOutbox::open(config.outboxDir.empty()
                                             ? std::filesystem::path(config.dataDir) / "outbox"
                                             : std::filesystem::path(config.outboxDir),
                                         p.clock, p.ids);
  if (!outbox) return outbox.takeError();
  p.outbox = std::move(*outbox);
  blob::FileBlobStoreOptions blobOptions;
  blobOptions.maxBlobBytes = config.documentsMaxBytes;
  auto blobs = blob::FileBlobStore::open(config.blobDir.empty()
                                             ? std::filesystem::path(config.dataDir) / "blobs"
                                             : std::filesystem::path(config.blobDir),
                                         p.clock, blobOptions);
  if (!blobs) return blobs.takeError();
  p.blobs = std::move(*blobs);

  p.measures = std::make_unique<MeasureService>(*st.repository, p.clock, p.ids);
  p.pairings = std::make_unique<PairingStore>(*st.repository, p.clock, p.ids);
  p.audit = std::make_unique<AuditTrail>(*st.auditLog, p.clock, AuditTrailOptions{},
                                         p.auditJournal.get());
  p.accessTokens = std::make_unique<AccessTokens>(p.config, *p.keys, p.clock);
  p.policy = std::make_unique<TokenAccessPolicy>(*p.accessTokens, *st.services, *st.accessState,
                                                 *p.pairings, p.clock);
  p.router = std::make_unique<Router>(logger, *p.policy, fhirError, config.maxBodyBytes);
  p.api = std::make_unique<FhirApi>(p.config, *st.repository, *p.measures);
  p.agenda = std::make_unique<AgendaService>(*st.repository, p.ids, *p.outbox, logger);
  p.agendaApi = std::make_unique<AgendaApi>(p.config, *st.repository, *p.agenda, p.clock);
  p.documents = std::make_unique<DocumentService>(*st.repository, *p.blobs, p.ids, *p.outbox, logger);
  p.documentApi = std::make_unique<DocumentApi>(p.config, *st.repository, *p.blobs, *p.documents,
                                                *p.measures, p.clock);
  p.portal = std::make_unique<PortalAuth>(p.config, *st.accounts, *st.sessions, *st.throttle,
                                          *p.outbox, p.clock, logger);
  p.authz = std::make_unique<AuthorizationServer>(
      p.config,
      OAuthStores{*st.services, *st.codes, *st.refreshTokens, *st.replays}, *p.keys,
      *p.accessTokens, *p.policy, *p.pairings, *st.repository, *p.portal, *p.audit, *p.outbox,
      p.clock, p.ids, logger);
  p.auditor = std::make_unique<FhirRequestAuditor>(*p.audit, *p.outbox, p.clock, logger);
  p.registryAuth = std::make_unique<PortalAuth>(p.config, *st.accounts, *st.sessions,
                                                *st.throttle, *p.outbox, p.clock, logger,
                                                LoginArea::registry());
  p.pairingEffects = std::make_unique<registry::AuthorizationPairingEffects>(*p.pairings, *p.authz);
  p.registry = std::make_unique<registry::Registry>(*st.registry, *st.accounts, *p.criteria,
                                                    *p.audit, *p.pairingEffects, p.clock, p.ids,
                                                    logger);
  p.registryApi = std::make_unique<registry::RegistryApi>(p.config, *p.registry, *p.registryAuth);
  p.registryPages =
      std::make_unique<registry::RegistryPages>(p.config, *p.registry, *p.registryAuth);
  p.catalogue = std::make_unique<registry::Catalogue>(*p.registry);
  p.swagger = std::make_unique<SwaggerSite>(swaggerBuiltInFiles());
  p.router->setAuditor(p.auditor.get());
  // Login events of both areas go to the audit trail: a patient's under "portal" (shown on
  // their activity page), a registry account's under "registry" (naming the account).
  auto auditLogin = [&p](const LoginEvent& event, const char* category) {
    AuditRecord record;
    record.recordedMs = event.timeMs;
    record.category = category;
    record.action = "E";
    record.subtype = loginEventName(event.kind);
    record.success = event.kind == LoginEvent::Kind::kLoginSucceeded;
    record.outcomeText = event.reason;
    record.patientId = event.patientId;
    if (std::string_view(category) == kAuditRegistry) record.actor = event.login;
    if (std::string_view(category) == kAuditRegistry && !event.accountId.empty()) {
      record.outcomeText = "account " + event.accountId +
                           (event.reason.empty() ? "" : ": " + event.reason);
    }
    record.sourceAddress = event.remoteAddress;
    record.requestId = event.requestId;
    if (Status s = p.audit->record(record); !s) {
      p.logger.error("audit of a login event failed", {{"detail", s.error().detail}});
    }
  };
  p.portal->setLoginEventHandler(
      [auditLogin](const LoginEvent& event) { auditLogin(event, kAuditPortal); });
  p.registryAuth->setLoginEventHandler(
      [auditLogin](const LoginEvent& event) { auditLogin(event, kAuditRegistry); });

  p.api->registerRoutes(*p.router);
  p.agendaApi->registerRoutes(*p.router);
  p.documentApi->registerRoutes(*p.router);
  p.portal->registerRoutes(*p.router);
  p.authz->registerRoutes(*p.router);
  p.registryAuth->registerRoutes(*p.router);
  p.registryApi->registerRoutes(*p.router);
  p.registryPages->registerRoutes(*p.router);
  p.catalogue->registerRoutes(*p.router);
  p.swagger->registerRoutes(*p.router);
  p.router->add("GET", "/healthz", Interaction::kPublic, "",
                [](const http::Request&, RequestContext&) {
                  http::Response r;
                  r.headers.set("Content-Type", "application/json");
                  r.body = R"({"status":"ok"})";
                  return r;
                });
  p.router->add("GET", "/readyz", Interaction::kPublic, "",
                [&p](const http::Request&, RequestContext&) {
                  Status ready = p.store->ping();
                  http::Response r;
                  r.status = ready ? 200 : 503;
                  r.headers.set("Content-Type", "application/json");
                  r.body = ready ? R"({"status":"ready"})" : R"({"status":"unavailable"})";
                  return r;
                });
  return std::unique_ptr<Gateway>(new Gateway(std::move(parts)));
}

Status Gateway::serve() {
  Parts& p = *parts_;
  http::ServerOptions options;
  options.host = p.config.listen;
  options.port = p.config.port;
  options.maxBodyBytes = p.config.maxBodyBytes;
  options.threads = p.config.httpThreads;
  options.drainingResponse = [] {
    http::Response r = errorResponse(Error::make(ErrorKind::kUnavailable, "shutting-down",
                                                 "The server is shutting down; retry shortly."));
    r.headers.set("Retry-After", "1");
    return r;
  };
  options.openStream = [&p](http::Request& head) { return p.router->openStream(head); };
  // Temporary files a crash left in the blob store, then the documents against the blobs.
  constexpr int64_t kStaleTempMs = int64_t{24} * 3600 * 1000;
  if (auto removed = p.blobs->removeStaleTemps(kStaleTempMs); !removed) {
    p.logger.warn("blob store: stale temporary files not removed",
                  {{"detail", removed.error().detail}});
  } else if (*removed > 0) {
    p.logger.info("blob store: stale temporary files removed",
                  {{"count", static_cast<int64_t>(*removed)}});
  }
  if (auto check = p.documents->checkBlobs(); !check) {
    p.logger.error("blob store check failed", {{"detail", check.error().detail}});
  } else {
    const LogLevel level = check->missing.empty() ? LogLevel::kInfo : LogLevel::kError;
    p.logger.log(level, "blob store check",
                 {{"blobs", static_cast<int64_t>(check->blobs)},
                  {"binaries", static_cast<int64_t>(check->binaries)},
                  {"unreferenced_blobs", static_cast<int64_t>(check->unreferenced.size())},
                  {"missing_blobs", static_cast<int64_t>(check->missing.size())}});
  }
  p.server = std::make_unique<http::Server>(options, [&p](http::Request& request) {
    return p.router->handle(request);
  });
  MES_RETURN_IF_ERROR(p.server->start());
  p.housekeeper = std::thread([&p] { p.housekeeping(); });
  p.logger.info("listening", {{"fhir_base", p.config.fhirBase()},
                              {"listen", p.config.listen},
                              {"port", int64_t{p.config.port}}});
  return Status::ok();
}

void Gateway::stop() {
  if (!parts_) return;
  Parts& p = *parts_;
  if (p.server) {
    size_t left = p.server->shutdown(std::chrono::seconds(p.config.shutdownGraceSeconds));
    p.logger.info("http stopped", {{"unfinished_requests", static_cast<int64_t>(left)}});
    p.server.reset();
  }
  if (p.housekeeper.joinable()) {
    {
      std::lock_guard lock(p.housekeeperMutex);
      p.stopping = true;
    }
    p.housekeeperWake.notify_all();
    p.housekeeper.join();
  }
  if (p.auditJournal) {
    // Everything traced is in the audit log before the store closes.
    if (Status drained = p.auditJournal->close(); !drained) {
      p.logger.error("audit journal not fully imported; it will be at the next start",
                     {{"detail", drained.error().detail}});
    }
  }
  if (p.store) {
    Status closed = p.store->close();
    if (closed) {
      p.logger.info("store closed");
    } else {
      p.logger.error("store close failed", {{"detail", closed.error().detail}});
    }
    p.store.reset();
  }
}

// --- demo data ----------------------------------------------------------------------------------

namespace {

constexpr const char* kDemoPatientId = "demo";
constexpr const char* kDemoLogin = "camille.martin@demo.invalid";
constexpr const char* kDemoClientId = "demo-app";
constexpr const char* kDemoRedirectUri = "http://127.0.0.1:8765/callback";

}  // namespace

namespace {

constexpr const char* kOtherPatientId = "demo-2";
constexpr const char* kOtherLogin = "dominique.bernard@demo.invalid";

Status seedPatient(store::Repository& repository, const std::string& id, const char* json,
                   bool& created) {
  auto existing = repository.read("Patient", id);
  created = false;
  if (existing) return Status::ok();
  if (existing.error().kind != ErrorKind::kNotFound) return existing.takeError();
  auto patient = fhir::parseJson(json);
  if (!patient) return patient.takeError();
  store::WriteRequest request;
  request.type = "Patient";
  request.id = id;
  request.index = indexRowsFor("Patient", id, *patient);
  auto shared = std::make_shared<fhir::Value>(std::move(*patient));
  request.render = [shared, id](int64_t v, int64_t t) -> Result<std::string> {
    return stampedJson(*shared, id, v, t, {});
  };
  auto written = repository.create(request);
  if (!written) return written.takeError();
  created = true;
  return Status::ok();
}

}  // namespace

Status seedDemoPatient(store::Repository& repository, bool& created) {
  static const char* kPatient = R"({
    "resourceType": "Patient",
    "identifier": [{
      "use": "official",
      "type": {"coding": [{"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "INS-NIR"}]},
      "system": "urn:oid:1.2.250.1.213.1.4.8",
      "value": "248092A01234567"
    }],
    "name": [{"use": "official", "family": "Martin", "given": ["Camille"]}],
    "gender": "female",
    "birthDate": "1984-09-12"
  })";
  return seedPatient(repository, kDemoPatientId, kPatient, created);
}

// A second patient, so that isolation between patients can be seen (and tested).
Status seedOtherDemoPatient(store::Repository& repository) {
  static const char* kPatient = R"({
    "resourceType": "Patient",
    "identifier": [{
      "use": "official",
      "type": {"coding": [{"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "INS-NIR"}]},
      "system": "urn:oid:1.2.250.1.213.1.4.8",
      "value": "171077512345678"
    }],
    "name": [{"use": "official", "family": "Bernard", "given": ["Dominique"]}],
    "gender": "male",
    "birthDate": "1971-07-21"
  })";
  bool created = false;
  return seedPatient(repository, kOtherPatientId, kPatient, created);
}

namespace {

// The demo password, kept beside the data so that `seed-demo` can print it on every run.
Result<std::string> demoPassword(const std::filesystem::path& file, const char* key, bool& fresh) {
  fresh = false;
  if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto json = fhir::parseJson(text.str());
    const std::string* password = json ? json->findString(key) : nullptr;
    if (password != nullptr && !password->empty()) return *password;
  }
  auto token = oauth::randomToken(16);
  if (!token) return token.takeError();
  fresh = true;
  return *token;
}

Status writePrivate(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error::make(ErrorKind::kUnavailable, "io", "Cannot write " + tmp.string());
    out << text;
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Error::make(ErrorKind::kUnavailable, "io", "Cannot write " + file.string());
  return Status::ok();
}

}  // namespace

Result<std::string> seedDemo(Gateway& gateway, const Config& config) {
  bool patientCreated = false;
  MES_RETURN_IF_ERROR(seedDemoPatient(gateway.repository(), patientCreated));

  MES_RETURN_IF_ERROR(seedOtherDemoPatient(gateway.repository()));

  const std::filesystem::path credentials =
      std::filesystem::path(config.dataDir) / "demo-credentials.json";
  bool freshPassword = false;
  bool freshOther = false;
  auto password = demoPassword(credentials, "password", freshPassword);
  if (!password) return password.takeError();
  auto otherPassword = demoPassword(credentials, "other_password", freshOther);
  if (!otherPassword) return otherPassword.takeError();
  for (const auto& [login, secret, patient] :
       {std::tuple{kDemoLogin, *password, kDemoPatientId},
        std::tuple{kOtherLogin, *otherPassword, kOtherPatientId}}) {
    auto account = gateway.accounts().accountByLogin(login);
    if (account) continue;
    if (account.error().kind != ErrorKind::kNotFound) return account.takeError();
    auto created = gateway.portal().createPatientAccount(login, secret, patient);
    if (!created) return created.takeError();
  }
  fhir::Value saved = fhir::Value::object();
  saved.set("login", fhir::Value::string(kDemoLogin));
  saved.set("password", fhir::Value::string(*password));
  saved.set("other_login", fhir::Value::string(kOtherLogin));
  saved.set("other_password", fhir::Value::string(*otherPassword));
  if (freshPassword || freshOther) {
    MES_RETURN_IF_ERROR(writePrivate(credentials, fhir::toPrettyJson(saved)));
  }

  auto service = gateway.services().service(kDemoClientId);
  if (!service) {
    if (service.error().kind != ErrorKind::kNotFound) return service.takeError();
    store::ServiceRecord demo;
    demo.clientId = kDemoClientId;
    demo.name = "Carnet Démo";
    demo.editorName = "Éditeur de démonstration";
    demo.editorOid = "urn:oid:1.2.250.1.999.1";
    demo.clientType = "public";
    demo.redirectUris = {kDemoRedirectUri};
    std::string scopes;
    for (const auto& access : oauth::mesApiAccesses()) {
      scopes += (scopes.empty() ? "" : " ") + std::string(access.scopes);
    }
    auto allowed = oauth::ScopeSet::parse(scopes);
    if (!allowed) return allowed.takeError();
    demo.allowedScopes = allowed->toString();
    demo.status = "referenced";
    // Through the registry, so that the demo app has a history and a catalogue entry.
    store::RegistryEntry entry;
    entry.service = demo;
    entry.details.description =
        "Application de démonstration de la passerelle : un carnet de mesures, de documents et "
        "de rendez-vous pour essayer l’appariement.";
    entry.details.category = "measures";
    entry.details.contact = "demo@demo.invalid";
    for (const auto& access : oauth::mesApiAccesses()) {
      entry.details.requestedAccesses.emplace_back(access.id);
      entry.details.grantedAccesses.emplace_back(access.id);
    }
    auto created = gateway.registry().registerDirectly(entry, "seed-demo");
    if (!created) return created.takeError();
    service = std::move(created->service);
  }

  fhir::Value out = fhir::Value::object();
  out.set("patient_id", fhir::Value::string(kDemoPatientId));
  out.set("patient_reference", fhir::Value::string(std::string("Patient/") + kDemoPatientId));
  out.set("ins", fhir::Value::string("urn:oid:1.2.250.1.213.1.4.8|248092A01234567"));
  out.set("login", fhir::Value::string(kDemoLogin));
  out.set("password", fhir::Value::string(*password));
  fhir::Value other = fhir::Value::object();
  other.set("patient_id", fhir::Value::string(kOtherPatientId));
  other.set("login", fhir::Value::string(kOtherLogin));
  other.set("password", fhir::Value::string(*otherPassword));
  out.set("other_patient", std::move(other));
  out.set("client_id", fhir::Value::string(service->clientId));
  out.set("redirect_uri", fhir::Value::string(service->redirectUris.front()));
  out.set("scope", fhir::Value::string(service->allowedScopes));
  out.set("fhir_base", fhir::Value::string(config.fhirBase()));
  out.set("created", fhir::Value::boolean(patientCreated));
  return fhir::toPrettyJson(out);
}

}  // namespace mes::gateway
