#include "conformance/client/sandbox.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>

#include "conformance/client/child_process.h"
#include "conformance/client/recording.h"
#include "fhir/json/json.h"
#include "gateway/http/http_server.h"
#include "oauth/api_access.h"

namespace mes::conformance::client {

namespace {

constexpr int kExitStopped = 0;
constexpr int kExitGatewayDied = 1;
constexpr int kExitCannotStart = 2;
constexpr int kGatewayPortTries = 3;
constexpr int64_t kReadyTimeoutMs = 60'000;

std::atomic<bool> gStop{false};

void onStopSignal(int) {
  gStop = true;
}

void catchStopSignals() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

std::string stringAt(const fhir::Value& v, std::string_view key) {
  const std::string* s = v.isObject() ? v.findString(key) : nullptr;
  return s != nullptr ? *s : std::string();
}

// A loopback port nobody listens on now (another process may take it before the gateway).
Result<int> freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::make(ErrorKind::kUnavailable, "port-unavailable", "No socket.");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) {
    return Error::make(ErrorKind::kUnavailable, "port-unavailable",
                       "Cannot find a free loopback port.");
  }
  return static_cast<int>(ntohs(address.sin_port));
}

std::string logTail(const std::filesystem::path& log, size_t lines = 15) {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "  | " + all[i] + "\n";
  }
  return out;
}

std::filesystem::path defaultGatewayBinary() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "mes-gateway";
  return self.parent_path() / "mes-gateway";
}

// Prints each new outbox message: one-time login codes in full, other notifications as a line.
class OutboxWatch {
 public:
  OutboxWatch(std::filesystem::path directory, std::map<std::string, std::string> loginOf)
      : directory_(std::move(directory)), loginOf_(std::move(loginOf)) {}

  void poll(std::ostream& out, int64_t nowMs) {
    std::error_code ec;
    std::vector<std::filesystem::path> fresh;
    for (std::filesystem::directory_iterator it(directory_, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::filesystem::path& p = it->path();
      if (p.extension() == ".json" && seen_.insert(p.filename().string()).second) {
        fresh.push_back(p);
      }
    }
    std::sort(fresh.begin(), fresh.end());
    for (const std::filesystem::path& p : fresh) {
      std::ifstream in(p);
      std::stringstream text;
      text << in.rdbuf();
      Result<fhir::Value> json = fhir::parseJson(text.str());
      if (!json) continue;
      const std::string kind = stringAt(*json, "kind");
      const std::string recipient = stringAt(*json, "recipient");
      const auto login = loginOf_.find(recipient);
      const std::string who =
          login != loginOf_.end() ? "Patient/" + recipient + " (" + login->second + ")" : recipient;
      if (kind == "login-code") {
        const fhir::Value* data = json->find("data");
        out << "[" << timeOfDay(nowMs) << "] One-time login code for " << who << ": "
            << (data != nullptr ? stringAt(*data, "code") : std::string("?")) << "\n";
      } else {
        out << "[" << timeOfDay(nowMs) << "] Notification to " << who << " (" << kind
            << "): " << stringAt(*json, "subject") << "\n";
      }
      out.flush();
    }
  }

 private:
  std::filesystem::path directory_;
  std::map<std::string, std::string> loginOf_;
  std::set<std::string> seen_;
};

struct SeededPatient {
  std::string patientId;
  std::string login;
  std::string password;
};

Result<std::vector<SeededPatient>> parseSeed(const std::string& text) {
  Result<fhir::Value> json = fhir::parseJson(text);
  if (!json || !json->isObject() || stringAt(*json, "patient_id").empty()) {
    return Error::make(ErrorKind::kUnavailable, "seed-failed",
                       "mes-gateway seed-demo printed no JSON with the test patients.");
  }
  std::vector<SeededPatient> out = {
      {stringAt(*json, "patient_id"), stringAt(*json, "login"), stringAt(*json, "password")}};
  if (const fhir::Value* other = json->find("other_patient")) {
    out.push_back(
        {stringAt(*other, "patient_id"), stringAt(*other, "login"), stringAt(*other, "password")});
  }
  return out;
}

// `mes-gateway <args>`: its stdout, or kUnavailable naming the command and its stderr.
Result<std::string> gatewayCommand(const std::string& binary, std::vector<std::string> args,
                                   const std::string& dataDir) {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--data-dir", dataDir, "--log-level", "warn"});
  Result<ProgramOutput> ran = runProgram(argv);
  if (!ran) return ran.takeError();
  if (ran->exitStatus != 0) {
    std::string said = ran->err.empty() ? ran->out : ran->err;
    while (!said.empty() && said.back() == '\n') said.pop_back();
    const std::string command = args[0] == "service" ? "service " + args[1] : args[0];
    return Error::make(ErrorKind::kUnavailable, "gateway-command-failed",
                       "mes-gateway " + command + " failed (exit " +
                           std::to_string(ran->exitStatus) + "): " + said);
  }
  return std::move(ran->out);
}

}  // namespace

