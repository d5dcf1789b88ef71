// Starts the real `mes-gateway` binary for an integration test and stops it afterwards.
//
//   GatewayProcess gw;                       // fresh data dir, free port, waits for /healthz
//   auto r = gw.client().get("/fhir/metadata");
//   BOOST_TEST(r.status == 200);
//   BOOST_TEST(gw.stop() == 0);              // SIGTERM, clean exit expected
//   gw.start();                              // same data dir, same port when still free
//
// The child runs `<binary> serve --listen 127.0.0.1 --port <port> --data-dir <dir> <extraArgs>`
// with its stdout and stderr appended to `<dataDir>/gateway.log` (read it with log()). It gets
// SIGKILL if the test process dies, so a crashed test run leaves no server behind.
//
// Failures to start throw std::runtime_error with the command line and the tail of the log.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "integration/support/http_client.h"

#ifndef MES_GATEWAY_BIN
#define MES_GATEWAY_BIN ""
#endif

namespace mes::itest {

// A loopback port nobody listens on right now (bind 127.0.0.1:0 and read what the kernel chose).
// Another process may take it before the caller binds it. Throws std::runtime_error on failure.
uint16_t pickFreePort();

// Path of the mes-gateway binary of this build; empty when the build has no such target.
inline constexpr const char* kGatewayBinary = MES_GATEWAY_BIN;

// A directory created with mkdtemp under $TMPDIR (or /tmp), removed with everything in it when
// the owner is destroyed — unless the environment variable MES_KEEP_TEST_DATA is set to a
// non-empty value, in which case it is kept and its path printed to stderr. Movable, not
// copyable; a moved-from TempDir owns nothing.
class TempDir {
 public:
  // Creates `<tmp>/<prefix>-XXXXXX`. Throws std::runtime_error when mkdtemp fails.
  explicit TempDir(std::string_view prefix = "mes-itest");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;

  const std::filesystem::path& path() const { return path_; }
  std::string string() const { return path_.string(); }

 private:
  void removeNow() noexcept;

  std::filesystem::path path_;
};

struct GatewayOptions {
  std::string binary = kGatewayBinary;
  // Empty: a fresh TempDir owned (and removed) by the GatewayProcess. Otherwise the directory
  // is used as is (created if missing) and never removed.
  std::string dataDir;
  std::vector<std::string> extraArgs;  // appended after the standard arguments
  // Added to (or replacing, by name) the test process's environment for the child.
  std::vector<std::pair<std::string, std::string>> env;
};

class GatewayProcess {
 public:
  static constexpr int kReadyTimeoutMs = 20000;
  static constexpr int kReadyPollMs = 20;
  static constexpr int kPortRetries = 3;

  // Starts the gateway and returns once GET /healthz answers 200. Throws std::runtime_error
  // when the binary is missing, or the server exits or is not healthy within 20 s. A server
  // that exits because its port was taken meanwhile is restarted on another port, up to
  // 3 times.
  explicit GatewayProcess(GatewayOptions options = {});
  // Stops a running server (SIGTERM, SIGKILL after 2 s) and removes an owned data dir.
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;
  GatewayProcess(GatewayProcess&&) = delete;
  GatewayProcess& operator=(GatewayProcess&&) = delete;

  uint16_t port() const { return port_; }
  std::string baseUrl() const;  // http://127.0.0.1:<port>
  const std::string& dataDir() const { return dataDir_; }
  std::string logPath() const;  // <dataDir>/gateway.log
  // A client for this server (host 127.0.0.1, default 30 s timeout).
  HttpClient client() const;

  // Sends SIGTERM and waits for the exit; SIGKILL once timeoutMs has passed. Returns the exit
  // status: the exit code, or 128 + signal number when killed by a signal. When the process
  // is not running, returns the status of its last exit (-1 if it never exited).
  int stop(int timeoutMs = 15000);
  // SIGKILL and reap, as after a crash or power loss (no graceful shutdown).
  void kill9();
  // Whether the child is still alive; reaps it (and records its status) when it has exited.
  bool running();
  // Exit status of the last exit, as stop() returns it; -1 while it has not exited.
  int lastExitStatus() const { return lastExitStatus_; }
  // Contents of <dataDir>/gateway.log (every start appends to it).
  std::string log() const;

  // Starts again on the same data dir, on the same port if it is still free, else on a new
  // one; returns once healthy. Throws std::logic_error when already running.
  void start();

  // The full command line of the last start, for messages.
  const std::vector<std::string>& commandLine() const { return argv_; }

 private:
  void launch(std::optional<uint16_t> preferredPort);
  // Forks and execs on `port`; the child's output goes to the log.
  void spawn(uint16_t port);
  enum class StartOutcome { kHealthy, kPortTaken };
  StartOutcome awaitHealthy(uint16_t port, std::size_t logOffset);
  int terminate(int graceMs);
  bool reap(bool block);
  std::string logTail(std::size_t fromOffset) const;
  std::string describe() const;

  GatewayOptions options_;
  std::optional<TempDir> ownedDir_;
  std::string dataDir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int lastExitStatus_ = -1;
  std::vector<std::string> argv_;
};

}  // namespace mes::itest
