#include "fhir/types/datatypes.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "fhir/json/json.h"
#include "fhir/validation/issues.h"

using mes::ErrorKind;
using namespace mes::fhir;
namespace bdata = boost::unit_test::data;

namespace {

Value parse(const char* json) {
  auto r = parseJson(json);
  if (!r.isOk()) throw std::runtime_error(std::string("bad test JSON: ") + json);
  return std::move(r).value();
}

std::string collected(const Issues& issues) {
  std::string out;
  for (const Issue& i : issues.issues()) {
    if (!out.empty()) out += ' ';
    out += i.code + "@" + i.expression;
  }
  return out;
}

enum class Type {
  kCoding,
  kCodeableConcept,
  kQuantity,
  kReference,
  kIdentifier,
  kPeriod,
  kMeta,
  kExtension,
  kId,
  kDateTime,
  kInstant,
  kInteger,
  kDecimal,
  kCode
};

void read(Type type, const Value& v, Issues& issues) {
  const Path at("X");
  switch (type) {
    case Type::kCoding:
      (void)readCoding(v, at, issues);
      break;
    case Type::kCodeableConcept:
      (void)readCodeableConcept(v, at, issues);
      break;
    case Type::kQuantity:
      (void)readQuantity(v, at, issues);
      break;
    case Type::kReference:
      (void)readReference(v, at, issues);
      break;
    case Type::kIdentifier:
      (void)readIdentifier(v, at, issues);
      break;
    case Type::kPeriod:
      (void)readPeriod(v, at, issues);
      break;
    case Type::kMeta:
      (void)readMeta(v, at, issues);
      break;
    case Type::kExtension:
      (void)readExtension(v, at, issues);
      break;
    case Type::kId:
      (void)readId(v, at, issues);
      break;
    case Type::kDateTime:
      (void)readDateTime(v, at, issues);
      break;
    case Type::kInstant:
      (void)readDateTime(v, at, issues, DateTimeForm::kInstant);
      break;
    case Type::kInteger:
      (void)readInteger(v, at, issues);
      break;
    case Type::kDecimal:
      (void)readDecimal(v, at, issues);
      break;
    case Type::kCode:
      (void)readCode(v, at, issues);
      break;
  }
}

struct Case {
  const char* what;
  Type type;
  const char* json;
  const char* expect;  // "code@expression ..." or "" when clean
  bool structural;     // whether the (first) problem makes the result 400
};
std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.what;
}

