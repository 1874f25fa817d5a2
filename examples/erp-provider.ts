/**
 * A small school ERP acting as a provider app: it answers the request actions of a school for the
 * user named in each call (calendar, grades, attendance, timetable, bills, documents, the school
 * store, academic and medical records) and the school's posts and agenda events, with data
 * that is invented but deterministic (the same user always gets the same school life). It also keeps
 * the school gate's entrance records and answers `@layers:education:Entrance:getUpdatedAfter` with
 * those changed after a time, so subscribers of `Entrance:created` can pull what changed.
 *
 * Every request is authenticated twice, as the hub sends it, by the SDK's provider handlers: the
 * Standard Webhooks signature over the exact bytes received (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`, checked with the app's signing secret) and the legacy `secret` in the body.
 * Either one wrong: 401.
 *
 * Run on its own: `ERP_SIGNING_SECRET=whsec_… ERP_SECRET=… ERP_PORT=4001 npx tsx examples/erp-provider.ts`
 * (the secrets come from `GET /v1/admin/apps/erp-modelo/secrets`).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createProviderHandler, reply, type ActionResponse, type BuiltinActions, type HubRequestHandler, type Reply, type RequestContext } from '@api-hub/sdk';
import type { Entrance } from './entrance-subscriber.js';

export const CALENDAR = '@layers:Calendar:getRelated';
export const GRADES = '@layers:education:GradeBooks:getRelated';
export const PAYABLES = '@layers:payments:Payables:getRelated';
export const ENTRANCES_UPDATED_AFTER = '@layers:education:Entrance:getUpdatedAfter';
export const TIMETABLES = '@layers:education:Timetables:getRelated';
export const ATTENDANCE = '@layers:education:Attendance:getRelated';
export const HOME = '@layers:getHomeInfo';
export const ENTRANCES_RELATED = '@layers:education:Entrance:getRelated';
export const DOCUMENTS = '@layers:Documents:getRelated';
export const STORE_TABS = '@layers:payments:Tabs:getRelated';
export const STORE_ITEMS = '@layers:payments:Items:getRelated';
export const POSTS = '@layers:Posts:getUpdatedAfter';
export const EVENTS = '@layers:Events:getUpdatedAfter';
export const ACADEMIC_RECORDS = '@layers:education:AcademicRecords:getRelated';
export const MEDICAL_RECORDS = '@layers:health:MedicalRecord:getRelated';

/** The path the ERP serves each action on (what its manifest registers). */
export const ERP_PATHS: Record<string, string> = {
  [CALENDAR]: '/layers/calendar',
  [GRADES]: '/layers/grade-books',
  [PAYABLES]: '/layers/payables',
  [ENTRANCES_UPDATED_AFTER]: '/layers/entrances',
  [TIMETABLES]: '/layers/timetables',
  [ATTENDANCE]: '/layers/attendance',
  [HOME]: '/layers/home',
  [ENTRANCES_RELATED]: '/layers/entrances/related',
  [DOCUMENTS]: '/layers/documents',
  [STORE_TABS]: '/layers/store/tabs',
  [STORE_ITEMS]: '/layers/store/items',
  [POSTS]: '/layers/posts',
  [EVENTS]: '/layers/events',
  [ACADEMIC_RECORDS]: '/layers/academic-records',
  [MEDICAL_RECORDS]: '/layers/medical-records',
};

