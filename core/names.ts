/** "Did you mean …?" for names in lock-order.json: the closest names the code does declare. */

const MAX_SUGGESTIONS = 3;

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}

/** The closest candidates to `wanted`, best first, within a distance that still reads as a typo. */
export function closestNames(wanted: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  const scored: { name: string; distance: number }[] = [];
  const lowerWanted = wanted.toLowerCase();
  for (const name of new Set(candidates)) {
    // The distance is at least the difference in length: most candidates are out of reach without computing it.
    if (Math.abs(name.length - wanted.length) > limit) continue;
    const distance = name.toLowerCase() === lowerWanted ? 0.5 : editDistance(wanted, name);
    if (distance <= limit) scored.push({ name, distance });
  }
  scored.sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1));
  // Only the near-best: one clear typo fix is worth more than a list of distant names.
  const best = scored[0]?.distance ?? 0;
  return scored.filter((entry) => entry.distance <= best + 1).slice(0, MAX_SUGGESTIONS).map((entry) => entry.name);
}

/** `did you mean "A" or "B"? ` (with its trailing space), or "" without suggestions. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "";
  return `did you mean ${suggestions.map((name) => `"${name}"`).join(" or ")}? `;
}
