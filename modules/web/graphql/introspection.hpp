// Introspection (GraphQL spec §4.5): __schema and __type answered from the schema tables,
// so GraphiQL and client tooling can discover the profile schema.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ast.hpp"

namespace codestats::graphql {

class IntrospectionWriter {
 public:
  // `collect` merges the sub-selections of a field group (the executor's CollectFields);
  // `count` is told of every value written (the response limit).
  using Collect = std::function<FieldGroups(const std::vector<const Selection*>&)>;
  using Count = std::function<void(uint64_t)>;
  IntrospectionWriter(Collect collect, Count count) : collect_(std::move(collect)), count_(std::move(count)) {}

  // The value of __schema for the field group `fields`.
  void schema(const std::vector<const Selection*>& fields, std::string& out) const;
  // The value of __type(name): the type, or null when there is no type of that name.
  void type(std::string_view name, const std::vector<const Selection*>& fields, std::string& out) const;

 private:
  struct Node;
  void object(const Node& node, const std::vector<const Selection*>& fields, std::string& out) const;
  void field(const Node& node, std::string_view name, const std::vector<const Selection*>& fields,
             std::string& out) const;
  void list(const std::vector<Node>& nodes, const std::vector<const Selection*>& fields, std::string& out) const;

  Collect collect_;
  Count count_;
};

}  // namespace codestats::graphql
