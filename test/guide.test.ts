/**
 * docs/build-a-provider.md, run as written: its `sh` blocks in one bash shell, its `// file:`
 * blocks written to the folder they name, in an empty temporary folder. Two substitutions only,
 * because a test cannot do otherwise: free ports instead of 8080 and 4001, and `npm init` /
 * `npm install @api-hub/sdk` (which would need the registry) replaced by a link to this
 * repository's SDK; `api-hub` is this repository's binary.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    const [hubPort, providerPort] = [await freePort(), await freePort()];
    const ports = (text: string) => text.replaceAll('8080', String(hubPort)).replaceAll('4001', String(providerPort));
    // `api-hub` on the PATH: this repository's binary.
    const bin = join(dir, '.bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'api-hub'),
      `#!/bin/sh\nexec "${process.execPath}" --import "${join(PROJECT_ROOT, 'node_modules/tsx/dist/esm/index.mjs')}" "${join(PROJECT_ROOT, 'src/main.ts')}" "$@"\n`,
    );
    chmodSync(join(bin, 'api-hub'), 0o755);
    const linkSdk = `mkdir -p node_modules/@api-hub && ln -s "${join(PROJECT_ROOT, 'packages/sdk')}" node_modules/@api-hub/sdk`;

    let script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n";
    let sh = 0;
    for (const block of blocks(GUIDE)) {
      if (block.kind === 'file') {
        // Files are written where the shell is at that point of the guide.
        script += `cat > ${block.name} <<'GUIDE_FILE'\n${ports(block.text)}GUIDE_FILE\n`;
      } else {
        sh++;
        const text = ports(block.text)
          .replace(/^npm init -y.*\n/m, '')
          .replace(/^npm install @api-hub\/sdk\n/m, `${linkSdk}\n`);
        script += `echo "--- block ${sh}"\n${text}`;
      }
    }
    expect(sh).toBe(7);
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('bash', ['-c', script], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.once('close', (code) => resolve({ code, out }));
    });
    expect(run.out).toContain('All 8 checks passed.');
    expect(run.out).toContain('"summary": "School calendar of Carla Mendes"');
    expect(run.out.trimEnd().split('\n').at(-1)).toBe('School calendar of Carla Mendes');
    expect(run.code, run.out).toBe(0);
  });
});
