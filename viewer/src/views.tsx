/**
 * One view per action, each drawn for its data. Everything a provider sends is rendered as text
 * by Preact (never as HTML), so a title holding markup shows the markup.
 */
import type { ActionResponse, BuiltinActions } from '@api-hub/sdk';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Failure, SourceAnswer, ViewAnswer, ViewName } from '../server/contract.js';
import { getView } from './api.js';
import type { I18n, Key } from './i18n.js';

type R<Id extends keyof BuiltinActions> = ActionResponse<BuiltinActions, Id>;
type Home = R<'@layers:getHomeInfo'>;
type Calendar = R<'@layers:Calendar:getRelated'>['result'][number];
type GradeBook = R<'@layers:education:GradeBooks:getRelated'>['result'][number];
type AttendanceHistory = NonNullable<R<'@layers:education:Attendance:getRelated'>['result']>[number];
type Timetable = R<'@layers:education:Timetables:getRelated'>['result'][number];
type PayableGroup = R<'@layers:payments:Payables:getRelated'>['result'][number];
type DocumentGroup = R<'@layers:Documents:getRelated'>['result'][number];
type Entry = R<'@layers:education:Entrance:getRelated'>['result'][number];

type Props = { ui: I18n };

function Problem({ ui, provider, error }: { ui: I18n; provider?: string; error: Failure }) {
  return (
    <div class="problem" role="alert">
      <p>{provider === undefined ? ui.t('failedHub') : ui.t('failed', { provider })}</p>
      {error.requestId !== null && (
        <p class="muted">
          {ui.t('requestId')}: <code class="request-id">{error.requestId}</code>
        </p>
      )}
    </div>
  );
}

/** Loads a view's answer, lets the person pick a provider when there are several, and draws
 * each source's data with `Body`, under the source's name. */
function Sources<T>({ ui, view, Body }: { ui: I18n; view: ViewName; Body: ComponentType<{ ui: I18n; data: T }> }) {
  const [provider, setProvider] = useState<string>('');
  const [answer, setAnswer] = useState<ViewAnswer>();
  useEffect(() => {
    setAnswer(undefined);
    void getView(view, provider || undefined).then(setAnswer, () =>
      setAnswer({ action: '', providers: [], sources: [], error: { type: 'HubUnavailable', message: '', requestId: null } }),
    );
  }, [view, provider]);
  if (answer === undefined)
    return (
      <div class="skeleton" aria-busy="true">
        {ui.t('loading')}
      </div>
    );
  if (answer.error) return <Problem ui={ui} error={answer.error} />;
  if (answer.providers.length === 0) return <p class="empty">{ui.t('noProvider')}</p>;
  return (
    <>
      {answer.providers.length > 1 && (
        <label class="picker">
          {ui.t('source')}
          <select value={provider} onChange={(e) => setProvider((e.target as HTMLSelectElement).value)}>
            <option value="">{ui.t('allSources')}</option>
            {answer.providers.map((p) => (
              <option value={p.id} key={p.id}>
                {p.displayName}
              </option>
            ))}
          </select>
        </label>
      )}
      {answer.sources.map((source: SourceAnswer) => (
        <section class="source" key={source.provider.id} aria-label={`${ui.t('source')}: ${source.provider.displayName}`}>
          <p class="source-name muted">
            {ui.t('source')}: {source.provider.displayName}
          </p>
          {source.ok ? <Body ui={ui} data={source.data as T} /> : <Problem ui={ui} provider={source.provider.displayName} error={source.error} />}
        </section>
      ))}
    </>
  );
}

const moodClass = (mood: string | undefined) => `mood-${mood ?? 'neutral'}`;

