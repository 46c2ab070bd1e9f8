#include "lexer.hpp"

#include <codestats/text.hpp>

#include <algorithm>
#include <cstdint>

#include "common/ascii.hpp"
#include "limits.hpp"
#include "utf8.hpp"

namespace codestats::graphql {
namespace {

using common::isAsciiDigit;

bool isNameStart(char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool isNameContinue(char c) { return isNameStart(c) || isAsciiDigit(c); }

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool isBlank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t') return false;
  return true;
}

size_t leadingWhitespace(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// Spec "BlockStringValue": split into lines, remove the common indentation of all lines but
// the first, drop leading and trailing blank lines, join with "\n".
std::string blockStringValue(std::string_view raw) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' || raw[i] == '\r') {
      lines.push_back(raw.substr(start, i - start));
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  lines.push_back(raw.substr(start));
  size_t common = std::string_view::npos;
  for (size_t k = 1; k < lines.size(); ++k) {
    const size_t indent = leadingWhitespace(lines[k]);
    if (indent < lines[k].size() && indent < common) common = indent;
  }
  if (common != std::string_view::npos)
    for (size_t k = 1; k < lines.size(); ++k) lines[k].remove_prefix(std::min(common, lines[k].size()));
  size_t first = 0, last = lines.size();
  while (first < last && isBlank(lines[first])) ++first;
  while (last > first && isBlank(lines[last - 1])) --last;
  std::string out;
  for (size_t k = first; k < last; ++k) {
    if (k > first) out += '\n';
    out += lines[k];
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : s_(source) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    for (;;) {
      skipIgnored();
      if (tokens.size() >= kMaxTokens)
        fail("Document has too many tokens (at most " + std::to_string(kMaxTokens) + ").");
      tokens.push_back(next());
      if (tokens.back().kind == Token::Kind::End) return tokens;
    }
  }

 private:
  [[noreturn]] void fail(std::string message) { failAt(std::move(message), here()); }
  [[noreturn]] void failAt(std::string message, SourceLocation where) {
    throw SyntaxError{"Syntax Error: " + std::move(message), where};
  }
  SourceLocation here() const { return {line_, column_}; }
  char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  bool atEnd() const { return i_ >= s_.size(); }

  // Advances over one source character (a whole UTF-8 sequence), keeping line and column.
  void advance() {
    const char c = s_[i_];
    if (c == '\n' || (c == '\r' && peek(1) != '\n')) {
      ++line_;
      column_ = 1;
      ++i_;
      return;
    }
    const size_t n = utf8SequenceLength(s_, i_);
    if (n == 0) fail("Invalid UTF-8 in the document.");
    i_ += n;
    if (c != '\r') ++column_;
  }

  void skipIgnored() {
    while (!atEnd()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
        advance();
      } else if (c == '\xEF' && peek(1) == '\xBB' && peek(2) == '\xBF') {  // byte order mark
        advance();
      } else if (c == '#') {
        while (!atEnd() && peek() != '\n' && peek() != '\r') advance();
      } else {
        return;
      }
    }
  }

  Token next() {
    Token t;
    t.location = here();
    if (atEnd()) return t;
    const char c = peek();
    if (c == '.') {
      if (peek(1) == '.' && peek(2) == '.') {
        i_ += 3;
        column_ += 3;
        return {Token::Kind::Punctuator, "...", t.location};
      }
      fail("Unexpected \".\"; did you mean \"...\"?");
    }
    if (std::string_view("!$&()[]{}:=@|").find(c) != std::string_view::npos) {
      advance();
      return {Token::Kind::Punctuator, std::string(1, c), t.location};
    }
    if (isNameStart(c)) {
      const size_t start = i_;
      while (!atEnd() && isNameContinue(peek())) advance();
      return {Token::Kind::Name, std::string(s_.substr(start, i_ - start)), t.location};
    }
    if (c == '-' || isAsciiDigit(c)) return number(t.location);
    if (c == '"') {
      if (peek(1) == '"' && peek(2) == '"') return blockString(t.location);
      return string(t.location);
    }
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F)
      fail("Invalid character U+00" + std::string(1, "0123456789ABCDEF"[u >> 4]) +
           std::string(1, "0123456789ABCDEF"[u & 0xF]) + ".");
    if (u < 0x80) fail(std::string("Unexpected character \"") + c + "\".");
    if (utf8SequenceLength(s_, i_) == 0) fail("Invalid UTF-8 in the document.");
    fail("Unexpected character \"" + std::string(s_.substr(i_, utf8SequenceLength(s_, i_))) + "\".");
  }

