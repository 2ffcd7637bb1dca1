/** Raw sockets signed in as users, with their pushed events recorded: for door tests over raw frames. */
import assert from 'node:assert/strict';
import { helloSocket, readFrame, type RawSocket } from './raw.ts';
import type { Teardown } from './tracker.ts';

export interface RawUser extends RawSocket {
  events: Record<string, unknown>[];
  /** Sends a request and returns its reply, ok or not. */
  ask(type: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Sends a request and returns its reply, failing the test unless it is ok. */
  ok(type: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Sends a request and returns the error code of its refusal, failing the test if it is ok. */
  refused(type: string, body?: Record<string, unknown>): Promise<string>;
}

let n = 0;

export async function rawUser(t: Teardown, url: string, userId: string, opts: { create?: boolean } = {}): Promise<RawUser> {
  const s = await helloSocket(t, url);
  const events: Record<string, unknown>[] = [];
  s.ws.on('message', (data) => {
    const m = readFrame(String(data));
    if (m.event) events.push(m);
  });
  const ask = async (type: string, body: Record<string, unknown> = {}) => {
    const id = `raw-${++n}`;
    s.send({ id, type, ...body });
    return s.next(id);
  };
  const ok = async (type: string, body: Record<string, unknown> = {}) => {
    const reply = await ask(type, body);
    assert.equal(reply.ok, true, `${userId} ${type}: ${JSON.stringify(reply)}`);
    return reply;
  };
  const refused = async (type: string, body: Record<string, unknown> = {}) => {
    const reply = await ask(type, body);
    assert.equal(reply.ok, false, `${userId} ${type} should be refused`);
    return (reply.error as { code: string }).code;
  };
  if (opts.create !== false) await ok('create_user', { userId, password: 'password1' });
  await ok('login', { userId, password: 'password1' });
  return Object.assign(s, { events, ask, ok, refused });
}
