/**
 * The web pages for the browser tests: each test file builds its own copy (web/scripts/build.mjs
 * --out, about 2 s) into a temporary folder, so files run in parallel never see another's build
 * half-written, and hands it to its hub as `webDir`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './process.js';

export interface WebBuild {
  dir: string;
  /** What the build printed (its budget lines). */
  output: string;
  /** Gzipped initial JavaScript per app, in bytes, as the build measured it. */
  budget: Record<'reference' | 'console', number>;
}

export async function buildWeb(): Promise<WebBuild> {
  const dir = join(mkdtempSync(join(tmpdir(), 'hub-web-')), 'dist');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'web', 'scripts', 'build.mjs'), '--quiet', '--out', dir], {
    cwd: PROJECT_ROOT,
    timeout: 90_000,
  });
  const budget = JSON.parse(readFileSync(join(dir, 'budget.json'), 'utf8')) as WebBuild['budget'];
  return { dir, output: stdout + stderr, budget };
}
