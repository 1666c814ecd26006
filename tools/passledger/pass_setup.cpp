#include "tools/passledger/pass_setup.h"

#include <openssl/crypto.h>

#include <chrono>

#include "signer/dev_certs.h"
#include "signer/pass_template.h"
#include "signer/time_zone.h"

namespace passledger::tools {
namespace {

constexpr std::string_view kDevWarning =
    "using development certificates: passes verify with OpenSSL but will NOT install on an "
    "iPhone (configure [certificates], see docs/CERTIFICATES.md)";

// The configured certificates, or development ones made (once) in <data>/dev-certs.
Result<signer::CertificateConfig> Certificates(const Config& config,
                                               const std::filesystem::path& data_dir,
                                               PassSetup& setup) {
  if (!config.uses_dev_certificates()) return config.certificates;
  auto dev = signer::EnsureDevCertificates(data_dir / "dev-certs", config.pass.pass_type_id,
                                           config.pass.team_id);
  if (!dev) return dev.error();
  setup.warnings.emplace_back(kDevWarning);
  signer::CertificateConfig out;
  out.certificate = dev->certificate;
  out.key = dev->key;
  out.wwdr_certificate = dev->wwdr;
  return out;
}

}  // namespace

Result<PassSetup> SetUpPasses(const Config& config, const std::filesystem::path& data_dir,
                              const events::EventLog& log) {
  PassSetup setup;
  auto certificates = Certificates(config, data_dir, setup);
  if (!certificates) return certificates.error();
  certificates->pass_type_id = config.pass.pass_type_id;
  certificates->team_id = config.pass.team_id;
  auto identity = signer::LoadSigningIdentity(*certificates, std::chrono::system_clock::now());
  if (!identity) return identity.error();
  for (const auto& warning : (*identity)->warnings()) setup.warnings.push_back(warning);
  setup.identity = *identity;
  auto signer = signer::CmsSigner::Create(*identity);
  if (!signer) return signer.error();

  if (auto zone = signer::TimeZone::LoadCached(config.pass.time_zone); !zone) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "organization.time_zone: " + zone.error().message);
  }
  const auto folder =
      config.template_dir.empty() ? signer::DefaultTemplateDir() : config.template_dir;
  auto pass_template = signer::PassTemplate::Load(folder);
  if (!pass_template) return pass_template.error();
  if (config.pass.web_service_url.starts_with("http://")) {
    setup.warnings.push_back(
        "pass.web_service_url is http: Wallet only talks to https, so "
        "installed passes will not update");
  }

  auto secret = log.DeriveKey(kTokenSecretPurpose);
  if (!secret) return secret.error();
  setup.factory = std::make_shared<const signer::PassFactory>(
      config.pass, std::make_shared<const signer::PassTemplate>(std::move(*pass_template)),
      std::move(*signer), std::make_shared<signer::BundleCache>(config.bundle_cache_bytes),
      std::string(secret->begin(), secret->end()));
  OPENSSL_cleanse(secret->data(), secret->size());
  return setup;
}

}  // namespace passledger::tools
