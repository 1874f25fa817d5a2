/**
 * The viewer's words in pt-BR (the default) and English, and the Intl formatters of the chosen
 * locale. Provider data is shown as the provider sent it; only the viewer's own words change.
 */
export type Locale = 'pt-BR' | 'en';

const pt = {
  appName: 'Visão da Escola',
  signInTitle: 'Entrar',
  signInIntro: 'Escolha a comunidade e a pessoa com quem entrar (demonstração).',
  community: 'Comunidade',
  signInAs: 'Entrar como',
  signOut: 'Sair',
  language: 'Idioma',
  loading: 'Carregando…',
  home: 'Início',
  calendar: 'Agenda',
  grades: 'Notas',
  attendance: 'Frequência',
  timetables: 'Horários',
  payables: 'Financeiro',
  documents: 'Documentos',
  kindFile: 'arquivo',
  kindLink: 'link',
  kindImage: 'imagem',
  entrance: 'Portaria',
  source: 'Fonte',
  allSources: 'Todas as fontes',
  noProvider: 'Nenhum aplicativo da comunidade oferece estas informações ainda.',
  failed: 'Não foi possível obter as informações de {provider} agora. Tente de novo em alguns minutos.',
  failedHub: 'Não foi possível falar com o hub agora. Tente de novo em alguns minutos.',
  requestId: 'Código da solicitação',
  retry: 'Tentar de novo',
  empty: 'Nada por aqui.',
  badge: '{n} novidade(s)',
  month: 'Mês',
  agenda: 'Próximos eventos',
  prev: 'Mês anterior',
  next: 'Próximo mês',
  allDay: 'Dia inteiro',
  subject: 'Disciplina',
  term: 'Período',
  scheduled: 'ainda não começou',
  activities: 'Atividades',
  score: 'Nota',
  presence: 'Presença',
  absences: 'Faltas',
  workload: 'Carga horária',
  absencesList: 'Faltas registradas',
  today: 'Hoje',
  todayClasses: 'Aulas de hoje',
  noClassesToday: 'Sem aulas hoje.',
  time: 'Horário',
  attachments: 'Anexos',
  overdue: 'Vencidas',
  open: 'Em aberto',
  pending: 'A vencer',
  paid: 'Pagas',
  needsAttention: 'Precisa de atenção',
  dueIn: 'vence {rel}',
  wasDue: 'venceu {rel}',
  dueOn: 'Vencimento',
  paidOn: 'Pago em',
  amount: 'Valor',
  copyBarcode: 'Copiar código de barras',
  copyPix: 'Copiar código PIX',
  copied: 'Copiado!',
  boletoPdf: 'Boleto (PDF)',
  status: 'Situação',
  entries: 'Entradas e saídas de hoje',
  live: 'Atualiza sozinho quando alguém passa pela portaria.',
  in: 'Entrada',
  out: 'Saída',
  gate: 'Portão',
  monday: 'Segunda',
  tuesday: 'Terça',
  wednesday: 'Quarta',
  thursday: 'Quinta',
  friday: 'Sexta',
  saturday: 'Sábado',
  sunday: 'Domingo',
};
export type Key = keyof typeof pt;

const en: Record<Key, string> = {
  appName: 'School View',
  signInTitle: 'Sign in',
  signInIntro: 'Pick the community and the person to sign in as (demo).',
  community: 'Community',
  signInAs: 'Sign in as',
  signOut: 'Sign out',
  language: 'Language',
  loading: 'Loading…',
  home: 'Home',
  calendar: 'Calendar',
  grades: 'Grades',
  attendance: 'Attendance',
  timetables: 'Timetable',
  payables: 'Bills',
  documents: 'Documents',
  kindFile: 'file',
  kindLink: 'link',
  kindImage: 'image',
  entrance: 'Gate',
  source: 'Source',
  allSources: 'All sources',
  noProvider: 'No app of this community offers this information yet.',
  failed: 'We could not get the information from {provider} right now. Please try again in a few minutes.',
  failedHub: 'We could not reach the hub right now. Please try again in a few minutes.',
  requestId: 'Request id',
  retry: 'Try again',
  empty: 'Nothing here.',
  badge: '{n} new',
  month: 'Month',
  agenda: 'Coming up',
  prev: 'Previous month',
  next: 'Next month',
  allDay: 'All day',
  subject: 'Subject',
  term: 'Term',
  scheduled: 'not started yet',
  activities: 'Activities',
  score: 'Score',
  presence: 'Presence',
  absences: 'Absences',
  workload: 'Workload',
  absencesList: 'Recorded absences',
  today: 'Today',
  todayClasses: "Today's classes",
  noClassesToday: 'No classes today.',
  time: 'Time',
  attachments: 'Attachments',
  overdue: 'Overdue',
  open: 'Open',
  pending: 'Upcoming',
  paid: 'Paid',
  needsAttention: 'Needs attention',
  dueIn: 'due {rel}',
  wasDue: 'was due {rel}',
  dueOn: 'Due',
  paidOn: 'Paid on',
  amount: 'Amount',
  copyBarcode: 'Copy barcode',
  copyPix: 'Copy PIX code',
  copied: 'Copied!',
  boletoPdf: 'Bank slip (PDF)',
  status: 'Status',
  entries: "Today's entries and exits",
  live: 'Updates by itself when someone goes through the gate.',
  in: 'In',
  out: 'Out',
  gate: 'Gate',
  monday: 'Monday',
  tuesday: 'Tuesday',
  wednesday: 'Wednesday',
  thursday: 'Thursday',
  friday: 'Friday',
  saturday: 'Saturday',
  sunday: 'Sunday',
};

export interface I18n {
  locale: Locale;
  t(key: Key, values?: Record<string, string | number>): string;
  money(cents: number): string;
  date(iso: string): string;
  dateTime(iso: string): string;
  time(iso: string): string;
  percent(share: number): string;
  number(n: number): string;
  relativeDays(days: number): string;
  monthTitle(year: number, month: number): string;
}

export function i18n(locale: Locale): I18n {
  const words = locale === 'en' ? en : pt;
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' });
  const day = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const dayTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/Sao_Paulo' });
  const clock = new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: 'America/Sao_Paulo' });
  const pct = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const num = new Intl.NumberFormat(locale);
  const rel = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const monthName = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    locale,
    t: (key, values = {}) => words[key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? '')),
    money: (cents) => money.format(cents / 100),
    // A date alone (YYYY-MM-DD) is a calendar day, not an instant: format it in UTC.
    date: (iso) => day.format(new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso)),
    dateTime: (iso) => dayTime.format(new Date(iso)),
    time: (iso) => clock.format(new Date(iso)),
    percent: (share) => pct.format(share),
    number: (n) => num.format(n),
    relativeDays: (days) => rel.format(days, 'day'),
    monthTitle: (year, month) => {
      const title = monthName.format(new Date(Date.UTC(year, month, 1)));
      return title.charAt(0).toLocaleUpperCase(locale) + title.slice(1);
    },
  };
}
