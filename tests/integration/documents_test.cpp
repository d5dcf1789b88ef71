// The Documents API over HTTP against the real binary (SPEC §3, issue #4): ITI-105 publish and
// ITI-65 transaction, read, search by each parameter, Binary raw and as FHIR JSON, a 15 MiB round
// trip, logical deletion by the author, visibility labels, every refusal with its code, the
// all-or-nothing rule with the blob store looked at on disk, the scope families of SPEC §1,
// refused uploads writing nothing, the audit trail as the patient reads it and the outbox.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <random>
#include <regex>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;
namespace bdata = boost::unit_test::data;
namespace fs = std::filesystem;

namespace {

constexpr const char* kClassSystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";
constexpr const char* kVisibilitySystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/"
    "TRE-A07-StatutVisibiliteDocument";
constexpr const char* kReadScopes =
    "openid launch/patient patient/DocumentReference.rs patient/Binary.r";
constexpr const char* kDepositScopes =
    "openid launch/patient patient/DocumentReference.c patient/Binary.c patient/DocumentReference.d";
const std::string kDocumentScopes = std::string(kReadScopes) + " " + kDepositScopes;

World& world() {
  static std::unique_ptr<World> instance = std::make_unique<World>(longTokens());
  return *instance;
}

// The demo app paired with Patient/demo for reading and depositing documents.
HttpClient documentsApp() {
  static const std::string token = world().pair(world().request(kDocumentScopes)).accessToken;
  return world().app(token);
}

std::string sha1Base64(const std::string& bytes) {
  return mes::oauth::base64Encode(mes::oauth::sha1(bytes));
}

std::string randomBytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen() & 0xFF);
  return out;
}

// What a document deposit says; the defaults make a valid ITI-105 body for Patient/demo.
struct Doc {
  std::string bytes = "Compte rendu de consultation du 20/11/2026.\n";
  std::string contentType = "text/plain";
  std::string type = "11488-4";
  std::string classCode = "10";
  std::string patient = "demo";
  std::string date = "2026-11-20T10:00:00+01:00";
  std::string extra;  // members added to the DocumentReference (after "status")
  std::optional<int64_t> size;       // attachment.size when not the bytes' length
  std::optional<std::string> hash;   // attachment.hash when not the bytes' SHA-1
  std::string attachmentExtra;       // members added to the attachment

  std::string attachment(const std::string& dataOrUrl) const {
    return R"({"contentType":")" + contentType + R"(","size":)" +
           std::to_string(size.value_or(static_cast<int64_t>(bytes.size()))) + R"(,"hash":")" +
           hash.value_or(sha1Base64(bytes)) + R"(",)" + dataOrUrl + attachmentExtra +
           R"(,"title":"document"})";
  }
  std::string resource(const std::string& dataOrUrl) const {
    return R"({"resourceType":"DocumentReference","status":"current",)" + extra +
           R"("type":{"coding":[{"system":"http://loinc.org","code":")" + type +
           R"("}]},"category":[{"coding":[{"system":")" + kClassSystem + R"(","code":")" +
           classCode + R"("}]}],"subject":{"reference":"Patient/)" + patient + R"("},"date":")" +
           date + R"(","content":[{"attachment":)" + attachment(dataOrUrl) + "}]}";
  }
  // ITI-105 body.
  std::string inlineBody() const {
    return resource(R"("data":")" + mes::oauth::base64Encode(bytes) + "\"");
  }
};

std::string visibility(const char* label) {
  return R"("securityLabel":[{"coding":[{"system":")" + std::string(kVisibilitySystem) +
         R"(","code":")" + label + R"("}]}],)";
}

// An ITI-65 Bundle of `docs` (one Binary each) for `patient`.
std::string publication(const std::vector<Doc>& docs, const std::string& patient = "demo") {
  std::string entries;
  std::string listEntries;
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string n = std::to_string(i);
    const std::string docUrl = "urn:uuid:9d7c1a32-51e3-4d87-9953-9fcc9404eb2" + n;
    const std::string binUrl = "urn:uuid:0c287d32-01e3-4d87-9953-9fcc9404eb2" + n;
    entries += R"(,{"fullUrl":")" + docUrl + R"(","resource":)" +
               docs[i].resource(R"("url":")" + binUrl + "\"") +
               R"(,"request":{"method":"POST","url":"DocumentReference"}})";
    entries += R"(,{"fullUrl":")" + binUrl + R"(","resource":{"resourceType":"Binary","contentType":")" +
               docs[i].contentType + R"(","data":")" + mes::oauth::base64Encode(docs[i].bytes) +
               R"("},"request":{"method":"POST","url":"Binary"}})";
    listEntries += std::string(i == 0 ? "" : ",") + R"({"item":{"reference":")" + docUrl + R"("}})";
  }
  return R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:5e0c1a32-51e3-4d87-9953-9fcc9404eb99",)"
         R"("resource":{"resourceType":"List","status":"current","mode":"working",)"
         R"("code":{"coding":[{"system":"https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes","code":"submissionset"}]},)"
         R"("subject":{"reference":"Patient/)" + patient + R"("},"entry":[)" + listEntries +
         R"(]},"request":{"method":"POST","url":"List"}})" + entries + "]}";
}

