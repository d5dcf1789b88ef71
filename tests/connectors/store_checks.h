// Checks the store suites share: a Result or Status that must succeed, or fail with a kind and
// a code, with the error spelled out in the failure message.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>

#include "core/status.h"

namespace mes::test {

inline std::string describe(const Error& e) {
  std::string text =
      "kind " + std::to_string(static_cast<int>(e.kind)) + " code '" + e.code() + "'";
  if (!e.problems.empty()) text += " message '" + e.problems.front().message + "'";
  if (!e.detail.empty()) text += " detail '" + e.detail + "'";
  return text;
}

template <typename R>
void requireOk(const R& r) {
  BOOST_REQUIRE_MESSAGE(r.isOk(), (r.isOk() ? std::string() : describe(r.error())));
}

template <typename R>
void checkError(const R& r, ErrorKind kind, const std::string& code) {
  BOOST_REQUIRE_MESSAGE(!r.isOk(), "expected error '" + code + "', got success");
  BOOST_TEST(static_cast<int>(r.error().kind) == static_cast<int>(kind), describe(r.error()));
  BOOST_TEST(r.error().code() == code, describe(r.error()));
}

}  // namespace mes::test
