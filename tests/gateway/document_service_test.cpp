// The Documents service (gateway/document_service.h) over a real SQLite store and a file blob
// store in a temporary directory: what a publish stores (rows, blob, author Device), every
// refusal leaving no row and no blob, the order blob-then-rows, visibility, withdrawal by the
// author, the blob check, and the patient's notification.
#include "gateway/document_service.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/blob/file_blob_store.h"
#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "gateway/recording_outbox.h"
#include "fhir/json/json.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;
using mes::ErrorKind;

namespace {

constexpr int64_t kT0 = 1'790'000'000'000;
constexpr const char* kSourceA = "urn:oid:1.2.250.1.999.1#docs-a";
constexpr const char* kSourceB = "urn:oid:1.2.250.1.999.2#docs-b";
constexpr const char* kClassSystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";

using mes::test::RecordingOutbox;

RequestContext app(const std::string& source = kSourceA, const std::string& patient = "demo",
                   const std::string& name = "Docs Santé") {
  RequestContext c;
  c.patientId = patient;
  c.source = source;
  c.clientId = source.substr(source.find('#') + 1);
  c.serviceName = name;
  return c;
}

std::string b64(const std::string& bytes) { return mes::oauth::base64Encode(bytes); }
std::string sha1(const std::string& bytes) { return b64(mes::oauth::sha1(bytes)); }

std::string longBytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  return s;
}

struct Doc {
  std::string bytes = "Compte rendu.";
  std::string contentType = "application/pdf";
  std::string patient = "demo";
  std::string extra;  // members after "status"
  std::string size;   // attachment.size text, default the length
  std::string hash;   // default the SHA-1
  std::string attachmentExtra;
  std::string body() const {
    return R"({"resourceType":"DocumentReference","status":"current",)" + extra +
           R"("type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},)"
           R"("category":[{"coding":[{"system":")" + std::string(kClassSystem) +
           R"(","code":"10"}]}],"subject":{"reference":"Patient/)" + patient +
           R"("},"date":"2026-11-20T10:00:00Z","content":[{"attachment":{"contentType":")" +
           contentType + R"(","size":)" + (size.empty() ? std::to_string(bytes.size()) : size) +
           R"(,"hash":")" + (hash.empty() ? sha1(bytes) : hash) + R"(","data":")" + b64(bytes) +
           "\"" + attachmentExtra + "}}]}";
  }
};

// The store with a switch that makes its write transactions fail, as an unavailable store's
// would: the failure after the blobs were committed.
class SwitchableRepository final : public mes::store::Repository {
 public:
  explicit SwitchableRepository(mes::store::Repository& inner) : inner_(inner) {}
  bool failWrites = false;

  mes::Result<mes::store::ResourceRecord> read(const std::string& type,
                                               const std::string& id) override {
    return inner_.read(type, id);
  }
  mes::Result<mes::store::ResourceRecord> vread(const std::string& type, const std::string& id,
                                                int64_t versionId) override {
    return inner_.vread(type, id, versionId);
  }
  mes::Result<std::vector<mes::store::ResourceRecord>> history(const std::string& type,
                                                               const std::string& id) override {
    return inner_.history(type, id);
  }
  mes::Result<mes::store::SearchPage> search(const mes::store::SearchQuery& query) override {
    return inner_.search(query);
  }
  mes::Status transaction(
      const std::function<mes::Status(mes::store::Transaction&)>& work) override {
    if (failWrites) return mes::Error::make(ErrorKind::kUnavailable, "store-unavailable", "down");
    return inner_.transaction(work);
  }

 private:
  mes::store::Repository& inner_;
};

