// `passledger bench sign`: full membership passes built and signed per second (render
// pass.json from the default template, manifest with the images, CMS signature, zip), on one
// thread and on every core, against the raw RSA-2048 private-key operations per second of the
// same key measured in the same run (the physical limit: one RSA operation per pass).
// Uncached: every pass is made from scratch. Development certificates in a scratch directory.
#include <fmt/core.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/crypto.h"
#include "signer/auth_token.h"
#include "signer/dev_certs.h"
#include "signer/openssl_handles.h"
#include "signer/pass_factory.h"
#include "signer/pass_template.h"
#include "tools/passledger/bench_support.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

// The machine's speed drifts by tens of percent within seconds, so a figure and its reference
// are measured in alternating slices of this length and summed.
constexpr double kSliceSeconds = 0.25;

struct SignArgs {
  int runs = 5;
  double seconds = 2.0;
  unsigned threads = 0;  // 0 = every core
  std::string dir;
};

// Calls `work(thread, i)` on `threads` threads for about `seconds`; returns calls per second.
template <class Work>
Result<double> Rate(unsigned threads, double seconds, Work work) {
  std::atomic<std::uint64_t> done = 0;
  std::atomic<bool> stop = false;
  std::atomic<bool> failed = false;
  std::vector<std::thread> pool;
  const auto start = BenchClock::now();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (!work(t, i)) {
          failed = true;
          break;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : pool) thread.join();
  if (failed) return MakeError(ErrorCode::kInternal, "a benchmark operation failed");
  return static_cast<double>(done.load()) / SecondsSince(start);
}

// Rates of `a` and `b`, each run for `seconds` in total in alternating slices.
template <class A, class B>
Result<std::pair<double, double>> Interleaved(unsigned threads, double seconds, A a, B b) {
  double a_calls = 0, b_calls = 0;
  const int slices = std::max(1, static_cast<int>(seconds / kSliceSeconds));
  for (int i = 0; i < slices; ++i) {
    auto ra = Rate(threads, seconds / slices, a);
    auto rb = Rate(threads, seconds / slices, b);
    if (!ra || !rb) return MakeError(ErrorCode::kInternal, "a benchmark operation failed");
    a_calls += *ra;
    b_calls += *rb;
  }
  return std::pair{a_calls / slices, b_calls / slices};
}

// One private-key operation over a SHA-256 digest, with a key copy per thread (as
// `openssl speed -multi` runs separate processes).
class RawRsa {
 public:
  static Result<RawRsa> Create(EVP_PKEY* key, unsigned threads) {
    RawRsa raw;
    for (unsigned t = 0; t < threads; ++t) {
      UniquePkey copy(EVP_PKEY_dup(key));
      if (!copy) return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_dup"));
      raw.keys_.push_back(std::move(copy));
    }
    return raw;
  }
  bool Sign(unsigned thread) const {
    unsigned char digest[SHA256_DIGEST_LENGTH] = {1, 2, 3};
    unsigned char out[512];
    std::size_t out_len = sizeof out;
    signer::UniquePkeyCtx ctx(EVP_PKEY_CTX_new(keys_[thread].get(), nullptr));
    return ctx && EVP_PKEY_sign_init(ctx.get()) == 1 &&
           EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
           EVP_PKEY_sign(ctx.get(), out, &out_len, digest, sizeof digest) == 1;
  }

 private:
  std::vector<UniquePkey> keys_;
};

signer::MemberData BenchMember() {
  signer::MemberData member;
  member.membership_id = "8-10000001";
  member.level = "Family Plus";
  member.expires = "2027-12-31";
  member.status = "Active";
  member.name = "Avery Quill";
  member.first_name = "Avery";
  member.last_name = "Quill";
  member.email = "avery.quill@example.org";
  member.cardholders = {"Avery Quill", "Jordan Quill"};
  member.add_ons = {{"Parking pass", "1"}, {"Guest passes", "10"}};
  return member;
}

Result<std::shared_ptr<const signer::PassFactory>> MakeFactory(const std::filesystem::path& dir) {
  signer::PassTypeConfig config;
  auto certs = signer::MakeDevCertificates(dir, config.pass_type_id, config.team_id);
  if (!certs) return certs.error();
  signer::CertificateConfig cert_config;
  cert_config.certificate = certs->certificate;
  cert_config.key = certs->key;
  cert_config.wwdr_certificate = certs->wwdr;
  cert_config.pass_type_id = config.pass_type_id;
  cert_config.team_id = config.team_id;
  auto identity = signer::LoadSigningIdentity(cert_config, std::chrono::system_clock::now());
  if (!identity) return identity.error();
  auto signer = signer::CmsSigner::Create(*identity);
  if (!signer) return signer.error();
  auto pass_template = signer::PassTemplate::Load(signer::DefaultTemplateDir());
  if (!pass_template) return pass_template.error();
  const passledger::Key secret = passledger::RandomKey();
  return std::make_shared<const signer::PassFactory>(
      config, std::make_shared<const signer::PassTemplate>(std::move(*pass_template)),
      std::move(*signer), std::make_shared<signer::BundleCache>(0),
      std::string(secret.begin(), secret.end()));
}

