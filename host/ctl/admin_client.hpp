// codestatsctl's client of the admin API (docs/operations.md): one request per call.
#pragma once

#include <string>
#include <vector>

namespace codestats::host::ctl {

struct Reply {
  int status = 0;
  std::string body;
};

// The outcome of POST /admin/commands/{name}.
struct CommandResult {
  int status = 0;
  std::string output;  // the command's output when status is 200
  std::string error;   // the host's or the command's error otherwise
  bool ok() const { return status == 200; }
};

class AdminClient {
 public:
  AdminClient(std::string baseUrl, std::string token) : baseUrl_(std::move(baseUrl)), token_(std::move(token)) {}
  // Exits the process with a message when the admin API cannot be reached.
  Reply call(const std::string& method, const std::string& path, const std::string& body = {}) const;
  CommandResult run(const std::string& command, const std::vector<std::string>& args) const;
  const std::string& baseUrl() const { return baseUrl_; }

 private:
  std::string baseUrl_, token_;
};

}  // namespace codestats::host::ctl