/** What the ERP answers for an action, as the action's response schema defines it. */
type Answer<Action extends keyof BuiltinActions> = ActionResponse<BuiltinActions, Action>;

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
const COURSES = ['6º ano', '7º ano', '8º ano', '9º ano', '1ª série do ensino médio'];
const SUBJECTS = [
  { label: 'Matemática', abbr: 'MAT' },
  { label: 'Língua Portuguesa', abbr: 'POR' },
  { label: 'Ciências', abbr: 'CIE' },
  { label: 'História', abbr: 'HIS' },
  { label: 'Geografia', abbr: 'GEO' },
  { label: 'Inglês', abbr: 'ING' },
];
const TERMS = [
  { label: '1º bimestre', start: '02-05', end: '04-26' },
  { label: '2º bimestre', start: '05-06', end: '07-12' },
  { label: '3º bimestre', start: '08-05', end: '09-27' },
  { label: '4º bimestre', start: '10-07', end: '12-13' },
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
const mood = (score: number): 'good' | 'bad' => (score >= 6 ? 'good' : 'bad');
const termStatus = (start: string, end: string, today: string): 'scheduled' | 'ended' | 'current' =>
  today < start ? 'scheduled' : today > end ? 'ended' : 'current';

/** The students a user is responsible for: one or two children sharing the user's surname. */
export function studentsOf(user: User): { id: string; name: string; course: string }[] {
  const random = seeded(`students:${user.id}`);
  const surname = user.name.trim().split(/\s+/).slice(-1)[0] ?? 'Silva';
  const count = 1 + Math.floor(random() * 2);
  const students = [];
  for (let i = 0; i < count; i++) {
    const first = pick(random, FIRST_NAMES);
    students.push({
      id: `st-${createHash('sha1').update(`${user.id}:${i}`).digest('hex').slice(0, 8)}`,
      name: `${first} ${surname}`,
      course: COURSES[(Math.floor(random() * COURSES.length) + i) % COURSES.length]!,
    });
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
export function gradeBooksFor(user: User, options: GradeBookOptions = {}): Answer<typeof GRADES> {
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
              {
                category: 'Provas',
                label: 'Prova 1',
                date: startsAt.replace(/-\d\d$/, '-20'),
                scoreGiven: scores[0]!.toFixed(1),
                scoreMaximum: '10',
                scoreMood: mood(scores[0]!),
              },
              { category: 'Trabalhos', label: 'Projeto', scoreGiven: scores[1]!, scoreMaximum: 10 },
            ],
            overall: [
              {
                type: 'partial_grade' as const,
                label: 'Média',
                scoreGiven: average.toFixed(1),
                scoreMaximum: '10',
                scoreMood: mood(average),
                featured: true,
              },
            ],
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
        attachments: [{ title: 'Critérios de avaliação.pdf', type: 'file', url: 'https://erp-modelo.example/docs/grading-rules.pdf' }],
      };
    }),
  };
}

/** `@layers:Calendar:getRelated` answer: the school calendar and each child's class calendar. */
export function calendarFor(user: User, now: Date = new Date()): Answer<typeof CALENDAR> {
  const year = now.getUTCFullYear();
  const school = {
    id: `cal-${year}`,
    summary: `Calendário letivo ${year}`,
    description: 'Feriados, provas e eventos da escola',
    timezone: 'America/Sao_Paulo',
    language: 'pt-BR',
    events: [
      { id: 'ev-start', summary: 'Primeiro dia de aula', start: `${year}-02-05`, end: `${year}-02-05`, category: 'Escola' },
      { id: 'ev-carnival', summary: 'Recesso de Carnaval', start: `${year}-02-12`, end: `${year}-02-14`, category: 'Feriado' },
      { id: 'ev-parents-1', summary: 'Reunião de pais', start: `${year}-03-09T09:00:00-03:00`, end: `${year}-03-09T11:00:00-03:00`, category: 'Reunião' },
      { id: 'ev-winter', summary: 'Férias de julho', start: `${year}-07-15`, end: `${year}-07-31`, category: 'Feriado' },
      { id: 'ev-fair', summary: 'Feira de ciências', start: `${year}-09-14T08:00:00-03:00`, end: `${year}-09-14T13:00:00-03:00`, category: 'Escola' },
      { id: 'ev-end', summary: 'Último dia de aula', start: `${year}-12-13`, end: `${year}-12-13`, category: 'Escola' },
    ],
    categories: [
      { name: 'Feriado', color: 'aqua' },
      { name: 'Reunião', color: 'purple' },
      { name: 'Escola', color: 'success' },
    ],
  };
  const classes = studentsOf(user).map((student) => ({
    id: `cal-${year}-${student.id}`,
    summary: `${student.name} — ${student.course}`,
    timezone: 'America/Sao_Paulo',
    events: TERMS.map((term, i) => ({
      id: `ev-${student.id}-tests-${i + 1}`,
      summary: `Provas do ${term.label}`,
      start: `${year}-${term.end.replace(/-\d\d$/, '-15')}`,
      end: `${year}-${term.end.replace(/-\d\d$/, '-19')}`,
      category: 'Provas',
    })),
    categories: [{ name: 'Provas', color: 'salmon' }],
  }));
  return { result: [school, ...classes] };
}

