/**
 * The hub as a real child process (`node --import tsx src/main.ts`) on a real SQLite file and a
 * real port, driven over HTTP; killed for sure by `stopAll()` whatever the test did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { sendTo, type Answer } from './hub.js';
import { freePort } from './port.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HubProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Settles when the process has exited. */
  exited: Promise<Exit>;
  /** The last output of the process (stdout and stderr), for failure messages. */
  output(): string;
  send(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<Answer>;
  admin(method: string, path: string, body?: unknown): Promise<Answer>;
}

const live = new Set<HubProcess>();

/** Starts the hub on `file:<dir>/hub.db` and waits until `/readyz` answers 200. */
export async function spawnHub(dir: string, adminToken: string, env: Record<string, string> = {}): Promise<HubProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: `file:${join(dir, 'hub.db')}`,
      HUB_ADMIN_TOKEN: adminToken,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<Exit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const dispatcher = new Agent({ connections: 32 });
  const proc: HubProcess = {
    child,
    url,
    port,
    exited,
    output: () => output,
    send: (method, path, options) => sendTo(url, method, path, options, dispatcher),
    admin: (method, path, body) => sendTo(url, method, `/v1/admin${path}`, { headers: { authorization: `Bearer ${adminToken}` }, body }, dispatcher),
  };
  live.add(proc);
  void exited.then(() => {
    live.delete(proc);
    void dispatcher.destroy().catch(() => undefined);
  });

  const deadline = Date.now() + 20_000;
  let gone: Exit | undefined;
  void exited.then((exit) => (gone = exit));
  for (;;) {
    if (gone) throw new Error(`the hub exited before it was ready (${JSON.stringify(gone)}):\n${output}`);
    try {
      if ((await proc.send('GET', '/readyz')).status === 200) return proc;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the hub was not ready within 20 s:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** SIGKILLs every hub process still running and waits for each to be gone. */
export async function stopAll(): Promise<void> {
  const running = [...live];
  for (const proc of running) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  }
  await Promise.all(running.map((proc) => proc.exited));
}
