/** Operator routes of publish & subscribe: the event and delivery logs, replay, subscriptions. */
import type { FastifyInstance } from 'fastify';
import { conflict, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { OutboxStore } from '../store/store.js';
import {
  actionIdSchema,
  answerSchema,
  filterSchema,
  idSchema,
  opaqueIdSchema,
  pageAnswer,
  pageQuery,
  pathParams,
  queryParams,
  timeRangeQuery,
} from '../http/route-schemas.js';
import { DELIVERY_STATUSES, type AttemptRecord, type DeliveryRecord, type DeliveryStatus, type EventRecord } from '../delivery/types.js';
import { filter, pageOf, pageParams, timeRange, type PageQuery, type TimeRangeQuery } from './params.js';

export type DeliveryRoutesDeps = Pick<HubDeps, 'outbox' | 'reloadEverywhere'> & { store: OutboxStore };

const eventView = ({ data, ...event }: EventRecord) => ({ ...event, data: data === null ? null : (JSON.parse(data) as unknown) });

async function withAttempts(deps: DeliveryRoutesDeps, deliveries: DeliveryRecord[]) {
  const attempts = await deps.store.listAttempts(deliveries.map((d) => d.id));
  const byDelivery = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.deliveryId) ?? [];
    list.push(a);
    byDelivery.set(a.deliveryId, list);
  }
  return deliveries.map((d) => ({ ...d, history: byDelivery.get(d.id) ?? [] }));
}

const eventsQuery = queryParams({
  ...pageQuery,
  community: filterSchema('community', 'Events published in this community.'),
  action: filterSchema('action', 'Events of this action.'),
  publisher: filterSchema('publisher', 'Events published by this app.'),
  ...timeRangeQuery,
});
const statusText = `must be one of ${DELIVERY_STATUSES.join(', ')}`;
const deliveriesQuery = queryParams({
  ...pageQuery,
  // A filter first (once, a string): then its own wording when it is one string but not a status.
  status: {
    description: 'Deliveries in this status.',
    allOf: [filterSchema('status', 'A filter.'), { enum: [...DELIVERY_STATUSES, ''], 'x-hub-error': { error: `status ${statusText}`, message: statusText } }],
  },
  app: filterSchema('app', 'Deliveries to this subscriber app.'),
  action: filterSchema('action', 'Deliveries of events of this action.'),
  community: filterSchema('community', 'Deliveries in this community.'),
  event: filterSchema('event', 'Deliveries of this event.'),
  ...timeRangeQuery,
});
const eventParams = { params: pathParams({ eventId: opaqueIdSchema('event') }) };
const deliveryParams = { params: pathParams({ deliveryId: opaqueIdSchema('delivery') }) };
const subscriptionParams = { params: pathParams({ community: idSchema('community'), appId: idSchema('app'), action: actionIdSchema }) };

/** Events and deliveries as the admin API shows them, documented only: open (event data is any
 * JSON), and rows keep their own order of fields (a serializer puts declared properties first). */
const EVENT = answerSchema('An event.', { id: { type: 'string' }, action: { type: 'string' }, data: { description: 'The event data: any JSON.' } }, [
  'id',
  'action',
]);
const DELIVERY = answerSchema('A delivery of an event to a subscriber, with its attempts under `history`.', {
  id: { type: 'string' },
  status: { enum: [...DELIVERY_STATUSES] },
  history: { type: 'array', items: { type: 'object', additionalProperties: true } },
});
const ENABLED = answerSchema('The subscription, enabled.', {
  community: { type: 'string' },
  app: { type: 'string' },
  action: { type: 'string' },
  enabled: { const: true },
});

