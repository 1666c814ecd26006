// PassFactory: one pass type's template and signing identity turned into signed .pkpass
// bundles — render pass.json, list every file in manifest.json, sign the manifest, zip —
// with the bundles kept in a BundleCache keyed by (serial, content position).
//
// Immutable after construction and thread-safe: any number of threads may call Build/Get.
// The template, signer and cache are shared (the cache may serve several pass types, as
// serials are unique across them).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "signer/bundle_cache.h"
#include "signer/cms_signature.h"
#include "signer/pass_input.h"
#include "signer/pass_template.h"

namespace passledger::signer {

class PassFactory {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // REQUIRES: token_secret.size() >= kMinTokenSecretSize (signer/auth_token.h).
  PassFactory(PassTypeConfig config, std::shared_ptr<const PassTemplate> pass_template,
              CmsSigner signer, std::shared_ptr<BundleCache> cache, std::string token_secret,
              Clock clock = std::chrono::system_clock::now);
  ~PassFactory();  // wipes the token secret
  PassFactory(const PassFactory&) = delete;
  PassFactory& operator=(const PassFactory&) = delete;

  // A freshly rendered and signed bundle (signing time = the clock's now), not cached.
  // kInvalidArgument when the template does not render for this member.
  Result<std::string> Build(const MemberData& member, const PassData& pass) const;
  // The cached bundle for (serial, content position), built on a miss.
  Result<Bundle> Get(const MemberData& member, const PassData& pass) const;
  // The cached bundle only: nullopt on a miss (nothing is built).
  std::optional<Bundle> Cached(std::string_view serial, std::uint64_t content_position) const;

  // A factory for the same pass type with another look — a newly published template and the
  // configuration with its texts and colours — sharing this one's signer, token secret,
  // clock and bundle cache (the cache is keyed by serial and content position, so bundles
  // made before stay valid for the content positions they were made for).
  // REQUIRES: config.pass_type_id == this->config().pass_type_id.
  std::shared_ptr<const PassFactory> WithLook(PassTypeConfig config,
                                              std::shared_ptr<const PassTemplate> look) const;

  // The pass's authenticationToken (signer/auth_token.h).
  std::string AuthToken(std::string_view serial, std::uint64_t generation) const;

  const PassTypeConfig& config() const { return config_; }
  const PassTemplate& pass_template() const { return *template_; }
  const CmsSigner& signer() const { return signer_; }
  const BundleCache& cache() const { return *cache_; }

 private:
  // Constant after construction.
  const PassTypeConfig config_;
  const std::shared_ptr<const PassTemplate> template_;
  const CmsSigner signer_;
  const std::shared_ptr<BundleCache> cache_;
  std::string token_secret_;  // not const only so that the destructor can wipe it
  const Clock clock_;
};

}  // namespace passledger::signer
