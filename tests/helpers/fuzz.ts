/**
 * Hostile frames for the fuzzer (issue 8): values no JSON.stringify makes
 * (1e400, lone surrogates, 5,000-deep nesting), objects with toString,
 * valueOf, __proto__ and constructor keys, arrays where objects go, huge
 * strings and arrays, wrapped around every request type's real fields.
 */
import fc from 'fast-check';
import { Request } from '../../protocol/tracker.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';

/** A piece of JSON text inserted as is. */
export class Raw {
  constructor(readonly text: string) {}
}
export type J = null | boolean | number | string | Raw | J[] | { [key: string]: J };

/** JSON text of a value that may hold Raw pieces (JSON.stringify would quote them). */
export function emit(value: J): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(emit).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${emit(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const deep = (depth: number, open: '[' | '{"a":'): Raw =>
  new Raw(open === '[' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

/** Scalars and texts a parser should meet. */
const rawScalar: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom<J>(
    new Raw('1e400'),
    new Raw('-1e400'),
    new Raw('1e-400'),
    new Raw('"\\ud800"'),
    new Raw('"\\udfff\\ud800"'),
    new Raw('"\\u0000"'),
    new Raw('123456789012345678901234567890'),
    new Raw('-0'),
    0,
    -1,
    1.5,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    '',
    'toString',
    '__proto__',
    'constructor',
    '<script>alert(1)</script>',
    '../../etc/passwd',
    true,
    false,
    null,
  ),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.integer(),
  fc.double(),
);

/** Objects meant to trip code that trusts shapes (String() of the first one used to stop a tracker). */
export const trickyObject: fc.Arbitrary<J> = fc.constantFrom<J>(
  { toString: 1 },
  [{ toString: 1 }],
  { toString: {}, valueOf: {} },
  { valueOf: 1 },
  new Raw('{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}}}'),
  { constructor: { prototype: { polluted: 1 } } },
  { then: 1 },
);

/** Objects and arrays meant to trip code that trusts shapes. */
const hostileObject = (inner: fc.Arbitrary<J>): fc.Arbitrary<J> =>
  fc.oneof(
    trickyObject,
    fc.constantFrom<J>(
      { toString: 1 },
      { toString: {}, valueOf: {} },
      { valueOf: 1 },
      new Raw('{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}}}'),
      { constructor: { prototype: { polluted: 1 } } },
      { length: 1e9 },
      { then: 1 },
      [{ toString: 1 }],
      [],
      {},
    ),
    fc.integer({ min: 33, max: 6000 }).map((d) => deep(d, '[')),
    fc.integer({ min: 33, max: 3000 }).map((d) => deep(d, '{"a":')),
    fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n)),
    // Now and then past the frame cap (1 MiB): that is abuse, and closes the connection.
    fc.integer({ min: 1000, max: 1_200_000 }).map((n) => 'y'.repeat(n)),
    fc.integer({ min: 1000, max: 40_000 }).map((n) => new Raw(`[${Array(n).fill('0').join(',')}]`)),
    fc.array(inner, { maxLength: 5 }),
    fc.dictionary(fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'id', 'type', 'data', 'a'), inner, { maxKeys: 4 }),
  );

/** Any hostile value: scalars, hostile objects, and those nested a little. */
export const hostileValue: fc.Arbitrary<J> = fc.letrec<{ v: J }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, rawScalar, hostileObject(tie('v'))),
})).v;

const types = Request.options.map((o) => o.shape.type.value as string);
const fieldsOf = new Map<string, string[]>(Request.options.map((o) => [o.shape.type.value as string, Object.keys(o.shape).filter((k) => k !== 'id' && k !== 'type')]));

const validish: Record<string, J> = {
  protocol: PROTOCOL_VERSION,
  userId: 'fuzzer',
  password: 'password1',
  token: 'A'.repeat(43),
  groupId: 'fuzz-group',
  invite: 'B'.repeat(22),
  fileId: 'a'.repeat(40),
  to: 'peer-abcdefgh',
  bitfield: 'AA==',
  pieces: [0],
  data: { type: 'offer', sdp: 'v=0' },
  ttlMs: 60_000,
  meta: { groupId: 'fuzz-group', name: 'f', size: 1, pieceSize: 524288, pieceHashes: ['b'.repeat(40)] },
};

export interface HostileFrame {
  text: string;
  /** The id the reply must carry: the frame's when readable, else null. */
  replyId: string | null;
  /** The `type` it claims, when a string (for keeping track of auth stages). */
  type: string | undefined;
}

/** One frame: a request type (known, or a hostile value) with its fields, some replaced or added hostilely. */
export const hostileFrame: fc.Arbitrary<HostileFrame> = fc
  .record({
    type: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...types) as fc.Arbitrary<J> },
      { weight: 1, arbitrary: trickyObject },
      { weight: 1, arbitrary: hostileValue },
    ),
    id: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1e9 }).map((n) => `fz-${n}`) as fc.Arbitrary<J> }, { weight: 1, arbitrary: hostileValue }),
    replace: fc.array(fc.tuple(fc.nat(), hostileValue), { maxLength: 2 }),
    extra: fc.option(fc.tuple(fc.constantFrom('toString', '__proto__', 'constructor', 'valueOf', 'extra'), hostileValue), { freq: 4 }),
    drop: fc.boolean(),
    shape: fc.constantFrom('object', 'object', 'object', 'object', 'array', 'deep'),
  })
  .map(({ type, id, replace, extra, drop, shape }) => {
    // No prototype: a "__proto__" key is then an own key, sent as such, not a prototype swap.
    const frame = Object.assign(Object.create(null) as Record<string, J>, { id, type });
    const fields = typeof type === 'string' ? (fieldsOf.get(type) ?? []) : [];
    fields.forEach((f, i) => {
      if (!(drop && i === 0)) frame[f] = validish[f] ?? null;
    });
    for (const [n, value] of replace) if (fields.length) frame[fields[n % fields.length]!] = value;
    if (extra) (frame as Record<string, unknown>)[extra[0]] = extra[1];
    const text = shape === 'array' ? `[${emit(frame)}]` : shape === 'deep' ? `{"id":${emit(id)},"type":${emit(type)},"x":${deep(5000, '[').text}}` : emit(frame);
    // What the tracker will read as the id and type (a Raw piece may be a string too).
    const parsed = JSON.parse(text) as unknown;
    const read = (key: string) => (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[key] : undefined);
    const readId = read('id');
    const readType = read('type');
    return {
      text,
      replyId: typeof readId === 'string' && readId.length <= 64 ? readId : null,
      type: typeof readType === 'string' ? readType : undefined,
    };
  });
