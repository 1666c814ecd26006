// The real peers of the staff app's browser tests and benchmark (tests/web/web_ui_test.mjs,
// tools/bench/web.mjs), all on 127.0.0.1 and all started here: the APNs stand-in
// (tests/testing/apns_standin.mjs, Node's http2), the SMTP server (tests/testing/smtp_server.py
// on Debian's python3-aiosmtpd) and `passledger serve` itself. Everything started is killed by
// stopAll(), also when a test fails.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const children = [];

export function fail(message) {
  throw new Error(message);
}

export async function waitFor(predicate, what, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function start(command, args, logFile, options = {}) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['pipe', log, log], ...options });
  children.push(child);
  return child;
}

export function stopAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

// Runs `passledger --data DATA --config CONFIG ARGS…`; throws with its output on failure.
export function passledger(env, args, input) {
  const result = spawnSync(env.bin, ['--data', env.data, '--config', env.config, ...args],
    { input, encoding: 'utf8' });
  if (result.status !== 0) {
    fail(`passledger ${args.join(' ')}: exit ${result.status}: ${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

export async function startApns(src, work) {
  const certs = path.join(work, 'certs');
  const made = spawnSync(path.join(src, 'tests/testing/make_apns_test_certs.sh'), [certs]);
  if (made.status !== 0) fail(`make_apns_test_certs.sh: ${made.stderr}`);
  const ready = path.join(work, 'apns.json');
  start('node', [path.join(src, 'tests/testing/apns_standin.mjs'), '--cert', path.join(certs, 'server.pem'),
    '--key', path.join(certs, 'server.key'), '--jwt-public-key',
    path.join(certs, 'AuthKey_TESTKEY123.pub.pem'), '--ready-file', ready], path.join(work, 'apns.log'));
  await waitFor(() => fs.existsSync(ready) && fs.statSync(ready).size > 0, 'the APNs stand-in', 20);
  const ports = JSON.parse(fs.readFileSync(ready, 'utf8'));
  return {
    certs,
    port: ports.port,
    // Every request the stand-in received: {path (/3/device/<token>), headers, …}.
    async requests() {
      const out = [];
      let since = 0;
      for (;;) {
        const response = await fetch(`http://127.0.0.1:${ports.controlPort}/requests?since=${since}&limit=100000`);
        const page = await response.json();
        if (!page.requests.length) return out;
        out.push(...page.requests);
        since = page.next;
      }
    },
  };
}

export async function startSmtp(work) {
  const dir = path.join(work, 'smtp');
  fs.mkdirSync(dir, { recursive: true });
  const ready = path.join(work, 'smtp.port');
  start('/usr/bin/python3', [path.join(path.dirname(new URL(import.meta.url).pathname),
    '../testing/smtp_server.py'), '--dir', dir, '--ready-file', ready], path.join(work, 'smtp.log'));
  await waitFor(() => fs.existsSync(ready) && fs.readFileSync(ready, 'utf8').trim(), 'the SMTP server', 20);
  return {
    port: Number(fs.readFileSync(ready, 'utf8').trim()),
    // The messages received so far: the JSON the server writes beside each .eml.
    messages() {
      return fs.readdirSync(dir).filter((f) => /^msg-\d+\.json$/.test(f))
        .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    },
  };
}

// Writes the server's configuration: push to the stand-in (token auth), mail to the SMTP server.
export function writeConfig(work, { port, apns, smtp }) {
  const config = path.join(work, 'passledger.toml');
  const lines = [`[server]`, `listen = "127.0.0.1:${port}"`, ``];
  if (apns) {
    lines.push('[apns]', 'auth = "token"', `url = "https://127.0.0.1:${apns.port}"`,
      `ca_file = "${path.join(apns.certs, 'ca.pem')}"`,
      `key_file = "${path.join(apns.certs, 'AuthKey_TESTKEY123.p8')}"`,
      'key_id = "TESTKEY123"', 'team_id = "TEAMID1234"', 'coalesce_ms = 100', 'timeout_seconds = 5', '');
  }
  if (smtp) {
    lines.push('[mail]', 'from = "members@garden.example"', `smtp_url = "smtp://127.0.0.1:${smtp.port}"`,
      'tls = "none"', 'retry_minutes = "0"', 'max_attempts = 3', '');
  }
  fs.writeFileSync(config, lines.join('\n'));
  return config;
}

export async function startServer(env, extraArgs = []) {
  const server = start(env.bin, ['--data', env.data, '--config', env.config, 'serve', ...extraArgs],
    path.join(env.work, 'server.log'));
  await waitFor(async () => {
    if (server.exitCode !== null) fail(`the server exited (${server.exitCode}): see ${env.work}/server.log`);
    try { return (await fetch(`${env.base}/healthz`)).ok; } catch { return false; }
  }, 'the server', 120);
  return server;
}

// The pass.json of a pass, from its signed file as the admin API gives it.
export async function passJsonOf(env, cookie, serial) {
  const response = await fetch(`${env.base}/admin/api/passes/${encodeURIComponent(serial)}/pkpass`,
    { headers: { Cookie: cookie } });
  if (!response.ok) fail(`pkpass ${serial}: ${response.status}`);
  const file = path.join(env.work, `${serial}.pkpass`);
  fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  const unzip = spawnSync('unzip', ['-p', file, 'pass.json'], { encoding: 'utf8' });
  if (unzip.status !== 0) fail(`unzip ${file}: ${unzip.stderr}`);
  return JSON.parse(unzip.stdout);
}

// Signs in over the API (not the UI): {cookie, csrf}.
export async function apiSignIn(env, username, password) {
  const response = await fetch(`${env.base}/admin/api/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) fail(`sign in ${username}: ${response.status}`);
  const cookie = response.headers.get('set-cookie').split(';')[0];
  return { cookie, csrf: (await response.json()).csrfToken, id: cookie.split('=')[1] };
}
