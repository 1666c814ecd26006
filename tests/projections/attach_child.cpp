// projections_attach_child: a second process for the crash cases of projections_test.
//
//   projections_attach_child <data_dir>
//       Opens the log with the projections attached (Attach folds whatever the views have not
//       seen), appends one catalogued event through the writer, prints "ready <head>" and
//       waits until its stdin reaches end of file; the test kills it with SIGKILL instead, so
//       nothing is flushed or closed.
//
// Exit status: 0 at end of input, 2 for bad usage or when the log cannot be opened or
// attached, 3 when the append fails.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "events/catalogue.h"
#include "events/event_log.h"
#include "projections/projections.h"

namespace {

namespace ev = passledger::events;

int Run(const char* data_dir) {
  std::unique_ptr<ev::EventLog> log;  // declared first: destroyed after the projections
  auto projections = std::make_unique<passledger::projections::Projections>();
  ev::OpenOptions options;
  options.data_dir = data_dir;
  options.block_cache_bytes = 8u << 20;
  options.inline_projections = {projections->inline_projection()};
  auto opened = ev::EventLog::Open(options);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str());
    return 2;
  }
  log = std::move(*opened);
  if (auto ok = projections->Attach(log.get()); !ok) {
    std::fprintf(stderr, "attach: %s\n", ok.error().ToString().c_str());
    return 2;
  }
  ev::AppendRequest request;
  request.stream = "member-crash1";
  request.actor = "test:attach-child";
  ev::NewEvent event;
  event.type = std::string(ev::kMemberEnrolled);
  event.payload = {
      {"membershipId", "crash1"}, {"level", "Individual"}, {"status", "Active"}, {"active", true}};
  request.events.push_back(std::move(event));
  auto appended = log->Append(std::move(request));
  if (!appended) {
    std::fprintf(stderr, "append: %s\n", appended.error().ToString().c_str());
    return 3;
  }
  const std::string ready = "ready " + std::to_string(log->GetHead().position) + "\n";
  if (::write(STDOUT_FILENO, ready.data(), ready.size()) != static_cast<ssize_t>(ready.size())) {
    return 3;
  }
  char buffer[64];
  while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: projections_attach_child <data_dir>\n");
    return 2;
  }
  return Run(argv[1]);
}
