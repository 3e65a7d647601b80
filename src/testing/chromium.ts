/**
 * Headless Debian Chromium through playwright-core for page tests: a fresh profile directory, no
 * background networking, and a request log so a test can prove a page fetched nothing but itself.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why Chromium tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

export interface Chromium {
  readonly context: BrowserContext;
  /** Every request URL other than the allowed ones, in order (they were aborted). */
  readonly blocked: string[];
  /** Opens `url` in a new page; only `url` itself may be requested. */
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Chromium> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'ocm-ts-chromium-'));
  let context: BrowserContext;
  try {
    // launchPersistentContext: the profile directory is ours (fresh, removed on close).
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
  const blocked: string[] = [];
  const allowed = new Set<string>();
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (allowed.has(url)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return {
    context,
    blocked,
    async open(url) {
      allowed.add(url);
      const page = await context.newPage();
      // Requests the router never sees (e.g. a service worker's) still show up here.
      page.on('request', (r) => {
        if (!allowed.has(r.url()) && !blocked.includes(r.url())) blocked.push(r.url());
      });
      await page.goto(url, { waitUntil: 'load' });
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}