/** `@layers:payments:Payables:getRelated` answer: the year's monthly tuition of each child. */
export function payablesFor(user: User, now: Date = new Date()): Answer<typeof PAYABLES> {
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
        const status: 'open' | 'pending' | 'late' | 'paid' = !past ? (m === now.getUTCMonth() ? 'open' : 'pending') : late ? 'late' : 'paid';
        return {
          id: `ch-${student.id}-${month}`,
          alias: ref,
          installment: m + 1,
          description: `Mensalidade de ${new Date(Date.UTC(year, m, 1)).toLocaleString('pt-BR', { month: 'long', timeZone: 'UTC' })} de ${year}`,
          status,
          dueAt,
          ...(status === 'paid' && { paidAt: `${year}-${month}-0${1 + Math.floor(random() * 9)}` }),
          sentAt: isoDate(new Date(Date.UTC(year, m, -5))),
          centsPaid: status === 'paid' ? tuition : 0,
          centsTotal: tuition + fine,
          centsOriginal: tuition,
          boleto: { link: `https://bank.example/boleto/${ref}.pdf`, code: `23793381286${ref}0000300000000401`.padEnd(47, '0'), type: 'file' as const },
        };
      });
      return {
        id: `pg-${year}-${student.id}`,
        title: `${student.name} — mensalidades ${year}`,
        description: student.course,
        installments: 12,
        customer: { name: user.name, email: `${user.alias.replace(/[^A-Za-z0-9._-]/g, '') || 'guardian'}@families.example` },
        payables,
      };
    }),
  };
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;
const SLOTS = [
  ['07:30:00', '08:20:00'],
  ['08:20:00', '09:10:00'],
  ['09:30:00', '10:20:00'],
  ['10:20:00', '11:10:00'],
] as const;
const TEACHERS: Record<string, string> = {
  MAT: 'Ana Ribeiro',
  POR: 'Carlos Nunes',
  CIE: 'Fernanda Dias',
  HIS: 'Jorge Prado',
  GEO: 'Patrícia Lopes',
  ING: 'Mark Evans',
};

/** `@layers:education:Timetables:getRelated` answer: each child's week, four classes a morning. */
export function timetablesFor(user: User, now: Date = new Date()): Answer<typeof TIMETABLES> {
  const year = String(now.getUTCFullYear());
  return {
    result: studentsOf(user).map((student, s) => ({
      id: `tt-${year}-${student.id}`,
      season: year,
      student: student.name,
      course: student.course,
      startWeekday: 'monday' as const,
      schedules: [
        ...WEEKDAYS.flatMap((weekday, d) =>
          SLOTS.map(([startTime, endTime], i) => {
            const subject = SUBJECTS[(d + i + s) % SUBJECTS.length]!;
            return {
              title: subject.label,
              abbr: subject.abbr,
              weekday,
              startTime,
              endTime,
              location: `Sala ${10 + ((d + i) % 4)}`,
              caption: `Professor(a): ${TEACHERS[subject.abbr]}`,
            };
          }),
        ),
        {
          title: 'Clube de robótica',
          label: 'Extracurricular',
          weekday: 'thursday' as const,
          startTime: '14:00:00',
          endTime: '15:30:00',
          location: 'Laboratório maker',
        },
      ],
      attachments: [{ title: 'Horário.pdf', type: 'file' as const, url: `https://erp-modelo.example/docs/timetable-${student.id}.pdf` }],
    })),
  };
}

const attendanceMood = (share: number): 'bad' | 'attention' | 'good' => (share < 0.75 ? 'bad' : share < 0.85 ? 'attention' : 'good');

/** `@layers:education:Attendance:getRelated` answer: each child's absences, per subject and as a whole. */
export function attendanceFor(user: User, now: Date = new Date()): Answer<typeof ATTENDANCE> {
  const year = now.getUTCFullYear();
  return {
    result: studentsOf(user).map((student) => {
      const random = seeded(`attendance:${student.id}`);
      const subjects = SUBJECTS.slice(0, 4).map((subject) => {
        const workload = 80;
        const absenceTotal = Math.floor(random() * 14);
        const presencePercentage = Math.round(((workload - absenceTotal) / workload) * 1000) / 1000;
        return {
          name: subject.label,
          overall: { workload, workloadUnit: 'h' as const, presencePercentage, absenceTotal, mood: attendanceMood(presencePercentage) },
        };
      });
      const absenceTotal = subjects.reduce((n, s) => n + s.overall.absenceTotal, 0);
      const workload = subjects.length * 80;
      const presencePercentage = Math.round(((workload - absenceTotal) / workload) * 1000) / 1000;
      const records = subjects
        .filter((s) => s.overall.absenceTotal > 0)
        .map((s, i) => ({
          type: 'absent' as const,
          date: `${year}-03-${String(11 + i * 3).padStart(2, '0')}`,
          subject: s.name,
          caption: '07:30 - 08:20',
          category: '1º bimestre',
        }));
      return {
        id: `att-${year}-${student.id}`,
        student: student.name,
        course: student.course,
        overall: { workload, workloadUnit: 'h' as const, presencePercentage, absenceTotal, mood: attendanceMood(presencePercentage) },
        subjects,
        records,
      };
    }),
  };
}