export function deliveryRoutes(deps: DeliveryRoutesDeps) {
  return function routes(app: FastifyInstance): void {
    type EventsQuery = PageQuery & TimeRangeQuery & { community?: string; action?: string; publisher?: string };
    app.get<{ Querystring: EventsQuery }>(
      '/events',
      {
        schema: { querystring: eventsQuery },
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'The event log, newest first.',
            success: { status: 200, description: 'A page.', schema: pageAnswer('Events, newest first.', EVENT) },
          },
        },
      },
      async (request) => {
        const { query } = request;
        const page = pageParams(query);
        const rows = await deps.store.listEvents({
          communityId: filter(query.community),
          action: filter(query.action),
          publisher: filter(query.publisher),
          ...timeRange(query),
          beforeSeq: page.beforeSeq,
          limit: page.limit,
        });
        const { items, nextCursor } = pageOf(rows, page);
        return { items: items.map(eventView), nextCursor };
      },
    );

    app.get<{ Params: { eventId: string } }>(
      '/events/:eventId',
      {
        schema: eventParams,
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'An event with its deliveries and their attempts.',
            errors: ['NotFound'],
            success: { status: 200, description: 'The event.', schema: EVENT },
          },
        },
      },
      async (request) => {
        const id = request.params.eventId;
        const event = await deps.store.getEvent(id);
        if (event === null) throw notFound(`no event "${id.slice(0, 100)}"`);
        const deliveries = await deps.store.listDeliveries({ eventId: id, limit: 1000 });
        return { ...eventView(event), deliveries: await withAttempts(deps, deliveries) };
      },
    );

    type DeliveriesQuery = PageQuery & TimeRangeQuery & { status?: DeliveryStatus | ''; app?: string; action?: string; community?: string; event?: string };
    app.get<{ Querystring: DeliveriesQuery }>(
      '/deliveries',
      {
        schema: { querystring: deliveriesQuery },
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'The deliveries, newest first, with their attempts.',
            success: { status: 200, description: 'A page.', schema: pageAnswer('Deliveries, newest first.', DELIVERY) },
          },
        },
      },
      async (request) => {
        const { query } = request;
        const page = pageParams(query);
        const rows = await deps.store.listDeliveries({
          status: query.status === '' ? undefined : query.status,
          appId: filter(query.app),
          action: filter(query.action),
          communityId: filter(query.community),
          eventId: filter(query.event),
          ...timeRange(query),
          beforeSeq: page.beforeSeq,
          limit: page.limit,
        });
        const { items, nextCursor } = pageOf(rows, page);
        return { items: await withAttempts(deps, items), nextCursor };
      },
    );

    app.get<{ Params: { deliveryId: string } }>(
      '/deliveries/:deliveryId',
      {
        schema: deliveryParams,
        config: {
          adminScope: 'read',
          openapi: { summary: 'A delivery with its attempts.', errors: ['NotFound'], success: { status: 200, description: 'The delivery.', schema: DELIVERY } },
        },
      },
      async (request) => {
        const id = request.params.deliveryId;
        const delivery = await deps.store.getDelivery(id);
        if (delivery === null) throw notFound(`no delivery "${id.slice(0, 100)}"`);
        return (await withAttempts(deps, [delivery]))[0];
      },
    );

    app.post<{ Params: { deliveryId: string } }>(
      '/deliveries/:deliveryId/replay',
      {
        schema: deliveryParams,
        config: {
          adminScope: 'operate',
          changeKind: 'delivery.replay',
          openapi: {
            summary: 'Sends a delivery again, dead or delivered.',
            errors: ['NotFound', 'Conflict'],
            success: { status: 200, description: 'The delivery, pending again.', schema: DELIVERY },
          },
        },
      },
      async (request) => {
        const id = request.params.deliveryId;
        const replayed = await deps.store.replayDelivery(id, Date.now());
        if (replayed === null) {
          if ((await deps.store.getDelivery(id)) === null) throw notFound(`no delivery "${id.slice(0, 100)}"`);
          throw conflict(`delivery "${id}" is being attempted right now; replay it once the attempt is over`);
        }
        deps.outbox.deliveriesChanged();
        return replayed;
      },
    );

    type SubscriptionParams = { community: string; appId: string; action: string };
    const enablePath = '/communities/:community/installations/:appId/subscriptions/:action/enable';
    app.post<{ Params: SubscriptionParams }>(
      enablePath,
      {
        schema: { ...subscriptionParams, response: { 200: ENABLED } },
        config: {
          adminScope: 'operate',
          changeKind: 'subscription.enable',
          openapi: { summary: 'Enables again a subscription the hub disabled.', errors: ['NotFound'] },
        },
      },
      async (request) => {
        const { community: communityId, appId, action } = request.params;
        if (!(await deps.store.enableSubscription(communityId, appId, action))) {
          throw notFound(`the subscription of app "${appId}" to "${action}" in community "${communityId}" is not disabled`);
        }
        await deps.reloadEverywhere();
        return { community: communityId, app: appId, action, enabled: true };
      },
    );
  };
}
