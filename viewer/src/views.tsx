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
/** What a view's body gets: the data of one source, and which source it came from. */
type BodyProps<T> = { ui: I18n; data: T; provider?: { id: string; displayName: string } };

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
function Sources<T>({ ui, view, Body }: { ui: I18n; view: ViewName; Body: ComponentType<BodyProps<T>> }) {
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
          {source.ok ? (
            <Body ui={ui} data={source.data as T} provider={source.provider} />
          ) : (
            <Problem ui={ui} provider={source.provider.displayName} error={source.error} />
          )}
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
                {ui.t('todayClasses')} · {ui.t(todayName)}
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

// ---- Store (Tabs + Items): the provider's catalogue tabs, then the chosen tab's items and lists ----
type StoreItem = R<'@layers:payments:Items:getRelated'>['items'][number];
type StoreList = R<'@layers:payments:Items:getRelated'>['lists'][number];
const cents = (price: { amount?: number } | undefined) => price?.amount ?? 0;

function ItemRow({ ui, item }: { ui: I18n; item: StoreItem }) {
  const onSale = item.priceFrom !== undefined && cents(item.priceFrom) > cents(item.price);
  return (
    <li class="bill">
      <div>
        <strong>{item.name}</strong>
        <span class={`pill${onSale ? ' status-paid' : ''}`}>{ui.t(onSale ? 'sale' : item.kind === 'recurrence' ? 'recurring' : 'oneOff')}</span>
        {item.caption && <div class="muted">{item.caption}</div>}
        {((item.categories ?? []).length > 0 || item.shippable) && (
          <div class="muted">{[...(item.categories ?? []), ...(item.shippable ? [ui.t('shippable')] : [])].join(' · ')}</div>
        )}
      </div>
      <div class="amount">
        {ui.money(cents(item.price))}
        {item.kind === 'recurrence' && <span class="muted"> / {ui.t('recurring').toLowerCase()}</span>}
        {onSale && <div class="was muted">{ui.t('priceWas', { price: ui.money(cents(item.priceFrom)) })}</div>}
      </div>
    </li>
  );
}

function ListPanel({ ui, list }: { ui: I18n; list: StoreList }) {
  const sum = list.items.reduce((n, i) => n + cents(i.price), 0);
  return (
    <section class="panel">
      <h3>
        {list.name} {list.caption && <span class="muted">{list.caption}</span>}
      </h3>
      <ul class="bills">
        {list.items.map((item) => (
          <ItemRow ui={ui} item={item} key={item.alias} />
        ))}
      </ul>
      {list.wholePrice && (
        <p class="total">
          <strong>{ui.t('wholeList', { price: ui.money(cents(list.wholePrice)) })}</strong>
          {sum > cents(list.wholePrice) && <span class="muted"> ({ui.t('separately', { price: ui.money(sum) })})</span>}
        </p>
      )}
    </section>
  );
}

function StoreItems({ ui, provider, tab }: { ui: I18n; provider: { id: string; displayName: string }; tab: string }) {
  const [source, setSource] = useState<SourceAnswer | { error: Failure }>();
  useEffect(() => {
    setSource(undefined);
    void getView('items', provider.id, tab).then(
      (answer) => setSource(answer.error ? { error: answer.error } : (answer.sources[0] ?? { error: { type: 'NotFound', message: '', requestId: null } })),
      () => setSource({ error: { type: 'HubUnavailable', message: '', requestId: null } }),
    );
  }, [provider.id, tab]);
  if (source === undefined)
    return (
      <div class="skeleton" aria-busy="true">
        {ui.t('loading')}
      </div>
    );
  if (!('ok' in source) || !source.ok)
    return <Problem ui={ui} provider={provider.displayName} error={'error' in source ? source.error : { type: '', message: '', requestId: null }} />;
  const data = source.data as R<'@layers:payments:Items:getRelated'>;
  if (data.items.length === 0 && data.lists.length === 0) return <p class="empty">{ui.t('empty')}</p>;
  return (
    <>
      {data.items.length > 0 && (
        <ul class="bills panel">
          {data.items.map((item) => (
            <ItemRow ui={ui} item={item} key={item.alias} />
          ))}
        </ul>
      )}
      {data.lists.map((list) => (
        <ListPanel ui={ui} list={list} key={list.alias} />
      ))}
    </>
  );
}

function StoreBody({ ui, data, provider }: BodyProps<R<'@layers:payments:Tabs:getRelated'>>) {
  const [tab, setTab] = useState(data.catalogTabs[0]?.alias);
  if (data.catalogTabs.length === 0 || tab === undefined || provider === undefined) return <p class="empty">{ui.t('empty')}</p>;
  return (
    <>
      <p class="muted">{ui.t('storeIntro')}</p>
      <div class="tabs" role="group" aria-label={ui.t('storeSections')}>
        {data.catalogTabs.map((t) => (
          <button type="button" key={t.alias} aria-pressed={t.alias === tab} onClick={() => setTab(t.alias)}>
            {t.title ?? t.alias}
          </button>
        ))}
      </div>
      <StoreItems ui={ui} provider={provider} tab={tab} />
    </>
  );
}

// ---- Posts: the school's announcements, newest first, the body as plain text ----
type Post = R<'@layers:Posts:getUpdatedAfter'>['result'][number];

function Attachments({ ui, list }: { ui: I18n; list: { title: string; type: string; url: string }[] | undefined }) {
  if (!list || list.length === 0) return null;
  return (
    <ul class="documents">
      {list.map((a) => (
        <li key={a.url}>
          <a href={a.url} rel="noopener noreferrer" target="_blank" {...(a.type === 'file' && { download: '' })}>
            {a.title}
          </a>{' '}
          <span class="pill">{ui.t(KIND_KEY[a.type] ?? 'kindLink')}</span>
        </li>
      ))}
    </ul>
  );
}

function PostsBody({ ui, data }: BodyProps<R<'@layers:Posts:getUpdatedAfter'>>) {
  const posts = [...data.result].sort((a: Post, b: Post) => b.createdAt.localeCompare(a.createdAt));
  if (posts.length === 0) return <p class="empty">{ui.t('empty')}</p>;
  return (
    <>
      {posts.map((post) => (
        <article class="panel post" key={post.id ?? post.createdAt}>
          <h2>{post.title}</h2>
          <p class="muted">
            {post.author?.name && `${ui.t('byAuthor', { author: post.author.name })} · `}
            <time dateTime={post.createdAt}>{ui.dateTime(post.createdAt)}</time>
            {post.category && <span class="pill">{post.category}</span>}
          </p>
          <p class="body">{post.description}</p>
          <Attachments ui={ui} list={post.attachments} />
        </article>
      ))}
    </>
  );
}

// ---- Events: what is coming (soonest first), then what already happened (latest first) ----
type AgendaEvent = R<'@layers:Events:getUpdatedAfter'>['result'][number];
const instant = (iso: string, end = false) => Date.parse(iso.length === 10 ? `${iso}T${end ? '23:59:59' : '00:00:00'}-03:00` : iso);

function EventItem({ ui, event }: { ui: I18n; event: AgendaEvent }) {
  const allDay = event.start.length === 10;
  const when = allDay
    ? event.end !== event.start
      ? `${ui.date(event.start)} – ${ui.date(event.end)}`
      : `${ui.date(event.start)} · ${ui.t('allDay')}`
    : `${ui.dateTime(event.start)} – ${ui.time(event.end)}`;
  return (
    <li class="event panel">
      <time dateTime={event.start}>{when}</time>
      <h3>
        {event.title}
        {event.category && <span class="pill">{event.category}</span>}
      </h3>
      {event.location && <p class="muted">{event.location}</p>}
      {event.description && <p class="body">{event.description}</p>}
      {event.conference?.url && (
        <a href={event.conference.url} rel="noopener noreferrer" target="_blank">
          {ui.t('joinCall')}
        </a>
      )}
      <Attachments ui={ui} list={event.attachments} />
    </li>
  );
}

function EventsBody({ ui, data }: BodyProps<R<'@layers:Events:getUpdatedAfter'>>) {
  const now = Date.now();
  const upcoming = data.result.filter((e) => instant(e.end, true) >= now).sort((a, b) => instant(a.start) - instant(b.start));
  const past = data.result.filter((e) => instant(e.end, true) < now).sort((a, b) => instant(b.start) - instant(a.start));
  return (
    <>
      <h2>{ui.t('upcoming')}</h2>
      {upcoming.length === 0 ? (
        <p class="empty">{ui.t('empty')}</p>
      ) : (
        <ol class="events">
          {upcoming.map((e) => (
            <EventItem ui={ui} event={e} key={e.id ?? e.start} />
          ))}
        </ol>
      )}
      {past.length > 0 && (
        <>
          <h2>{ui.t('past')}</h2>
          <ol class="events past">
            {past.map((e) => (
              <EventItem ui={ui} event={e} key={e.id ?? e.start} />
            ))}
          </ol>
        </>
      )}
    </>
  );
}

// ---- AcademicRecords: per student, a table of the year's notes, filterable by category ----
type RecordGroup = R<'@layers:education:AcademicRecords:getRelated'>['result'][number];

function RecordGroupPanel({ ui, group }: { ui: I18n; group: RecordGroup }) {
  const [category, setCategory] = useState('');
  const categories = [...new Set(group.records.map((r) => r.category))];
  const shown = group.records.filter((r) => category === '' || r.category === category).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const unseen = group.records.filter((r) => !r.viewedAt).length;
  return (
    <article class="panel">
      <h2>
        {group.student} <span class="muted">{[group.course, group.season].filter(Boolean).join(' · ')}</span>
      </h2>
      <p class="muted">{ui.t('recordsCount', { n: group.records.length, u: unseen })}</p>
      <label class="picker">
        {ui.t('category')}
        <select value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
          <option value="">{ui.t('allCategories')}</option>
          {categories.map((c) => (
            <option value={c} key={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <div class="scroll" tabIndex={0} role="region" aria-label={`${ui.t('records')}: ${group.student}`}>
        <table class="records-table">
          <thead>
            <tr>
              <th scope="col">{ui.t('date')}</th>
              <th scope="col">{ui.t('category')}</th>
              <th scope="col">{ui.t('about')}</th>
              <th scope="col">{ui.t('record')}</th>
              <th scope="col">{ui.t('status')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id ?? r.createdAt} class={r.viewedAt ? '' : 'unseen'}>
                <td data-label={ui.t('date')}>
                  <time dateTime={r.createdAt}>{ui.date(r.createdAt)}</time>
                </td>
                <td data-label={ui.t('category')}>
                  <span class="pill">{r.category}</span>
                </td>
                <td data-label={ui.t('about')}>{r.caption}</td>
                <td data-label={ui.t('record')}>
                  <p class="body">{r.description}</p>
                  {(r.metadata ?? []).map((m) => (
                    <div class="muted" key={m.label}>
                      {m.label}: {m.value}
                    </div>
                  ))}
                </td>
                <td data-label={ui.t('status')}>
                  {r.viewedAt ? (
                    <span class="muted">{ui.t('seenBy', { who: r.viewedBy ?? '—' })}</span>
                  ) : (
                    <span class="pill status-open">{ui.t('unseen')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}

function RecordsBody({ ui, data }: BodyProps<R<'@layers:education:AcademicRecords:getRelated'>>) {
  if (data.result.length === 0) return <p class="empty">{ui.t('empty')}</p>;
  return (
    <>
      {data.result.map((g) => (
        <RecordGroupPanel ui={ui} group={g} key={g.id ?? g.student} />
      ))}
    </>
  );
}

// ---- MedicalRecord: one card per person, what needs care (bad-mood tags) called out first ----
type MedicalRecord = R<'@layers:health:MedicalRecord:getRelated'>['result'][number];
type MedicalField = MedicalRecord['sections'][number]['fields'][number];

function FieldValue({ ui, field }: { ui: I18n; field: MedicalField }) {
  if (field.type === 'number' && field.number !== undefined)
    return (
      <>
        {typeof field.number === 'number' ? ui.number(field.number) : field.number}
        {field.unit && ` ${field.unit}`}
      </>
    );
  if (field.type === 'tags')
    return (
      <span class="tags">
        {(field.tags ?? []).map((tag) => (
          <span class={`pill mood-${field.mood ?? 'neutral'}`} key={tag}>
            {tag}
          </span>
        ))}
      </span>
    );
  if (field.type === 'attachment' && field.attachment)
    return (
      <a href={field.attachment.url} rel="noopener noreferrer" target="_blank" {...(field.attachment.type === 'file' && { download: '' })}>
        {field.attachment.title}
      </a>
    );
  return <>{field.text ?? '—'}</>;
}

function MedicalBody({ ui, data }: BodyProps<R<'@layers:health:MedicalRecord:getRelated'>>) {
  if (data.result.length === 0) return <p class="empty">{ui.t('empty')}</p>;
  return (
    <div class="medical">
      {data.result.map((record: MedicalRecord) => {
        const alerts = record.sections.flatMap((s) => s.fields.filter((f) => f.type === 'tags' && f.mood === 'bad').flatMap((f) => f.tags ?? []));
        return (
          <article class="panel medical-card" key={record.id ?? record.name}>
            <h2>{record.name}</h2>
            {record.updatedAt && <p class="muted">{ui.t('updatedOn', { date: ui.date(record.updatedAt) })}</p>}
            {alerts.length > 0 && (
              <p class="alert-box">
                <strong>{ui.t('healthAlert')}:</strong> {alerts.join(', ')}
              </p>
            )}
            {record.sections.map((section) => (
              <section key={section.title}>
                <h3>{section.title}</h3>
                <dl>
                  {section.fields.map((field, i) => (
                    <div key={i}>
                      <dt>
                        {field.title}
                        {field.caption && <small class="caption">{field.caption}</small>}
                      </dt>
                      <dd>
                        <FieldValue ui={ui} field={field} />
                      </dd>
                    </div>
                  ))}
                </dl>
              </section>
            ))}
          </article>
        );
      })}
    </div>
  );
}

const simple =
  <T,>(view: ViewName, Body: ComponentType<BodyProps<T>>) =>
  ({ ui }: Props) => <Sources ui={ui} view={view} Body={Body} />;

/** The views a person can open; `items` has none of its own: the store shows them per tab. */
export type RouteName = Exclude<ViewName, 'items'>;

export const VIEWS: Record<RouteName, ComponentType<Props>> = {
  home: simple('home', HomeBody),
  calendar: simple('calendar', CalendarBody),
  grades: simple('grades', GradesBody),
  attendance: simple('attendance', AttendanceBody),
  timetables: simple('timetables', TimetablesBody),
  payables: simple('payables', PayablesBody),
  documents: simple('documents', DocumentsBody),
  entrance: EntranceView,
  tabs: simple('tabs', StoreBody),
  posts: simple('posts', PostsBody),
  events: simple('events', EventsBody),
  records: simple('records', RecordsBody),
  medical: simple('medical', MedicalBody),
};
