// A stand-in for the three push services, for black-box tests: one
// HTTP/2 TLS server (HTTP/1.1 allowed) with a self-signed certificate that
// checks every request exactly and records what it accepted.
//
//   POST /webpush/:id          Web Push (RFC 8291 body decrypted with the
//                              subscription's private key, VAPID RFC 8292)
//   POST /token                OAuth2 token endpoint (RS256 assertion)
//   POST /v1/projects/travloc-test/messages:send    FCM HTTP v1
//   POST /3/device/:token      APNs (HTTP/2 only, ES256 provider token)
//
// script(key, [status | 'timeout', ...]) makes the next requests for key
// (the Web Push id, FCM token or APNs token) answer those statuses in turn;
// afterwards they succeed. A refused check answers 400/401/403 with the
// reason, which the test then sees as a failed delivery.
import http2 from 'node:http2';
import { createDecipheriv, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';

const b64u = (b) => Buffer.from(b).toString('base64url');

function jwtParts(jwt) {
  const [h, c, s] = (jwt || '').split('.');
  if (!s) throw new Error('not a compact JWS');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), claims: JSON.parse(Buffer.from(c, 'base64url')),
    input: Buffer.from(`${h}.${c}`), sig: Buffer.from(s, 'base64url') };
}

export function verifyJwt(jwt, key, alg) {
  const p = jwtParts(jwt);
  if (p.header.alg !== alg) throw new Error(`alg ${p.header.alg}, expected ${alg}`);
  const ok = alg === 'ES256'
    ? p.sig.length === 64 && verify('sha256', p.input, { key, dsaEncoding: 'ieee-p1363' }, p.sig)
    : verify('sha256', p.input, key, p.sig);
  if (!ok) throw new Error('bad JWT signature');
  return p;
}

// RFC 8291 / RFC 8188 decryption of one aes128gcm record.
export function decryptWebPush(body, ecdh, auth) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const asPub = body.subarray(21, 21 + idlen);
  const ct = body.subarray(21 + idlen);
  if (idlen !== 65 || rs < 18 || ct.length > rs) throw new Error('bad aes128gcm header');
  const uaPub = ecdh.getPublicKey();
  const secret = ecdh.computeSecret(asPub);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPub, asPub]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(ct.subarray(ct.length - 16));
  const plain = Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (plain[end] !== 2) throw new Error('last record delimiter missing');
  return JSON.parse(plain.subarray(0, end).toString('utf8'));
}

