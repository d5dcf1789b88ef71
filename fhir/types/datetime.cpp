#include "fhir/types/datetime.h"

#include <cstdio>

namespace mes::fhir {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int64_t kFirstMs = -62'135'596'800'000;  // 0001-01-01T00:00:00.000Z
constexpr int64_t kLastMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysInMonth(int y, int m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && isLeap(y)) ? 29 : kDays[m - 1];
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

Error invalid(std::string_view text, DateTimeForm form) {
  const char* expected = "";
  switch (form) {
    case DateTimeForm::kDate: expected = "YYYY, YYYY-MM or YYYY-MM-DD"; break;
    case DateTimeForm::kDateTime:
      expected = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.sss] with Z or +hh:mm";
      break;
    case DateTimeForm::kInstant: expected = "YYYY-MM-DDThh:mm:ss[.sss] with Z or +hh:mm"; break;
    case DateTimeForm::kSearchValue:
      expected = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|+hh:mm]";
      break;
  }
  return Error::make(ErrorKind::kInvalid, "invalid-datetime",
                     "\"" + std::string(text) + "\" is not a valid date/time; expected " +
                         expected + ".");
}

}  // namespace

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<DateTime> parseDateTime(std::string_view s, DateTimeForm form) {
  int year = 0;
  int month = 1;
  int day = 1;
  DateTime out;
  if (s.size() < 4 || !digits(s, 0, 4, year) || year < 1) return invalid(s, form);
  size_t pos = 4;
  out.precision = DatePrecision::kYear;
  if (pos < s.size()) {
    if (s[pos] != '-' || !digits(s, pos + 1, 2, month) || month < 1 || month > 12) {
      return invalid(s, form);
    }
    pos += 3;
    out.precision = DatePrecision::kMonth;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !digits(s, pos + 1, 2, day) || day < 1 ||
        static_cast<unsigned>(day) > daysInMonth(year, month)) {
      return invalid(s, form);
    }
    pos += 3;
    out.precision = DatePrecision::kDay;
  }
  const int64_t dayStart =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * kMsPerDay;

  if (pos == s.size()) {
    if (form == DateTimeForm::kInstant) return invalid(s, form);
    out.lowMs = dayStart;
    switch (out.precision) {
      case DatePrecision::kYear:
        out.highMs = daysFromCivil(year + 1, 1, 1) * kMsPerDay - 1;
        break;
      case DatePrecision::kMonth:
        out.highMs = (month == 12 ? daysFromCivil(year + 1, 1, 1)
                                  : daysFromCivil(year, static_cast<unsigned>(month + 1), 1)) *
                         kMsPerDay -
                     1;
        break;
      default: out.highMs = dayStart + kMsPerDay - 1; break;
    }
    return out;
  }

  // A time part: only after a full date.
  if (form == DateTimeForm::kDate || out.precision != DatePrecision::kDay || s[pos] != 'T') {
    return invalid(s, form);
  }
  ++pos;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  if (!digits(s, pos, 2, hour) || hour > 23 || pos + 2 >= s.size() || s[pos + 2] != ':' ||
      !digits(s, pos + 3, 2, minute) || minute > 59) {
    return invalid(s, form);
  }
  pos += 5;
  out.precision = DatePrecision::kMinute;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, second) || second > 60) return invalid(s, form);
    if (second == 60) second = 59;  // leap second: keep it inside the minute
    pos += 3;
    out.precision = DatePrecision::kSecond;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t start = pos;
      int scale = 100;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        millis += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start || pos - start > 9) return invalid(s, form);
      out.precision = DatePrecision::kMillisecond;
    }
  } else if (form != DateTimeForm::kSearchValue) {
    return invalid(s, form);  // dateTime and instant need seconds
  }

  int64_t offsetMs = 0;
  if (pos == s.size()) {
    if (form != DateTimeForm::kSearchValue) return invalid(s, form);  // offset is mandatory
  } else if (s[pos] == 'Z' && pos + 1 == s.size()) {
    ++pos;
  } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size()) {
    int oh = 0;
    int om = 0;
    if (!digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 14 || om > 59) {
      return invalid(s, form);
    }
    offsetMs = (oh * 60 + om) * 60'000LL * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return invalid(s, form);
  }

  out.hasTime = true;
  out.lowMs = dayStart + ((hour * 60LL + minute) * 60 + second) * 1000 + millis - offsetMs;
  switch (out.precision) {
    case DatePrecision::kMinute: out.highMs = out.lowMs + 60'000 - 1; break;
    case DatePrecision::kSecond: out.highMs = out.lowMs + 1000 - 1; break;
    default: out.highMs = out.lowMs; break;
  }
  // An offset may move a time at the edge of year 1 or 9999 outside the years FHIR allows.
  if (out.lowMs < kFirstMs || out.highMs > kLastMs) return invalid(s, form);
  return out;
}

std::string formatInstant(int64_t ms) {
  int64_t days = ms >= 0 ? ms / kMsPerDay : (ms - kMsPerDay + 1) / kMsPerDay;
  int64_t rem = ms - days * kMsPerDay;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civilFromDays(days, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3'600'000),
                static_cast<long long>(rem / 60'000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

std::string formatHttpDate(int64_t ms) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = ms >= 0 ? ms / kMsPerDay : (ms - kMsPerDay + 1) / kMsPerDay;
  int64_t rem = (ms - days * kMsPerDay) / 1000;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civilFromDays(days, y, m, d);
  int64_t weekday = ((days % 7) + 7) % 7;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT", kDays[weekday], d,
                kMonths[m - 1], static_cast<long long>(y), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace mes::fhir
