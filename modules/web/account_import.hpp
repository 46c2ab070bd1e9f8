// web.import-accounts: users and machines of an original Code::Stats database, written by
// web, which owns them (codestatsctl import-codestats reads the original and hands them
// over in batches; docs/operations.md, "Moving from Code::Stats").
#pragma once

#include <string>
#include <vector>

#include "app.hpp"

namespace codestats::web {

// web.import-accounts SOURCE check|write JSON
//   JSON: {"users":[{"id","username","email","password","private","terms_version",
//          "inserted_at","updated_at","gravatar_email"}], "machines":[{"id","user_id","name",
//          "api_salt","active","inserted_at","updated_at"}], "id_floor":{"users","machines"}}
//          with source ids and times in ms; every machine's user is in the same batch or an
//          earlier one. id_floor (optional): the original's highest ids; a row whose id is
//          taken in the target gets one above them and above the target's.
// Answers {"users":[[source id, target id]...], "machines":[[...]...], "clashes":[...],
// "kept_ids":N, "mapped":[...], "renamed_machines":[...], "odd_usernames":[...]}.
// `check` writes nothing; `write` refuses (writing nothing) when a clash is found, else
// writes the batch in one transaction with its id map (import_id_map), so a second run
// updates what the first one wrote: passwords, salts, names and flags changed meanwhile.
std::string cmdImportAccounts(App& app, const std::vector<std::string>& args);

}  // namespace codestats::web
