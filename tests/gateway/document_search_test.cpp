// GET /fhir/DocumentReference parameters (gateway/document_search.h): a table of queries and
// what they give, then every parameter run against a real store of documents indexed as the
// gateway indexes them (gateway/resource_index.h).
#include "gateway/document_search.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "fhir/types/datetime.h"
#include "gateway/fhir_response.h"
#include "gateway/http/message.h"
#include "gateway/observation_search.h"
#include "gateway/resource_index.h"

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;

namespace {

int64_t at(const char* instant) {
  return mes::fhir::parseDateTime(instant, mes::fhir::DateTimeForm::kInstant).value().lowMs;
}

const int64_t kNow = at("2026-11-23T12:00:00Z");

struct ParseCase {
  const char* query;
  const char* error;  // "" = accepted; else the error code
};
std::ostream& operator<<(std::ostream& os, const ParseCase& c) { return os << c.query; }

// clang-format off
const ParseCase kParseCases[] = {
    {"", ""},
    {"patient=demo", ""},
    {"patient=Patient/demo", ""},
    {"patient=demo&patient=demo-2", "conflicting-patient"},
    {"patient=a,b", "invalid-search-reference"},
    {"patient:missing=true", "unsupported-modifier"},
    {"status=current", ""},
    {"status=current,entered-in-error", ""},
    {"status=http://hl7.org/fhir/document-reference-status|superseded", ""},
    {"status=final", "invalid-search-token"},
    {"status=urn:other|current", "invalid-search-token"},
    {"type=http://loinc.org|11488-4", ""},
    {"type=11488-4,60591-5", ""},
    {"type=", "invalid-search-token"},
    {"category=https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument|10", ""},
    {"category:text=compte", "unsupported-modifier"},
    {"date=2026-12-01", ""},
    {"date=ge2026-12-01&date=lt2026-12-02", ""},
    {"date=sa2026-12-01", ""},
    {"date=xx2026-12-01", "invalid-search-date"},
    {"date=2026-13-01", "invalid-search-date"},
    {"period=ge2026-01-01", ""},
    {"period=ap2026-06-01", ""},
    {"period=june", "invalid-search-date"},
    {"author=Device/snr-demo-app", ""},
    {"author=snr-demo-app,Device/other", ""},
    {"author=Device/", "invalid-search-reference"},
    {"author=a/b/c", "invalid-search-reference"},
    {"_count=100", ""},
    {"_count=101", "page-size-too-large"},
    {"_count=-1", "invalid-search-number"},
    {"_count=1&_count=2", "duplicate-parameter"},
    {"_offset=x", "invalid-search-number"},
    {"_format=json&_pretty=true", ""},
    {"subject=Patient/demo", ""},
    {"patient=demo&subject=demo-2", "conflicting-patient"},
    {"patient.identifier=urn:oid:1.2.250.1.213.1.4.8|248092A01234567", ""},
    {"subject.identifier=urn:oid:1.2.250.1.213.1.4.8|248092A01234567", ""},
    {"patient.identifier=248092A01234567", "invalid-search-token"},
    {"patient.identifier=a|1&subject.identifier=a|1", "duplicate-parameter"},
    {"patient:missing=true", "unsupported-modifier"},
    {"patient.name=Martin", "unknown-search-parameter"},
    {"_sort=date", "unknown-search-parameter"},
    {"_visibility=patient", "unknown-search-parameter"},
    {"code=29463-7", "unknown-search-parameter"},
};
// clang-format on

constexpr const char* kClass =
    "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";

// A SQLite store holding documents indexed as the gateway indexes them.
struct Store {
  Store() : clock(kNow) {
    auto opened = mes::store::SqliteRepository::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().detail);
    repo = std::move(opened).value();
  }

  // `extra`: JSON members added to the document.
  void add(const std::string& id, const std::string& type, const std::string& classCode,
           const std::string& date, const std::string& extra = "",
           const std::string& status = "current", const std::string& patient = "demo") {
    const std::string json =
        R"({"resourceType":"DocumentReference","status":")" + status +
        R"(","type":{"coding":[{"system":"http://loinc.org","code":")" + type +
        R"("}]},"category":[{"coding":[{"system":")" + kClass + R"(","code":")" + classCode +
        R"("}]}],"subject":{"reference":"Patient/)" + patient + R"("},"date":")" + date + "\"" +
        (extra.empty() ? "" : "," + extra) + "}";
    auto value = mes::fhir::parseJson(json);
    BOOST_REQUIRE_MESSAGE(value.isOk(), json);
    mes::store::WriteRequest request;
    request.type = "DocumentReference";
    request.id = id;
    request.index = indexRowsFor("DocumentReference", id, *value);
    auto shared = std::make_shared<mes::fhir::Value>(std::move(*value));
    request.render = [shared, id](int64_t v, int64_t t) -> mes::Result<std::string> {
      return stampedJson(*shared, id, v, t, {});
    };
    BOOST_REQUIRE(repo->create(request).isOk());
  }

  // The ids a query string finds (with the visibility filter the gateway adds), in order.
  std::string find(const std::string& query) {
    auto search = parseDocumentSearch(mes::http::parseQuery(query), kNow);
    BOOST_REQUIRE_MESSAGE(search.isOk(), query + ": " + (search.isOk() ? "" : search.error().code()));
    search->query.tokens.push_back({kVisibilityToken, {{"", kVisibleToPatient}}});
    auto page = repo->search(search->query);
    BOOST_REQUIRE(page.isOk());
    std::string out;
    for (const auto& r : page->records) out += (out.empty() ? "" : " ") + r.id;
    return out;
  }

  mes::test::TempDir dir{"mes-document-search"};
  mes::ManualClock clock;
  std::unique_ptr<mes::store::SqliteRepository> repo;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(document_search)

