#include "fhir/outcome/operation_outcome.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "fhir/json/json.h"

using mes::Error;
using mes::ErrorKind;
using mes::Problem;
using namespace mes::fhir;
namespace bdata = boost::unit_test::data;

namespace {

Value parse(const char* json) {
  auto r = parseJson(json);
  if (!r.isOk()) throw std::runtime_error(std::string("bad test JSON: ") + json);
  return std::move(r).value();
}

struct KindCase {
  ErrorKind kind;
  const char* issueCode;
};
std::ostream& operator<<(std::ostream& os, const KindCase& c) {
  return os << c.issueCode;
}
const KindCase kKindCases[] = {
    {ErrorKind::kInvalid, "invalid"},
    {ErrorKind::kUnprocessable, "processing"},
    {ErrorKind::kNotFound, "not-found"},
    {ErrorKind::kGone, "deleted"},
    {ErrorKind::kConflict, "conflict"},
    {ErrorKind::kPreconditionFailed, "conflict"},
    {ErrorKind::kTooLarge, "too-long"},
    {ErrorKind::kForbidden, "forbidden"},
    {ErrorKind::kUnauthorized, "login"},
    {ErrorKind::kUnsupportedMediaType, "not-supported"},
    {ErrorKind::kNotAcceptable, "not-supported"},
    {ErrorKind::kMethodNotAllowed, "not-supported"},
    {ErrorKind::kInternal, "exception"},
    {ErrorKind::kUnavailable, "transient"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(operation_outcome)

BOOST_DATA_TEST_CASE(issue_code_from_kind, bdata::make(kKindCases), c) {
  const Value oo = operationOutcome(Error::make(c.kind, "some-code", "Something."));
  BOOST_TEST(*oo.findString("resourceType") == "OperationOutcome");
  const Value& issue = oo.find("issue")->items().at(0);
  BOOST_TEST(*issue.findString("code") == c.issueCode);
  BOOST_TEST(*issue.findString("severity") == "error");
}

BOOST_AUTO_TEST_CASE(one_issue_per_problem_with_every_field) {
  Error e;
  e.kind = ErrorKind::kUnprocessable;
  e.detail = "secret internals";
  Problem unit;
  unit.code = "unit-mismatch";
  unit.message = "Unit must be 'kg' (UCUM) for body weight; got 'lb'.";
  unit.expression = "Observation.valueQuantity.code";
  unit.issueType = "value";
  Problem status;
  status.code = "status-invalid";
  status.message = "Bad status.";
  status.expression = "Observation.status";
  Problem note;
  note.code = "unit-text";
  note.message = "Just so you know.";
  note.severity = "warning";
  e.problems = {unit, status, note};

  const Value expected = parse(R"({"resourceType":"OperationOutcome","issue":[
    {"severity":"error","code":"value",
     "details":{"coding":[{"system":"urn:mes-gateway:error-code","code":"unit-mismatch"}],
                "text":"Unit must be 'kg' (UCUM) for body weight; got 'lb'."},
     "diagnostics":"Unit must be 'kg' (UCUM) for body weight; got 'lb'.",
     "expression":["Observation.valueQuantity.code"]},
    {"severity":"error","code":"processing",
     "details":{"coding":[{"system":"urn:mes-gateway:error-code","code":"status-invalid"}],
                "text":"Bad status."},
     "diagnostics":"Bad status.","expression":["Observation.status"]},
    {"severity":"warning","code":"processing",
     "details":{"coding":[{"system":"urn:mes-gateway:error-code","code":"unit-text"}],
                "text":"Just so you know."},
     "diagnostics":"Just so you know."}]})");
  const Value actual = operationOutcome(e);
  BOOST_TEST(toPrettyJson(actual) == toPrettyJson(expected));
  BOOST_TEST(toJson(actual).find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(internal_errors_leak_nothing) {
  const Value oo = operationOutcome(Error::internal("sqlite: disk I/O error at /var/lib/x.db"));
  const std::string text = toJson(oo);
  BOOST_TEST(text.find("sqlite") == std::string::npos);
  const Value& issue = oo.find("issue")->items().at(0);
  BOOST_TEST(*issue.findString("code") == "exception");
  BOOST_TEST(*issue.findString("diagnostics") == "The server could not complete the request.");
}

BOOST_AUTO_TEST_CASE(error_without_problems_still_has_an_issue) {
  Error e;
  e.kind = ErrorKind::kNotFound;
  const Value oo = operationOutcome(e);
  BOOST_REQUIRE(oo.find("issue")->items().size() == 1u);
  const Value& issue = oo.find("issue")->items()[0];
  BOOST_TEST(*issue.findString("code") == "not-found");
  BOOST_TEST(*issue.findString("diagnostics") == "Resource not found.");
  BOOST_TEST(issue.find("details")->find("coding") == nullptr);
}

BOOST_AUTO_TEST_CASE(unknown_severity_is_sent_as_error) {
  Error e = Error::make(ErrorKind::kInvalid, "x", "y");
  e.problems[0].severity = "catastrophic";
  const Value oo = operationOutcome(e);
  BOOST_TEST(*oo.find("issue")->items()[0].findString("severity") == "error");
}

BOOST_AUTO_TEST_CASE(information_outcome_for_deletes) {
  const Value expected = parse(R"({"resourceType":"OperationOutcome","issue":[
    {"severity":"information","code":"informational","details":{"text":"Observation/1 deleted."},
     "diagnostics":"Observation/1 deleted."}]})");
  BOOST_TEST(toJson(informationOutcome("Observation/1 deleted.")) == toJson(expected));
}

BOOST_AUTO_TEST_SUITE_END()
