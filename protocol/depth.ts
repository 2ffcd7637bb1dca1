/**
 * Nesting depth of parsed JSON. JSON.parse is iterative and takes any depth,
 * but JSON.stringify (and every recursive walk after it) is not: a value
 * nested a few thousand levels overflows the stack with a RangeError. Every
 * free-form value a tracker relays is checked here first.
 */

/**
 * True when `value` nests arrays and objects at most `max` levels deep (a
 * scalar is 0, `{}` is 1). Recurses at most `max` levels, so the check
 * itself cannot overflow, and allocates nothing: cheap enough for every
 * signal (whose data is a small object).
 */
export function nestingWithin(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (max <= 0) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!nestingWithin(value[i], max - 1)) return false;
    return true;
  }
  // Parsed JSON has only own, plain data properties ("__proto__" included, as an own key).
  for (const key in value) if (!nestingWithin((value as Record<string, unknown>)[key], max - 1)) return false;
  return true;
}
