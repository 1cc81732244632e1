#include "json.h"

#include <cstdlib>

namespace theanode {
namespace {

struct Parser {
  const std::string& s;
  size_t i = 0;

  [[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string("bad attribute JSON: ") + what); }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) i++;
  }
  Json value() {
    ws();
    if (i >= s.size()) fail("unexpected end");
    Json v;
    char c = s[i];
    if (c == '{') {
      v.type = Json::Object;
      i++;
      ws();
      if (i < s.size() && s[i] == '}') { i++; return v; }
      for (;;) {
        Json k = value();
        if (k.type != Json::String) fail("object key");
        ws();
        if (i >= s.size() || s[i++] != ':') fail("expected :");
        v.obj[k.str] = value();
        ws();
        if (i < s.size() && s[i] == ',') { i++; continue; }
        if (i < s.size() && s[i] == '}') { i++; return v; }
        fail("expected , or }");
      }
    }
    if (c == '[') {
      v.type = Json::Array;
      i++;
      ws();
      if (i < s.size() && s[i] == ']') { i++; return v; }
      for (;;) {
        v.arr.push_back(value());
        ws();
        if (i < s.size() && s[i] == ',') { i++; continue; }
        if (i < s.size() && s[i] == ']') { i++; return v; }
        fail("expected , or ]");
      }
    }
    if (c == '"') {
      v.type = Json::String;
      i++;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) i++;
        v.str += s[i++];
      }
      if (i >= s.size()) fail("unterminated string");
      i++;
      return v;
    }
    if (s.compare(i, 4, "true") == 0) { v.type = Json::Bool; v.b = true; i += 4; return v; }
    if (s.compare(i, 5, "false") == 0) { v.type = Json::Bool; i += 5; return v; }
    if (s.compare(i, 4, "null") == 0) { i += 4; return v; }
    const char* start = s.c_str() + i;
    char* end = nullptr;
    v.num = std::strtod(start, &end);
    if (end == start) fail("unexpected character");
    v.type = Json::Number;
    i += static_cast<size_t>(end - start);
    return v;
  }
};

}  // namespace

Json Json::parse(const std::string& text) {
  Parser p{text};
  Json v = p.value();
  return v;
}

}  // namespace theanode
