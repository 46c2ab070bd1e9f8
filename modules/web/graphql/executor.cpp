#include "executor.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>

#include <codestats/json.hpp>

#include "introspection.hpp"
#include "limits.hpp"
#include "scalars.hpp"
#include "schema.hpp"
#include "values.hpp"

namespace codestats::graphql {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr const char* kProfileNotFound = "User not found or no access to profile.";

// Thrown when the response would pass kMaxResultValues; ends the whole execution.
struct ResultTooLarge {};

// A field error of the resolver: becomes null plus an entry in "errors".
struct FieldError {
  std::string message;
};

void appendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

using Path = std::vector<std::variant<std::string, int64_t>>;

class Executor {
 public:
  Executor(const Document& doc, const VariableValues& vars, ProfileSource& source, const ExecutionContext& ctx)
      : doc_(doc), vars_(vars), source_(source), ctx_(ctx) {}

  ExecutionResult run(const OperationDefinition& op) {
    ExecutionResult result;
    std::string data;
    try {
      data = "{";
      bool first = true;
      for (const auto& [key, fields] : collect({&op.selections})) {
        data += first ? "" : ",";
        first = false;
        data += jsonString(key) + ":";
        rootField(key, fields, data);
      }
      data += "}";
    } catch (const ResultTooLarge&) {
      errors_.clear();  // their paths are gone with the data
      errors_.push_back({"Response is too large (at most " + std::to_string(kMaxResultValues) + " values).", {}, {}});
      data = "null";
    }
    result.json.reserve(data.size() + 64);
    result.json += "{\"data\":";
    result.json += data;
    if (!errors_.empty()) {
      result.json += ",\"errors\":[";
      for (size_t k = 0; k < errors_.size(); ++k) result.json += (k ? "," : "") + errorJson(errors_[k]);
      result.json += "]";
    }
    result.json += "}";
    result.internalErrors = std::move(internal_);
    return result;
  }

 private:
  // Argument `name` of `field`: the literal, or the variable's value; nullopt when absent.
  std::optional<Value> argument(const Selection& field, std::string_view name) const {
    for (const Argument& a : field.arguments) {
      if (schema::internalName(a.name) != name) continue;
      if (a.value.kind != Value::Kind::Variable) return a.value;
      auto it = vars_.find(a.value.text);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    }
    return std::nullopt;
  }

  bool included(const std::vector<Directive>& directives) const {
    for (const Directive& d : directives) {
      for (const Argument& a : d.arguments) {
        if (a.name != "if") continue;
        bool value = a.value.boolean;
        if (a.value.kind == Value::Kind::Variable) {
          auto it = vars_.find(a.value.text);
          value = it != vars_.end() && it->second.boolean;
        }
        if (d.name == "skip" && value) return false;
        if (d.name == "include" && !value) return false;
      }
    }
    return true;
  }

