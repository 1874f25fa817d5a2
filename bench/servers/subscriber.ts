/**
 * The subscriber of the publish & subscribe benchmark: answers every delivery (any POST outside
 * `/_bench/`) 200 `{}` (or SUBSCRIBER_STATUS, e.g. 204 and no body) as soon as its body has arrived, and notes when it came (wall-clock ms with
 * sub-millisecond precision, comparable across processes of one machine), the event id from
 * `context.eventId` and the path (one per subscriber app in the fan-out). It checks no signature,
 * so the numbers measure the hub.
 *
 *   GET  /_bench/stats                          { received }
 *   GET  /_bench/receipts                       { receipts: [[eventId, atMs], …] }
 *   GET  /_bench/wait?event=ID&count=N&timeoutMs=T
 *        answers once N deliveries of event ID came (or at the timeout): { count, paths, firstAt, lastAt }
 *   POST /_bench/reset                          forgets everything received
 */
import { createServer, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { serve } from './child.js';

const now = () => performance.timeOrigin + performance.now();
const OK = Buffer.from('{}');
const STATUS = Number(process.env.SUBSCRIBER_STATUS ?? 200);
const EVENT_ID = /"eventId":"([^"]+)"/;

interface PerEvent {
  count: number;
  paths: Set<string>;
  firstAt: number;
  lastAt: number;
}

let received = 0;
let receipts: Array<[string, number]> = [];
let perEvent = new Map<string, PerEvent>();
/** Waiters of `/_bench/wait`, by event id. */
const waiters = new Map<string, Array<{ count: number; done: () => void }>>();

function record(eventId: string, path: string, at: number): void {
  received++;
  receipts.push([eventId, at]);
  let entry = perEvent.get(eventId);
  if (entry === undefined) {
    entry = { count: 0, paths: new Set(), firstAt: at, lastAt: at };
    perEvent.set(eventId, entry);
  }
  entry.count++;
  entry.paths.add(path);
  entry.lastAt = at;
  const waiting = waiters.get(eventId);
  if (waiting === undefined) return;
  for (const waiter of waiting.filter((w) => entry.paths.size >= w.count)) waiter.done();
}

function sendJson(res: ServerResponse, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function summary(eventId: string) {
  const entry = perEvent.get(eventId);
  return { count: entry?.count ?? 0, paths: entry?.paths.size ?? 0, firstAt: entry?.firstAt ?? null, lastAt: entry?.lastAt ?? null };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.startsWith('/_bench/')) {
    req.resume();
    if (url.pathname === '/_bench/stats') return sendJson(res, { received });
    if (url.pathname === '/_bench/receipts') return sendJson(res, { receipts });
    if (url.pathname === '/_bench/reset') {
      received = 0;
      receipts = [];
      perEvent = new Map();
      return sendJson(res, { received });
    }
    if (url.pathname === '/_bench/wait') {
      const eventId = url.searchParams.get('event') ?? '';
      const count = Number(url.searchParams.get('count') ?? 1);
      const timeoutMs = Number(url.searchParams.get('timeoutMs') ?? 30_000);
      if ((perEvent.get(eventId)?.paths.size ?? 0) >= count) return sendJson(res, summary(eventId));
      const list = waiters.get(eventId) ?? [];
      waiters.set(eventId, list);
      const waiter = {
        count,
        done: () => {
          clearTimeout(timer);
          list.splice(list.indexOf(waiter), 1);
          if (list.length === 0) waiters.delete(eventId);
          sendJson(res, summary(eventId));
        },
      };
      const timer = setTimeout(() => waiter.done(), timeoutMs);
      list.push(waiter);
      return;
    }
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = now();
    if (STATUS === 204) res.writeHead(204).end();
    else res.writeHead(STATUS, { 'content-type': 'application/json', 'content-length': OK.length }).end(OK);
    // The envelope starts with the context, so the id is found without parsing the whole body.
    const match = EVENT_ID.exec(Buffer.concat(chunks).toString('utf8', 0, 2048));
    record(match?.[1] ?? '', url.pathname, at);
  });
});
serve(server);
