// libFuzzer target: the query string of GET /fhir/DocumentReference, through the same two steps
// as a request: mes::http::parseQuery then parseDocumentSearch (gateway/document_search.h).
//
// Checked on every input:
//  - a refusal is kInvalid, with problems that each have a code and a message;
//  - an accepted search has _count in [0, 100], _offset >= 0, a status filter (the default
//    current when none was given), non-empty token alternatives and reference targets, and
//    named date filters only on "period";
//  - the paging links the gateway builds from linkParams (gateway/fhir_response.cpp
//    searchsetResponse) parse back to the same search.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "gateway/document_search.h"
#include "gateway/http/message.h"
#include "gateway/observation_search.h"

namespace {

using mes::fuzz::describe;
using mes::fuzz::printable;
using mes::gateway::DocumentSearch;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kNowMs = 1'795'000'000'000;

std::string describe(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) out += "\n  " + printable(name) + " = " + printable(value);
  return out;
}

// A canonical text of what the store is asked, to compare two parses.
std::string shapeOf(const DocumentSearch& s) {
  const auto& q = s.query;
  std::string out = q.type + "|" + q.patient.value_or("-") + "|" + std::to_string(q.count) + "|" +
                    std::to_string(q.offset) + "|";
  for (const auto& t : q.tokens) {
    out += t.param + ":";
    for (const auto& a : t.anyOf) out += a.system.value_or("*") + "|" + a.code + ",";
    out += ";";
  }
  for (const auto& r : q.references) {
    out += r.param + ":";
    for (const auto& target : r.anyOf) out += target + ",";
    out += ";";
  }
  for (const auto& d : q.dates) {
    out += std::to_string(static_cast<int>(d.target)) + d.param + (d.negate ? "!" : "") + ":";
    for (const auto& b : d.allOf) {
      out += std::to_string(static_cast<int>(b.column)) + std::to_string(static_cast<int>(b.op)) +
             std::to_string(b.valueMs) + ",";
    }
    out += ";";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const Params params = mes::http::parseQuery(raw);
  auto search = mes::gateway::parseDocumentSearch(params, kNowMs);
  if (!search) {
    const mes::Error& e = search.error();
    MES_FUZZ_CHECK(e.kind == mes::ErrorKind::kInvalid && !e.problems.empty(),
                   describe(e) + describe(params));
    for (const mes::Problem& p : e.problems) {
      MES_FUZZ_CHECK(!p.code.empty() && !p.message.empty(), describe(e) + describe(params));
    }
    return 0;
  }
  const auto& q = search->query;
  MES_FUZZ_CHECK(q.count >= 0 && q.count <= mes::gateway::kMaxPageSize, "_count" + describe(params));
  MES_FUZZ_CHECK(q.offset >= 0, "_offset" + describe(params));
  bool status = false;
  for (const auto& t : q.tokens) {
    status = status || t.param == "status";
    MES_FUZZ_CHECK(!t.anyOf.empty(), "token filter without values" + describe(params));
    for (const auto& a : t.anyOf) MES_FUZZ_CHECK(!a.code.empty(), "empty code" + describe(params));
  }
  MES_FUZZ_CHECK(status, "no status filter" + describe(params));
  for (const auto& r : q.references) {
    for (const auto& target : r.anyOf) {
      MES_FUZZ_CHECK(target.find('/') != std::string::npos, "author " + printable(target) + describe(params));
    }
  }
  for (const auto& d : q.dates) {
    MES_FUZZ_CHECK(!d.allOf.empty(), "date filter without bounds" + describe(params));
    MES_FUZZ_CHECK(d.target != mes::store::DateFilter::Target::kNamed || d.param == "period",
                   "named date " + printable(d.param) + describe(params));
  }

  std::string link;
  for (const auto& [name, value] : search->linkParams) {
    link += mes::http::percentEncode(name) + "=" + mes::http::percentEncode(value) + "&";
  }
  link += "_count=" + std::to_string(q.count) + "&_offset=" + std::to_string(q.offset);
  auto again = mes::gateway::parseDocumentSearch(mes::http::parseQuery(link), kNowMs);
  MES_FUZZ_CHECK(again.isOk(), "the link query " + printable(link) + " is refused" + describe(params));
  MES_FUZZ_CHECK(shapeOf(*search) == shapeOf(*again),
                 "the link query " + printable(link) + " parses to another search than" +
                     describe(params));
  return 0;
}