const Case kCases[] = {
    // Coding
    {"coding ok", Type::kCoding,
     R"({"system":"http://loinc.org","code":"8867-4","display":"Heart rate"})", "", false},
    {"coding system number", Type::kCoding, R"({"system":5,"code":"x"})", "invalid-type@X.system",
     true},
    {"coding code with spaces", Type::kCoding, R"({"code":" x"})", "invalid-primitive@X.code",
     true},
    {"coding unknown element", Type::kCoding, R"({"code":"x","codes":"y"})",
     "unknown-element@X.codes", true},
    {"coding as array", Type::kCoding, R"([{"code":"x"}])", "invalid-type@X", true},
    {"coding null member", Type::kCoding, R"({"code":"x","display":null})",
     "invalid-type@X.display", true},
    {"coding userSelected string", Type::kCoding, R"({"code":"x","userSelected":"true"})",
     "invalid-type@X.userSelected", true},
    {"coding empty object", Type::kCoding, R"({})", "empty-element@X", true},
    {"coding empty string", Type::kCoding, R"({"code":""})", "empty-element@X.code", true},
    {"coding primitive extension", Type::kCoding,
     R"({"code":"x","_code":{"extension":[{"url":"http://e","valueString":"y"}]}})", "", false},
    {"coding primitive extension wrong type", Type::kCoding, R"({"code":"x","_code":5})",
     "invalid-type@X._code", true},
    {"coding primitive extension unknown member", Type::kCoding,
     R"({"code":"x","_code":{"foo":1}})", "unknown-element@X._code.foo", true},
    {"coding primitive extension of unknown element", Type::kCoding, R"({"code":"x","_colour":{}})",
     "unknown-element@X._colour", true},
    {"coding primitive extension content checked", Type::kCoding,
     R"({"code":"x","_code":{"extension":[{"url":"http://e"}]}})",
     "extension-invalid@X._code.extension[0]", false},
    // CodeableConcept
    {"concept ok", Type::kCodeableConcept, R"({"coding":[{"system":"s","code":"c"}],"text":"t"})",
     "", false},
    {"concept coding object", Type::kCodeableConcept, R"({"coding":{}})", "invalid-type@X.coding",
     true},
    {"concept coding empty", Type::kCodeableConcept, R"({"coding":[]})", "empty-element@X.coding",
     true},
    {"concept coding item", Type::kCodeableConcept, R"({"coding":[{"code":"a"},3]})",
     "invalid-type@X.coding[1]", true},
    {"concept every problem", Type::kCodeableConcept,
     R"({"coding":[{"code":5},{"system":6}],"text":7})",
     "invalid-type@X.coding[0].code invalid-type@X.coding[1].system invalid-type@X.text", true},
    // Quantity
    {"quantity ok", Type::kQuantity,
     R"({"value":70.50,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"})", "", false},
    {"quantity value string", Type::kQuantity, R"({"value":"70"})", "invalid-type@X.value", true},
    {"quantity comparator unknown", Type::kQuantity, R"({"value":1,"comparator":"~"})",
     "code-invalid@X.comparator", false},
    // Reference
    {"reference ok", Type::kReference, R"({"reference":"Patient/1","display":"Jean"})", "", false},
    {"reference empty", Type::kReference, R"({"reference":""})", "empty-element@X.reference", true},
    {"reference identifier", Type::kReference,
     R"({"identifier":{"system":"urn:oid:1.2","value":5}})", "invalid-type@X.identifier.value",
     true},
    // Identifier
    {"identifier ok", Type::kIdentifier,
     R"({"use":"official","system":"urn:oid:1.2","value":"a","assigner":{"display":"ANS"}})", "",
     false},
    {"identifier use unknown", Type::kIdentifier, R"({"use":"main","value":"a"})",
     "code-invalid@X.use", false},
    {"identifier assigner", Type::kIdentifier, R"({"assigner":{"display":5}})",
     "invalid-type@X.assigner.display", true},
    // Period
    {"period ok", Type::kPeriod, R"({"start":"2024-05-01","end":"2024-05-01T10:00:00Z"})", "",
     false},
    {"period reversed", Type::kPeriod, R"({"start":"2024-05-03","end":"2024-05-01"})",
     "period-reversed@X", false},
    {"period bad start", Type::kPeriod, R"({"start":"2024-05-03T10:00"})",
     "invalid-datetime@X.start", true},
    // Meta
    {"meta ok", Type::kMeta,
     R"({"versionId":"3","lastUpdated":"2024-05-03T10:00:00Z","source":"urn:oid:1.2.250","profile":["http://a|1"],"tag":[{"code":"t"}]})",
     "", false},
    {"meta profile string", Type::kMeta, R"({"profile":"http://a"})", "invalid-type@X.profile",
     true},
    {"meta profile with space", Type::kMeta, R"({"profile":["http://a b"]})",
     "invalid-primitive@X.profile[0]", true},
    {"meta lastUpdated not an instant", Type::kMeta, R"({"lastUpdated":"2024-05-03"})",
     "invalid-datetime@X.lastUpdated", true},
    {"meta versionId", Type::kMeta, R"({"versionId":"a b"})", "invalid-primitive@X.versionId",
     true},
    {"meta security", Type::kMeta, R"({"security":[{"code":1}]})",
     "invalid-type@X.security[0].code", true},
    // Extension
    {"extension code", Type::kExtension, R"({"url":"http://e","valueCode":"a-jeun"})", "", false},
    {"extension nested", Type::kExtension,
     R"({"url":"http://e","extension":[{"url":"a","valueString":"b"}]})", "", false},
    {"extension quantity", Type::kExtension, R"({"url":"http://e","valueQuantity":{"value":"1"}})",
     "invalid-type@X.valueQuantity.value", true},
    {"extension two values", Type::kExtension,
     R"({"url":"http://e","valueCode":"a","valueString":"b"})", "invalid-choice@X.valueString",
     true},
    {"extension no value", Type::kExtension, R"({"url":"http://e"})", "extension-invalid@X", false},
    {"extension value and nested", Type::kExtension,
     R"({"url":"http://e","valueCode":"a","extension":[{"url":"b","valueCode":"c"}]})",
     "extension-invalid@X", false},
    {"extension no url", Type::kExtension, R"({"valueCode":"a"})", "element-missing@X.url", false},
    {"extension unknown value type", Type::kExtension, R"({"url":"http://e","valueFoo":1})",
     "unknown-element@X.valueFoo", true},
    {"extension integer fraction", Type::kExtension, R"({"url":"http://e","valueInteger":7.5})",
     "invalid-primitive@X.valueInteger", true},
    {"extension integer string", Type::kExtension, R"({"url":"http://e","valueInteger":"7"})",
     "invalid-type@X.valueInteger", true},
    {"extension positiveInt zero", Type::kExtension, R"({"url":"http://e","valuePositiveInt":0})",
     "invalid-primitive@X.valuePositiveInt", true},
    {"extension time", Type::kExtension, R"({"url":"http://e","valueTime":"25:00:00"})",
     "invalid-primitive@X.valueTime", true},
    {"extension date", Type::kExtension, R"({"url":"http://e","valueDate":"2024-05-03"})", "",
     false},
    {"extension other complex type", Type::kExtension,
     R"({"url":"http://e","valueAddress":{"city":"Paris"}})", "", false},
    {"extension other complex wrong type", Type::kExtension,
     R"({"url":"http://e","valueAddress":"Paris"})", "invalid-type@X.valueAddress", true},
    {"extension not an object", Type::kExtension, R"("http://e")", "invalid-type@X", true},
    // Primitives
    {"id ok", Type::kId, R"("Ab-1.2")", "", false},
    {"id too long", Type::kId,
     R"("0123456789012345678901234567890123456789012345678901234567890123456789")",
     "invalid-primitive@X", true},
    {"id underscore", Type::kId, R"("a_b")", "invalid-primitive@X", true},
    {"id number", Type::kId, "12", "invalid-type@X", true},
    {"dateTime ok", Type::kDateTime, R"("2024-05-03T10:20:30+02:00")", "", false},
    {"dateTime without seconds", Type::kDateTime, R"("2024-05-03T10:20+02:00")",
     "invalid-datetime@X", true},
    {"instant needs time", Type::kInstant, R"("2024-05-03")", "invalid-datetime@X", true},
    {"integer ok", Type::kInteger, "-42", "", false},
    {"integer exponent", Type::kInteger, "1e3", "invalid-primitive@X", true},
    {"integer too big", Type::kInteger, "2147483648", "invalid-primitive@X", true},
    {"integer bool", Type::kInteger, "true", "invalid-type@X", true},
    {"decimal ok", Type::kDecimal, "-0.0010", "", false},
    {"decimal string", Type::kDecimal, R"("1.5")", "invalid-type@X", true},
    {"code ok", Type::kCode, R"("entered-in-error")", "", false},
    {"code inner double space", Type::kCode, R"("a  b")", "invalid-primitive@X", true},
    {"code inner single space", Type::kCode, R"("a b")", "", false},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(datatypes)

BOOST_DATA_TEST_CASE(read_table, bdata::make(kCases), c) {
  Issues issues;
  read(c.type, parse(c.json), issues);
  BOOST_TEST(collected(issues) == c.expect);
  if (*c.expect != '\0') {
    BOOST_TEST(issues.hasStructuralErrors() == c.structural);
    BOOST_TEST(mes::httpStatusOf(issues.toStatus().error().kind) ==
               mes::httpStatusOf((c.structural ? ErrorKind::kInvalid : ErrorKind::kUnprocessable)));
  } else {
    BOOST_TEST(issues.toStatus().isOk());
  }
}

BOOST_AUTO_TEST_CASE(read_values_are_kept) {
  Issues issues;
  auto q = readQuantity(
      parse(
          R"({"value":70.50,"comparator":"<","unit":"kilo","system":"http://unitsofmeasure.org","code":"kg"})"),
      Path("Q"), issues);
  BOOST_REQUIRE(q.has_value());
  BOOST_TEST(q->value->text == "70.50");
  BOOST_TEST(q->value->value == 70.5);
  BOOST_TEST(*q->comparator == "<");
  BOOST_TEST(*q->unit == "kilo");
  BOOST_TEST(*q->code == "kg");

  auto m = readMeta(
      parse(R"({"profile":["http://a|1","http://b"],"lastUpdated":"2024-05-03T10:00:00Z"})"),
      Path("M"), issues);
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(m->profile.size() == 2u);
  BOOST_TEST(m->profile[0] == "http://a|1");
  BOOST_TEST(formatInstant(m->lastUpdated->lowMs) == "2024-05-03T10:00:00.000Z");

  auto e = readExtension(parse(R"({"url":"http://e","valueInteger":14})"), Path("E"), issues);
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(*e->url == "http://e");
  BOOST_TEST(e->valueElement == "valueInteger");
  BOOST_TEST(*e->valueInteger == 14);

  auto cc = readCodeableConcept(
      parse(R"({"coding":[{"system":"s","code":"a"},{"system":"t","code":"b"}]})"), Path("C"),
      issues);
  BOOST_REQUIRE(cc.has_value());
  BOOST_TEST(cc->find("t", "b") == &cc->coding[1]);
  BOOST_TEST(cc->find("s", "b") == nullptr);

  auto id = readIdentifier(
      parse(R"({"system":"urn:x","value":"1","assigner":{"reference":"Organization/o1"}})"),
      Path("I"), issues);
  BOOST_REQUIRE(id.has_value());
  BOOST_REQUIRE(id->assigner != nullptr);
  BOOST_TEST(*id->assigner->reference == "Organization/o1");
  BOOST_TEST(!issues.hasErrors());

  // Out-of-range literals never come out of the parser, but a Value built in code may hold one.
  auto huge = readDecimal(Value::numberText("1e999"), Path("D"), issues);
  BOOST_TEST(!huge.has_value());
  BOOST_TEST(collected(issues) == "invalid-primitive@D");
}

struct RefCase {
  const char* text;
  bool ok;
  const char* type;
  const char* id;
  const char* version;
};
std::ostream& operator<<(std::ostream& os, const RefCase& c) {
  return os << c.text;
}
const RefCase kRefCases[] = {
    {"Patient/123", true, "Patient", "123", ""},
    {"Patient/a.b-C", true, "Patient", "a.b-C", ""},
    {"Observation/1/_history/2", true, "Observation", "1", "2"},
    {"Patient/", false, "", "", ""},
    {"/123", false, "", "", ""},
    {"patient/123", false, "", "", ""},
    {"Patient/1/2", false, "", "", ""},
    {"http://example.org/fhir/Patient/1", false, "", "", ""},
    {"urn:uuid:1234", false, "", "", ""},
    {"Patient/1/_history/", false, "", "", ""},
    {"Patient/a_b", false, "", "", ""},
};

BOOST_DATA_TEST_CASE(relative_references, bdata::make(kRefCases), c) {
  RelativeReference ref;
  BOOST_TEST(parseRelativeReference(c.text, ref) == c.ok);
  if (c.ok) {
    BOOST_TEST(ref.type == c.type);
    BOOST_TEST(ref.id == c.id);
    BOOST_TEST(ref.versionId == c.version);
  }
}

BOOST_AUTO_TEST_CASE(fhir_id_syntax) {
  BOOST_TEST(isValidId("a"));
  BOOST_TEST(isValidId(std::string(64, 'x')));
  BOOST_TEST(!isValidId(std::string(65, 'x')));
  BOOST_TEST(!isValidId(""));
  BOOST_TEST(!isValidId("a/b"));
  BOOST_TEST(!isValidId("\xc3\xa9t\xc3\xa9"));
}

BOOST_AUTO_TEST_SUITE_END()

// The generic engine (fhir/validation/issues.h) that the datatypes report into.
BOOST_AUTO_TEST_SUITE(validation_issues)

BOOST_AUTO_TEST_CASE(paths_are_fhirpath) {
  const Path p =
      Path("Observation").member("component").index(1).member("valueQuantity").member("unit");
  BOOST_TEST(p.str() == "Observation.component[1].valueQuantity.unit");
  BOOST_TEST(Path("Observation").index(0).str() == "Observation[0]");
}

BOOST_AUTO_TEST_CASE(collects_everything_and_picks_the_status) {
  Issues issues;
  BOOST_TEST(issues.toStatus().isOk());
  issues.warning("unit-text-differs", "The unit text differs from the code.",
                 Path("O").member("u"));
  BOOST_TEST(!issues.hasErrors());
  BOOST_TEST(issues.toStatus().isOk());

  issues.error("value-out-of-range", "Too high.", Path("O").member("v"), IssueType::kValue);
  mes::Error e = issues.toError();
  BOOST_TEST(mes::httpStatusOf(e.kind) == mes::httpStatusOf(ErrorKind::kUnprocessable));
  BOOST_REQUIRE(e.problems.size() == 2u);
  BOOST_TEST(e.problems[0].severity == "warning");
  BOOST_TEST(e.problems[1].code == "value-out-of-range");
  BOOST_TEST(e.problems[1].expression == "O.v");
  BOOST_TEST(e.problems[1].issueType == "value");

  issues.wrongType(Path("O").member("s"), "a string", Value::number(int64_t{5}));
  e = issues.toError();
  BOOST_TEST(mes::httpStatusOf(e.kind) == mes::httpStatusOf(ErrorKind::kInvalid));
  BOOST_TEST(issues.errorCount() == 2u);
  BOOST_TEST(e.problems[2].code == "invalid-type");
  BOOST_TEST(e.problems[2].message == "O.s must be a string; got a number.");
  BOOST_TEST(e.problems[2].issueType == "structure");
}

BOOST_AUTO_TEST_CASE(element_names) {
  static constexpr std::string_view kKnown[] = {"status", "code"};
  Issues issues;
  BOOST_TEST(issues.checkElements(parse(R"({"status":"final","_status":{"id":"s"},"code":{}})"),
                                  Path("R"), kKnown));
  BOOST_TEST(!issues.checkElements(
      parse(R"({"statut":"final","_code":[null,{"id":"a"},3],"_status":null,"code":null})"),
      Path("R"), kKnown));
  // A null known element is left to the reader of its type.
  BOOST_TEST(collected(issues) ==
             "unknown-element@R.statut invalid-type@R._code[2] invalid-type@R._status");
}

BOOST_AUTO_TEST_CASE(missing_and_not_allowed_are_rule_problems) {
  Issues issues;
  issues.missing(Path("Observation").member("subject"), "for every measure");
  issues.notAllowed(Path("Observation").member("valueString"), "use valueQuantity");
  BOOST_TEST(!issues.hasStructuralErrors());
  const auto& all = issues.issues();
  BOOST_TEST(all[0].message == "Observation.subject is required for every measure.");
  BOOST_TEST(issueTypeCode(all[0].type) == "required");
  BOOST_TEST(all[1].message == "Observation.valueString is not allowed here; use valueQuantity.");
  BOOST_TEST(mes::httpStatusOf(issues.toError().kind) ==
             mes::httpStatusOf(ErrorKind::kUnprocessable));
}

BOOST_AUTO_TEST_SUITE_END()
