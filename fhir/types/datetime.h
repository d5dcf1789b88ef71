// FHIR date, dateTime and instant values as time ranges.
//
// A partial date is a range: "2024" is [2024-01-01T00:00:00.000Z, 2024-12-31T23:59:59.999Z],
// "2024-05-03T10:20:00+02:00" is the one second starting at 08:20:00Z. Dates without a time
// carry no offset in FHIR; they are read as UTC days (documented in the README).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::fhir {

enum class DatePrecision { kYear, kMonth, kDay, kMinute, kSecond, kMillisecond };

struct DateTime {
  int64_t lowMs = 0;   // first millisecond of the range, UTC
  int64_t highMs = 0;  // last millisecond of the range (inclusive), UTC
  DatePrecision precision = DatePrecision::kYear;
  bool hasTime = false;
};

enum class DateTimeForm {
  kDate,          // YYYY, YYYY-MM, YYYY-MM-DD
  kDateTime,      // a date, or a full time with seconds and a mandatory offset (FHIR dateTime)
  kInstant,       // full time with seconds and a mandatory offset (FHIR instant)
  kSearchValue,   // like dateTime, but minutes-only times and a missing offset (read as UTC) are
                  // accepted, as FHIR search allows
};

// Parses `text`; on failure returns kInvalid with code "invalid-datetime" and a message that
// quotes the text and the expected form.
Result<DateTime> parseDateTime(std::string_view text, DateTimeForm form = DateTimeForm::kDateTime);

// 2026-11-23T07:06:27.123Z
std::string formatInstant(int64_t ms);
// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 IMF-fixdate), seconds precision.
std::string formatHttpDate(int64_t ms);

// Days since 1970-01-01 for a proleptic Gregorian civil date, and back.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace mes::fhir
