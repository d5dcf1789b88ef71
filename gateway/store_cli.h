// `mes-gateway store copy --to <postgres url> [--to-schema NAME] [settings...]`: moves a SQLite
// deployment (the data directory's store and signing keys) into an empty PostgreSQL store
// (connectors/postgres/store_copy.h). The audit journal is imported into the SQLite store first,
// so the copy holds every entry. Prints what was copied as JSON; the URL's password never
// appears in the output or the log.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gateway/log.h"

namespace mes::gateway {

void printStoreHelp(std::ostream& out);
int runStoreCommand(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                    Logger& logger, std::ostream& out, std::ostream& err);

}  // namespace mes::gateway