/** `@layers:getHomeInfo` answer: the next open bill of each child, highlighted on the home screen. */
export function homeInfoFor(user: User, now: Date = new Date()): Answer<typeof HOME> {
  const due = payablesFor(user, now).result.flatMap((group) =>
    group.payables.filter((p) => p.status === 'open' || p.status === 'late').map((p) => ({ group, payable: p })),
  );
  if (due.length === 0) return { badge: false };
  return {
    badge: due.length,
    featured: {
      title: 'Contas a pagar',
      cards: due.slice(0, 4).map(({ group, payable }) => ({
        label: payable.status === 'late' ? 'Vencida' : 'Em aberto',
        title: payable.description ?? group.title,
        description: group.title,
        mood: payable.status === 'late' ? ('danger' as const) : ('attention' as const),
        location: '/payables',
      })),
    },
  };
}

/** `@layers:Documents:getRelated` answer: each child's school papers, and the school's own. */
export function documentsFor(user: User, now: Date = new Date()): Answer<typeof DOCUMENTS> {
  const year = now.getUTCFullYear();
  return {
    result: [
      ...studentsOf(user).map((student) => ({
        id: `docs-${year}-${student.id}`,
        title: student.name,
        attachments: [
          { title: `Contrato de matrícula ${year}.pdf`, type: 'file' as const, url: `https://erp-modelo.example/docs/${student.id}/contract-${year}.pdf` },
          { title: 'Boletim.pdf', type: 'file' as const, url: `https://erp-modelo.example/docs/${student.id}/report-card-${year}.pdf` },
        ],
      })),
      {
        id: `docs-${year}-school`,
        title: 'Escola Modelo',
        attachments: [
          { title: `Lista de material ${year}`, type: 'link' as const, url: `https://erp-modelo.example/supplies-${year}` },
          { title: 'Regimento escolar.pdf', type: 'file' as const, url: 'https://erp-modelo.example/docs/school-rules.pdf' },
        ],
      },
    ],
  };
}

// ---- The school store: its catalogue tabs, and the items and item lists of each ----

type StoreItem = Answer<typeof STORE_ITEMS>['items'][number];
const brl = (amount: number) => ({ amount, currency: 'BRL' as const });
const product = (alias: string, name: string, cents: number, extra: Partial<StoreItem> = {}): StoreItem => ({
  alias,
  name,
  kind: 'product',
  gallery: [],
  price: brl(cents),
  ...extra,
});

/** `@layers:payments:Tabs:getRelated` answer: the tabs of the school store. */
export function storeTabsFor(_user: User): Answer<typeof STORE_TABS> {
  return {
    catalogTabs: [
      { alias: 'cantina', title: 'Cantina' },
      { alias: 'uniformes', title: 'Uniformes' },
      { alias: 'material', title: 'Material escolar' },
      { alias: 'passeios', title: 'Passeios e atividades' },
    ],
  };
}

/** `@layers:payments:Items:getRelated` answer: what a tab sells; the book kits follow the user's children's courses. */
export function storeItemsFor(user: User, tab: string): Answer<typeof STORE_ITEMS> {
  const students = studentsOf(user);
  switch (tab) {
    case 'cantina':
      return {
        items: [
          product('lanche-mensal', 'Plano de lanches mensal', 32_000, {
            kind: 'recurrence',
            caption: 'Lanche da manhã de segunda a sexta, cobrado todo mês',
            categories: ['Alimentação'],
          }),
          product('credito-50', 'Crédito de R$ 50 na cantina', 5_000, { caption: 'Para compras avulsas no cartão do aluno', categories: ['Créditos'] }),
          product('almoco-avulso', 'Almoço avulso', 2_850, { caption: 'Prato do dia com suco natural', categories: ['Alimentação'] }),
        ],
        lists: [],
      };
    case 'uniformes':
      return {
        items: [
          product('camiseta-m', 'Camiseta manga curta (M)', 5_990, {
            priceFrom: brl(6_990),
            caption: 'Algodão, azul-marinho, com o brasão da escola',
            categories: ['Uniformes'],
            shippable: true,
            package: { width: 20, depth: 3, height: 30, weight: 0.2 },
          }),
          product('bermuda-m', 'Bermuda de tactel (M)', 6_490, { caption: 'Para as aulas de educação física', categories: ['Uniformes'], shippable: true }),
          product('moletom-m', 'Moletom com capuz (M)', 14_990, { caption: 'Felpado, cinza', categories: ['Uniformes'], shippable: true }),
        ],
        lists: [],
      };
    case 'material':
      return {
        items: [product('agenda', 'Agenda escolar 2026', 3_500, { caption: 'Agenda oficial da Escola Modelo', categories: ['Papelaria'] })],
        lists: students.map((student, i) => {
          const books = [
            product(`livro-mat-${i}`, `Matemática — ${student.course}`, 18_900, { categories: ['Livros'] }),
            product(`livro-por-${i}`, `Língua Portuguesa — ${student.course}`, 17_500, { categories: ['Livros'] }),
            product(`livro-cie-${i}`, `Ciências — ${student.course}`, 16_800, { categories: ['Livros'] }),
          ];
          return {
            alias: `kit-livros-${student.id}`,
            name: `Kit de livros de ${student.name}`,
            caption: student.course,
            gallery: [],
            items: books,
            wholePrice: brl(Math.round(books.reduce((n, b) => n + (b.price.amount ?? 0), 0) * 0.9)),
          };
        }),
      };
    case 'passeios':
      return {
        items: [
          product('passeio-museu', 'Visita ao Museu do Ipiranga', 8_500, {
            caption: 'Transporte e lanche incluídos, 18 de setembro',
            categories: ['Passeios'],
          }),
          product('robotica', 'Clube de robótica (mensal)', 18_000, { kind: 'recurrence', caption: 'Quintas, das 14h às 15h30', categories: ['Atividades'] }),
        ],
        lists: [],
      };
    default:
      return { items: [], lists: [] };
  }
}

