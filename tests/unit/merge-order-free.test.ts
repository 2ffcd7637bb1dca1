/**
 * Order-free merge: random op sets from three trackers, with name conflicts,
 * membership races (invites used, revoked, members removed and coming
 * back) and references to accounts that lose their name, and
 * requests applied twice (a retry after failover that reached a tracker
 * which had not seen the first attempt: a second op, same request key, on
 * another origin), applied to several replicas in random orders with
 * duplicates (one op at a time, in batches, or mixed) all give
 * byte-identical state: the same digest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Op, OpBody } from '../../protocol/ops.ts';
import { compareOps, creationKey, REQUEST_KEY_PREFIX } from '../../protocol/ops.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { Replica } from '../../tracker-server/state/replica.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';

const ORIGINS = ['ta', 'tb', 'tc'];
const NAMES = ['ann', 'bo', 'cy'];
const GROUPS = ['g1', 'g2'];
const FILES = ['a'.repeat(40), 'b'.repeat(40)];

/** A body template: which kind, and indices resolved against the op set once it exists. */
const bodyArb = fc.record({
  kind: fc.constantFrom(
    'user_created', 'session_opened', 'session_revoked', 'group_created', 'join_requested',
    'request_accepted', 'request_rejected', 'member_left', 'file_shared', 'share_stopped',
    'invite_created', 'invite_used', 'invite_revoked', 'member_removed',
  ),
  name: fc.nat(NAMES.length - 1),
  other: fc.nat(NAMES.length - 1),
  group: fc.nat(GROUPS.length - 1),
  file: fc.nat(FILES.length - 1),
  ref: fc.nat(1000),
  token: fc.nat(3),
});

const opsArb = fc
  .record({
    perOrigin: fc.tuple(...ORIGINS.map(() => fc.array(bodyArb, { maxLength: 25 }))),
    // How far each origin's clock is off: concurrent, conflicting writes.
    skew: fc.tuple(...ORIGINS.map(() => fc.integer({ min: 0, max: 40 }))),
    // Requests applied a second time on another origin: [which op, which other origin, how much later].
    retries: fc.array(fc.tuple(fc.nat(1000), fc.nat(1), fc.integer({ min: -2000, max: 3000 })), { maxLength: 12 }),
  })
  .map(({ perOrigin, skew, retries }) => {
    type Header = { origin: string; seq: number; hlc: number; rid: string | undefined; t: (typeof perOrigin)[0][0] };
    const headers: Header[] = [];
    perOrigin.forEach((templates, o) => {
      let hlc = skew[o]! * 1000;
      templates.forEach((t, i) => {
        hlc += 1 + ((t.ref * 7919) % 3000);
        // Most ops were made for a request (a request key); some, from before request keys, carry none.
        const rid = t.ref % 5 === 0 ? undefined : `${REQUEST_KEY_PREFIX}${ORIGINS[o]}${i + 1}`.padEnd(24, 'x');
        headers.push({ origin: ORIGINS[o]!, seq: i + 1, hlc, rid, t });
      });
    });
    const seqs = new Map(ORIGINS.map((o) => [o, headers.filter((h) => h.origin === o).length]));
    const withRid = headers.filter((h) => h.rid !== undefined);
    for (const [which, other, later] of retries) {
      if (withRid.length === 0) break;
      const first = withRid[which % withRid.length]!;
      const origin = ORIGINS.filter((o) => o !== first.origin)[other]!;
      const seq = seqs.get(origin)! + 1;
      seqs.set(origin, seq);
      // The same request and body, made again by another tracker, at its own (possibly skewed, even earlier) time.
      headers.push({ ...first, origin, seq, hlc: Math.max(0, first.hlc + later) });
    }
    const creations = (kind: string) => headers.filter((h) => h.t.kind === kind).map((h) => creationKey(h));
    const userKeys = creations('user_created');
    const groupKeys = creations('group_created');
    const pick = (keys: string[], n: number) => (keys.length ? keys[n % keys.length]! : 'ta:999');
    return headers.map(({ origin, seq, hlc, rid, t }): Op => {
      const by = NAMES[t.name]!;
      const actor = { by, byKey: pick(userKeys, t.ref) };
      const meta = { groupId: GROUPS[t.group]!, name: 'f', size: 10, pieceSize: PIECE_SIZE, pieceHashes: ['c'.repeat(40)] } as const;
      const bodies: Record<string, OpBody> = {
        user_created: { kind: 'user_created', userId: by, salt: `s${origin}${seq}`, hash: `h${origin}${seq}` },
        session_opened: { kind: 'session_opened', userId: by, userKey: pick(userKeys, t.ref), tokenHash: `tok${t.token}`.padEnd(16, '0') },
        session_revoked: { kind: 'session_revoked', tokenHash: `tok${t.token}`.padEnd(16, '0') },
        group_created: { kind: 'group_created', groupId: GROUPS[t.group]!, ...actor },
        join_requested: { kind: 'join_requested', groupKey: pick(groupKeys, t.ref), ...actor },
        request_accepted: { kind: 'request_accepted', groupKey: pick(groupKeys, t.ref), userId: NAMES[t.other]!, ...actor },
        request_rejected: { kind: 'request_rejected', groupKey: pick(groupKeys, t.ref), userId: NAMES[t.other]!, ...actor },
        member_left: { kind: 'member_left', groupKey: pick(groupKeys, t.ref), ...actor },
        file_shared: { kind: 'file_shared', groupKey: pick(groupKeys, t.ref), fileId: FILES[t.file]!, meta: { ...meta, pieceHashes: [...meta.pieceHashes] }, ...actor },
        share_stopped: { kind: 'share_stopped', groupKey: pick(groupKeys, t.ref), fileId: FILES[t.file]!, ...actor },
        // Invite expiry lands inside the generated hlc range, so some uses come too late.
        invite_created: { kind: 'invite_created', groupKey: pick(groupKeys, t.ref), tokenHash: `inv${t.token}`.padEnd(16, '0'), expiresAt: 20 + (t.ref % 60), ...actor },
        invite_used: { kind: 'invite_used', groupKey: pick(groupKeys, t.ref), tokenHash: `inv${t.token}`.padEnd(16, '0'), ...actor },
        invite_revoked: { kind: 'invite_revoked', groupKey: pick(groupKeys, t.ref), tokenHash: `inv${t.token}`.padEnd(16, '0'), ...actor },
        member_removed: { kind: 'member_removed', groupKey: pick(groupKeys, t.ref), userId: NAMES[t.other]!, ...actor },
      };
      return { origin, seq, hlc, ...(rid ? { rid } : {}), ...bodies[t.kind]! } as Op;
    });
  });

