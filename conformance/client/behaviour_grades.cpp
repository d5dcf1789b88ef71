// Behaviour under refusals (INT-08, ECH-05): a refused request is not resent unchanged in a
// loop, a write the gateway could not take is not lost, and Retry-After is waited for.
#include <cstdlib>
#include <map>
#include <set>

#include "conformance/client/grades.h"

namespace mes::conformance::client {

namespace {

constexpr int kLoopResends = 2;        // resent unchanged this many times after a refusal: a loop
constexpr int64_t kClockSlackMs = 50;  // timer granularity allowed on Retry-After

bool isWriteMethod(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// What makes two requests the same request (the token may change between them).
std::string sameness(const RecordedExchange& e) {
  std::string key = e.method + " " + e.target + "\n";
  for (const char* h : {"If-Match", "If-None-Exist", "If-None-Match"}) {
    key += e.requestHeaders.get(h) + "\n";
  }
  return key + (e.requestBody.truncated ? e.requestBody.sha256 : e.requestBody.bytes);
}

std::string pathAndMethod(const RecordedExchange& e) {
  return e.method + " " + pathOfTarget(e.target);
}

bool refusedByRules(int status) {
  return status >= 400 && status < 500 && status != 401 && status != 429;
}

bool failedServerSide(const RecordedExchange& e) {
  return e.status >= 500 || !e.failure.empty();
}

void errorHandling(TestScope& t, const Traffic& traffic) {
  std::vector<const RecordedExchange*> calls;
  for (const RecordedExchange& e : traffic.all()) {
    if (isAppApiCall(e)) calls.push_back(&e);
  }
  Findings f(t, traffic);
  size_t refusals = 0;
  std::set<std::string> reported;
  for (size_t i = 0; i < calls.size(); ++i) {
    const RecordedExchange& e = *calls[i];
    if (refusedByRules(e.status)) {
      ++refusals;
      const std::string key = sameness(e);
      int resent = 0;
      const RecordedExchange* last = nullptr;
      for (size_t j = i + 1; j < calls.size(); ++j) {
        if (calls[j]->startedMs >= e.finishedMs && sameness(*calls[j]) == key) {
          ++resent;
          last = calls[j];
        }
      }
      if (resent >= kLoopResends && reported.insert(key).second) {
        const std::string codes = outcomeCodesOf(e);
        f.offence(*last, "sent unchanged " + count(static_cast<size_t>(resent), "time", "times") +
                             " more after the gateway refused it at #" + std::to_string(e.seq) +
                             " with " + std::to_string(e.status) +
                             (codes.empty() ? "" : " (" + codes + ")") +
                             ": a refused request is corrected or given up, not resent in a loop");
      } else if (resent < kLoopResends) {
        f.judged(e);
      }
    } else if (failedServerSide(e)) {
      ++refusals;
      if (!isWriteMethod(e.method) || pathOfTarget(e.target).rfind("/fhir", 0) != 0) {
        f.judged(e);
        continue;
      }
      bool retried = false;
      for (size_t j = i + 1; j < calls.size() && !retried; ++j) {
        const RecordedExchange& later = *calls[j];
        retried =
            later.method == e.method && later.target == e.target &&
            (later.requestBody.truncated ? later.requestBody.sha256 : later.requestBody.bytes) ==
                (e.requestBody.truncated ? e.requestBody.sha256 : e.requestBody.bytes);
      }
      if (retried) {
        f.judged(e);
      } else {
        f.offence(e, "the write the gateway could not take (" +
                         (e.failure.empty() ? std::to_string(e.status) : std::string("no answer")) +
                         ") was never sent again: its data is lost (retry it, after Retry-After "
                         "when the answer gives one)");
      }
    }
  }
  if (refusals == 0) {
    t.skip(
        "The gateway refused none of the app's requests during the session (no 4xx but 401 "
        "and 429, no 5xx)" +
        std::string(traffic.info().unavailableAt > 0
                        ? ": the sandbox answers its write #" +
                              std::to_string(traffic.info().unavailableAt) +
                              " to /fhir with 503, and it made fewer writes."
                        : "."));
  }
  f.conclude("The app does not handle the gateway's errors as INT-08 requires",
             count(refusals, "refused or failed request", "refused or failed requests") +
                 ", none resent unchanged in a loop, every failed write sent again");
}

// Retry-After in seconds (delay-seconds, or an HTTP-date against the answer's time).
std::optional<int64_t> retryAfterMs(const RecordedExchange& e) {
  const std::string& value = e.responseHeaders.get("Retry-After");
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string::npos && value.size() < 9) {
    return std::stoll(value) * 1000;
  }
  std::tm tm{};
  if (::strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  const int64_t at = static_cast<int64_t>(::timegm(&tm)) * 1000;
  return std::max<int64_t>(0, at - e.finishedMs);
}

void retryAfter(TestScope& t, const Traffic& traffic) {
  std::vector<const RecordedExchange*> calls;
  for (const RecordedExchange& e : traffic.all()) {
    if (isAppApiCall(e)) calls.push_back(&e);
  }
  Findings f(t, traffic);
  size_t delays = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    const RecordedExchange& e = *calls[i];
    if (e.status != 429 && e.status != 503) continue;
    const std::optional<int64_t> wait = retryAfterMs(e);
    if (!wait) continue;
    ++delays;
    const RecordedExchange* again = nullptr;
    for (size_t j = i + 1; j < calls.size() && again == nullptr; ++j) {
      if (pathAndMethod(*calls[j]) == pathAndMethod(e) && calls[j]->startedMs >= e.finishedMs) {
        again = calls[j];
      }
    }
    if (again == nullptr) {
      f.judged(e);
      t.note(traffic.describe(e) +
             " was not sent again (client.error-handling judges a lost "
             "write).");
      continue;
    }
    const int64_t waited = again->startedMs - e.finishedMs;
    if (waited + kClockSlackMs < *wait) {
      f.offence(*again, "sent again " + std::to_string(waited) + " ms after the " +
                            std::to_string(e.status) + " of #" + std::to_string(e.seq) +
                            ", which asked to wait " + std::to_string(*wait / 1000) +
                            " s (Retry-After)");
    } else {
      f.judged(e);
      f.judged(*again);
    }
  }
  if (delays == 0) {
    t.skip("The gateway answered none of the app's requests with 429 or 503 and a Retry-After" +
           std::string(traffic.info().unavailableAt > 0
                           ? " (the sandbox answers its write #" +
                                 std::to_string(traffic.info().unavailableAt) +
                                 " to /fhir so: it made fewer writes)."
                           : "."));
  }
  f.conclude("The app does not wait for Retry-After, as ECH-05 requires",
             count(delays, "answer", "answers") +
                 " with Retry-After, each waited for before the request was sent again");
}

}  // namespace

void addBehaviourGrades(Plan& plan, const Traffic& traffic) {
  add(plan, "client.error-handling",
      "Refused requests are not resent in a loop, failed writes not lost",
      "A request the gateway refuses (4xx but 401 and 429, with an OperationOutcome and a "
      "stable code) is corrected or given up, never resent unchanged twice or more; a write the "
      "gateway could not take (5xx, no answer) is sent again later, so that no data is lost. "
      "The sandbox answers one write 503 on purpose to show it.",
      {"INT-08"}, [&traffic](TestScope& t) { errorHandling(t, traffic); });
  add(plan, "client.retry-after", "Retry-After is waited for",
      "After a 429 or 503 answer carrying Retry-After, the app sends that request again no "
      "sooner than the delay asked.",
      {"ECH-05"}, [&traffic](TestScope& t) { retryAfter(t, traffic); });
}

}  // namespace mes::conformance::client