struct World {
  World() : clock(kT0), logger(clock, LogLevel::kError) {
    auto opened = mes::store::SqliteRepository::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().detail);
    repo = std::move(opened).value();
    mes::blob::FileBlobStoreOptions options;
    options.maxBlobBytes = 300000;
    auto store = mes::blob::FileBlobStore::open(dir.path() / "blobs", clock, options);
    if (!store) throw std::runtime_error("cannot open the blob store");
    blobs = std::move(store).value();
    for (const char* id : {"demo", "demo-2"}) {
      mes::store::WriteRequest request;
      request.type = "Patient";
      request.id = id;
      request.index.patient = id;
      const std::string text = std::string(R"({"resourceType":"Patient","id":")") + id + "\"}";
      request.render = [text](int64_t, int64_t) -> mes::Result<std::string> { return text; };
      if (!repo->create(request)) throw std::runtime_error("cannot seed patients");
    }
    switchable = std::make_unique<SwitchableRepository>(*repo);
    service = std::make_unique<DocumentService>(*switchable, *blobs, ids, outbox, logger);
  }

  // Streams `body` through a DocumentUpload in 1000-byte chunks, as the HTTP adapter would.
  mes::Result<PublishedDocument> publish(const std::string& body, const RequestContext& context) {
    DocumentUpload upload(*blobs, UploadLimits{1 << 20, 32, 1});
    for (size_t at = 0; at < body.size(); at += 1000) {
      MES_RETURN_IF_ERROR(upload.feed(std::string_view(body).substr(at, 1000)));
    }
    auto json = upload.finish();
    if (!json) return json.takeError();
    return service->publish(std::move(*json), upload, context);
  }

  size_t documents() {
    mes::store::SearchQuery q;
    q.type = "DocumentReference";
    auto page = repo->search(q);
    BOOST_REQUIRE(page.isOk());
    return page->records.size();
  }
  size_t blobCount() { return blobs->list().value().size(); }
  size_t temps() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(blobs->tempDirectory())) ++n;
    return n;
  }

  mes::test::TempDir dir{"mes-documents"};
  mes::ManualClock clock;
  mes::RandomIdGenerator ids;
  Logger logger;
  RecordingOutbox outbox;
  std::unique_ptr<mes::store::SqliteRepository> repo;
  std::unique_ptr<SwitchableRepository> switchable;  // what the service writes through
  std::unique_ptr<mes::blob::FileBlobStore> blobs;
  std::unique_ptr<DocumentService> service;
};

mes::fhir::Value json(const std::string& text) {
  auto v = mes::fhir::parseJson(text);
  if (!v) throw std::runtime_error("bad JSON: " + text);
  return std::move(v).value();
}

struct Refusal {
  const char* what;
  Doc doc;
  int status;
  const char* code;
  bool unrestricted = false;  // a tool's context (no patient, no source)
};
std::ostream& operator<<(std::ostream& os, const Refusal& r) { return os << r.what; }

Doc with(std::function<void(Doc&)> edit) {
  Doc d;
  edit(d);
  return d;
}

