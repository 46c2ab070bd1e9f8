#include "db/sql_text.hpp"

#include <cctype>

namespace codestats::host::db::sqltext {
namespace {

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identPart(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// If a quote, dollar quote or comment starts at i, the position after it (the end of the
// text when unterminated); otherwise i.
size_t skipNonCode(std::string_view s, size_t i) {
  const size_t n = s.size();
  if (s[i] == '\'' || s[i] == '"') {
    const char q = s[i];
    for (size_t k = i + 1; k < n; ++k) {
      if (s[k] != q) continue;
      if (k + 1 < n && s[k + 1] == q) {  // doubled quote: part of the text
        ++k;
        continue;
      }
      return k + 1;
    }
    return n;
  }
  if (s.compare(i, 2, "--") == 0) {
    size_t e = s.find('\n', i);
    return e == std::string_view::npos ? n : e + 1;
  }
  if (s.compare(i, 2, "/*") == 0) {
    size_t e = s.find("*/", i + 2);
    return e == std::string_view::npos ? n : e + 2;
  }
  if (s[i] == '$') {  // $tag$ ... $tag$ (a placeholder $1 is not a tag)
    size_t k = i + 1;
    while (k < n && (identPart(s[k]) && s[k] != '$')) ++k;
    if (k < n && s[k] == '$' && (k == i + 1 || !std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::string_view tag = s.substr(i, k - i + 1);
      size_t e = s.find(tag, k + 1);
      return e == std::string_view::npos ? n : e + tag.size();
    }
  }
  return i;
}

bool onlyBlankOrComments(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    if (s.compare(i, 2, "--") == 0 || s.compare(i, 2, "/*") == 0) {
      i = skipNonCode(s, i);
      continue;
    }
    return false;
  }
  return true;
}

struct Token {
  enum Kind { Word, Quoted, Punct, Other } kind;
  std::string text;  // Word: lower case; Quoted: without quotes; Punct: the character
  size_t end;        // offset just past the token
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '"') {
      size_t e = skipNonCode(s, i);
      std::string text;
      for (size_t k = i + 1; k + 1 < e; ++k) {
        text += s[k];
        if (s[k] == '"') ++k;  // "" inside a quoted identifier
      }
      out.push_back({Token::Quoted, text, e});
      i = e;
      continue;
    }
    if (size_t e = skipNonCode(s, i); e != i) {
      if (s[i] == '\'' || s[i] == '$') out.push_back({Token::Other, "", e});
      i = e;
      continue;
    }
    if (identStart(c)) {
      size_t e = i;
      std::string word;
      while (e < s.size() && identPart(s[e]))
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(s[e++])));
      out.push_back({Token::Word, word, e});
      i = e;
      continue;
    }
    if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.') {
      out.push_back({Token::Punct, std::string(1, c), i + 1});
      ++i;
      continue;
    }
    size_t e = i + 1;
    while (e < s.size() && !std::isspace(static_cast<unsigned char>(s[e])) && !identStart(s[e]) &&
           std::string_view("(),;.'\"$").find(s[e]) == std::string_view::npos)
      ++e;
    out.push_back({Token::Other, std::string(s.substr(i, e - i)), e});
    i = e;
  }
  return out;
}

// A cursor over the tokens of one statement.
class Reader {
 public:
  explicit Reader(std::vector<Token> t) : t_(std::move(t)) {}
  bool is(std::string_view word, size_t ahead = 0) const {
    return k_ + ahead < t_.size() && t_[k_ + ahead].kind == Token::Word && t_[k_ + ahead].text == word;
  }
  bool take(std::string_view word) {
    if (!is(word)) return false;
    ++k_;
    return true;
  }
  bool takeAll(std::initializer_list<std::string_view> words) {
    size_t i = 0;
    for (auto w : words)
      if (!is(w, i++)) return false;
    k_ += words.size();
    return true;
  }
  bool punct(char c) const { return k_ < t_.size() && t_[k_].kind == Token::Punct && t_[k_].text[0] == c; }
  // [schema .] name; "" when there is no identifier here.
  std::string name() {
    std::string n = ident();
    if (!n.empty() && punct('.')) {
      ++k_;
      std::string second = ident();
      if (!second.empty()) n += "." + second;
    }
    return n;
  }
  // Comma-separated names, each optionally preceded by ONLY.
  std::vector<std::string> names() {
    std::vector<std::string> out;
    do {
      take("only");
      std::string n = name();
      if (n.empty()) break;
      out.push_back(n);
    } while (punct(',') && ++k_);
    return out;
  }
  // Advances to the next top-level word `w`; the offset after it, or npos.
  size_t after(std::string_view w) {
    int depth = 0;
    for (; k_ < t_.size(); ++k_) {
      const Token& t = t_[k_];
      if (t.kind == Token::Punct && t.text[0] == '(') ++depth;
      if (t.kind == Token::Punct && t.text[0] == ')') --depth;
      if (depth == 0 && t.kind == Token::Word && t.text == w) return t_[k_++].end;
    }
    return std::string_view::npos;
  }
  bool scanFor(std::initializer_list<std::string_view> words) {
    for (; k_ < t_.size(); ++k_)
      if (takeAll(words)) return true;
    return false;
  }