std::string binaryOf(const Value& document) {
  const std::string url =
      stringOf(*document.find("content")->items().at(0).find("attachment"), "url");
  BOOST_REQUIRE_MESSAGE(url.rfind("Binary/", 0) == 0, "attachment.url " + url);
  return url;
}

void expectOutcome(const HttpResponse& r, int status, const std::string& code) {
  BOOST_TEST(r.status == status, "HTTP " << r.status << " " << r.body.substr(0, 400));
  if (r.status >= 400) BOOST_TEST(outcomeCode(r) == code, outcomeText(r));
}

std::vector<std::string> idsOf(const HttpResponse& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 200, "search: " + std::to_string(r.status) + " " + r.body.substr(0, 300));
  std::vector<std::string> out;
  Value bundle = jsonOf(r);
  if (const Value* entries = bundle.find("entry")) {
    for (const auto& e : entries->items()) out.push_back(stringOf(*e.find("resource"), "id"));
  }
  return out;
}

// Files of the blob store of `gw`: the committed blobs, and what is in its tmp/.
struct BlobFiles {
  std::set<std::string> blobs;
  size_t temps = 0;
};
BlobFiles blobFiles(const GatewayProcess& gw) {
  BlobFiles out;
  const fs::path root = fs::path(gw.dataDir()) / "blobs";
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().parent_path().filename() == "tmp") {
      ++out.temps;
    } else {
      out.blobs.insert(entry.path().filename().string());
    }
  }
  return out;
}

std::string sha256Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : mes::oauth::sha256(bytes)) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}
std::vector<Value> noticesAbout(const std::string& document) {
  return outboxNotices(*world().gw, "document", document);
}

std::vector<std::string> activity() { return activityRows(*world().gw, world().demoBrowser); }

}  // namespace

BOOST_AUTO_TEST_SUITE(documents)

