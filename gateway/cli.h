// The administration commands of mes-gateway that act on a data directory without serving:
//   service add|list|suspend|reinstate   the services (OAuth clients) of the registry
//   keys rotate|list                     the token-signing keys
// Each takes its own flags first; the rest are the usual configuration flags (--data-dir...).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "gateway/config.h"
#include "gateway/log.h"

namespace mes::gateway {

// Splits `args` into the command's own flags (names in `own`, each taking a value; repeatable)
// and the rest (configuration flags). Unknown "--x" flags stay in the rest, where loadConfig
// refuses them.
std::vector<std::pair<std::string, std::string>> takeFlags(std::vector<std::string>& args,
                                                           const std::vector<std::string>& own,
                                                           std::string& error);

// Runs `mes-gateway <command> <sub> ...`; returns the process exit status (0 ok, 1 failure,
// 2 usage). Output (JSON) on `out`, messages on `err`.
int runAdminCommand(const std::string& command, std::vector<std::string> args,
                    const std::map<std::string, std::string>& env, Logger& logger,
                    std::ostream& out, std::ostream& err);

void printAdminHelp(std::ostream& out);

}  // namespace mes::gateway
