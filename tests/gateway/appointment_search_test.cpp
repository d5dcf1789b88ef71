// GET /fhir/Appointment parameters (gateway/appointment_search.h): a table of queries and what
// they give, and the date prefixes run against a real store of appointments.
#include "gateway/appointment_search.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <ostream>
#include <set>
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
    {"status=booked", ""},
    {"status=booked,cancelled", ""},
    {"status=http://hl7.org/fhir/appointmentstatus|booked", ""},
    {"status=confirmed", "invalid-search-token"},
    {"status=urn:other|booked", "invalid-search-token"},
    {"identifier=urn:oid:1.2.3|rdv-1", ""},
    {"identifier=rdv-1", ""},
    {"identifier=", "invalid-search-token"},
    {"date=2026-12-01", ""},
    {"date=ge2026-12-01&date=lt2026-12-02", ""},
    {"date=ne2026-12-01", ""},
    {"date=sa2026-12-01", ""},
    {"date=eb2026-12-01T10:00:00Z", ""},
    {"date=ap2026-12-01", ""},
    {"date=xx2026-12-01", "invalid-search-date"},
    {"date=saeq2026-12-01", "invalid-search-date"},
    {"date=sa", "invalid-search-date"},
    {"date=2026-13-01", "invalid-search-date"},
    {"_lastUpdated=ge2026-01-01", ""},
    {"_sort=date", ""},
    {"_sort=-date", ""},
    {"_sort=status", "unsupported-sort"},
    {"_sort=date&_sort=-date", "duplicate-parameter"},
    {"_count=100", ""},
    {"_count=101", "page-size-too-large"},
    {"_count=-1", "invalid-search-number"},
    {"_offset=x", "invalid-search-number"},
    {"_format=json&_pretty=true", ""},
    {"code=29463-7", "unknown-search-parameter"},
    {"subject=Patient/demo", "unknown-search-parameter"},
    {"patient.identifier=urn:oid:1.2.250.1.213.1.4.8|248092A01234567", ""},
    {"subject.identifier=urn:oid:1.2.250.1.213.1.4.8|248092A01234567", "unknown-search-parameter"},
    {"patient.identifier=|248092A01234567", "invalid-search-token"},
    {"_include=Appointment:actor", "unknown-search-parameter"},
};
// clang-format on

// A SQLite store holding appointments indexed as the gateway indexes them.
struct Store {
  Store() : clock(kNow) {
    auto opened = mes::store::SqliteRepository::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().detail);
    repo = std::move(opened).value();
  }

  void add(const std::string& id, const std::string& start, const std::string& end,
           const std::string& status = "booked", const std::string& patient = "demo") {
    const std::string json =
        R"({"resourceType":"Appointment","status":")" + status + R"(","start":")" + start +
        R"(","end":")" + end + R"(","participant":[{"actor":{"reference":"Patient/)" + patient +
        R"("},"status":"accepted"}]})";
    auto value = mes::fhir::parseJson(json);
    BOOST_REQUIRE(value.isOk());
    mes::store::WriteRequest request;
    request.type = "Appointment";
    request.id = id;
    request.index = indexRowsFor("Appointment", id, *value);
    auto shared = std::make_shared<mes::fhir::Value>(std::move(*value));
    request.render = [shared, id](int64_t v, int64_t t) -> mes::Result<std::string> {
      return stampedJson(*shared, id, v, t, {});
    };
    BOOST_REQUIRE(repo->create(request).isOk());
  }

  // The ids a query string finds, in order, joined by spaces.
  std::string find(const std::string& query) {
    auto search = parseAppointmentSearch(mes::http::parseQuery(query), kNow);
    BOOST_REQUIRE_MESSAGE(search.isOk(), query);
    auto page = repo->search(search->query);
    BOOST_REQUIRE(page.isOk());
    std::string out;
    for (const auto& r : page->records) out += (out.empty() ? "" : " ") + r.id;
    return out;
  }

  mes::test::TempDir dir{"mes-agenda-search"};
  mes::ManualClock clock;
  std::unique_ptr<mes::store::SqliteRepository> repo;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(appointment_search)

