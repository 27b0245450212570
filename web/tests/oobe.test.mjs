// The OOBE in a real browser: Debian's Chromium, driven by playwright-core, shows the page the
// real groundcrew-agent serves (--ui web) while it runs against a real groundcrewd. The person's
// side is all in the browser: the technician key sequence, Provision and Reseal; the user's
// sign-in with a wrong password first, the authenticator registered with a code computed here
// from the key the page shows, privacy, the ESP, the desktop; and a failing blocking app, whose
// error screen offers exactly the profile's buttons. Screenshots of every screen go to
// $OOBE_ARTIFACTS (build/test-artifacts/oobe by default); with OOBE_UPDATE_DOCS=1 the key ones
// also replace docs/images/oobe-*.png.
// Environment: GROUNDCREW_BIN (the folder of groundcrew, groundcrewd and groundcrew-agent),
// CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
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
const artifacts = process.env.OOBE_ARTIFACTS ?? path.join(source, 'build/test-artifacts/oobe');
const updateDocs = process.env.OOBE_UPDATE_DOCS === '1';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-oobe-web-'));
fs.chmodSync(work, 0o755);  // the devices' roots are in it
const processes = new Set();
let server = '';
let env = {};
let browser;

const ADELE = 'adele.vance@contoso.com';
const PASSWORD = 'Contoso-browser-test-1';

// ---------------------------------------------------------------------------------------------
// The system under test: groundcrewd, the admin's CLI, the agent.

function cli(args, input) {
  return execFileSync(path.join(bin, 'groundcrew'), args, { env, input, encoding: 'utf8' });
}

function started(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 20_000);
    const look = (chunk) => {
      out += chunk;
      const match = out.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}): ${out}`)));
  });
}

function run(file, args) {
  return spawnTracked(processes, path.join(bin, file), args, env);
}

// A device of its own: its key in STATE, its disk in ROOT, its row imported.
function device(serial, groupTag, assignedUser) {
  const dir = path.join(work, serial);
  const row = execFileSync(path.join(bin, 'groundcrew-agent'), [
    'hwid', '--state', path.join(dir, 'state'), '--serial', serial, '--manufacturer', 'Contoso',
    '--model', 'Laptop 7', '--group-tag', groupTag, ...(assignedUser ? ['--assigned-user', assignedUser] : []),
  ], { encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'row.csv'), row);
  fs.chmodSync(dir, 0o755);  // as a device's / is: user apps run as the user reach their home
  cli(['devices', 'import', path.join(dir, 'row.csv')]);
  return { serial, state: path.join(dir, 'state'), root: path.join(dir, 'root') };
}

// Starts `groundcrew-agent oobe --ui web` for `dev` on `listen`; resolves with the page's address.
async function agent(dev, listen = '127.0.0.1:0') {
  const child = run('groundcrew-agent', [
    'oobe', '--server', server, '--state', dev.state, '--root', dev.root, '--serial', dev.serial,
    '--ui', 'web', '--listen', listen,
  ]);
  const [, url] = await started(child, /OOBE: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/, 'groundcrew-agent');
  const file = path.join(dev.state, 'oobe-web.url');
  assert.equal(fs.readFileSync(file, 'utf8').trim(), url);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  return { child, url };
}

// Where the test tenant's apps install: a user app (run as the user) in the user's home, a device
// app under the root's /opt.
const INSTALL_DIR = '${GROUNDCREW_HOME:-$GROUNDCREW_ROOT/opt}/contoso';

// An app of the test tenant: `sh SCRIPT.sh` (beside tenant.yaml) installs it for `group`,
// found by INSTALL_DIR/SCRIPT/VERSION.
function app(name, context, script, group) {
  return `  - displayName: ${name}
    publisher: Contoso
    displayVersion: "1.0.0"
    installContext: ${context}
    installCommandLine: sh ${script}.sh
    detectionRules:
      - {kind: command, command: 'test -e "${INSTALL_DIR}/${script}/VERSION"'}
    content: {file: ${script}.sh}
    assignments: [{group: ${group}, intent: required}]
