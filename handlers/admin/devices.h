// The devices and their logs, for the admin UI.
//
// Devices: every device that ever registered, in device-library-id order, a page at a time:
// how many passes it holds now, when it first registered and when its registrations last
// changed ("last seen": the web service's reads — the serials list, pass downloads — are not
// recorded, so a device's last registration or unregistration is the last we know of it). A
// device's push token is never part of the record (only whether it has one).
//
// Device logs (POST /v1/log, projections/device_log_store.h): the records of the bounded
// ring, oldest first, filtered by device, client and time, a page at a time with at most
// `max_scanned` records read per call (the ring has no index by device): a page that reaches
// it is short, `capped` is set and `next_cursor` goes on.
//
// Thread-safe; the read model and the store are borrowed and must outlive this object (the
// store may be null: no device logs on this server).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "projections/device_log_store.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct DeviceEntry {
  std::string device_id;  // the device library id
  std::int64_t passes = 0;
  std::int64_t registered_at_us = 0;  // first registration
  std::int64_t changed_at_us = 0;     // last registration or unregistration
  bool has_push_token = false;
};

struct DeviceListQuery {
  std::string cursor;      // a page's next_cursor; empty: the first page
  std::size_t limit = 50;  // 1..500
};

struct DevicePage {
  std::vector<DeviceEntry> devices;
  std::string next_cursor;  // empty: no further page
};

struct DeviceLogSearch {
  std::string device;         // exactly this device library id; empty: any
  std::string client;         // exactly this client (keyed hash of its network); empty: any
  std::int64_t since_ms = 0;  // received at or after (Unix ms)
  std::string cursor;
  std::size_t limit = 100;          // 1..1000
  std::size_t max_scanned = 5'000;  // 1..50,000
};

struct DeviceLogPage {
  std::vector<projections::DeviceLogRecord> records;  // oldest first
  std::string next_cursor;
  std::size_t scanned = 0;
  bool capped = false;
};

class DeviceList {
 public:
  DeviceList(projections::ReadModel read, const projections::DeviceLogStore* logs)
      : read_(read), logs_(logs) {}

  // kInvalidArgument for a cursor of another query.
  Result<DevicePage> Find(const DeviceListQuery& query) const;
  Result<DeviceLogPage> Logs(const DeviceLogSearch& search) const;

 private:
  const projections::ReadModel read_;
  const projections::DeviceLogStore* const logs_;
};

}  // namespace passledger::handlers