  void collectInto(const SelectionSet& set, FieldGroups& groups) const {
    for (const Selection& s : set) {
      if (!included(s.directives)) continue;
      if (s.kind == Selection::Kind::Field) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == s.responseKey(); });
        if (it == groups.end()) groups.push_back({s.responseKey(), {&s}});
        else it->second.push_back(&s);
      } else if (s.kind == Selection::Kind::InlineFragment) {
        collectInto(s.selections, groups);
      } else {
        for (const FragmentDefinition& f : doc_.fragments)
          if (f.name == s.name) {
            collectInto(f.selections, groups);
            break;
          }
      }
    }
  }

  FieldGroups collect(const std::vector<const SelectionSet*>& sets) const {
    FieldGroups groups;
    for (const SelectionSet* set : sets) collectInto(*set, groups);
    return groups;
  }

  static std::vector<const SelectionSet*> subSelections(const std::vector<const Selection*>& fields) {
    std::vector<const SelectionSet*> sets;
    for (const Selection* f : fields) sets.push_back(&f->selections);
    return sets;
  }

  void count(uint64_t values) {
    values_ += values;
    if (values_ > kMaxResultValues) throw ResultTooLarge{};
  }

  void fieldError(std::string message, const Selection& field, Path path) {
    if (errors_.size() >= kMaxErrors) return;
    errors_.push_back({std::move(message), {field.location}, std::move(path)});
  }

  // Runs `resolve` (which appends the field's value to `out`) and turns its failures into
  // null plus an error; whatever it had appended is cut off first, so no half value remains.
  void guarded(const Selection& field, const Path& path, std::string& out,
               const std::function<void(std::string&)>& resolve) {
    const size_t mark = out.size();
    try {
      resolve(out);
      return;
    } catch (const FieldError& e) {
      fieldError(e.message, field, path);
    } catch (const ProfileSourceError& e) {
      fieldError(e.what(), field, path);
    } catch (const ResultTooLarge&) {
      throw;
    } catch (const std::exception& e) {
      internal_.push_back(e.what());
      fieldError("Internal server error.", field, path);
    }
    out.resize(mark);
    out += "null";
  }

  void rootField(const std::string& key, const std::vector<const Selection*>& fields, std::string& out) {
    const Selection& field = *fields.front();
    count(1);
    if (field.name == "__typename") {
      out += "\"RootQueryType\"";
      return;
    }
    if (field.name == "__schema" || field.name == "__type") {
      const IntrospectionWriter writer(
          [this](const std::vector<const Selection*>& f) { return collect(subSelections(f)); },
          [this](uint64_t n) { count(n); });
      if (field.name == "__schema") {
        writer.schema(fields, out);
      } else {
        const std::optional<Value> name = argument(field, "name");
        writer.type(name && name->kind == Value::Kind::String ? name->text : "", fields, out);
      }
      return;
    }
    // profile(username): the only root field.
    guarded(field, {key}, out, [&](std::string& value) {
      const std::optional<Value> username = argument(field, "username");
      if (!username || username->kind != Value::Kind::String) throw FieldError{kProfileNotFound};
      std::optional<ProfileUser> user = source_.findUser(username->text);
      // §9.3: private profiles only for the session user of exactly that name.
      if (!user || user->username != username->text || (user->isPrivate && ctx_.viewer != user->username))
        throw FieldError{kProfileNotFound};
      profile(*user, collect(subSelections(fields)), Path{key}, value);
    });
  }

  void profile(const ProfileUser& user, const FieldGroups& groups, const Path& path, std::string& out) {
    out += "{";
    bool first = true;
    for (const auto& group : groups) {
      const std::vector<const Selection*>& fields = group.second;  // named: lambdas cannot capture bindings in clang 14
      out += first ? "" : ",";
      first = false;
      out += jsonString(group.first) + ":";
      Path fieldPath = path;
      fieldPath.push_back(group.first);
      const Selection& field = *fields.front();
      count(1);
      guarded(field, fieldPath, out, [&](std::string& value) { profileField(user, field, fields, value); });
    }
    out += "}";
  }

  // The earliest `since` a live query may use (kMaxSinceDays before today, UTC).
  int64_t earliestSinceDay() const { return floorDiv(ctx_.nowMs, kMsPerDay) - kMaxSinceDays; }

  [[noreturn]] void sinceTooOld() const {
    throw FieldError{"Argument \"since\" is too far in the past: at most " + std::to_string(kMaxSinceDays) +
                     " days before today (" + formatDate(dateFromDays(floorDiv(ctx_.nowMs, kMsPerDay))) + ", UTC)."};
  }

  std::optional<int64_t> sinceDatetime(const Selection& field) const {
    const std::optional<Value> since = argument(field, "since");
    if (!since || since->kind != Value::Kind::String) return std::nullopt;
    const std::optional<int64_t> ms = parseDatetime(since->text);
    if (ms && floorDiv(*ms, kMsPerDay) < earliestSinceDay()) sinceTooOld();
    return ms;
  }

  std::optional<Yyyymmdd> sinceDate(const Selection& field) const {
    const std::optional<Value> since = argument(field, "since");
    if (!since || since->kind != Value::Kind::String) return std::nullopt;
    return parseDate(since->text);
  }

  void profileField(const ProfileUser& user, const Selection& field, const std::vector<const Selection*>& fields,
                    std::string& out) {
    const std::string_view name = schema::canonicalField("Profile", field.name);
    if (name == "__typename") {
      out += "\"Profile\"";
    } else if (name == "registered") {
      out += jsonString(formatDatetime(user.registeredMs));
    } else if (name == "totalXp") {
      appendInt(out, source_.totalXp(user));
    } else if (name == "languages" || name == "machines") {
      const std::optional<int64_t> since = sinceDatetime(field);
      const bool languages = name == "languages";
      std::vector<NamedXp> items = languages ? (since ? source_.languagesSince(user, *since) : source_.languages(user))
                                             : (since ? source_.machinesSince(user, *since) : source_.machines(user));
      const char* type = languages ? "ProfileLanguage" : "ProfileMachine";
      writeList(items, type, fields, out, [&](const NamedXp& item, std::string_view f, std::string& o) {
        if (f == "name") o += jsonString(item.name);
        else if (f == "xp") appendInt(o, item.xp);
        else o += jsonString(type);
      });
    } else if (name == "dates") {
      std::vector<DayXp> days = filteredDates(user, sinceDate(field));
      writeList(days, "ProfileDate", fields, out, [&](const DayXp& item, std::string_view f, std::string& o) {
        if (f == "date") o += jsonString(formatDate(item.day));
        else if (f == "xp") appendInt(o, item.xp);
        else o += "\"ProfileDate\"";
      });
    } else if (name == "dayLanguageXps") {
      const std::optional<Yyyymmdd> since = sinceDate(field);
      if (!since) throw FieldError{"Argument \"since\" is required."};  // validation makes this unreachable
      if (daysSinceEpoch(*since) < earliestSinceDay()) sinceTooOld();
      std::vector<DayLanguageXp> items = source_.dayLanguageXps(user, *since);
      std::sort(items.begin(), items.end(), [](const DayLanguageXp& a, const DayLanguageXp& b) {
        return a.day != b.day ? a.day < b.day : a.language < b.language;
      });
      writeList(items, "ProfileDaylanguage", fields, out,
                [&](const DayLanguageXp& item, std::string_view f, std::string& o) {
                  if (f == "date") o += jsonString(formatDate(item.day));
                  else if (f == "language") o += jsonString(item.language);
                  else if (f == "xp") appendInt(o, item.xp);
                  else o += "\"ProfileDaylanguage\"";
                });
    } else if (name == "dayOfWeekXps") {
      std::array<int64_t, 8> perDay{};
      std::array<bool, 8> present{};
      for (const DayXp& d : filteredDates(user, sinceDate(field))) {
        const int64_t days = daysSinceEpoch(d.day);
        const int iso = static_cast<int>(((days % 7 + 7) % 7 + 3) % 7) + 1;  // 1970-01-01 was a Thursday (4)
        perDay[iso] += d.xp;
        present[iso] = true;
      }
      std::vector<std::pair<int, int64_t>> items;
      for (int day = 1; day <= 7; ++day)
        if (present[day]) items.emplace_back(day, perDay[day]);
      writeList(items, "ProfileDowXp", fields, out,
                [&](const std::pair<int, int64_t>& item, std::string_view f, std::string& o) {
                  if (f == "day") appendInt(o, item.first);
                  else if (f == "xp") appendInt(o, item.second);
                  else o += "\"ProfileDowXp\"";
                });
    } else if (name == "dayOfYearXps") {
      std::array<int64_t, 367> perDay{};
      const int64_t jan1 = daysSinceEpoch(20000101);
      for (const DayXp& d : source_.dates(user)) {
        const Yyyymmdd in2000 = 20000000 + d.day % 10000;  // same month and day in a leap year
        if (!parseDate(formatDate(in2000))) continue;
        perDay[static_cast<size_t>(daysSinceEpoch(in2000) - jan1 + 1)] += d.xp;
      }
      count(366);
      out += "{";
      for (int day = 1; day <= 366; ++day) {
        out += day > 1 ? ",\"" : "\"";
        appendInt(out, day);
        out += "\":";
        appendInt(out, perDay[day]);
      }
      out += "}";
    } else if (name == "hourOfDayXps") {
      std::array<int64_t, 24> perHour{};
      std::array<bool, 24> present{};
      for (const HourXp& h : source_.hours(user)) {
        if (h.hour < 0 || h.hour > 23) continue;
        perHour[h.hour] += h.xp;
        present[h.hour] = true;
      }
      out += "{";
      bool first = true;
      for (int hour = 0; hour < 24; ++hour) {
        if (!present[hour]) continue;
        count(1);
        out += first ? "\"" : ",\"";
        appendInt(out, hour);
        out += "\":";
        appendInt(out, perHour[hour]);
        first = false;
      }
      out += "}";
    }
  }

  std::vector<DayXp> filteredDates(const ProfileUser& user, std::optional<Yyyymmdd> since) {
    std::vector<DayXp> days = source_.dates(user);
    if (since) std::erase_if(days, [&](const DayXp& d) { return d.day < *since; });
    std::sort(days.begin(), days.end(), [](const DayXp& a, const DayXp& b) { return a.day < b.day; });
    return days;
  }

  // A list of objects of `type` whose fields are all leaves: `leaf(item, fieldName, out)`
  // writes one field, named as the schema spells it.
  template <typename Item, typename Leaf>
  void writeList(const std::vector<Item>& items, std::string_view type, const std::vector<const Selection*>& fields,
                 std::string& out, const Leaf& leaf) {
    const FieldGroups groups = collect(subSelections(fields));
    std::vector<std::string_view> names;
    for (const auto& group : groups) names.push_back(schema::canonicalField(type, group.second.front()->name));
    out += "[";
    for (size_t k = 0; k < items.size(); ++k) {
      count(groups.size() + 1);
      out += k ? ",{" : "{";
      bool first = true;
      for (size_t g = 0; g < groups.size(); ++g) {
        out += (first ? "" : ",") + jsonString(groups[g].first) + ":";
        first = false;
        leaf(items[k], names[g], out);
      }
      out += "}";
    }
    out += "]";
  }

  const Document& doc_;
  const VariableValues& vars_;
  ProfileSource& source_;
  const ExecutionContext& ctx_;
  std::vector<GraphqlError> errors_;
  std::vector<std::string> internal_;
  uint64_t values_ = 0;
};

}  // namespace

