// Hard limits that keep the work for one GraphQL request bounded, whatever the client sends
// (docs/graphql.md, "Limits"). Each is checked before the work it protects is done.
#pragma once

#include <cstddef>
#include <cstdint>

namespace codestats::graphql {

// Bytes of an HTTP body (JSON envelope or raw document); larger bodies answer 413.
inline constexpr size_t kMaxBodyBytes = 64 * 1024;
// Bytes of one GraphQL document. The profile page's query is about 400 bytes.
inline constexpr size_t kMaxDocumentBytes = 16 * 1024;
// Lexical tokens of one document (punctuators, names, values; not comments or commas).
inline constexpr size_t kMaxTokens = 2000;
// Syntactic nesting: selection sets inside selection sets, list and object values inside
// each other. Bounds the recursion of the parser and of everything that walks the AST.
inline constexpr int kMaxNestingDepth = 24;
// Field depth after fragments are expanded ({profile{languages{name}}} is 3; the standard
// introspection query of GraphiQL and graphql-js reaches 13 through its ofType chain).
inline constexpr int kMaxFieldDepth = 16;
// Selections (fields, fragment spreads, inline fragments) visited when the operation is
// expanded, counting a fragment once per spread. Computed per fragment, not by expanding,
// so a fragment bomb (each fragment spreading the previous twice) is refused in linear time.
inline constexpr uint64_t kMaxSelections = 500;
// Fields that ask the data source (profile, and every field of Profile), after expansion.
inline constexpr uint64_t kMaxSourceFields = 50;
// Leaf values written into one response (list items times selected leaves).
inline constexpr uint64_t kMaxResultValues = 200'000;
// How far back a `since` of the live queries (languages, machines, dayLanguageXps) may
// reach, in days before the current UTC date: a year plus slack for week-aligned calendars.
inline constexpr int64_t kMaxSinceDays = 371;
// Operations in one batched (JSON array) POST.
inline constexpr size_t kMaxBatchSize = 10;

}  // namespace codestats::graphql

namespace codestats::graphql {

// Errors reported for one document; validation stops after this many.
inline constexpr size_t kMaxErrors = 50;

}  // namespace codestats::graphql
