/**
 * The README's walk-throughs work as pasted: the sh blocks under "Walk-through with curl" and
 * "Walk-through: publish & subscribe" run in one bash, from the project root, against a fresh data
 * folder and free ports (set through the variables the README gives defaults to). Every process
 * they start in the background is stopped with their process group.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradeBooksFor } from '../examples/erp-provider.js';
import { freePort } from './support/port.js';
import { PROJECT_ROOT } from './support/process.js';
import { until } from './support/wait.js';

/** The first ```sh block after the heading `heading` of README.md. */
function shBlockAfter(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const block = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (block === null) throw new Error(`no sh block after "${heading}"`);
  return block[1]!;
}

const dir = mkdtempSync(join(tmpdir(), 'hub-readme-'));
let groupLeader: number | undefined;

afterAll(() => {
  if (groupLeader !== undefined) {
    try {
      process.kill(-groupLeader, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('README walk-throughs', () => {
  it('request & respond, then publish & subscribe, run as pasted', async () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const script = [shBlockAfter(readme, '## Walk-through with curl'), shBlockAfter(readme, '### Walk-through: publish & subscribe')].join('\n');
    const [port, erpPort, subscriberPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      ERP_PORT: String(erpPort),
      SUBSCRIBER_PORT: String(subscriberPort),
      DATABASE_URL: `file:${join(dir, 'hub.db')}`,
    };
    delete env.HUB_ADMIN_TOKEN;
    delete env.LOG_LEVEL;
    // Its own process group, so that the hub, the ERP and the subscriber it leaves running can be stopped together.
    const bash = spawn('bash', ['-c', script], { cwd: PROJECT_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groupLeader = bash.pid;
    let output = '';
    bash.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    bash.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((done) => bash.once('exit', done));
    expect(code, output).toBe(0);
    // The subscriber prints what it pulled after acknowledging the delivery: wait for its lines.
    await until(() => (output.match(/→ in /g) ?? []).length === 3, 15_000, `the subscriber's entrances in:\n${output}`);

    const lines = output.split('\n');
    const json = (prefix: string) => {
      const line = lines.find((l) => l.startsWith(prefix));
      if (line === undefined) throw new Error(`no line starting with ${prefix} in:\n${output}`);
      return JSON.parse(line);
    };
    expect(output).not.toMatch(/curl: \(\d+\)|is not answering|"type":"[A-Za-z]+","name"/);

    // Request & respond: discover, the call's answer, and the audit line of the call.
    expect(json('[{"id":')).toEqual([{ id: 'erp-modelo', displayName: 'ERP Modelo', icon: null, versions: [1] }]);
    expect(json('{"data":')).toEqual({ data: gradeBooksFor({ id: 'u-1', name: 'Carla Mendes', alias: 'carla.mendes' }) });
    expect(json('{"items":').items).toEqual([
      expect.objectContaining({
        communityId: 'escola-modelo',
        consumer: 'student-viewer',
        provider: 'erp-modelo',
        action: '@layers:education:GradeBooks:getRelated',
        version: 1,
        status: 200,
        outcome: 'ok',
        providerStatus: 200,
      }),
    ]);

    // Publish & subscribe: the 201's id, the event delivered once, and the entrances pulled.
    const published = json('{"id":"evt_');
    expect(Object.keys(published)).toEqual(['id']);
    const event = json('{"seq":');
    expect(event).toMatchObject({
      id: published.id,
      action: '@layers:education:Entrance:created',
      publisher: 'erp-modelo',
      idempotencyKey: 'gate-morning-1',
      data: { ids: ['ent-1', 'ent-2', 'ent-3'] },
    });
    expect(event.deliveries).toEqual([expect.objectContaining({ appId: 'gate-monitor', status: 'delivered', attempts: 1 })]);
    const pulled = lines.filter((l) => l.includes('→ in ')).map((l) => l.replace(/^\S+ /, ''));
    expect(pulled).toEqual(['→ in  Lucas Mendes (Portão principal)', '→ in  Marina Mendes (Portão principal)', '→ in  Carla Mendes (Portão principal)']);
  }, 180_000);
});