  void digitsAfter(const char* what) {
    if (!isAsciiDigit(peek())) fail(std::string("Invalid number, expected digit ") + what + ".");
    while (isAsciiDigit(peek())) advance();
  }

  Token number(SourceLocation at) {
    const size_t start = i_;
    bool isFloat = false;
    if (peek() == '-') advance();
    if (peek() == '0') {
      advance();
      if (isAsciiDigit(peek())) fail("Invalid number, unexpected digit after 0.");
    } else {
      digitsAfter("but got none");
    }
    if (peek() == '.') {
      isFloat = true;
      advance();
      digitsAfter("after \".\"");
    }
    if (peek() == 'e' || peek() == 'E') {
      isFloat = true;
      advance();
      if (peek() == '+' || peek() == '-') advance();
      digitsAfter("in the exponent");
    }
    if (peek() == '.' || isNameStart(peek())) fail("Invalid number, unexpected character after the number.");
    return {isFloat ? Token::Kind::Float : Token::Kind::Int, std::string(s_.substr(start, i_ - start)), at};
  }

  uint32_t hex4() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hexDigitValue(peek());  // <codestats/text.hpp>
      if (h < 0) fail("Invalid Unicode escape sequence.");
      v = v * 16 + static_cast<uint32_t>(h);
      advance();
    }
    return v;
  }

  Token string(SourceLocation at) {
    advance();  // opening quote
    std::string value;
    for (;;) {
      if (atEnd() || peek() == '\n' || peek() == '\r') failAt("Unterminated string.", here());
      const char c = peek();
      if (c == '"') {
        advance();
        return {Token::Kind::String, std::move(value), at};
      }
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') fail("Invalid character within string.");
      if (c != '\\') {
        const size_t n = utf8SequenceLength(s_, i_);
        if (n == 0) fail("Invalid UTF-8 in the document.");
        value.append(s_.substr(i_, n));
        advance();
        continue;
      }
      advance();
      const char e = peek();
      switch (e) {
        case '"': value += '"'; break;
        case '\\': value += '\\'; break;
        case '/': value += '/'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'u': {
          advance();
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair spelled as two escapes
            if (peek() != '\\' || peek(1) != 'u') fail("Invalid Unicode escape sequence (lone surrogate).");
            advance();
            advance();
            const uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("Invalid Unicode escape sequence (lone surrogate).");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("Invalid Unicode escape sequence (lone surrogate).");
          }
          appendUtf8(value, cp);
          continue;
        }
        default: fail("Invalid character escape sequence.");
      }
      advance();
    }
  }

  Token blockString(SourceLocation at) {
    i_ += 3;
    column_ += 3;
    std::string raw;
    for (;;) {
      if (atEnd()) failAt("Unterminated string.", here());
      if (peek() == '"' && peek(1) == '"' && peek(2) == '"') {
        i_ += 3;
        column_ += 3;
        return {Token::Kind::String, blockStringValue(raw), at};
      }
      if (peek() == '\\' && peek(1) == '"' && peek(2) == '"' && peek(3) == '"') {
        raw += "\"\"\"";
        i_ += 4;
        column_ += 4;
        continue;
      }
      const char c = peek();
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
        fail("Invalid character within string.");
      const size_t n = c == '\n' || c == '\r' ? 1 : utf8SequenceLength(s_, i_);
      if (n == 0) fail("Invalid UTF-8 in the document.");
      raw.append(s_.substr(i_, n));
      advance();
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  uint32_t line_ = 1;
  uint32_t column_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  if (source.size() > kMaxDocumentBytes)
    throw SyntaxError{"Document is too large (at most " + std::to_string(kMaxDocumentBytes) + " bytes).", {1, 1}};
  return Lexer(source).run();
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::End: return "<EOF>";
    case Token::Kind::Punctuator: return "\"" + token.text + "\"";
    case Token::Kind::Name: return "Name \"" + token.text + "\"";
    case Token::Kind::Int: return "Int \"" + token.text + "\"";
    case Token::Kind::Float: return "Float \"" + token.text + "\"";
    case Token::Kind::String: return "String";
  }
  return "token";
}

}  // namespace codestats::graphql