`;
}

// ---------------------------------------------------------------------------------------------
// The browser.

const pages = new Set();

async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  pages.add(page);
  page.on('close', () => pages.delete(page));
  const scripts = [];
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'script') scripts.push(await response.body());
  });
  await page.goto(url);
  page.scripts = scripts;
  return page;
}

const heading = (page, name) => page.getByRole('heading', { name, level: 1 });
const button = (page, name) => page.getByRole('button', { name, exact: true });

async function shot(page, name, { docs = false } = {}) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  if (docs && updateDocs) fs.copyFileSync(file, path.join(source, 'docs/images', `oobe-${name}.png`));
}

async function see(page, title, timeout = 60_000) {
  await heading(page, title).waitFor({ timeout });
}

function browserTest(name, body) {
  photographedTest(name, body, { pages, processes, artifacts });
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  if (updateDocs) fs.mkdirSync(path.join(source, 'docs/images'), { recursive: true });
  let token;
  ({ server, token } = await startGroundcrewd(bin, work, run));
  env = { ...process.env, GROUNDCREW_SERVER: server, GROUNDCREW_TOKEN: token, XDG_CONFIG_HOME: path.join(work, 'config') };

  // Contoso, and a blocking user app for Megan's devices that fails until ROOT/flaky.fixed exists.
  const tenant = path.join(work, 'tenant');
  fs.mkdirSync(tenant);
  fs.symlinkSync(path.join(source, 'examples/contoso/apps'), path.join(tenant, 'apps'));
  fs.writeFileSync(path.join(tenant, 'flaky.sh'), [
    '#!/bin/sh',
    'if [ ! -e "$GROUNDCREW_ROOT/flaky.fixed" ]; then echo 1603 > "$GROUNDCREW_EXIT_CODE_FILE"; exit 1; fi',
    `mkdir -p "${INSTALL_DIR}/flaky" && echo 1.0.0 > "${INSTALL_DIR}/flaky/VERSION"`,
    '',
  ].join('\n'));
  // Contoso Tools (Device setup, the Sales devices) and Contoso Sales Kit (Account setup, the
  // sales team) install until ROOT/NAME.release exists: the ESP's details show them working.
  for (const name of ['tools', 'kit']) {
    fs.writeFileSync(path.join(tenant, `${name}.sh`), [
      '#!/bin/sh',
      `for i in $(seq 600); do [ -e "$GROUNDCREW_ROOT/${name}.release" ] && break; sleep 0.1; done`,
      `mkdir -p "${INSTALL_DIR}/${name}" && echo 1.0.0 > "${INSTALL_DIR}/${name}/VERSION"`,
      '',
    ].join('\n'));
  }
  // Contoso Restart installs, then asks for a restart (3010).
  fs.writeFileSync(path.join(tenant, 'restart.sh'), [
    '#!/bin/sh',
    `mkdir -p "${INSTALL_DIR}/restart" && echo 1.0.0 > "${INSTALL_DIR}/restart/VERSION"`,
    'echo 3010 > "$GROUNDCREW_EXIT_CODE_FILE"; exit 1',
    '',
  ].join('\n'));
  let yaml = fs.readFileSync(path.join(source, 'examples/contoso/tenant.yaml'), 'utf8');
  yaml = yaml
    .replace(/^devices:.*$/m, '')
    .replace('members: [adele.vance@contoso.com]', `members: [adele.vance@contoso.com]
  - displayName: Restart devices
    description: Devices whose app asks for a restart
    membershipRule: '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Restart"))'
  - displayName: Broken devices
    description: Devices whose blocking driver fails
    membershipRule: '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Broken"))'
  - displayName: Field users
    description: Users whose devices install Contoso Flaky
    members: [megan.bowen@contoso.com]`)
    .replace('selectedMobileApps: [Contoso Agent, Contoso Runtime]', 'selectedMobileApps: [Contoso Agent, Contoso Runtime, Contoso Flaky, Contoso Broken Driver]')
    .replace('\npolicies:', `
