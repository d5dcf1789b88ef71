// mes-conformance: assembles the real HTTP client, clock and streams; the commands are in
// conformance/cli.cpp.
#include <chrono>
#include <iostream>
#include <thread>

#include "conformance/cli.h"

int main(int argc, char** argv) {
  const mes::SystemClock clock;
  mes::conformance::CliEnvironment env;
  env.makeClient = [](const mes::http::ClientOptions& options) {
    return mes::http::makeHttpClient(options);
  };
  env.clock = &clock;
  env.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  env.out = &std::cout;
  env.err = &std::cerr;
  return mes::conformance::runCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
