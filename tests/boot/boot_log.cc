#include "tests/boot/boot_log.h"

#include <sstream>
#include <stdexcept>

namespace boot_log {

namespace {

bool IsEventName(const std::string& word) {
  for (const char* prefix : {"mm.", "boot.", "paging.", "selftest.", "efi."}) {
    if (word.rfind(prefix, 0) == 0) return true;
  }
  return word == "panic";
}

// Drops ANSI CSI sequences (ESC '[' params final-byte) that the firmware console leaves on the serial line.
std::string StripEscapes(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] == '\x1b' && i + 1 < in.size() && in[i + 1] == '[') {
      i += 2;
      while (i < in.size() && !(in[i] >= 0x40 && in[i] <= 0x7e)) i++;
      continue;
    }
    out += in[i];
  }
  return out;
}

std::string Trim(std::string s) {
  s = StripEscapes(s);
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\n')) s.pop_back();
  // Firmware console output can leave escape sequences in front of the first kernel line.
  size_t start = s.find_first_not_of(" \r");
  return start == std::string::npos ? "" : s.substr(start);
}

}  // namespace

uint64_t ParseNumber(const std::string& text) {
  if (text.empty()) throw std::runtime_error("empty number");
  size_t used = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(text, &used, text.rfind("0x", 0) == 0 ? 16 : 10);
  } catch (const std::exception&) {
    throw std::runtime_error("not a number: '" + text + "'");
  }
  if (used != text.size()) throw std::runtime_error("trailing characters in number: '" + text + "'");
  return v;
}

uint64_t Event::num(const std::string& key) const {
  auto it = kv.find(key);
  if (it == kv.end()) throw std::runtime_error(name + " (line " + std::to_string(line) + ") has no key " + key);
  return ParseNumber(it->second);
}

std::string Event::str(const std::string& key) const {
  auto it = kv.find(key);
  if (it == kv.end()) throw std::runtime_error(name + " (line " + std::to_string(line) + ") has no key " + key);
  return it->second;
}

std::vector<Event> Parse(const std::string& text) {
  std::vector<Event> events;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    line_no++;
    std::string line = Trim(raw);
    if (line == kHandoffLine) {
      events.push_back(Event{kHandoffLine, {}, line_no});
      continue;
    }
    std::istringstream words(line);
    std::string first;
    if (!(words >> first) || !IsEventName(first)) continue;
    Event e{first, {}, line_no};
    std::string word;
    while (words >> word) {
      size_t eq = word.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      e.kv[word.substr(0, eq)] = word.substr(eq + 1);
    }
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<Event> All(const std::vector<Event>& events, const std::string& name) {
  std::vector<Event> out;
  for (const auto& e : events) {
    if (e.name == name) out.push_back(e);
  }
  return out;
}

std::optional<Event> First(const std::vector<Event>& events, const std::string& name) {
  for (const auto& e : events) {
    if (e.name == name) return e;
  }
  return std::nullopt;
}

int IndexOf(const std::vector<Event>& events, const std::string& name, int from) {
  for (int i = from; i < static_cast<int>(events.size()); i++) {
    if (events[i].name == name) return i;
  }
  return -1;
}

}  // namespace boot_log
