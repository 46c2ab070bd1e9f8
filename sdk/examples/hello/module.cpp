// example: the smallest third-party codestats module.
//
// It shows the three things every module does: derive from codestats::Module, register
// everything in the constructor, and end with CODESTATS_MODULE(...) to generate the entry
// symbol. Load it with `codestatsctl load example ./example.so`, then
//   curl http://127.0.0.1:<port>/example/hello      -> Hello from a third-party module
//   codestatsctl run example.greet world             -> hello, world
#include <codestats/sdk.hpp>

#include <string>
#include <vector>

namespace {

class ExampleModule : public codestats::Module {
 public:
  explicit ExampleModule(codestats::Host host) : Module(host) {
    route("GET", "/example/hello", [](const codestats::Request&, codestats::Response& resp) {
      resp.status(200).header("Content-Type", "text/plain").write("Hello from a third-party module\n");
    });

    command("greet", "greet NAME...: answers hello, NAME...", [](const std::vector<std::string>& args) {
      std::string text = "hello,";
      for (const auto& arg : args) text += " " + arg;
      return text;
    });
  }
};

}  // namespace

CODESTATS_MODULE(ExampleModule, "example", "1.0.0", 1)
