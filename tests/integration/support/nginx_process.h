// Starts nginx (Debian's nginx-light) as a load balancer in front of gateway instances for an
// integration test, on a free loopback port, with its configuration, logs and temporary files
// in a directory of its own; stops it (and removes the directory) when destroyed.
//
// Round robin over the upstreams, one request each in turn; HTTP/1.1 to the upstreams; the
// Host header is passed on. The process runs in the foreground (daemon off, master_process
// off) as a child of the test, killed if the test process dies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace mes::itest {

class NginxProcess {
 public:
  // Listens on `port`, or on a free port when 0. Throws std::runtime_error (with nginx's error
  // log) when nginx is missing or does not start.
  explicit NginxProcess(const std::vector<uint16_t>& upstreamPorts, uint16_t port = 0);
  // A loopback port nothing listens on now (the kernel's choice for a socket bound to port 0).
  static uint16_t pickFreePort();
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  HttpClient client() const { return HttpClient("127.0.0.1", port_); }

 private:
  bool tryStart(const std::vector<uint16_t>& upstreamPorts, uint16_t port);
  TempDir dir_{"mes-nginx"};
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace mes::itest
