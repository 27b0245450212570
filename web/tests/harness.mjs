// What the browser tests share: the real binaries started and tracked, an authenticator's codes,
// Debian's Chromium, and tests that photograph their pages when they fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

/// Starts `program` with `env`, its output kept in `child.output`, tracked in `processes` until
/// it exits (`child.exited` resolves with its exit code).
export function spawnTracked(processes, program, args, env) {
  const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (chunk) => (child.output += chunk));
  child.stderr.on('data', (chunk) => (child.output += chunk));
  child.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  processes.add(child);
  child.exited.then(() => processes.delete(child));
  return child;
}

/// `groundcrew init` in WORK/var and groundcrewd on a loopback port of its choosing, started by
/// `run(file, args)`; resolves with its address and the first admin credential's token.
export async function startGroundcrewd(bin, work, run) {
  const init = execFileSync(path.join(bin, 'groundcrew'), [
    'init', '--data-dir', path.join(work, 'var'), '--organization', 'Contoso', '--domain', 'contoso.com',
  ], { encoding: 'utf8' });
  const token = init.match(/gcadm_[A-Za-z0-9_-]+/)[0];
  const portFile = path.join(work, 'port');
  const daemon = run('groundcrewd', [
    '--data-dir', path.join(work, 'var'), '--listen', '127.0.0.1:0', '--port-file', portFile,
  ]);
  for (let i = 0; i < 200 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(fs.existsSync(portFile), `groundcrewd did not start: ${daemon.output}`);
  return { server: `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`, token };
}

/// RFC 6238 with SHA-1, 30 s steps, 6 digits: what an authenticator app computes at `now`.
export function totp(base32Secret, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32Secret.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/// Debian's Chromium (CHROMIUM overrides /usr/bin/chromium), headless, offline.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A test whose open `pages` are photographed (ARTIFACTS/failed-N.png) and whose running
/// `processes`' output is saved (failed-N.log) when it fails, to see what the person saw.
export function photographedTest(name, body, { pages, processes, artifacts }) {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      let n = 0;
      for (const page of pages) {
        await page.screenshot({ path: path.join(artifacts, `failed-${++n}.png`), fullPage: true }).catch(() => {});
      }
      n = 0;
      for (const child of processes) fs.writeFileSync(path.join(artifacts, `failed-${++n}.log`), child.output);
      throw error;
    }
  });
}
