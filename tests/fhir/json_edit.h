// Table-driven profile tests edit one valid resource per case: a dotted path (array indexes as
// numbers) set to a JSON value, or removed when the value is null; and they compare the
// problems found as "code@expression" lists and the status they give.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/json/json.h"
#include "fhir/json/value.h"

namespace mes::test {

inline fhir::Value parseTestJson(const char* json) {
  auto v = fhir::parseJson(json);
  if (!v) throw std::runtime_error(std::string("bad test JSON: ") + json);
  return std::move(v).value();
}

struct Edit {
  const char* path = nullptr;
  const char* json = nullptr;
};

// Setting index == size of an array appends.
inline void apply(fhir::Value& root, const Edit& edit) {
  if (edit.path == nullptr) return;
  std::vector<std::string> parts;
  std::stringstream ss(edit.path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  fhir::Value* node = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    node = node->isArray() ? &node->items().at(std::stoul(parts[i])) : node->find(parts[i]);
    if (node == nullptr) throw std::runtime_error(std::string("bad edit path ") + edit.path);
  }
  const std::string& last = parts.back();
  if (node->isArray()) {
    auto& items = node->items();
    const size_t index = std::stoul(last);
    if (edit.json == nullptr) {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(index));
    } else if (index == items.size()) {
      items.push_back(parseTestJson(edit.json));
    } else {
      items.at(index) = parseTestJson(edit.json);
    }
  } else if (edit.json == nullptr) {
    node->erase(last);
  } else {
    node->set(last, parseTestJson(edit.json));
  }
}

// "code@expression" of every problem, space-separated, in order.
inline std::string actualProblems(const Error& e) {
  std::string out;
  for (const auto& p : e.problems) {
    if (!out.empty()) out += ' ';
    out += p.code + "@" + p.expression;
  }
  return out;
}

// A table row's verdict: `status` 0 expects success, otherwise that HTTP status and exactly
// the problems `expect` ("code@expression ...").
template <typename R>
void expectOutcome(const R& result, int status, const std::string& expect) {
  if (status == 0) {
    BOOST_TEST(result.isOk(), (result.isOk() ? "" : actualProblems(result.error())));
    return;
  }
  BOOST_REQUIRE(!result.isOk());
  BOOST_TEST(httpStatusOf(result.error().kind) == status);
  BOOST_TEST(actualProblems(result.error()) == expect);
}

}  // namespace mes::test
