/** JSON Pointer (RFC 6901) segments, as error details and compatibility reports name fields. */

/** A property name as one pointer segment: `~` and `/` escaped. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
