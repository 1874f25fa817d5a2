/**
 * Ids of events and deliveries: a prefix so a reader tells them apart, the creation time in
 * milliseconds (12 hex digits, so ids sort by time), then 96 random bits (base64url).
 *
 * Time first because ids are keys of B-tree indexes: new keys land at the right edge of the tree,
 * so a batch of publishes dirties a page or two per index instead of one random page per row, which
 * is most of what a commit writes once the tables are large.
 */
import { randomBase64url } from '../relay/random.js';

function timeOrderedId(prefix: string, now: number): string {
  return `${prefix}${now.toString(16).padStart(12, '0')}${randomBase64url(12)}`;
}

export const newEventId = (now = Date.now()): string => timeOrderedId('evt_', now);
export const newDeliveryId = (now = Date.now()): string => timeOrderedId('dlv_', now);