// ---- Posts and agenda events of the school, as its staff wrote them ----

const SECRETARIA = { name: 'Secretaria Escola Modelo', email: 'secretaria@escola-modelo.example', alias: 'secretaria' };
const COORDENACAO = { name: 'Fernanda Dias (coordenação)', email: 'fernanda.dias@escola-modelo.example', alias: 'fernanda.dias' };
const WHOLE_SCHOOL = { groups: ['escola-modelo'] };

/** `@layers:Posts:getUpdatedAfter` answer: the school's announcements changed after `after`. */
export function postsUpdatedAfter(query: { after: string; limit: number }, now: Date = new Date()): Answer<typeof POSTS> {
  const daysAgo = (days: number, hour = 9) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, hour + 3)).toISOString();
  const posts = [
    {
      id: 'post-reuniao',
      title: 'Reunião de pais e responsáveis',
      description:
        'Convidamos as famílias para a reunião do bimestre, no auditório, às 19h.\nVamos apresentar o projeto da feira de ciências e o calendário de provas.',
      createdAt: daysAgo(2),
      updatedAt: daysAgo(2),
      category: 'Comunicados',
      author: COORDENACAO,
      targets: WHOLE_SCHOOL,
      attachments: [{ title: 'Pauta da reunião.pdf', type: 'file' as const, url: 'https://erp-modelo.example/posts/pauta-reuniao.pdf' }],
    },
    {
      id: 'post-cardapio',
      title: `Cardápio da cantina de ${now.toLocaleString('pt-BR', { month: 'long', timeZone: 'America/Sao_Paulo' })}`,
      description: 'O cardápio do mês já está disponível. Às sextas-feiras teremos frutas da estação e suco natural sem açúcar.',
      createdAt: daysAgo(6),
      updatedAt: daysAgo(5),
      category: 'Cantina',
      author: SECRETARIA,
      targets: WHOLE_SCHOOL,
    },
    {
      id: 'post-vacina',
      title: 'Atualização da carteira de vacinação',
      description: 'A UBS do bairro estará na escola na próxima quarta-feira. Envie a carteira de vacinação do aluno e a autorização assinada.',
      createdAt: daysAgo(12),
      updatedAt: daysAgo(12),
      category: 'Saúde',
      author: SECRETARIA,
      targets: WHOLE_SCHOOL,
    },
  ];
  const after = Date.parse(query.after);
  return { result: posts.filter((p) => Date.parse(p.updatedAt) > after).slice(0, query.limit) };
}

