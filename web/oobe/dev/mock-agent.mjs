#!/usr/bin/env node
// A stand-in for `groundcrew-agent oobe --ui web`, to look at the page without the agent: it
// serves the built page (npm run build:oobe) and the same /events + /press protocol
// (OOBE-WEB-PROTOCOL) over a scripted run. A dev tool, not a test: the browser tests drive the
// real agent. Screen texts follow src/device/flow/screen.cpp.
//
//   node oobe/dev/mock-agent.mjs [--port 0] [--dir oobe/dist] [--step-ms 900] [--start SCREEN]
// (--start: one of the screens in GALLERY below, to look at it alone) prints `OOBE: http://127.0.0.1:PORT/?token=TOKEN`.
//
// Technician: welcome, w x5, optionsMenu, landing, Provision, esp (runs by itself),
// provisioned, Reseal, resealed (end). User: welcome, Next, signIn (password "wrong" is
// refused), mfaRegistration (any 6 digits), privacy, esp, espError (a blocking app fails on
// its first attempt), Try again or Continue anyway, desktop (end).
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
const dir = resolve(arg('dir', process.env.OOBE_OUT_DIR ?? join(here, '..', 'dist')));
const port = Number(arg('port', '0'));
const stepMs = Number(arg('step-ms', '900'));
const token = randomBytes(32).toString('base64url');

// ---- screens (texts as in screen.cpp) ------------------------------------------------------
const ORG = 'Contoso';
const USER = 'megan.bowen@contoso.com';
const enter = (action, label) => ({ action, label, key: 'Enter' });
const keyed = (action, label, key) => ({ action, label, key });

const welcome = () => ({
  screen: 'welcome',
  title: 'Welcome',
  text: ["Let's set up this device for work."],
  fields: [
    { label: 'Language', value: 'English (United States)' },
    { label: 'Keyboard', value: 'US' },
  ],
  buttons: [enter('next', 'Next'), { action: 'technicianKey', label: '', key: 'w', hidden: true }],
});
const optionsMenu = () => ({
  screen: 'optionsMenu',
  title: 'What would you like to do?',
  text: [
    'Pre-provision with groundcrew: install what your organization assigned to this device now, then reseal it for its user.',
  ],
  buttons: [enter('preprovision', 'Pre-provision with groundcrew'), keyed('back', 'Back', 'b')],
});
const profileFields = () => [
  { label: 'Organization', value: ORG },
  { label: 'Profile', value: 'Contoso laptops' },
  { label: 'Assigned user', value: USER },
];
const landing = () => ({
  screen: 'landing',
  title: 'Pre-provision with groundcrew',
  text: [
    'Check what this device will get, then press Provision. After an admin changes its assignment (the QR code leads to this device), press Refresh.',
  ],
  fields: [...profileFields(), { label: 'Registration', value: 'reg-7f3a9c21' }],
  qr: '{"BlockSequence":{"Id":"reg-7f3a9c21","ZtdId":"reg-7f3a9c21","PKID":"","SerialNumber":"","HardwareId":"","SequenceBlockNumber":1,"TotalBlocks":1}}',
  checks: [
    { label: 'Service reachable', passed: true },
    { label: 'Device registered and its key accepted', passed: true },
    { label: 'Deployment profile assigned', passed: true },
    { label: 'Profile allows pre-provisioning', passed: true },
    { label: 'Clock in step with the service', passed: false, detail: '412 s apart: set the device\'s clock' },
  ],
  buttons: [enter('provision', 'Provision'), keyed('refresh', 'Refresh', 'r')],
});
const signIn = (notice) => ({
  screen: 'signIn',
  title: `Welcome to ${ORG}`,
  text: ['Sign in with your work account.'],
  inputs: [
    { name: 'userPrincipalName', label: 'User name', value: USER, locked: true },
    { name: 'password', label: 'Password', secret: true },
  ],
  ...(notice ? { notice } : {}),
  ...(notice?.text === 'Signing in...' ? {} : { buttons: [enter('signIn', 'Sign in')] }),
});
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const mfaRegistration = (notice) => ({
  screen: 'mfaRegistration',
  title: 'Set up your authenticator app',
  text: [
    'Your organization asks for a second way to prove who you are.',
    "Open your authenticator app, add a work account and scan this QR code. Can't scan it? Enter the key below instead.",
    'Then type the code the app shows to finish.',
  ],
  fields: [
    { label: 'Account', value: USER },
    { label: 'Key', value: SECRET.replace(/(.{4})(?!$)/g, '$1 '), secret: true },
  ],
  qr: `otpauth://totp/${ORG}:${encodeURIComponent(USER)}?secret=${SECRET}&issuer=${ORG}`,
  inputs: [{ name: 'code', label: 'Code' }],
  ...(notice ? { notice } : {}),
  buttons: [enter('verify', 'Verify')],
});
const privacy = () => ({
  screen: 'privacy',
  title: 'Choose privacy settings for your device',
  text: [
    'Diagnostic data: send required diagnostic data only.',
    'Location, Find my device, tailored experiences and advertising ID: off.',
    'You can change these settings later.',
  ],
  phases: userPhases(0, -1),
  buttons: [enter('accept', 'Accept')],
});
const final = (screen, title, text, fields) => ({ screen, title, text: [text], ...(fields ? { fields } : {}) });

