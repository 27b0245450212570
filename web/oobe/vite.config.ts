// Builds the OOBE page into OOBE_OUT_DIR (default web/oobe/dist): index.html, assets/*.js and
// assets/*.css, which groundcrew-agent embeds. One JS file and one CSS file, no inline script (the
// agent may serve a strict Content-Security-Policy), nothing fetched from the internet.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = process.env.OOBE_OUT_DIR ? resolve(process.env.OOBE_OUT_DIR) : resolve(here, 'dist');

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
