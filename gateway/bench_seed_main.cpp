// mes-bench-seed: fills a data directory with observations for scripts/bench.
//   mes-bench-seed --data-dir DIR --observations N [--patients P] [--batch B]
//
// Writes straight into the SQLite store (the file the gateway opens), in large transactions,
// with the same stamped JSON and index rows the server writes (stampedJson, indexRowsFor):
//  - the demo patient (seedDemo) and P bench patients, Patient/bench-000001...;
//  - Patient/demo gets a fixed history of min(N, 1000) heart-rate measures, one every 6 hours
//    up to an hour ago;
//  - the other observations (heart rate, body weight, blood glucose, blood pressure, in turn)
//    are spread over the bench patients and the last two years.
// So "the last heart rate of Patient/demo" matches the same 1,000 measures whatever N is: the
// bench compares its latency at 10k and 1M stored observations to show that its cost does not
// grow with the table. The data directory must not have been seeded before.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <map>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_repository.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "fhir/profiles/measure_profiles.h"
#include "gateway/config.h"
#include "gateway/store_backend.h"
#include "gateway/app.h"
#include "gateway/fhir_response.h"
#include "gateway/resource_index.h"

namespace {

using mes::Result;
using mes::Status;

constexpr int64_t kDemoHistory = 1000;
constexpr int64_t kHourMs = int64_t{3600} * 1000;
constexpr int64_t kTwoYearsMs = int64_t{730} * 24 * kHourMs;
// Every this many generated observations one is also checked against the MES profiles
// (plus the first of each kind), so the seed cannot drift from what the API accepts.
constexpr int64_t kValidateEvery = 997;

struct Options {
  std::string dataDir;
  int64_t observations = -1;
  int64_t patients = 1000;
  int64_t batch = 50000;
};

void usage(std::ostream& out) {
  out << "usage: mes-bench-seed --data-dir DIR --observations N [--patients P] [--batch B]\n"
         "  Seeds DIR/mes-gateway.sqlite for scripts/bench: Patient/demo with a fixed history\n"
         "  of 1,000 heart-rate measures, the rest of the N observations spread over P bench\n"
         "  patients (default 1000), B observations per transaction (default 50000).\n";
}

bool parseCount(const std::string& text, int64_t& out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < 0) return false;
  out = v;
  return true;
}

std::string isoUtc(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const char* kProfileBase = "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/";

std::string observationHead(const char* profile, const char* loinc, const std::string& patient,
                            const std::string& when) {
  return std::string(R"({"resourceType":"Observation","meta":{"profile":[")") + kProfileBase +
         profile +
         R"("]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":")" +
         loinc + R"("}]},"subject":{"reference":"Patient/)" + patient +
         R"("},"effectiveDateTime":")" + when + "\"";
}

std::string quantity(const std::string& value, const char* unit) {
  return std::string(R"(,"valueQuantity":{"value":)") + value + R"(,"unit":")" + unit +
         R"(","system":"http://unitsofmeasure.org","code":")" + unit + "\"}";
}

enum class Kind { kHeartRate, kWeight, kGlucose, kBloodPressure };
constexpr int kKinds = 4;

// The JSON text of one valid MES measure of `kind`.
std::string measureJson(Kind kind, const std::string& patient, int64_t whenMs, std::mt19937& rng) {
  const std::string when = isoUtc(whenMs);
  auto uniform = [&rng](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(rng);
  };
  switch (kind) {
    case Kind::kHeartRate:
      return observationHead("mes-observation-heartrate", "8867-4", patient, when) +
             quantity(std::to_string(uniform(50, 110)), "/min") + "}";
    case Kind::kWeight: {
      const int decigrams = uniform(450, 1100);
      return observationHead("mes-observation-bodyweight", "29463-7", patient, when) +
             quantity(std::to_string(decigrams / 10) + "." + std::to_string(decigrams % 10), "kg") +
             "}";
    }
    case Kind::kGlucose: {
      static const char* kMoments[] = {"a-jeun", "apres-repas", "apres-effort", "autre"};
      return observationHead("mes-observation-glucose", "2345-7", patient, when) +
             R"(,"extension":[{"url":"https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-moment-of-measurement","valueCode":")" +
             kMoments[uniform(0, 3)] + "\"}]" + quantity(std::to_string(uniform(70, 180)), "mg/dL") +
             "}";
    }
    case Kind::kBloodPressure: {
      auto component = [](const char* code, int value) {
        return std::string(R"({"code":{"coding":[{"system":"http://loinc.org","code":")") + code +
               R"("}]},"valueQuantity":{"value":)" + std::to_string(value) +
               R"(,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}})";
      };
      return observationHead("mes-observation-bp", "85354-9", patient, when) + R"(,"component":[)" +
             component("8480-6", uniform(105, 160)) + "," + component("8462-4", uniform(60, 95)) +
             "]}";
    }
  }
  return {};
}

