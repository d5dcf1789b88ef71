// `mes-gateway blobs check`: compares the blob store (<data-dir>/blobs) with the documents
// that reference it, as the gateway does at start. Prints JSON:
//   {"blobs": N, "binaries": N, "unreferenced": [sha256...], "missing": ["Binary/<id> <sha256>"...]}
// `unreferenced` blobs are bytes no document points at (a publish whose rows failed after the
// blob commit, see gateway/document_service.h): harmless, listed for the operator. `missing`
// ones are documents whose bytes are gone (a restored database with an older blob directory):
// their Binary answers 500. Exit status: 0 when nothing is missing, 1 otherwise or on failure,
// 2 on a usage error.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "gateway/log.h"

namespace mes::gateway {

int runBlobsCommand(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                    Logger& logger, std::ostream& out, std::ostream& err);

void printBlobsHelp(std::ostream& out);

}  // namespace mes::gateway
