/**
 * A small school ERP acting as a provider app: it answers three request actions for the user named
 * in each call (their calendar, the grade books of their children, the charges they pay), with data
 * that is invented but deterministic (the same user always gets the same school life). It also keeps
 * the school gate's entrance records and answers `@layers:education:Entrance:getUpdatedAfter` with
 * those changed after a time, so subscribers of `Entrance:created` can pull what changed.
 *
 * Every request is authenticated twice, as the hub sends it: the Standard Webhooks signature over
 * the exact bytes received (`webhook-id`, `webhook-timestamp`, `webhook-signature`, checked with the
 * app's signing secret) and the legacy `secret` in the body. Either one wrong: 401.
 *
 * Run on its own: `ERP_SIGNING_SECRET=whsec_… ERP_SECRET=… ERP_PORT=4001 npx tsx examples/erp-provider.ts`
 * (the secrets come from `GET /v1/admin/apps/erp-modelo/secrets`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import type { Entrance } from './entrance-subscriber.js';

export const CALENDAR = '@layers:Calendar:getRelated';
export const GRADES = '@layers:education:GradeBooks:getRelated';
export const PAYABLES = '@layers:payments:Payables:getRelated';
export const ENTRANCES_UPDATED_AFTER = '@layers:education:Entrance:getUpdatedAfter';

/** The path the ERP serves each action on (what its manifest registers). */
export const ERP_PATHS: Record<string, string> = {
  [CALENDAR]: '/layers/calendar',
  [GRADES]: '/layers/grade-books',
  [PAYABLES]: '/layers/payables',
  [ENTRANCES_UPDATED_AFTER]: '/layers/entrances',
};

export interface User {
  id: string;
  name: string;
  alias: string;
}

export interface ErpSecrets {
  /** `whsec_…`: the app's Standard Webhooks signing secret. */
  signingSecret: string;
  /** The legacy secret the hub puts in each body. */
  secret: string;
}

export interface ErpProviderOptions extends Partial<ErpSecrets> {
  /** The gate's records to start with (default none). */
  entrances?: Entrance[];
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Called once per request handled, e.g. to print it. */
  onRequest?: (entry: { action?: string; status: number; consumer?: string; user?: string }) => void;
}

