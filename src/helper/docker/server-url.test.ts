import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostKey, parseServerUrl } from './server-url.js';

test('parseServerUrl: host and port from every server URL shape docker clients send', () => {
  const table: [string, { hostname: string; port?: string; hub: boolean }, string][] = [
    ['127.0.0.1:5000', { hostname: '127.0.0.1', port: '5000', hub: false }, '127.0.0.1:5000'],
    ['http://127.0.0.1:5000', { hostname: '127.0.0.1', port: '5000', hub: false }, '127.0.0.1:5000'],
    ['https://reg.example.com/v1/', { hostname: 'reg.example.com', hub: false }, 'reg.example.com'],
    ['https://reg.example.com:05000/v2/?x=1#f', { hostname: 'reg.example.com', port: '5000', hub: false }, 'reg.example.com:5000'],
    ['Reg.Example.COM', { hostname: 'reg.example.com', hub: false }, 'reg.example.com'],
    ['[::1]:5000', { hostname: '::1', port: '5000', hub: false }, '[::1]:5000'],
    ['https://index.docker.io/v1/', { hostname: 'index.docker.io', hub: true }, 'docker.io'],
    ['docker.io', { hostname: 'docker.io', hub: true }, 'docker.io'],
    ['registry-1.docker.io', { hostname: 'registry-1.docker.io', hub: true }, 'docker.io'],
    ['docker.io:443', { hostname: 'docker.io', port: '443', hub: false }, 'docker.io:443'],
    ['docker.io.evil.net', { hostname: 'docker.io.evil.net', hub: false }, 'docker.io.evil.net'],
  ];
  for (const [input, want, key] of table) {
    const got = parseServerUrl(input);
    assert.deepEqual(got, want, input);
    assert.equal(hostKey(got), key, input);
  }
});

test('parseServerUrl: refuses what names no registry, without quoting user information', () => {
  const table: [string, RegExp][] = [
    ['https://ghcr.io@evil.net', /user information/],
    ['https://u:hunter2@h.example', /user information/],
    ['ftp://h.example', /unsupported scheme/],
    ['h.example:0', /invalid port/],
    ['h.example:65536', /invalid port/],
    ['h.example:x', /invalid port/],
    ['[::1', /unclosed IPv6/],
    ['[::1]x', /invalid port/],
    ['-bad.example', /no valid host/],
    ['a b', /no valid host/],
    ['bücher.example', /no valid host/],
    ['', /no valid host/],
  ];
  for (const [input, re] of table) {
    assert.throws(() => parseServerUrl(input), (e: Error & { code?: string }) => {
      assert.match(e.message, re, input);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.ok(!e.message.includes('hunter2'));
      return true;
    });
  }
});
