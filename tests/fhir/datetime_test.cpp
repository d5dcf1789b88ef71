#include "fhir/types/datetime.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

using namespace mes::fhir;
namespace bdata = boost::unit_test::data;

namespace {
struct Case {
  const char* text;
  DateTimeForm form;
  bool ok;
  const char* low;   // formatInstant of lowMs when ok
  const char* high;  // formatInstant of highMs when ok
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.text; }

const Case kCases[] = {
    {"2024", DateTimeForm::kDateTime, true, "2024-01-01T00:00:00.000Z", "2024-12-31T23:59:59.999Z"},
    {"2024-02", DateTimeForm::kDateTime, true, "2024-02-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z"},
    {"2023-12", DateTimeForm::kDateTime, true, "2023-12-01T00:00:00.000Z", "2023-12-31T23:59:59.999Z"},
    {"2024-05-03", DateTimeForm::kDate, true, "2024-05-03T00:00:00.000Z", "2024-05-03T23:59:59.999Z"},
    {"2024-05-03T10:20:30+02:00", DateTimeForm::kDateTime, true, "2024-05-03T08:20:30.000Z", "2024-05-03T08:20:30.999Z"},
    {"2024-05-03T10:20:30.25Z", DateTimeForm::kInstant, true, "2024-05-03T10:20:30.250Z", "2024-05-03T10:20:30.250Z"},
    {"2024-12-31T23:30:00-01:00", DateTimeForm::kDateTime, true, "2025-01-01T00:30:00.000Z", "2025-01-01T00:30:00.999Z"},
    {"2024-05-03T10:20", DateTimeForm::kSearchValue, true, "2024-05-03T10:20:00.000Z", "2024-05-03T10:20:59.999Z"},
    {"2024-05-03T10:20:30", DateTimeForm::kDateTime, false, "", ""},  // time without offset
    {"2024-05-03T10:20Z", DateTimeForm::kDateTime, false, "", ""},    // no seconds
    {"2024-02-30", DateTimeForm::kDateTime, false, "", ""},
    {"2023-02-29", DateTimeForm::kDateTime, false, "", ""},
    {"2024-13", DateTimeForm::kDateTime, false, "", ""},
    {"24-01-01", DateTimeForm::kDateTime, false, "", ""},
    {"2024-05-03", DateTimeForm::kInstant, false, "", ""},
    {"2024-05-03T10:20:30Z", DateTimeForm::kDate, false, "", ""},
    {"2024-05-03T25:00:00Z", DateTimeForm::kDateTime, false, "", ""},
    {"2024-05-03T10:20:30+2:00", DateTimeForm::kDateTime, false, "", ""},
    {"", DateTimeForm::kDateTime, false, "", ""},
    {"2024-05-03 10:20:30Z", DateTimeForm::kDateTime, false, "", ""},
    // Found by fuzz_datetime: offsets must not move a time out of years 1-9999.
    {"0001-01-01T08:31+14:00", DateTimeForm::kSearchValue, false, "", ""},
    {"9999-12-31T23:59:59-00:01", DateTimeForm::kDateTime, false, "", ""},
    {"0001-01-01T00:00:00Z", DateTimeForm::kInstant, true, "0001-01-01T00:00:00.000Z", "0001-01-01T00:00:00.999Z"},
    {"9999-12-31T23:59:59.999Z", DateTimeForm::kInstant, true, "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
};
}  // namespace

BOOST_AUTO_TEST_SUITE(datetime)

BOOST_DATA_TEST_CASE(parse_table, bdata::make(kCases), c) {
  auto r = parseDateTime(c.text, c.form);
  BOOST_TEST(r.isOk() == c.ok);
  if (r.isOk() && c.ok) {
    BOOST_TEST(formatInstant(r->lowMs) == c.low);
    BOOST_TEST(formatInstant(r->highMs) == c.high);
  }
  if (!r.isOk()) {
    BOOST_TEST(r.error().code() == "invalid-datetime");
  }
}

BOOST_AUTO_TEST_CASE(http_date) {
  // RFC 9110's example.
  auto r = parseDateTime("1994-11-06T08:49:37Z", DateTimeForm::kInstant);
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(formatHttpDate(r->lowMs) == "Sun, 06 Nov 1994 08:49:37 GMT");
}

BOOST_AUTO_TEST_SUITE_END()
