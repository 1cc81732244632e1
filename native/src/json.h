// A minimal JSON value and parser for instruction attributes (the Program's attrs are JSON).
#pragma once
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace theanode {

struct Json {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::map<std::string, Json> obj;

  bool has(const std::string& k) const { return type == Object && obj.count(k) > 0; }
  const Json& operator[](const std::string& k) const {
    auto it = obj.find(k);
    if (type != Object || it == obj.end()) throw std::runtime_error("attribute '" + k + "' is missing");
    return it->second;
  }
  const Json& operator[](size_t i) const {
    if (type != Array || i >= arr.size()) throw std::runtime_error("attribute index out of range");
    return arr[i];
  }
  size_t size() const { return type == Array ? arr.size() : 0; }
  // Non-finite numbers travel as the strings "Infinity", "-Infinity" and "NaN".
  double number() const {
    if (type == Bool) return b ? 1 : 0;
    if (type == String) {
      if (str == "Infinity") return HUGE_VAL;
      if (str == "-Infinity") return -HUGE_VAL;
      if (str == "NaN") return NAN;
    }
    if (type != Number) throw std::runtime_error("attribute is not a number");
    return num;
  }
  bool truthy() const { return type == Bool ? b : type == Number ? num != 0 : false; }
  bool isNull() const { return type == Null; }

  static Json parse(const std::string& text);
};

}  // namespace theanode
