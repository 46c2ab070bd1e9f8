// The ingest.v1 service: what other modules may ask of ingest's data (docs/events.md,
// "ingest.v1"). Web deletes accounts and machines through it: pulses, xps and the
// aggregates are ingest's tables (docs/data-ownership.md), and only ingest keeps them exact.
#include <rapidjson/document.h>

#include <optional>

#include "handlers.hpp"

namespace codestats::ingest {
namespace {

std::optional<int64_t> intField(const rapidjson::Document& d, const char* key) {
  if (!d.IsObject()) return std::nullopt;
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() <= 0) return std::nullopt;
  return it->value.GetInt64();
}

int64_t requiredId(const rapidjson::Document& d, const char* key, std::string_view method) {
  auto v = intField(d, key);
  if (!v) throw Error(CS_E_INVALID, "ingest.v1 " + std::string(method) + " needs a positive integer \"" + key + "\"");
  return *v;
}

rapidjson::Document parse(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) d.SetNull();
  return d;
}

// xp.deleted, in the deleting transaction: consumers that keep XP (the cache) re-read the
// user after the rows are gone. machineId 0: all of the user's XP.
void publishXpDeleted(Tx& tx, int64_t userId, int64_t machineId, int64_t pulses) {
  if (pulses == 0) return;
  tx.publish("xp.deleted", "{\"user_id\":" + std::to_string(userId) +
                               ",\"machine_id\":" + (machineId ? std::to_string(machineId) : "null") +
                               ",\"pulses\":" + std::to_string(pulses) + "}");
}

}  // namespace

std::string Ingest::serve(std::string_view method, std::string_view request) {
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  if (method == "forget_credentials") {
    invalidate("machine.changed");
    return "{}";
  }
  if (method == "delete_user_data") {
    auto req = parse(request);
    const int64_t userId = requiredId(req, "user_id", method);
    int64_t pulses = 0;
    host_.transaction([&](Tx& tx) {
      pulses = deleteUserData(tx, userId, postgres);
      publishXpDeleted(tx, userId, 0, pulses);
    });
    invalidate("user.deleted");
    return "{\"pulses\":" + std::to_string(pulses) + "}";
  }
  if (method == "delete_machine_data") {
    auto req = parse(request);
    const int64_t userId = requiredId(req, "user_id", method);
    const int64_t machineId = requiredId(req, "machine_id", method);
    int64_t pulses = 0;
    host_.transaction([&](Tx& tx) {
      pulses = deleteMachineData(tx, userId, machineId, postgres);
      publishXpDeleted(tx, userId, machineId, pulses);
    });
    invalidate("machine.changed");
    return "{\"pulses\":" + std::to_string(pulses) + "}";
  }
  throw Error(CS_E_INVALID, "ingest.v1 has no method '" + std::string(method) +
                                "' (forget_credentials, delete_user_data, delete_machine_data)");
}

// Web calls the service before it answers; the events repeat the deletion once more, after
// any pulse that was already past authentication when the account or machine went away.
void Ingest::onEvent(std::string_view topic, std::string_view payload) {
  invalidate(topic);
  if (topic != "user.deleted" && topic != "machine.changed") return;
  auto d = parse(payload);
  const auto userId = intField(d, "user_id");
  if (!userId) return;
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  if (topic == "user.deleted") {
    host_.transaction([&](Tx& tx) { publishXpDeleted(tx, *userId, 0, deleteUserData(tx, *userId, postgres)); });
    return;
  }
  auto deleted = d.IsObject() ? d.FindMember("deleted") : d.MemberEnd();
  const auto machineId = intField(d, "machine_id");
  if (machineId && deleted != d.MemberEnd() && deleted->value.IsBool() && deleted->value.GetBool())
    host_.transaction([&](Tx& tx) {
      publishXpDeleted(tx, *userId, *machineId, deleteMachineData(tx, *userId, *machineId, postgres));
    });
}

std::string Ingest::purgeOrphans(const std::vector<std::string>& args) {
  if (!args.empty()) throw Error(CS_E_INVALID, "usage: ingest.purge-orphans");
  int64_t pulses = 0;
  host_.transaction([&](Tx& tx) { pulses = codestats::ingest::purgeOrphans(tx, host_.dbBackend() == CS_DB_POSTGRES); });
  return "removed " + std::to_string(pulses) + " pulses of deleted users and machines\n";
}

}  // namespace codestats::ingest
