// Builds the admin's console into CONSOLE_OUT_DIR (default web/console/dist): index.html,
// assets/*.js and assets/*.css with hashed names, which groundcrewd embeds and serves under a
// strict Content-Security-Policy (default-src 'self'): one JS file and one CSS file, no inline
// script or style, nothing fetched from the internet.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = process.env.CONSOLE_OUT_DIR ? resolve(process.env.CONSOLE_OUT_DIR) : resolve(here, 'dist');

export default defineConfig({
  root: here,
  base: '/',
  plugins: [preact({ devToolsInProd: false, prefreshEnabled: false })],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2020',
    reportCompressedSize: true,
    rollupOptions: { output: { inlineDynamicImports: true } },
  },
});
