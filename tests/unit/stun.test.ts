/** The STUN responder's pure parts: which requests it reads, and the URL hello names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import stun from 'stun';
import { looksLikeBindingRequest, stunUrl, STUN_MAX_REQUEST_BYTES } from '../../tracker-server/stun-server.ts';

test('looksLikeBindingRequest: a real binding request yes; junk, other types, bad lengths, no cookie no', () => {
  const request = stun.createMessage(stun.constants.STUN_BINDING_REQUEST!).toBuffer();
  assert.equal(looksLikeBindingRequest(request), true);
  assert.equal(looksLikeBindingRequest(Buffer.alloc(0)), false);
  assert.equal(looksLikeBindingRequest(Buffer.from('GET / HTTP/1.1\r\n\r\n')), false);
  assert.equal(looksLikeBindingRequest(stun.createMessage(stun.constants.STUN_BINDING_RESPONSE!).toBuffer()), false);
  assert.equal(looksLikeBindingRequest(stun.createMessage(stun.constants.STUN_ALLOCATE_REQUEST!).toBuffer()), false);
  assert.equal(looksLikeBindingRequest(Buffer.concat([request, Buffer.alloc(4)])), false, 'length field must match the datagram');
  const noCookie = Buffer.from(request);
  noCookie.writeUInt32BE(0, 4);
  assert.equal(looksLikeBindingRequest(noCookie), false, 'RFC 3489 requests (no magic cookie) are not answered');
  const huge = Buffer.alloc(STUN_MAX_REQUEST_BYTES + 4);
  request.copy(huge);
  huge.writeUInt16BE(huge.length - 20, 2);
  assert.equal(looksLikeBindingRequest(huge), false);
});

const base = { publicUrls: [], hostHeader: 'evil.example:80', boundHost: '0.0.0.0', localAddress: '198.51.100.7', port: 3478 };

test('stunUrl: a configured public URL first, picked by Host only among configured ones', () => {
  assert.equal(stunUrl({ ...base, publicUrls: ['wss://a.example.org/ws', 'wss://b.example.org/ws'] }), 'stun:a.example.org:3478');
  assert.equal(stunUrl({ ...base, publicUrls: ['wss://a.example.org/ws', 'wss://b.example.org/ws'], hostHeader: 'b.example.org' }), 'stun:b.example.org:3478');
  assert.equal(stunUrl({ ...base, publicUrls: ['ws://[2001:db8::1]:8080/ws'] }), 'stun:[2001:db8::1]:3478');
});

test('stunUrl: never the Host header; a specific bound address, else the socket local address', () => {
  assert.equal(stunUrl({ ...base, boundHost: '203.0.113.5' }), 'stun:203.0.113.5:3478');
  assert.equal(stunUrl(base), 'stun:198.51.100.7:3478');
  assert.equal(stunUrl({ ...base, boundHost: '::', localAddress: '::ffff:198.51.100.7' }), 'stun:198.51.100.7:3478');
  assert.equal(stunUrl({ ...base, boundHost: '::', localAddress: '2001:db8::7' }), 'stun:[2001:db8::7]:3478');
  assert.equal(stunUrl({ ...base, localAddress: undefined }), undefined);
});
