/** One step of a versioned schema; each adapter applies its list in order, once. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