// ---- the ESP, simulated tick by tick --------------------------------------------------------
const CATEGORIES = [
  ['Security policies', 'policy', 'applied', 'Applied', 'Applying'],
  ['Certificates', 'certificate', 'added', 'Added', 'Requesting'],
  ['Network connections', 'network', 'added', 'Added', 'Applying'],
  ['Apps', 'app', 'installed', 'Installed', 'Installing'],
];
const PREPARATION = [
  'Securing your hardware',
  "Joining your organization's network",
  'Registering your device for mobile management',
  'Preparing your device for mobile management',
];
const DEVICE_ITEMS = [
  { id: 'pol-disk', name: 'Disk encryption', kind: 'policy' },
  { id: 'pol-password', name: 'Password rules', kind: 'policy' },
  { id: 'cert-wifi', name: 'Contoso Wi-Fi certificate', kind: 'certificate' },
  { id: 'net-wifi', name: 'Contoso Corp Wi-Fi', kind: 'network' },
  { id: 'app-firefox', name: 'Firefox ESR', kind: 'app', mb: 92.4 },
  { id: 'app-office', name: 'LibreOffice', kind: 'app', mb: 248.7 },
];
const ACCOUNT_ITEMS = [
  { id: 'pol-screen', name: 'Screen lock', kind: 'policy' },
  { id: 'app-vpn', name: 'Contoso VPN client', kind: 'app', mb: 31.5, failsFirst: true },
  { id: 'app-teams', name: 'Contoso Chat', kind: 'app', mb: 64.2 },
];
const DOWNLOAD_TICKS = 3;

// Item i's ticks: downloading (apps) then installing for one tick. `t` = ticks since the start.
function runItems(items, t, attempt) {
  let start = 0;
  let failed = false;
  return items.map((item) => {
    const length = (item.mb ? DOWNLOAD_TICKS : 0) + 1;
    const begin = start;
    start += length;
    const cat = CATEGORIES.find((c) => c[1] === item.kind);
    const line = { id: item.id, name: item.name };
    if (failed || t < begin) return { ...line, state: failed ? 'Not attempted' : 'Waiting' };
    line.attempt = attempt;
    line.elapsedSeconds = Math.min(t - begin, length) * 7 + 3;
    if (t - begin < length) {
      const into = t - begin;
      if (item.mb && into < DOWNLOAD_TICKS) {
        const pct = Math.round(((into + 0.5) / DOWNLOAD_TICKS) * 100);
        const done = ((item.mb * pct) / 100).toFixed(1);
        return { ...line, state: 'Downloading', progress: `${pct}% (${done} of ${item.mb} MB)` };
      }
      return { ...line, state: cat[4] };
    }
    if (item.failsFirst && attempt === 1) {
      failed = true;
      return { ...line, state: 'Failed', error: 'Error 0x80070643: the installer exited with code 1603' };
    }
    return { ...line, state: cat[3] };
  });
}
const itemsTicks = (items) => items.reduce((n, i) => n + (i.mb ? DOWNLOAD_TICKS : 0) + 1, 0);

