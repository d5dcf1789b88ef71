// The `mes-conformance` command line: every command as a function of its arguments and an
// environment (HTTP client factory, clock, sleep, output streams), so that main() only
// assembles the real ones and the tests pass fakes.
//
//   mes-conformance run --base-url URL [options]   play the server test plan against a gateway
//   mes-conformance sandbox --session DIR --client-id ID --redirect-uri URI... [options]
//                                                  a gateway for an editor's app, recorded
//   mes-conformance grade --session DIR [--report-dir DIR]
//                                                  the client test plan on a recording
//   mes-conformance list [--suite server|client]   the tests, as data
//   mes-conformance requirements [--suite server|client] [--lang en|fr]
//                                                  which requirements which tests cover
//   mes-conformance --help | --version
//
// Exit statuses (test_model.h): 0 every required test passed; 1 a required test failed or
// ended in error; 2 could not run (bad arguments, unknown --only ids, target unreachable,
// reports unwritable); 3 nothing failed but required tests were skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gateway/http/http_client.h"

namespace mes::conformance {

struct CliEnvironment {
  std::function<std::unique_ptr<http::HttpClient>(const http::ClientOptions&)> makeClient;
  const Clock* clock = nullptr;
  std::function<void(int64_t ms)> sleep;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // `sandbox` runs until this returns true; unset, it catches SIGINT and SIGTERM itself.
  std::function<bool()> stopRequested;
};

// `args` without the program name.
int runCli(const std::vector<std::string>& args, CliEnvironment& env);

// The version printed by --version and written in reports as the tester.
const char* toolVersion();

}  // namespace mes::conformance
