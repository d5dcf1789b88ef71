// The Appointment profile (fhir/profiles/appointment_profile.h): one table of edits of a valid
// appointment and the exact problems (code@FHIRPath) and status each gives.
#include "fhir/profiles/appointment_profile.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/json_edit.h"

using namespace mes::fhir;
using mes::test::actualProblems;
using mes::test::apply;
using mes::test::Edit;
namespace bdata = boost::unit_test::data;

namespace {

constexpr const char* kValid = R"({
  "resourceType": "Appointment",
  "identifier": [{"system": "urn:oid:1.2.250.1.999.1.5", "value": "rdv-1"}],
  "status": "booked",
  "serviceType": [{"coding": [{"system": "urn:example:service", "code": "consult"}]}],
  "description": "Consultation de suivi",
  "start": "2026-12-01T10:00:00+01:00",
  "end": "2026-12-01T10:30:00+01:00",
  "participant": [
    {"actor": {"reference": "Patient/demo", "display": "Camille Martin"}, "status": "accepted"},
    {"actor": {"display": "Dr Durand"}, "status": "accepted"}
  ]
})";

struct Case {
  const char* what;
  Edit edit1;
  Edit edit2;
  int status;          // 0 = valid; else 400 or 422
  const char* expect;  // "code@expression" separated by spaces, in order; "" when valid
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.what; }

// clang-format off
const Case kCases[] = {
    {"valid", {}, {}, 0, ""},
    {"every status", {"status", R"("fulfilled")"}, {}, 0, ""},
    {"proposed with an end but no start", {"status", R"("proposed")"}, {"start"}, 422,
     "element-missing@Appointment.start"},
    {"booked without start", {"start"}, {}, 422, "element-missing@Appointment.start"},
    {"booked without end", {"end"}, {}, 422, "element-missing@Appointment.end"},
    {"booked without dates", {"start"}, {"end"}, 422,
     "element-missing@Appointment.start element-missing@Appointment.end"},
    {"start equals end", {"end", R"("2026-12-01T10:00:00+01:00")"}, {}, 422,
     "appointment-period-invalid@Appointment.end"},
    {"start after end", {"start", R"("2026-12-01T11:00:00+01:00")"}, {}, 422,
     "appointment-period-invalid@Appointment.end"},
    {"end before start across offsets", {"end", R"("2026-12-01T08:59:00Z")"}, {}, 422,
     "appointment-period-invalid@Appointment.end"},
    {"start a date, not an instant", {"start", R"("2026-12-01")"}, {}, 400,
     "invalid-datetime@Appointment.start"},
    {"start without offset", {"start", R"("2026-12-01T10:00:00")"}, {}, 400,
     "invalid-datetime@Appointment.start"},
    {"start a number", {"start", "20261201"}, {}, 400, "invalid-type@Appointment.start"},
    {"status missing", {"status"}, {}, 422, "element-missing@Appointment.status"},
    {"status unknown", {"status", R"("confirmed")"}, {}, 422, "code-invalid@Appointment.status"},
    {"status wrong type", {"status", "true"}, {}, 400, "invalid-type@Appointment.status"},
    {"participant missing", {"participant"}, {}, 422, "element-missing@Appointment.participant"},
    {"participant empty", {"participant", "[]"}, {}, 400, "empty-element@Appointment.participant"},
    {"participant not an array", {"participant", R"({"status":"accepted"})"}, {}, 400,
     "invalid-type@Appointment.participant"},
    {"no patient participant", {"participant.0.actor", R"({"reference":"Practitioner/p1"})"}, {},
     422, "appointment-patient-missing@Appointment.participant"},
    {"patient by display only", {"participant.0.actor", R"({"display":"Camille"})"}, {}, 422,
     "appointment-patient-missing@Appointment.participant"},
    {"actor of a wrong type", {"participant.1.actor", R"({"reference":"Observation/o1"})"}, {}, 422,
     "reference-target-invalid@Appointment.participant[1].actor.reference"},
    {"actor absolute URL", {"participant.0.actor", R"({"reference":"https://x.example/Patient/demo"})"},
     {}, 422,
     "reference-target-invalid@Appointment.participant[0].actor.reference "
     "appointment-patient-missing@Appointment.participant"},
    {"participant without status", {"participant.1.status"}, {}, 422,
     "element-missing@Appointment.participant[1].status"},
    {"participant status unknown", {"participant.1.status", R"("maybe")"}, {}, 422,
     "code-invalid@Appointment.participant[1].status"},
    {"participant without type nor actor", {"participant.1", R"({"status":"accepted"})"}, {}, 422,
     "participant-type-or-actor@Appointment.participant[1]"},
    {"participant required unknown", {"participant.1.required", R"("maybe")"}, {}, 422,
     "code-invalid@Appointment.participant[1].required"},
    {"participant unknown element", {"participant.1.role", R"("x")"}, {}, 400,
     "unknown-element@Appointment.participant[1].role"},
    {"two patients is the caller's business", {"participant.2",
     R"({"actor":{"reference":"Patient/demo-2"},"status":"accepted"})"}, {}, 0, ""},
    {"identifier without value", {"identifier.0", R"({"system":"urn:x"})"}, {}, 422,
     "element-missing@Appointment.identifier[0].value"},
    {"identifier not an array", {"identifier", R"({"system":"urn:x","value":"1"})"}, {}, 400,
     "invalid-type@Appointment.identifier"},
    {"description wrong type", {"description", "42"}, {}, 400,
     "invalid-type@Appointment.description"},
    {"serviceType not an array", {"serviceType", R"({"text":"x"})"}, {}, 400,
     "invalid-type@Appointment.serviceType"},
    {"priority negative", {"priority", "-1"}, {}, 400, "invalid-primitive@Appointment.priority"},
    {"minutesDuration zero", {"minutesDuration", "0"}, {}, 400,
     "invalid-primitive@Appointment.minutesDuration"},
    {"unknown element", {"location", R"("Paris")"}, {}, 400, "unknown-element@Appointment.location"},
    {"contained refused", {"contained", R"([{"resourceType":"Patient"}])"}, {}, 422,
     "element-not-allowed@Appointment.contained"},
    {"many problems at once", {"status", R"("later")"}, {"end", R"("2026-11-01T10:00:00Z")"}, 422,
     "code-invalid@Appointment.status appointment-period-invalid@Appointment.end"},
    {"not an Appointment", {"resourceType", R"("Observation")"}, {}, 400,
     "resource-type-mismatch@Appointment.resourceType"},
};
// clang-format on

}  // namespace

