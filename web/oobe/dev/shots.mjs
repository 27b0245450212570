#!/usr/bin/env node
// Walks both flows of the mock agent (mock-agent.mjs) in Debian's Chromium at 1024x768 with the
// keyboard and saves a screenshot of each screen, to look at the page while changing it.
//   npm run build:oobe && node oobe/dev/shots.mjs [OUT_DIR=/tmp/oobe-shots]
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const out = process.argv[2] ?? '/tmp/oobe-shots';
mkdirSync(out, { recursive: true });
const mockPath = fileURLToPath(new URL('./mock-agent.mjs', import.meta.url));

const mocks = new Set();
process.on('exit', () => mocks.forEach((child) => child.kill()));
function startMock(...extra) {
  const child = spawn(process.execPath, [mockPath, '--step-ms', '350', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  mocks.add(child);
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (data) => {
      const match = /OOBE: (\S+)/.exec(String(data));
      if (match) resolve({ url: match[1], child });
    });
    child.on('exit', (code) => reject(new Error(`mock exited ${code}`)));
  });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const problems = [];
async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}
const shot = async (page, name) => {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: false });
  const focus = await page.evaluate(() => {
    const a = document.activeElement;
    return a ? `${a.tagName.toLowerCase()}${a.id ? '#' + a.id : ''}${a.textContent && a.tagName === 'BUTTON' ? ' "' + a.textContent + '"' : ''}` : '';
  });
  const live = await page.locator('[aria-live]').textContent();
  console.log(`${name}: focus=${focus} live="${live}"`);
};
const title = (page, text) => page.locator('h1', { hasText: text }).waitFor({ timeout: 20000 });

// The technician flow.
{
  const { url, child } = await startMock();
  const page = await newPage();
  const t0 = Date.now();
  await page.goto(url);
  await title(page, 'Welcome');
  const mark = await page.evaluate(() => performance.getEntriesByName('oobe-first-screen')[0]?.startTime);
  console.log(`first screen in ${Date.now() - t0} ms (mark oobe-first-screen at ${mark?.toFixed(0)} ms)`);
  await shot(page, '01-welcome');
  for (let i = 0; i < 5; i++) await page.keyboard.press('w');
  await title(page, 'What would you like to do?');
  await shot(page, '02-options-menu');
  await page.keyboard.press('Enter');
  await title(page, 'Pre-provision with groundcrew');
  await shot(page, '03-landing');
  await page.keyboard.press('Enter');
  await title(page, 'Setting up your device for work');
  await page.getByText('Working on it').first().waitFor();
  await shot(page, '04-esp-technician');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Hide details' }).first().waitFor();
  const kept = await page.evaluate(() => document.activeElement?.getAttribute('data-phase'));
  console.log(`focus after Show details (Tab, Enter): ${kept}`);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Hide details' }).waitFor({ state: 'detached' });
  await page.keyboard.press('2');
  await page.locator('.item-state', { hasText: 'Downloading' }).first().waitFor({ timeout: 20000 });
  await shot(page, '05-esp-technician-details');
  await page.setViewportSize({ width: 1024, height: 1150 });
  await shot(page, '05-esp-technician-details-tall');
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.locator('.item-state', { hasText: 'Installing' }).first().waitFor({ timeout: 20000 });
  await shot(page, '05b-esp-technician-installing');
  await title(page, 'Pre-provisioning complete');
  await shot(page, '06-provisioned');
  await page.keyboard.press('Enter');
  await title(page, 'Resealed');
  await shot(page, '07-resealed');
  await page.close();
  child.kill();
}

// The user flow.
{
  const { url, child } = await startMock();
  const page = await newPage();
  await page.goto(url);
  await title(page, 'Welcome');
  await page.keyboard.press('Enter');
  await title(page, 'Welcome to Contoso');
  await shot(page, '10-sign-in');
  await page.keyboard.type('wrong');
  await page.keyboard.press('Enter');
  await page.locator('.notice', { hasText: 'The user name or password is incorrect' }).waitFor();
  await shot(page, '11-sign-in-wrong-password');
  await page.keyboard.type('correct horse');
  await page.keyboard.press('Enter');
  await page.locator('.notice', { hasText: 'Signing in...' }).waitFor();
  await shot(page, '11b-signing-in');
  await title(page, 'Set up your authenticator app');
  await shot(page, '12-mfa-registration');
  await page.keyboard.type('123456');
  await page.keyboard.press('Enter');
  await title(page, 'Choose privacy settings');
  await shot(page, '13-privacy');
  await page.keyboard.press('Enter');
  await title(page, 'Setting up your device for work');
  await page.locator('.phase-head', { hasText: 'Account setup' }).getByText('Working on it').waitFor({ timeout: 30000 });
  await page.keyboard.press('3');
  await page.waitForTimeout(400);
  await shot(page, '14-esp-user-account-setup');
  await page.locator('.screen-espError').waitFor({ timeout: 30000 });
  await shot(page, '15-esp-error');
  await page.keyboard.press('t');
  await page.locator('.screen-esp').waitFor();
  await title(page, 'Your desktop is ready');
  await shot(page, '16-desktop');
  await page.close();
  child.kill();
}

// The connection drops.
{
  const { url, child } = await startMock();
  const page = await newPage();
  await page.goto(url);
  await title(page, 'Welcome');
  child.kill();
  await page.getByText('Reconnecting to the device').waitFor();
  await shot(page, '20-reconnecting');
  await page.close();
}

// Screens the runs above do not pass through.
for (const [i, name] of ['connecting', 'region', 'connectNetwork', 'provisioningFailed', 'mfa', 'stopped', 'reset'].entries()) {
  const { url, child } = await startMock('--start', name);
  const page = await newPage();
  await page.goto(url);
  await page.locator(`.screen-${name}`).waitFor();
  await shot(page, `3${i}-${name}`);
  await page.close();
  child.kill();
}

await browser.close();
const expected = (p) => /ERR_CONNECTION_REFUSED|ERR_INCOMPLETE_CHUNKED_ENCODING|Failed to load resource/.test(p);
for (const p of problems) console.log(expected(p) ? `(expected) ${p}` : `PROBLEM ${p}`);
console.log(`screenshots in ${out}`);