BOOST_AUTO_TEST_CASE(metadata_lists_the_document_routes) {
  Value cs = jsonOf(world().gw->client().get("/fhir/metadata"));
  std::map<std::string, std::vector<std::string>> interactions;
  std::vector<std::string> params;
  for (const auto& res : cs.find("rest")->items()[0].find("resource")->items()) {
    const std::string type = stringOf(res, "type");
    for (const auto& i : res.find("interaction")->items()) interactions[type].push_back(stringOf(i, "code"));
    if (type == "DocumentReference") {
      for (const auto& p : res.find("searchParam")->items()) params.push_back(stringOf(p, "name"));
    }
  }
  BOOST_TEST(interactions["DocumentReference"] ==
                 (std::vector<std::string>{"read", "create", "delete", "search-type"}),
             boost::test_tools::per_element());
  BOOST_TEST(interactions["Binary"] == (std::vector<std::string>{"read"}), boost::test_tools::per_element());
  BOOST_TEST(params == (std::vector<std::string>{"patient", "subject", "patient.identifier",
                                                 "subject.identifier", "status", "type",
                                                 "category", "date", "period", "author",
                                                 "_count", "_offset"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(iti105_publish_read_retrieve_audit_and_notify) {
  HttpClient c = documentsApp();
  Doc doc;
  doc.extra = R"("meta":{"source":"urn:forged"},"id":"mine","author":[{"display":"Dr Faux"}],)";
  HttpResponse created = c.post("/fhir/DocumentReference", doc.inlineBody());
  const std::string id = createdId(created);
  BOOST_TEST(id != "mine");
  BOOST_TEST(created.header("ETag") == "W/\"1\"");
  BOOST_TEST(created.header("Location") ==
             world().gw->baseUrl() + "/fhir/DocumentReference/" + id + "/_history/1");
  Value stored = jsonOf(created);
  BOOST_TEST(stringOf(*stored.find("meta"), "source") == "urn:oid:1.2.250.1.999.1#demo-app");
  const Value& attachment = *stored.find("content")->items().at(0).find("attachment");
  BOOST_TEST(attachment.find("data") == nullptr);
  BOOST_TEST(stringOf(attachment, "hash") == sha1Base64(doc.bytes));
  const std::string binary = binaryOf(stored);
  // The author is the service, whatever the body said (SNR, gateway/document_service.h).
  const Value& author = stored.find("author")->items().at(0);
  BOOST_TEST(stringOf(author, "reference") == "Device/snr-demo-app");
  BOOST_TEST(stringOf(author, "display") == "Carnet Démo");
  BOOST_TEST(stored.find("author")->items().size() == 1u);

  HttpResponse read = c.get("/fhir/DocumentReference/" + id);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(read.body == created.body);

  HttpResponse raw = c.get("/fhir/" + binary);
  BOOST_TEST(raw.status == 200);
  BOOST_TEST(raw.body == doc.bytes);
  BOOST_TEST(raw.header("Content-Type") == "text/plain");
  BOOST_TEST(raw.header("Content-Length") == std::to_string(doc.bytes.size()));
  BOOST_TEST(raw.header("X-Content-Type-Options") == "nosniff");
  HttpResponse asFhir = c.get("/fhir/" + binary, {{"Accept", "application/fhir+json"}});
  BOOST_TEST(asFhir.status == 200);
  Value b = jsonOf(asFhir);
  BOOST_TEST(stringOf(b, "resourceType") == "Binary");
  BOOST_TEST(stringOf(b, "contentType") == "text/plain");
  BOOST_TEST(stringOf(b, "data") == mes::oauth::base64Encode(doc.bytes));
  BOOST_TEST(stringOf(*b.find("securityContext"), "reference") == "DocumentReference/" + id);
  BOOST_TEST(c.get("/fhir/" + binary + "?_format=json").status == 200);
  expectOutcome(c.get("/fhir/" + binary, {{"Accept", "image/png"}}), 406, "format-unsupported");
  expectOutcome(c.get("/fhir/Binary/never-was"), 404, "not-found");
  expectOutcome(c.get("/fhir/DocumentReference/never-was"), 404, "not-found");

  // The bytes are in the content-addressed store, not in a JSON row.
  BOOST_TEST(blobFiles(*world().gw).blobs.count(sha256Hex(doc.bytes)) == 1u);

  const auto notices = noticesAbout("DocumentReference/" + id);
  BOOST_TEST_REQUIRE(notices.size() == 1u);
  BOOST_TEST(stringOf(notices[0], "kind") == "document-created");
  BOOST_TEST(stringOf(notices[0], "recipient") == "demo");
  BOOST_TEST(stringOf(notices[0], "subject") == "Nouveau document ajouté par Carnet Démo");
  BOOST_TEST(stringOf(notices[0], "body").find(
                 "L’application Carnet Démo a ajouté un document à votre espace Mon espace santé : « CR ou "
                 "fiche de consultation ou de visite »") != std::string::npos,
             stringOf(notices[0], "body"));
  BOOST_TEST(stringOf(*notices[0].find("data"), "type") == "11488-4");

  const auto rows = activity();
  BOOST_TEST(listed(rows, "Carnet Démo a enregistré un document | réussi"));
  BOOST_TEST(listed(rows, "Carnet Démo a lu un document | réussi"));
  BOOST_TEST(listed(rows, "Carnet Démo a lu le contenu d'un document | réussi"));
}

BOOST_AUTO_TEST_CASE(a_15_mib_document_round_trip) {
  HttpClient c = documentsApp();
  c.setTimeoutMs(120000);
  Doc doc;
  doc.bytes = randomBytes(15u << 20, 15);
  doc.contentType = "application/pdf";
  HttpResponse created = c.post("/fhir/DocumentReference", doc.inlineBody());
  const std::string id = createdId(created);
  BOOST_TEST(created.body.size() < 4096u);  // the stored DocumentReference, without the bytes
  HttpResponse raw = c.get("/fhir/" + binaryOf(jsonOf(created)));
  BOOST_TEST_REQUIRE(raw.status == 200);
  BOOST_TEST(raw.header("Content-Length") == std::to_string(15u << 20));
  BOOST_TEST(raw.header("Content-Type") == "application/pdf");
  BOOST_TEST(raw.body.size() == doc.bytes.size());
  BOOST_TEST(sha1Base64(raw.body) == sha1Base64(doc.bytes));
  BOOST_TEST((raw.body == doc.bytes));
}

BOOST_AUTO_TEST_CASE(iti65_publication_is_one_transaction) {
  HttpClient c = documentsApp();
  Doc first;
  first.bytes = "premier document";
  Doc second;
  second.bytes = randomBytes(200000, 2);  // spooled: longer than the spool threshold
  second.contentType = "image/png";
  second.type = "52040-3";
  second.classCode = "31";
  HttpResponse r = c.post("/fhir", publication({first, second}));
  BOOST_TEST_REQUIRE(r.status == 200, r.body.substr(0, 400));
  Value bundle = jsonOf(r);
  BOOST_TEST(stringOf(bundle, "type") == "transaction-response");
  const auto& entries = bundle.find("entry")->items();
  BOOST_TEST_REQUIRE(entries.size() == 5u);
  std::vector<std::string> locations;
  for (const auto& e : entries) {
    BOOST_TEST(stringOf(*e.find("response"), "status") == "201 Created");
    locations.push_back(stringOf(*e.find("response"), "location"));
  }
  BOOST_TEST(locations[0].rfind("List/", 0) == 0);
  BOOST_TEST(locations[1].rfind("DocumentReference/", 0) == 0);
  BOOST_TEST(locations[2].rfind("Binary/", 0) == 0);
  BOOST_TEST(locations[3].rfind("DocumentReference/", 0) == 0);
  BOOST_TEST(locations[4].rfind("Binary/", 0) == 0);
  const std::string firstDoc = locations[1].substr(0, locations[1].find("/_history"));
  const std::string secondBinary = locations[4].substr(0, locations[4].find("/_history"));
  HttpResponse readFirst = c.get("/fhir/" + firstDoc);
  BOOST_TEST(readFirst.status == 200);
  BOOST_TEST(binaryOf(jsonOf(readFirst)) == locations[2].substr(0, locations[2].find("/_history")));
  HttpResponse bytes = c.get("/fhir/" + secondBinary);
  BOOST_TEST(bytes.status == 200);
  BOOST_TEST((bytes.body == second.bytes));
  BOOST_TEST(bytes.header("Content-Type") == "image/png");
  BOOST_TEST(noticesAbout(firstDoc).size() == 1u);
}

BOOST_AUTO_TEST_CASE(iti65_with_one_bad_document_stores_nothing) {
  HttpClient c = documentsApp();
  const auto before = blobFiles(*world().gw);
  const size_t total = idsOf(c.get("/fhir/DocumentReference?_count=100")).size();
  Doc good;
  good.bytes = randomBytes(150000, 3);
  Doc bad;
  bad.bytes = randomBytes(1000, 4);
  bad.hash = sha1Base64("something else");
  HttpResponse r = c.post("/fhir", publication({good, bad}));
  expectOutcome(r, 422, "attachment-hash-mismatch");
  BOOST_TEST(outcomeText(r).find("Bundle.entry[3].resource.content[0].attachment.hash") != std::string::npos,
             outcomeText(r));
  // Nothing written: no document, no blob of either document, no temporary file left.
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?_count=100")).size() == total);
  const auto after = blobFiles(*world().gw);
  BOOST_TEST(after.blobs.count(sha256Hex(good.bytes)) == 0u);
  BOOST_TEST(after.blobs == before.blobs);
  BOOST_TEST(after.temps == 0u);

  // The other shapes an ITI-65 Bundle may get wrong.
  Doc ok;
  std::string noList = publication({ok});
  noList.replace(noList.find("\"List\",\"status\""), 6, "\"Basic\"");
  noList.replace(noList.find("\"url\":\"List\""), 12, "\"url\":\"Basic\"");
  expectOutcome(c.post("/fhir", noList), 422, "entry-type-unsupported");
  std::string unlisted = publication({ok});
  unlisted.replace(unlisted.find("9d7c1a32-51e3-4d87-9953-9fcc9404eb20\"}}"), 36,
                   "9d7c1a32-51e3-4d87-9953-9fcc9404eb29");
  expectOutcome(c.post("/fhir", unlisted), 422, "submissionset-entry-unknown");
  std::string wrongBinary = publication({ok});
  wrongBinary.replace(wrongBinary.find("\"url\":\"urn:uuid:0c287d32"), 24, "\"url\":\"urn:uuid:1c287d32");
  expectOutcome(c.post("/fhir", wrongBinary), 422, "attachment-binary-missing");
  expectOutcome(c.post("/fhir", publication({ok}, "demo-2")), 403, "patient-mismatch");
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?_count=100")).size() == total);
}

BOOST_AUTO_TEST_CASE(measure_transactions_still_work_through_post_fhir) {
  World& w = world();
  HttpClient c = w.app(w.pair(w.request(kMeasureScopes)).accessToken);
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b9c6f1e-0000-4000-8000-000000000002","resource":)" +
      weightOf("demo") + R"(,"request":{"method":"POST","url":"Observation"}}]})";
  HttpResponse r = c.post("/fhir", bundle);
  BOOST_TEST(r.status == 200, r.body.substr(0, 300));
  BOOST_TEST(stringOf(*jsonOf(r).find("entry")->items().at(0).find("response"), "status") == "201 Created");
  // A measures token cannot publish documents.
  expectOutcome(c.post("/fhir", publication({Doc{}})), 403, "consent-missing");
  w.pair(w.request(kDocumentScopes));
}

struct BadDeposit {
  const char* what;
  std::function<std::string()> body;
  int status;
  const char* code;
  const char* inMessage = "";  // a word the diagnostics must contain
  const char* contentType = "application/fhir+json";
};
std::ostream& operator<<(std::ostream& os, const BadDeposit& b) { return os << b.what; }

const BadDeposit kBadDeposits[] = {
    {"size mismatch", [] { Doc d; d.size = 3; return d.inlineBody(); }, 422, "attachment-size-mismatch", "says 3 bytes"},
    {"hash mismatch", [] { Doc d; d.hash = sha1Base64("x"); return d.inlineBody(); }, 422, "attachment-hash-mismatch"},
    {"hash not SHA-1", [] { Doc d; d.hash = mes::oauth::base64Encode("short"); return d.inlineBody(); }, 422, "hash-not-sha1"},
    {"content type not allowed", [] { Doc d; d.contentType = "application/zip"; return d.inlineBody(); }, 415,
     "content-type-not-allowed"},
    {"category not a DMP class", [] { Doc d; d.classCode = "99"; return d.inlineBody(); }, 422, "document-class-unknown", "99"},
    {"type not in the table", [] { Doc d; d.type = "1234-5"; return d.inlineBody(); }, 422, "document-type-unknown", "1234-5"},
    {"status not current", [] { Doc d; std::string b = d.inlineBody(); b.replace(b.find("\"current\""), 9, "\"superseded\""); return b; },
     422, "status-invalid"},
    {"data not base64", [] { Doc d; return d.resource(R"("data":"not base64!")"); }, 400, "invalid-primitive"},
    {"data missing", [] { Doc d; return d.resource(R"("language":"fr")"); }, 422, "element-missing"},
    {"url instead of data", [] { Doc d; return d.resource(R"("url":"Binary/x")"); }, 422, "element-missing"},
    {"malformed JSON", [] { return std::string(R"({"resourceType":"DocumentReference",)"); }, 400, "json-malformed"},
    {"status of a wrong type", [] { Doc d; std::string b = d.inlineBody(); b.replace(b.find("\"current\""), 9, "7"); return b; },
     400, "invalid-type"},
    {"unknown element", [] { Doc d; d.extra = R"("folder":"x",)"; return d.inlineBody(); }, 400, "unknown-element"},
    {"not an object", [] { return std::string("[1,2]"); }, 400, "resource-not-object"},
    {"another resource type", [] { return std::string(R"({"resourceType":"Binary"})"); }, 400, "resource-type-mismatch"},
    {"wrong content type", [] { return Doc{}.inlineBody(); }, 415, "content-type-unsupported", "", "text/plain"},
    {"another patient", [] { Doc d; d.patient = "demo-2"; return d.inlineBody(); }, 403, "patient-mismatch"},
    {"unknown label", [] { Doc d; d.extra = R"("securityLabel":[{"coding":[{"system":"urn:x","code":"SECRET"}]}],)"; return d.inlineBody(); },
     422, "security-label-unknown"},
    {"nested too deep", [] {
       Doc d;
       std::string open;
       std::string close;
       for (int i = 0; i < 40; ++i) {
         open += R"({"extension":[)";
         close += "]}";
       }
       d.extra = R"("text":)" + open + "{}" + close + ",";
       return d.inlineBody();
     }, 400, "json-too-deep"},
    {"unknown subject", [] { Doc d; d.patient = "ghost"; return d.inlineBody(); }, 403, "patient-mismatch"},
};

BOOST_DATA_TEST_CASE(every_refusal_has_its_code_and_leaves_nothing, bdata::make(kBadDeposits), b) {
  HttpClient c = documentsApp();
  const auto before = blobFiles(*world().gw);
  HttpResponse r = c.post("/fhir/DocumentReference", b.body(), b.contentType);
  expectOutcome(r, b.status, b.code);
  BOOST_TEST(outcomeText(r).find(b.inMessage) != std::string::npos, outcomeText(r));
  const auto after = blobFiles(*world().gw);
  BOOST_TEST(after.blobs == before.blobs);
  BOOST_TEST(after.temps == 0u);
}

BOOST_AUTO_TEST_CASE(search_by_each_parameter_with_paging) {
  HttpClient c = documentsApp();
  auto make = [&](const std::string& type, const std::string& classCode, const std::string& date,
                  const std::string& extra = "") {
    Doc d;
    d.bytes = "search " + type + " " + date;
    d.type = type;
    d.classCode = classCode;
    d.date = date;
    d.extra = extra;
    return createdId(c.post("/fhir/DocumentReference", d.inlineBody()));
  };
  const std::string period = R"("context":{"period":{"start":"2030-01-05","end":"2030-01-10"}},)";
  const std::string a = make("11488-4", "10", "2030-02-01T10:00:00Z", period);
  const std::string b = make("60591-5", "11", "2030-02-05T10:00:00Z");
  const std::string d = make("57833-6", "42", "2030-02-10T10:00:00Z");
  const std::string feb = "&date=ge2030-02-01&date=lt2030-03-01";
  using V = std::vector<std::string>;
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?patient=demo" + feb)) == (V{d, b, a}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?patient=Patient/demo&status=current" + feb)) == (V{d, b, a}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?type=http://loinc.org%7C60591-5" + feb)) == (V{b}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?category=" + urlEncode(std::string(kClassSystem) + "|42") + feb)) == (V{d}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?date=2030-02-05")) == (V{b}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?period=ge2030-01-08" + feb)) == (V{a}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?period=lt2030-01-01" + feb)).empty());
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?author=Device/snr-demo-app" + feb)) == (V{d, b, a}));
  BOOST_TEST(idsOf(c.get("/fhir/DocumentReference?author=Device/snr-other" + feb)).empty());
  HttpResponse page = c.get("/fhir/DocumentReference?_count=2" + feb);
  BOOST_TEST(idsOf(page) == (V{d, b}));
  Value bundle = jsonOf(page);
  BOOST_TEST(bundle.find("total")->asInt().value_or(-1) == 3);
  std::map<std::string, std::string> links;
  for (const auto& l : bundle.find("link")->items()) links[stringOf(l, "relation")] = stringOf(l, "url");
  BOOST_TEST(links["self"].find("status=current") != std::string::npos, links["self"]);
  BOOST_TEST_REQUIRE(!links["next"].empty());
  BOOST_TEST(idsOf(c.get(pathOf(links["next"]))) == (V{a}));
  HttpResponse big = c.get("/fhir/DocumentReference?_count=101");
  expectOutcome(big, 400, "page-size-too-large");
  BOOST_TEST(outcomeText(big).find("Maximum page size allowed is 100") != std::string::npos);
  expectOutcome(c.get("/fhir/DocumentReference?status=final"), 400, "invalid-search-token");
  expectOutcome(c.get("/fhir/DocumentReference?code=x"), 400, "unknown-search-parameter");
  expectOutcome(c.get("/fhir/DocumentReference?patient=demo-2"), 403, "patient-mismatch");
}

BOOST_AUTO_TEST_CASE(another_patients_documents_do_not_exist_for_the_app) {
  World& w = world();
  HttpClient theirs = w.app(w.pair(w.request(kDocumentScopes), {}, &w.other).accessToken);
  Doc d;
  d.patient = "demo-2";
  d.bytes = "document of demo-2";
  HttpResponse created = theirs.post("/fhir/DocumentReference", d.inlineBody());
  const std::string id = createdId(created);
  const std::string binary = binaryOf(jsonOf(created));
  HttpClient mine = documentsApp();
  expectOutcome(mine.get("/fhir/DocumentReference/" + id), 404, "not-found");
  expectOutcome(mine.get("/fhir/" + binary), 404, "not-found");
  expectOutcome(mine.del("/fhir/DocumentReference/" + id), 404, "not-found");
  BOOST_TEST(mine.get("/fhir/DocumentReference?_count=100").body.find(id) == std::string::npos);
  BOOST_TEST(theirs.get("/fhir/" + binary).body == d.bytes);
  // Naming the other patient in a search, however it is named, is refused.
  const std::string theirIns = urlEncode("urn:oid:1.2.250.1.213.1.4.8|171077512345678");
  for (const std::string& query :
       std::vector<std::string>{"patient=demo-2", "subject=Patient/demo-2",
                                "patient.identifier=" + theirIns, "subject.identifier=" + theirIns,
                                "patient=demo&subject=demo-2"}) {
    HttpResponse r = mine.get("/fhir/DocumentReference?" + query);
    if (query == "patient=demo&subject=demo-2") {
      expectOutcome(r, 400, "conflicting-patient");
    } else {
      expectOutcome(r, 403, "patient-mismatch");
    }
  }
  // The app's own patient, by INS, finds its own documents only.
  HttpResponse own = mine.get("/fhir/DocumentReference?_count=100&patient.identifier=" +
                              urlEncode("urn:oid:1.2.250.1.213.1.4.8|248092A01234567"));
  BOOST_TEST_REQUIRE(own.status == 200);
  BOOST_TEST(own.body.find(id) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(deletion_is_logical_and_only_by_the_author) {
  World& w = world();
  addService(*w.gw, "docs-b", "https://docs-b.example/cb");
  HttpClient a = documentsApp();
  HttpClient b = w.app(w.pair(w.request(kDocumentScopes, "docs-b", "https://docs-b.example/cb")).accessToken);
  Doc d;
  d.bytes = "à retirer";
  HttpResponse created = a.post("/fhir/DocumentReference", d.inlineBody());
  const std::string id = createdId(created);
  const std::string binary = binaryOf(jsonOf(created));

  BOOST_TEST(b.get("/fhir/DocumentReference/" + id).status == 200);  // same patient: B reads it
  expectOutcome(b.del("/fhir/DocumentReference/" + id), 403, "not-author");
  expectOutcome(a.del("/fhir/DocumentReference/" + id, {{"If-Match", "W/\"7\""}}), 412, "version-conflict");
  HttpResponse removed = a.del("/fhir/DocumentReference/" + id);
  BOOST_TEST(removed.status == 204, removed.body);
  BOOST_TEST(removed.header("ETag") == "W/\"2\"");
  HttpResponse read = a.get("/fhir/DocumentReference/" + id);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(stringOf(jsonOf(read), "status") == "entered-in-error");
  BOOST_TEST(read.header("ETag") == "W/\"2\"");
  // The bytes stay stored (retention) but nobody gets them.
  expectOutcome(a.get("/fhir/" + binary), 404, "not-found");
  expectOutcome(b.get("/fhir/" + binary), 404, "not-found");
  BOOST_TEST(blobFiles(*w.gw).blobs.count(sha256Hex(d.bytes)) == 1u);
  BOOST_TEST(a.get("/fhir/DocumentReference?_count=100").body.find(id) == std::string::npos);
  BOOST_TEST(idsOf(a.get("/fhir/DocumentReference?status=entered-in-error&_count=100")).size() >= 1u);
  BOOST_TEST(a.get("/fhir/DocumentReference?status=entered-in-error&_count=100").body.find(id) != std::string::npos);
  // Withdrawing again changes nothing.
  HttpResponse again = a.del("/fhir/DocumentReference/" + id);
  BOOST_TEST(again.status == 204);
  BOOST_TEST(again.header("ETag") == "W/\"2\"");
  BOOST_TEST(listed(activity(), "Carnet Démo a supprimé un document | réussi"));
}

BOOST_AUTO_TEST_CASE(invisible_patient_is_hidden_masque_ps_is_shown) {
  HttpClient c = documentsApp();
  Doc hidden;
  hidden.bytes = "invisible";
  hidden.extra = visibility("INVISIBLE_PATIENT");
  HttpResponse created = c.post("/fhir/DocumentReference", hidden.inlineBody());
  const std::string hiddenId = createdId(created);
  const std::string hiddenBinary = binaryOf(jsonOf(created));
  expectOutcome(c.get("/fhir/DocumentReference/" + hiddenId), 404, "not-found");
  expectOutcome(c.get("/fhir/" + hiddenBinary), 404, "not-found");
  expectOutcome(c.del("/fhir/DocumentReference/" + hiddenId), 404, "not-found");
  BOOST_TEST(c.get("/fhir/DocumentReference?_count=100").body.find(hiddenId) == std::string::npos);
  BOOST_TEST(noticesAbout("DocumentReference/" + hiddenId).empty());  // not announced either

  Doc masked;
  masked.bytes = "masqué aux professionnels";
  masked.extra = visibility("MASQUE_PS");
  const std::string maskedId = createdId(c.post("/fhir/DocumentReference", masked.inlineBody()));
  HttpResponse read = c.get("/fhir/DocumentReference/" + maskedId);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(c.get("/fhir/" + binaryOf(jsonOf(read))).body == masked.bytes);
  BOOST_TEST(c.get("/fhir/DocumentReference?_count=100").body.find(maskedId) != std::string::npos);
}

// SPEC §1: documents.read = DocumentReference.rs + Binary.r; documents.deposit =
// DocumentReference.c + Binary.c (+ .d on its own documents).
BOOST_AUTO_TEST_CASE(scope_families_are_enforced) {
  World& w = world();
  HttpClient both = documentsApp();
  Doc d;
  d.bytes = "scopes";
  HttpResponse created = both.post("/fhir/DocumentReference", d.inlineBody());
  const std::string id = createdId(created);
  const std::string binary = binaryOf(jsonOf(created));

  HttpClient readOnly = w.app(w.pair(w.request(kDocumentScopes), {"documents.read"}).accessToken);
  BOOST_TEST(readOnly.get("/fhir/DocumentReference?patient=demo").status == 200);
  BOOST_TEST(readOnly.get("/fhir/DocumentReference/" + id).status == 200);
  BOOST_TEST(readOnly.get("/fhir/" + binary).status == 200);
  expectOutcome(readOnly.post("/fhir/DocumentReference", d.inlineBody()), 403, "consent-missing");
  expectOutcome(readOnly.post("/fhir", publication({d})), 403, "consent-missing");
  expectOutcome(readOnly.del("/fhir/DocumentReference/" + id), 403, "consent-missing");

  HttpClient depositOnly = w.app(w.pair(w.request(kDocumentScopes), {"documents.deposit"}).accessToken);
  expectOutcome(depositOnly.get("/fhir/DocumentReference?patient=demo"), 403, "consent-missing");
  expectOutcome(depositOnly.get("/fhir/DocumentReference/" + id), 403, "consent-missing");
  expectOutcome(depositOnly.get("/fhir/" + binary), 403, "consent-missing");
  Doc own;
  own.bytes = "deposit only";
  const std::string ownId = createdId(depositOnly.post("/fhir/DocumentReference", own.inlineBody()));
  BOOST_TEST(depositOnly.post("/fhir", publication({own})).status == 200);
  BOOST_TEST(depositOnly.del("/fhir/DocumentReference/" + ownId).status == 204);

  HttpClient neither = w.app(w.pair(w.request(std::string(kMeasureScopes) + " " + kDocumentScopes),
                                    {"mesures.read"}).accessToken);
  expectOutcome(neither.get("/fhir/DocumentReference?patient=demo"), 403, "consent-missing");
  expectOutcome(neither.get("/fhir/" + binary), 403, "consent-missing");
  expectOutcome(neither.post("/fhir/DocumentReference", d.inlineBody()), 403, "consent-missing");
  expectOutcome(neither.post("/fhir", publication({d})), 403, "consent-missing");
  expectOutcome(neither.del("/fhir/DocumentReference/" + id), 403, "consent-missing");
  w.pair(w.request(kDocumentScopes));  // the full pairing back for the other tests
  BOOST_TEST(both.get("/fhir/DocumentReference/" + id).status == 200);  // still there
}

// An upload without a valid token is refused from its head: nothing reaches the blob store.
BOOST_AUTO_TEST_CASE(refused_uploads_write_nothing) {
  World& w = world();
  const auto before = blobFiles(*w.gw);
  Doc d;
  d.bytes = randomBytes(3u << 20, 7);
  const std::string body = d.inlineBody();
  HttpClient anonymous = w.gw->client();
  HttpResponse none = anonymous.post("/fhir/DocumentReference", body);
  expectOutcome(none, 401, "token-missing");
  BOOST_TEST(!none.header("WWW-Authenticate").empty());
  expectOutcome(anonymous.post("/fhir/DocumentReference", body, "application/fhir+json",
                               {{"Authorization", "Bearer not.a.token"}}),
                401, "token-malformed");
  expectOutcome(anonymous.post("/fhir", publication({d})), 401, "token-missing");
  const auto after = blobFiles(*w.gw);
  BOOST_TEST(after.blobs == before.blobs);
  BOOST_TEST(after.temps == 0u);
  BOOST_TEST(after.blobs.count(sha256Hex(d.bytes)) == 0u);
  BOOST_TEST(w.gw->client().get("/healthz").status == 200);
}

// The size limit (documents.max_bytes) on a gateway of its own with a small limit.
BOOST_AUTO_TEST_CASE(documents_over_the_limit_are_413) {
  GatewayOptions options = longTokens();
  options.extraArgs.push_back("--documents-max-bytes");
  options.extraArgs.push_back("100000");
  GatewayProcess gw(options);
  DemoSeed seed = seedDemoData(gw.dataDir());
  HttpClient c = appClient(gw, pairDemo(gw, seed, kDocumentScopes).accessToken);
  Doc fits;
  fits.bytes = randomBytes(100000, 8);
  BOOST_TEST(c.post("/fhir/DocumentReference", fits.inlineBody()).status == 201);
  Doc over;
  over.bytes = randomBytes(100001, 9);
  HttpResponse r = c.post("/fhir/DocumentReference", over.inlineBody());
  expectOutcome(r, 413, "blob-too-large");
  BOOST_TEST(outcomeText(r).find("100000") != std::string::npos, outcomeText(r));
  expectOutcome(c.post("/fhir", publication({over})), 413, "blob-too-large");
  // A body past the route's limit is refused from its Content-Length.
  Doc huge;
  huge.bytes = randomBytes(1u << 20, 10);
  expectOutcome(c.post("/fhir/DocumentReference", huge.inlineBody()), 413, "body-too-large");
  // Chunked, without a Content-Length: counted as it arrives, so the document's own limit
  // trips first.
  std::string chunked;
  const std::string body = huge.inlineBody();
  for (size_t at = 0; at < body.size(); at += 0x10000) {
    const std::string piece = body.substr(at, 0x10000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    chunked += std::string(size) + "\r\n" + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  HttpResponse rc = c.request("POST", "/fhir/DocumentReference",
                              {{"Content-Type", "application/fhir+json"}, {"Transfer-Encoding", "chunked"}},
                              chunked);
  expectOutcome(rc, 413, "blob-too-large");
  const auto files = blobFiles(gw);
  BOOST_TEST(files.blobs.size() == 1u);  // the one that fit
  BOOST_TEST(files.temps == 0u);
  BOOST_TEST(c.get("/healthz").status == 200);
  // The start-up check was logged (an empty store), and the CLI agrees with the store now.
  BOOST_TEST(gw.log().find("\"msg\":\"blob store check\",\"blobs\":0") != std::string::npos, gw.log());
  CliResult check = runCli(gw.dataDir(), "blobs check");
  BOOST_TEST(check.status == 0, check.out);
  BOOST_TEST(check.out.find("\"blobs\": 1") != std::string::npos, check.out);
  BOOST_TEST(check.out.find("\"missing\": []") != std::string::npos, check.out);
}

BOOST_AUTO_TEST_CASE(blob_check_reports_a_missing_blob) {
  World& w = world();
  HttpClient c = documentsApp();
  Doc d;
  d.bytes = "blob that goes missing";
  const std::string binary = binaryOf(jsonOf(c.post("/fhir/DocumentReference", d.inlineBody())));
  const std::string name = sha256Hex(d.bytes);
  const fs::path file = fs::path(w.gw->dataDir()) / "blobs" / name.substr(0, 2) / name;
  BOOST_TEST_REQUIRE(fs::exists(file));
  fs::rename(file, file.string() + ".away");
  CliResult check = runCli(w.gw->dataDir(), "blobs check");
  BOOST_TEST(check.status == 1, check.out);
  BOOST_TEST(check.out.find(binary + " " + name) != std::string::npos, check.out);
  HttpResponse r = c.get("/fhir/" + binary);
  BOOST_TEST(r.status == 500);
  fs::rename(file.string() + ".away", file);
  BOOST_TEST(c.get("/fhir/" + binary).body == d.bytes);
}

BOOST_AUTO_TEST_SUITE_END()