function phaseOf(phase, name, items, t, attempt, joining) {
  const lines = runItems(items, t, attempt);
  const anyFailed = lines.some((l) => l.state === 'Failed');
  const allDone = !anyFailed && t >= itemsTicks(items);
  const categories = joining
    ? [{ name: "Joining your organization's network", status: 'Complete', done: 1, total: 1 }]
    : [];
  for (const [catName, kind, word] of CATEGORIES) {
    const own = lines.filter((_, i) => items[i].kind === kind);
    const done = own.filter((l) => ['Applied', 'Added', 'Installed'].includes(l.state)).length;
    const bad = own.filter((l) => l.state === 'Failed').length;
    const status = own.length === 0 ? 'No setup needed' : `${done} of ${own.length} ${word}${bad ? `, ${bad} failed` : ''}`;
    categories.push({ name: catName, status, ...(own.length ? { done, total: own.length, items: own } : {}) });
  }
  const status = anyFailed ? 'Failed' : allDone ? 'Complete' : 'Working on it';
  return { phase, name, status, details: details.has(phase), categories };
}

function pending(phase, name, status, categoryStatus) {
  const categories = [];
  if (phase === 'devicePreparation') {
    for (const step of PREPARATION) categories.push({ name: step, status: categoryStatus });
  } else {
    if (phase === 'accountSetup') categories.push({ name: "Joining your organization's network", status: categoryStatus });
    for (const [catName] of CATEGORIES) categories.push({ name: catName, status: categoryStatus });
  }
  return { phase, name, status, details: details.has(phase), categories };
}

function preparationPhase(t) {
  const categories = PREPARATION.map((name, i) => {
    const state = t > i ? 'Complete' : t === i ? 'Working on it' : 'Waiting';
    const item = { id: `step-${i}`, name, state, ...(t >= i ? { attempt: 1, elapsedSeconds: t > i ? 4 + i : 2 } : {}) };
    return { name, status: state, done: t > i ? 1 : 0, total: 1, items: [item] };
  });
  const status = t >= PREPARATION.length ? 'Complete' : 'Working on it';
  return { phase: 'devicePreparation', name: 'Device preparation', status, details: details.has('devicePreparation'), categories };
}

const WAITING_PREVIOUS = 'Waiting for previous step to complete';
function technicianPhases(t) {
  const prep = PREPARATION.length;
  return [
    preparationPhase(t),
    t <= prep ? pending('deviceSetup', 'Device setup', WAITING_PREVIOUS, 'Waiting') : phaseOf('deviceSetup', 'Device setup', DEVICE_ITEMS, t - prep - 1, 1, false),
    pending('accountSetup', 'Account setup', 'Runs when the user signs in', 'Waiting for the user'),
  ];
}
// t: ticks into Device setup (-1: identifying); account setup starts after it.
function userPhases(t, attempt) {
  const setup = itemsTicks(DEVICE_ITEMS);
  return [
    pending('devicePreparation', 'Device preparation', 'Complete', 'Complete'),
    t < 0 ? pending('deviceSetup', 'Device setup', 'Working on it', 'Identifying') : phaseOf('deviceSetup', 'Device setup', DEVICE_ITEMS, Math.min(t, setup), 1, false),
    t <= setup ? pending('accountSetup', 'Account setup', WAITING_PREVIOUS, 'Waiting') : phaseOf('accountSetup', 'Account setup', ACCOUNT_ITEMS, t - setup - 1, attempt, true),
  ];
}
const toggles = (phases) =>
  phases.map((p, i) => ({ action: 'toggleDetails', label: p.details ? 'Hide details' : 'Show details', key: String(i + 1), phase: p.phase }));
const esp = (phases) => ({
  screen: 'esp',
  title: 'Setting up your device for work',
  text: ['This could take a while. The options available to you will be shown here when setup is done.'],
  phases,
  buttons: toggles(phases),
});

// ---- the run's state ---------------------------------------------------------------------
const details = new Set();
let version = 0;
let ended = null; // {exit}
let current; // () => screen
let technicianPresses = 0;
let tick = 0;
let timer;
let accountAttempt = 1;
const clients = new Set();

function show(render) {
  current = render;
  publish();
}
function publish() {
  version += 1;
  const chunk = ended ? `event: end\ndata: ${JSON.stringify({ version, exit: ended.exit })}\n\n` : screenChunk();
  for (const res of clients) res.write(chunk);
}
const screenChunk = () => `event: screen\ndata: ${JSON.stringify({ version, screen: current() })}\n\n`;
function finish(render) {
  show(render);
  ended = { exit: 0 };
  publish();
}
function run(everyTick) {
  clearInterval(timer);
  tick = 0;
  timer = setInterval(() => {
    tick += 1;
    everyTick();
  }, stepMs);
}

