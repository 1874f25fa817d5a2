/**
 * The hub as a package: `npm pack` of the root gives a tarball with the built hub, the catalogue
 * and @api-hub/sdk bundled (it is on no registry), and nothing of the sources or tests. Installed
 * in a new project, its `api-hub` binary runs: --help, a mock provider, and conformance of that
 * mock; `api-hub types` works with the optional json-schema-to-typescript and says what to
 * install without it. Dependencies come from the npm cache where it has them (--prefer-offline),
 * and install scripts are skipped: nothing here opens SQLite, whose native build would need them.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningSecret } from '../src/relay/signing.js';
import { PROJECT_ROOT } from './support/process.js';

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
