// PassBundles: the latest signed .pkpass of a pass, read from the projections and made by its
// pass type's PassFactory (cached there by serial and content position). The query behind
// `passledger pass render` and the web service's "latest version of a pass".
//
// Thread-safe; the ReadModel is borrowed, the factories are shared and immutable. A pass
// type's factory can be replaced while requests run (a published template,
// handlers/templates/template_service.h): a call takes the factory it uses once, under
// the mutex, and keeps it alive for the call; the next call sees the new one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/mutex.h"
#include "projections/read_model.h"
#include "signer/pass_factory.h"

namespace passledger::handlers {

struct LatestPass {
  signer::Bundle bundle;
  std::string serial;
  std::string pass_type_id;
  std::uint64_t content_position = 0;
  std::int64_t last_modified_s = 0;  // Unix seconds of the last content change
};

class PassBundles {
 public:
  // `read` is borrowed and must outlive this object.
  PassBundles(const projections::ReadModel* read,
              std::vector<std::shared_ptr<const signer::PassFactory>> factories);

  // kNotFound for an unknown serial or a pass type with no factory configured. A forgotten
  // member's pass is made void and without personal data (handlers/passes/pass_records.h).
  Result<LatestPass> ForSerial(std::string_view serial) const;
  // The same for a pass record already read from the projections (the member's record is
  // read only when the bundle is not cached).
  Result<LatestPass> ForPass(const projections::PassView& pass) const;
  // The cached bundle of a pass record, nullopt when it would have to be made: reads
  // nothing, signs nothing (for an I/O thread). The same errors as ForPass otherwise.
  Result<std::optional<LatestPass>> Cached(const projections::PassView& pass) const;
  // Every pass of a member (voided ones included), in cardholder order.
  Result<std::vector<LatestPass>> ForMember(std::string_view membership_id) const;

  // nullptr when the pass type is not configured. Hold the pointer for as long as the
  // factory's config or template is used: Replace may drop the old one meanwhile.
  std::shared_ptr<const signer::PassFactory> Factory(std::string_view pass_type_id) const;
  // Replaces the factory of its pass type (factory->config().pass_type_id): every call after
  // this one uses it. kNotFound for a pass type this object was not made with.
  Result<void> Replace(std::shared_ptr<const signer::PassFactory> factory);

 private:
  Result<LatestPass> Make(const projections::MemberView& member,
                          const projections::PassView& pass) const;
  Result<projections::MemberView> MemberOf(const projections::PassView& pass) const;

  const projections::ReadModel* read_;  // constant after construction
  mutable Mutex mutex_;
  // The keys are fixed at construction; only the values change (Replace).
  std::map<std::string, std::shared_ptr<const signer::PassFactory>, std::less<>> factories_
      PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::handlers
