#include "fhir/json/json.h"

#include <boost/test/unit_test.hpp>

using mes::ErrorKind;
using mes::fhir::parseJson;
using mes::fhir::toJson;
using mes::fhir::Value;

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(decimal_precision_round_trips) {
  const std::string text = R"({"value":70.50,"n":-0.0010,"big":12345678901234567890,"e":1.5e3})";
  auto parsed = parseJson(text);
  BOOST_REQUIRE(parsed.isOk());
  BOOST_TEST(parsed->find("value")->text() == "70.50");
  BOOST_TEST(*parsed->find("value")->asDouble() == 70.5);
  BOOST_TEST(toJson(*parsed) == text);
}

BOOST_AUTO_TEST_CASE(member_order_and_types_are_kept) {
  auto parsed = parseJson(R"({"z":1,"a":"x","m":[true,null,{"k":false}]})");
  BOOST_REQUIRE(parsed.isOk());
  const auto& members = parsed->members();
  BOOST_REQUIRE_EQUAL(members.size(), 3u);
  BOOST_TEST(members[0].first == "z");
  BOOST_TEST(members[1].second.isString());
  BOOST_TEST(members[2].second.items()[1].isNull());
  BOOST_TEST(members[2].second.items()[2].find("k")->isBool());
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_on_output) {
  Value v = Value::object();
  v.set("s", Value::string("a\"b\\c\n\u00e9"));
  auto back = parseJson(toJson(v));
  BOOST_REQUIRE(back.isOk());
  BOOST_TEST(back->findString("s") != nullptr);
  BOOST_TEST(*back->findString("s") == "a\"b\\c\n\u00e9");
}

BOOST_AUTO_TEST_CASE(malformed_json_names_the_position) {
  auto r = parseJson("{\n  \"a\": 1,\n  \"b\": }");
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "json-malformed");
  BOOST_TEST(r.error().problems[0].message.find("line 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_and_trailing_content_are_refused) {
  BOOST_TEST(!parseJson("").isOk());
  BOOST_TEST(!parseJson("   ").isOk());
  auto r = parseJson("{} {}");
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "json-malformed");
  BOOST_TEST(parseJson("{}  \n").isOk());
}

BOOST_AUTO_TEST_CASE(depth_limit) {
  std::string deep(10, '[');
  deep += std::string(10, ']');
  mes::fhir::ParseLimits limits;
  limits.maxDepth = 10;
  BOOST_TEST(parseJson(deep, limits).isOk());
  limits.maxDepth = 9;
  auto r = parseJson(deep, limits);
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "json-too-deep");
  // Far deeper than the stack could take if parsing were recursive.
  std::string huge(200000, '[');
  BOOST_TEST(parseJson(huge).error().code() == "json-too-deep");
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_refused) {
  auto r = parseJson(R"({"a":1,"b":2,"a":3})");
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "json-duplicate-key");
  BOOST_TEST(r.error().problems[0].message.find("\"a\"") != std::string::npos);
  // Many keys take the hashed path.
  std::string many = "{";
  for (int i = 0; i < 100; ++i) many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many += "\"k42\":0}";
  BOOST_TEST(parseJson(many).error().code() == "json-duplicate-key");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused) {
  auto r = parseJson(std::string("{\"a\":\"\xff\xfe\"}"));
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "json-malformed");
}

BOOST_AUTO_TEST_CASE(lone_surrogate_escapes_are_refused) {
  // Found by fuzz_json: stored as invalid UTF-8, the resource could no longer be re-read.
  for (const char* text : {R"("\ude00")", R"({"\udc00":1})", R"({"a":"x\udfffy"})"}) {
    auto r = parseJson(text);
    BOOST_REQUIRE_MESSAGE(!r.isOk(), text);
    BOOST_TEST(r.error().code() == "json-malformed");
  }
  // A proper pair is one character, and survives a round trip.
  auto pair = parseJson(R"("\ud83d\ude00")");
  BOOST_REQUIRE(pair.isOk());
  BOOST_TEST(pair->text() == "\xF0\x9F\x98\x80");
  BOOST_TEST(parseJson(toJson(*pair)).isOk());
  BOOST_TEST(parseJson(R"("caf\u00e9 \u20ac")").isOk());
}

BOOST_AUTO_TEST_CASE(number_helpers) {
  BOOST_TEST(Value::number(int64_t{42}).text() == "42");
  BOOST_TEST(Value::number(22.9).text() == "22.9");
  BOOST_TEST(!Value::numberText("1.5").asInt().has_value());
  BOOST_TEST(*Value::numberText("-7").asInt() == -7);
  BOOST_TEST(!Value::string("7").asDouble().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