/** `@layers:Events:getUpdatedAfter` answer: the school agenda changed after `after`, some past, some coming. */
export function eventsUpdatedAfter(query: { after: string; limit: number }, now: Date = new Date()): Answer<typeof EVENTS> {
  const day = (days: number) => isoDate(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days)));
  const at = (days: number, time: string) => `${day(days)}T${time}:00-03:00`;
  const created = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 20, 12)).toISOString();
  const events = [
    {
      id: 'evt-feira',
      title: 'Feira de Ciências',
      description: 'Os alunos do 6º ao 9º ano apresentam seus projetos. Aberta às famílias.',
      start: at(9, '08:00'),
      end: at(9, '12:30'),
      location: 'Quadra coberta',
      category: 'Escola',
    },
    {
      id: 'evt-reuniao',
      title: 'Reunião de pais e responsáveis',
      description: 'Apresentação do projeto da feira e do calendário de provas.',
      start: at(3, '19:00'),
      end: at(3, '20:30'),
      location: 'Auditório',
      category: 'Reunião',
      conference: { url: 'https://meet.google.com/abc-defg-hij', type: 'googleMeet' as const },
    },
    { id: 'evt-recesso', title: 'Recesso escolar', start: day(16), end: day(31), category: 'Feriado' },
    {
      id: 'evt-olimpiada',
      title: 'Olimpíada de Matemática',
      description: 'Primeira fase da OBMEP para os alunos inscritos.',
      start: at(-7, '08:00'),
      end: at(-7, '11:00'),
      location: 'Salas 10 a 13',
      category: 'Escola',
    },
  ];
  const after = Date.parse(query.after);
  return {
    result: events
      .map((e) => ({ ...e, createdAt: created, updatedAt: created, author: SECRETARIA, targets: WHOLE_SCHOOL }))
      .filter((e) => Date.parse(e.updatedAt) > after)
      .slice(0, query.limit),
  };
}

// ---- Academic records (notes on conduct, material, commendations) and medical records ----

/** `@layers:education:AcademicRecords:getRelated` answer: each child's notes of the year. */
export function academicRecordsFor(user: User, now: Date = new Date()): Answer<typeof ACADEMIC_RECORDS> {
  const year = now.getUTCFullYear();
  return {
    result: studentsOf(user).map((student, s) => ({
      id: `ar-${year}-${student.id}`,
      season: String(year),
      student: student.name,
      course: student.course,
      records: [
        {
          id: `rec-${student.id}-1`,
          createdAt: `${year}-03-18T10:15:00-03:00`,
          category: 'Elogio',
          caption: 'Matemática',
          description: `${student.name.split(' ')[0]} ajudou os colegas na resolução dos exercícios de frações e apresentou o trabalho com clareza.`,
          viewedAt: `${year}-03-18T19:02:00-03:00`,
          viewedBy: user.name,
          metadata: [{ label: 'Professor(a)', value: TEACHERS.MAT! }],
        },
        {
          id: `rec-${student.id}-2`,
          createdAt: `${year}-05-07T08:40:00-03:00`,
          category: 'Material',
          caption: 'Ciências',
          description: 'Esqueceu o jaleco na aula de laboratório. Pedimos que o traga às terças-feiras.',
          viewedAt: null,
          viewedBy: null,
          metadata: [{ label: 'Professor(a)', value: TEACHERS.CIE! }],
        },
        ...(s === 0
          ? [
              {
                id: `rec-${student.id}-3`,
                createdAt: `${year}-08-21T11:30:00-03:00`,
                category: 'Ocorrência',
                caption: 'Intervalo',
                description: 'Discussão com um colega durante o intervalo; conversamos com os dois e o assunto foi resolvido.',
                viewedAt: null,
                viewedBy: null,
                metadata: [
                  { label: 'Registrado por', value: 'Coordenação pedagógica' },
                  { label: 'Medida', value: 'Conversa orientadora' },
                ],
              },
            ]
          : []),
      ],
    })),
  };
}

const BLOOD_TYPES = ['O+', 'A+', 'B+', 'AB+', 'O-', 'A-'];
const ALLERGIES = [['Amendoim', 'Dipirona'], ['Lactose'], [], ['Picada de abelha']];

