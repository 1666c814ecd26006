#include "signer/pkpass_inspect.h"

#include <openssl/x509_vfy.h>

#include <boost/json/parse.hpp>
#include <map>
#include <set>

#include "signer/openssl_handles.h"
#include "signer/pkpass.h"

namespace passledger::signer {
namespace {

using UniqueStore = OpenSslPtr<X509_STORE, X509_STORE_free>;
void FreeStackOnly(STACK_OF(X509) * stack) { sk_X509_free(stack); }
using BorrowedX509Stack = OpenSslPtr<STACK_OF(X509), FreeStackOnly>;

const BundleFile* Find(const std::vector<BundleFile>& files, std::string_view name) {
  for (const auto& file : files) {
    if (file.path == name) return &file;
  }
  return nullptr;
}

void CheckPassJson(const BundleFile* pass_json, PkpassReport& report) {
  if (pass_json == nullptr) {
    report.problems.push_back("pass.json is missing");
    return;
  }
  report.pass_json = pass_json->bytes;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(pass_json->bytes, ec);
  if (ec || !parsed.is_object()) {
    report.problems.push_back("pass.json is not a JSON object" +
                              (ec ? ": " + ec.message() : std::string()));
  }
}

void CheckManifest(const std::vector<BundleFile>& files, const BundleFile* manifest,
                   PkpassReport& report) {
  if (manifest == nullptr) {
    report.problems.push_back("manifest.json is missing");
    return;
  }
  boost::system::error_code ec;
  auto parsed = boost::json::parse(manifest->bytes, ec);
  if (ec || !parsed.is_object()) {
    report.problems.push_back("manifest.json is not a JSON object");
    return;
  }
  const auto& listed = parsed.get_object();
  for (const auto& file : files) {
    if (file.path == "manifest.json" || file.path == "signature") continue;
    const auto* hash = listed.if_contains(file.path);
    if (hash == nullptr) {
      report.problems.push_back("manifest.json does not list " + file.path);
    } else if (!hash->is_string() || hash->get_string() != file.sha1_hex) {
      report.problems.push_back("SHA-1 of " + file.path + " does not match manifest.json");
    }
  }
  for (const auto& [name, hash] : listed) {
    if (Find(files, name) == nullptr) {
      report.problems.push_back("manifest.json lists " + std::string(name) +
                                ", which is not in the bundle");
    }
  }
}

std::string NameText(const X509_NAME* name) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// After CMS_verify (which attaches the signer certificates): who signed.
void NoteSigner(CMS_ContentInfo* cms, PkpassReport& report) {
  // A new stack of borrowed certificates: free the stack, not its elements.
  BorrowedX509Stack signers(CMS_get0_signers(cms));
  for (int i = 0; signers && i < sk_X509_num(signers.get()); ++i) {
    X509* cert = sk_X509_value(signers.get(), i);
    report.notes.push_back("signed by: " + NameText(X509_get_subject_name(cert)));
  }
}

void NoteSigningTime(CMS_ContentInfo* cms, PkpassReport& report) {
  auto* infos = CMS_get0_SignerInfos(cms);
  for (int i = 0; infos != nullptr && i < sk_CMS_SignerInfo_num(infos); ++i) {
    CMS_SignerInfo* info = sk_CMS_SignerInfo_value(infos, i);
    const int at = CMS_signed_get_attr_by_NID(info, NID_pkcs9_signingTime, -1);
    if (at < 0) {
      report.problems.push_back("the signature has no signing time");
      continue;
    }
    X509_ATTRIBUTE* attribute = CMS_signed_get_attr(info, at);
    ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attribute, 0);
    UniqueBio bio(BIO_new(BIO_s_mem()));
    if (value != nullptr && bio &&
        (value->type == V_ASN1_UTCTIME || value->type == V_ASN1_GENERALIZEDTIME) &&
        ASN1_TIME_print(bio.get(), reinterpret_cast<ASN1_TIME*>(value->value.asn1_string)) == 1) {
      char* data = nullptr;
      const long size = BIO_get_mem_data(bio.get(), &data);
      report.notes.push_back("signing time: " + std::string(data, static_cast<std::size_t>(size)));
    }
  }
}

Result<UniqueStore> LoadStore(const std::filesystem::path& ca_file) {
  UniqueStore store(X509_STORE_new());
  if (!store) return MakeError(ErrorCode::kInternal, OpenSslErrorText("X509_STORE_new"));
  if (X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "CA file " + ca_file.string() + ": " +
                                                      OpenSslErrorText("X509_STORE_load_file"));
  }
  // Apple's pass certificates are not S/MIME certificates: check the chain, not the purpose.
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  return store;
}

Result<void> CheckSignature(const BundleFile& manifest, const BundleFile& signature,
                            const std::optional<std::filesystem::path>& ca_file,
                            PkpassReport& report) {
  const auto* der = reinterpret_cast<const unsigned char*>(signature.bytes.data());
  UniqueCms cms(d2i_CMS_ContentInfo(nullptr, &der, static_cast<long>(signature.bytes.size())));
  if (!cms) {
    ERR_clear_error();
    report.problems.push_back("signature is not DER CMS");
    return {};
  }
  NoteSigningTime(cms.get(), report);
  UniqueStore store;
  if (ca_file) {
    auto loaded = LoadStore(*ca_file);
    if (!loaded) return loaded.error();
    store = std::move(*loaded);
  } else {
    report.notes.push_back("no CA file given: the certificate chain was not checked");
  }
  UniqueBio content(
      BIO_new_mem_buf(manifest.bytes.data(), static_cast<int>(manifest.bytes.size())));
  if (!content) return MakeError(ErrorCode::kInternal, OpenSslErrorText("BIO_new_mem_buf"));
  const unsigned flags = CMS_BINARY | (ca_file ? 0u : CMS_NO_SIGNER_CERT_VERIFY);
  if (CMS_verify(cms.get(), nullptr, store.get(), content.get(), nullptr, flags) != 1) {
    report.problems.push_back(OpenSslErrorText("the signature does not verify (CMS_verify)"));
    return {};
  }
  report.signature_verified = true;
  NoteSigner(cms.get(), report);
  report.chain_verified = ca_file.has_value();
  return {};
}

}  // namespace

Result<PkpassReport> InspectPkpass(std::string_view zip_bytes,
                                   const std::optional<std::filesystem::path>& ca_file) {
  auto files = ReadPkpass(zip_bytes);
  if (!files) return files.error();
  PkpassReport report;
  for (const auto& file : *files) report.files.push_back(file.path);
  CheckPassJson(Find(*files, "pass.json"), report);
  if (Find(*files, "icon.png") == nullptr) report.problems.push_back("icon.png is missing");
  const BundleFile* manifest = Find(*files, "manifest.json");
  CheckManifest(*files, manifest, report);
  const BundleFile* signature = Find(*files, "signature");
  if (signature == nullptr) {
    report.problems.push_back("signature is missing");
  } else if (manifest != nullptr) {
    if (auto checked = CheckSignature(*manifest, *signature, ca_file, report); !checked) {
      return checked.error();
    }
  }
  return report;
}

}  // namespace passledger::signer