 private:
  std::string ident() {
    if (k_ >= t_.size() || (t_[k_].kind != Token::Word && t_[k_].kind != Token::Quoted)) return "";
    return t_[k_++].text;
  }
  std::vector<Token> t_;
  size_t k_ = 0;
};

}  // namespace

std::vector<std::string_view> splitStatements(std::string_view script) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= script.size();) {
    if (i == script.size() || script[i] == ';') {
      std::string_view piece = script.substr(start, i - start);
      if (!onlyBlankOrComments(piece)) out.push_back(piece);
      start = ++i;
      continue;
    }
    size_t e = skipNonCode(script, i);
    i = e == i ? i + 1 : e;
  }
  return out;
}

std::string firstKeyword(std::string_view statement) {
  for (const Token& t : tokenize(statement)) {
    if (t.kind != Token::Word) return "";
    std::string up = t.text;
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return up;
  }
  return "";
}

DdlTargets ddlTargets(std::string_view statement) {
  DdlTargets out;
  Reader r(tokenize(statement));
  if (r.take("create")) {
    r.takeAll({"or", "replace"});
    while (r.take("temp") || r.take("temporary") || r.take("unlogged") || r.take("global") || r.take("local") ||
           r.take("materialized")) {
    }
    r.take("unique");
    if (r.take("table")) {
      r.takeAll({"if", "not", "exists"});
      if (auto n = r.name(); !n.empty()) out.tables.push_back(n);
      out.recognised = !out.tables.empty();
    } else if (r.take("index")) {
      r.take("concurrently");
      r.takeAll({"if", "not", "exists"});
      if (!r.is("on")) r.name();  // the index's own name
      if (r.take("on")) {
        r.take("only");
        if (auto n = r.name(); !n.empty()) out.tables.push_back(n);
      }
      out.recognised = !out.tables.empty();
    } else if (r.take("view")) {
      r.takeAll({"if", "not", "exists"});
      if (auto n = r.name(); !n.empty()) out.tables.push_back(n);
      size_t at = r.after("as");
      if (at != std::string_view::npos) out.query = statement.substr(at);
      out.recognised = !out.tables.empty() && !out.query.empty();
    }
  } else if (r.take("alter")) {
    if (r.take("table") || r.take("view")) {
      r.takeAll({"if", "exists"});
      r.take("only");
      if (auto n = r.name(); !n.empty()) out.tables.push_back(n);
      if (r.scanFor({"rename", "to"}))
        if (auto n = r.name(); !n.empty()) out.tables.push_back(n);
      out.recognised = !out.tables.empty();
    } else if (r.take("index")) {
      r.takeAll({"if", "exists"});
      if (auto n = r.name(); !n.empty()) out.indexes.push_back(n);
      out.recognised = !out.indexes.empty();
    }
  } else if (r.take("drop")) {
    if (r.take("table") || r.take("view")) {
      r.takeAll({"if", "exists"});
      out.tables = r.names();
      out.recognised = !out.tables.empty();
    } else if (r.take("index")) {
      r.take("concurrently");
      r.takeAll({"if", "exists"});
      out.indexes = r.names();
      out.recognised = !out.indexes.empty();
    }
  } else if (r.take("truncate") || r.take("lock")) {
    r.take("table");
    out.tables = r.names();
    out.recognised = !out.tables.empty();
  } else if (r.take("analyze")) {  // without names it would cover every table
    r.take("verbose");
    out.tables = r.names();
    out.recognised = !out.tables.empty();
  }
  return out;
}

}  // namespace codestats::host::db::sqltext
