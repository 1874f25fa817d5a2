/** Versioned schema of the PostgreSQL store. Append new versions; never edit an applied one. */
import type { Migration } from '../sql/migration.js';

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE actions (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        data_schema TEXT NOT NULL,
        response_schema TEXT,
        timeout_ms INTEGER,
        coalesce_deliveries BOOLEAN,
        builtin BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (id, version)
      );

      CREATE TABLE apps (
        id TEXT PRIMARY KEY,
        manifest TEXT NOT NULL,
        secret TEXT NOT NULL,
        signing_secret TEXT NOT NULL,
        previous_signing_secret TEXT,
        previous_signing_secret_expires_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        label TEXT,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );

      CREATE TABLE communities (
        id TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE installations (
        community_id TEXT NOT NULL,
        app_id TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (community_id, app_id)
      );

      CREATE TABLE disabled_subscriptions (
        community_id TEXT NOT NULL,
        app_id TEXT NOT NULL,
        action TEXT NOT NULL,
        disabled_at BIGINT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (community_id, app_id, action)
      );

      CREATE TABLE calls (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL,
        at BIGINT NOT NULL,
        community_id TEXT,
        consumer TEXT,
        provider TEXT,
        action TEXT,
        version INTEGER,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        latency_ms INTEGER NOT NULL,
        provider_status INTEGER
      );
      CREATE INDEX calls_at ON calls (at);

      CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        community_id TEXT NOT NULL,
        action TEXT NOT NULL,
        version INTEGER NOT NULL,
        publisher TEXT NOT NULL,
        data TEXT,
        created_at BIGINT NOT NULL,
        idempotency_key TEXT
      );
      CREATE INDEX events_idempotency ON events (publisher, community_id, idempotency_key, created_at)
        WHERE idempotency_key IS NOT NULL;
      CREATE INDEX events_created_at ON events (created_at);

      CREATE TABLE deliveries (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        community_id TEXT NOT NULL,
        app_id TEXT NOT NULL,
        action TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        coalesced INTEGER NOT NULL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        delivered_at BIGINT
      );
      CREATE INDEX deliveries_due ON deliveries (next_attempt_at, seq) WHERE status = 'pending';
      CREATE INDEX deliveries_subscription ON deliveries (community_id, app_id, action) WHERE status = 'pending';
      CREATE INDEX deliveries_event ON deliveries (event_id);
      CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

      CREATE TABLE attempts (
        seq BIGSERIAL PRIMARY KEY,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        at BIGINT NOT NULL,
        duration_ms INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT
      );
      CREATE INDEX attempts_delivery ON attempts (delivery_id, at);
    `,
  },
  {
    version: 2,
    name: 'index of dead deliveries',
    // Counted for the metrics and listed by operators; few, so the partial index stays small.
    sql: `CREATE INDEX deliveries_dead ON deliveries (seq) WHERE status = 'dead';`,
  },
  {
    version: 3,
    name: 'legacy secret kept through the rotation overlap',
    // Secrets are sealed (encrypted) by the hub at start, not here: that needs the key.
    sql: `ALTER TABLE apps ADD COLUMN previous_secret TEXT;`,
  },
  {
    version: 4,
    name: 'reason of a failed call',
    // The operator's reason (hosts and addresses included), which the consumer's answer leaves out.
    sql: `ALTER TABLE calls ADD COLUMN error TEXT;`,
  },
  {
    version: 5,
    name: 'admin keys',
    // Only the SHA-256 of a key's secret part is stored (src/registry/credentials.ts).
    sql: `
      CREATE TABLE admin_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
    `,
  },
  {
    version: 6,
    name: 'change trail of the admin API',
    // seq is the pagination cursor, never reused; before and after are JSON text, secrets redacted.
    sql: `
      CREATE TABLE admin_changes (
        seq BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        key_id TEXT NOT NULL,
        key_name TEXT NOT NULL,
        method TEXT NOT NULL,
        route TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT,
        app_id TEXT,
        community_id TEXT,
        targets TEXT NOT NULL,
        before_value TEXT,
        after_value TEXT,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        request_id TEXT NOT NULL
      );
      CREATE INDEX admin_changes_at ON admin_changes (at);
    `,
  },
  {
    version: 7,
    name: 'deliveries by creation time',
    // The admin list of deliveries filters on since/until; calls and events have their index.
    // (5 and 6 are taken by the admin keys and the change trail.)
    sql: `CREATE INDEX deliveries_created_at ON deliveries (created_at);`,
  },
  {
    version: 8,
    name: 'status of action versions',
    // Kept apart from actions: built-in versions (never stored there) take a status too.
    sql: `
      CREATE TABLE action_statuses (
        action TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        changed_at BIGINT NOT NULL,
        PRIMARY KEY (action, version)
      );
    `,
  },
  {
    version: 9,
    name: 'calls by requestId',
    // The console opens one call by its requestId (GET /v1/admin/calls?requestId=).
    sql: `CREATE INDEX calls_id ON calls (id);`,
  },
  {
    version: 10,
    name: "the start of a subscriber's answer, per attempt",
    sql: `ALTER TABLE attempts ADD COLUMN answer TEXT;`,
  },
];
