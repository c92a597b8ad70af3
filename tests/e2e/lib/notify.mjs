// Notification helpers for black-box tests (issue 5): a server with cheap
// passwords, no rate limit, fast queue polling and short delivery backoff;
// sending through the admin test route; polling for deliveries; and the
// keys and TLS certificate the push-provider test servers use.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request, sleep, startServer } from './harness.mjs';
import { ACCOUNTS_ENV, createAdmin, signup } from './accounts.mjs';

export const NOTIFY_ENV = {
  ...ACCOUNTS_ENV, TRAVLOC_RATE_LIMIT: '1000000', TRAVLOC_QUEUE_POLL_MS: '50',
  TRAVLOC_PUSH_RETRY_MS: '100', TRAVLOC_PUSH_TIMEOUT_MS: '1500',
  TRAVLOC_WEBPUSH_HOSTS: 'push.example.com, push.invalid, 127.0.0.1',
};

export const startNotifyServer = (opts = {}) =>
  startServer({ ...opts, env: { ...NOTIFY_ENV, ...(opts.env || {}) } });

export { createAdmin, signup, request, sleep };

// Polls fn until it returns a truthy value (the timeout only stops a hung test).
export async function waitFor(what, fn, { timeoutMs = 30000, intervalMs = 50 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// POST /v1/admin/notifications/test; throws unless 202.
export async function send(s, admin, body) {
  const r = await request(s, 'POST', '/v1/admin/notifications/test', { headers: admin.auth, body });
  if (r.status !== 202) throw new Error(`send ${r.status}: ${r.text}`);
  return r.json;
}

export async function inbox(s, user, q = '') {
  const r = await request(s, 'GET', `/v1/notifications${q}`, { headers: user.auth });
  if (r.status !== 200) throw new Error(`inbox ${r.status}: ${r.text}`);
  return r.json;
}

export async function deliveries(s, user, id) {
  const r = await request(s, 'GET', `/v1/notifications/${id}/deliveries`, { headers: user.auth });
  if (r.status !== 200) throw new Error(`deliveries ${r.status}: ${r.text}`);
  return r.json.items;
}

// Waits until every delivery of notification id is out of 'queued'.
export const settled = (s, user, id, channel) => waitFor(`deliveries of ${id}`, async () => {
  const items = (await deliveries(s, user, id)).filter((d) => !channel || d.channel === channel);
  return items.length && items.every((d) => d.state !== 'queued') ? items : null;
});

// ---- keys --------------------------------------------------------------------------

// A browser-side Web Push subscription: its ECDH key pair and auth secret.
export function browserSubscription(endpoint) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh, auth,
    json: { endpoint, expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } },
  };
}

// Keys and a self-signed certificate for 127.0.0.1 written to a temp dir;
// returns their paths and the PEM texts the test servers verify with.
export function pushFixtures() {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-push-'));
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const vapid = ec(), apns = ec();
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (k) => k.export({ type: 'pkcs8', format: 'pem' });
  const files = {
    vapid: path.join(dir, 'vapid.pem'), apns: path.join(dir, 'apns.p8'),
    fcm: path.join(dir, 'fcm.json'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'),
  };
  writeFileSync(files.vapid, pem(vapid.privateKey));
  writeFileSync(files.apns, pem(apns.privateKey));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  return {
    dir, files,
    vapidPublic: vapid.publicKey, apnsPublic: apns.publicKey, fcmPublic: rsa.publicKey,
    fcmPrivatePem: pem(rsa.privateKey),
    cert: readFileSync(files.cert), key: readFileSync(files.key),
    writeFcmCredentials(tokenUri) {
      writeFileSync(files.fcm, JSON.stringify({
        type: 'service_account', project_id: 'travloc-test', private_key_id: 'k1',
        private_key: this.fcmPrivatePem, client_email: 'push@travloc-test.iam.gserviceaccount.com',
        token_uri: tokenUri,
      }));
    },
  };
}
