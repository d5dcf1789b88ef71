// libFuzzer target: parseDateTime in every DateTimeForm, formatInstant and formatHttpDate
// (fhir/types/datetime.h). The input is the text of a date, dateTime, instant or search value.
//
// Checked on every input, for each form:
//  - a refusal is kInvalid "invalid-datetime" with a message;
//  - an accepted value has lowMs <= highMs, a range exactly as wide as its precision (a year,
//    a month, a day, a minute, a second, a millisecond), hasTime exactly when the precision
//    is finer than a day, and a precision the form allows;
//  - formatInstant(lowMs) and formatInstant(highMs) parse back as instants to the same
//    millisecond; formatHttpDate(lowMs) is an IMF-fixdate;
//  - the forms nest: what kDate or kInstant accepts, kDateTime accepts with the same range;
//    what kDateTime accepts, kSearchValue accepts with the same range.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/types/datetime.h"
#include "fuzz/fuzz_check.h"

namespace {

using mes::ErrorKind;
using mes::fhir::DatePrecision;
using mes::fhir::DateTime;
using mes::fhir::DateTimeForm;
using mes::fuzz::describe;
using mes::fuzz::printable;

constexpr int64_t kMsPerDay = 86'400'000;
constexpr DateTimeForm kForms[] = {DateTimeForm::kDate, DateTimeForm::kDateTime,
                                   DateTimeForm::kInstant, DateTimeForm::kSearchValue};

const char* formName(DateTimeForm form) {
  switch (form) {
    case DateTimeForm::kDate:
      return "kDate";
    case DateTimeForm::kDateTime:
      return "kDateTime";
    case DateTimeForm::kInstant:
      return "kInstant";
    case DateTimeForm::kSearchValue:
      return "kSearchValue";
  }
  return "?";
}

std::string describe(const DateTime& d) {
  return "[" + std::to_string(d.lowMs) + ", " + std::to_string(d.highMs) + "] precision " +
         std::to_string(static_cast<int>(d.precision)) + (d.hasTime ? " with time" : "");
}

bool sameValue(const DateTime& a, const DateTime& b) {
  return a.lowMs == b.lowMs && a.highMs == b.highMs && a.precision == b.precision &&
         a.hasTime == b.hasTime;
}

// Whether [lowMs, highMs] spans exactly one unit of `precision` starting at lowMs.
bool widthFits(const DateTime& d) {
  const int64_t width = d.highMs - d.lowMs + 1;
  switch (d.precision) {
    case DatePrecision::kYear:
      return width == 365 * kMsPerDay || width == 366 * kMsPerDay;
    case DatePrecision::kMonth:
      return width >= 28 * kMsPerDay && width <= 31 * kMsPerDay;
    case DatePrecision::kDay:
      return width == kMsPerDay;
    case DatePrecision::kMinute:
      return width == 60'000;
    case DatePrecision::kSecond:
      return width == 1000;
    case DatePrecision::kMillisecond:
      return width == 1;
  }
  return false;
}

bool precisionAllowed(DateTimeForm form, DatePrecision p) {
  const bool dateOnly =
      p == DatePrecision::kYear || p == DatePrecision::kMonth || p == DatePrecision::kDay;
  switch (form) {
    case DateTimeForm::kDate:
      return dateOnly;
    case DateTimeForm::kDateTime:
      return p != DatePrecision::kMinute;
    case DateTimeForm::kInstant:
      return p == DatePrecision::kSecond || p == DatePrecision::kMillisecond;
    case DateTimeForm::kSearchValue:
      return true;
  }
  return false;
}

// formatInstant(ms) must be an instant that parseDateTime reads back as exactly `ms`.
void checkInstantRoundTrip(std::string_view input, DateTimeForm form, int64_t ms) {
  const std::string formatted = mes::fhir::formatInstant(ms);
  auto back = mes::fhir::parseDateTime(formatted, DateTimeForm::kInstant);
  MES_FUZZ_CHECK(back.isOk(), std::string(formName(form)) + " accepted " + printable(input) +
                                  "; formatInstant(" + std::to_string(ms) +
                                  ") = " + printable(formatted) + " is refused as an instant:\n" +
                                  (back ? std::string() : describe(back.error())));
  MES_FUZZ_CHECK(back->lowMs == ms && back->highMs == ms,
                 std::string(formName(form)) + " accepted " + printable(input) +
                     "; formatInstant(" + std::to_string(ms) + ") = " + printable(formatted) +
                     " reads back as " + describe(*back));
}

void checkHttpDate(int64_t ms) {
  const std::string date = mes::fhir::formatHttpDate(ms);
  // "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters for a four-digit year.
  MES_FUZZ_CHECK(date.size() >= 29 && date[3] == ',' && date.substr(date.size() - 4) == " GMT",
                 "formatHttpDate(" + std::to_string(ms) + ") = " + printable(date));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::optional<DateTime> accepted[std::size(kForms)];
  for (size_t i = 0; i < std::size(kForms); ++i) {
    const DateTimeForm form = kForms[i];
    auto parsed = mes::fhir::parseDateTime(text, form);
    if (!parsed) {
      const mes::Error& e = parsed.error();
      MES_FUZZ_CHECK(e.kind == ErrorKind::kInvalid && e.code() == "invalid-datetime" &&
                         e.problems.size() == 1 && !e.problems.front().message.empty(),
                     describe(e));
      continue;
    }
    const DateTime& d = *parsed;
    const auto where = [&] {
      return std::string(formName(form)) + " " + printable(text) + " -> " + describe(d);
    };
    MES_FUZZ_CHECK(d.lowMs <= d.highMs, where());
    MES_FUZZ_CHECK(widthFits(d), where());
    MES_FUZZ_CHECK(precisionAllowed(form, d.precision), where());
    const bool finerThanDay = d.precision == DatePrecision::kMinute ||
                              d.precision == DatePrecision::kSecond ||
                              d.precision == DatePrecision::kMillisecond;
    MES_FUZZ_CHECK(d.hasTime == finerThanDay, where());
    checkInstantRoundTrip(text, form, d.lowMs);
    checkInstantRoundTrip(text, form, d.highMs);
    checkHttpDate(d.lowMs);
    accepted[i] = d;
  }

  const auto& date = accepted[0];
  const auto& dateTime = accepted[1];
  const auto& instant = accepted[2];
  const auto& search = accepted[3];
  if (date) {
    MES_FUZZ_CHECK(dateTime && sameValue(*date, *dateTime),
                   "kDate accepts " + printable(text) + " but kDateTime differs");
  }
  if (instant) {
    MES_FUZZ_CHECK(dateTime && sameValue(*instant, *dateTime),
                   "kInstant accepts " + printable(text) + " but kDateTime differs");
  }
  if (dateTime) {
    MES_FUZZ_CHECK(search && sameValue(*dateTime, *search),
                   "kDateTime accepts " + printable(text) + " but kSearchValue differs");
  }
  return 0;
}
