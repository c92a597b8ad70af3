// Background job types of issue 5 besides NOTIFICATION_SEND: the GDPR
// export built by REPORT_GENERATION (progress over real time, download by
// its owner only) and DATA_SYNC (the trip status sweep).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './lib/harness.mjs';
import { client, connected } from './lib/realtime.mjs';
import { newTrip } from './lib/trips.mjs';
import { createAdmin, request, signup, startNotifyServer, waitFor } from './lib/notify.mjs';

let s, admin, alice, bob;
const FCM_TOKEN = 'export-token-' + 'c'.repeat(40);
before(async () => {
  s = await startNotifyServer();
  admin = await createAdmin(s);
  alice = await signup(s, { firstName: 'Alice' });
  bob = await signup(s);
});
after(async () => { await s.stop(); });

test('REPORT_GENERATION: export built in the background, progress events, owner-only download', async () => {
  const d = await request(s, 'POST', '/v1/notifications/devices', { headers: alice.auth, body: { platform: 'android', provider: 'fcm', token: FCM_TOKEN } });
  assert.equal(d.status, 201);
  const sock = client(s, alice.token);
  await connected(sock);
  const events = [];
  sock.on('job:progress', (e) => events.push(e));
  let r = await request(s, 'POST', '/v1/users/me/exports', { headers: alice.auth });
  assert.equal(r.status, 202, r.text);
  const exp = r.json;
  assert.equal(exp.state, 'pending');
  assert.equal(exp.downloadUrl, null);
  const done = await waitFor('the export', async () => {
    const g = await request(s, 'GET', `/v1/users/me/exports/${exp.id}`, { headers: alice.auth });
    return g.json.state === 'ready' ? g.json : null;
  });
  assert.equal(done.progress, 100);
  await waitFor('the last progress event', () => events.find((e) => e.progress === 100));
  sock.close();
  const mine = events.filter((e) => e.reportId === exp.id).map((e) => e.progress);
  assert.deepEqual(mine, [10, 70, 100]);
  assert.ok(events.every((e) => e.jobId === exp.jobId && e.type === 'REPORT_GENERATION'));
  // The report is ready inside the handler; the job itself is completed
  // by the worker right after (with the next claim), so wait for it.
  const job = await waitFor('the job completed', async () => {
    const j = (await request(s, 'GET', `/v1/admin/jobs/${exp.jobId}`, { headers: admin.auth })).json;
    return j.state === 'active' ? null : j;
  });
  assert.equal(job.state, 'completed');
  assert.equal(job.progress, 100);
  r = await request(s, 'GET', done.downloadUrl, { headers: alice.auth });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-disposition'), /attachment/);
  assert.equal(r.json.user.id, alice.id);
  assert.equal(r.json.user.email, alice.email);
  assert.ok(Array.isArray(r.json.notificationDevices) && Array.isArray(r.json.notifications));
  assert.equal(JSON.stringify(r.json).includes(FCM_TOKEN), false, 'push tokens are not exported');
  assert.equal(r.json.notificationDevices.length, 1);
  assert.equal(r.json.notificationDevices[0].provider, 'fcm');
  // Bob can neither see nor download Alice's export.
  assert.equal((await request(s, 'GET', `/v1/users/me/exports/${exp.id}`, { headers: bob.auth })).status, 404);
  assert.equal((await request(s, 'GET', done.downloadUrl, { headers: bob.auth })).status, 404);
  assert.equal((await request(s, 'GET', '/v1/users/me/exports/nope', { headers: bob.auth })).status, 404);
  assert.equal((await request(s, 'POST', '/v1/users/me/exports')).status, 401);
});

test('REPORT_GENERATION: one pending export per user; download waits until ready', async () => {
  // Pause the reports queue so the export stays pending.
  let r = await request(s, 'POST', '/v1/admin/queues/reports/pause', { headers: admin.auth });
  assert.equal(r.status, 200, r.text);
  const a = await request(s, 'POST', '/v1/users/me/exports', { headers: bob.auth });
  assert.equal(a.status, 202);
  const b = await request(s, 'POST', '/v1/users/me/exports', { headers: bob.auth });
  assert.equal(b.status, 200, 'the pending one is returned');
  assert.equal(b.json.id, a.json.id);
  r = await request(s, 'GET', `/v1/users/me/exports/${a.json.id}/download`, { headers: bob.auth });
  assert.equal(r.status, 409);
  await request(s, 'POST', '/v1/admin/queues/reports/resume', { headers: admin.auth });
  await waitFor('the export', async () => (await request(s, 'GET', `/v1/users/me/exports/${a.json.id}/download`, { headers: bob.auth })).status === 200);
});

test('DATA_SYNC runs the trip status sweep', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const t = await newTrip(s, alice, { startDate: today, endDate: '2099-01-01' });
  assert.equal(t.status, 'PLANNING');
  const r = await runCli(['jobs', 'enqueue', '--type', 'DATA_SYNC', '--data-dir', s.dir], s.env);
  assert.equal(r.code, 0, r.stderr);
  const id = JSON.parse(r.stdout).jobs[0].id;
  const job = await waitFor('the DATA_SYNC job', async () => {
    const j = (await request(s, 'GET', `/v1/admin/jobs/${id}`, { headers: admin.auth })).json;
    return ['completed', 'failed'].includes(j.state) ? j : null;
  });
  assert.equal(job.state, 'completed', JSON.stringify(job));
  assert.equal(typeof job.result.tripsChanged, 'number');
  const after = await request(s, 'GET', `/v1/trips/${t.id}`, { headers: alice.auth });
  assert.equal(after.json.status, 'ACTIVE');
});
