/**
 * The baseline of the publish & subscribe benchmark: the least an endpoint that acknowledges events
 * durably must do, and nothing else. Fastify; the body checked with Ajv 2020 (same options as the
 * hub); one SQLite row per event in WAL mode, the rows of one turn of the event loop in one
 * transaction, and the 201 sent only after an fsync of the WAL (the hub's own WalSync). No auth,
 * community, registry, idempotency, fan-out, delivery, metrics or logs.
 *
 * Environment: DATA_SCHEMA (JSON Schema of the event data), PORT (default: a free one).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { WalSync } from '../src/store/sqlite/wal-sync.js';
import { serveFastify } from './servers/child.js';

const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(process.env.DATA_SCHEMA ?? '{}') as object);

const dir = mkdtempSync(join(tmpdir(), 'api-hub-bench-append-'));
const path = join(dir, 'events.db');
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE events (id TEXT PRIMARY KEY, action TEXT NOT NULL, data TEXT, created_at INTEGER NOT NULL) STRICT');
const insert = db.prepare('INSERT INTO events (id, action, data, created_at) VALUES (?, ?, ?, ?)');
const walSync = new WalSync(`${path}-wal`);

type Row = [id: string, action: string, data: string, createdAt: number];
let queue: Row[] = [];
let waiting: Array<() => void> = [];
const insertAll = db.transaction((batch: Row[]) => {
  for (const row of batch) insert.run(...row);
});

/** Commits what arrived in this turn of the loop in one transaction, then waits for the fsync. */
function append(row: Row): Promise<void> {
  if (queue.length === 0) {
    setImmediate(() => {
      const batch = queue;
      const done = waiting;
      queue = [];
      waiting = [];
      insertAll.immediate(batch);
      void walSync.sync().then(() => {
        for (const resolve of done) resolve();
      });
    });
  }
  queue.push(row);
  return new Promise((resolve) => waiting.push(resolve));
}

const app = Fastify({ logger: false });
app.post<{ Params: { action: string } }>('/v1/services/publish/:action', async (req, reply) => {
  const data = req.body ?? null;
  if (!validate(data)) return reply.code(400).send({ error: 'invalid body', details: validate.errors });
  const id = randomUUID();
  await append([id, req.params.action, JSON.stringify(data), Date.now()]);
  return reply.code(201).send({ id });
});

await serveFastify(app, async () => {
  await walSync.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