std::variant<const OperationDefinition*, GraphqlError> selectOperation(const Document& document,
                                                                       const std::string& operationName) {
  if (!operationName.empty()) {
    for (const OperationDefinition& op : document.operations)
      if (op.name == operationName) return &op;
    return GraphqlError{"Unknown operation named \"" + operationName + "\".", {}, {}};
  }
  if (document.operations.size() != 1)
    return GraphqlError{"Must provide operation name if query contains multiple operations.", {}, {}};
  return &document.operations.front();
}

std::variant<VariableValues, std::vector<GraphqlError>> coerceVariables(const OperationDefinition& operation,
                                                                        const Value& provided) {
  VariableValues values;
  std::vector<GraphqlError> errors;
  for (const VariableDefinition& def : operation.variables) {
    const Value* given = nullptr;
    for (const auto& [name, value] : provided.fields)
      if (name == def.name) given = &value;
    const std::string label = "Variable \"$" + def.name + "\"";
    if (!given) {
      if (def.defaultValue) values[def.name] = *def.defaultValue;
      else if (def.type.nonNull())
        errors.push_back(
            {label + " of required type \"" + def.type.toString() + "\" was not provided.", {def.location}, {}});
      continue;
    }
    if (given->kind == Value::Kind::Null && def.type.nonNull()) {
      errors.push_back(
          {label + " of non-null type \"" + def.type.toString() + "\" must not be null.", {def.location}, {}});
      continue;
    }
    if (auto e = inputValueError(*given, def.type)) {
      errors.push_back({label + " got invalid value " + printValue(*given) + "; " + *e, {def.location}, {}});
      continue;
    }
    values[def.name] = *given;
  }
  if (!errors.empty()) return errors;
  return values;
}

ExecutionResult execute(const Document& document, const OperationDefinition& operation, const VariableValues& variables,
                        ProfileSource& source, const ExecutionContext& context) {
  return Executor(document, variables, source, context).run(operation);
}

}  // namespace codestats::graphql
