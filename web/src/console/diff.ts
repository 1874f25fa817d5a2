/** A line diff of two JSON values, for the change trail's before and after: each value is
 * pretty-printed, and the lines are matched by their longest common subsequence (a manifest or an
 * action definition is a few hundred lines at most, so the quadratic table is small). */
export type DiffLine = { sign: ' ' | '-' | '+'; text: string };

const linesOf = (value: unknown) => (value === null || value === undefined ? [] : JSON.stringify(value, null, 2).split('\n'));

export function jsonDiff(before: unknown, after: unknown): DiffLine[] {
  const a = linesOf(before);
  const b = linesOf(after);
  // common[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ sign: ' ', text: a[i]! });
      i++;
      j++;
      // Removed lines first, then added ones, as a unified diff reads.
    } else if (i < a.length && (j === b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) out.push({ sign: '-', text: a[i++]! });
    else out.push({ sign: '+', text: b[j++]! });
  }
  return out;
}
