#include "gateway/http/message.h"

#include <boost/test/unit_test.hpp>

using namespace mes::http;

BOOST_AUTO_TEST_SUITE(http_message)

BOOST_AUTO_TEST_CASE(query_parsing_decodes_and_keeps_repeats) {
  auto q = parseQuery("date=ge2024-01-01&date=lt2024-02-01&code=http%3A%2F%2Floinc.org%7C29463-7&a%20b=c+d&flag&=x&bad=%zz");
  BOOST_REQUIRE_EQUAL(q.size(), 7u);
  BOOST_TEST(q[0].second == "ge2024-01-01");
  BOOST_TEST(q[1].second == "lt2024-02-01");
  BOOST_TEST(q[2].second == "http://loinc.org|29463-7");
  BOOST_TEST(q[3].first == "a b");
  BOOST_TEST(q[3].second == "c+d");
  BOOST_TEST(q[4].first == "flag");
  BOOST_TEST(q[4].second.empty());
  BOOST_TEST(q[6].second == "%zz");
}

BOOST_AUTO_TEST_CASE(headers_are_case_insensitive) {
  Headers h;
  h.add("Content-Type", "application/fhir+json");
  h.add("X-A", "1");
  BOOST_TEST(h.get("content-type") == "application/fhir+json");
  BOOST_TEST(h.has("x-a"));
  h.set("x-a", "2");
  BOOST_TEST(h.get("X-A") == "2");
  BOOST_TEST(h.all().size() == 2u);
  BOOST_TEST(h.get("missing").empty());
}

BOOST_AUTO_TEST_CASE(per_hop_headers_are_the_connections_own) {
  for (const char* name : {"Host", "content-length", "CONNECTION", "Transfer-Encoding", "Keep-Alive"}) {
    BOOST_TEST(isPerHopHeader(name), name);
  }
  for (const char* name : {"Authorization", "Content-Type", "Location", "Retry-After", "ETag"}) {
    BOOST_TEST(!isPerHopHeader(name), name);
  }
}

BOOST_AUTO_TEST_CASE(percent_encoding_round_trip) {
  const std::string s = "http://loinc.org|29463-7 é";
  BOOST_TEST(percentDecode(percentEncode(s), false) == s);
  BOOST_TEST(percentEncode("a-b_c.d~") == "a-b_c.d~");
}

BOOST_AUTO_TEST_SUITE_END()
