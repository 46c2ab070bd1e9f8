#include "engine.hpp"

#include "parser.hpp"
#include "validate.hpp"

namespace codestats::graphql {

ExecutionResult runGraphql(const GraphqlRequest& request, ProfileSource& source, const ExecutionContext& context) {
  Document document;
  try {
    document = parseDocument(request.query);
  } catch (const SyntaxError& e) {
    return {errorsResponse({{e.message, {e.location}, {}}}), {}};
  }
  if (std::vector<GraphqlError> errors = validate(document); !errors.empty()) return {errorsResponse(errors), {}};
  auto operation = selectOperation(document, request.operationName);
  if (auto* error = std::get_if<GraphqlError>(&operation)) return {errorsResponse({*error}), {}};
  const OperationDefinition& op = *std::get<const OperationDefinition*>(operation);
  auto variables = coerceVariables(op, request.variables);
  if (auto* errors = std::get_if<std::vector<GraphqlError>>(&variables)) return {errorsResponse(*errors), {}};
  return execute(document, op, std::get<VariableValues>(variables), source, context);
}

}  // namespace codestats::graphql
