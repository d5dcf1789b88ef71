// libFuzzer target: a request body through parseJson, then validateMeasure
// (fhir/profiles/measure_profiles.h) from an app and from the gateway, and validateDevice
// (fhir/profiles/device_profile.h), with a fixed server clock. When the body is a Bundle, each
// entry's resource is validated too, as the transaction endpoint does.
//
// Checked on every parsed input:
//  - a refusal is kInvalid or kUnprocessable with at least one error, and every problem has a
//    code, a message and a FHIRPath expression rooted at the resource type;
//  - an accepted measure keeps the header's promises: its profile and code match, the code is
//    one of the profile's, the subject is a patient id, the date is at least to the day and
//    not in the future, the value is in the plausible range and unit of its code (whole
//    numbers where required), blood pressure has both components with systolic > diastolic,
//    the extensions are there exactly when the table requires them;
//  - what an app may send the gateway may send too, with the same result; only BMI differs.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "fhir/profiles/device_profile.h"
#include "fhir/profiles/measure_profiles.h"
#include "fhir/types/datatypes.h"
#include "fuzz/fuzz_check.h"

namespace {

using mes::ErrorKind;
using mes::fhir::DatePrecision;
using mes::fhir::ExtensionUse;
using mes::fhir::MeasureOrigin;
using mes::fhir::MeasureValue;
using mes::fhir::ValidatedMeasure;
using mes::fhir::Value;
using mes::fuzz::describe;

// Server clock of every run: 2025-03-01T12:00:00Z.
const int64_t kNowMs = mes::fhir::daysFromCivil(2025, 3, 1) * 86'400'000 + 12 * 3'600'000;

// Failure details, built only when a check fails.
std::string report(std::string_view body) {
  return "body: " + mes::fuzz::printable(body);
}
std::string report(const mes::Error& e, std::string_view body) {
  return describe(e) + "\n" + report(body);
}

void checkRefusal(const mes::Error& e, std::string_view resourceType, std::string_view body) {
  const auto where = [&] { return report(e, body); };
  MES_FUZZ_CHECK(e.kind == ErrorKind::kInvalid || e.kind == ErrorKind::kUnprocessable, where());
  MES_FUZZ_CHECK(!e.problems.empty(), where());
  bool anyError = false;
  for (const mes::Problem& p : e.problems) {
    MES_FUZZ_CHECK(!p.code.empty() && !p.message.empty(), where());
    MES_FUZZ_CHECK(std::string_view(p.expression).substr(0, resourceType.size()) == resourceType,
                   where());
    MES_FUZZ_CHECK(p.severity == "error" || p.severity == "warning", where());
    anyError = anyError || p.severity == "error";
  }
  MES_FUZZ_CHECK(anyError, where());
}

std::string originName(MeasureOrigin origin) {
  return origin == MeasureOrigin::kApp ? "app" : "gateway";
}

bool inRange(double v, const mes::fhir::PlausibleRange& r) {
  return v >= r.low && v <= r.high;
}

void checkAccepted(const ValidatedMeasure& m, MeasureOrigin origin, std::string_view body) {
  const auto where = [&] {
    return "accepted from the " + originName(origin) + "; " + report(body);
  };
  MES_FUZZ_CHECK(m.profile != nullptr && m.code != nullptr, where());
  MES_FUZZ_CHECK(m.profile->findCode(m.code->system, m.code->code) == m.code, where());
  MES_FUZZ_CHECK(m.loincOrCode == m.code->code && m.codeSystem == m.code->system, where());
  MES_FUZZ_CHECK(origin == MeasureOrigin::kGateway || !m.profile->writtenByGatewayOnly, where());
  MES_FUZZ_CHECK(mes::fhir::isValidId(m.patientId), where());
  MES_FUZZ_CHECK(m.effective.precision != DatePrecision::kYear &&
                     m.effective.precision != DatePrecision::kMonth,
                 where());
  MES_FUZZ_CHECK(m.effective.lowMs <= kNowMs + mes::fhir::kMaxFutureSkewMs, where());

  if (m.profile->value == MeasureValue::kQuantity) {
    MES_FUZZ_CHECK(m.value && m.valueText && !m.valueText->empty(), where());
    MES_FUZZ_CHECK(m.unit == m.code->unit, where());
    MES_FUZZ_CHECK(inRange(*m.value, m.code->range), where());
    MES_FUZZ_CHECK(!m.code->wholeNumbers || std::trunc(*m.value) == *m.value, where());
    MES_FUZZ_CHECK(m.components.empty(), where());
  } else {
    MES_FUZZ_CHECK(!m.value, where());
    MES_FUZZ_CHECK(m.components.size() == m.profile->components.size(), where());
    for (size_t i = 0; i < m.components.size(); ++i) {
      MES_FUZZ_CHECK(m.components[i].component == &m.profile->components[i], where());
      MES_FUZZ_CHECK(inRange(m.components[i].value, m.profile->components[i].range), where());
    }
    MES_FUZZ_CHECK(m.components.size() < 2 || m.components[0].value > m.components[1].value,
                   where());
  }

  MES_FUZZ_CHECK(m.moment.has_value() == (m.code->moment == ExtensionUse::kRequired), where());
  MES_FUZZ_CHECK(m.numberOfDays.has_value() == (m.code->numberOfDays == ExtensionUse::kRequired),
                 where());
  if (m.numberOfDays) {
    constexpr int64_t kDays[] = {7, 14, 30, 90};
    MES_FUZZ_CHECK(
        std::find(std::begin(kDays), std::end(kDays), *m.numberOfDays) != std::end(kDays), where());
  }
}

bool sameMeasure(const ValidatedMeasure& a, const ValidatedMeasure& b) {
  if (a.components.size() != b.components.size()) return false;
  for (size_t i = 0; i < a.components.size(); ++i) {
    if (a.components[i].component != b.components[i].component ||
        a.components[i].valueText != b.components[i].valueText) {
      return false;
    }
  }
  return a.profile == b.profile && a.code == b.code && a.patientId == b.patientId &&
         a.effective.lowMs == b.effective.lowMs && a.effective.highMs == b.effective.highMs &&
         a.valueText == b.valueText && a.unit == b.unit && a.moment == b.moment &&
         a.numberOfDays == b.numberOfDays;
}

void validateObservation(const Value& resource, std::string_view body) {
  auto fromApp = mes::fhir::validateMeasure(resource, kNowMs, MeasureOrigin::kApp);
  auto fromGateway = mes::fhir::validateMeasure(resource, kNowMs, MeasureOrigin::kGateway);
  if (fromApp) {
    checkAccepted(*fromApp, MeasureOrigin::kApp, body);
  } else {
    checkRefusal(fromApp.error(), "Observation", body);
  }
  if (fromGateway) {
    checkAccepted(*fromGateway, MeasureOrigin::kGateway, body);
  } else {
    checkRefusal(fromGateway.error(), "Observation", body);
  }
  // The origin only decides whether BMI is accepted.
  if (fromApp) {
    MES_FUZZ_CHECK(fromGateway && sameMeasure(*fromApp, *fromGateway),
                   "accepted from an app, not alike from the gateway; " + report(body));
  } else if (fromGateway) {
    MES_FUZZ_CHECK(fromGateway->profile->writtenByGatewayOnly &&
                       fromApp.error().code() == "bmi-computed-by-gateway",
                   "accepted from the gateway only, but not BMI; " + report(fromApp.error(), body));
  }
}

void validateDevice(const Value& resource, std::string_view body) {
  mes::Status status = mes::fhir::validateDevice(resource);
  if (!status) checkRefusal(status.error(), "Device", body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = mes::fhir::parseJson(text);
  if (!parsed) return 0;
  const Value& root = *parsed;

  // Whatever the body is, both validators must answer it with a value.
  validateObservation(root, text);
  validateDevice(root, text);

  // The resources of a transaction Bundle, as the transaction endpoint hands them over.
  const std::string* type = root.isObject() ? root.findString("resourceType") : nullptr;
  const Value* entries = type != nullptr && *type == "Bundle" ? root.find("entry") : nullptr;
  if (entries == nullptr || !entries->isArray()) return 0;
  for (const Value& entry : entries->items()) {
    const Value* resource = entry.isObject() ? entry.find("resource") : nullptr;
    if (resource == nullptr) continue;
    const std::string* resourceType =
        resource->isObject() ? resource->findString("resourceType") : nullptr;
    if (resourceType != nullptr && *resourceType == "Device") {
      validateDevice(*resource, text);
    } else {
      validateObservation(*resource, text);
    }
  }
  return 0;
}
