#include "http/router.h"

#include <algorithm>
#include <stdexcept>

#include "base/crypto.h"

namespace passledger::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path == "/") return segments;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool IsDotSegment(std::string_view segment) { return segment == "." || segment == ".."; }

bool Contains(const std::vector<bhttp::verb>& methods, bhttp::verb method) {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

// The decoded segments, or the status that refuses the path.
struct DecodedPath {
  bhttp::status status = bhttp::status::ok;
  std::vector<std::string> segments;
};

DecodedPath DecodePath(std::string_view path) {
  DecodedPath out;
  if (path.empty() || path.front() != '/') return {bhttp::status::bad_request, {}};
  const std::vector<std::string_view> raw_segments = SplitPath(path);
  for (std::size_t i = 0; i < raw_segments.size(); ++i) {
    const std::string_view raw = raw_segments[i];
    if (raw.empty()) {
      if (i + 1 < raw_segments.size()) return {bhttp::status::not_found, {}};
      out.segments.emplace_back();  // a trailing '/': only a template ending in '/' matches
      continue;
    }
    auto decoded = PercentDecode(raw);
    if (!decoded || IsDotSegment(*decoded) ||
        decoded->find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
      return {bhttp::status::bad_request, {}};
    }
    out.segments.push_back(std::move(*decoded));
  }
  return out;
}

// Whether `route` matches the decoded segments: literal segments only, nothing allocated.
bool Matches(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (IsParam(route.segments[i]) ? segments[i].empty()  // a trailing '/' captures nothing
                                   : route.segments[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

// The {captures} of a route that Matches the segments.
void Capture(const Route& route, std::vector<std::string>& segments,
             std::map<std::string, std::string, std::less<>>& params) {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& pattern = route.segments[i];
    if (IsParam(pattern)) params[pattern.substr(1, pattern.size() - 2)] = std::move(segments[i]);
  }
}

void AppendAllow(std::vector<bhttp::verb>& allowed, const std::vector<bhttp::verb>& methods) {
  for (bhttp::verb method : methods) {
    if (!Contains(allowed, method)) allowed.push_back(method);
  }
}

std::string JoinMethods(const std::vector<bhttp::verb>& methods) {
  std::string out;
  for (bhttp::verb method : methods) {
    if (!out.empty()) out += ", ";
    out += bhttp::to_string(method);
  }
  return out;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (in[i] != '%') {
      out.push_back(in[i]);
    } else {
      std::uint8_t byte = 0;
      if (i + 2 >= in.size() || !passledger::FromHex(in.substr(i + 1, 2), {&byte, 1})) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(byte));
      i += 2;
    }
  }
  return out;
}

std::string_view Request::Param(std::string_view name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    return PercentDecode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

std::size_t Request::ApproximateBytes() const {
  std::size_t bytes = message.body().size() + message.target().size() + query.size();
  for (const auto& field : message) bytes += field.name_string().size() + field.value().size();
  for (const auto& [name, value] : params) bytes += name.size() + value.size();
  return bytes + remote.size();
}

void Router::Add(std::initializer_list<bhttp::verb> methods, std::string_view path_template,
                 Handler handler, RouteOptions options) {
  if (path_template.empty() || path_template.front() != '/' || methods.size() == 0) {
    throw std::invalid_argument("route template must start with '/': " +
                                std::string(path_template));
  }
  Route route{methods, std::string(path_template), {}, std::move(handler), options};
  const std::vector<std::string_view> segments = SplitPath(path_template);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string_view segment = segments[i];
    const bool has_brace = segment.find_first_of("{}") != std::string_view::npos;
    const bool trailing_slash = segment.empty() && i + 1 == segments.size() && i > 0;
    if ((segment.empty() && !trailing_slash) || (has_brace && !IsParam(segment))) {
      throw std::invalid_argument("bad route template: " + std::string(path_template));
    }
    route.segments.emplace_back(segment);
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::Match(bhttp::verb method, std::string_view target) const {
  RouteMatch match;
  const auto question = target.find('?');
  if (question != std::string_view::npos) match.query = target.substr(question + 1);
  DecodedPath path = DecodePath(target.substr(0, question));
  if (path.status != bhttp::status::ok) {
    match.status = path.status;
    return match;
  }
  match.status = bhttp::status::not_found;
  std::vector<bhttp::verb> allowed;
  for (const Route& route : routes_) {
    if (!Matches(route, path.segments)) continue;
    if (Contains(route.methods, method)) {
      match.status = bhttp::status::ok;
      match.route = &route;
      Capture(route, path.segments, match.params);
      return match;
    }
    match.status = bhttp::status::method_not_allowed;
    AppendAllow(allowed, route.methods);
  }
  match.allow = JoinMethods(allowed);
  return match;
}

}  // namespace passledger::http
