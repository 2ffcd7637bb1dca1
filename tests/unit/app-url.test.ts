import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appUrlOf, pageOriginOf } from '../../tracker-server/app-url.ts';

test('the app address comes from the first --public-url, ws → http, wss → https, origin only', () => {
  assert.equal(appUrlOf([]), undefined);
  assert.equal(appUrlOf(['wss://drop.example.org/ws']), 'https://drop.example.org');
  assert.equal(appUrlOf(['ws://drop.example.org:8080/ws']), 'http://drop.example.org:8080');
  assert.equal(appUrlOf(['wss://a.example.org/ws', 'wss://b.example.org/ws']), 'https://a.example.org');
  assert.equal(appUrlOf(['ws://[2001:db8::1]:8080/ws']), 'http://[2001:db8::1]:8080');
  // Not a WebSocket URL: no app address rather than a wrong one.
  assert.equal(appUrlOf(['not a url']), undefined);
  assert.equal(appUrlOf(['ftp://drop.example.org/']), undefined);
});

test("a tracker's page origin is what a browser sends as Origin: default ports left out, host in lower case", () => {
  assert.equal(pageOriginOf('wss://drop.example.org:443/ws'), 'https://drop.example.org');
  assert.equal(pageOriginOf('ws://drop.example.org:80/ws'), 'http://drop.example.org');
  assert.equal(pageOriginOf('wss://Drop.Example.org:8443/ws'), 'https://drop.example.org:8443');
  assert.equal(pageOriginOf('ws://drop.example.org:443/ws'), 'http://drop.example.org:443', 'port 443 is no default for http');
  assert.equal(pageOriginOf('https://drop.example.org'), undefined);
});
