// The admin's console in a real browser: Debian's Chromium, driven by playwright-core, against a
// real groundcrewd, with the real CLI making the admins and the real groundcrew-agent running a
// device's technician flow. An admin signs in with password and TOTP (a wrong code first), dry
// runs an import with a bad row, validates a rule with a syntax error and one that matches,
// watches a device's timeline move while the agent runs (no reload), reprovisions it, reads the
// audit log; a reader sees no change button and the API refuses them. Screenshots go to
// $CONSOLE_ARTIFACTS (build/test-artifacts/console by default); with CONSOLE_UPDATE_DOCS=1 they
// also replace docs/images/console-*.png.
// Environment: GROUNDCREW_BIN (the folder of groundcrew, groundcrewd and groundcrew-agent),
// CHROMIUM (default /usr/bin/chromium).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { launchChromium, photographedTest, spawnTracked, startGroundcrewd, totp } from './harness.mjs';

const source = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.env.GROUNDCREW_BIN ?? path.join(source, 'build/release/bin');
const artifacts = process.env.CONSOLE_ARTIFACTS ?? path.join(source, 'build/test-artifacts/console');
const updateDocs = process.env.CONSOLE_UPDATE_DOCS === '1';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-console-'));
const processes = new Set();
const pages = new Set();
let server = '';
let env = {};
let browser;
const admins = {};  // name -> {password, secret}
let device;         // the device the agent runs: {id, serial, state, root}

// ---------------------------------------------------------------------------------------------
// The system under test.

function cli(args, input) {
  return execFileSync(path.join(bin, 'groundcrew'), args, { env, input, encoding: 'utf8' });
}

function run(file, args) {
  return spawnTracked(processes, path.join(bin, file), args, env);
}

// The hardware row of a new device (its key in DIR/state).
function hardwareRow(serial) {
  const dir = path.join(work, serial);
  fs.mkdirSync(dir, { recursive: true });
  const row = execFileSync(path.join(bin, 'groundcrew-agent'), [
    'hwid', '--state', path.join(dir, 'state'), '--serial', serial, '--manufacturer', 'Contoso',
    '--model', 'Laptop 7',
  ], { encoding: 'utf8' });
  return { serial, dir, row, state: path.join(dir, 'state'), root: path.join(dir, 'root') };
}

// `groundcrew admins add`, reading the secret it shows once.
function addAdmin(name, role) {
  const password = `Contoso-console-${role}-8472`;
  const out = cli(['admins', 'add', name, '--role', role, '--password-stdin'], `${password}\n`);
  const secret = out.match(/^Secret\s+([A-Z2-7]+)$/m)[1];
  admins[name] = { password, secret };
}

// A tenant of one device app that takes a few seconds, so its progress can be watched.
const TENANT = `tenant:
  organizationName: Contoso
  domain: contoso.com
groups:
  - displayName: All Autopilot devices
    membershipRule: '(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))'
deploymentProfiles:
  - displayName: Contoso pre-provisioned
    preprovisioningAllowed: true
    deviceNameTemplate: CON-%SERIAL%
    assignments: [{group: All Autopilot devices}]
espProfiles:
  - displayName: Contoso ESP
    priority: 1
    showInstallationProgress: true
    installProgressTimeoutInMinutes: 30
    assignments: [{group: All Autopilot devices}]
apps:
  - displayName: Contoso Toolbox
    publisher: Contoso
    displayVersion: "1.0.0"
    installContext: device
    installCommandLine: sh toolbox.sh
    detectionRules:
      - {kind: command, command: 'test -e "$GROUNDCREW_ROOT/opt/toolbox/VERSION"'}
    content: {file: toolbox.sh}
    assignments: [{group: All Autopilot devices, intent: required}]
`;

// ---------------------------------------------------------------------------------------------
// The browser.

async function open(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  pages.add(page);
  page.on('close', () => pages.delete(page));
  page.scripts = [];
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'script') page.scripts.push(await response.body());
  });
  page.admin = name;
  return page;
}

const heading = (page, name) => page.getByRole('heading', { name, level: 1 });
const button = (page, name) => page.getByRole('button', { name, exact: true });

async function shot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (updateDocs) fs.copyFileSync(file, path.join(source, 'docs/images', `console-${name}.png`));
}

function browserTest(name, body) {
  photographedTest(name, body, { pages, processes, artifacts });
}

