#include "handlers/admin/devices.h"

#include <algorithm>
#include <array>

#include "handlers/admin/admin_cursor.h"

namespace passledger::handlers {
namespace {

constexpr char kDeviceCursor = 'd';
constexpr char kLogCursor = 'l';

DeviceEntry EntryOf(const projections::DeviceView& d) {
  return {d.device_id, d.passes, d.registered_at_us, d.changed_at_us, !d.push_token.empty()};
}

}  // namespace

Result<DevicePage> DeviceList::Find(const DeviceListQuery& query) const {
  std::string after;
  if (!query.cursor.empty()) {
    auto decoded = DecodeCursor(query.cursor, kDeviceCursor);
    if (!decoded) return decoded.error();
    after = std::move(*decoded);
  }
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, 500);
  auto devices = read_.Devices(after, limit + 1);  // one more: is there a next page?
  if (!devices) return devices.error();
  DevicePage page;
  for (std::size_t i = 0; i < devices->size() && i < limit; ++i) {
    page.devices.push_back(EntryOf((*devices)[i]));
  }
  if (devices->size() > limit)
    page.next_cursor = EncodeCursor(kDeviceCursor, (*devices)[limit - 1].device_id);
  return page;
}

Result<DeviceLogPage> DeviceList::Logs(const DeviceLogSearch& search) const {
  DeviceLogPage page;
  if (logs_ == nullptr) return page;
  projections::DeviceLogQuery query{search.device, search.client, search.since_ms,
                                    std::clamp<std::size_t>(search.limit, 1, 1000) + 1};
  query.max_scanned = std::clamp<std::size_t>(search.max_scanned, 1, 50'000);
  if (!search.cursor.empty()) {
    auto numbers = DecodeNumbers(search.cursor, kLogCursor);
    if (!numbers) return numbers.error();
    if (numbers->size() != 1) return MakeError(ErrorCode::kInvalidArgument, "not a cursor");
    query.after_sequence = numbers->front();
  }
  const std::size_t limit = query.limit - 1;
  std::uint64_t last_given = 0;
  bool more = false;
  auto scanned = logs_->ScanPage(query, [&](const projections::DeviceLogRecord& record) {
    if (page.records.size() == limit) {  // one more matches: the page ends before it
      more = true;
      return false;
    }
    last_given = record.sequence;
    page.records.push_back(record);
    return true;
  });
  if (!scanned) return scanned.error();
  page.capped = scanned->capped;
  if (more) {
    page.next_cursor = EncodeNumbers(kLogCursor, std::array{last_given});
  } else if (scanned->capped) {
    page.next_cursor = EncodeNumbers(kLogCursor, std::array{scanned->last_scanned});
  }
  page.scanned = scanned->read;
  return page;
}

}  // namespace passledger::handlers
