/**
 * The hub as a package: `npm pack` of the root gives a tarball with the built hub, its web pages,
 * the catalogue and @api-hub/sdk bundled (it is on no registry), and nothing of the sources or tests. Installed
 * in a new project, its `api-hub` binary runs: --help, a mock provider, and conformance of that
 * mock; `api-hub types` works with the optional json-schema-to-typescript and says what to
 * install without it. Started with its own entry point, the installed hub serves the web pages it
 * ships (`/console/`, `/reference/`). Dependencies come from the npm cache where it has them
 * (--prefer-offline), and install scripts are skipped: the native build of better-sqlite3 they
 * would do is the checkout's, linked in its place.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningSecret } from '../src/relay/signing.js';
import { freePort } from './support/port.js';
import { PROJECT_ROOT } from './support/process.js';
import { until } from './support/wait.js';

const run = promisify(execFile);
const CALENDAR = '@layers:Calendar:getRelated';

/** A command's exit code and output, whatever the code. */
async function exec(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(file, args, { cwd, env: { ...process.env, NO_COLOR: '1' } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('npm pack of the hub', () => {
  const work = mkdtempSync(join(tmpdir(), 'hub-pack-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs in a new project, where api-hub runs its subcommands', async () => {
    // Built as `npm pack`'s prepack builds it (`npm run build`), without redoing an up-to-date build.
    await run('npm', ['run', 'build', '--silent', '-w', 'packages/sdk'], { cwd: PROJECT_ROOT });
    await run(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-stale.mjs')], { cwd: PROJECT_ROOT });
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: PROJECT_ROOT });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; bundled: string[]; files: Array<{ path: string }> }>;
    const paths = packed!.files.map((file) => file.path);
    expect(packed!.bundled).toEqual(['@api-hub/sdk']);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/src/main.js',
        'catalog/layers/Calendar.getRelated.v1.json',
        'node_modules/@api-hub/sdk/dist/index.js',
        'web/dist/console/index.html',
        'web/dist/reference/index.html',
      ]),
    );
    expect(paths.filter((path) => !/^(dist\/src\/|catalog\/|web\/dist\/(reference|console)\/|node_modules\/@api-hub\/sdk\/)/.test(path)).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(work, packed!.filename)], { cwd: app });
    const bin = join(app, 'node_modules/.bin/api-hub');

    const help = await exec(bin, ['--help'], app);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: api-hub \[subcommand\] \[options\]\n/);

    // A mock provider from the package, and the package's conformance of it.
    const signingSecret = generateSigningSecret();
    const mock = spawn(bin, ['mock', '--action', CALENDAR, '--port', '0', '--signing-secret', signingSecret, '--json'], { cwd: app });
    try {
      const started = await new Promise<{ listening: string }>((resolve, reject) => {
        let out = '';
        mock.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { listening: string });
        });
        mock.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
        mock.once('exit', () => reject(new Error(`api-hub mock exited:\n${out}`)));
      });
      const conformance = await exec(
        bin,
        ['conformance', '--action', CALENDAR, '--url', `${started.listening}/calendar`, '--signing-secret', signingSecret],
        app,
      );
      expect(conformance.stderr).toBe('');
      expect(conformance.stdout).toContain('All 8 checks passed.');
      expect(conformance.code).toBe(0);
    } finally {
      mock.kill('SIGTERM');
    }

    // The hub itself, from the package's entry point, on a SQLite file: the pages it ships.
    const installed = join(app, 'node_modules/api-hub');
    rmSync(join(app, 'node_modules/better-sqlite3'), { recursive: true, force: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules/better-sqlite3'), join(app, 'node_modules/better-sqlite3'), 'dir');
    const port = await freePort();
    let hubOutput = '';
    const hub = spawn(process.execPath, [join(installed, 'dist/src/main.js')], {
      cwd: app,
      env: {
        ...process.env,
        DATABASE_URL: `file:${join(work, 'hub.db')}`,
        HUB_ADMIN_TOKEN: 'hub-package-test-admin-token',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
    });
    hub.stdout.on('data', (chunk: Buffer) => (hubOutput += chunk.toString('utf8')));
    hub.stderr.on('data', (chunk: Buffer) => (hubOutput += chunk.toString('utf8')));
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(
        async () => {
          if (hub.exitCode !== null) throw new Error(`the installed hub exited (${hub.exitCode})`);
          return fetch(`${base}/readyz`).then(
            (answer) => answer.ok,
            () => false,
          );
        },
        20_000,
        'the installed hub ready',
      ).catch((err: Error) => {
        throw new Error(`${err.message}:\n${hubOutput}`);
      });
      for (const page of ['console', 'reference']) {
        const answer = await fetch(`${base}/${page}/`);
        expect([page, answer.status, answer.headers.get('content-type')]).toEqual([page, 200, 'text/html; charset=utf-8']);
        expect(await answer.text()).toBe(readFileSync(join(installed, 'web/dist', page, 'index.html'), 'utf8'));
      }
    } finally {
      // Stopped before afterAll removes its database.
      if (hub.exitCode === null && hub.signalCode === null) {
        const exited = new Promise((done) => hub.once('exit', done));
        hub.kill('SIGTERM');
        await exited;
      }
    }

    const types = await exec(bin, ['types'], app);
    expect(types.code).toBe(0);
    expect(types.stdout).toContain('export type BuiltinActions = {');
    // Without the optional generator: what to install, exit 1.
    rmSync(join(app, 'node_modules/json-schema-to-typescript'), { recursive: true, force: true });
    expect(await exec(bin, ['types'], app)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'api-hub: json-schema-to-typescript is not installed; api-hub types needs it (an optional dependency): npm install json-schema-to-typescript\n',
    });
  }, 180_000);
});