const Refusal kRefusals[] = {
    {"size says more", with([](Doc& d) { d.size = "14"; }), 422, "attachment-size-mismatch"},
    {"size of a long document", with([](Doc& d) { d.bytes = longBytes(100000); d.size = "99999"; }), 422,
     "attachment-size-mismatch"},
    {"hash of other bytes", with([](Doc& d) { d.hash = sha1("other"); }), 422, "attachment-hash-mismatch"},
    {"hash of a long document", with([](Doc& d) { d.bytes = longBytes(100000); d.hash = sha1("x"); }), 422,
     "attachment-hash-mismatch"},
    {"content type only", with([](Doc& d) { d.contentType = "application/zip"; }), 415, "content-type-not-allowed"},
    // 415 only when the content type is the only problem.
    {"content type and another problem", with([](Doc& d) { d.contentType = "application/zip"; d.size = "-1"; }),
     400, "content-type-not-allowed"},
    {"another patient", with([](Doc& d) { d.patient = "demo-2"; }), 403, "patient-mismatch"},
    {"unknown patient", with([](Doc& d) { d.patient = "ghost"; }), 422, "subject-unknown", true},
    {"over the blob limit", with([](Doc& d) { d.bytes = longBytes(300001); }), 413, "blob-too-large"},
    {"long data outside the attachment",
     with([](Doc& d) {
       d.attachmentExtra = R"(},"format":{"system":"urn:x","code":"y","data":")" + b64(longBytes(70000)) + "\"";
     }),
     400, "unknown-element"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(document_service)

BOOST_AUTO_TEST_CASE(publish_stores_rows_blob_and_author_and_notifies) {
  World w;
  for (const std::string& bytes : {std::string("court"), longBytes(200000)}) {
    BOOST_TEST_CONTEXT(bytes.size() << " bytes") {
      Doc d;
      d.bytes = bytes;
      auto published = w.publish(d.body(), app());
      BOOST_REQUIRE_MESSAGE(published.isOk(), (published.isOk() ? std::string() : published.error().code()));
      mes::fhir::Value doc = json(published->document.content);
      const mes::fhir::Value& attachment = *doc.find("content")->items()[0].find("attachment");
      BOOST_TEST(attachment.find("data") == nullptr);
      BOOST_TEST(*attachment.findString("url") == "Binary/" + published->binary.id);
      BOOST_TEST(*doc.find("author")->items()[0].findString("reference") == "Device/snr-docs-a");
      BOOST_TEST(published->document.source == kSourceA);
      // Both rows are in the patient's compartment.
      BOOST_TEST(w.repo->read("DocumentReference", published->document.id)->patient == "demo");
      BOOST_TEST(w.repo->read("Binary", published->binary.id)->patient == "demo");
      mes::fhir::Value binary = json(published->binary.content);
      BOOST_TEST(*binary.find("securityContext")->findString("reference") ==
                 "DocumentReference/" + published->document.id);
      // The Binary row names the blob; the blob holds exactly the bytes.
      auto served = w.service->bytes(published->binary.id, app());
      BOOST_REQUIRE(served.isOk());
      BOOST_TEST(served->contentType == "application/pdf");
      BOOST_TEST(served->size == bytes.size());
      BOOST_TEST((w.blobs->readAll(served->blob, 1 << 20).value() == bytes));
    }
  }
  BOOST_TEST(w.blobCount() == 2u);
  BOOST_TEST(w.temps() == 0u);
  // The author Device: SNR, the service's name and its editor's OID.
  auto device = w.repo->read("Device", "snr-docs-a");
  BOOST_REQUIRE(device.isOk());
  BOOST_TEST(device->content.find("\"code\":\"SNR\"") != std::string::npos);
  BOOST_TEST(device->content.find(kProducerKindSystem) != std::string::npos);
  BOOST_TEST(device->content.find("\"system\":\"urn:oid:1.2.250.1.999.1\",\"value\":\"docs-a\"") !=
             std::string::npos, device->content);
  BOOST_TEST(device->versionId == 1);  // the second document did not rewrite it
  // Renamed service: the Device follows.
  BOOST_REQUIRE(w.publish(Doc{}.body(), app(kSourceA, "demo", "Docs Santé 2")).isOk());
  BOOST_TEST(w.repo->read("Device", "snr-docs-a")->versionId == 2);

  BOOST_REQUIRE(w.outbox.sent.size() == 3u);
  const auto& n = w.outbox.sent[0];
  BOOST_TEST(n.kind == "document-created");
  BOOST_TEST(n.recipient == "demo");
  BOOST_TEST(n.subject == "Nouveau document ajouté par Docs Santé");
  BOOST_TEST(n.body.find("« CR ou fiche de consultation ou de visite »") != std::string::npos);
}

BOOST_DATA_TEST_CASE(refusals_store_nothing, bdata::make(kRefusals), r) {
  World w;
  RequestContext context = r.unrestricted ? RequestContext{} : app();
  auto published = w.publish(r.doc.body(), context);
  BOOST_REQUIRE(!published.isOk());
  BOOST_TEST(mes::httpStatusOf(published.error().kind) == r.status);
  BOOST_TEST(published.error().code() == r.code);
  BOOST_TEST(w.documents() == 0u);
  BOOST_TEST(w.outbox.sent.empty());
  BOOST_TEST(w.temps() == 0u);
  BOOST_TEST(w.blobCount() == 0u);  // an unknown subject too: it is checked before the bytes
}

BOOST_AUTO_TEST_CASE(a_blob_committed_before_failed_rows_is_reported_unreferenced) {
  World w;
  Doc d;
  w.switchable->failWrites = true;
  auto failed = w.publish(d.body(), app());
  BOOST_REQUIRE(!failed.isOk());
  BOOST_TEST(failed.error().code() == "store-unavailable");
  BOOST_TEST(w.documents() == 0u);
  w.switchable->failWrites = false;
  auto check = w.service->checkBlobs();
  BOOST_REQUIRE(check.isOk());
  BOOST_TEST(check->blobs == 1u);
  BOOST_TEST(check->binaries == 0u);
  BOOST_REQUIRE(check->unreferenced.size() == 1u);
  BOOST_TEST(check->missing.empty());
  // The same bytes deposited again: deduplicated, now referenced.
  BOOST_REQUIRE(w.publish(d.body(), app()).isOk());
  check = w.service->checkBlobs();
  BOOST_TEST(check->blobs == 1u);
  BOOST_TEST(check->unreferenced.empty());
  // A blob gone from disk is a missing one.
  std::filesystem::remove(w.blobs->pathOf(w.blobs->list().value().front()));
  check = w.service->checkBlobs();
  BOOST_REQUIRE(check->missing.size() == 1u);
  BOOST_TEST(check->missing.front().rfind("Binary/", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(visibility_and_compartment) {
  World w;
  Doc hidden;
  hidden.extra = R"("securityLabel":[{"coding":[{"system":"https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument","code":"INVISIBLE_PATIENT"}]}],)";
  auto invisible = w.publish(hidden.body(), app());
  BOOST_REQUIRE(invisible.isOk());
  BOOST_TEST(w.outbox.sent.empty());  // the patient is not told of a document hidden from them
  BOOST_TEST((w.service->read(invisible->document.id, app()).error().kind == ErrorKind::kNotFound));
  BOOST_TEST((w.service->bytes(invisible->binary.id, app()).error().kind == ErrorKind::kNotFound));
  BOOST_TEST((w.service->withdraw(invisible->document.id, std::nullopt, app()).error().kind ==
             ErrorKind::kNotFound));

  auto visible = w.publish(Doc{}.body(), app());
  BOOST_REQUIRE(visible.isOk());
  const RequestContext other = app(kSourceA, "demo-2");
  BOOST_TEST((w.service->read(visible->document.id, other).error().kind == ErrorKind::kNotFound));
  BOOST_TEST((w.service->bytes(visible->binary.id, other).error().kind == ErrorKind::kNotFound));
  BOOST_TEST(w.service->read(visible->document.id, app(kSourceB)).isOk());  // another app of the patient
}

BOOST_AUTO_TEST_CASE(withdrawal_by_the_author_only) {
  World w;
  auto published = w.publish(Doc{}.body(), app());
  BOOST_REQUIRE(published.isOk());
  const std::string id = published->document.id;
  auto refused = w.service->withdraw(id, std::nullopt, app(kSourceB));
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(refused.error().code() == "not-author");
  BOOST_TEST(w.service->withdraw(id, int64_t{5}, app()).error().code() == "version-conflict");
  auto withdrawn = w.service->withdraw(id, int64_t{1}, app());
  BOOST_REQUIRE(withdrawn.isOk());
  BOOST_TEST(withdrawn->versionId == 2);
  BOOST_TEST(*json(withdrawn->content).findString("status") == "entered-in-error");
  BOOST_TEST(w.service->read(id, app())->versionId == 2);
  BOOST_TEST((w.service->bytes(published->binary.id, app()).error().kind == ErrorKind::kNotFound));
  BOOST_TEST(w.blobCount() == 1u);  // retention: the bytes stay
  BOOST_TEST(w.service->withdraw(id, std::nullopt, app())->versionId == 2);  // nothing new
}

BOOST_AUTO_TEST_CASE(document_bundles_are_recognised) {
  BOOST_TEST(DocumentService::isDocumentBundle(json(
      R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"List"}}]})")));
  BOOST_TEST(DocumentService::isDocumentBundle(json(
      R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Binary"}},{"resource":{"resourceType":"DocumentReference"}}]})")));
  BOOST_TEST(!DocumentService::isDocumentBundle(json(
      R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation"}},{"resource":{"resourceType":"Device"}}]})")));
  BOOST_TEST(!DocumentService::isDocumentBundle(json(R"({"resourceType":"Bundle"})")));
}

BOOST_AUTO_TEST_CASE(author_device_ids_are_fhir_ids) {
  BOOST_TEST(DocumentService::authorDeviceId("demo-app") == "snr-demo-app");
  const std::string hashed = DocumentService::authorDeviceId("https://app.example/client#1");
  BOOST_TEST(hashed.size() == 36u);
  BOOST_TEST(hashed.rfind("snr-", 0) == 0u);
  BOOST_TEST(hashed.find_first_not_of("snr-0123456789abcdef") == std::string::npos);
  BOOST_TEST(DocumentService::authorDeviceId(std::string(61, 'a')).size() == 36u);
}

BOOST_AUTO_TEST_SUITE_END()