// ---- Home ----
function HomeBody({ ui, data }: { ui: I18n; data: Home }) {
  return (
    <div>
      {typeof data.badge === 'number' && data.badge > 0 && <p class="badge">{ui.t('badge', { n: data.badge })}</p>}
      {data.featured ? (
        <>
          <h2>{data.featured.title}</h2>
          <ul class="cards">
            {data.featured.cards.map((card, i) => (
              <li class={`card ${moodClass(card.mood)}`} key={i}>
                <span class="label">{card.label}</span>
                <h3>
                  <a href={card.location.startsWith('/') ? `#${card.location}` : card.location}>{card.title}</a>
                </h3>
                {card.description && <p>{card.description}</p>}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p class="empty">{ui.t('empty')}</p>
      )}
    </div>
  );
}

// ---- Calendar: a month grid and the agenda of what comes next ----
interface CalEvent {
  id: string;
  summary: string;
  start: string;
  end?: string;
  category?: string;
  calendar: string;
}
const dayOf = (iso: string) => iso.slice(0, 10);

function CalendarBody({ ui, data }: { ui: I18n; data: R<'@layers:Calendar:getRelated'> }) {
  const now = new Date();
  const [month, setMonth] = useState({ year: now.getFullYear(), month: now.getMonth() });
  const events: CalEvent[] = data.result
    .flatMap((cal: Calendar) => (cal.events ?? []).map((e) => ({ ...e, calendar: cal.summary ?? '' }) as CalEvent))
    .sort((a, b) => a.start.localeCompare(b.start));
  const first = new Date(Date.UTC(month.year, month.month, 1));
  const days = new Date(Date.UTC(month.year, month.month + 1, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // weeks start on Monday
  const cells: (string | null)[] = [
    ...Array<null>(lead).fill(null),
    ...Array.from({ length: days }, (_, d) => `${first.toISOString().slice(0, 8)}${String(d + 1).padStart(2, '0')}`),
  ];
  const on = (day: string) => events.filter((e) => dayOf(e.start) <= day && dayOf(e.end ?? e.start) >= day);
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  const upcoming = events.filter((e) => dayOf(e.end ?? e.start) >= today).slice(0, 8);
  const shift = (by: number) => setMonth(({ year, month: m }) => ({ year: year + Math.floor((m + by) / 12), month: (((m + by) % 12) + 12) % 12 }));
  const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
  return (
    <div class="calendar">
      <div class="month-head">
        <button type="button" onClick={() => shift(-1)} aria-label={ui.t('prev')}>
          ‹
        </button>
        <h2>{ui.monthTitle(month.year, month.month)}</h2>
        <button type="button" onClick={() => shift(1)} aria-label={ui.t('next')}>
          ›
        </button>
      </div>
      <div class="month" role="grid" aria-label={ui.t('month')}>
        <div role="row" class="week">
          {weekdays.map((w) => (
            <span role="columnheader" key={w} class="wd">
              {ui.t(w).slice(0, 3)}
            </span>
          ))}
        </div>
        {Array.from({ length: Math.ceil(cells.length / 7) }, (_, w) => (
          <div role="row" class="week" key={w}>
            {cells.slice(w * 7, w * 7 + 7).map((day, i) => (
              <div role="gridcell" key={i} class={`day${day === today ? ' today' : ''}${day === null ? ' blank' : ''}`}>
                {day && <span class="num">{Number(day.slice(8))}</span>}
                {day &&
                  on(day).map((e) => (
                    <span class={`chip cat-${(e.category ?? 'other').toLowerCase()}`} key={e.id}>
                      {e.summary}
                    </span>
                  ))}
              </div>
            ))}
          </div>
        ))}
      </div>
      <h2>{ui.t('agenda')}</h2>
      <ol class="agenda">
        {upcoming.map((e) => (
          <li key={`${e.calendar}-${e.id}`}>
            <time dateTime={e.start}>{e.start.length > 10 ? ui.dateTime(e.start) : ui.date(e.start)}</time>
            <strong>{e.summary}</strong>
            <span class="muted">
              {e.category} · {e.calendar}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

// ---- GradeBooks: terms × subjects, the featured overall score coloured by its mood ----
const scoreText = (ui: I18n, value: string | number | undefined) => (value === undefined ? '—' : ui.number(Number(value)));

function GradesBody({ ui, data }: { ui: I18n; data: R<'@layers:education:GradeBooks:getRelated'> }) {
  return (
    <>
      {data.result.map((book: GradeBook) => {
        const terms = book.terms ?? [];
        const subjects = [...new Set(terms.flatMap((t) => (t.subjects ?? []).map((s) => s.label)))];
        return (
          <article class="panel" key={book.id ?? book.student}>
            <h2>
              {book.student} <span class="muted">{book.course}</span>
            </h2>
            <div class="scroll" tabIndex={0} role="region" aria-label={`${ui.t('grades')}: ${book.student}`}>
              <table class="grades">
                <caption class="sr-only">
                  {book.student} · {book.season}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{ui.t('subject')}</th>
                    {terms.map((t) => (
                      <th scope="col" key={t.label}>
                        {t.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {subjects.map((label) => (
                    <tr key={label}>
                      <th scope="row">{label}</th>
                      {terms.map((t) => {
                        const subject = t.subjects?.find((s) => s.label === label);
                        const overall = subject?.overall?.find((o) => o.featured) ?? subject?.overall?.[0];
                        return (
                          <td key={t.label} class={overall ? moodClass(overall.scoreMood) : 'muted'}>
                            {overall ? scoreText(ui, overall.scoreGiven) : t.status === 'scheduled' ? ui.t('scheduled') : '—'}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {terms
              .filter((t) => (t.subjects ?? []).length > 0)
              .map((t) => (
                <details key={t.label}>
                  <summary>
                    {ui.t('activities')} · {t.label}
                  </summary>
                  <ul class="activities">
                    {(t.subjects ?? []).flatMap((s) =>
                      (s.activities ?? []).map((a, i) => (
                        <li key={`${s.label}-${i}`}>
                          <span>
                            {s.label}: {a.label} <span class="muted">{a.category}</span>
                          </span>
                          <span class={moodClass(a.scoreMood)}>
                            {scoreText(ui, a.scoreGiven)} / {scoreText(ui, a.scoreMaximum)}
                          </span>
                        </li>
                      )),
                    )}
                  </ul>
                </details>
              ))}
            {(book.attachments ?? []).map((a) => (
              <a class="attachment" href={a.url} key={a.url} rel="noopener noreferrer" target="_blank">
                {a.title}
              </a>
            ))}
          </article>
        );
      })}
    </>
  );
}

// ---- Attendance: presence share and absences, as a whole and per subject ----
function AttendanceBody({ ui, data }: { ui: I18n; data: R<'@layers:education:Attendance:getRelated'> }) {
  return (
    <>
      {(data.result ?? []).map((h: AttendanceHistory) => (
        <article class="panel" key={h.id ?? h.student}>
          <h2>
            {h.student} <span class="muted">{h.course}</span>
          </h2>
          {h.overall && (
            <p class={`big ${moodClass(h.overall.mood)}`}>
              {ui.t('presence')}: <strong>{h.overall.presencePercentage === undefined ? '—' : ui.percent(h.overall.presencePercentage)}</strong> ·{' '}
              {ui.t('absences')}: <strong>{h.overall.absenceTotal ?? '—'}</strong>
            </p>
          )}
          <table>
            <thead>
              <tr>
                <th scope="col">{ui.t('subject')}</th>
                <th scope="col">{ui.t('presence')}</th>
                <th scope="col">{ui.t('absences')}</th>
                <th scope="col">{ui.t('workload')}</th>
              </tr>
            </thead>
            <tbody>
              {(h.subjects ?? []).map((s) => (
                <tr key={s.name}>
                  <th scope="row">{s.name}</th>
                  <td class={moodClass(s.overall?.mood)}>
                    <meter min={0} max={1} low={0.75} high={0.85} optimum={1} value={s.overall?.presencePercentage ?? 0} aria-hidden="true" />{' '}
                    {s.overall?.presencePercentage === undefined ? '—' : ui.percent(s.overall.presencePercentage)}
                  </td>
                  <td>{s.overall?.absenceTotal ?? '—'}</td>
                  <td>{s.overall?.workload === undefined ? '—' : `${ui.number(s.overall.workload)} ${s.overall.workloadUnit ?? 'h'}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(h.records ?? []).length > 0 && (
            <>
              <h3>{ui.t('absencesList')}</h3>
              <ul class="records">
                {(h.records ?? []).map((r, i) => (
                  <li key={i}>
                    {r.date ? ui.date(r.date) : ''} · {r.subject} <span class="muted">{r.caption}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </article>
      ))}
    </>
  );
}

// ---- Timetables: today's classes first, then the weekly grid ----
const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const hhmm = (t: string | undefined) => (t ?? '').slice(0, 5);

function TimetablesBody({ ui, data }: { ui: I18n; data: R<'@layers:education:Timetables:getRelated'> }) {
  const todayName = WEEK[(new Date().getDay() + 6) % 7]!;
  return (
    <>
      {data.result.map((tt: Timetable) => {
        const used = WEEK.filter((d) => tt.schedules.some((s) => s.weekday === d));
        const times = [...new Set(tt.schedules.map((s) => s.startTime))].sort();
        const today = tt.schedules.filter((s) => s.weekday === todayName).sort((a, b) => a.startTime.localeCompare(b.startTime));
        return (
          <article class="panel" key={tt.id ?? tt.student}>
            <h2>
              {tt.student} <span class="muted">{tt.course}</span>
            </h2>
            <section class="today-card" aria-label={ui.t('todayClasses')}>
              <h3>
                {ui.t('todayClasses')} · {ui.t(todayName as Key)}
              </h3>
              {today.length === 0 ? (
                <p class="muted">{ui.t('noClassesToday')}</p>
              ) : (
                <ul>
                  {today.map((s, i) => (
                    <li key={i}>
                      <span class="time">
                        {hhmm(s.startTime)}–{hhmm(s.endTime)}
                      </span>{' '}
                      <strong>{s.title}</strong> <span class="muted">{[s.location, s.caption].filter(Boolean).join(' · ')}</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <div class="scroll" tabIndex={0} role="region" aria-label={`${ui.t('timetables')}: ${tt.student}`}>
              <table class="timetable">
                <thead>
                  <tr>
                    <th scope="col">{ui.t('time')}</th>
                    {used.map((d) => (
                      <th scope="col" key={d} class={d === todayName ? 'today' : ''}>
                        {ui.t(d as Key)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {times.map((time) => (
                    <tr key={time}>
                      <th scope="row">{hhmm(time)}</th>
                      {used.map((d) => {
                        const slot = tt.schedules.find((s) => s.weekday === d && s.startTime === time);
                        return (
                          <td key={d} class={d === todayName ? 'today' : ''}>
                            {slot && (
                              <>
                                <strong>{slot.title}</strong>
                                {slot.label && <span class="tag">{slot.label}</span>}
                                <br />
                                <span class="muted">{[slot.location, slot.caption].filter(Boolean).join(' · ')}</span>
                              </>
                            )}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {(tt.attachments ?? []).map((a) => (
              <a class="attachment" href={a.url} key={a.url} rel="noopener noreferrer" target="_blank">
                {a.title}
              </a>
            ))}
          </article>
        );
      })}
    </>
  );
}

// ---- Payables: what needs attention first, counts by status, bills per student ----
type Bill = PayableGroup['payables'][number];
const STATUS_KEY: Record<string, Key> = { late: 'overdue', open: 'open', pending: 'pending', paid: 'paid' };
const daysUntil = (iso: string) =>
  Math.round((Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) - Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`)) / 86_400_000);

function CopyButton({ ui, text, label }: { ui: I18n; text: string; label: Key }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      onClick={() =>
        void navigator.clipboard.writeText(text).then(
          () => setDone(true),
          () => setDone(false),
        )
      }
    >
      {done ? ui.t('copied') : ui.t(label)}
    </button>
  );
}

function BillRow({ ui, bill, who }: { ui: I18n; bill: Bill; who?: string }) {
  const status = bill.status ?? 'open';
  const days = bill.dueAt ? daysUntil(bill.dueAt) : undefined;
  const pix = (bill as { pix?: { code?: string } }).pix?.code;
  return (
    <li class={`bill status-${status}`}>
      <div>
        <strong>{bill.description}</strong>
        <span class={`pill status-${status}`}>{ui.t(STATUS_KEY[status] ?? 'open')}</span>
        {who !== undefined && <div>{who}</div>}
        <div class="muted">
          {bill.dueAt && `${ui.t('dueOn')}: ${ui.date(bill.dueAt)}`}
          {status !== 'paid' && days !== undefined && ` · ${ui.t(days < 0 ? 'wasDue' : 'dueIn', { rel: ui.relativeDays(days) })}`}
          {bill.paidAt && ` · ${ui.t('paidOn')} ${ui.date(bill.paidAt)}`}
        </div>
      </div>
      <div class="amount">{ui.money(bill.centsTotal ?? 0)}</div>
      {status !== 'paid' && (
        <div class="actions">
          {bill.boleto?.code && <CopyButton ui={ui} text={bill.boleto.code} label="copyBarcode" />}
          {pix && <CopyButton ui={ui} text={pix} label="copyPix" />}
          {bill.boleto?.link && (
            <a href={bill.boleto.link} rel="noopener noreferrer" target="_blank">
              {ui.t('boletoPdf')}
            </a>
          )}
        </div>
      )}
    </li>
  );
}

function PayablesBody({ ui, data }: { ui: I18n; data: R<'@layers:payments:Payables:getRelated'> }) {
  const all = data.result.flatMap((g: PayableGroup) => g.payables);
  const count = (s: string) => all.filter((b) => (b.status ?? 'open') === s).length;
  const attention = data.result
    .flatMap((g) => g.payables.map((bill) => ({ bill, who: g.title })))
    .filter(({ bill }) => bill.status === 'late' || bill.status === 'open')
    .sort((a, b) => (a.bill.dueAt ?? '').localeCompare(b.bill.dueAt ?? ''));
  return (
    <>
      <ul class="counts">
        {(['late', 'open', 'pending', 'paid'] as const).map((s) => (
          <li class={`status-${s}`} key={s}>
            <span class="n">{count(s)}</span> {ui.t(STATUS_KEY[s]!)}
          </li>
        ))}
      </ul>
      {attention.length > 0 && (
        <section class="panel attention">
          <h2>{ui.t('needsAttention')}</h2>
          <ul class="bills">
            {attention.map(({ bill, who }) => (
              <BillRow ui={ui} bill={bill} who={who} key={bill.id} />
            ))}
          </ul>
        </section>
      )}
      {data.result.map((g) => (
        <details class="panel" key={g.id ?? g.title}>
          <summary>
            <strong>{g.title}</strong> <span class="muted">{g.description}</span>
          </summary>
          <ul class="bills">
            {g.payables.map((b) => (
              <BillRow ui={ui} bill={b} key={b.id} />
            ))}
          </ul>
        </details>
      ))}
    </>
  );
}

// ---- Documents: each group's files and links, ready to open or download ----
const KIND_KEY: Record<string, Key> = { file: 'kindFile', link: 'kindLink', image: 'kindImage' };

function DocumentsBody({ ui, data }: { ui: I18n; data: R<'@layers:Documents:getRelated'> }) {
  return (
    <>
      {data.result.map((group: DocumentGroup) => (
        <article class="panel" key={group.id ?? group.title}>
          <h2>{group.title}</h2>
          <ul class="documents">
            {group.attachments.map((a) => (
              <li key={a.url}>
                <a href={a.url} rel="noopener noreferrer" target="_blank" {...(a.type === 'file' && { download: '' })}>
                  {a.title}
                </a>{' '}
                <span class="pill">{ui.t(KIND_KEY[a.type] ?? 'kindLink')}</span>
              </li>
            ))}
          </ul>
        </article>
      ))}
    </>
  );
}

// ---- Entrance: the day's entries and exits, updated live over server-sent events ----
function EntranceList({ ui, entries, connected }: { ui: I18n; entries: Entry[]; connected: boolean }) {
  const sorted = [...entries].sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
  return (
    <ol class="entries" aria-live="polite" data-live={connected ? 'on' : 'off'}>
      {sorted.map((e) => (
        <li key={e.id} class={`entry dir-${e.direction}`} data-entry-id={e.id}>
          <time dateTime={e.occurredAt}>{ui.time(e.occurredAt)}</time>
          <span class={`pill dir-${e.direction}`}>{ui.t(e.direction === 'in' ? 'in' : 'out')}</span>
          <strong>{e.person.name}</strong>
          <span class="muted">
            {e.person.role} · {e.gate?.name}
          </span>
        </li>
      ))}
    </ol>
  );
}

function EntranceView({ ui }: Props) {
  const [live, setLive] = useState<Entry[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/entrance/stream');
    source.addEventListener('open', () => setConnected(true));
    source.addEventListener('error', () => setConnected(false));
    source.addEventListener('entries', (e) => {
      const fresh = JSON.parse((e as MessageEvent<string>).data) as Entry[];
      setLive((old) => [...old.filter((o) => !fresh.some((f) => f.id === o.id)), ...fresh]);
    });
    return () => source.close();
  }, []);
  const today = new Date().toISOString().slice(0, 10);
  const Body = ({ data }: { ui: I18n; data: R<'@layers:education:Entrance:getRelated'> }) => {
    const merged = [...data.result.filter((e) => !live.some((l) => l.id === e.id)), ...live].filter(
      (e) => new Date(e.occurredAt).toISOString().slice(0, 10) === today,
    );
    return <EntranceList ui={ui} entries={merged} connected={connected} />;
  };
  return (
    <>
      <p class="muted">
        {ui.t('entries')} · {ui.t('live')}
      </p>
      <Sources ui={ui} view="entrance" Body={Body} />
    </>
  );
}

const simple =
  <T,>(view: ViewName, Body: ComponentType<{ ui: I18n; data: T }>) =>
  ({ ui }: Props) => <Sources ui={ui} view={view} Body={Body} />;

export const VIEWS: Record<ViewName, ComponentType<Props>> = {
  home: simple('home', HomeBody),
  calendar: simple('calendar', CalendarBody),
  grades: simple('grades', GradesBody),
  attendance: simple('attendance', AttendanceBody),
  timetables: simple('timetables', TimetablesBody),
  payables: simple('payables', PayablesBody),
  documents: simple('documents', DocumentsBody),
  entrance: EntranceView,
};