BOOST_AUTO_TEST_SUITE(appointment_profile)

BOOST_DATA_TEST_CASE(appointment_table, bdata::make(kCases), c) {
  Value appointment = mes::test::parseTestJson(kValid);
  apply(appointment, c.edit1);
  apply(appointment, c.edit2);
  mes::test::expectOutcome(validateAppointment(appointment), c.status, c.expect);
}

BOOST_AUTO_TEST_CASE(what_the_gateway_reads) {
  Value appointment = mes::test::parseTestJson(kValid);
  apply(appointment, {"participant.2", R"({"actor":{"reference":"Patient/demo"},"status":"accepted"})"});
  auto result = validateAppointment(appointment);
  BOOST_REQUIRE(result.isOk());
  BOOST_TEST(result->status == "booked");
  BOOST_TEST(result->patientIds == std::vector<std::string>{"demo"});  // distinct
  BOOST_REQUIRE(result->identifiers.size() == 1u);
  BOOST_TEST(result->identifiers[0].system == "urn:oid:1.2.250.1.999.1.5");
  BOOST_TEST(result->identifiers[0].value == "rdv-1");
  BOOST_REQUIRE(result->start.has_value());
  BOOST_TEST(result->start->lowMs ==
             parseDateTime("2026-12-01T09:00:00Z", DateTimeForm::kInstant)->lowMs);
}

BOOST_AUTO_TEST_CASE(undated_statuses) {
  for (const char* status : {"proposed", "cancelled", "waitlist"}) {
    Value appointment = mes::test::parseTestJson(kValid);
    apply(appointment, {"status", (std::string("\"") + status + "\"").c_str()});
    apply(appointment, {"start"});
    apply(appointment, {"end"});
    BOOST_TEST(validateAppointment(appointment).isOk(), status);
  }
  BOOST_TEST(isAppointmentStatus("noshow"));
  BOOST_TEST(!isAppointmentStatus("Booked"));
  BOOST_TEST(appointmentStatuses().size() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
