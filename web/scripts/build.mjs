#!/usr/bin/env node
/**
 * Builds the two web apps (the reference and the console) with Vite, one build each, into
 * web/dist/<app>/ with base /<app>/, so each app's initial JavaScript is its own. Then writes a
 * .gz and a .br beside every asset and the HTML (the hub sends them precompressed) and prints
 * each app's budget: the gzipped size of the JavaScript its index.html loads at once (its entry
 * chunk and the chunks it preloads), which must stay under 250 KB; over budget fails the build.
 */
import process from 'node:process';
import console from 'node:console';
import { build } from 'vite';
import preact from '@preact/preset-vite';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { precompress } from '../../scripts/precompress.mjs';

export const APPS = ['reference', 'console'];
export const BUDGET_BYTES = 250 * 1024;
const web = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--out <dir>` builds elsewhere (the browser tests each build their own copy).
const outAt = process.argv.indexOf('--out');
const dist = outAt > 0 ? process.argv[outAt + 1] : join(web, 'dist');

/** The gzipped bytes of the scripts an index.html loads before anything else. */
export function initialJsGzipBytes(appDir) {
  const html = readFileSync(join(appDir, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
  return scripts.reduce((sum, src) => sum + gzipSync(readFileSync(join(appDir, 'assets', src.split('/').pop()))).length, 0);
}

const quiet = process.argv.includes('--quiet');
rmSync(dist, { recursive: true, force: true });
for (const app of APPS) {
  await build({
    configFile: false,
    root: join(web, 'src', app),
    base: `/${app}/`,
    logLevel: quiet ? 'warn' : 'info',
    plugins: [preact()],
    build: { outDir: join(dist, app), emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false }, assetsInlineLimit: 0 },
  });
}
precompress(dist);
let over = false;
const report = {};
for (const app of APPS) {
  const bytes = initialJsGzipBytes(join(dist, app));
  report[app] = bytes;
  over ||= bytes > BUDGET_BYTES;
  console.log(`web budget: ${app} initial JS ${(bytes / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`);
}
writeFileSync(join(dist, 'budget.json'), `${JSON.stringify(report)}\n`);
if (over) {
  console.error('web budget: over budget');
  process.exit(1);
}