/** A delivery: the ops in some order, some twice, fed one by one or in batches. */
const deliveryArb = fc.record({
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
  duplicates: fc.array(fc.nat(1000), { maxLength: 20 }),
  batch: fc.integer({ min: 0, max: 8 }),
});

function deliver(ops: Op[], d: { order: number[]; duplicates: number[]; batch: number }): string {
  const copies = [...ops, ...(ops.length ? d.duplicates.map((i) => ops[i % ops.length]!) : [])].map((op) => structuredClone(op));
  const keyed = copies.map((op, i) => ({ op, k: d.order[i % d.order.length]! + i * 1e-9 }));
  keyed.sort((a, b) => a.k - b.k);
  const replica = new Replica();
  if (d.batch === 0) {
    for (const { op } of keyed) replica.add(op);
  } else {
    for (let i = 0; i < keyed.length; i += d.batch) replica.addMany(keyed.slice(i, i + d.batch).map((x) => x.op));
  }
  return stateDigest(replica.state);
}

test('any order, any duplicates, one digest', () => {
  fc.assert(
    fc.property(opsArb, fc.array(deliveryArb, { minLength: 3, maxLength: 4 }), (ops, deliveries) => {
      const reference = new Replica();
      reference.addMany([...ops].sort(compareOps));
      const expected = stateDigest(reference.state);
      for (const d of deliveries) assert.equal(deliver(ops, d), expected);
    }),
    { numRuns: 300 },
  );
});

test('name conflicts resolve to exactly one winner: the earliest creation (a request applied twice is one creation)', () => {
  fc.assert(
    fc.property(opsArb, (ops) => {
      const replica = new Replica();
      replica.addMany(ops);
      for (const name of NAMES) {
        const creations = ops.filter((op) => op.kind === 'user_created' && op.userId === name).sort(compareOps);
        const user = replica.state.users.get(name);
        if (creations.length === 0) assert.equal(user, undefined);
        else assert.equal(user?.key, creationKey(creations[0]!));
      }
    }),
    { numRuns: 200 },
  );
});
