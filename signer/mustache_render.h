// MustacheTemplate: a Mustache template parsed once and rendered many times against a
// boost::json::value context. Written for pass.json templates, so by default {{a}} values are
// escaped for the inside of a JSON string rather than for HTML; e-mail templates choose
// MustacheEscape::kHtml (the HTML part) or kNone (the text part) at Parse.
//
// Supported: {{a.b}} (value escaped per the template's MustacheEscape), {{{a}}} and {{&a}} (raw),
// sections
// {{#x}}...{{/x}} over arrays (once per element), objects and other truthy values (once, with
// the value pushed on the context stack), inverted sections {{^x}}...{{/x}}, comments
// {{! ... }}, dotted names resolved through the context stack, and "." for the current item.
// Falsy: false, null, "", 0 and []. Not supported (a parse error): partials {{>x}}, set
// delimiters {{=...=}}. Standalone tag lines are not stripped (whitespace is irrelevant in
// JSON).
//
// Stricter than Mustache: a name that resolves nowhere is an error, not an empty string, and
// inserting an object or array is an error. Every error names the template file, the line and
// the placeholder: "pass.json:12: unknown placeholder {{member.nmae}}".
//
// Thread-safety: immutable after Parse; Render and CheckNames may run concurrently.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::signer {

// How {{a}} inserts a value ({{{a}}} and {{&a}} never escape):
enum class MustacheEscape : std::uint8_t {
  kJsonString,  // for the inside of a JSON string: " \ and control characters (pass.json)
  kHtml,        // & < > " ' as entities: text and attribute values of HTML
  kNone,        // intact (plain-text e-mail)
};

class MustacheTemplate {
 public:
  // Parses `text`; `file_name` is only used in error messages. kInvalidArgument for an
  // unclosed tag or section, a mismatched {{/x}}, a bad name, an unsupported tag or sections
  // nested deeper than kMaxDepth.
  static Result<MustacheTemplate> Parse(std::string_view text, std::string file_name,
                                        MustacheEscape escape = MustacheEscape::kJsonString);

  static constexpr int kMaxDepth = 16;

  // Appends the render of `context` to *out. kInvalidArgument for a name that does not
  // resolve or a variable that names an object or array. On error *out holds a partial render.
  Result<void> Render(const boost::json::value& context, std::string* out) const;

  // Checks every name in every branch (sections and inverted sections alike) against
  // `sample`, without rendering: a section over a list is checked against its first element,
  // so every list in `sample` should have one.
  Result<void> CheckNames(const boost::json::value& sample) const;

  const std::string& file_name() const { return file_name_; }
  MustacheEscape escape() const { return escape_; }

  // Every distinct name used in the template, in order of first use.
  std::vector<std::string> Names() const;

  // Where byte `offset` of Render(context)'s output came from, for error messages: the
  // template line, and the placeholder that produced it (or else the nearest one before it
  // on that line, e.g. "{{member.name}}"; empty if none).
  struct Origin {
    std::uint32_t line = 0;
    std::string placeholder;
  };
  Origin Locate(const boost::json::value& context, std::size_t offset) const;

 private:
  enum class Kind : std::uint8_t { kText, kEscaped, kRaw, kSection, kInverted };
  struct Node {
    Kind kind = Kind::kText;
    std::uint32_t line = 0;
    std::uint32_t end = 0;          // sections: index one past their last child
    std::string text;               // kText: the literal; otherwise the name as written
    std::vector<std::string> path;  // the name's dotted parts; empty for "."
  };
  struct Stack;
  class Parser;

  MustacheTemplate(std::string file_name, MustacheEscape escape, std::vector<Node> nodes)
      : file_name_(std::move(file_name)), escape_(escape), nodes_(std::move(nodes)) {}

  // One node's output, recorded by Locate's traced render.
  struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t node = 0;
  };

  Result<void> RenderRange(std::size_t begin, std::size_t end, Stack& stack, std::string* out,
                           std::vector<Span>* trace) const;
  std::string Spelling(const Node& node) const;
  Result<void> CheckRange(std::size_t begin, std::size_t end, Stack& stack) const;
  Result<const boost::json::value*> Resolve(const Node& node, const Stack& stack) const;
  Error NodeError(const Node& node, std::string_view what) const;

  std::string file_name_;
  MustacheEscape escape_ = MustacheEscape::kJsonString;
  std::vector<Node> nodes_;  // pre-order: a section's children follow it, up to its `end`
};

}  // namespace passledger::signer