function startTechnicianEsp() {
  const last = PREPARATION.length + 1 + itemsTicks(DEVICE_ITEMS);
  show(() => esp(technicianPhases(tick)));
  run(() => {
    if (tick <= last) return publish();
    clearInterval(timer);
    show(() => ({
      screen: 'provisioned',
      title: 'Pre-provisioning complete',
      text: ['This device is ready for its user. Press Reseal to shut it down for delivery; do not start it again before then.'],
      fields: [...profileFields(), { label: 'Elapsed', value: '4 min 12 s' }],
      qr: landing().qr,
      buttons: [enter('reseal', 'Reseal')],
    }));
  });
}

function startUserEsp() {
  const setup = itemsTicks(DEVICE_ITEMS);
  const last = setup + 1 + itemsTicks(ACCOUNT_ITEMS);
  const resume = accountAttempt > 1 ? setup + 1 : 0;
  show(() => esp(userPhases(tick + resume, accountAttempt)));
  run(() => {
    const phases = userPhases(tick + resume, accountAttempt);
    if (phases[2].status === 'Failed') {
      clearInterval(timer);
      return show(() => {
        const p = userPhases(tick + resume, accountAttempt);
        return {
          screen: 'espError',
          title: 'Setting up your device for work',
          text: ['Setup could not finish. Call Contoso IT on 0800 555 0100, or try again.'],
          fields: [{ label: 'Error', value: '0x80070643: Contoso VPN client failed' }],
          phases: p,
          buttons: [keyed('tryAgain', 'Try again', 't'), keyed('continueAnyway', 'Continue anyway', 'c'), keyed('collectLogs', 'Collect logs', 'l'), ...toggles(p)],
        };
      });
    }
    if (tick + resume <= last) return publish();
    clearInterval(timer);
    finish(() => desktop(false));
  });
}
const desktop = (continued) =>
  final('desktop', 'Your desktop is ready',
    continued ? 'Some setup did not finish; it goes on in the background.' : 'Everything your organization set up for you is here.',
    [{ label: 'Organization', value: ORG }, { label: 'Signed in as', value: USER }]);

// What a press does on the screen up. Returns false when the screen does not take it.
function pressed({ action, phase, inputs }) {
  const screen = current();
  if (!(screen.buttons ?? []).some((b) => b.action === action && (!phase || b.phase === phase))) return false;
  if (action === 'toggleDetails') {
    details.has(phase) ? details.delete(phase) : details.add(phase);
    publish();
    return true;
  }
  switch (`${screen.screen}/${action}`) {
    case 'welcome/technicianKey':
      if (++technicianPresses >= 5) show(optionsMenu);
      return true;
    case 'welcome/next':
      show(() => signIn());
      return true;
    case 'optionsMenu/back':
      technicianPresses = 0;
      show(welcome);
      return true;
    case 'optionsMenu/preprovision':
    case 'landing/refresh':
      show(landing);
      return true;
    case 'landing/provision':
      startTechnicianEsp();
      return true;
    case 'provisioned/reseal':
      finish(() => final('resealed', 'Resealed', 'This device is ready for delivery. Its user can start setting it up as soon as it is switched on.'));
      return true;
    case 'signIn/signIn':
      show(() => signIn({ tone: 'info', text: 'Signing in...' }));
      setTimeout(() => {
        if (inputs?.password === 'wrong' || !inputs?.password) {
          show(() => signIn({ tone: 'error', text: 'The user name or password is incorrect. Check them and try again.' }));
        } else {
          show(() => mfaRegistration());
        }
      }, 600);
      return true;
    case 'mfaRegistration/verify':
      if (!/^\d{6}$/.test(inputs?.code ?? '')) {
        show(() => mfaRegistration({ tone: 'error', text: 'That code is not right. Type the 6 digits your app shows now.' }));
      } else {
        show(privacy);
      }
      return true;
    case 'privacy/accept':
      startUserEsp();
      return true;
    case 'espError/tryAgain':
      accountAttempt += 1;
      startUserEsp();
      return true;
    case 'espError/continueAnyway':
      finish(() => desktop(true));
      return true;
    case 'espError/collectLogs': {
      const before = current;
      show(() => ({ ...before(), notice: { tone: 'success', text: 'Logs saved to /var/log/groundcrew/oobe-logs.tar.gz' } }));
      return true;
    }
    default:
      return false;
  }
}