BOOST_DATA_TEST_CASE(parameters, bdata::make(kParseCases), c) {
  auto parsed = parseAppointmentSearch(mes::http::parseQuery(c.query), kNow);
  if (std::string(c.error).empty()) {
    BOOST_TEST(parsed.isOk(), (parsed.isOk() ? "" : parsed.error().code()));
  } else {
    BOOST_REQUIRE(!parsed.isOk());
    BOOST_TEST(parsed.error().code() == c.error);
    BOOST_TEST(mes::httpStatusOf(parsed.error().kind) == 400);
  }
}

BOOST_AUTO_TEST_CASE(defaults_and_links) {
  auto parsed = parseAppointmentSearch(
      mes::http::parseQuery("status=booked&_count=10&_offset=20&_pretty=true"), kNow);
  BOOST_REQUIRE(parsed.isOk());
  BOOST_TEST(parsed->query.type == "Appointment");
  BOOST_TEST((parsed->query.sort == mes::store::SortOrder::kDateAsc));
  BOOST_TEST(parsed->query.count == 10);
  BOOST_TEST(parsed->query.offset == 20);
  BOOST_TEST(parsed->pretty);
  BOOST_REQUIRE(parsed->linkParams.size() == 1u);  // paging and format are not link params
  BOOST_TEST(parsed->linkParams[0].first == "status");
  auto defaults = parseAppointmentSearch({}, kNow);
  BOOST_REQUIRE(defaults.isOk());
  BOOST_TEST(defaults->query.count == kDefaultPageSize);
  BOOST_TEST(!defaults->query.patient.has_value());
}

// The nine prefixes on [start, end] ranges (FHIR search, "date" on a Period).
BOOST_AUTO_TEST_CASE(date_prefixes_on_appointment_ranges) {
  Store s;
  s.add("morning", "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z");
  s.add("noon", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z", "cancelled");
  s.add("overnight", "2026-12-01T23:00:00Z", "2026-12-02T01:00:00Z");
  s.add("next-week", "2026-12-08T10:00:00Z", "2026-12-08T10:30:00Z");
  s.add("theirs", "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z", "booked", "demo-2");

  BOOST_TEST(s.find("patient=demo") == "morning noon overnight next-week");
  BOOST_TEST(s.find("patient=demo&_sort=-date") == "next-week overnight noon morning");
  // eq: within the day.
  BOOST_TEST(s.find("patient=demo&date=2026-12-01") == "morning noon");
  BOOST_TEST(s.find("patient=demo&date=ne2026-12-01") == "overnight next-week");
  BOOST_TEST(s.find("patient=demo&date=ge2026-12-01T12:00:00Z&date=lt2026-12-02") ==
             "noon overnight");
  BOOST_TEST(s.find("patient=demo&date=gt2026-12-01") == "overnight next-week");
  BOOST_TEST(s.find("patient=demo&date=le2026-12-01T09:00:00Z") == "morning");
  // sa: starts after the value; eb: ends before it.
  BOOST_TEST(s.find("patient=demo&date=sa2026-12-01T12:00:00Z") == "overnight next-week");
  BOOST_TEST(s.find("patient=demo&date=sa2026-12-01") == "next-week");
  BOOST_TEST(s.find("patient=demo&date=eb2026-12-01T13:00:00Z") == "morning");
  BOOST_TEST(s.find("patient=demo&date=eb2026-12-02") == "morning noon");
  // ap: about a week from now, so the one-day minimum margin: the 1st, not the 8th.
  BOOST_TEST(s.find("patient=demo&date=ap2026-11-30T23:30:00Z") == "morning noon overnight");
  BOOST_TEST(s.find("patient=demo&date=ap2026-11-30T12:00:00Z") == "morning noon");
  BOOST_TEST(s.find("patient=demo&date=ap2026-12-08") == "next-week");
  BOOST_TEST(s.find("patient=demo&status=cancelled") == "noon");
  BOOST_TEST(s.find("patient=demo&status=booked,cancelled&_count=2") == "morning noon");
  BOOST_TEST(s.find("patient=demo&status=booked&_count=2&_offset=2") == "next-week");
}

BOOST_AUTO_TEST_SUITE_END()
