#!/usr/bin/env node
// A stand-in for the parts of groundcrewd's admin API that issue 18 adds (console sessions with
// CSRF, admins, the dashboard, the event stream, Validate rules, the import's dry run), to look
// at the console before groundcrewd has them: it serves the built console (npm run
// build:console) and answers those routes itself; every other /v1/ request goes to a real
// groundcrewd (--upstream) with its bearer token (GROUNDCREW_TOKEN). A dev tool, not a test:
// the browser tests drive the real groundcrewd. Shapes follow docs/openapi.yaml and the contract.
//
//   GROUNDCREW_TOKEN=gcadm_... node console/dev/mock-api.mjs --upstream http://127.0.0.1:8080 [--port 0]
// prints `CONSOLE: http://127.0.0.1:PORT/`. Sign in as alice (admin), rita (reader) or tom
// (technician) with the password console-demo-password and any 6 digits but 000000 (refused, as
// a wrong code). Every 3 s the stream sends an event of the
// first device, and the dashboard's figures move with it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const here = fileURLToPath(new URL('.', import.meta.url));
const dir = resolve(arg('dir', process.env.CONSOLE_OUT_DIR ?? join(here, '..', 'dist')));
const upstream = arg('upstream', '');
const token = process.env.GROUNDCREW_TOKEN ?? '';
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const sessions = new Map(); // cookie -> session
const admins = [
  { name: 'alice', role: 'admin', createdDateTime: '2026-12-01T09:00:00Z', lastSignInDateTime: null, lockedUntilDateTime: null },
  { name: 'rita', role: 'reader', createdDateTime: '2026-12-02T09:00:00Z', lastSignInDateTime: null, lockedUntilDateTime: '2026-12-07T01:00:00Z' },
];
let sequence = 1000;
let succeeded = 12;

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
};
const error = (res, status, code, message, field, extra = {}) =>
  json(res, status, { error: { code, message, field, ...extra } });
const readBody = (req) =>
  new Promise((ok) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
  });
const cookieOf = (req) => /(?:^|; )gc_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
const secret = () => randomBytes(10).toString('hex').toUpperCase();

async function upstreamCall(method, path, body, contentType) {
  const response = await fetch(upstream + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(contentType ? { 'Content-Type': contentType } : {}) },
    body: body && body.length ? body : undefined,
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: Buffer.from(await response.arrayBuffer()) };
}
const upstreamJson = async (path) => JSON.parse((await upstreamCall('GET', path)).body.toString());

async function firstDevice() {
  return (await upstreamJson('/v1/autopilotDevices?limit=1')).value[0];
}

const streams = new Set();
setInterval(async () => {
  const device = await firstDevice().catch(() => undefined);
  if (!device) return;
  sequence += 1;
  succeeded += 1;
  const event = {
    sequence, sessionId: 'mock-session', deviceId: device.id, serialNumber: device.serialNumber, flow: 'technician',
    at: new Date().toISOString(), kind: 'itemSucceeded', detail: { phase: 'deviceSetup', id: 'mock-item', displayName: 'Contoso Runtime' },
  };
  for (const { res, deviceId } of streams) {
    if (!deviceId || deviceId === device.id) res.write(`id: ${sequence}\nevent: deployment\ndata: ${JSON.stringify(event)}\n\n`);
  }
}, 3000);