BOOST_DATA_TEST_CASE(parameters, bdata::make(kParseCases), c) {
  auto parsed = parseDocumentSearch(mes::http::parseQuery(c.query), kNow);
  if (std::string(c.error).empty()) {
    BOOST_TEST(parsed.isOk(), (parsed.isOk() ? "" : parsed.error().code()));
  } else {
    BOOST_REQUIRE(!parsed.isOk());
    BOOST_TEST(parsed.error().code() == c.error);
    BOOST_TEST(mes::httpStatusOf(parsed.error().kind) == 400);
  }
}

BOOST_AUTO_TEST_CASE(defaults_and_links) {
  auto parsed = parseDocumentSearch(
      mes::http::parseQuery("type=11488-4&_count=10&_offset=20&_pretty=true"), kNow);
  BOOST_REQUIRE(parsed.isOk());
  BOOST_TEST(parsed->query.type == "DocumentReference");
  BOOST_TEST((parsed->query.sort == mes::store::SortOrder::kDateDesc));
  BOOST_TEST(parsed->query.count == 10);
  BOOST_TEST(parsed->query.offset == 20);
  BOOST_TEST(parsed->pretty);
  // The default status is applied and shows in the links; paging and format do not.
  BOOST_REQUIRE(parsed->linkParams.size() == 2u);
  BOOST_TEST(parsed->linkParams[0].first == "type");
  BOOST_TEST(parsed->linkParams[1].first == "status");
  BOOST_TEST(parsed->linkParams[1].second == "current");
  auto explicitStatus = parseDocumentSearch(mes::http::parseQuery("status=entered-in-error"), kNow);
  BOOST_REQUIRE(explicitStatus.isOk());
  BOOST_REQUIRE(explicitStatus->query.tokens.size() == 1u);
  BOOST_TEST(explicitStatus->query.tokens[0].anyOf[0].code == "entered-in-error");
  auto defaults = parseDocumentSearch({}, kNow);
  BOOST_REQUIRE(defaults.isOk());
  BOOST_TEST(defaults->query.count == kDefaultPageSize);
  BOOST_TEST(!defaults->query.patient.has_value());
}

BOOST_AUTO_TEST_CASE(every_parameter_against_a_store) {
  Store s;
  const std::string device = R"("author":[{"reference":"Device/snr-a","type":"Device"}])";
  s.add("cr", "11488-4", "10", "2026-11-01T10:00:00Z",
        device + R"(,"context":{"period":{"start":"2026-10-01","end":"2026-10-15"}})");
  s.add("synthese", "60591-5", "11", "2026-11-05T10:00:00Z",
        R"("author":[{"reference":"Device/snr-b"}],"context":{"period":{"start":"2026-10-10"}})");
  s.add("ordonnance", "57833-6", "42", "2026-11-10T10:00:00Z", device);
  s.add("retire", "11488-4", "10", "2026-11-12T10:00:00Z", device, "entered-in-error");
  s.add("remplace", "11488-4", "10", "2026-11-13T10:00:00Z", device, "superseded");
  s.add("cache", "11488-4", "10", "2026-11-14T10:00:00Z",
        R"("securityLabel":[{"coding":[{"system":"https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument","code":"INVISIBLE_PATIENT"}]}])");
  s.add("masque", "11488-4", "10", "2026-11-15T10:00:00Z",
        R"("securityLabel":[{"coding":[{"system":"https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument","code":"MASQUE_PS"}]}])");
  s.add("autre", "11488-4", "10", "2026-11-02T10:00:00Z", device, "current", "demo-2");

  // Default: current only, newest first; INVISIBLE_PATIENT never, MASQUE_PS shown.
  BOOST_TEST(s.find("patient=demo") == "masque ordonnance synthese cr");
  BOOST_TEST(s.find("patient=demo&status=entered-in-error") == "retire");
  BOOST_TEST(s.find("patient=demo&status=current,superseded") ==
             "masque remplace ordonnance synthese cr");
  BOOST_TEST(s.find("patient=demo&type=http://loinc.org|11488-4") == "masque cr");
  BOOST_TEST(s.find("patient=demo&type=57833-6,60591-5") == "ordonnance synthese");
  BOOST_TEST(s.find(std::string("patient=demo&category=") + kClass + "|42") == "ordonnance");
  BOOST_TEST(s.find("patient=demo&category=11") == "synthese");
  BOOST_TEST(s.find("patient=demo&date=ge2026-11-05&date=lt2026-11-11") == "ordonnance synthese");
  BOOST_TEST(s.find("patient=demo&date=2026-11-01") == "cr");
  BOOST_TEST(s.find("patient=demo&date=sa2026-11-10") == "masque");
  // period is context.period, not date; an open end reaches the future.
  BOOST_TEST(s.find("patient=demo&period=ge2026-10-14") == "synthese cr");
  BOOST_TEST(s.find("patient=demo&period=lt2026-10-05") == "cr");
  BOOST_TEST(s.find("patient=demo&period=gt2027-01-01") == "synthese");
  BOOST_TEST(s.find("patient=demo&period=2026-11-01").empty());
  BOOST_TEST(s.find("patient=demo&author=Device/snr-a") == "ordonnance cr");
  BOOST_TEST(s.find("patient=demo&author=snr-b") == "synthese");
  BOOST_TEST(s.find("patient=demo&_count=2") == "masque ordonnance");
  BOOST_TEST(s.find("patient=demo&_count=2&_offset=2") == "synthese cr");
  BOOST_TEST(s.find("patient=demo-2") == "autre");
}

BOOST_AUTO_TEST_SUITE_END()
