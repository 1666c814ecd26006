// `passledger backup DIR` and `passledger restore DIR --data NEW` (events/backup.h).
#include <fmt/core.h>

#include <string>

#include "events/backup.h"
#include "events/data_dir.h"
#include "events/storage_format.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct BackupArgs {
  std::string dir;
  bool include_master_key = false;
};

struct RestoreArgs {
  std::string dir;
  std::string master_key_file;
};

void RunBackup(const BackupArgs& args, CommandContext& ctx) {
  events::DataDirBackupOptions options;
  options.include_master_key = args.include_master_key;
  auto backup = events::BackupDataDir(ctx.data_dir, args.dir, options);
  if (!backup) {
    ctx.exit_status = ReportError("backup", backup.error());
    return;
  }
  const events::BackupManifest& manifest = backup->manifest;
  fmt::print("backup of {} in {}: {} events verified, head {} {}; {} files\n",
             ctx.data_dir.string(), args.dir, manifest.head.position, manifest.head.position,
             passledger::ToHex(manifest.head.hash), manifest.files.size());
  if (!backup->writer_pid.empty()) {
    fmt::print(
        "the data directory is in use by process {}: copied from a read-only view beside "
        "it and checked for consistency (attempt {})\n",
        backup->writer_pid, backup->attempts);
  } else if (!backup->lock_error.empty()) {
    fmt::print(
        "could not lock the data directory ({}): copied from a read-only view and checked "
        "for consistency (attempt {})\n",
        backup->lock_error, backup->attempts);
  }
  if (manifest.master_key_included) {
    fmt::print(
        "the master key IS in this backup ({}/master.key, mode 0600): keep the backup as "
        "secret as the key\n",
        args.dir);
  } else {
    fmt::print(
        "the master key is NOT in this backup: back it up separately ({}/master.key or "
        "${}); without it the sealed personal data cannot be read\n",
        ctx.data_dir.string(), events::format::kMasterKeyEnv);
  }
}

void RunRestore(const RestoreArgs& args, CommandContext& ctx) {
  events::RestoreOptions options;
  if (!args.master_key_file.empty()) {
    auto text = passledger::ReadSmallFile(args.master_key_file, 256);
    if (!text) {
      ctx.exit_status = ReportError("restore", text.error());
      return;
    }
    auto key = events::ParseHexKey(*text, args.master_key_file);
    if (!key) {
      ctx.exit_status = ReportError("restore", key.error());
      return;
    }
    options.master_key = *key;
  }
  auto restored = events::RestoreBackup(args.dir, ctx.data_dir, options);
  if (!restored) {
    ctx.exit_status = ReportError("restore", restored.error());
    return;
  }
  const events::Head& head = restored->verified.head;
  fmt::print("restored {} into {}: {} events verified, head {} {}; master key from {}\n", args.dir,
             ctx.data_dir.string(), restored->verified.checked, head.position,
             passledger::ToHex(head.hash), restored->master_key_source);
  if (restored->master_key_source.starts_with("$")) {
    fmt::print("{} must be set whenever {} is opened\n", restored->master_key_source,
               ctx.data_dir.string());
  }
}

}  // namespace

void AddBackupCommands(CLI::App& app, CommandContext& ctx) {
  auto backup = std::make_shared<BackupArgs>();
  CLI::App* cmd = app.add_subcommand(
      "backup", "Copy the data directory into DIR (consistent, also beside a running server)");
  cmd->fallthrough();  // `backup DIR --data D` as well as `--data D backup DIR`
  cmd->add_option("dir", backup->dir, "Backup directory (must not exist or be empty)")->required();
  cmd->add_flag("--include-master-key", backup->include_master_key,
                "Also copy the master key (else back it up separately)");
  cmd->callback([backup, &ctx] { RunBackup(*backup, ctx); });

  auto restore = std::make_shared<RestoreArgs>();
  CLI::Option* data = app.get_option("--data");
  cmd = app.add_subcommand("restore", "Restore backup DIR into the new data directory --data NEW");
  cmd->fallthrough();
  cmd->add_option("dir", restore->dir, "Backup directory")->required();
  cmd->add_option("--master-key", restore->master_key_file,
                  "File with the master key (64 hex digits), when the backup has none");
  cmd->callback([restore, data, &ctx] {
    // Restoring into the default ./data by accident is too easy: ask for it by name.
    if (data->count() == 0) {
      ctx.exit_status = ReportError(
          "restore",
          MakeError(ErrorCode::kInvalidArgument, "name the new data directory with --data NEW"));
      return;
    }
    RunRestore(*restore, ctx);
  });
}

}  // namespace passledger::tools
