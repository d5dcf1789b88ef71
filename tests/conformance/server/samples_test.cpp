// The server plan's samples (conformance/server/samples.h) against the gateway's own profile
// validation: every measure sample of the table is valid, every out-of-range value is refused
// with value-out-of-range, and the document and appointment samples are valid.
#include "conformance/server/samples.h"

#include <boost/test/unit_test.hpp>

#include "fhir/profiles/appointment_profile.h"
#include "fhir/profiles/document_profile.h"

using namespace mes;
using namespace mes::conformance::server;

namespace {
constexpr int64_t kNow = 1'764'000'000'000;  // 2025-11-24T16:00:00Z
}

BOOST_AUTO_TEST_SUITE(conformance_samples)

BOOST_AUTO_TEST_CASE(every_writable_profile_and_code_has_a_valid_sample) {
  const std::vector<MeasureSample> samples = measureSamples();
  BOOST_TEST(samples.size() == 13u);  // 10 app-writable profiles, glucose with 4 codes
  for (const MeasureSample& s : samples) {
    BOOST_TEST_CONTEXT(s.slug) {
      auto checked = fhir::validateMeasure(measure(s, "demo", dateTimeOf(kNow - 3'600'000)), kNow);
      BOOST_TEST(checked.isOk(), (checked ? std::string() : checked.error().problems.front().code));
      if (s.code == nullptr) continue;
      auto refused =
          fhir::validateMeasure(measureWith(s, "demo", dateTimeOf(kNow - 3'600'000),
                                            outOfRangeValue(s), std::string(s.code->unit)),
                                kNow);
      BOOST_REQUIRE(!refused);
      BOOST_TEST(refused.error().problems.front().code == "value-out-of-range");
    }
  }
  BOOST_TEST(sampleOf(fhir::MeasureKind::kGlucose, "MED-972").slug == "glucose-MED-972");
  BOOST_TEST(sampleOf(fhir::MeasureKind::kBodyWeight).slug == "bodyweight");
}

BOOST_AUTO_TEST_CASE(document_and_appointment_samples_are_valid) {
  fhir::DocumentRules inline_;
  BOOST_TEST(
      fhir::validateDocumentReference(documentReference("demo", "Bonjour.\n", "cr.txt"), inline_)
          .isOk());
  const fhir::Value bundle = documentBundle("demo", "Bonjour.\n", "cr.txt");
  fhir::DocumentRules byUrl;
  byUrl.attachment = fhir::AttachmentSource::kBundleUrl;
  BOOST_TEST(
      fhir::validateDocumentReference(*bundle.find("entry")->items()[1].find("resource"), byUrl)
          .isOk());
  BOOST_TEST(
      fhir::validateSubmissionSet(*bundle.find("entry")->items()[0].find("resource")).isOk());
  BOOST_TEST(fhir::validateBinary(*bundle.find("entry")->items()[2].find("resource")).isOk());
  BOOST_TEST(fhir::validateAppointment(appointment("demo", "urn:oid:1.2.3", "rdv-1",
                                                   "2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z"))
                 .isOk());
}

BOOST_AUTO_TEST_CASE(dates_of_a_run) {
  BOOST_TEST(dateTimeOf(kNow + 123) == "2025-11-24T16:00:00Z");
  const int64_t day = runDay("0123456789");
  BOOST_TEST(day % 86'400'000 == 0);
  BOOST_TEST(day >= fhir::daysFromCivil(1995, 1, 1) * 86'400'000);
  BOOST_TEST(day < fhir::daysFromCivil(2020, 1, 1) * 86'400'000);
  BOOST_TEST(numberText(0.2) == "0.2");
  BOOST_TEST(numberText(650) == "650");
}

BOOST_AUTO_TEST_SUITE_END()
