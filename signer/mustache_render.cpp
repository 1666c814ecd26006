// The parser and renderer of signer/mustache_render.h.
#include "signer/mustache_render.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <charconv>

namespace passledger::signer {

namespace json = boost::json;

// The context stack: the root context and one entry per enclosing section. Fixed size (the
// parser limits nesting), so a render allocates nothing for it.
struct MustacheTemplate::Stack {
  std::array<const json::value*, kMaxDepth + 1> items{};
  std::size_t size = 0;

  void Push(const json::value* v) { items[size++] = v; }
  void Pop() { --size; }
  const json::value* Top() const { return items[size - 1]; }
};

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "a.b.c" into parts; "." gives no parts. False for an empty or malformed name.
bool SplitName(std::string_view name, std::vector<std::string>* parts) {
  if (name == ".") return true;
  if (name.empty()) return false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') {
      if (!IsNameChar(name[i])) return false;
      continue;
    }
    if (i == start) return false;  // empty part: "a..b", ".a", "a."
    parts->emplace_back(name.substr(start, i - start));
    start = i + 1;
  }
  return true;
}

bool IsFalsy(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return !v.get_bool();
    case json::kind::string:
      return v.get_string().empty();
    case json::kind::array:
      return v.get_array().empty();
    case json::kind::int64:
      return v.get_int64() == 0;
    case json::kind::uint64:
      return v.get_uint64() == 0;
    case json::kind::double_:
      return v.get_double() == 0;
    case json::kind::object:
      return false;
  }
  return false;
}

// Appends `s` escaped for the inside of a JSON string. UTF-8 passes through unchanged.
void AppendJsonEscaped(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out->append(escape, sizeof(escape));
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
}

// Appends `s` with the five characters that matter in HTML text and attribute values as
// entities.
void AppendHtmlEscaped(std::string_view s, std::string* out) {
  for (const char c : s) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#39;");
        break;
      default:
        out->push_back(c);
    }
  }
}

void AppendString(std::string_view s, MustacheEscape escape, std::string* out) {
  switch (escape) {
    case MustacheEscape::kJsonString:
      AppendJsonEscaped(s, out);
      return;
    case MustacheEscape::kHtml:
      AppendHtmlEscaped(s, out);
      return;
    case MustacheEscape::kNone:
      out->append(s);
      return;
  }
}

// Appends a scalar's text; false for objects and arrays. Numbers, booleans and null need no
// escaping in any mode.
bool AppendScalar(const json::value& v, MustacheEscape escape, std::string* out) {
  char buffer[32];
  switch (v.kind()) {
    case json::kind::string:
      AppendString(v.get_string(), escape, out);
      return true;
    case json::kind::int64: {
      const auto r = std::to_chars(buffer, buffer + sizeof(buffer), v.get_int64());
      out->append(buffer, r.ptr);
      return true;
    }
    case json::kind::uint64: {
      const auto r = std::to_chars(buffer, buffer + sizeof(buffer), v.get_uint64());
      out->append(buffer, r.ptr);
      return true;
    }
    case json::kind::double_:
      out->append(json::serialize(v));
      return true;
    case json::kind::bool_:
      out->append(v.get_bool() ? "true" : "false");
      return true;
    case json::kind::null:
      return true;
    case json::kind::array:
    case json::kind::object:
      return false;
  }
  return false;
}

}  // namespace

// Builds the flat node list; one instance per Parse call.
class MustacheTemplate::Parser {
 public:
  Parser(std::string_view text, const std::string& file_name)
      : text_(text), file_name_(file_name) {}

  Result<std::vector<Node>> Run() {
    while (pos_ < text_.size()) {
      const std::size_t open = text_.find("{{", pos_);
      AddText(text_.substr(pos_, open == std::string_view::npos ? open : open - pos_));
      if (open == std::string_view::npos) break;
      pos_ = open;
      if (auto tag = ParseTag(); !tag) return tag.error();
    }
    if (!open_.empty()) {
      const Node& section = nodes_[open_.back()];
      const char* sigil = section.kind == Kind::kInverted ? "{{^" : "{{#";
      return Fail(section.line,
                  std::string("section ") + sigil + section.text + "}} is never closed");
    }
    return std::move(nodes_);
  }

 private:
  Error Fail(std::uint32_t line, const std::string& what) const {
    return MakeError(ErrorCode::kInvalidArgument,
                     file_name_ + ":" + std::to_string(line) + ": " + what);
  }

  void AddText(std::string_view text) {
    if (text.empty()) return;
    if (text_mergeable_) {
      nodes_.back().text.append(text);
    } else {
      nodes_.push_back(Node{Kind::kText, line_, 0, std::string(text), {}});
    }
    text_mergeable_ = true;
    for (const char c : text) line_ += c == '\n';
  }

