/**
 * Misbehaving registries: looping or endless tag pagination is LIMIT_EXCEEDED (at once for a loop,
 * bounded by page count and total time otherwise); answers that are not what the API promises
 * (HTML pages, non-JSON, error documents with 200, a token endpoint serving HTML) are
 * REGISTRY_ERROR naming the URL; a malformed registry URL is INVALID_ARGUMENT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../../runtime/errors.js';
import { startMisbehavingServer, type CannedAnswer } from '../../testing/misbehaving-server.js';
import { RegistryClient } from './client.js';

const json = (body: unknown, headers: Record<string, string> = {}): CannedAnswer => ({
  status: 200,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

test('tag pagination: a looping Link is refused at once; endless pages stop at the page and time bounds', async (t) => {
  const server = await startMisbehavingServer((req) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/v2/p/self/tags/list') return json({ tags: ['a'] }, { link: '</v2/p/self/tags/list?n=1000>; rel="next"' });
    if (u.pathname === '/v2/p/pair/tags/list') {
      const other = u.searchParams.get('side') === 'b' ? 'a' : 'b';
      return json({ tags: [other] }, { link: `</v2/p/pair/tags/list?n=1000&side=${other}>; rel="next"` });
    }
    if (u.pathname === '/v2/p/endless/tags/list') {
      const last = Number(u.searchParams.get('last') ?? 0);
      return { ...json({ tags: [`t${last}`] }, { link: `</v2/p/endless/tags/list?n=1000&last=${last + 1}>; rel="next"` }), delayMs: 20 };
    }
    return { status: 404 };
  });
  t.after(() => server.stop());
  const client = new RegistryClient({ tagListTimeoutMs: 400 });
  t.after(() => client.close());
  const cases: { name: string; repo: string; options?: { maxPages?: number }; message: RegExp; maxRequests: number }[] = [
    { name: 'self-reference', repo: 'p/self', message: /next-page link loops back to .*\/v2\/p\/self\/tags\/list \(page 2\)/, maxRequests: 1 },
    { name: 'two pages pointing at each other', repo: 'p/pair', message: /loops back/, maxRequests: 3 },
    { name: 'endless, page bound', repo: 'p/endless', options: { maxPages: 5 }, message: /more than 5 pages/, maxRequests: 5 },
    { name: 'endless, time bound (client option)', repo: 'p/endless', message: /still paging after 400 ms/, maxRequests: 40 },
  ];
  for (const c of cases) {
    const before = server.requests.length;
    const started = Date.now();
    await assert.rejects(client.repository(server.host, c.repo).listTags(c.options ?? {}), (e: unknown) => {
      assert.ok(isOcmError(e, 'LIMIT_EXCEEDED'), `${c.name}: ${String(e)}`);
      assert.match((e as Error).message, c.message, c.name);
      return true;
    });
    assert.ok(server.requests.length - before <= c.maxRequests, `${c.name}: ${server.requests.length - before} requests`);
    assert.ok(Date.now() - started < 3000, `${c.name}: took ${Date.now() - started} ms`);
  }
});

test('answers that are not what the API promises are REGISTRY_ERROR naming the URL', async (t) => {
  const html: CannedAnswer = { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><body>Welcome to our portal</body></html>' };
  const server = await startMisbehavingServer((req, self) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/v2/html/')) return html;
    if (path === '/v2/errdoc/x/manifests/v1') return json({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    if (path === '/v2/nonjson/x/manifests/v1') return { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: 'not json at all' };
    if (path === '/v2/nonjson/x/tags/list') return { status: 200, headers: { 'content-type': 'application/json' }, body: '<tags>' };
    if (path === '/v2/tokenhtml/x/manifests/v1') {
      if (req.headers.authorization) return json({ schemaVersion: 2 });
      return { status: 401, headers: { 'www-authenticate': `Bearer realm="${self}/token",service="s"` } };
    }
    if (path === '/token') return html;
    if (path === '/v2/badredirect/x/manifests/v1') return { status: 302, headers: { location: 'http://[::1/nowhere' } };
    return { status: 404 };
  });
  t.after(() => server.stop());
  const client = new RegistryClient({ credentials: async () => ({ username: 'u', password: 'p' }) });
  t.after(() => client.close());
  const at = (repo: string) => client.repository(server.host, repo);
  const cases: { name: string; run: () => Promise<unknown>; message: RegExp }[] = [
    { name: 'HTML where a manifest belongs (GET)', run: () => at('html/x').fetchManifest('v1'), message: /\/v2\/html\/x\/manifests\/v1 answered text\/html, not an OCI manifest: is this a registry\?/ },
    { name: 'HTML where a manifest belongs (HEAD)', run: () => at('html/x').resolve('v1'), message: /answered text\/html, not an OCI manifest: is this a registry\?/ },
    { name: 'HTML where a tag list belongs', run: () => at('html/x').listTags(), message: /tags\/list answered text\/html, not a tag list/ },
    { name: 'HTML where referrers belong', run: () => at('html/x').referrers({ mediaType: 'x', digest: `sha256:${'0'.repeat(64)}`, size: 1 }), message: /answered text\/html, not a referrers index/ },
    { name: 'an error document sent with 200', run: () => at('errdoc/x').fetchManifest('v1'), message: /answered 200 with an error document instead of an OCI manifest: MANIFEST_UNKNOWN: manifest unknown/ },
    { name: 'a manifest that is not JSON', run: () => at('nonjson/x').fetchManifest('v1'), message: /body that is not JSON, not an OCI manifest/ },
    { name: 'a tag list that is not JSON', run: () => at('nonjson/x').listTags(), message: /body that is not JSON, not a tag list/ },
    { name: 'a redirect to a malformed URL', run: () => at('badredirect/x').fetchManifest('v1'), message: /manifests\/v1 redirected to an invalid URL/ },
    { name: 'a token endpoint serving HTML', run: () => at('tokenhtml/x').fetchManifest('v1'), message: /\/token answered text\/html, not a token .*is the token realm right\?/ },
  ];
  for (const c of cases) {
    await assert.rejects(c.run(), (e: unknown) => {
      assert.ok(isOcmError(e, 'REGISTRY_ERROR'), `${c.name}: ${String(e)}`);
      assert.match((e as Error).message, c.message, c.name);
      assert.doesNotMatch((e as Error).message, /\n/, `${c.name}: one line`);
      return true;
    });
  }
});

test('a malformed registry URL is INVALID_ARGUMENT naming it', () => {
  const client = new RegistryClient();
  for (const bad of ['http://[::1', 'http://[::1/x', 'https://exa mple', 'host/with/path', '']) {
    assert.throws(() => client.repository(bad, 'x'), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT') && (e as Error).message.includes(`"${bad}"`), bad);
  }
});
