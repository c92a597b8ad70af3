// Messaging helpers for black-box tests (issue 8): a server, users,
// conversations, sends, and sockets of the official socket.io-client
// authenticated with the users' own access tokens.
import { request } from './harness.mjs';
import { startTripsServer, users } from './trips.mjs';
import { client, connected, ack } from './realtime.mjs';

export { request, users };

export const startMessagesServer = (opts = {}) => startTripsServer(opts);

export const convPath = (id, rest = '') => `/v1/messages/conversations/${id}${rest}`;

// Creates a conversation; throws unless 200/201. Returns its JSON.
export async function newConv(s, user, body) {
  const r = await request(s, 'POST', '/v1/messages/conversations', { headers: user.auth, body });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create conversation ${r.status}: ${r.text}`);
  return r.json;
}

export const direct = (s, a, b) => newConv(s, a, { type: 'direct', userId: b.id });
export const group = (s, a, members, name = 'Hikers') =>
  newConv(s, a, { type: 'group', name, memberIds: members.map((u) => u.id) });

// Sends a message over HTTP; throws unless 200/201. Returns the message.
export async function send(s, user, convId, body) {
  const r = await request(s, 'POST', convPath(convId), { headers: user.auth,
    body: typeof body === 'string' ? { text: body } : body });
  if (r.status !== 201 && r.status !== 200) throw new Error(`send ${r.status}: ${r.text}`);
  return r.json;
}

// A connected socket for `user` (its own Engine.IO connection).
export async function sock(s, user, opts = {}) {
  const c = client(s, user.token, opts);
  await connected(c);
  return c;
}

// Joins room "conversation:<id>"; resolves with the ack object.
export async function join(socket, convId) {
  const [res] = await ack(socket, 'room:join', { room: `conversation:${convId}` });
  return res;
}

// Smallest valid images of each kind (magic bytes the server sniffs).
export const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 1)]);
export const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(64, 2)]);