/** `@layers:health:MedicalRecord:getRelated` answer: each child's health card kept by the school nurse. */
export function medicalRecordsFor(user: User, now: Date = new Date()): Answer<typeof MEDICAL_RECORDS> {
  const year = now.getUTCFullYear();
  // The guardian's phone is the same on each child's card.
  const digits = seeded(`phone:${user.id}`);
  const phone = `(11) 9${String(1000 + Math.floor(digits() * 9000))}-${String(1000 + Math.floor(digits() * 9000))}`;
  return {
    result: studentsOf(user).map((student) => {
      const random = seeded(`medical:${student.id}`);
      const allergies = pick(random, ALLERGIES);

      return {
        id: `med-${student.id}`,
        name: student.name,
        updatedAt: `${year}-02-03T14:00:00-03:00`,
        sections: [
          {
            title: 'Dados de saúde',
            fields: [
              { type: 'text', title: 'Tipo sanguíneo', text: pick(random, BLOOD_TYPES), loinc: '882-1' },
              { type: 'number', title: 'Peso', number: 30 + Math.floor(random() * 25), unit: 'kg', loinc: '29463-7' },
              { type: 'number', title: 'Altura', number: 130 + Math.floor(random() * 35), unit: 'cm', loinc: '8302-2' },
              { type: 'text', title: 'Plano de saúde', text: 'Unimed — carteirinha 0 123 456789012 3' },
            ],
          },
          {
            title: 'Alergias',
            fields: [
              allergies.length > 0
                ? { type: 'tags', title: 'Alergias conhecidas', tags: allergies, mood: 'bad' as const, caption: 'Avise a enfermaria em caso de exposição' }
                : { type: 'tags', title: 'Alergias conhecidas', tags: ['Nenhuma conhecida'], mood: 'good' as const },
            ],
          },
          {
            title: 'Medicamentos',
            fields: [
              { type: 'text', title: 'Uso contínuo', text: allergies.length > 1 ? 'Loratadina 10 mg, 1 vez ao dia' : 'Nenhum' },
              { type: 'tags', title: 'Autorizados na escola', tags: ['Paracetamol', 'Soro fisiológico'], mood: 'neutral' as const },
            ],
          },
          {
            title: 'Contatos de emergência',
            fields: [
              { type: 'text', title: user.name, caption: 'Responsável', text: phone },
              { type: 'text', title: `Rosa ${student.name.split(' ').slice(-1)[0]}`, caption: 'Avó', text: '(11) 3845-2210' },
            ],
          },
          {
            title: 'Documentos',
            fields: [
              {
                type: 'attachment',
                title: 'Carteira de vacinação',
                attachment: { title: 'Carteira de vacinação.pdf', type: 'file' as const, url: `https://erp-modelo.example/docs/${student.id}/vacinas.pdf` },
              },
            ],
          },
        ],
      };
    }),
  };
}

const MAIN_GATE = { id: 'gate-main', name: 'Portão principal' };

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
export function entrancesUpdatedAfter(
  entrances: readonly Entrance[],
  query: { after: string; limit: number; ids?: string[] },
): Answer<typeof ENTRANCES_UPDATED_AFTER> {
  const after = Date.parse(query.after);
  return {
    result: entrances
      .filter((e) => Date.parse(e.updatedAt) > after && (query.ids === undefined || query.ids.includes(e.id)))
      .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt))
      .slice(0, query.limit),
  };
}

// ---------------------------------------------------------------------------------------------
// The HTTP side: one SDK handler per action, which checks the signature and the legacy secret
// (401), the envelope and the action (400) before our function runs.
// ---------------------------------------------------------------------------------------------

type Logged = { action?: string; status: number; consumer?: string; user?: string };