${app('Contoso Flaky', 'user', 'flaky', 'Field users')}${app('Contoso Tools', 'device', 'tools', 'Sales devices')}${app('Contoso Sales Kit', 'user', 'kit', 'Sales users')}${app('Contoso Broken Driver', 'device', 'flaky', 'Broken devices')}${app('Contoso Restart', 'device', 'restart', 'Restart devices')}
policies:`);
  fs.writeFileSync(path.join(tenant, 'tenant.yaml'), yaml);
  cli(['apply', '-f', path.join(tenant, 'tenant.yaml')]);
  for (const upn of [ADELE, 'megan.bowen@contoso.com']) {
    cli(['users', 'set-password', upn, '--password-stdin'], `${PASSWORD}\n`);
  }

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const child of processes) child.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

browserTest('the technician provisions and reseals, then the user signs in and reaches the desktop', async () => {
  const dev = device('CON-WEB-01', 'Sales', ADELE);

  // The depot: the first screen takes the technician key, five times.
  const tech = await agent(dev);
  const page = await open(tech.url);
  await see(page, 'Welcome');
  const firstScreen = await page.evaluate(() => {
    const [mark] = performance.getEntriesByName('oobe-first-screen');
    return mark ? mark.startTime : null;
  });
  const jsGzipBytes = page.scripts.reduce((sum, body) => sum + gzipSync(body).length, 0);
  await shot(page, 'welcome', { docs: true });
  for (let i = 0; i < 5; i++) await page.keyboard.press('w');
  await see(page, 'What would you like to do?');
  await shot(page, 'options-menu');
  await page.keyboard.press('Enter');  // the focused first button: Pre-provision
  await see(page, 'Pre-provision with groundcrew');
  await page.getByText('Contoso', { exact: true }).first().waitFor();
  await page.getByText(ADELE).first().waitFor();
  await page.locator('svg, canvas, img').first().waitFor();  // the QR code
  await shot(page, 'landing', { docs: true });
  await button(page, 'Refresh').click();
  await see(page, 'Pre-provision with groundcrew');
  await button(page, 'Provision').click();
  await see(page, 'Setting up your device for work');
  // Device setup's details: each item with its state, Contoso Tools still installing.
  await button(page, 'Show details').nth(1).click();
  await page.getByRole('progressbar', { name: /Contoso Tools/ }).waitFor({ timeout: 60_000 });
  await shot(page, 'esp-technician', { docs: true });
  fs.writeFileSync(path.join(dev.root, 'tools.release'), '');
  await see(page, 'Pre-provisioning complete', 120_000);
  await page.getByText(/\d+ s|\d+ min/).first().waitFor();  // the elapsed time
  await shot(page, 'provisioned', { docs: true });
  await button(page, 'Reseal').click();
  await see(page, 'Resealed');
  await shot(page, 'resealed');
  assert.equal(await tech.child.exited, 0, tech.child.output);
  assert.ok(!fs.existsSync(path.join(dev.state, 'oobe-web.url')), 'the address goes with the OOBE');
  await page.context().close();

  // At home: the user's pages, sign-in with the user name pre-filled, a wrong password first.
  const user = await agent(dev);
  const home = await open(user.url);
  for (const title of ['Is this the right country or region?', 'Is this the right keyboard layout or input method?']) {
    await see(home, title);
    await home.keyboard.press('Enter');
  }
  await see(home, 'Welcome to Contoso');
  const upn = home.getByLabel('User name');
  assert.equal(await upn.inputValue(), ADELE);
  assert.equal(await upn.isEditable(), false, 'an assigned device enforces its user');
  await home.getByRole('textbox', { name: 'Password' }).fill('not-the-password');
  await home.keyboard.press('Enter');
  await home.getByRole('main').getByText('The user name or password is incorrect.', { exact: false }).waitFor();
  await shot(home, 'sign-in-wrong-password', { docs: true });
  await home.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await home.keyboard.press('Enter');

  // No authenticator yet: the user registers one with the key on the screen and a first code.
  await see(home, 'Set up your authenticator app');
  await home.locator('svg, canvas, img').first().waitFor();
  await shot(home, 'mfa-registration', { docs: true });
  const key = (await home.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).first().textContent()).replace(/\s/g, '');
  await home.getByRole('textbox', { name: 'Code' }).fill(totp(key));
  await home.keyboard.press('Enter');
  await see(home, 'Choose privacy settings for your device', 120_000);
  await shot(home, 'privacy');
  await button(home, 'Accept').click();
  await see(home, 'Setting up your device for work');
  await button(home, 'Show details').nth(2).click();  // Account setup's
  await home.getByRole('progressbar', { name: /Contoso Sales Kit/ }).waitFor({ timeout: 60_000 });
  assert.ok(await home.locator('[aria-live]').first().textContent(), 'progress is announced');
  await shot(home, 'esp-user', { docs: true });
  fs.writeFileSync(path.join(dev.root, 'kit.release'), '');
  await see(home, 'Your desktop is ready', 120_000);
  await shot(home, 'desktop', { docs: true });
  assert.equal(await user.child.exited, 0, user.child.output);
  // The agent told the page the run ended before it left: no reconnection attempts.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await home.getByText('Reconnecting to the device').count(), 0);
  const notes = path.join(dev.root, 'home/adele-vance/.local/share/contoso/notes/VERSION');
  assert.ok(fs.existsSync(notes), 'Account setup installed Notes, as Adele, in her home');
  assert.equal(JSON.parse(cli(['users', 'show', ADELE, '--json'])).mfaEnrolled, true);
  await home.context().close();

  const figures = { firstScreenMs: firstScreen, jsGzipBytes };
  fs.writeFileSync(path.join(artifacts, 'performance.json'), JSON.stringify(figures, null, 2) + '\n');
  console.log(`OOBE page: first screen at ${firstScreen?.toFixed(0)} ms, JavaScript ${jsGzipBytes} bytes gzip`);
  assert.ok(jsGzipBytes > 0 && jsGzipBytes < 200 * 1024, `JavaScript is ${jsGzipBytes} bytes gzip`);
});

browserTest('a failing blocking app: the error screen offers exactly the profile\'s buttons', async () => {
  const dev = device('CON-WEB-02', 'Field', 'megan.bowen@contoso.com');
  const tech = run('groundcrew-agent', ['oobe', '--server', server, '--state', dev.state, '--root', dev.root,
    '--serial', dev.serial, '--ui', 'plain', '--preprovision']);
  assert.equal(await tech.exited, 0, tech.output);
  execFileSync(path.join(bin, 'groundcrew'), ['users', 'mfa', 'enroll', 'megan.bowen@contoso.com',
    '--secret', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '--json'], { env });

  const user = await agent(dev);
  const page = await open(user.url);
  for (const title of ['Is this the right country or region?', 'Is this the right keyboard layout or input method?']) {
    await see(page, title);
    await page.keyboard.press('Enter');
  }
  await see(page, 'Welcome to Contoso');
  await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await page.keyboard.press('Enter');
  await see(page, 'Enter code');
  await page.getByRole('textbox', { name: 'Code' }).fill(totp('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
  await page.keyboard.press('Enter');
  await see(page, 'Choose privacy settings for your device', 120_000);
  await page.keyboard.press('Enter');

  // Account setup fails on Contoso Flaky: the profile's message, Try again and Collect logs.
  await page.getByText('Call the Contoso help desk', { exact: false }).waitFor({ timeout: 120_000 });
  await page.getByText(/1603/).first().waitFor();
  const labels = await page.getByRole('button').allTextContents();
  const decisions = labels.filter((l) => !/details/i.test(l));
  assert.deepEqual(decisions, ['Try again', 'Collect logs']);
  await shot(page, 'esp-error', { docs: true });
  await page.getByRole('button', { name: /Show details/i }).last().click();
  await page.getByText('Contoso Flaky', { exact: true }).first().waitFor();
  await page.getByRole('button', { name: /Hide details/i }).first().waitFor();
  await shot(page, 'esp-error-details');
  await button(page, 'Collect logs').click();
  await page.getByRole('main').getByText(/Diagnostics saved/).waitFor();

  // Fixed on the device: Try again finishes Account setup.
  fs.mkdirSync(dev.root, { recursive: true });
  fs.writeFileSync(path.join(dev.root, 'flaky.fixed'), '');
  await button(page, 'Try again').click();
  await see(page, 'Your desktop is ready', 120_000);
  assert.equal(await user.child.exited, 0, user.child.output);
});

browserTest('a technician flow that fails offers Retry, Reset and Diagnostics', async () => {
  const dev = device('CON-WEB-03', 'Broken');
  const tech = await agent(dev);
  const page = await open(tech.url);
  await see(page, 'Welcome');
  for (let i = 0; i < 5; i++) await page.keyboard.press('w');
  await see(page, 'What would you like to do?');
  await button(page, 'Pre-provision with groundcrew').click();
  await see(page, 'Pre-provision with groundcrew');
  // Keyboard only: the focus is on the first button of each new screen.
  await page.keyboard.press('Enter');
  await see(page, 'Pre-provisioning failed', 120_000);
  await page.getByText(/1603/).first().waitFor();
  const labels = await page.getByRole('button').allTextContents();
  assert.deepEqual(labels.filter((l) => !/details/i.test(l)), ['Retry', 'Reset', 'Diagnostics']);
  await shot(page, 'provisioning-failed', { docs: true });
  // Keyboard only: Tab moves from Retry (focused) to Reset to Diagnostics; Enter presses.
  const focused = () => page.evaluate(() => document.activeElement?.textContent);
  assert.equal(await focused(), 'Retry');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Diagnostics');
  await page.keyboard.press('Enter');
  await page.getByRole('main').getByText(/Diagnostics saved/).waitFor();
  await button(page, 'Retry').focus();
  await page.keyboard.press('Enter');
  await see(page, 'Pre-provisioning failed', 120_000);
  await button(page, 'Reset').click();
  await see(page, 'This device was reset');
  assert.equal(await tech.child.exited, 4, tech.child.output);
  // Retry ran the blocking app again before Reset: two attempts, both failed.
  const report = JSON.parse(cli(['report', dev.serial, '--json']));
  const session = report.sessions.filter((s) => s.flow === 'technician').at(-1);
  const driver = session.items.find((i) => i.displayName === 'Contoso Broken Driver');
  assert.equal(driver.attempts, 2, JSON.stringify(driver));
  assert.equal(driver.status, 'failed', JSON.stringify(driver));
});

browserTest('an app that asks for a restart: the page waits for the agent and goes on', async () => {
  const dev = device('CON-WEB-05', 'Restart');
  const first = await agent(dev);
  const page = await open(first.url);
  await see(page, 'Welcome');
  for (let i = 0; i < 5; i++) await page.keyboard.press('w');
  await see(page, 'What would you like to do?');
  await page.keyboard.press('Enter');
  await see(page, 'Pre-provision with groundcrew');
  await button(page, 'Provision').click();
  assert.equal(await first.child.exited, 3, first.child.output);
  const restarting = page.getByText('Restarting to finish setting up');
  await restarting.waitFor();
  assert.equal(await button(page, 'Reseal').isDisabled(), true, 'nothing to press while the agent is away');
  await shot(page, 'restarting');
  // The device is back (the kiosk's unit starts the agent again, on its fixed address).
  const port = new URL(first.url).port;
  const second = await agent(dev, `127.0.0.1:${port}`);
  assert.equal(second.url, first.url, 'a restart of the same OOBE keeps its address');
  await restarting.waitFor({ state: 'detached', timeout: 60_000 });  // the stream is back
  await see(page, 'Pre-provisioning complete', 120_000);
  await button(page, 'Reseal').click();
  await see(page, 'Resealed');
  assert.equal(await second.child.exited, 0, second.child.output);
});

test('the agent serves the page on a loopback address only', () => {
  const state = fs.mkdtempSync(path.join(work, 'refused-'));
  for (const listen of ['0.0.0.0:8765', '192.168.1.10:8765', '[::]:8765']) {
    let refusal;
    try {
      execFileSync(path.join(bin, 'groundcrew-agent'), ['oobe', '--server', server, '--state', state,
        '--serial', 'CON-WEB-04', '--ui', 'web', '--listen', listen], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      refusal = error;
    }
    assert.equal(refusal?.status, 2, `--listen ${listen} is refused`);
    assert.match(refusal.stderr, /--listen: .* is not a loopback address/);
    assert.deepEqual(fs.readdirSync(state), [], 'nothing is written before the refusal');
  }
});
