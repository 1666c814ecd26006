#include "signer/pass_factory.h"

#include <openssl/crypto.h>

#include <vector>

#include "signer/auth_token.h"
#include "signer/pkpass.h"

namespace passledger::signer {

PassFactory::PassFactory(PassTypeConfig config, std::shared_ptr<const PassTemplate> pass_template,
                         CmsSigner signer, std::shared_ptr<BundleCache> cache,
                         std::string token_secret, Clock clock)
    : config_(std::move(config)),
      template_(std::move(pass_template)),
      signer_(std::move(signer)),
      cache_(std::move(cache)),
      token_secret_(std::move(token_secret)),
      clock_(std::move(clock)) {}

PassFactory::~PassFactory() { OPENSSL_cleanse(token_secret_.data(), token_secret_.size()); }

std::shared_ptr<const PassFactory> PassFactory::WithLook(
    PassTypeConfig config, std::shared_ptr<const PassTemplate> look) const {
  return std::make_shared<const PassFactory>(std::move(config), std::move(look), signer_, cache_,
                                             token_secret_, clock_);
}

std::string PassFactory::AuthToken(std::string_view serial, std::uint64_t generation) const {
  return PassAuthToken(token_secret_, serial, generation);
}

Result<std::string> PassFactory::Build(const MemberData& member, const PassData& pass) const {
  PassInput input{&config_, &member, &pass, AuthToken(pass.serial, pass.token_generation)};
  auto pass_json = template_->RenderPassJson(input);
  if (!pass_json) return pass_json.error();
  BundleFile rendered{"pass.json", std::move(*pass_json), {}};
  rendered.sha1_hex = Sha1Hex(rendered.bytes);

  // pass.json first, then the template's files in path order, then manifest and signature.
  std::vector<const BundleFile*> files = {&rendered};
  for (const BundleFile& file : template_->files()) files.push_back(&file);
  BundleFile manifest{"manifest.json", ManifestJson(files), {}};
  auto signature = signer_.Sign(manifest.bytes, clock_());
  if (!signature) return signature.error();
  BundleFile signature_file{"signature", std::move(*signature), {}};
  files.push_back(&manifest);
  files.push_back(&signature_file);
  return ZipBundle(files, pass.last_modified_s);
}

std::optional<Bundle> PassFactory::Cached(std::string_view serial,
                                          std::uint64_t content_position) const {
  return cache_->Find(serial, content_position);
}

Result<Bundle> PassFactory::Get(const MemberData& member, const PassData& pass) const {
  return cache_->GetOrMake(pass.serial, pass.content_position, [&] { return Build(member, pass); });
}

}  // namespace passledger::signer
