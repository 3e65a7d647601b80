/**
 * `ocm view` end to end: a signed three-component CTF → the page (built CLI), opened from file://
 * in headless Chromium: every resource digest is there, all versions verified; after one blob is
 * tampered the page shows the failure naming the resource, and loading it requests nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runOcm } from '../testing/cli.js';
import { chromiumMissing, launchChromium, type Chromium } from '../testing/chromium.js';
import { tempDir } from '../testing/fixtures.js';
import { VIEW_BASE, writeViewFixture } from '../testing/view-fixture.js';

const skip = chromiumMissing() ?? false;
let chromium: Chromium | undefined;
before(async () => {
  if (!skip) chromium = await launchChromium();
});
after(async () => {
  await chromium?.close();
});

test('ocm view: the page of a signed graph shows every digest verified; a tampered blob shows failed naming the resource; no request', { skip, timeout: 120_000 }, async (t) => {
  const dir = await tempDir('ocm-ts-view-e2e-');
  t.after(() => dir.dispose());
  const f = await writeViewFixture(join(dir.path, 'ctf'));
  const key = join(dir.path, 'acme.pub.pem');
  await writeFile(key, f.publicKeyPem);
  const page1 = join(dir.path, 'report.html');
  const ok = await runOcm(['view', f.reference, '--recursive', '--verify-signature', f.signature, '--public-key', key, '-o', page1]);
  assert.equal(ok.code, 0, ok.stderr);

  const page = await chromium!.open(pathToFileURL(page1).href);
  // textContent: sections off screen are not laid out (content-visibility), their text is still there.
  const text = (await page.locator('body').textContent()) ?? '';
  for (const b of f.blobs) assert.ok(text.includes(b.sha256), `digest of ${b.component} ${b.resource} on the page`);
  assert.equal(await page.locator('.badge.state-failed').count(), 0, 'nothing failed');
  assert.ok((await page.locator('.badge.state-verified').count()) >= f.versions.length, 'every version verified');

  await f.tamper(VIEW_BASE.component, 'license');
  const page2 = join(dir.path, 'tampered.html');
  const bad = await runOcm(['view', f.reference, '--recursive', '--verify-signature', f.signature, '--public-key', key, '-o', page2]);
  assert.equal(bad.code, 0, `the page is written (the failure is its content): ${bad.stderr}`);
  const tampered = await chromium!.open(pathToFileURL(page2).href);
  assert.ok((await tampered.locator('.badge.state-failed').count()) >= 1, 'a failed version');
  const cells = await tampered.locator('td.verification').allTextContents();
  assert.ok(cells.some((c) => /failed.*resource "license"/.test(c)), `a signature failed naming the resource: ${cells.join(' | ')}`);
  assert.deepEqual(chromium!.blocked, [], 'no request besides the page');
});
