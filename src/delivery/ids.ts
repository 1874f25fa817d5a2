/** Ids of events and deliveries: 128 random bits, URL-safe, prefixed so a reader tells them apart. */
import { randomBase64url } from '../relay/random.js';

export const newEventId = (): string => `evt_${randomBase64url(16)}`;
export const newDeliveryId = (): string => `dlv_${randomBase64url(16)}`;
