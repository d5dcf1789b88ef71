// `mes-conformance sandbox`: a gateway for an editor's own app, with test patients, the app's
// registration and a recorder of every exchange, in one session directory that `grade` reads.
//
// What it does, in order:
//  1. creates the session directory (0700; it must not exist yet, or be empty);
//  2. runs `mes-gateway seed-demo` on <session>/gateway: two test patients (Patient/demo and
//     Patient/demo-2) with portal accounts and random passwords;
//  3. registers the editor's app with `mes-gateway service add` (referenced, public or
//     confidential with its JWK Set, the redirect URIs given, the scopes of the MES access
//     families given): the harness reaches the gateway only through its command line and HTTP,
//     never through its internals;
//  4. starts `mes-gateway serve` as a child process on a free loopback port, with
//     --public-url set to the sandbox's public URL (so that its issuer, token audience and
//     links are the ones the app talks to) and a short access-token lifetime;
//  5. serves the recorder (recorder.h) on the public port, writes session.json and prints what
//     the editor needs: the base, FHIR and discovery URLs, the registration, the test
//     patients' logins and passwords, the deliberate faults; then each one-time login code
//     (and each notification) as the gateway sends it;
//  6. on SIGINT or SIGTERM: stops taking requests (those in flight finish and are recorded),
//     closes the recording, stops the gateway, and writes the closed session.json.
// Exit status: 0 after a clean stop; 1 when the gateway stopped by itself (its log's tail is
// printed) or the recording could not be written; 2 when the sandbox could not start (the
// session directory, the port, the gateway's commands refusing the registration...), in which
// case the session directory is left empty.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "conformance/cli.h"
#include "conformance/client/recorder.h"

namespace mes::conformance::client {

struct SandboxSettings {
  std::string sessionDir;
  std::string listen = "127.0.0.1";
  int port = 8090;
  std::string publicUrl;      // empty: http://<listen>:<port>
  std::string gatewayBinary;  // empty: mes-gateway beside this program
  std::string clientId;
  std::vector<std::string> redirectUris;
  std::string clientType = "public";  // public | confidential-asymmetric
  std::string jwksFile;               // confidential: the app's public JWK Set
  std::string name;                   // empty: "Application de test <client id>"
  std::string editor = "Éditeur de test";
  std::string editorOid = "urn:oid:1.2.250.1.999.1.99";
  std::vector<std::string> accesses;  // MES access family ids; empty: every family
  int accessTokenSeconds = 60;
  FaultPlan faults;
  size_t keepBodyBytes = 2 << 20;
};

// The access families' scopes, space-separated (oauth/api_access.h); kInvalid
// "access-unknown" naming an id that is no family.
Result<std::string> scopesOfAccesses(const std::vector<std::string>& accesses);

// Runs the sandbox until stopped (see above). Stops when env.stopRequested returns true; when
// env has none, SIGINT and SIGTERM are caught for that.
int runSandbox(const SandboxSettings& settings, CliEnvironment& env);

}  // namespace mes::conformance::client
