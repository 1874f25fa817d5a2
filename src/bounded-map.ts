/** The bounded cache of the hub's small memo maps (decoded keys, parsed URLs, opened secrets). */

/** Sets `key` in `map`, first dropping its oldest entry (a Map keeps insertion order) when it
 * already holds `max`: a cache keyed by what apps send must not grow without bound. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}
