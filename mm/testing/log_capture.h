// log_capture.h: test-only helper that collects log lines (without their '\n') while it is alive.
#ifndef MM_TESTING_LOG_CAPTURE_H
#define MM_TESTING_LOG_CAPTURE_H

#include <string>
#include <vector>

extern "C" {
#include "mm/log.h"
}

namespace mm_testing {

class LogCapture {
 public:
  explicit LogCapture(log_level level = LOG_DEBUG) : saved_level_(log_get_level()) {
    log_set_level(level);
    log_set_sink(&LogCapture::Write, this);
  }
  ~LogCapture() {
    log_set_sink(nullptr, nullptr);
    log_set_level(saved_level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  const std::vector<std::string>& lines() const { return lines_; }
  void clear() { lines_.clear(); }

  // Lines whose event name (first word) is `event`.
  std::vector<std::string> Events(const std::string& event) const {
    std::vector<std::string> out;
    for (const std::string& line : lines_) {
      if (line.compare(0, event.size(), event) == 0 && (line.size() == event.size() || line[event.size()] == ' ')) {
        out.push_back(line);
      }
    }
    return out;
  }

  // Raw text of every line, '\n' included, as the sink saw it.
  const std::vector<std::string>& raw() const { return raw_; }

 private:
  static void Write(void* ctx, const char* text, uint64_t len) {
    auto* self = static_cast<LogCapture*>(ctx);
    std::string line(text, static_cast<size_t>(len));
    self->raw_.push_back(line);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    self->lines_.push_back(line);
  }

  log_level saved_level_;
  std::vector<std::string> lines_;
  std::vector<std::string> raw_;
};

}  // namespace mm_testing

#endif  // MM_TESTING_LOG_CAPTURE_H
