// libFuzzer target: the query string of GET /fhir/Observation, through the same two steps as
// a request: mes::http::parseQuery (gateway/http/message.h) then parseObservationSearch
// (gateway/observation_search.h), which uses fhir/search/search_params.h and parseDateTime.
// The input is the raw query, what follows '?' in the request target.
//
// Checked on every input:
//  - percentDecode(percentEncode(x)) == x for every decoded name and value, and percentEncode
//    writes only unreserved characters and %XX;
//  - a refusal is kInvalid, with problems that each have a code and a message;
//  - an accepted search has _count in [0, 100], _offset in [0, 1e9], non-empty token
//    alternatives with non-empty codes, date filters with at least one bound;
//  - the paging links the gateway builds from linkParams (each name and value percent-encoded,
//    then _count and _offset; gateway/fhir_api.cpp) parse back to the same search.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "gateway/http/message.h"
#include "gateway/observation_search.h"

namespace {

using mes::ErrorKind;
using mes::fuzz::describe;
using mes::fuzz::printable;
using mes::gateway::ObservationSearch;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr int kMaxOffset = 1'000'000'000;  // gateway/observation_search.cpp

void checkPercentEncoding(const std::string& decoded) {
  const std::string encoded = mes::http::percentEncode(decoded);
  for (size_t i = 0; i < encoded.size(); ++i) {
    const auto c = static_cast<unsigned char>(encoded[i]);
    if (c == '%') {
      MES_FUZZ_CHECK(i + 2 < encoded.size(), "truncated escape in " + printable(encoded));
      MES_FUZZ_CHECK(std::isxdigit(static_cast<unsigned char>(encoded[i + 1])) &&
                         std::isxdigit(static_cast<unsigned char>(encoded[i + 2])),
                     "bad escape in " + printable(encoded));
      i += 2;
      continue;
    }
    MES_FUZZ_CHECK(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~',
                   "percentEncode(" + printable(decoded) + ") = " + printable(encoded) +
                       " keeps a reserved character");
  }
  const std::string back = mes::http::percentDecode(encoded, false);
  MES_FUZZ_CHECK(back == decoded,
                 "percentDecode(percentEncode(" + printable(decoded) + ")) = " + printable(back));
}

std::string describe(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params)
    out += "\n  " + printable(name) + " = " + printable(value);
  return out;
}

bool sameTokens(const std::vector<mes::store::TokenFilter>& a,
                const std::vector<mes::store::TokenFilter>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].param != b[i].param || a[i].anyOf.size() != b[i].anyOf.size()) return false;
    for (size_t j = 0; j < a[i].anyOf.size(); ++j) {
      if (a[i].anyOf[j].system != b[i].anyOf[j].system ||
          a[i].anyOf[j].code != b[i].anyOf[j].code) {
        return false;
      }
    }
  }
  return true;
}

bool sameDates(const std::vector<mes::store::DateFilter>& a,
               const std::vector<mes::store::DateFilter>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].target != b[i].target || a[i].negate != b[i].negate ||
        a[i].allOf.size() != b[i].allOf.size()) {
      return false;
    }
    for (size_t j = 0; j < a[i].allOf.size(); ++j) {
      const auto& x = a[i].allOf[j];
      const auto& y = b[i].allOf[j];
      if (x.column != y.column || x.op != y.op || x.valueMs != y.valueMs) return false;
    }
  }
  return true;
}

bool sameSearch(const ObservationSearch& a, const ObservationSearch& b) {
  const auto sameIdentifier = [](const ObservationSearch& x, const ObservationSearch& y) {
    if (x.subjectIdentifier.has_value() != y.subjectIdentifier.has_value()) return false;
    if (!x.subjectIdentifier) return true;
    return x.subjectIdentifier->system == y.subjectIdentifier->system &&
           x.subjectIdentifier->code == y.subjectIdentifier->code;
  };
  return a.query.type == b.query.type && a.query.patient == b.query.patient &&
         sameTokens(a.query.tokens, b.query.tokens) && sameDates(a.query.dates, b.query.dates) &&
         a.query.sort == b.query.sort && a.query.count == b.query.count &&
         a.query.offset == b.query.offset && a.includeDevice == b.includeDevice &&
         sameIdentifier(a, b) && a.linkParams == b.linkParams;
}

void checkAccepted(const ObservationSearch& s, const Params& params) {
  const mes::store::SearchQuery& q = s.query;
  MES_FUZZ_CHECK(q.count >= 0 && q.count <= mes::gateway::kMaxPageSize,
                 "_count " + std::to_string(q.count) + describe(params));
  MES_FUZZ_CHECK(q.offset >= 0 && q.offset <= kMaxOffset,
                 "_offset " + std::to_string(q.offset) + describe(params));
  MES_FUZZ_CHECK(!q.patient || !q.patient->empty(), "empty patient" + describe(params));
  for (const auto& filter : q.tokens) {
    MES_FUZZ_CHECK(!filter.anyOf.empty(), "token filter without values" + describe(params));
    for (const auto& alternative : filter.anyOf) {
      MES_FUZZ_CHECK(!alternative.code.empty(), "token without code" + describe(params));
    }
  }
  for (const auto& filter : q.dates) {
    MES_FUZZ_CHECK(!filter.allOf.empty(), "date filter without bounds" + describe(params));
  }
  if (s.subjectIdentifier) {
    MES_FUZZ_CHECK(s.subjectIdentifier->system && !s.subjectIdentifier->system->empty() &&
                       !s.subjectIdentifier->code.empty(),
                   "subject.identifier without system or code" + describe(params));
  }
}

// The query of the gateway's self/next/previous links for `s`, at its own window.
std::string linkQuery(const ObservationSearch& s) {
  std::string query;
  for (const auto& [name, value] : s.linkParams) {
    query += mes::http::percentEncode(name) + "=" + mes::http::percentEncode(value) + "&";
  }
  return query + "_count=" + std::to_string(s.query.count) +
         "&_offset=" + std::to_string(s.query.offset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const Params params = mes::http::parseQuery(raw);
  for (const auto& [name, value] : params) {
    checkPercentEncoding(name);
    checkPercentEncoding(value);
  }

  auto search = mes::gateway::parseObservationSearch(params);
  if (!search) {
    const mes::Error& e = search.error();
    MES_FUZZ_CHECK(e.kind == ErrorKind::kInvalid && !e.problems.empty(),
                   describe(e) + describe(params));
    for (const mes::Problem& p : e.problems) {
      MES_FUZZ_CHECK(!p.code.empty() && !p.message.empty(), describe(e) + describe(params));
    }
    return 0;
  }
  checkAccepted(*search, params);

  const std::string link = linkQuery(*search);
  const Params linkParams = mes::http::parseQuery(link);
  auto again = mes::gateway::parseObservationSearch(linkParams);
  MES_FUZZ_CHECK(again.isOk(), "the link query " + printable(link) + " is refused:\n" +
                                   (again ? std::string() : describe(again.error())) +
                                   "\nfirst parse of" + describe(params));
  MES_FUZZ_CHECK(
      sameSearch(*search, *again),
      "the link query " + printable(link) + " parses to another search than" + describe(params));
  return 0;
}
