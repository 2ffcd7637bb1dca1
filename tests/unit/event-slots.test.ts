/**
 * tracker-server/gateway/event-slots.ts: an emitter's listener table with
 * fast properties behaves as EventEmitter's own (issue 12 item 2, memory per
 * idle peer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { withEventSlots } from '../../tracker-server/gateway/event-slots.ts';

test('listeners are added, called, removed and counted as before', () => {
  const e = new EventEmitter();
  withEventSlots(e);
  const heard: string[] = [];
  const onMessage = (x: string) => heard.push(`m:${x}`);
  e.on('message', onMessage);
  e.once('close', () => heard.push('close'));
  e.on('message', (x: string) => heard.push(`m2:${x}`));
  assert.equal(e.emit('message', 'a'), true);
  e.emit('close');
  e.emit('close');
  assert.deepEqual(heard, ['m:a', 'm2:a', 'close']);
  assert.deepEqual(e.eventNames(), ['message']);
  e.off('message', onMessage);
  assert.equal(e.listenerCount('message'), 1);
  e.removeAllListeners();
  assert.equal(e.listenerCount('message'), 0);
  assert.equal(e.emit('message', 'b'), false);
});

test('an event named like an Object.prototype member has no listener; an unheard error still throws', () => {
  const e = new EventEmitter();
  withEventSlots(e);
  assert.equal(e.emit('toString'), false);
  assert.equal(e.emit('hasOwnProperty'), false);
  assert.equal(e.listenerCount('constructor'), 0);
  assert.throws(() => e.emit('error', new Error('boom')), /boom/);
  e.on('error', () => undefined);
  assert.equal(e.emit('error', new Error('heard')), true);
});

test('an emitter that already has listeners keeps its own table', () => {
  const e = new EventEmitter();
  const f = () => undefined;
  e.on('close', f);
  withEventSlots(e);
  assert.equal(e.listenerCount('close'), 1);
  e.emit('close');
  e.off('close', f);
  assert.equal(e.listenerCount('close'), 0);
});
