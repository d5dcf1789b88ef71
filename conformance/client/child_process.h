// Running another program (the sandbox runs `mes-gateway`: its seed-demo and service add
// commands, then its server) as a child process, POSIX only.
//
// The child gets the parent's environment without its MES_* variables, so that a gateway
// setting exported in the editor's shell (MES_PORT, MES_CONFIG...) never changes the sandbox's
// gateway: the sandbox passes every setting it means as a flag. A long-running child gets
// SIGTERM if the parent dies (PR_SET_PDEATHSIG), so a killed sandbox leaves no gateway behind,
// and runs in a process group of its own, so that Ctrl-C in the terminal reaches the parent
// only, which stops the child in its own time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace mes::conformance::client {

struct ProgramOutput {
  int exitStatus = -1;  // the exit code, or 128 + signal
  std::string out;      // what it wrote on stdout
  std::string err;      // what it wrote on stderr
};

// Runs argv[0] (a path) with `argv` (standard input /dev/null) and waits for it to end.
// kUnavailable "program-failed" when it cannot be started.
Result<ProgramOutput> runProgram(const std::vector<std::string>& argv);

// A program left running, its stdout and stderr appended to a log file.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // stop() when still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // kUnavailable "program-failed" when it cannot be started (or is already running).
  Status start(const std::vector<std::string>& argv, const std::filesystem::path& log);
  // Whether it still runs; reaps it when it has ended.
  bool running();
  // SIGTERM, then SIGKILL after `grace`; returns the exit status (as ProgramOutput's), or the
  // status it already ended with.
  int stop(std::chrono::milliseconds grace);
  int exitStatus() const { return exitStatus_; }

 private:
  pid_t pid_ = -1;
  int exitStatus_ = -1;
};

}  // namespace mes::conformance::client
