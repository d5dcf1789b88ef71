#include "gateway/app.h"

#include <filesystem>

#include "connectors/sqlite/sqlite_repository.h"
#include "fhir/json/json.h"
#include "gateway/fhir_api.h"
#include "gateway/fhir_response.h"
#include "gateway/http/http_server.h"
#include "gateway/measure_service.h"
#include "gateway/resource_index.h"
#include "gateway/router.h"

namespace mes::gateway {

struct Gateway::Parts {
  Parts(const Config& c, Logger& l, std::unique_ptr<store::SqliteRepository> r)
      : config(c),
        logger(l),
        repository(std::move(r)),
        measures(*repository, clock, ids),
        router(logger, access, [](const Error& e, const RequestContext&) { return errorResponse(e); },
               config.maxBodyBytes),
        api(config, *repository, measures) {}

  Config config;
  Logger& logger;
  SystemClock clock;
  RandomIdGenerator ids;
  std::unique_ptr<store::SqliteRepository> repository;
  MeasureService measures;
  OpenAccessPolicy access;
  Router router;
  FhirApi api;
  std::unique_ptr<http::Server> server;
};

Gateway::Gateway(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Gateway::~Gateway() { stop(); }

store::Repository& Gateway::repository() { return *parts_->repository; }

Result<std::unique_ptr<Gateway>> Gateway::open(const Config& config, Logger& logger) {
  std::error_code ec;
  std::filesystem::create_directories(config.dataDir, ec);
  if (ec) {
    return Error::make(ErrorKind::kUnavailable, "data-dir",
                       "Cannot create the data directory " + config.dataDir + ": " + ec.message());
  }
  static SystemClock storeClock;
  store::SqliteOptions options;
  options.path = (std::filesystem::path(config.dataDir) / "mes-gateway.sqlite").string();
  options.synchronousFull = config.storeSynchronous == "full";
  options.readConnections = config.storeReadConnections;
  auto repository = store::SqliteRepository::open(options, storeClock);
  if (!repository) return repository.takeError();
  logger.info("store opened", {{"path", options.path},
                               {"schema_version", (*repository)->schemaVersion()},
                               {"synchronous", config.storeSynchronous}});
  auto parts = std::make_unique<Parts>(config, logger, std::move(*repository));

  Parts& p = *parts;
  p.api.registerRoutes(p.router);
  p.router.add("GET", "/healthz", Interaction::kPublic, "",
               [](const http::Request&, RequestContext&) {
                 http::Response r;
                 r.headers.set("Content-Type", "application/json");
                 r.body = R"({"status":"ok"})";
                 return r;
               });
  p.router.add("GET", "/readyz", Interaction::kPublic, "",
               [&p](const http::Request&, RequestContext&) {
                 Status ready = p.repository->ping();
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
  p.server = std::make_unique<http::Server>(options, [&p](http::Request& request) {
    return p.router.handle(request);
  });
  MES_RETURN_IF_ERROR(p.server->start());
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
  if (p.repository) {
    Status closed = p.repository->close();
    if (closed) {
      p.logger.info("store closed");
    } else {
      p.logger.error("store close failed", {{"detail", closed.error().detail}});
    }
  }
}

Result<std::string> seedDemo(store::Repository& repository) {
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
  const std::string id = "demo";
  auto existing = repository.read("Patient", id);
  if (!existing) {
    if (existing.error().kind != ErrorKind::kNotFound) return existing.takeError();
    auto patient = fhir::parseJson(kPatient);
    if (!patient) return patient.takeError();
    store::WriteRequest request;
    request.type = "Patient";
    request.id = id;
    request.index = indexRowsFor("Patient", id, *patient);
    auto shared = std::make_shared<fhir::Value>(std::move(*patient));
    request.render = [shared, id](int64_t v, int64_t t) -> Result<std::string> {
      return stampedJson(*shared, id, v, t, {});
    };
    auto created = repository.create(request);
    if (!created) return created.takeError();
  }
  fhir::Value out = fhir::Value::object();
  out.set("patient_id", fhir::Value::string(id));
  out.set("patient_reference", fhir::Value::string("Patient/" + id));
  out.set("ins", fhir::Value::string("urn:oid:1.2.250.1.213.1.4.8|248092A01234567"));
  out.set("created", fhir::Value::boolean(!existing.isOk()));
  return fhir::toPrettyJson(out);
}

}  // namespace mes::gateway