// The admin API as a signed-in page calls it (the session's cookie and CSRF token).
function apiFromPage(page, method, target) {
  return page.evaluate(async ([method, target]) => {
    const session = await (await fetch('/v1/session')).json();
    const answer = await fetch(target, { method, headers: { 'X-CSRF-Token': session.csrfToken } });
    return { status: answer.status, body: await answer.text() };
  }, [method, target]);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  if (updateDocs) fs.mkdirSync(path.join(source, 'docs/images'), { recursive: true });
  let token;
  ({ server, token } = await startGroundcrewd(bin, work, run));
  env = { ...process.env, GROUNDCREW_SERVER: server, GROUNDCREW_TOKEN: token, XDG_CONFIG_HOME: path.join(work, 'config') };

  const tenant = path.join(work, 'tenant');
  fs.mkdirSync(tenant);
  fs.writeFileSync(path.join(tenant, 'tenant.yaml'), TENANT);
  // Waits for WORK/go (the test says when), so the timeline is seen with the app in progress.
  fs.writeFileSync(path.join(tenant, 'toolbox.sh'), [
    `for i in $(seq 600); do [ -e '${work}/go' ] && break; sleep 0.1; done`,
    'mkdir -p "$GROUNDCREW_ROOT/opt/toolbox"',
    'echo 1.0.0 > "$GROUNDCREW_ROOT/opt/toolbox/VERSION"',
  ].join('\n') + '\n');
  cli(['apply', '-f', path.join(tenant, 'tenant.yaml')]);
  device = hardwareRow('CON-CONSOLE-1');
  fs.writeFileSync(path.join(device.dir, 'row.csv'), device.row);
  cli(['devices', 'import', path.join(device.dir, 'row.csv')]);
  device.id = JSON.parse(cli(['devices', 'list', '--json'])).value.find((d) => d.serialNumber === device.serial).id;
  addAdmin('alice', 'admin');
  addAdmin('rita', 'reader');

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const child of processes) child.kill('SIGTERM');
  await Promise.all([...processes].map((child) => child.exited));
  fs.rmSync(work, { recursive: true, force: true });
});

let alice;  // alice's page, signed in by the first test

