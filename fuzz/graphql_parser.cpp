// libFuzzer target for the GraphQL engine (modules/web/graphql): parse + validate + execute
// against the in-memory test profile, and the same bytes through the HTTP transport.
// Input: a document, optionally followed by a NUL byte and the variables' JSON text.
// Oracle: no crash or sanitizer report, and every response is one valid JSON object/array.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
//     -Imodules/web/graphql -Imodules/web/graphql/tests -Imodules/common/include -Isdk/include \
//     fuzz/graphql_parser.cpp modules/web/graphql/*.cpp modules/common/timestamp.cpp modules/common/ascii.cpp \
//     -lPocoJSON -lPocoFoundation -o build/fuzz_graphql_parser
//   build/fuzz_graphql_parser -max_len=4096 -dict=fuzz/graphql_parser.dict fuzz/corpus/graphql_parser
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fixture.hpp"
#include "json_input.hpp"
#include "transport.hpp"

using namespace codestats::graphql;

namespace {

void requireJson(const std::string& response) {
  std::string error;
  const auto value = parseJson(response, error);
  if (!value || (value->kind != Value::Kind::Object && value->kind != Value::Kind::List)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view document = input.substr(0, nul);
  Value variables;
  if (nul != std::string_view::npos) {
    std::string error;
    if (auto v = parseJson(input.substr(nul + 1), error); v && v->kind == Value::Kind::Object) variables = *v;
  }

  testing::MemoryProfileSource source = testing::fixtureSource();
  const ExecutionContext viewer{"secret", testing::kNowMs};
  requireJson(runGraphql({document, variables, ""}, source, viewer).json);
  requireJson(runGraphql({document, variables, "Q"}, source, {std::nullopt, testing::kNowMs}).json);

  for (std::string_view type : {"application/json", "text/plain"}) {
    const GraphqlHttpResponse r = handleGraphqlHttp({"POST", type, "", "", input}, source, viewer);
    requireJson(r.body);
  }
  return 0;
}
