#!/usr/bin/env node
/**
 * `npm start`'s prestart: compiles src/ into dist/ only when a source (or a tsconfig) is newer than
 * the last successful build, so starting an unchanged hub does not pay for a full tsc run; then
 * does the same for the web pages (web/src → web/dist, by web/scripts/build.mjs), when the project
 * has them. A stamp file written after a build succeeds marks that build: a failed build leaves no
 * stamp, so the next start tries again instead of running half-emitted output; a build whose entry
 * point (dist/src/main.js, web/dist/console/index.html) was deleted is redone. The catalogue
 * (catalog/) is read at run time, not compiled, so it does not count.
 *
 * With `--always` (what `npm run build` runs) both are built whatever the dates, and stamped, so
 * the `npm start` after an `npm run build` does not build them again.
 */
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const always = process.argv.includes('--always');

/** The newest modification time under `path` (a file or a folder, walked recursively). */
function newestMtime(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stats.mtimeMs);
}

function stampMtime(stamp) {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return -1;
  }
}

/** Runs `args` with node when an input is newer than `stamp` or `entryPoint` is missing (or
 * always, with `--always`), then stamps the build. */
function buildIfStale({ stamp, entryPoint, inputs, args }) {
  const builtAt = stampMtime(stamp);
  if (!always && builtAt >= 0 && existsSync(entryPoint) && inputs.every((input) => !existsSync(input) || newestMtime(input) <= builtAt)) return;
  const startedAt = new Date();
  const build = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  mkdirSync(dirname(stamp), { recursive: true });
  // Stamped with the build's start: a source saved while it ran is newer, so the next start rebuilds.
  writeFileSync(stamp, `${startedAt.toISOString()}\n`);
  utimesSync(stamp, startedAt, startedAt);
}

buildIfStale({
  stamp: join(root, 'dist', '.build-stamp'),
  entryPoint: join(root, 'dist', 'src', 'main.js'),
  inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((name) => join(root, name)),
  args: [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
});

const webBuild = join(root, 'web', 'scripts', 'build.mjs');
if (existsSync(webBuild)) {
  buildIfStale({
    stamp: join(root, 'web', 'dist', '.build-stamp'),
    entryPoint: join(root, 'web', 'dist', 'console', 'index.html'),
    inputs: ['src', 'scripts', 'package.json', 'tsconfig.json'].map((name) => join(root, 'web', name)),
    // `npm run build` shows the web build's report (sizes, budgets); a start does not.
    args: always ? [webBuild] : [webBuild, '--quiet'],
  });
}