export interface ErpProvider {
  url: string;
  port: number;
  server: Server;
  /** Sets or replaces the secrets (e.g. once they are read from the hub, or after a rotation). */
  setSecrets(secrets: ErpSecrets): void;
  /** Records someone going through the gate now; getUpdatedAfter answers it from then on. */
  recordEntrance(person: Entrance['person'], direction: Entrance['direction']): Entrance;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The school's data, derived from the user so that each user gets a stable, plausible answer.
// ---------------------------------------------------------------------------------------------

const FIRST_NAMES = ['Lucas', 'Marina', 'Pedro', 'Beatriz', 'Gabriel', 'Julia', 'Rafael', 'Helena', 'Thiago', 'Laura'];
const COURSES = ['6th grade', '7th grade', '8th grade', '9th grade', '1st year (high school)'];
const SUBJECTS = [
  { label: 'Mathematics', abbr: 'MAT' },
  { label: 'Portuguese', abbr: 'POR' },
  { label: 'Science', abbr: 'SCI' },
  { label: 'History', abbr: 'HIS' },
  { label: 'Geography', abbr: 'GEO' },
  { label: 'English', abbr: 'ENG' },
];
const TERMS = [
  { label: 'First quarter', start: '02-05', end: '04-26' },
  { label: 'Second quarter', start: '05-06', end: '07-12' },
  { label: 'Third quarter', start: '08-05', end: '09-27' },
  { label: 'Fourth quarter', start: '10-07', end: '12-13' },
];

/** A small deterministic generator seeded by a string (mulberry32 over a hash of it). */
function seeded(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const termStatus = (start: string, end: string, today: string) => (today < start ? 'scheduled' : today > end ? 'ended' : 'current');

/** The students a user is responsible for: one or two children sharing the user's surname. */
export function studentsOf(user: User): { id: string; name: string; course: string }[] {
  const random = seeded(`students:${user.id}`);
  const surname = user.name.trim().split(/\s+/).slice(-1)[0] ?? 'Silva';
  const count = 1 + Math.floor(random() * 2);
  const students = [];
  for (let i = 0; i < count; i++) {
    const first = pick(random, FIRST_NAMES);
    students.push({ id: `st-${createHash('sha1').update(`${user.id}:${i}`).digest('hex').slice(0, 8)}`, name: `${first} ${surname}`, course: COURSES[(Math.floor(random() * COURSES.length) + i) % COURSES.length]! });
  }
  return students;
}

export interface GradeBookOptions {
  /** Students to include (default: all of the user's). */
  students?: number;
  /** Subjects per term (default 4). */
  subjects?: number;
  /** Today, for term statuses and which scores exist (default: now). */
  today?: Date;
}

/** `@layers:education:GradeBooks:getRelated` answer for a user. */
export function gradeBooksFor(user: User, options: GradeBookOptions = {}) {
  const today = isoDate(options.today ?? new Date());
  const year = today.slice(0, 4);
  const students = studentsOf(user).slice(0, options.students);
  return {
    result: students.map((student) => {
      const random = seeded(`grades:${student.id}`);
      const terms = TERMS.map((term) => {
        const startsAt = `${year}-${term.start}`;
        const endsAt = `${year}-${term.end}`;
        const status = termStatus(startsAt, endsAt, today);
        if (status === 'scheduled') return { label: term.label, startsAt, endsAt, status };
        const subjects = SUBJECTS.slice(0, options.subjects ?? 4).map((subject) => {
          const scores = [0, 1].map(() => Math.round((5 + random() * 5) * 2) / 2);
          const average = (scores[0]! + scores[1]!) / 2;
          return {
            label: subject.label,
            abbr: subject.abbr,
            activities: [
              { category: 'Tests', label: 'Test 1', date: startsAt.replace(/-\d\d$/, '-20'), scoreGiven: scores[0]!.toFixed(1), scoreMaximum: '10', scoreMood: scores[0]! >= 6 ? 'good' : 'bad' },
              { category: 'Homework', label: 'Project', scoreGiven: scores[1]!, scoreMaximum: 10 },
            ],
            overall: [{ type: 'partial_grade', label: 'Average', scoreGiven: average.toFixed(1), scoreMaximum: '10', scoreMood: average >= 6 ? 'good' : 'bad', featured: true }],
          };
        });
        return { label: term.label, startsAt, endsAt, status, subjects };
      });
      return {
        id: `gb-${year}-${student.id}`,
        season: year,
        student: student.name,
        course: student.course,
        status: 'current',
        terms,
        attachments: [{ title: 'Grading rules.pdf', type: 'file', url: 'https://erp-modelo.example/docs/grading-rules.pdf' }],
      };
    }),
  };
}

/** `@layers:Calendar:getRelated` answer: the school calendar and each child's class calendar. */
export function calendarFor(user: User, now: Date = new Date()) {
  const year = now.getUTCFullYear();
  const school = {
    id: `cal-${year}`,
    summary: `Academic calendar ${year}`,
    description: 'Holidays, tests and school events',
    timezone: 'America/Sao_Paulo',
    language: 'en',
    events: [
      { id: 'ev-start', summary: 'First day of school', start: `${year}-02-05`, end: `${year}-02-05`, category: 'School' },
      { id: 'ev-carnival', summary: 'Carnival break', start: `${year}-02-12`, end: `${year}-02-14`, category: 'Holiday' },
      { id: 'ev-parents-1', summary: 'Parents meeting', start: `${year}-03-09T09:00:00-03:00`, end: `${year}-03-09T11:00:00-03:00`, category: 'Meeting' },
      { id: 'ev-winter', summary: 'Winter break', start: `${year}-07-15`, end: `${year}-07-31`, category: 'Holiday' },
      { id: 'ev-fair', summary: 'Science fair', start: `${year}-09-14T08:00:00-03:00`, end: `${year}-09-14T13:00:00-03:00`, category: 'School' },
      { id: 'ev-end', summary: 'Last day of school', start: `${year}-12-13`, end: `${year}-12-13`, category: 'School' },
    ],
    categories: [
      { name: 'Holiday', color: 'aqua' },
      { name: 'Meeting', color: 'purple' },
      { name: 'School', color: 'success' },
    ],
  };
  const classes = studentsOf(user).map((student) => ({
    id: `cal-${year}-${student.id}`,
    summary: `${student.name} — ${student.course}`,
    timezone: 'America/Sao_Paulo',
    events: TERMS.map((term, i) => ({
      id: `ev-${student.id}-tests-${i + 1}`,
      summary: `${term.label} tests`,
      start: `${year}-${term.end.replace(/-\d\d$/, '-15')}`,
      end: `${year}-${term.end.replace(/-\d\d$/, '-19')}`,
      category: 'Tests',
    })),
    categories: [{ name: 'Tests', color: 'salmon' }],
  }));
  return { result: [school, ...classes] };
}

/** `@layers:payments:Payables:getRelated` answer: the year's monthly tuition of each child. */
export function payablesFor(user: User, now: Date = new Date()) {
  const today = isoDate(now);
  const year = now.getUTCFullYear();
  const random = seeded(`payables:${user.id}`);
  return {
    result: studentsOf(user).map((student, s) => {
      const tuition = 120_000 + Math.floor(random() * 8) * 10_000;
      const lateMonth = 2 + Math.floor(random() * 6);
      const payables = Array.from({ length: 12 }, (_, m) => {
        const month = String(m + 1).padStart(2, '0');
        const dueAt = `${year}-${month}-10`;
        const ref = `${year}${month}${String(s + 1).padStart(2, '0')}`;
        const past = dueAt < today;
        const late = past && m + 1 === lateMonth;
        const fine = late ? Math.round(tuition * 0.02) : 0;
        const status = !past ? (m === now.getUTCMonth() ? 'open' : 'pending') : late ? 'late' : 'paid';
        return {
          id: `ch-${student.id}-${month}`,
          alias: ref,
          installment: m + 1,
          description: `Tuition for ${new Date(Date.UTC(year, m, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' })} ${year}`,
          status,
          dueAt,
          ...(status === 'paid' && { paidAt: `${year}-${month}-0${1 + Math.floor(random() * 9)}` }),
          sentAt: isoDate(new Date(Date.UTC(year, m, -5))),
          centsPaid: status === 'paid' ? tuition : 0,
          centsTotal: tuition + fine,
          centsOriginal: tuition,
          boleto: { link: `https://bank.example/boleto/${ref}.pdf`, code: `23793381286${ref}0000300000000401`.padEnd(47, '0'), type: 'file' },
        };
      });
      return {
        id: `pg-${year}-${student.id}`,
        title: `${student.name} — tuition ${year}`,
        description: student.course,
        installments: 12,
        customer: { name: user.name, email: `${user.alias.replace(/[^A-Za-z0-9._-]/g, '') || 'guardian'}@families.example` },
        payables,
      };
    }),
  };
}

const MAIN_GATE = { id: 'gate-main', name: 'Main gate' };

/** The gate's first records of the morning, a few minutes before `now`. */
export function morningEntrances(now: Date = new Date()): Entrance[] {
  const people: Entrance['person'][] = [
    { id: 'st-0042', name: 'Lucas Mendes', role: 'student' },
    { id: 'st-0077', name: 'Marina Mendes', role: 'student' },
    { id: 'gd-0013', name: 'Carla Mendes', role: 'guardian' },
  ];
  return people.map((person, i) => {
    const at = new Date(now.getTime() - (people.length - i) * 60_000).toISOString();
    return { id: `ent-${i + 1}`, person, direction: 'in', occurredAt: at, gate: MAIN_GATE, createdAt: at, updatedAt: at };
  });
}

/** getUpdatedAfter's answer: the records changed after `after` (and among `ids`, when given), oldest change first. */
export function entrancesUpdatedAfter(entrances: readonly Entrance[], query: { after: string; limit: number; ids?: string[] }) {
  const after = Date.parse(query.after);
  return {
    result: entrances
      .filter((e) => Date.parse(e.updatedAt) > after && (query.ids === undefined || query.ids.includes(e.id)))
      .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt))
      .slice(0, query.limit),
  };
}

