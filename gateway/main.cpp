// mes-gateway: assembles the gateway and runs one command. All logic lives in libraries.
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gateway/account_cli.h"
#include "gateway/app.h"
#include "gateway/blob_cli.h"
#include "gateway/cli.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/store_cli.h"

extern char** environ;

namespace {

constexpr const char* kVersion = "0.1.0";

void printHelp() {
  std::cout << "mes-gateway " << kVersion
            << " - Mon espace santé gateway for referenced health apps (FHIR R4)\n\n"
               "Usage:\n"
               "  mes-gateway [serve] [options]   serve the FHIR API (default command)\n"
               "  mes-gateway seed-demo [options] write the demo patient, its portal account and the\n"
               "                                  demo service, and print them as JSON\n";
  mes::gateway::printAdminHelp(std::cout);
  mes::gateway::printAccountHelp(std::cout);
  mes::gateway::printBlobsHelp(std::cout);
  mes::gateway::printStoreHelp(std::cout);
  std::cout <<
               "  mes-gateway --help | --version\n\n"
               "Options (flag / environment variable / config-file key, default):\n"
               "  --config FILE  (MES_CONFIG)  JSON config file; unknown keys are refused\n";
  for (const auto& s : mes::gateway::settingDocs()) {
    std::string flag = "  " + s.flag + " VALUE";
    // A flag too long for its column gets its description on the next line.
    flag = flag.size() < 32 ? flag + std::string(32 - flag.size(), ' ')
                            : flag + "\n" + std::string(32, ' ');
    std::cout << flag << s.help << "\n" << std::string(32, ' ') << "env " << s.env << ", key "
              << s.key << ", default " << (s.defaultValue.empty() ? "(none)" : s.defaultValue)
              << "\n";
  }
  std::cout << "\nPrecedence: defaults < config file < environment < flags.\n"
               "SIGTERM or SIGINT stops the server gracefully: in-flight requests finish, the\n"
               "store is closed cleanly.\n";
}

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq != nullptr) env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    printHelp();
    return 0;
  }
  if (!args.empty() && args[0] == "--version") {
    std::cout << "mes-gateway " << kVersion << "\n";
    return 0;
  }
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    command = args[0];
    args.erase(args.begin());
  }
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      printHelp();
      return 0;
    }
  }
  if (command == "account") {
    mes::SystemClock adminClock;
    mes::gateway::Logger adminLogger(adminClock, mes::gateway::LogLevel::kWarn);
    return mes::gateway::runAccountCommand(args, environment(), adminLogger, std::cin, std::cout,
                                           std::cerr);
  }
  if (command == "blobs") {
    mes::SystemClock adminClock;
    mes::gateway::Logger adminLogger(adminClock, mes::gateway::LogLevel::kWarn);
    return mes::gateway::runBlobsCommand(args, environment(), adminLogger, std::cout, std::cerr);
  }
  if (command == "store") {
    mes::SystemClock adminClock;
    mes::gateway::Logger adminLogger(adminClock, mes::gateway::LogLevel::kWarn);
    return mes::gateway::runStoreCommand(args, environment(), adminLogger, std::cout, std::cerr);
  }
  if (command == "service" || command == "keys") {
    mes::SystemClock adminClock;
    mes::gateway::Logger adminLogger(adminClock, mes::gateway::LogLevel::kWarn);
    return mes::gateway::runAdminCommand(command, args, environment(), adminLogger, std::cout,
                                         std::cerr);
  }
  if (command != "serve" && command != "seed-demo") {
    std::cerr << "mes-gateway: unknown command '" << command << "' (see --help)\n";
    return 2;
  }

  auto config = mes::gateway::loadConfig(args, environment());
  if (!config) {
    std::cerr << "mes-gateway: " << config.error().problems.front().message << "\n";
    return 2;
  }
  mes::SystemClock clock;
  mes::gateway::Logger logger(clock, mes::gateway::parseLogLevel(config->logLevel));

  // Block the stop signals before any thread starts, so that only sigwait() below sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto gateway = mes::gateway::Gateway::open(*config, logger);
  if (!gateway) {
    const auto& e = gateway.error();
    logger.error("cannot open the gateway", {{"reason", e.problems.front().message},
                                             {"detail", e.detail}});
    return 1;
  }
  if (command == "seed-demo") {
    auto seeded = mes::gateway::seedDemo(**gateway, *config);
    if (!seeded) {
      logger.error("seeding failed", {{"reason", seeded.error().problems.front().message},
                                      {"detail", seeded.error().detail}});
      return 1;
    }
    std::cout << *seeded << std::endl;
    (*gateway)->stop();
    return 0;
  }

  mes::Status serving = (*gateway)->serve();
  if (!serving) {
    logger.error("cannot serve", {{"reason", serving.error().problems.front().message}});
    return 1;
  }
  int signal = 0;
  sigwait(&stopSignals, &signal);
  logger.info("stopping", {{"signal", std::string(strsignal(signal))}});
  (*gateway)->stop();
  logger.info("stopped");
  return 0;
}
