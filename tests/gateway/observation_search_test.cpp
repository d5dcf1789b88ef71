#include "gateway/observation_search.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;
using Params = std::vector<std::pair<std::string, std::string>>;

namespace {
struct BadCase {
  const char* name;
  Params params;
  const char* code;
  const char* mentions;
};
std::ostream& operator<<(std::ostream& os, const BadCase& c) { return os << c.name; }

const BadCase kBad[] = {
    {"unknown parameter", {{"colour", "red"}}, "unknown-search-parameter", "colour"},
    {"count above 100", {{"_count", "500"}}, "page-size-too-large", "Maximum page size allowed is 100"},
    {"negative offset", {{"_offset", "-1"}}, "invalid-search-number", "_offset"},
    {"non-numeric count", {{"_count", "ten"}}, "invalid-search-number", "_count"},
    {"bad prefix", {{"date", "xx2024-01-01"}}, "invalid-search-date", "xx"},
    {"unsupported prefix", {{"date", "ap2024-01-01"}}, "unsupported-prefix", "ap"},
    {"bad date", {{"date", "ge2024-13-01"}}, "invalid-search-date", "2024-13-01"},
    {"unknown sort", {{"_sort", "value"}}, "unsupported-sort", "value"},
    {"unknown include", {{"_include", "Observation:subject"}}, "unsupported-include", "Observation:subject"},
    {"modifier", {{"code:text", "weight"}}, "unsupported-modifier", ":text"},
    {"modifier on _count", {{"_count:foo", "5"}}, "unsupported-modifier", ":foo"},
    {"offset too large", {{"_offset", "1000000001"}}, "invalid-search-number", "_offset"},
    {"two patients", {{"patient", "a"}, {"subject", "Patient/b"}}, "conflicting-patient", "subject"},
    {"identifier without system", {{"subject.identifier", "123"}}, "invalid-search-token", "subject.identifier"},
    {"empty code", {{"code", "http://loinc.org|"}}, "invalid-search-token", "code"},
};
}  // namespace

BOOST_AUTO_TEST_SUITE(observation_search)

BOOST_DATA_TEST_CASE(refused_with_a_message_naming_the_parameter, bdata::make(kBad), c) {
  auto r = parseObservationSearch(c.params);
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == c.code);
  BOOST_TEST(r.error().problems[0].message.find(c.mentions) != std::string::npos,
             r.error().problems[0].message);
  BOOST_TEST(static_cast<int>(r.error().kind) == static_cast<int>(mes::ErrorKind::kInvalid));
}

BOOST_AUTO_TEST_CASE(last_measure_query) {
  auto r = parseObservationSearch(
      {{"patient", "Patient/p1"}, {"code", "http://loinc.org|29463-7,8302-2"}, {"_sort", "-date"}, {"_count", "1"}});
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(*r->query.patient == "p1");
  BOOST_REQUIRE_EQUAL(r->query.tokens.size(), 1u);
  BOOST_REQUIRE_EQUAL(r->query.tokens[0].anyOf.size(), 2u);
  BOOST_TEST(*r->query.tokens[0].anyOf[0].system == "http://loinc.org");
  BOOST_TEST(r->query.tokens[0].anyOf[1].code == "8302-2");
  BOOST_TEST(r->query.count == 1);
  BOOST_TEST((r->query.sort == mes::store::SortOrder::kDateDesc));
  // Links keep the parameters but not the window.
  BOOST_REQUIRE_EQUAL(r->linkParams.size(), 3u);
}

BOOST_AUTO_TEST_CASE(defaults) {
  auto r = parseObservationSearch({});
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(r->query.count == kDefaultPageSize);
  BOOST_TEST(r->query.offset == 0);
  BOOST_TEST(!r->query.patient.has_value());
  BOOST_TEST(parseObservationSearch({{"_count", "100"}}).isOk());
  BOOST_TEST(parseObservationSearch({{"_count", "0"}}).isOk());
  BOOST_TEST(parseObservationSearch({{"_format", "json"}, {"_pretty", "true"}})->pretty);
}

BOOST_AUTO_TEST_CASE(date_range_becomes_two_filters) {
  auto r = parseObservationSearch({{"date", "ge2024-01-01"}, {"date", "lt2024-02-01"}});
  BOOST_REQUIRE(r.isOk());
  BOOST_REQUIRE_EQUAL(r->query.dates.size(), 2u);
  const auto& ge = r->query.dates[0].allOf;
  BOOST_REQUIRE_EQUAL(ge.size(), 1u);
  BOOST_TEST((ge[0].column == mes::store::DateBound::Column::kHigh));
  BOOST_TEST((ge[0].op == mes::store::DateBound::Op::kGe));
  const auto& lt = r->query.dates[1].allOf;
  BOOST_TEST((lt[0].column == mes::store::DateBound::Column::kLow));
  BOOST_TEST((lt[0].op == mes::store::DateBound::Op::kLt));
}

BOOST_AUTO_TEST_CASE(eq_and_ne) {
  auto day = mes::fhir::parseDateParam("date", "2024-05-03");
  BOOST_REQUIRE(day.isOk());
  auto eq = dateFilterFor(*day, mes::store::DateFilter::Target::kDate);
  BOOST_TEST(!eq.negate);
  BOOST_REQUIRE_EQUAL(eq.allOf.size(), 2u);
  BOOST_TEST(eq.allOf[0].valueMs == day->value.lowMs);
  BOOST_TEST(eq.allOf[1].valueMs == day->value.highMs);
  auto ne = dateFilterFor(*mes::fhir::parseDateParam("date", "ne2024-05-03"),
                          mes::store::DateFilter::Target::kDate);
  BOOST_TEST(ne.negate);
}

BOOST_AUTO_TEST_SUITE_END()
