/**
 * Statements that write many rows in one round trip: each column travels as one typed array and
 * `unnest` turns the arrays back into rows. A batch of publishes or attempt outcomes costs two
 * statements instead of two per item, which is what bounds throughput once the database is a
 * network hop away.
 */
import * as rows from '../sql/rows.js';
import type { SqlValue } from '../sql/compose.js';

/** PostgreSQL types of rows.EVENT_COLUMNS, DELIVERY_COLUMNS and ATTEMPT_COLUMNS, in their order. */
const EVENT_TYPES = ['text', 'text', 'text', 'integer', 'text', 'text', 'bigint', 'text'] as const;
const DELIVERY_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'integer',
  'bigint',
  'text',
  'bigint',
  'integer',
  'integer',
  'text',
  'bigint',
  'bigint',
  'bigint',
] as const;
const ATTEMPT_TYPES = ['text', 'bigint', 'integer', 'integer', 'text', 'text'] as const;

const arrays = (types: readonly string[], from = 1) => types.map((type, i) => `$${from + i}::${type}[]`).join(', ');

export const BULK = {
  insertEvents: `INSERT INTO events (${rows.EVENT_COLUMNS.join(', ')}) SELECT * FROM unnest(${arrays(EVENT_TYPES)})`,
  insertDeliveries: `INSERT INTO deliveries (${rows.DELIVERY_COLUMNS.join(', ')}) SELECT * FROM unnest(${arrays(DELIVERY_TYPES)})`,
  // As the single-row statement: the attempt of a delivery deleted meanwhile is not kept.
  insertAttempts: `INSERT INTO attempts (${rows.ATTEMPT_COLUMNS.join(', ')})
    SELECT a.* FROM unnest(${arrays(ATTEMPT_TYPES)}) AS a (${rows.ATTEMPT_COLUMNS.join(', ')})
    WHERE EXISTS (SELECT 1 FROM deliveries WHERE deliveries.id = a.delivery_id)`,
  // An attempt's outcome for many deliveries: arrays of rows.finishValues (in their order), then of
  // the delivery ids, then the lease owner. Returns the ids it applied to.
  finish: `UPDATE deliveries SET status = u.status, attempts = deliveries.attempts + 1,
      next_attempt_at = COALESCE(u.next_attempt_at, deliveries.next_attempt_at), lease_owner = NULL,
      lease_expires_at = NULL, last_status_code = u.last_status_code, last_error = u.last_error,
      updated_at = u.updated_at, delivered_at = u.delivered_at
    FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
      AS u (status, next_attempt_at, last_status_code, last_error, updated_at, delivered_at, id)
    WHERE deliveries.id = u.id AND deliveries.status = 'pending' AND deliveries.lease_owner = $8
    RETURNING deliveries.id`,
} as const;

/** Rows of values → one array per column, as the statements above take them. */
export function columnArrays(valueRows: SqlValue[][], width: number): SqlValue[][] {
  const columns = Array.from({ length: width }, () => new Array<SqlValue>(valueRows.length));
  valueRows.forEach((values, r) => {
    for (let c = 0; c < width; c++) columns[c]![r] = values[c]!;
  });
  return columns;
}

export const WIDTHS = { event: EVENT_TYPES.length, delivery: DELIVERY_TYPES.length, attempt: ATTEMPT_TYPES.length } as const;
