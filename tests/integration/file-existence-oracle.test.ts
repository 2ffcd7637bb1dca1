/**
 * A non-member cannot tell a file that exists in a group of others from a
 * file id that exists nowhere: every request that takes a fileId answers
 * both with the same code and the same message (raw frames, so nothing in a
 * client library smooths the difference over).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { helloSocket, type RawSocket } from '../helpers/raw.ts';
import { startTestTracker, userClient, type Teardown } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';

let n = 0;
async function ask(s: RawSocket, type: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const id = `r${++n}`;
  s.send({ id, type, ...body });
  return s.next(id);
}

/** A raw socket signed in as a fresh user. */
export async function rawUser(t: Teardown, url: string, userId: string): Promise<RawSocket> {
  const s = await helloSocket(t, url);
  assert.equal((await ask(s, 'create_user', { userId, password: 'password1' })).ok, true);
  assert.equal((await ask(s, 'login', { userId, password: 'password1' })).ok, true);
  return s;
}

test('a non-member gets the same answer for a real file id and for one that exists nowhere', async (t) => {
  const tracker = await startTestTracker(t);
  const owner = await userClient(t, tracker.wsUrl, 'olga');
  await owner.request('create_group', { groupId: 'g' });
  const { fileId, meta } = randomFile('g');
  await owner.request('upload_file', { fileId, meta });
  await owner.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  const missing = 'f'.repeat(40);
  const pieces = meta.pieceHashes.length;

  const stranger = await rawUser(t, tracker.wsUrl, 'nina');
  // A member of another group, too: being a member somewhere changes nothing.
  await ask(stranger, 'create_group', { groupId: 'other' });
  const bodies: Record<string, (id: string) => Record<string, unknown>> = {
    get_file: (id) => ({ fileId: id }),
    get_holders: (id) => ({ fileId: id }),
    announce: (id) => ({ fileId: id, bitfield: new Bitfield(pieces).toBase64() }),
    have: (id) => ({ fileId: id, pieces: [0] }),
    signal: (id) => ({ fileId: id, to: owner.peerId!, data: { sdp: 'x' } }),
    stop_share: (id) => ({ fileId: id }),
    unannounce: (id) => ({ fileId: id }),
  };
  for (const [type, body] of Object.entries(bodies)) {
    const real = await ask(stranger, type, body(fileId));
    const none = await ask(stranger, type, body(missing));
    const strip = (r: Record<string, unknown>) => ({ ok: r.ok, error: r.error });
    assert.deepEqual(strip(real), strip(none), `${type}: the same answer for a real and a missing file id`);
    if (type !== 'unannounce') {
      assert.equal((real.error as { code: string }).code, ErrorCode.NoSuchFile, `${type}: refused`);
    }
  }
});
