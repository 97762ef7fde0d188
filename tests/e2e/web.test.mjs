// The web client end to end, in real headless Chromium: two people, each in a browser context
// of their own, use Starling the way its users do, and every live behaviour is checked without
// a reload. Run by `crates/server/tests/api/web_client.rs` against a server it starts;
// screenshots of each main screen go to $STARLING_E2E_ARTIFACTS.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const BASE = process.env.STARLING_E2E_URL;
const ARTIFACTS = process.env.STARLING_E2E_ARTIFACTS || '.';
const LIVE = 10_000; // how long anything live may take to show (ms)

// Debian's Chromium, headless, without the background traffic a closed network refuses.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser;
const people = {};

/** A person with a browser context of their own; console errors and page errors are kept. */
async function person(name, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, baseURL: BASE });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${name}: console: ${m.text()}`);
  });
  page.setDefaultTimeout(LIVE);
  return { name, context, page, errors };
}

async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png` });
}

/** Marks the page, so that a later check can tell it was not reloaded. */
async function mark(page) {
  await page.evaluate(() => {
    window.__notReloaded = true;
  });
}

async function assertNotReloaded(page) {
  assert.equal(await page.evaluate(() => window.__notReloaded === true), true, 'the page was reloaded');
}

async function signUp(p) {
  await p.page.goto('/signup');
  await p.page.getByLabel('Username').fill(p.name);
  await p.page.getByLabel('Email').fill(`${p.name}@example.org`);
  await p.page.getByLabel('Password').fill(`password-${p.name}`);
  await p.page.getByRole('button', { name: 'Create account' }).click();
  await p.page.waitForURL('**/home');
  await p.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
}

function statusWith(page, text) {
  return page.locator('article.status').filter({ hasText: text }).first();
}

before(async () => {
  assert.ok(BASE, 'STARLING_E2E_URL names the server');
  browser = await chromium.launch({ executablePath: process.env.STARLING_E2E_CHROMIUM, args: CHROMIUM_ARGS });
  people.alice = await person('alice');
  people.bob = await person('bob');
});

after(async () => {
  await browser?.close();
});

describe('the web client', () => {
  test('serves its page with a strict Content-Security-Policy', async () => {
    const response = await people.alice.page.goto('/');
    const csp = response.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await shot(people.alice.page, '01-welcome');
  });

  test('two people sign up in their browsers', async () => {
    await people.alice.page.goto('/signup');
    await shot(people.alice.page, '02-sign-up');
    await signUp(people.alice);
    await signUp(people.bob);
    await shot(people.alice.page, '03-home-empty');
  });

  test('a post appears live in a follower’s home timeline', async () => {
    const { alice, bob } = people;
    await bob.page.goto('/@alice');
    await bob.page.getByRole('button', { name: 'Follow', exact: true }).click();
    await bob.page.getByRole('button', { name: 'Unfollow' }).waitFor();
    await shot(bob.page, '04-profile');
    await bob.page.getByRole('link', { name: 'Home' }).click();
    await mark(bob.page);
    await alice.page.getByLabel('Post text').fill('Hello from Alice, live!');
    await alice.page.getByRole('button', { name: 'Post', exact: true }).click();
    await statusWith(bob.page, 'Hello from Alice, live!').waitFor();
    await assertNotReloaded(bob.page);
    await shot(bob.page, '05-home-live-post');
  });

  test('a like raises a live notification and the count', async () => {
    const { alice, bob } = people;
    await mark(alice.page);
    await statusWith(bob.page, 'Hello from Alice').getByRole('button', { name: 'Like' }).click();
    const badge = alice.page.locator('[data-badge="notifications"]');
    await assertEventually(async () => (await badge.textContent()) === '1', 'the badge shows one notification');
    const likes = statusWith(alice.page, 'Hello from Alice').getByRole('button', { name: 'Like' }).locator('.count');
    await assertEventually(async () => (await likes.textContent()).trim() === '1', 'the like count is live');
    await assertNotReloaded(alice.page);
    await alice.page.getByRole('link', { name: /Notifications/ }).click();
    await alice.page.locator('article.notification').filter({ hasText: 'bob' }).first().waitFor();
    await shot(alice.page, '06-notifications');
  });

  test('an edit shows live, and the edit history has both versions', async () => {
    const { alice, bob } = people;
    await alice.page.getByRole('link', { name: 'Home' }).click();
    const post = statusWith(alice.page, 'Hello from Alice');
    await post.getByRole('button', { name: 'More actions' }).click();
    await alice.page.getByRole('menuitem', { name: 'Edit', exact: true }).click();
    await alice.page.getByLabel('Post text').fill('Hello again from Alice, edited.');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    await statusWith(bob.page, 'Hello again from Alice, edited.').waitFor();
    await statusWith(alice.page, 'edited.').getByRole('button', { name: 'More actions' }).click();
    await alice.page.getByRole('menuitem', { name: 'Edit history' }).click();
    const history = alice.page.getByRole('dialog', { name: 'Edit history' });
    await history.getByText('Hello from Alice, live!').waitFor();
    await history.getByText('Hello again from Alice, edited.').waitFor();
    assert.equal(await history.locator('li').count(), 2);
    await shot(alice.page, '07-edit-history');
    await alice.page.keyboard.press('Escape');
  });
});

/** Polls `check` until it holds or LIVE ms pass. */
async function assertEventually(check, what) {
  const deadline = Date.now() + LIVE;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${LIVE} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('no page logged an error', () => {
  const errors = Object.values(people).flatMap((p) => p.errors);
  assert.deepEqual(errors, []);
});