browserTest('an admin signs in with a password and a TOTP code, back to the page wanted', async () => {
  alice = await open('alice');
  await alice.goto(`${server}/devices`);
  await alice.waitForURL((url) => url.pathname === '/signin');
  await shot(alice, 'signin');
  await alice.getByLabel('Name').fill('alice');
  await alice.getByLabel('Password').fill(admins.alice.password);
  // A code from another minute is refused, in the Code field.
  await alice.getByLabel('Code').fill(totp(admins.alice.secret, Date.now() - 10 * 60_000));
  await alice.getByRole('button', { name: 'Sign in' }).click();
  const codeField = alice.getByLabel('Code');
  await alice.waitForFunction(() => document.querySelector('[aria-invalid="true"]') !== null);
  assert.equal(await codeField.getAttribute('aria-invalid'), 'true', 'the error is on the Code field');
  assert.equal(new URL(alice.url()).pathname, '/signin');

  await codeField.fill(totp(admins.alice.secret));
  await alice.getByRole('button', { name: 'Sign in' }).click();
  await alice.waitForURL((url) => url.pathname === '/devices');
  await heading(alice, 'Devices').waitFor();
  await alice.getByRole('link', { name: device.serial }).waitFor();
  await alice.getByText('Signed in as').waitFor();
  const cookies = await alice.context().cookies();
  const session = cookies.find((c) => c.name === 'gc_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  await shot(alice, 'devices');

  const jsGzipBytes = alice.scripts.reduce((sum, body) => sum + gzipSync(body).length, 0);
  console.log(`console JavaScript: ${jsGzipBytes} bytes gzip`);
  assert.ok(jsGzipBytes > 0 && jsGzipBytes < 300 * 1024, `JavaScript is ${jsGzipBytes} bytes gzip`);
});

browserTest('a dry run of an import shows each row with its error name and stores nothing', async () => {
  // A good row, and a copy of it with another serial number and a hash that is not one.
  const good = hardwareRow('CON-CONSOLE-2');
  const [header, row] = good.row.trim().split(/\r?\n/);
  const hashColumn = header.split(',').indexOf('Hardware Hash');
  assert.ok(hashColumn > 0, header);
  const badCells = row.split(',');
  badCells[0] = 'CON-CONSOLE-3';
  badCells[hashColumn] = 'not-a-hardware-hash';
  const csv = `${header}\n${row}\n${badCells.join(',')}\n`;
  const file = path.join(work, 'import.csv');
  fs.writeFileSync(file, csv);
  await alice.goto(`${server}/import`);
  await heading(alice, 'Import devices').waitFor();
  await alice.getByLabel('Registration CSV').setInputFiles(file);
  await button(alice, 'Check (dry run)').click();
  await alice.getByRole('heading', { name: 'Dry run: what the import would do' }).waitFor();
  const status = await alice.getByRole('status').filter({ hasText: 'rows would fail' }).textContent();
  assert.match(status, /1 of 2 rows would fail: nothing would be imported/);
  const rows = alice.getByRole('table', { name: 'Rows' }).getByRole('row');
  const bad = rows.filter({ hasText: 'CON-CONSOLE-3' });
  assert.match(await bad.textContent(), /Hardware Hash/i, 'the bad row names its column');
  const errorName = (await bad.locator('code').textContent()).trim();
  assert.match(errorName, /^[A-Z][A-Za-z]+$/, `a Microsoft error name, not ${errorName}`);
  await shot(alice, 'import');
  const serials = () => JSON.parse(cli(['devices', 'list', '--json'])).value.map((d) => d.serialNumber)
    .filter((s) => s.startsWith('CON-CONSOLE-')).sort();
  assert.deepEqual(serials(), ['CON-CONSOLE-1'], 'a dry run stores nothing');

  // The file fixed: the dry run passes, then the import stores the row.
  fs.writeFileSync(file, `${header}\n${row}\n`);
  await alice.getByLabel('Registration CSV').setInputFiles(file);
  await button(alice, 'Check (dry run)').click();
  await alice.getByRole('status').filter({ hasText: 'All 1 rows are valid' }).waitFor();
  await button(alice, 'Import').click();
  await alice.getByRole('heading', { name: 'Import result' }).waitFor();
  await alice.getByRole('status').filter({ hasText: '1 devices imported.' }).waitFor();
  assert.deepEqual(serials(), ['CON-CONSOLE-1', 'CON-CONSOLE-2']);
});

browserTest('Validate rules marks a syntax error and says why a device matches', async () => {
  await alice.goto(`${server}/groups`);
  await alice.getByRole('link', { name: 'All Autopilot devices' }).click();
  await heading(alice, 'All Autopilot devices').waitFor();
  const rule = alice.getByLabel('Rule', { exact: true });
  await rule.fill('(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]")');
  await alice.getByLabel(device.serial).check();
  await button(alice, 'Validate').click();
  const error = alice.locator('#validate-rule-error');
  await error.waitFor();
  assert.match(await error.textContent(), /\d/, 'the error says where');
  assert.equal(await rule.getAttribute('aria-invalid'), 'true');
  await shot(alice, 'validate-error');

  await rule.fill('(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]")) and (device.deviceOwnership -eq "Company")');
  await button(alice, 'Validate').click();
  const results = alice.getByRole('table', { name: 'Validation results' });
  await results.waitFor();
  const row = results.getByRole('row').filter({ hasText: device.serial });
  await row.waitFor();
  const text = await row.textContent();
  assert.match(text, /Yes/, `it matches: ${text}`);
  assert.match(text, /devicePhysicalIds.*values: \[ZTDId\]/, `each clause with the values it read: ${text}`);
  assert.match(text, /deviceOwnership -eq "Company".*values: Company/, text);
  await shot(alice, 'validate');
});

browserTest("a device's timeline follows the agent's technician flow live, then it is reprovisioned", async () => {
  await alice.goto(`${server}/devices/${device.id}`);
  await heading(alice, `Device ${device.serial}`).waitFor();
  await alice.getByText('No flow has run on this device yet.').waitFor();
  const agent = run('groundcrew-agent', [
    'oobe', '--server', server, '--state', device.state, '--root', device.root, '--serial', device.serial,
    '--ui', 'plain', '--preprovision',
  ]);
  // The same page, never reloaded: the app shows while its installer waits for the test.
  const timeline = alice.getByRole('article', { name: /technician flow started/ });
  await timeline.waitFor({ timeout: 60_000 });
  const toolbox = timeline.getByRole('row').filter({ hasText: 'Contoso Toolbox' });
  await toolbox.waitFor({ timeout: 60_000 });
  await shot(alice, 'device-live');
  const before = await toolbox.textContent();
  assert.doesNotMatch(before, /succe/i, `the app is not done yet: ${before}`);
  fs.writeFileSync(path.join(work, 'go'), '');
  assert.equal(await agent.exited, 0, agent.output);
  await timeline.getByRole('heading', { name: /Technician flow/ }).filter({ hasText: /success/i })
    .waitFor({ timeout: 60_000 });
  assert.match(await toolbox.textContent(), /succeeded/);
  await shot(alice, 'device');

  await button(alice, 'Reprovision').click();
  const dialog = alice.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Reprovision' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const audit = JSON.parse(cli(['audit', '--json'])).value;
  assert.ok(audit.some((e) => e.actor === 'alice' && /reprovision/i.test(e.action)), 'the reprovision is audited as alice');
});

browserTest('the dashboard counts the flow that succeeded', async () => {
  await alice.goto(server + '/');
  await heading(alice, 'Dashboard').waitFor();
  const card = alice.locator('.card').filter({ has: alice.getByRole('heading', { name: 'Technician flow' }) });
  await card.filter({ hasText: '1 succeeded, 0 failed' }).waitFor();
  assert.match(await card.textContent(), /100 %/);
  await shot(alice, 'dashboard');
});

browserTest('the audit log shows what alice did, filtered by actor', async () => {
  await alice.goto(`${server}/audit`);
  await heading(alice, 'Audit log').waitFor();
  await alice.getByLabel('Actor').fill('alice');
  await alice.waitForURL((url) => url.searchParams.get('actor') === 'alice');
  const log = alice.getByRole('table', { name: 'Audit log' });
  const entry = log.getByRole('row').filter({ hasText: /reprovision/i }).filter({ hasText: device.serial });
  await entry.first().waitFor();
  // The table shows alice's entries only, once the filtered page is in.
  const actors = async () => (await log.locator('tbody tr').all()).length &&
    Promise.all((await log.locator('tbody tr').all()).map(async (row) => (await row.locator('td').nth(1).textContent()).trim()));
  let seen = [];
  for (let i = 0; i < 50; i++) {
    seen = await actors();
    if (seen.length && seen.every((actor) => actor === 'alice')) break;
    await alice.waitForTimeout(100);
  }
  assert.ok(seen.length > 0 && seen.every((actor) => actor === 'alice'), `only alice's entries: ${seen}`);
  await shot(alice, 'audit');
});

browserTest('a reader sees no button that changes anything, and the API refuses them', async () => {
  // Signed in with the keyboard alone: the Name field has the focus, Tab goes on, Enter signs in.
  const rita = await open('rita');
  const wanted = `/devices/${device.id}`;
  await rita.goto(server + wanted);
  await rita.waitForURL((url) => url.pathname === '/signin');
  await rita.getByLabel('Name').waitFor();
  await rita.keyboard.type('rita');
  await rita.keyboard.press('Tab');
  await rita.keyboard.type(admins.rita.password);
  await rita.keyboard.press('Tab');
  await rita.keyboard.type(totp(admins.rita.secret));
  await rita.keyboard.press('Enter');
  await rita.waitForURL((url) => url.pathname === wanted);
  await heading(rita, `Device ${device.serial}`).waitFor();
  await rita.getByRole('heading', { name: 'Plan for the next flow' }).waitFor();
  for (const name of ['Reprovision', 'Delete', 'Assign user', 'Change group tag']) {
    assert.equal(await button(rita, name).count(), 0, `no ${name} button for a reader`);
  }
  await rita.goto(`${server}/import`);
  assert.equal(await button(rita, 'Import').count(), 0, 'no Import for a reader');
  const refused = await apiFromPage(rita, 'POST', `/v1/autopilotDevices/${device.id}/reprovision`);
  assert.equal(refused.status, 403, refused.body);
  assert.equal(JSON.parse(refused.body).error.code, 'permission_denied');
  await shot(rita, 'reader');

  // Signing out ends the session on the server: the cookie no longer opens anything.
  await button(rita, 'Sign out').click();
  await rita.waitForURL((url) => url.pathname === '/signin');
  const after = await rita.evaluate(async () => (await fetch('/v1/session')).status);
  assert.equal(after, 401);
});
