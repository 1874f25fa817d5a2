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
} as const;
export type ViewName = keyof typeof VIEW_ACTIONS;

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