  // At "{{": consumes one tag.
  Result<void> ParseTag() {
    const std::uint32_t line = line_;
    const bool triple = text_.substr(pos_, 3) == "{{{";
    const std::string_view close_mark = triple ? "}}}" : "}}";
    const std::size_t body_start = pos_ + (triple ? 3 : 2);
    const std::size_t close = text_.find(close_mark, body_start);
    if (close == std::string_view::npos) {
      const std::string_view snippet = text_.substr(pos_, 24);
      return Fail(line, "unclosed tag " + std::string(snippet));
    }
    const std::string_view body = text_.substr(body_start, close - body_start);
    for (const char c : body) line_ += c == '\n';
    pos_ = close + close_mark.size();
    if (triple) return AddName(Kind::kRaw, body, line, "{{{", "}}}");
    const char sigil = body.empty() ? '\0' : body.front();
    switch (sigil) {
      case '!':
        return {};  // a comment; text around it may merge
      case '#':
        return OpenSection(Kind::kSection, body.substr(1), line);
      case '^':
        return OpenSection(Kind::kInverted, body.substr(1), line);
      case '/':
        return CloseSection(body.substr(1), line);
      case '&':
        return AddName(Kind::kRaw, body.substr(1), line, "{{&", "}}");
      case '>':
        return Fail(line, "partials ({{>...}}) are not supported");
      case '=':
        return Fail(line, "changing delimiters ({{=...=}}) is not supported");
      case '{':
      case '}':
        return Fail(line, "malformed tag {{" + std::string(body) + "}}");
      default:
        return AddName(Kind::kEscaped, body, line, "{{", "}}");
    }
  }

  Result<void> AddName(Kind kind, std::string_view raw, std::uint32_t line, std::string_view open,
                       std::string_view close) {
    const std::string_view name = Trim(raw);
    Node node{kind, line, 0, std::string(name), {}};
    if (!SplitName(name, &node.path)) {
      return Fail(line, "invalid placeholder name " + std::string(open) + std::string(raw) +
                            std::string(close));
    }
    nodes_.push_back(std::move(node));
    text_mergeable_ = false;
    return {};
  }

  Result<void> OpenSection(Kind kind, std::string_view raw, std::uint32_t line) {
    if (open_.size() >= static_cast<std::size_t>(kMaxDepth)) {
      return Fail(line, "sections nested deeper than " + std::to_string(kMaxDepth));
    }
    if (auto added = AddName(kind, raw, line, kind == Kind::kSection ? "{{#" : "{{^", "}}");
        !added) {
      return added;
    }
    open_.push_back(nodes_.size() - 1);
    return {};
  }

  Result<void> CloseSection(std::string_view raw, std::uint32_t line) {
    const std::string_view name = Trim(raw);
    if (open_.empty()) return Fail(line, "{{/" + std::string(name) + "}} closes no section");
    Node& section = nodes_[open_.back()];
    if (section.text != name) {
      return Fail(line, "{{/" + std::string(name) + "}} closes {{#" + section.text +
                            "}} opened at line " + std::to_string(section.line));
    }
    section.end = static_cast<std::uint32_t>(nodes_.size());
    open_.pop_back();
    text_mergeable_ = false;
    return {};
  }

  std::string_view text_;
  const std::string& file_name_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  bool text_mergeable_ = false;  // the last node is a text node at the current level
  std::vector<Node> nodes_;
  std::vector<std::size_t> open_;  // indices of the sections not yet closed
};

Result<MustacheTemplate> MustacheTemplate::Parse(std::string_view text, std::string file_name,
                                                 MustacheEscape escape) {
  auto nodes = Parser(text, file_name).Run();
  if (!nodes) return nodes.error();
  return MustacheTemplate(std::move(file_name), escape, std::move(*nodes));
}

std::string MustacheTemplate::Spelling(const Node& node) const {
  const char* open = node.kind == Kind::kSection    ? "{{#"
                     : node.kind == Kind::kInverted ? "{{^"
                     : node.kind == Kind::kRaw      ? "{{{"
                                                    : "{{";
  const char* close = node.kind == Kind::kRaw ? "}}}" : "}}";
  return open + node.text + close;
}

Error MustacheTemplate::NodeError(const Node& node, std::string_view what) const {
  return MakeError(ErrorCode::kInvalidArgument, file_name_ + ":" + std::to_string(node.line) +
                                                    ": " + std::string(what) + " " +
                                                    Spelling(node));
}

Result<const json::value*> MustacheTemplate::Resolve(const Node& node, const Stack& stack) const {
  if (node.path.empty()) return stack.Top();
  // The first part is looked up from the innermost context outwards; the rest strictly
  // inside what it found.
  const json::value* found = nullptr;
  for (std::size_t i = stack.size; i-- > 0 && found == nullptr;) {
    if (const auto* object = stack.items[i]->if_object()) found = object->if_contains(node.path[0]);
  }
  for (std::size_t i = 1; i < node.path.size() && found != nullptr; ++i) {
    const auto* object = found->if_object();
    found = object != nullptr ? object->if_contains(node.path[i]) : nullptr;
  }
  if (found == nullptr) return NodeError(node, "unknown placeholder");
  return found;
}

