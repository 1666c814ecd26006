// projections_forget_child: a forget interrupted after its event was committed, for
// tests/tools/forget_purge_test.sh.
//
//   projections_forget_child <data_dir> <subject>
//       Opens the log with the projections attached and calls EventLog::Forget (the key is
//       destroyed and SubjectForgotten committed and folded), then ends the process with
//       _exit, as a crash would, before the views' purge (Projections::PurgeForgotten) that
//       `passledger forget` runs next. Prints "forgotten <position>".
//
// Exit status: 0 after the forget, 2 for bad usage or when the log cannot be opened or
// attached, 3 when the forget fails.
#include <rocksdb/db.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "events/event_log.h"
#include "projections/projections.h"
#include "events/storage_access.h"
#include "projections/generation.h"

namespace {

namespace ev = passledger::events;

int Run(const char* data_dir, const std::string& subject) {
  // Never destroyed: the process ends with _exit, closing nothing.
  auto* projections = new passledger::projections::Projections();
  ev::OpenOptions options;
  options.data_dir = data_dir;
  options.block_cache_bytes = 8u << 20;
  options.inline_projections = {projections->inline_projection()};
  auto opened = ev::EventLog::Open(options);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str());
    return 2;
  }
  ev::EventLog* log = opened->release();
  if (auto ok = projections->Attach(log); !ok) {
    std::fprintf(stderr, "attach: %s\n", ok.error().ToString().c_str());
    return 2;
  }
  // The worst case of a crash after the commit: no background compaction of the views has
  // run either (EventLog::Forget's flush would otherwise make a fourth level-0 file and let
  // RocksDB compact the former values away on its own, before the purge under test).
  const auto status =
      passledger::events::StorageAccess::Db(*log)->SetOptions(projections->active()->cf(), {{"disable_auto_compactions", "true"}});
  if (!status.ok()) {
    std::fprintf(stderr, "SetOptions: %s\n", status.ToString().c_str());
    return 2;
  }
  auto forgotten = log->Forget(subject, "member-" + subject, "test:forget-child", "interrupted");
  if (!forgotten) {
    std::fprintf(stderr, "forget: %s\n", forgotten.error().ToString().c_str());
    return 3;
  }
  std::printf("forgotten %llu\n", static_cast<unsigned long long>(forgotten->last_position));
  std::fflush(stdout);
  ::_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: projections_forget_child <data_dir> <subject>\n");
    return 2;
  }
  return Run(argv[1], argv[2]);
}
