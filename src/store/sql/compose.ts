/** Composes the SQL text both adapters share; only the parameter placeholder differs. */

/** `?` for SQLite, `$n` (1-based) for PostgreSQL. */
export type Placeholder = (position: number) => string;

export const sqlitePlaceholder: Placeholder = () => '?';
export const postgresPlaceholder: Placeholder = (position) => `$${position}`;

export type SqlValue = string | number | null;

/** One optional condition of a query; skipped when `value` is undefined. */
export interface Filter {
  column: string;
  operator: '=' | '<' | '>=' | '<=';
  value: string | number | undefined;
}

export interface WhereClause {
  /** Empty, or ` WHERE …` */
  sql: string;
  params: SqlValue[];
}

export function whereClause(filters: Filter[], placeholder: Placeholder): WhereClause {
  const params: SqlValue[] = [];
  const conditions: string[] = [];
  for (const { column, operator, value } of filters) {
    if (value === undefined) continue;
    params.push(value);
    conditions.push(`${column} ${operator} ${placeholder(params.length)}`);
  }
  return { sql: conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '', params };
}

/** A newest-first page of `table` under optional filters; the limit is the last parameter. */
export function pageQuery(table: string, filters: Filter[], limit: number, placeholder: Placeholder): { sql: string; params: SqlValue[] } {
  const where = whereClause(filters, placeholder);
  const params = [...where.params, limit];
  return {
    sql: `SELECT * FROM ${table}${where.sql} ORDER BY seq DESC LIMIT ${placeholder(params.length)}`,
    params,
  };
}

export function insertSql(table: string, columns: readonly string[], placeholder: Placeholder): string {
  const values = columns.map((_, index) => placeholder(index + 1)).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values})`;
}

/** Insert, or replace every non-key column of the row with the same key. */
export function upsertSql(table: string, columns: readonly string[], keys: readonly string[], placeholder: Placeholder): string {
  const updates = columns.filter((column) => !keys.includes(column)).map((column) => `${column} = excluded.${column}`);
  return `${insertSql(table, columns, placeholder)} ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
}
