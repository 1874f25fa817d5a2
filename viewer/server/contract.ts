/**
 * What the viewer's server and its front end agree on: the views and the action each shows, the
 * people of the demo directory, and the shape of `/api/views/:view` (one answer per provider,
 * each either its data or a failure with the hub's request id).
 */
export const ENTRANCE_CREATED = '@layers:education:Entrance:created';
export const ENTRANCE_UPDATED_AFTER = '@layers:education:Entrance:getUpdatedAfter';

export const VIEW_ACTIONS = {
  home: '@layers:getHomeInfo',
  calendar: '@layers:Calendar:getRelated',
  grades: '@layers:education:GradeBooks:getRelated',
  attendance: '@layers:education:Attendance:getRelated',
  timetables: '@layers:education:Timetables:getRelated',
  payables: '@layers:payments:Payables:getRelated',
  documents: '@layers:Documents:getRelated',
  entrance: '@layers:education:Entrance:getRelated',
  tabs: '@layers:payments:Tabs:getRelated',
  items: '@layers:payments:Items:getRelated',
  posts: '@layers:Posts:getUpdatedAfter',
  events: '@layers:Events:getUpdatedAfter',
  records: '@layers:education:AcademicRecords:getRelated',
  medical: '@layers:health:MedicalRecord:getRelated',
} as const;
export type ViewName = keyof typeof VIEW_ACTIONS;

/** The sales channel the viewer is, for the store's actions. */
export const STORE_CHANNEL = { id: 'visao-da-escola', slug: 'visao-da-escola' };
/** How far back the feed and the agenda reach (the two actions ask for changes after a time). */
export const FEED_DAYS = 180;
export const FEED_LIMIT = 100;

/** The data a view's call sends: `{user}` for the actions about a user; the store adds its channel
 * (and the tab, for its items); posts and events ask for what changed in the last FEED_DAYS. */
export function callDataFor(view: ViewName, user: { id: string; name: string; alias: string }, query: { tab?: string }, now: Date): unknown {
  switch (view) {
    case 'tabs':
      return { user, channel: STORE_CHANNEL };
    case 'items':
      return { user, channel: STORE_CHANNEL, catalogTab: { alias: query.tab ?? '' } };
    case 'posts':
    case 'events':
      return { after: new Date(now.getTime() - FEED_DAYS * 86_400_000).toISOString(), limit: FEED_LIMIT };
    default:
      return { user };
  }
}

export interface Person {
  id: string;
  name: string;
  alias: string;
  role: string;
}

export interface Community {
  id: string;
  name: string;
  people: Person[];
}

export interface Failure {
  type: string;
  message: string;
  requestId: string | null;
}

export type SourceAnswer =
  { provider: { id: string; displayName: string }; ok: true; data: unknown } | { provider: { id: string; displayName: string }; ok: false; error: Failure };

export interface ViewAnswer {
  action: string;
  providers: { id: string; displayName: string }[];
  sources: SourceAnswer[];
  error?: Failure;
}
