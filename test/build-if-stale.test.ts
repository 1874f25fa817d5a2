/**
 * `npm start`'s prestart (scripts/build-if-stale.mjs) compiles only when a source is newer than the
 * last successful build (the hub, then the web pages), and a failed build is tried again on the
 * next start. Run on a small project in a temporary folder, with this project's TypeScript.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'build-if-stale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** What the test project's src/other.ts compiles to. */
const built = join(dir, 'dist', 'src', 'other.js');

/** Runs the script as `npm start`'s prestart does, or, with `--always`, as `npm run build` does. */
async function prestart(...flags: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(dir, 'scripts', 'build-if-stale.mjs'), ...flags], {
      cwd: dir,
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

/** Writes src/other.ts dated `secondsFromNow` from now (mtimes decide, so the test sets them). */
function writeSource(text: string, secondsFromNow: number): void {
  const file = join(dir, 'src', 'other.ts');
  writeFileSync(file, text);
  const at = new Date(Date.now() + secondsFromNow * 1000);
  utimesSync(file, at, at);
}

describe('scripts/build-if-stale.mjs', () => {
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src'));
  copyFileSync(join(PROJECT_ROOT, 'scripts', 'build-if-stale.mjs'), join(dir, 'scripts', 'build-if-stale.mjs'));
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, outDir: 'dist', rootDir: '.', types: [] } }),
  );
  writeFileSync(join(dir, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src'] }));
  writeFileSync(join(dir, 'src', 'main.ts'), 'export {};\n');
  utimesSync(join(dir, 'src', 'main.ts'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const entryPoint = join(dir, 'dist', 'src', 'main.js');

  it('builds when there is no build, then not again until a source changes', async () => {
    writeSource('export const answer: number = 42;\n', -60);
    expect(await prestart()).toEqual({ code: 0, output: '' });
    expect(existsSync(built)).toBe(true);

    // Unchanged sources: nothing is compiled (the removed output stays removed).
    rmSync(built);
    expect(await prestart()).toEqual({ code: 0, output: '' });
    expect(existsSync(built)).toBe(false);

    writeSource('export const answer: number = 43;\n', 60);
    expect((await prestart()).code).toBe(0);
    expect(existsSync(built)).toBe(true);
  }, 90_000);

  it('builds again when the entry point is gone, whatever the dates', async () => {
    rmSync(entryPoint);
    rmSync(built);
    expect(await prestart()).toEqual({ code: 0, output: '' });
    expect([existsSync(entryPoint), existsSync(built)]).toEqual([true, true]);
  }, 90_000);

  it('fails on a type error, and tries again on the next start', async () => {
    writeSource('export const answer: number = "not a number";\n', 120);
    const first = await prestart();
    expect(first.code).not.toBe(0);
    expect(first.output).toContain('TS2322');
    const again = await prestart();
    expect(again.code).not.toBe(0);
    expect(again.output).toContain('TS2322');
  }, 90_000);
});

describe('scripts/build-if-stale.mjs, the web pages', () => {
  // A stand-in for web/scripts/build.mjs: writes the entry point and says it ran.
  const web = join(dir, 'web');
  const webEntry = join(web, 'dist', 'console', 'index.html');
  const writeWebSource = (secondsFromNow: number) => {
    const file = join(web, 'src', 'main.tsx');
    writeFileSync(file, 'export {};\n');
    const at = new Date(Date.now() + secondsFromNow * 1000);
    utimesSync(file, at, at);
  };

  it('builds the web when it has no build, then only when a web source is newer', async () => {
    mkdirSync(join(web, 'scripts'), { recursive: true });
    mkdirSync(join(web, 'src'), { recursive: true });
    writeFileSync(
      join(web, 'scripts', 'build.mjs'),
      [
        "import { mkdirSync, writeFileSync } from 'node:fs';",
        "import { dirname, join } from 'node:path';",
        "import { fileURLToPath } from 'node:url';",
        "const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'console', 'index.html');",
        'mkdirSync(dirname(entry), { recursive: true });',
        "writeFileSync(entry, 'built');",
        "console.log('web built');",
      ].join('\n'),
    );
    utimesSync(join(web, 'scripts', 'build.mjs'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    writeWebSource(-60);
    // The test before left a type error: fixed (and built, silently) first.
    writeSource('export const answer: number = 44;\n', 180);
    expect(await prestart()).toEqual({ code: 0, output: 'web built\n' });
    expect(existsSync(webEntry)).toBe(true);
    expect(await prestart()).toEqual({ code: 0, output: '' });

    writeWebSource(60);
    expect(await prestart()).toEqual({ code: 0, output: 'web built\n' });
    rmSync(webEntry);
    expect(await prestart()).toEqual({ code: 0, output: 'web built\n' });
  }, 90_000);

  it('with --always (npm run build) builds both whatever the dates, and stamps them for the next start', async () => {
    // Sources just edited, newer than the last builds.
    writeSource('export const answer: number = 45;\n', 0);
    writeWebSource(0);
    expect(await prestart('--always')).toEqual({ code: 0, output: 'web built\n' });
    expect(existsSync(built)).toBe(true);

    // Both builds were stamped: the start after them builds nothing (the removed output stays removed).
    rmSync(built);
    expect(await prestart()).toEqual({ code: 0, output: '' });
    expect(existsSync(built)).toBe(false);

    // Nothing changed: built all the same.
    expect(await prestart('--always')).toEqual({ code: 0, output: 'web built\n' });
    expect(existsSync(built)).toBe(true);
  }, 90_000);
});