// ---- HTTP ------------------------------------------------------------------------------------
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const json = (res, status, body) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/events') {
    if (url.searchParams.get('token') !== token) return res.writeHead(403).end('Wrong token.');
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    res.write(ended ? `event: screen\ndata: ${JSON.stringify({ version, screen: current() })}\n\nevent: end\ndata: ${JSON.stringify({ version, exit: ended.exit })}\n\n` : screenChunk());
    clients.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15000);
    req.on('close', () => {
      clearInterval(keepAlive);
      clients.delete(res);
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/press') {
    if (req.headers['x-groundcrew-token'] !== token) return res.writeHead(403).end('Wrong token.');
    let body = '';
    for await (const part of req) body += part;
    let press;
    try {
      press = JSON.parse(body);
    } catch {
      return json(res, 400, { error: 'invalidRequest', message: 'the body is not JSON', field: '' });
    }
    if (ended || press.version !== version || !pressed(press)) {
      return json(res, 409, { error: 'stale', message: 'the screen changed; press again on the new one' });
    }
    return json(res, 202, {});
  }
  if (req.method === 'GET') {
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    if (path === '/index.html' && url.searchParams.get('token') !== token) return res.writeHead(403).end('Wrong token.');
    if (path !== '/index.html' && !path.startsWith('/assets/')) return res.writeHead(404).end('Not found.');
    try {
      const file = await readFile(join(dir, normalize(path).replace(/^(\.\.[/\\])+/, '')));
      return res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', ...PAGE_HEADERS }).end(file);
    } catch {
      return res.writeHead(404).end('Not found.');
    }
  }
  res.writeHead(405).end();
});

// Screens the two scripted runs do not pass through, to look at with --start.
const GALLERY = {
  connecting: () => final('connecting', 'Just a moment...', "Getting your organization's settings for this device."),
  region: () => ({
    screen: 'region',
    title: 'Is this the right country or region?',
    fields: [{ label: 'Country or region', value: 'United States' }],
    buttons: [enter('next', 'Yes')],
  }),
  connectNetwork: () => ({
    screen: 'connectNetwork',
    title: "Let's connect you to a network",
    text: ["You'll need an internet connection to continue setting up your device. Connect a network cable, then press Next."],
    notice: { tone: 'warning', text: 'Still no network connection.' },
    buttons: [enter('next', 'Next')],
  }),
  provisioningFailed: () => ({
    screen: 'provisioningFailed',
    title: 'Pre-provisioning failed',
    text: ['Retry once the cause is fixed, export diagnostics for support, or reset the device to start over.'],
    fields: [
      ...profileFields(),
      { label: 'Elapsed', value: '2 min 40 s' },
      { label: 'Error', value: '0x80070643: LibreOffice failed' },
    ],
    qr: landing().qr,
    buttons: [keyed('retry', 'Retry', 'r'), keyed('reset', 'Reset', 'x'), keyed('diagnostics', 'Diagnostics', 'd')],
  }),
  mfa: () => ({
    screen: 'mfa',
    title: 'Enter code',
    text: ['Enter the code displayed in the authenticator app on your phone.'],
    fields: [{ label: 'Account', value: USER }],
    inputs: [{ name: 'code', label: 'Code' }],
    buttons: [enter('verify', 'Verify')],
  }),
  stopped: () => ({
    screen: 'stopped',
    title: 'Setup cannot go on',
    notice: { tone: 'error', text: 'Error 0x80180018: this device is not registered with your organization. Ask your IT admin to import it.' },
  }),
  reset: () => final('reset', 'This device was reset', 'Everything set up on it was removed. Start it again to set it up.'),
};
const start = arg('start', '');
if (start && !GALLERY[start]) {
  console.error(`--start: no screen "${start}"; take one of ${Object.keys(GALLERY).join(', ')}`);
  process.exit(2);
}
current = GALLERY[start] ?? welcome;
server.listen(port, '127.0.0.1', () => {
  console.log(`OOBE: http://127.0.0.1:${server.address().port}/?token=${token}`);
});