// One resource ready for the store, indexed and rendered exactly as the server does.
Result<mes::store::WriteRequest> writeRequest(const std::string& type, const std::string& id,
                                              const std::string& json) {
  auto parsed = mes::fhir::parseJson(json);
  if (!parsed) return parsed.takeError();
  mes::store::WriteRequest request;
  request.type = type;
  request.id = id;
  request.index = mes::gateway::indexRowsFor(type, id, *parsed);
  auto shared = std::make_shared<mes::fhir::Value>(std::move(*parsed));
  request.render = [shared, id](int64_t version, int64_t lastUpdated) -> Result<std::string> {
    return mes::gateway::stampedJson(*shared, id, version, lastUpdated, {});
  };
  return request;
}

std::string benchPatientId(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-%06" PRId64, n);
  return buf;
}

std::string describe(const mes::Error& e) {
  std::string text = e.problems.empty() ? std::string("error") : e.problems.front().message;
  if (!e.detail.empty()) text += " (" + e.detail + ")";
  return text;
}

int fail(const std::string& message) {
  std::cerr << "mes-bench-seed: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    }
    if (i + 1 >= args.size()) {
      usage(std::cerr);
      return 2;
    }
    const std::string& v = args[++i];
    bool ok = true;
    if (a == "--data-dir") {
      options.dataDir = v;
    } else if (a == "--observations") {
      ok = parseCount(v, options.observations);
    } else if (a == "--patients") {
      ok = parseCount(v, options.patients) && options.patients > 0;
    } else if (a == "--batch") {
      ok = parseCount(v, options.batch) && options.batch > 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "mes-bench-seed: bad argument " << a << " " << v << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (options.dataDir.empty() || options.observations < 0) {
    usage(std::cerr);
    return 2;
  }

  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options.dataDir, ec);
  if (ec) return fail("cannot create " + options.dataDir + ": " + ec.message());
  mes::SystemClock clock;
  // The store the gateway would use with this environment (STORE=postgres scripts/bench sets
  // MES_STORE_BACKEND=postgres and the connection): SQLite by default.
  std::unique_ptr<mes::store::SqliteRepository> sqlite;
  std::unique_ptr<mes::gateway::StoreBackend> backend;
  mes::store::Repository* store = nullptr;
  const char* chosen = std::getenv("MES_STORE_BACKEND");
  if (chosen != nullptr && std::string(chosen) == "postgres") {
    std::map<std::string, std::string> env;
    for (const char* name :
         {"MES_STORE_BACKEND", "MES_STORE_POSTGRES_URL", "MES_STORE_POSTGRES_SCHEMA"}) {
      if (const char* value = std::getenv(name)) env[name] = value;
    }
    auto config = mes::gateway::loadConfig({"--data-dir", options.dataDir}, env);
    if (!config) return fail("bad store settings: " + describe(config.error()));
    auto opened = mes::gateway::openStoreBackend(*config, clock);
    if (!opened) return fail("cannot open the store: " + describe(opened.error()));
    backend = std::move(*opened);
    store = backend->repository;
  } else {
    mes::store::SqliteOptions storeOptions;
    storeOptions.path = (std::filesystem::path(options.dataDir) / "mes-gateway.sqlite").string();
    // A large page cache: bulk inserts with random ids touch index pages all over the file.
    storeOptions.cacheSizeKib = 512 * 1024;
    auto opened = mes::store::SqliteRepository::open(storeOptions, clock);
    if (!opened) return fail("cannot open the store: " + describe(opened.error()));
    sqlite = std::move(*opened);
    store = sqlite.get();
  }
  mes::store::Repository& repository = *store;

  bool demoCreated = false;
  Status demo = mes::gateway::seedDemoPatient(repository, demoCreated);
  if (!demo) return fail("cannot write the demo patient: " + describe(demo.error()));
  if (repository.read("Patient", benchPatientId(1))) {
    return fail(options.dataDir + " was seeded already; use a new data directory");
  }

  // Patients first, in one transaction.
  Status status = repository.transaction([&](mes::store::Transaction& tx) -> Status {
    for (int64_t p = 1; p <= options.patients; ++p) {
      const std::string id = benchPatientId(p);
      auto request = writeRequest(
          "Patient", id,
          R"({"resourceType":"Patient","identifier":[{"system":"urn:mes-gateway:bench","value":")" +
              id + R"("}],"name":[{"family":"Bench","given":[")" + id + R"("]}]})");
      if (!request) return request.takeError();
      auto created = tx.create(*request);
      if (!created) return created.takeError();
    }
    return Status::ok();
  });
  if (!status) return fail("cannot write the bench patients: " + describe(status.error()));

  const int64_t nowMs = clock.nowMs();
  const int64_t demoCount = std::min(options.observations, kDemoHistory);
  const int64_t otherCount = options.observations - demoCount;
  mes::RandomIdGenerator ids;
  std::mt19937 rng(20240611);
  int64_t validated = 0;
  bool seenKind[kKinds] = {};

  // Observation number i (0-based): the demo history first, then the other patients'.
  auto generate = [&](int64_t i) -> Result<mes::store::WriteRequest> {
    std::string json;
    Kind kind;
    if (i < demoCount) {
      kind = Kind::kHeartRate;
      json = measureJson(kind, "demo", nowMs - kHourMs - i * 6 * kHourMs, rng);
    } else {
      const int64_t k = i - demoCount;
      kind = static_cast<Kind>(k % kKinds);
      const std::string patient = benchPatientId(1 + k % options.patients);
      // Oldest first, evenly over the last two years, ending an hour ago.
      const int64_t when = nowMs - kHourMs - kTwoYearsMs + (otherCount > 1 ? k * (kTwoYearsMs / otherCount) : 0);
      json = measureJson(kind, patient, when, rng);
    }
    auto request = writeRequest("Observation", ids.next(), json);
    if (!request) return request.takeError();
    const int slot = static_cast<int>(kind);
    if (!seenKind[slot] || i % kValidateEvery == 0) {
      seenKind[slot] = true;
      auto parsed = mes::fhir::parseJson(json);
      auto valid = mes::fhir::validateMeasure(*parsed, nowMs, mes::fhir::MeasureOrigin::kApp);
      if (!valid) {
        return mes::Error::internal("generated measure is not valid: " + describe(valid.error()) +
                                    ": " + json);
      }
      ++validated;
    }
    return request;
  };

  int64_t written = 0;
  while (written < options.observations) {
    const int64_t end = std::min(options.observations, written + options.batch);
    status = repository.transaction([&](mes::store::Transaction& tx) -> Status {
      for (int64_t i = written; i < end; ++i) {
        auto request = generate(i);
        if (!request) return request.takeError();
        auto created = tx.create(*request);
        if (!created) return created.takeError();
      }
      return Status::ok();
    });
    if (!status) return fail("cannot write observations: " + describe(status.error()));
    written = end;
  }
  status = backend ? backend->close() : sqlite->close();
  if (!status) return fail("cannot close the store: " + describe(status.error()));

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("seeded %s: %" PRId64 " observations in %.1f s (%.0f/s): %" PRId64
              " heart rates of Patient/demo, %" PRId64 " measures of %" PRId64
              " bench patients; %" PRId64 " checked against the MES profiles\n"
              "'last measure' of Patient/demo matches %" PRId64
              " measures whatever the table size: its latency shows whether the cost grows "
              "with the table\n",
              options.dataDir.c_str(), written, seconds,
              seconds > 0 ? static_cast<double>(written) / seconds : 0.0, demoCount, otherCount,
              options.patients, validated, demoCount);
  return 0;
}