export async function startPushServer(fx, { apnsKeyId = 'KEY123', teamId = 'TEAM42', topic = 'app.travloc' } = {}) {
  const state = {
    subs: new Map(),        // webpush id -> { ecdh, auth }
    scripts: new Map(),     // key -> [status | 'timeout']
    requests: [],           // every request: { kind, key, id, status }
    accepted: [],           // accepted messages: { kind, key, id, payload }
    tokens: new Set(), exchanges: 0, held: [],
  };
  const server = http2.createSecureServer({ key: fx.key, cert: fx.cert, allowHTTP1: true });
  let origin;
  const answer = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body || {}));
  };
  const next = (key) => {
    const q = state.scripts.get(key);
    return q && q.length ? q.shift() : 200;
  };
  const handle = (req, body, res) => {
    const url = new URL(req.url, origin);
    const h = req.headers;
    let m;
    if (req.method === 'POST' && url.pathname === '/token') {
      const form = new URLSearchParams(body.toString());
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return answer(res, 400, { error: 'unsupported_grant_type' });
      const p = verifyJwt(form.get('assertion'), fx.fcmPublic, 'RS256');
      const c = p.claims;
      if (c.iss !== 'push@travloc-test.iam.gserviceaccount.com' || c.aud !== `${origin}/token` ||
          c.scope !== 'https://www.googleapis.com/auth/firebase.messaging' || !(c.exp > Date.now() / 1000) || !(c.iat <= c.exp)) {
        return answer(res, 400, { error: 'invalid_grant', claims: c });
      }
      const t = 'ya29.' + randomBytes(16).toString('hex');
      state.tokens.add(t);
      state.exchanges++;
      return answer(res, 200, { access_token: t, expires_in: 3599, token_type: 'Bearer' });
    }
    if (req.method === 'POST' && (m = /^\/webpush\/([\w-]+)$/.exec(url.pathname))) {
      const key = m[1];
      const sub = state.subs.get(key);
      const vapid = /^vapid t=([^,]+), k=([\w-]+)$/.exec(h.authorization || '');
      if (!sub) return answer(res, 404, { reason: 'unknown subscription' });
      if (!vapid) return answer(res, 401, { reason: 'no VAPID authorization' });
      if (h['content-encoding'] !== 'aes128gcm' || !/^\d+$/.test(h.ttl || '') || !h.topic || h.topic.length > 32 ||
          !['normal', 'high'].includes(h.urgency)) {
        return answer(res, 400, { reason: 'headers' });
      }
      const k = Buffer.from(vapid[2], 'base64url');
      const expectK = fx.vapidPublic.export({ format: 'jwk' });
      const raw = Buffer.concat([Buffer.from([4]), Buffer.from(expectK.x, 'base64url'), Buffer.from(expectK.y, 'base64url')]);
      if (!k.equals(raw)) return answer(res, 403, { reason: 'k is not the VAPID public key' });
      const keyFromK = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(k.subarray(1, 33)), y: b64u(k.subarray(33)) }, format: 'jwk' });
      const p = verifyJwt(vapid[1], keyFromK, 'ES256');
      if (p.claims.aud !== origin || !(p.claims.exp > Date.now() / 1000) || p.claims.exp > Date.now() / 1000 + 86400 ||
          p.claims.sub !== 'mailto:ops@travloc.test') {
        return answer(res, 403, { reason: 'VAPID claims', claims: p.claims });
      }
      const payload = decryptWebPush(body, sub.ecdh, sub.auth);
      return finish(res, 'webpush', key, h.topic, payload);
    }
    if (req.method === 'POST' && url.pathname === '/v1/projects/travloc-test/messages:send') {
      const t = /^Bearer (.+)$/.exec(h.authorization || '');
      if (!t || !state.tokens.has(t[1])) return answer(res, 401, { error: { status: 'UNAUTHENTICATED' } });
      const msg = JSON.parse(body.toString()).message;
      if (!msg || !msg.token || !msg.notification?.title || !msg.data?.notificationId || !msg.android?.collapse_key) {
        return answer(res, 400, { error: { status: 'INVALID_ARGUMENT' } });
      }
      if (Object.values(msg.data).some((v) => typeof v !== 'string')) return answer(res, 400, { error: { status: 'INVALID_ARGUMENT', message: 'data values must be strings' } });
      return finish(res, 'fcm', msg.token, msg.android.collapse_key, msg);
    }
    if (req.method === 'POST' && (m = /^\/3\/device\/([0-9a-f]+)$/.exec(url.pathname))) {
      if (req.httpVersion !== '2.0') return answer(res, 505, { reason: 'HTTP/2 required' });
      const a = /^bearer (.+)$/.exec(h.authorization || '');
      if (!a) return answer(res, 403, { reason: 'MissingProviderToken' });
      const p = verifyJwt(a[1], fx.apnsPublic, 'ES256');
      if (p.header.kid !== apnsKeyId || p.claims.iss !== teamId || !(p.claims.iat <= Date.now() / 1000 + 60)) {
        return answer(res, 403, { reason: 'InvalidProviderToken' });
      }
      if (h['apns-topic'] !== topic) return answer(res, 400, { reason: 'BadTopic' });
      if (h['apns-push-type'] !== 'alert' || !/^[0-9a-f-]{36}$/.test(h['apns-id'] || '')) return answer(res, 400, { reason: 'BadMessageId' });
      const msg = JSON.parse(body.toString());
      if (!msg.aps?.alert?.title) return answer(res, 400, { reason: 'PayloadEmpty' });
      return finish(res, 'apns', m[1], h['apns-id'], msg, { 'apns-id': h['apns-id'] });
    }
    return answer(res, 404, { reason: 'no route' });
  };
  const finish = (res, kind, key, id, payload, headers = {}) => {
    const st = next(key);
    state.requests.push({ kind, key, id, status: st });
    if (st === 'timeout') { state.held.push(res); return undefined; }
    if (st >= 200 && st < 300) state.accepted.push({ kind, key, id, payload });
    res.writeHead(st, { 'content-type': 'application/json', ...headers });
    res.end(st >= 300 ? JSON.stringify({ reason: st === 410 ? 'Unregistered' : 'scripted' }) : '');
    return undefined;
  };
  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try { handle(req, Buffer.concat(chunks), res); } catch (e) { answer(res, 400, { reason: String(e.message || e) }); }
    });
  });
  const sessions = new Set();
  server.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  const sockets = new Set();
  server.on('secureConnection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${server.address().port}`;
  return {
    origin, state,
    script(key, statuses) { state.scripts.set(key, [...statuses]); },
    // A subscription the browser would make for endpoint /webpush/<id>.
    addSubscription(id, ecdh, auth) { state.subs.set(id, { ecdh, auth }); },
    requestsFor: (key) => state.requests.filter((r) => r.key === key),
    acceptedFor: (key) => state.accepted.filter((r) => r.key === key),
    async close() {
      for (const r of state.held) r.stream?.destroy?.();
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
