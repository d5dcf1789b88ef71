// The benchmark's ceiling: a bare cpprestsdk listener that answers every request with the same
// small JSON body. scripts/bench compares the gateway's read throughput with this server's.
//   http-ceiling <port> [threads]
#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: http-ceiling <port> [threads]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const size_t threads = argc > 2 ? static_cast<size_t>(std::atoi(argv[2])) : 8;
  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  crossplat::threadpool::initialize_with_threads(threads);
  const std::string body =
      R"({"resourceType":"Observation","id":"ceiling","meta":{"versionId":"1"},"status":"final",)"
      R"("valueQuantity":{"value":70.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}})";
  web::http::experimental::listener::http_listener listener(
      web::uri("http://127.0.0.1:" + std::to_string(port) + "/"));
  listener.support([&body](const web::http::http_request& request) {
    web::http::http_response response(web::http::status_codes::OK);
    response.set_body(std::string(body), "application/fhir+json");
    request.reply(response);
  });
  try {
    listener.open().wait();
  } catch (const std::exception& e) {
    std::cerr << "http-ceiling: cannot listen on 127.0.0.1:" << port << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "ceiling listening on 127.0.0.1:" << port << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  listener.close().wait();
  return 0;
}
