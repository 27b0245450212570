#!/usr/bin/env node
// Opens the console's main pages of a running groundcrewd in Debian's Chromium at 1280x800 and
// saves a screenshot of each, printing what the browser reported (page errors, failed requests):
// to look at the console while changing it (a dev tool, not a test).
//   node console/dev/shots.mjs http://127.0.0.1:PORT [OUT_DIR=/tmp/console-shots]
// Signs in with CONSOLE_NAME, CONSOLE_PASSWORD and CONSOLE_TOTP_SECRET (base32) when given;
// with GROUNDCREW_TOKEN instead, every request carries it as a bearer credential.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: node console/dev/shots.mjs http://127.0.0.1:PORT [OUT_DIR]');
  process.exit(2);
}
const out = process.argv[3] ?? '/tmp/console-shots';
mkdirSync(out, { recursive: true });

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret. */
function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({
  viewport: { width: 1280, height: 800 },
  extraHTTPHeaders: process.env.GROUNDCREW_TOKEN ? { Authorization: `Bearer ${process.env.GROUNDCREW_TOKEN}` } : {},
});
const page = await context.newPage();
page.on('pageerror', (error) => console.log(`  page error: ${error.message}`));
page.on('console', (message) => message.type() === 'error' && console.log(`  console: ${message.text()}`));

async function shot(name, path, wait = 700) {
  if (path) await page.goto(base + path);
  await page.waitForTimeout(wait);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  const heading = await page.locator('h1').first().textContent().catch(() => '?');
  const alerts = await page.getByRole('alert').allTextContents();
  console.log(`${name}: ${page.url()} "${heading}"${alerts.length ? ` alerts: ${alerts.join(' | ')}` : ''}`);
}

await shot('signin', '/signin');
if (process.env.CONSOLE_NAME) {
  await page.getByLabel('Name').fill(process.env.CONSOLE_NAME);
  await page.getByLabel('Password').fill(process.env.CONSOLE_PASSWORD ?? '');
  await page.getByLabel('Code').fill(totp(process.env.CONSOLE_TOTP_SECRET ?? ''));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}
await shot('dashboard', '/');
await shot('devices', '/devices');
const firstDevice = page.getByRole('table', { name: 'Devices' }).getByRole('link').first();
if (await firstDevice.count()) {
  await firstDevice.click();
  await shot('device', null, 1500);
}
await shot('import', '/import');
await shot('groups', '/groups');
const dynamicGroup = page.getByRole('link', { name: 'All Autopilot devices' });
if (await dynamicGroup.count()) {
  await dynamicGroup.click();
  await shot('group', null, 1000);
}
for (const kind of ['deploymentProfiles', 'espProfiles', 'apps', 'policies', 'compliancePolicies', 'assignments', 'users', 'audit', 'admins']) {
  await shot(kind, `/${kind}`);
}
for (const kind of ['policies', 'apps', 'users']) {
  await page.goto(`${base}/${kind}`);
  const first = page.locator('main table a').first();
  await first.waitFor({ timeout: 3000 }).catch(() => {});
  if (await first.count()) {
    await first.click();
    await shot(`${kind}-detail`, null, 1000);
  }
}
await browser.close();