// Builds one pass with a serial unique to (thread, i).
bool BuildOne(const signer::PassFactory& factory, const signer::MemberData& member, unsigned thread,
              std::uint64_t i) {
  signer::PassData pass;
  pass.serial = fmt::format("BENCH{:02}{:012}", thread, i);
  pass.cardholder = "Avery Quill";
  pass.content_position = i + 1;
  pass.last_modified_s = 1'800'000'000;
  return factory.Build(member, pass).has_value();
}

void Run(const SignArgs& args, CommandContext& ctx) {
  const unsigned cores =
      args.threads ? args.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto scratch = BenchScratchDir(args.dir, "sign");
  auto factory = MakeFactory(scratch);
  if (!factory) {
    ctx.exit_status = ReportError("bench sign", factory.error());
    return;
  }
  auto raw = RawRsa::Create((*factory)->signer().identity()->key(), cores);
  if (!raw) {
    ctx.exit_status = ReportError("bench sign", raw.error());
    return;
  }
  const signer::MemberData member = BenchMember();
  auto sample =
      (*factory)->Build(member, signer::PassData{.serial = "SAMPLE", .cardholder = "Avery Quill"});
  if (!sample) {
    ctx.exit_status = ReportError("bench sign", sample.error());
    return;
  }
  fmt::print("bench sign: {}-byte pass ({} template files), {} run(s) of {:.1f} s, {} core(s)\n",
             sample->size(), (*factory)->pass_template().files().size(), args.runs, args.seconds,
             cores);
  std::vector<double> raw1, pass1, rawn, passn;
  auto build = [&](unsigned t, std::uint64_t i) { return BuildOne(**factory, member, t, i); };
  auto rsa = [&](unsigned t, std::uint64_t) { return raw->Sign(t); };
  for (int run = 0; run < args.runs; ++run) {
    auto one = Interleaved(1, args.seconds, rsa, build);
    auto many = Interleaved(cores, args.seconds, rsa, build);
    if (!one || !many) {
      ctx.exit_status =
          ReportError("bench sign", MakeError(ErrorCode::kInternal, "an operation failed"));
      return;
    }
    const auto [r1, p1] = *one;
    const auto [rn, pn] = *many;
    raw1.push_back(r1);
    pass1.push_back(p1);
    rawn.push_back(rn);
    passn.push_back(pn);
    fmt::print(
        "  run {}: 1 thread {:.0f} passes/s vs raw RSA {:.0f}/s ({:.0f}%); {} threads {:.0f} "
        "passes/s vs raw {:.0f}/s ({:.0f}%), {:.2f}x one thread\n",
        run + 1, p1, r1, 100 * p1 / r1, cores, pn, rn, 100 * pn / rn, pn / p1);
  }
  const double p1 = Median(pass1), r1 = Median(raw1), pn = Median(passn), rn = Median(rawn);
  fmt::print(
      "sign: 1 thread {:.0f} passes/s (median), raw RSA-2048 {:.0f} signs/s, ratio {:.0f}% "
      "(goal >= 80%)\n",
      p1, r1, 100 * p1 / r1);
  fmt::print(
      "sign: {} threads {:.0f} passes/s (median), raw {:.0f} signs/s, ratio {:.0f}%, "
      "{:.2f}x one thread (goal >= 1.8x on 2)\n",
      cores, pn, rn, 100 * pn / rn, pn / p1);
  if (args.dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
  }
}

}  // namespace

void AddBenchSignCommand(CLI::App& bench, CommandContext& ctx) {
  auto args = std::make_shared<SignArgs>();
  CLI::App* cmd = bench.add_subcommand("sign", "Signed passes/s vs raw RSA-2048 signs/s");
  cmd->add_option("--runs", args->runs, "Runs (the median is reported)")->default_val(5);
  cmd->add_option("--seconds", args->seconds, "Seconds per measurement")->default_val(2.0);
  cmd->add_option("--threads", args->threads, "Threads for the parallel figure (0 = cores)");
  cmd->add_option("--dir", args->dir, "Scratch directory for the certificates (kept)");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