Result<void> MustacheTemplate::Render(const json::value& context, std::string* out) const {
  Stack stack;
  stack.Push(&context);
  return RenderRange(0, nodes_.size(), stack, out, nullptr);
}

Result<void> MustacheTemplate::RenderRange(std::size_t begin, std::size_t end, Stack& stack,
                                           std::string* out, std::vector<Span>* trace) const {
  for (std::size_t i = begin; i < end; ++i) {
    const Node& node = nodes_[i];
    const std::size_t out_begin = out->size();
    if (node.kind == Kind::kText) {
      out->append(node.text);
      if (trace != nullptr) trace->push_back({out_begin, out->size(), i});
      continue;
    }
    auto value = Resolve(node, stack);
    if (!value) return value.error();
    const json::value& v = **value;
    if (node.kind == Kind::kEscaped || node.kind == Kind::kRaw) {
      const MustacheEscape escape = node.kind == Kind::kEscaped ? escape_ : MustacheEscape::kNone;
      if (!AppendScalar(v, escape, out)) {
        return NodeError(node, "cannot insert an object or array:");
      }
      if (trace != nullptr) trace->push_back({out_begin, out->size(), i});
      continue;
    }
    const std::size_t children = i + 1;
    i = node.end - 1;  // the loop's ++i moves past the section
    if ((node.kind == Kind::kInverted) != IsFalsy(v)) continue;
    if (node.kind == Kind::kInverted) {
      if (auto r = RenderRange(children, node.end, stack, out, trace); !r) return r;
      continue;
    }
    if (const auto* array = v.if_array()) {
      for (const json::value& item : *array) {
        stack.Push(&item);
        auto r = RenderRange(children, node.end, stack, out, trace);
        stack.Pop();
        if (!r) return r;
      }
      continue;
    }
    stack.Push(&v);
    auto r = RenderRange(children, node.end, stack, out, trace);
    stack.Pop();
    if (!r) return r;
  }
  return {};
}

Result<void> MustacheTemplate::CheckNames(const json::value& sample) const {
  Stack stack;
  stack.Push(&sample);
  return CheckRange(0, nodes_.size(), stack);
}

Result<void> MustacheTemplate::CheckRange(std::size_t begin, std::size_t end, Stack& stack) const {
  for (std::size_t i = begin; i < end; ++i) {
    const Node& node = nodes_[i];
    if (node.kind == Kind::kText) continue;
    auto value = Resolve(node, stack);
    if (!value) return value.error();
    const json::value& v = **value;
    if (node.kind == Kind::kEscaped || node.kind == Kind::kRaw) {
      if (v.is_object() || v.is_array())
        return NodeError(node, "cannot insert an object or array:");
      continue;
    }
    // Both kinds of section are checked whatever the sample's value; a section pushes what
    // a render would push for a truthy value.
    const json::value* pushed = nullptr;
    if (node.kind == Kind::kSection) {
      const auto* array = v.if_array();
      pushed = array == nullptr ? &v : (array->empty() ? nullptr : &array->front());
    }
    if (pushed != nullptr) stack.Push(pushed);
    auto r = CheckRange(i + 1, node.end, stack);
    if (pushed != nullptr) stack.Pop();
    if (!r) return r;
    i = node.end - 1;
  }
  return {};
}

MustacheTemplate::Origin MustacheTemplate::Locate(const json::value& context,
                                                  std::size_t offset) const {
  std::string out;
  std::vector<Span> trace;
  Stack stack;
  stack.Push(&context);
  (void)RenderRange(0, nodes_.size(), stack, &out, &trace);  // a partial trace still helps
  Origin origin;
  const Span* at = nullptr;
  for (const Span& span : trace) {
    if (span.begin > offset) break;
    at = &span;
  }
  if (at == nullptr) return origin;
  const Node& node = nodes_[at->node];
  origin.line = node.line;
  if (node.kind != Kind::kText) {
    origin.placeholder = Spelling(node);
    return origin;
  }
  const std::size_t upto = std::min(offset, at->end) - at->begin;
  origin.line += static_cast<std::uint32_t>(
      std::count(node.text.begin(), node.text.begin() + static_cast<std::ptrdiff_t>(upto), '\n'));
  // The nearest placeholder before, if it sits on the same template line.
  for (const Span* s = at; s-- != trace.data();) {
    const Node& before = nodes_[s->node];
    if (before.kind == Kind::kText) {
      if (before.text.find('\n') != std::string::npos) break;
      continue;
    }
    if (before.line == origin.line) origin.placeholder = Spelling(before);
    break;
  }
  return origin;
}

std::vector<std::string> MustacheTemplate::Names() const {
  std::vector<std::string> names;
  for (const Node& node : nodes_) {
    if (node.kind == Kind::kText) continue;
    if (std::find(names.begin(), names.end(), node.text) == names.end()) {
      names.push_back(node.text);
    }
  }
  return names;
}

}  // namespace passledger::signer