Result<std::string> scopesOfAccesses(const std::vector<std::string>& accesses) {
  std::string scopes;
  const auto add = [&](const oauth::ApiAccess& access) {
    scopes += (scopes.empty() ? "" : " ") + std::string(access.scopes);
  };
  if (accesses.empty()) {
    for (const oauth::ApiAccess& access : oauth::mesApiAccesses()) add(access);
    return scopes;
  }
  for (const std::string& id : accesses) {
    const oauth::ApiAccess* access = oauth::findApiAccess(id);
    if (access == nullptr) {
      std::string known;
      for (const oauth::ApiAccess& a : oauth::mesApiAccesses()) {
        known += (known.empty() ? "" : ", ") + std::string(a.id);
      }
      return Error::make(ErrorKind::kInvalid, "access-unknown",
                         "--accesses: \"" + id + "\" is no MES access family (" + known + ").");
    }
    add(*access);
  }
  return scopes;
}

int runSandbox(const SandboxSettings& settings, CliEnvironment& env) {
  std::ostream& out = *env.out;
  std::ostream& err = *env.err;
  const std::filesystem::path session = settings.sessionDir;
  bool madeSession = false;
  // A sandbox that could not start leaves its session directory as it found it: empty.
  const auto fail = [&](const std::string& message) {
    err << "mes-conformance sandbox: " << message << "\n";
    std::error_code ignored;
    for (std::filesystem::directory_iterator it(session, ignored), end;
         madeSession && !ignored && it != end; it.increment(ignored)) {
      std::filesystem::remove_all(it->path(), ignored);
    }
    return kExitCannotStart;
  };

  const std::string binary =
      settings.gatewayBinary.empty() ? defaultGatewayBinary().string() : settings.gatewayBinary;
  if (::access(binary.c_str(), X_OK) != 0) {
    return fail("cannot run the gateway " + binary + " (give its path with --gateway).");
  }
  Result<std::string> scopes = scopesOfAccesses(settings.accesses);
  if (!scopes) return fail(scopes.error().problems.front().message);
  std::error_code ec;
  if (std::filesystem::exists(session, ec) && !std::filesystem::is_empty(session, ec)) {
    return fail("the session directory " + session.string() +
                " is not empty: give a new one for each session (grade an old one with "
                "`mes-conformance grade --session " +
                session.string() + "`).");
  }
  std::filesystem::create_directories(session, ec);
  if (ec) return fail("cannot create " + session.string() + ": " + ec.message());
  madeSession = true;
  ::chmod(session.c_str(), 0700);
  const std::filesystem::path dataDir = session / kGatewayDir;
  const std::filesystem::path gatewayLog = session / kGatewayLog;
  std::string publicUrl = settings.publicUrl.empty()
                              ? "http://" + settings.listen + ":" + std::to_string(settings.port)
                              : settings.publicUrl;
  while (!publicUrl.empty() && publicUrl.back() == '/') publicUrl.pop_back();

  // 2 and 3: the test patients and the app's registration.
  Result<std::string> seedText = gatewayCommand(binary, {"seed-demo"}, dataDir.string());
  if (!seedText) return fail(seedText.error().problems.front().message);
  Result<std::vector<SeededPatient>> patients = parseSeed(*seedText);
  if (!patients) return fail(patients.error().problems.front().message);
  const std::string name =
      settings.name.empty() ? "Application de test " + settings.clientId : settings.name;
  std::vector<std::string> add = {"service",          "add",           "--client-id",
                                  settings.clientId,  "--name",        name,
                                  "--editor",         settings.editor, "--editor-oid",
                                  settings.editorOid, "--type",        settings.clientType,
                                  "--scopes",         *scopes};
  for (const std::string& uri : settings.redirectUris)
    add.insert(add.end(), {"--redirect-uri", uri});
  if (!settings.jwksFile.empty()) add.insert(add.end(), {"--jwks-file", settings.jwksFile});
  Result<std::string> registered = gatewayCommand(binary, add, dataDir.string());
  if (!registered) return fail(registered.error().problems.front().message);

  // 4: the gateway on a private port.
  ChildProcess gateway;
  int privatePort = 0;
  std::unique_ptr<http::HttpClient> probe = env.makeClient({std::chrono::seconds(2), true});
  for (int attempt = 0; attempt < kGatewayPortTries && privatePort == 0; ++attempt) {
    Result<int> port = freeLoopbackPort();
    if (!port) return fail(port.error().problems.front().message);
    const std::vector<std::string> serve = {binary,
                                            "serve",
                                            "--listen",
                                            "127.0.0.1",
                                            "--port",
                                            std::to_string(*port),
                                            "--data-dir",
                                            dataDir.string(),
                                            "--public-url",
                                            publicUrl,
                                            "--oauth-access-token-seconds",
                                            std::to_string(settings.accessTokenSeconds)};
    if (Status started = gateway.start(serve, gatewayLog); !started) {
      return fail(started.error().problems.front().message);
    }
    const int64_t deadline = env.clock->nowMs() + kReadyTimeoutMs;
    while (env.clock->nowMs() < deadline) {
      Result<http::ClientResponse> ready =
          probe->send({"GET", "http://127.0.0.1:" + std::to_string(*port) + "/readyz", {}, {}});
      if (ready && ready->status == 200) {
        privatePort = *port;
        break;
      }
      if (!gateway.running()) break;  // e.g. the port was taken meanwhile: try another
      env.sleep(100);
    }
    if (privatePort == 0 && gateway.running()) {
      gateway.stop(std::chrono::seconds(5));
      return fail("the gateway did not become ready within " +
                  std::to_string(kReadyTimeoutMs / 1000) + " s; its log:\n" + logTail(gatewayLog));
    }
  }
  if (privatePort == 0) {
    return fail("the gateway did not start; its log (" + gatewayLog.string() + "):\n" +
                logTail(gatewayLog));
  }

  // 5: the recording and the recorder on the public port.
  SessionInfo info;
  info.tool = std::string("mes-conformance ") + toolVersion();
  info.publicUrl = publicUrl;
  info.fhirBase = publicUrl + "/fhir";
  info.clientId = settings.clientId;
  info.clientName = name;
  info.clientType = settings.clientType;
  info.redirectUris = settings.redirectUris;
  for (const oauth::ApiAccess& a : oauth::mesApiAccesses()) {
    if (settings.accesses.empty() || std::find(settings.accesses.begin(), settings.accesses.end(),
                                               a.id) != settings.accesses.end()) {
      info.accesses.emplace_back(a.id);
    }
  }
  info.allowedScopes = *scopes;
  for (const SeededPatient& p : *patients) info.patients.push_back({p.patientId, p.login});
  info.accessTokenSeconds = settings.accessTokenSeconds;
  info.refuseTokenAt = settings.faults.refuseTokenAt;
  info.unavailableAt = settings.faults.unavailableAt;
  info.retryAfterSeconds = settings.faults.retryAfterSeconds;
  info.keepBodyBytes = settings.keepBodyBytes;
  info.startedMs = env.clock->nowMs();
  if (Status written = writeSessionInfo(session, info); !written) {
    gateway.stop(std::chrono::seconds(10));
    return fail(written.error().problems.front().message);
  }
  Result<std::unique_ptr<RecordingWriter>> recording = RecordingWriter::open(session);
  if (!recording) {
    gateway.stop(std::chrono::seconds(10));
    return fail(recording.error().problems.front().message);
  }
  std::unique_ptr<http::HttpClient> upstream = env.makeClient({std::chrono::seconds(120), true});
  RecorderOptions recorderOptions;
  recorderOptions.upstream = "http://127.0.0.1:" + std::to_string(privatePort);
  recorderOptions.faults = settings.faults;
  recorderOptions.keepBodyBytes = settings.keepBodyBytes;
  std::mutex printing;
  auto recorder = std::make_shared<Recorder>(
      recorderOptions, *upstream, *env.clock, **recording, [&](const RecordedExchange& e) {
        if (e.injected == Injected::kNone) return;
        std::lock_guard lock(printing);
        out << "[" << timeOfDay(e.finishedMs) << "] Exchange #" << e.seq << " " << e.method << " "
            << e.target.substr(0, e.target.find('?')) << ": the sandbox answered " << e.status
            << (e.injected == Injected::kRefusedToken
                    ? " itself (a refused token: the app should refresh and retry)"
                    : " itself with Retry-After: " +
                          std::to_string(settings.faults.retryAfterSeconds) +
                          " (the app should wait, then retry)")
            << "\n";
        out.flush();
      });
  http::ServerOptions serverOptions;
  serverOptions.host = settings.listen;
  serverOptions.port = static_cast<uint16_t>(settings.port);
  serverOptions.maxBodyBytes = recorderOptions.maxBodyBytes;
  serverOptions.threads = 8;
  serverOptions.drainingResponse = [] {
    http::Response r;
    r.status = 503;
    r.headers.set("Retry-After", "1");
    r.headers.set("Content-Type", "text/plain; charset=utf-8");
    r.body = "The sandbox is stopping.";
    return r;
  };
  http::Server server(serverOptions,
                      [recorder](http::Request& request) { return recorder->handle(request); });
  if (Status started = server.start(); !started) {
    gateway.stop(std::chrono::seconds(10));
    return fail(started.error().problems.front().message + " (choose another --port).");
  }

  std::map<std::string, std::string> loginOf;
  for (const SeededPatient& p : *patients) loginOf[p.patientId] = p.login;
  {
    std::lock_guard lock(printing);
    out << "MES sandbox ready. Session: " << session.string() << "\n\n"
        << "  Base URL (issuer)   " << publicUrl << "\n"
        << "  FHIR base           " << info.fhirBase << "\n"
        << "  Discovery           " << info.fhirBase << "/.well-known/smart-configuration\n"
        << "                      " << publicUrl << "/.well-known/openid-configuration\n"
        << "  Your app            client_id " << settings.clientId << " (" << settings.clientType
        << "), \"" << name << "\"\n";
    for (const std::string& uri : settings.redirectUris) {
      out << "                      redirect URI " << uri << "\n";
    }
    out << "                      allowed scopes " << *scopes << "\n"
        << "  Test patients       (the authorization sends them to the portal's login: "
           "password, then a one-time code)\n";
    for (const SeededPatient& p : *patients) {
      out << "                      Patient/" << p.patientId << "  login " << p.login
          << "  password " << p.password << "\n";
    }
    out << "  Made observable     access tokens live " << settings.accessTokenSeconds << " s";
    if (settings.faults.refuseTokenAt > 0) {
      out << "; request #" << settings.faults.refuseTokenAt
          << " with a token to /fhir is refused once (401)";
    }
    if (settings.faults.unavailableAt > 0) {
      out << "; write #" << settings.faults.unavailableAt
          << " to /fhir gets 503 once (Retry-After: " << settings.faults.retryAfterSeconds << ")";
    }
    out << "\n  Recording           " << (session / kExchangesFile).string() << "\n\n"
        << "Ctrl-C stops the sandbox; then: mes-conformance grade --session " << session.string()
        << " --report-dir " << (session / "report").string() << "\n"
        << "One-time login codes appear below as the gateway sends them.\n";
    out.flush();
  }

  // 6: until stopped.
  if (!env.stopRequested) catchStopSignals();
  const auto stopRequested = [&] { return env.stopRequested ? env.stopRequested() : gStop.load(); };
  OutboxWatch outbox(dataDir / "outbox", loginOf);
  bool gatewayDied = false;
  while (!stopRequested()) {
    {
      std::lock_guard lock(printing);
      outbox.poll(out, env.clock->nowMs());
    }
    if (!gateway.running()) {
      gatewayDied = true;
      break;
    }
    env.sleep(200);
  }
  {
    std::lock_guard lock(printing);
    outbox.poll(out, env.clock->nowMs());
    out << (gatewayDied ? "The gateway stopped by itself; closing the recording.\n"
                        : "Stopping: closing the recording and the gateway.\n");
    out.flush();
  }
  server.shutdown(std::chrono::seconds(5));
  const std::string recordingError = recorder->recordingError();
  Status closed = (*recording)->close();
  const int gatewayStatus = gateway.stop(std::chrono::seconds(15));
  info.stoppedMs = env.clock->nowMs();
  info.exchanges = (*recording)->written();
  Status written = writeSessionInfo(session, info);
  if (!recordingError.empty()) err << "mes-conformance sandbox: " << recordingError << "\n";
  if (!closed)
    err << "mes-conformance sandbox: " << closed.error().problems.front().message << "\n";
  if (!written)
    err << "mes-conformance sandbox: " << written.error().problems.front().message << "\n";
  out << "Recorded " << info.exchanges << " exchanges. Grade them: mes-conformance grade --session "
      << session.string() << " --report-dir " << (session / "report").string() << "\n";
  if (gatewayDied) {
    err << "mes-conformance sandbox: the gateway exited with status " << gatewayStatus
        << "; its log (" << gatewayLog.string() << "):\n"
        << logTail(gatewayLog);
    return kExitGatewayDied;
  }
  return recordingError.empty() && closed && written ? kExitStopped : kExitGatewayDied;
}

}  // namespace mes::conformance::client