async function api(req, res, url) {
  const path = url.pathname;
  const cookie = cookieOf(req);
  const session = cookie ? sessions.get(cookie) : undefined;
  if (path === '/v1/session' && req.method === 'POST') {
    const { name, password, code } = JSON.parse((await readBody(req)).toString() || '{}');
    const role = { alice: 'admin', rita: 'reader', tom: 'technician' }[name];
    if (!role || password !== 'console-demo-password') {
      return error(res, 401, 'unauthenticated', 'the name or the password is wrong', 'password');
    }
    if (!/^\d{6}$/.test(code ?? '') || code === '000000') {
      return error(res, 401, 'unauthenticated', 'the code is wrong or expired: type the code your authenticator shows now', 'code');
    }
    const id = randomBytes(16).toString('hex');
    const now = Date.now();
    const next = { name, role, csrfToken: randomBytes(16).toString('hex'),
      idleExpiresDateTime: new Date(now + 30 * 60e3).toISOString(), expiresDateTime: new Date(now + 12 * 3600e3).toISOString() };
    sessions.set(id, next);
    return json(res, 200, next, { 'Set-Cookie': `gc_session=${id}; HttpOnly; SameSite=Strict; Path=/` });
  }
  if (!session) return error(res, 401, 'unauthenticated', 'sign in first', '');
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['x-csrf-token'] !== session.csrfToken) {
    return error(res, 403, 'permission_denied', 'the X-CSRF-Token header is missing or wrong', 'X-CSRF-Token');
  }
  if (path === '/v1/session') {
    if (req.method === 'GET') return json(res, 200, session);
    sessions.delete(cookie);
    return json(res, 204, undefined, { 'Set-Cookie': 'gc_session=; Max-Age=0; Path=/' });
  }
  if (path === '/v1/dashboard') {
    const device = await firstDevice().catch(() => undefined);
    const now = new Date().toISOString();
    return json(res, 200, {
      inProgress: device ? [{ deviceId: device.id, serialNumber: device.serialNumber, deviceName: 'CON-' + device.serialNumber, flow: 'technician', phase: 'deviceSetup', startedDateTime: now }] : [],
      failedLast24Hours: device ? [{ deviceId: device.id, serialNumber: device.serialNumber, deviceName: '', flow: 'user', finishedDateTime: now, errorMessage: 'Contoso Notes: 1603 exit code' }] : [],
      flows: { technician: { succeeded, failed: 1, successRate: succeeded / (succeeded + 1), medianDurationSeconds: 245 }, user: { succeeded: 3, failed: 1, successRate: 0.75, medianDurationSeconds: 130 } },
      waitingForUserFlow: 4, generatedDateTime: now,
    });
  }
  if (path === '/v1/deploymentEvents/stream') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': keep-alive\n\n');
    const entry = { res, deviceId: url.searchParams.get('deviceId') };
    streams.add(entry);
    req.on('close', () => streams.delete(entry));
    return;
  }
  if (path === '/v1/groups/validateRule') {
    const body = JSON.parse((await readBody(req)).toString());
    const rule = body.membershipRule ?? '';
    const open = [...rule].filter((c) => c === '(').length - [...rule].filter((c) => c === ')').length;
    if (open !== 0) {
      return error(res, 400, 'invalid_argument', `position ${rule.length + 1}: expected -and, -or or ")", found the end of the rule`, 'membershipRule', { position: rule.length + 1 });
    }
    const ids = body.deviceIds ?? body.userIds ?? [];
    return json(res, 200, { results: ids.map((id, i) => ({ id, displayName: '', matches: i % 2 === 0,
      clauses: [{ expression: rule, matches: i % 2 === 0, values: [`[ZTDId]:${id}`] }] })) });
  }
  if (path === '/v1/admins' && req.method === 'GET') return json(res, 200, { value: admins });
  if (path === '/v1/admins' && req.method === 'POST') {
    const { name, role, password } = JSON.parse((await readBody(req)).toString());
    if (!/^[a-z0-9._-]{1,64}$/.test(name ?? '')) return error(res, 400, 'invalid_argument', 'name: 1 to 64 of a-z, 0-9, ".", "_", "-"', 'name');
    if ((password ?? '').length < 12) return error(res, 400, 'invalid_argument', 'password must be at least 12 characters long', 'password');
    admins.push({ name, role, createdDateTime: new Date().toISOString(), lastSignInDateTime: null, lockedUntilDateTime: null });
    const totpSecret = secret();
    return json(res, 201, { name, role, totpSecret, otpauthUri: `otpauth://totp/Contoso:${name}?secret=${totpSecret}&issuer=Contoso` });
  }
  const admin = /^\/v1\/admins\/([^/]+)(\/mfa|\/unlock)?$/.exec(path);
  if (admin) {
    const index = admins.findIndex((a) => a.name === decodeURIComponent(admin[1]));
    if (index < 0) return error(res, 404, 'not_found', `no admin named ${admin[1]}`, 'name');
    if (admin[2] === '/mfa') {
      const totpSecret = secret();
      return json(res, 200, { name: admins[index].name, totpSecret, otpauthUri: `otpauth://totp/Contoso:${admins[index].name}?secret=${totpSecret}&issuer=Contoso` });
    }
    if (admin[2] === '/unlock') admins[index].lockedUntilDateTime = null;
    else admins.splice(index, 1);
    return json(res, 204);
  }
  if (path === '/v1/autopilotDevices/import' && url.searchParams.get('dryRun') === 'true') {
    // The real import, undone: enough to show the per-row answer (nothing stays stored).
    const answer = await upstreamCall('POST', '/v1/autopilotDevices/import', await readBody(req), 'text/csv');
    const result = JSON.parse(answer.body.toString());
    for (const row of result.rows ?? []) if (row.id) await upstreamCall('DELETE', `/v1/autopilotDevices/${row.id}`);
    return json(res, answer.status, result);
  }
  const answer = await upstreamCall(req.method, url.pathname + url.search, await readBody(req), req.headers['content-type']);
  res.writeHead(answer.status, { 'Content-Type': answer.type });
  res.end(answer.body);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (url.pathname.startsWith('/v1/')) return await api(req, res, url);
    const file = url.pathname.startsWith('/assets/') ? normalize(url.pathname).replace(/^(\.\.[/\\])+/, '') : '/index.html';
    const body = await readFile(join(dir, file)).catch(() => undefined);
    if (!body) return error(res, 404, 'not_found', `no console file ${url.pathname}`, 'path');
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'" });
    res.end(body);
  } catch (caught) {
    error(res, 500, 'internal', String(caught), '');
  }
});
server.listen(Number(arg('port', '0')), '127.0.0.1', () => console.log(`CONSOLE: http://127.0.0.1:${server.address().port}/`));
