/** Operator routes of publish & subscribe: the event and delivery logs, replay, subscriptions. */
import type { FastifyInstance } from 'fastify';
import { conflict, invalidRequest, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { OutboxStore } from '../store/store.js';
import { actionIdParam } from '../http/params.js';
import { DELIVERY_STATUSES, type AttemptRecord, type DeliveryRecord, type DeliveryStatus, type EventRecord } from '../delivery/types.js';
import { idParam, pageOf, pageParams, stringFilter } from './params.js';

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

export function deliveryRoutes(deps: DeliveryRoutesDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/events', async (request) => {
      const page = pageParams(request);
      const rows = await deps.store.listEvents({
        communityId: stringFilter(request, 'community'),
        action: stringFilter(request, 'action'),
        publisher: stringFilter(request, 'publisher'),
        beforeSeq: page.beforeSeq,
        limit: page.limit,
      });
      const { items, nextCursor } = pageOf(rows, page);
      return { items: items.map(eventView), nextCursor };
    });

    app.get('/events/:eventId', async (request) => {
      const id = (request.params as { eventId: string }).eventId;
      const event = await deps.store.getEvent(id);
      if (event === null) throw notFound(`no event "${id.slice(0, 100)}"`);
      const deliveries = await deps.store.listDeliveries({ eventId: id, limit: 1000 });
      return { ...eventView(event), deliveries: await withAttempts(deps, deliveries) };
    });

    app.get('/deliveries', async (request) => {
      const page = pageParams(request);
      const status = stringFilter(request, 'status');
      if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
        throw invalidRequest(`status must be one of ${DELIVERY_STATUSES.join(', ')}`, [{ pointer: '/query/status', message: `must be one of ${DELIVERY_STATUSES.join(', ')}` }]);
      }
      const rows = await deps.store.listDeliveries({
        status: status as DeliveryStatus | undefined,
        appId: stringFilter(request, 'app'),
        action: stringFilter(request, 'action'),
        communityId: stringFilter(request, 'community'),
        eventId: stringFilter(request, 'event'),
        beforeSeq: page.beforeSeq,
        limit: page.limit,
      });
      const { items, nextCursor } = pageOf(rows, page);
      return { items: await withAttempts(deps, items), nextCursor };
    });

    app.get('/deliveries/:deliveryId', async (request) => {
      const id = (request.params as { deliveryId: string }).deliveryId;
      const delivery = await deps.store.getDelivery(id);
      if (delivery === null) throw notFound(`no delivery "${id.slice(0, 100)}"`);
      return (await withAttempts(deps, [delivery]))[0];
    });

    app.post('/deliveries/:deliveryId/replay', async (request) => {
      const id = (request.params as { deliveryId: string }).deliveryId;
      const replayed = await deps.store.replayDelivery(id, Date.now());
      if (replayed === null) {
        if ((await deps.store.getDelivery(id)) === null) throw notFound(`no delivery "${id.slice(0, 100)}"`);
        throw conflict(`delivery "${id}" is being attempted right now; replay it once the attempt is over`);
      }
      deps.outbox.deliveriesChanged();
      return replayed;
    });

    app.post('/communities/:community/installations/:appId/subscriptions/:action/enable', async (request) => {
      const communityId = idParam(request, 'community', 'community');
      const appId = idParam(request, 'appId', 'app');
      const action = actionIdParam(request);
      if (!(await deps.store.enableSubscription(communityId, appId, action))) {
        throw notFound(`the subscription of app "${appId}" to "${action}" in community "${communityId}" is not disabled`);
      }
      await deps.reloadEverywhere();
      return { community: communityId, app: appId, action, enabled: true };
    });
  };
}
