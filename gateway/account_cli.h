// `mes-gateway account ...`: the portal accounts of a data directory, without serving.
//   account add --login L --patient ID   creates a patient account; the password is the first
//                                        line of standard input (refused when empty)
//   account add --login E --role R [--organisation O]
//                                        creates a registry account (admin, evaluator,
//                                        commission, or editor of organisation O) through the
//                                        registry's rules, the CLI acting as an administrator:
//                                        how the first administrator is made
//   account list                         every account, as JSON (never the password hash)
//   account unlock --login L             lifts a lockout and clears the failure count
// Each takes its own flags first; the rest are the usual configuration flags (--data-dir...).
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "gateway/log.h"

namespace mes::gateway {

// Runs the command (`args` are what follows "account"); returns the exit status (0 ok,
// 1 failure, 2 usage). Reads the password from `in`; JSON on `out`, messages on `err`.
int runAccountCommand(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                      Logger& logger, std::istream& in, std::ostream& out, std::ostream& err);

void printAccountHelp(std::ostream& out);

}  // namespace mes::gateway
