/** The connection settings of a PostgresStore: its own type parsers and, optionally, a schema. */
import pg from 'pg';

/** Lower-case identifiers only, so the name needs no quoting in connection options. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** BIGINT (times, seqs, counts) as numbers; set per pool so the global `pg.types` stay untouched. */
type TypeId = Parameters<typeof pg.types.getTypeParser>[0];
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: TypeId, format?: 'text' | 'binary'): unknown =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function connectionConfig(connectionString: string, schema: string | undefined): pg.ClientConfig {
  if (schema === undefined) return { connectionString, types };
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _`);
  }
  // A startup parameter: every connection, pooled or not, works in the schema from the start.
  return { connectionString, types, options: `-c search_path=${schema}` };
}

/** Runs `work` in one transaction on one pooled connection; rolls back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    // A connection that cannot even roll back is discarded rather than reused.
    client.release(broken);
  }
}