const ANSWERS: Record<string, (user: User) => unknown> = {
  [CALENDAR]: (user) => calendarFor(user),
  [GRADES]: (user) => gradeBooksFor(user),
  [PAYABLES]: (user) => payablesFor(user),
};

// ---------------------------------------------------------------------------------------------
// The HTTP side.
// ---------------------------------------------------------------------------------------------

const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

interface Envelope {
  context?: { action?: string; consumer?: string; community?: string };
  secret?: unknown;
  data?: { user?: Partial<User>; after?: unknown; limit?: unknown; ids?: unknown };
}

export async function startErpProvider(options: ErpProviderOptions = {}): Promise<ErpProvider> {
  let webhook: Webhook | undefined;
  let secret: string | undefined;
  const setSecrets = (secrets: ErpSecrets) => {
    webhook = new Webhook(secrets.signingSecret);
    secret = secrets.secret;
  };
  if (options.signingSecret !== undefined && options.secret !== undefined) {
    setSecrets({ signingSecret: options.signingSecret, secret: options.secret });
  }
  const actionsByPath = new Map(Object.entries(ERP_PATHS).map(([action, path]) => [path, action]));
  const entrances: Entrance[] = [...(options.entrances ?? [])];
  const recordEntrance = (person: Entrance['person'], direction: Entrance['direction']): Entrance => {
    // Strictly increasing update times, so a subscriber's cursor never skips a record.
    const last = entrances.reduce((max, e) => Math.max(max, Date.parse(e.updatedAt)), 0);
    const at = new Date(Math.max(Date.now(), last + 1)).toISOString();
    const entrance: Entrance = { id: `ent-${entrances.length + 1}`, person, direction, occurredAt: at, gate: MAIN_GATE, createdAt: at, updatedAt: at };
    entrances.push(entrance);
    return entrance;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ action?: string; status: number; consumer?: string; user?: string }> => {
    const action = actionsByPath.get((req.url ?? '').split('?')[0]!);
    if (action === undefined) {
      send(res, 404, { error: 'no such endpoint' });
      return { status: 404 };
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: 'use POST' });
      return { action, status: 405 };
    }
    const raw = await readBody(req);
    if (raw === null) {
      send(res, 413, { error: 'body too large' });
      return { action, status: 413 };
    }
    // 1. The signature, over the exact bytes received (fails closed until the secrets are set).
    let envelope: Envelope;
    try {
      if (webhook === undefined) throw new Error('no signing secret configured');
      envelope = webhook.verify(raw.toString('utf8'), {
        'webhook-id': header(req, 'webhook-id'),
        'webhook-timestamp': header(req, 'webhook-timestamp'),
        'webhook-signature': header(req, 'webhook-signature'),
      }) as Envelope;
    } catch {
      send(res, 401, { error: 'invalid or missing webhook signature' });
      return { action, status: 401 };
    }
    // 2. The legacy secret in the body.
    if (secret === undefined || !sameSecret(envelope.secret, secret)) {
      send(res, 401, { error: 'invalid secret' });
      return { action, status: 401 };
    }
    const consumer = envelope.context?.consumer;
    if (envelope.context?.action !== action) {
      send(res, 400, { error: `this endpoint answers ${action}` });
      return { action, status: 400, consumer };
    }
    if (action === ENTRANCES_UPDATED_AFTER) {
      const { after, limit, ids } = envelope.data ?? {};
      if (typeof after !== 'string' || Number.isNaN(Date.parse(after)) || typeof limit !== 'number' || (ids !== undefined && !Array.isArray(ids))) {
        send(res, 400, { error: 'data.after (a date-time) and data.limit (a number) are required' });
        return { action, status: 400, consumer };
      }
      send(res, 200, entrancesUpdatedAfter(entrances, { after, limit, ...(ids !== undefined && { ids: ids.map(String) }) }));
      return { action, status: 200, consumer };
    }
    const user = envelope.data?.user;
    if (typeof user?.id !== 'string' || typeof user.name !== 'string' || typeof user.alias !== 'string') {
      send(res, 400, { error: 'data.user with id, name and alias is required' });
      return { action, status: 400, consumer };
    }
    send(res, 200, ANSWERS[action]!(user as User));
    return { action, status: 200, consumer, user: user.alias };
  };

  const server = createServer((req, res) => {
    handle(req, res)
      .then((entry) => options.onRequest?.(entry))
      .catch(() => {
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    server,
    setSecrets,
    recordEntrance,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const signingSecret = process.env.ERP_SIGNING_SECRET;
  const secret = process.env.ERP_SECRET;
  if (!signingSecret || !secret) {
    console.error('Set ERP_SIGNING_SECRET and ERP_SECRET (from GET /v1/admin/apps/erp-modelo/secrets).');
    process.exit(2);
  }
  const provider = await startErpProvider({
    port: Number(process.env.ERP_PORT ?? 4001),
    host: process.env.ERP_HOST ?? '127.0.0.1',
    signingSecret,
    secret,
    entrances: morningEntrances(),
    onRequest: (e) => console.log(`${e.status} ${e.action ?? '?'}${e.consumer ? ` for ${e.consumer}` : ''}${e.user ? ` (user ${e.user})` : ''}`),
  });
  console.log(`ERP provider listening on ${provider.url}`);
  for (const [action, path] of Object.entries(ERP_PATHS)) console.log(`  ${action.padEnd(42)} ${provider.url}${path}`);
  const stop = () => void provider.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
