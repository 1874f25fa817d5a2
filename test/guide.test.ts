/**
 * docs/build-a-provider.md, run as written: its `sh` blocks in one bash shell, its `// file:`
 * blocks written to the folder they name, in an empty temporary folder, with `API_HUB_REPO` set to
 * this checkout. One substitution only, because tests run side by side: free ports instead of
 * 8080 and 4001. The guide's prerequisite (the clone installed and built) is this checkout, built
 * as `npm start` builds it when a source is newer than the build. Prints the wall time of the
 * guide's commands.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/port.js';
import { PROJECT_ROOT } from './support/process.js';

const GUIDE = readFileSync(join(PROJECT_ROOT, 'docs/build-a-provider.md'), 'utf8');

type Block = { kind: 'sh'; text: string } | { kind: 'file'; name: string; text: string };

/** The guide's code blocks, in order: shell commands, or files (first line `// file: name`). */
function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].flatMap(([, lang, text]): Block[] => {
    const file = /^\/\/ file: (\S+)\n/.exec(text!);
    if (file) return [{ kind: 'file' as const, name: file[1]!, text: text! }];
    return lang === 'sh' ? [{ kind: 'sh' as const, text: text! }] : [];
  });
}

describe('docs/build-a-provider.md', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guide-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes an empty folder to a conformant provider called through the hub', async () => {
    // The clone, built: the SDK's dist/ (which `npm run build` makes) and the hub's.
    expect(spawnSync('npm', ['run', 'build', '--silent', '-w', 'packages/sdk'], { cwd: PROJECT_ROOT }).status).toBe(0);
    expect(spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-stale.mjs')], { cwd: PROJECT_ROOT }).status).toBe(0);

    const [hubPort, providerPort] = [await freePort(), await freePort()];
    const ports = (text: string) => text.replaceAll('8080', String(hubPort)).replaceAll('4001', String(providerPort));
    let script = 'set -euo pipefail\n';
    let sh = 0;
    for (const block of blocks(GUIDE)) {
      if (block.kind === 'file') {
        // Files are written where the shell is at that point of the guide.
        script += `cat > ${block.name} <<'GUIDE_FILE'\n${ports(block.text)}GUIDE_FILE\n`;
      } else {
        sh++;
        script += `echo "--- block ${sh}"\n${ports(block.text)}`;
      }
    }
    expect(sh).toBe(8);
    const started = performance.now();
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      // In a process group of its own: what the guide starts in the background (the hub, the
      // provider) is stopped with the shell, as closing a terminal would.
      const child = spawn('bash', ['-c', script], {
        cwd: dir,
        detached: true,
        env: { ...process.env, API_HUB_REPO: PROJECT_ROOT, NO_COLOR: '1' },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.once('exit', (code) => {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // The group is gone already.
        }
        resolve({ code, out });
      });
    });
    console.log(`the guide's commands ran in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(run.out).toContain('All 8 checks passed.');
    expect(run.out).toContain('"summary": "School calendar of Carla Mendes"');
    expect(run.out.trimEnd().split('\n').at(-1)).toBe('School calendar of Carla Mendes');
    expect(run.code, run.out).toBe(0);
  }, 120_000);
});