function erpHandlers(secrets: ErpSecrets, entrances: readonly Entrance[], log: (entry: Logged) => void): Map<string, HubRequestHandler> {
  const verify = { signingSecrets: [secrets.signingSecret], secrets: [secrets.secret] };
  /** An action answered from the user the call is about. */
  const forUser =
    <T>(action: string, answer: (user: User) => T) =>
    ({ context, data }: { context: RequestContext; data: { user?: User } }): T | Reply => {
      if (data.user === undefined) return reply(400, { error: 'data.user with id, name and alias is required' });
      log({ action, status: 200, consumer: context.consumer, user: data.user.alias });
      return answer(data.user);
    };
  return new Map<string, HubRequestHandler>([
    [
      ERP_PATHS[CALENDAR]!,
      createProviderHandler(
        { action: CALENDAR, ...verify },
        forUser(CALENDAR, (user) => calendarFor(user)),
      ),
    ],
    [
      ERP_PATHS[GRADES]!,
      createProviderHandler(
        { action: GRADES, ...verify },
        forUser(GRADES, (user) => gradeBooksFor(user)),
      ),
    ],
    [
      ERP_PATHS[PAYABLES]!,
      createProviderHandler(
        { action: PAYABLES, ...verify },
        forUser(PAYABLES, (user) => payablesFor(user)),
      ),
    ],
    [
      ERP_PATHS[TIMETABLES]!,
      createProviderHandler(
        { action: TIMETABLES, ...verify },
        forUser(TIMETABLES, (user) => timetablesFor(user)),
      ),
    ],
    [
      ERP_PATHS[ATTENDANCE]!,
      createProviderHandler(
        { action: ATTENDANCE, ...verify },
        forUser(ATTENDANCE, (user) => attendanceFor(user)),
      ),
    ],
    [
      ERP_PATHS[DOCUMENTS]!,
      createProviderHandler(
        { action: DOCUMENTS, ...verify },
        forUser(DOCUMENTS, (user) => documentsFor(user)),
      ),
    ],
    [
      ERP_PATHS[HOME]!,
      createProviderHandler(
        { action: HOME, ...verify },
        forUser(HOME, (user) => homeInfoFor(user)),
      ),
    ],
    [
      ERP_PATHS[ACADEMIC_RECORDS]!,
      createProviderHandler(
        { action: ACADEMIC_RECORDS, ...verify },
        forUser(ACADEMIC_RECORDS, (user) => academicRecordsFor(user)),
      ),
    ],
    [
      ERP_PATHS[MEDICAL_RECORDS]!,
      createProviderHandler(
        { action: MEDICAL_RECORDS, ...verify },
        forUser(MEDICAL_RECORDS, (user) => medicalRecordsFor(user)),
      ),
    ],
    [
      ERP_PATHS[STORE_TABS]!,
      createProviderHandler(
        { action: STORE_TABS, ...verify },
        forUser(STORE_TABS, (user) => storeTabsFor(user)),
      ),
    ],
    [
      ERP_PATHS[STORE_ITEMS]!,
      createProviderHandler({ action: STORE_ITEMS, ...verify }, ({ context, data }) => {
        log({ action: STORE_ITEMS, status: 200, consumer: context.consumer, user: data.user.alias });
        return storeItemsFor(data.user, data.catalogTab.alias ?? '');
      }),
    ],
    [
      ERP_PATHS[POSTS]!,
      createProviderHandler({ action: POSTS, ...verify }, ({ context, data }) => {
        log({ action: POSTS, status: 200, consumer: context.consumer });
        return postsUpdatedAfter(data);
      }),
    ],
    [
      ERP_PATHS[EVENTS]!,
      createProviderHandler({ action: EVENTS, ...verify }, ({ context, data }) => {
        log({ action: EVENTS, status: 200, consumer: context.consumer });
        return eventsUpdatedAfter(data);
      }),
    ],
    [
      ERP_PATHS[ENTRANCES_RELATED]!,
      createProviderHandler({ action: ENTRANCES_RELATED, ...verify }, ({ context, data }) => {
        log({ action: ENTRANCES_RELATED, status: 200, consumer: context.consumer, user: data.user?.alias });
        const after = data.occurredAfter === undefined ? 0 : Date.parse(data.occurredAfter);
        return { result: entrances.filter((e) => Date.parse(e.occurredAt) > after).slice(-(data.limit ?? 100)) };
      }),
    ],
    [
      ERP_PATHS[ENTRANCES_UPDATED_AFTER]!,
      createProviderHandler({ action: ENTRANCES_UPDATED_AFTER, ...verify }, ({ context, data }) => {
        log({ action: ENTRANCES_UPDATED_AFTER, status: 200, consumer: context.consumer });
        return entrancesUpdatedAfter(entrances, data);
      }),
    ],
  ]);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startErpProvider(options: ErpProviderOptions = {}): Promise<ErpProvider> {
  const entrances: Entrance[] = [...(options.entrances ?? [])];
  const log = (entry: Logged) => options.onRequest?.(entry);
  // No handlers until the secrets are set: the ERP fails closed.
  let handlers: Map<string, HubRequestHandler> | undefined;
  const setSecrets = (secrets: ErpSecrets) => {
    handlers = erpHandlers(secrets, entrances, log);
  };
  if (options.signingSecret !== undefined && options.secret !== undefined) {
    setSecrets({ signingSecret: options.signingSecret, secret: options.secret });
  }
  const actionsByPath = new Map(Object.entries(ERP_PATHS).map(([action, path]) => [path, action]));
  const recordEntrance = (person: Entrance['person'], direction: Entrance['direction']): Entrance => {
    // Strictly increasing update times, so a subscriber's cursor never skips a record.
    const last = entrances.reduce((max, e) => Math.max(max, Date.parse(e.updatedAt)), 0);
    const at = new Date(Math.max(Date.now(), last + 1)).toISOString();
    const entrance: Entrance = { id: `ent-${entrances.length + 1}`, person, direction, occurredAt: at, gate: MAIN_GATE, createdAt: at, updatedAt: at };
    entrances.push(entrance);
    return entrance;
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const action = actionsByPath.get(path);
    if (action === undefined) return send(res, 404, { error: 'no such endpoint' });
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
    if (handlers === undefined) return send(res, 401, { error: 'no signing secret configured' });
    // Answers other than 200 are logged here; a 200 is logged by the action, which knows the caller.
    res.once('finish', () => {
      if (res.statusCode !== 200) log({ action, status: res.statusCode });
    });
    handlers.get(path)!.node(req, res);
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
