// The web client end to end, in real headless Chromium: two people, each in a browser context
// of their own, use Starling the way its users do, and every live behaviour is checked without
// a reload. Run by `crates/server/tests/api/web_client.rs` against a server it starts;
// screenshots of each main screen go to $STARLING_E2E_ARTIFACTS.

import assert from 'node:assert/strict';
import { access, unlink, writeFile } from 'node:fs/promises';
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
    // Chromium logs each connection refused while the resume tests hold the context offline
    // or restart the server; that the client comes back is what those tests check.
    const expected = /ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed/;
    if (m.type() === 'error' && !expected.test(m.text())) {
      errors.push(`${name}: console: ${m.text()}`);
    }
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
    // Bob's follow already made one; his like is the second.
    await assertEventually(async () => (await badge.textContent()) === '2', 'the badge counts the new notification');
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

  test('a quote post shows what it quotes', async () => {
    const { bob } = people;
    const original = statusWith(bob.page, 'Hello again from Alice, edited.');
    await original.getByRole('button', { name: 'More actions' }).click();
    await bob.page.getByRole('menuitem', { name: 'Quote', exact: true }).click();
    const dialog = bob.page.getByRole('dialog', { name: 'Quote post' });
    await dialog.getByText('Quoting @alice').waitFor();
    await dialog.getByLabel('Post text').fill('This, exactly.');
    await dialog.getByRole('button', { name: 'Post', exact: true }).click();
    const quote = statusWith(bob.page, 'This, exactly.');
    await quote.getByRole('link', { name: 'Quoted post by @alice' }).waitFor();
    await shot(bob.page, '08-quote');
  });

  test('a story view reaches its author live', async () => {
    const { alice, bob } = people;
    await alice.page.getByRole('link', { name: 'Home' }).click();
    await alice.page.getByRole('button', { name: 'Add a story' }).click();
    await alice.page.getByLabel('Story text').fill('Sunrise over the harbour');
    await alice.page.getByRole('button', { name: 'Share story' }).click();
    // Alice opens her own story, to watch its viewers.
    await alice.page.getByRole('button', { name: 'Stories of @alice' }).click();
    const own = alice.page.getByRole('dialog', { name: 'Story by @alice' });
    await own.getByText('Sunrise over the harbour').waitFor();
    await own.getByRole('button', { name: 'Pause' }).click();
    await mark(alice.page);
    // Bob's bar hears of it live, and he watches it.
    await bob.page.getByRole('button', { name: 'Stories of @alice' }).click();
    const viewer = bob.page.getByRole('dialog', { name: 'Story by @alice' });
    await viewer.getByText('Sunrise over the harbour').waitFor();
    await viewer.getByRole('progressbar').waitFor();
    await shot(bob.page, '09-story-viewer');
    await viewer.getByRole('button', { name: 'React with ❤️' }).click();
    await own.getByRole('list', { name: 'Viewers' }).getByText('@bob').waitFor();
    await own.getByRole('list', { name: 'Viewers' }).getByText('❤️').waitFor();
    await assertNotReloaded(alice.page);
    await shot(alice.page, '10-story-viewers');
    await alice.page.keyboard.press('Escape');
    await bob.page.keyboard.press('Escape');
  });

  test('a chat message arrives live, with typing and read markers', async () => {
    const { alice, bob } = people;
    await alice.page.getByRole('link', { name: /Chats/ }).click();
    await alice.page.getByRole('button', { name: 'New chat' }).click();
    await alice.page.getByLabel('Find people').fill('bob');
    await alice.page.getByRole('button', { name: 'Add @bob' }).click();
    await alice.page.getByRole('button', { name: 'Start chat' }).click();
    await alice.page.waitForURL(/\/chats\/\d+/);
    const chatPath = new URL(alice.page.url()).pathname;
    await bob.page.goto(chatPath);
    await bob.page.getByRole('log', { name: 'Messages' }).waitFor();
    await mark(bob.page);
    await alice.page.getByLabel('Message', { exact: true }).pressSequentially('Are you coming to', { delay: 20 });
    await bob.page.getByText('@alice is typing…').waitFor();
    await alice.page.getByLabel('Message', { exact: true }).pressSequentially(' the market?', { delay: 5 });
    await alice.page.getByRole('button', { name: 'Send' }).click();
    await bob.page.locator('li.message').filter({ hasText: 'Are you coming to the market?' }).waitFor();
    await assertNotReloaded(bob.page);
    // Bob has it open: it counts as read, and Alice sees so.
    await alice.page.locator('li.message').filter({ hasText: 'the market?' }).getByText('Seen').waitFor();
    await shot(alice.page, '11-chat');
    await bob.page.getByLabel('Message', { exact: true }).fill('Yes, see you there!');
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await alice.page.locator('li.message').filter({ hasText: 'see you there' }).waitFor();
  });

  test('the stream resumes after a drop without losing or repeating a post', async () => {
    const { alice, bob } = people;
    await bob.page.getByRole('link', { name: 'Home' }).click();
    await bob.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // The home view is on the screen before the network goes.
    await bob.page.getByLabel('Post text').waitFor();
    await mark(bob.page);
    await bob.context.setOffline(true);
    await bob.page.evaluate(() => window.starling.stream.socket.close());
    await bob.page.getByRole('status').filter({ hasText: /Offline|Connecting/ }).waitFor();
    await alice.page.getByRole('link', { name: 'Home' }).click();
    await alice.page.getByLabel('Post text').fill('Posted while Bob was away');
    await alice.page.getByRole('button', { name: 'Post', exact: true }).click();
    await statusWith(alice.page, 'Posted while Bob was away').waitFor();
    await bob.context.setOffline(false);
    await bob.page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
    await statusWith(bob.page, 'Posted while Bob was away').waitFor();
    await assertNotReloaded(bob.page);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await bob.page.locator('article.status').filter({ hasText: 'Posted while Bob was away' }).count(), 1);
  });

  test('the stream resumes after the server restarts', async () => {
    const { alice, bob } = people;
    await bob.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await mark(bob.page);
    // The Rust side of the test stops the server and starts it again on the same address.
    await writeFile(`${ARTIFACTS}/restart-request`, '');
    await bob.page.getByRole('status').filter({ hasText: /Offline|Connecting/ }).waitFor({ timeout: 30_000 });
    await waitForFile(`${ARTIFACTS}/restart-done`);
    await unlink(`${ARTIFACTS}/restart-done`);
    // Posted at once, likely before Bob's client is back: it comes by resume or live, once.
    await alice.page.evaluate(async () => {
      const { token } = window.starling.account;
      await fetch('/api/v1/statuses', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ status: 'Back after the restart' }),
      });
    });
    await bob.page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
    await statusWith(bob.page, 'Back after the restart').waitFor();
    await assertNotReloaded(bob.page);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await bob.page.locator('article.status').filter({ hasText: 'Back after the restart' }).count(), 1);
    await alice.page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
  });

  test('posts arriving while the reader has scrolled wait behind a pill', async () => {
    const { alice, bob } = people;
    await alice.page.evaluate(async () => {
      const { token } = window.starling.account;
      for (let i = 1; i <= 10; i++) {
        await fetch('/api/v1/statuses', {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ status: `Filler post number ${i}` }),
        });
      }
    });
    await statusWith(bob.page, 'Filler post number 10').waitFor();
    await bob.page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    // The feed holds live posts only while its top is out of sight: be sure Bob is down there
    // (and his stream live) before Alice posts, however slowly a loaded machine lays him out.
    await bob.page.waitForFunction(() => document.querySelector('article.status').getBoundingClientRect().top < -200);
    await bob.page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
    await alice.page.getByLabel('Post text').fill('Held while Bob reads');
    await alice.page.getByRole('button', { name: 'Post', exact: true }).click();
    // On a loaded machine another live item may arrive while Bob reads: the pill counts it too
    // (its accessible name also carries the arrow its CSS puts before the count).
    const pill = bob.page.getByRole('button', { name: /\d+ new posts?$/ });
    await pill.waitFor({ timeout: 30_000 });
    assert.equal(await statusWith(bob.page, 'Held while Bob reads').count(), 0, 'held, not shown under the reader');
    await shot(bob.page, '12-new-posts-pill');
    await pill.click();
    await statusWith(bob.page, 'Held while Bob reads').waitFor();
  });

  test('markup that people write stays text, and never runs', async () => {
    const { alice, bob } = people;
    const attack = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
    // Bob's display name is plain text in the API, as in Mastodon; the client must keep it so.
    const renamed = await bob.page.evaluate(async (name) => {
      const accounts = JSON.parse(localStorage.getItem('starling.accounts'));
      const me = accounts.find((a) => a.id === localStorage.getItem('starling.current'));
      const response = await fetch('/api/v1/accounts/update_credentials', {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${me.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ display_name: name.slice(0, 30) }),
      });
      return response.status;
    }, attack);
    assert.equal(renamed, 200);
    await bob.page.getByLabel('Post text').fill(`Look ${attack} <b>not bold</b>`);
    await bob.page.getByRole('button', { name: 'Post', exact: true }).click();
    await alice.page.goto('/@bob');
    const post = statusWith(alice.page, 'not bold');
    await post.waitFor();
    assert.match(await post.innerText(), /<script>window\.__xss=1<\/script> <b>not bold<\/b>/);
    assert.equal(await post.locator('script, img[src="x"], b').count(), 0, 'no markup from the author');
    await alice.page.getByText('<img src=x onerror=').first().waitFor();
    for (const { page } of [alice, bob]) {
      assert.equal(await page.evaluate(() => window.__xss), undefined, 'a script of the author ran');
    }
  });

  test('signing in with OAuth and switching between accounts', async () => {
    const { bob } = people;
    await bob.page.getByRole('button', { name: /^Accounts/ }).click();
    await bob.page.getByRole('menuitem', { name: 'Add an account' }).click();
    await bob.page.getByRole('button', { name: 'Sign in' }).click();
    // The server's own authorization page, then back to the app with a code.
    await bob.page.getByLabel('Username or email').fill('alice');
    await bob.page.getByLabel('Password').fill('password-alice');
    await shot(bob.page, '13-authorize');
    await bob.page.getByRole('button', { name: 'Approve' }).click();
    await bob.page.waitForURL('**/home');
    await bob.page.getByRole('button', { name: /^Accounts \(signed in as @alice\)/ }).waitFor();
    await bob.page.getByRole('button', { name: /^Accounts/ }).click();
    await bob.page.getByRole('menuitem', { name: 'Switch to @bob' }).click();
    await bob.page.getByRole('button', { name: /^Accounts \(signed in as @bob\)/ }).waitFor();
  });

  test('search, explore and stats, and every main screen on a phone and in the dark', async () => {
    const { alice } = people;
    await alice.page.getByRole('link', { name: 'Search' }).click();
    await alice.page.getByRole('searchbox', { name: 'Search' }).fill('bo');
    await alice.page.getByRole('heading', { name: 'Accounts' }).waitFor();
    await alice.page.locator('.account-row').filter({ hasText: '@bob' }).first().waitFor();
    await shot(alice.page, '14-search');
    await alice.page.getByRole('link', { name: 'Explore' }).click();
    await shot(alice.page, '15-explore');
    await alice.page.getByRole('link', { name: 'Stats' }).click();
    for (const heading of ['Connections', 'Events per second', 'Delivery latency']) {
      await alice.page.getByRole('heading', { name: heading }).waitFor();
    }
    await new Promise((r) => setTimeout(r, 2500));
    await shot(alice.page, '16-stats');

    const phone = await person('alice-phone', { width: 375, height: 780 });
    people.phone = phone;
    await phone.page.goto('/');
    await phone.page.evaluate((token) => {
      localStorage.setItem('starling.theme', 'dark');
      return token;
    });
    const stored = await alice.page.evaluate(() => [localStorage.getItem('starling.accounts'), localStorage.getItem('starling.current')]);
    await phone.page.evaluate(([accounts, current]) => {
      localStorage.setItem('starling.accounts', accounts);
      localStorage.setItem('starling.current', current);
    }, stored);
    for (const [path, name] of [
      ['/home', '17-phone-home-dark'],
      ['/notifications', '18-phone-notifications-dark'],
      ['/@bob', '19-phone-profile-dark'],
      ['/chats', '20-phone-chats-dark'],
    ]) {
      await phone.page.goto(path);
      await phone.page.locator('main').waitFor();
      await new Promise((r) => setTimeout(r, 500));
      await shot(phone.page, name);
    }
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  });

  test('a post with an image and its description reaches a follower’s timeline', async () => {
    const { alice, bob } = people;
    await bob.page.getByRole('link', { name: 'Home' }).click();
    await bob.page.getByRole('feed', { name: 'Home timeline' }).waitFor();
    await alice.page.getByRole('link', { name: 'Home' }).click();
    await alice.page.getByLabel('Add images').setInputFiles({ name: 'sea.png', mimeType: 'image/png', buffer: await picture(alice.page) });
    await alice.page.getByLabel('Image description').fill(SEA_ALT);
    await alice.page.getByLabel('Post text').fill('A picture of the sea');
    // Post stays disabled until the upload is done; the click waits for it.
    await alice.page.getByRole('button', { name: 'Post', exact: true }).click();
    for (const { page } of [alice, bob]) {
      const post = statusWith(page, 'A picture of the sea');
      await post.getByRole('button', { name: `View image: ${SEA_ALT}` }).waitFor();
      await waitForImage(post.locator(`img[alt="${SEA_ALT}"]`));
    }
    await shot(bob.page, '21-home-image');
    // The full-size image, with its description, in the lightbox.
    await statusWith(bob.page, 'A picture of the sea').getByRole('button', { name: `View image: ${SEA_ALT}` }).click();
    const lightbox = bob.page.getByRole('dialog', { name: 'Image' });
    await lightbox.getByText(SEA_ALT).waitFor();
    await waitForImage(lightbox.locator(`img[alt="${SEA_ALT}"]`));
    await bob.page.keyboard.press('Escape');
    await lightbox.waitFor({ state: 'detached' });
  });

  test('a reply shows in the thread of the post it answers', async () => {
    const { alice, bob } = people;
    const post = statusWith(bob.page, 'A picture of the sea');
    await post.getByRole('button', { name: 'Reply' }).click();
    const dialog = bob.page.getByRole('dialog', { name: 'Reply to @alice' });
    const text = dialog.getByLabel('Post text');
    assert.equal(await text.inputValue(), '@alice ', 'a reply starts by naming the author');
    await text.press('End');
    await text.pressSequentially('What a view!');
    await dialog.getByRole('button', { name: 'Post', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const replies = post.getByRole('button', { name: 'Reply' }).locator('.count');
    await assertEventually(async () => (await replies.textContent()).trim() === '1', 'the reply count');
    await statusWith(alice.page, 'A picture of the sea').locator('a.status-time').click();
    const reply = alice.page.getByRole('feed', { name: 'Replies' }).locator('article.status').filter({ hasText: 'What a view!' });
    await reply.waitFor();
    assert.match(await reply.innerText(), /@bob/);
    await shot(alice.page, '22-thread-reply');
  });

  test('a boost is counted and shows on the booster’s profile', async () => {
    const { alice, bob } = people;
    const boost = statusWith(bob.page, 'A picture of the sea').getByRole('button', { name: 'Boost' });
    await boost.click();
    await assertEventually(async () => (await boost.getAttribute('aria-pressed')) === 'true', 'the boost button is pressed');
    await assertEventually(async () => (await boost.locator('.count').textContent()).trim() === '1', 'the boost count');
    await alice.page.goto('/@bob');
    const boosted = alice.page.locator('article.status-boost').filter({ hasText: 'A picture of the sea' });
    await boosted.locator('.status-boosted-by').getByRole('link', { name: '@bob' }).waitFor();
  });

  test('a deleted post leaves the author’s and a follower’s timelines', async () => {
    const { alice, bob } = people;
    await bob.page.getByRole('link', { name: 'Home' }).click();
    await bob.page.getByRole('feed', { name: 'Home timeline' }).waitFor();
    await alice.page.getByRole('link', { name: 'Home' }).click();
    await alice.page.getByLabel('Post text').fill('A post that will not stay');
    await alice.page.getByRole('button', { name: 'Post', exact: true }).click();
    await statusWith(bob.page, 'A post that will not stay').waitFor();
    await mark(bob.page);
    await statusWith(alice.page, 'A post that will not stay').getByRole('button', { name: 'More actions' }).click();
    await alice.page.getByRole('menuitem', { name: 'Delete', exact: true }).click();
    const confirm = alice.page.getByRole('dialog', { name: 'Delete post?' });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await statusWith(alice.page, 'A post that will not stay').waitFor({ state: 'detached' });
    await statusWith(bob.page, 'A post that will not stay').waitFor({ state: 'detached' });
    await assertNotReloaded(bob.page);
    await bob.page.goto('/@alice');
    await statusWith(bob.page, 'A picture of the sea').waitFor();
    assert.equal(await statusWith(bob.page, 'A post that will not stay').count(), 0, 'gone from the profile too');
  });

  test('the local, public and hashtag timelines show public posts, and a tag two people use trends', async () => {
    const { alice, bob } = people;
    await alice.page.getByRole('link', { name: 'Home' }).click();
    await alice.page.getByLabel('Post text').fill('Gulls at the pier #seabirds');
    await alice.page.getByRole('button', { name: 'Post', exact: true }).click();
    await statusWith(alice.page, 'Gulls at the pier').waitFor();
    await bob.page.getByRole('link', { name: 'Home' }).click();
    await bob.page.getByLabel('Post text').fill('Terns on the rocks #SeaBirds');
    await bob.page.getByRole('button', { name: 'Post', exact: true }).click();
    await statusWith(bob.page, 'Terns on the rocks').waitFor();
    for (const [link, feed] of [
      ['Local', 'Local timeline'],
      ['Public', 'Public timeline'],
    ]) {
      await alice.page.getByRole('link', { name: link, exact: true }).click();
      const timeline = alice.page.getByRole('feed', { name: feed });
      for (const text of ['Gulls at the pier', 'Terns on the rocks']) await statusWith(timeline, text).waitFor();
    }
    await alice.page.goto('/tags/seabirds');
    await alice.page.getByRole('heading', { name: '#seabirds' }).waitFor();
    const tagged = alice.page.getByRole('feed', { name: 'Posts tagged #seabirds' });
    for (const text of ['Gulls at the pier', 'Terns on the rocks']) await statusWith(tagged, text).waitFor();
    assert.equal(await statusWith(tagged, 'A picture of the sea').count(), 0, 'only tagged posts');
    // A tag trends once two accounts use it on a day (`starling_core::trends`), at once.
    await alice.page.getByRole('link', { name: 'Explore' }).click();
    const trending = alice.page.locator('.trending-tags .tag-item').filter({ hasText: '#seabirds' });
    await trending.getByRole('link', { name: '#seabirds' }).waitFor();
    assert.match(await trending.innerText(), /2 people today/);
    // Its reply and boost make the picture the most engaged post.
    const posts = alice.page.locator('.trending-posts article.status');
    await posts.first().waitFor();
    assert.match(await posts.first().innerText(), /A picture of the sea/);
    await shot(alice.page, '23-explore-trending');
  });

  test('followers and following pages list the follow, and unfollowing ends it', async () => {
    const { alice, bob } = people;
    await alice.page.goto('/@alice');
    await alice.page.getByRole('navigation', { name: 'Profile sections' }).getByRole('link', { name: 'Followers' }).click();
    await alice.page.getByRole('list', { name: 'Followers of @alice' }).locator('.account-row').filter({ hasText: '@bob' }).waitFor();
    await alice.page.goto('/@bob/following');
    await alice.page.getByRole('list', { name: 'Accounts @bob follows' }).locator('.account-row').filter({ hasText: '@alice' }).waitFor();
    await shot(alice.page, '24-following');

    await bob.page.goto('/@alice');
    await bob.page.getByRole('button', { name: 'Unfollow' }).click();
    await bob.page.getByRole('button', { name: 'Follow', exact: true }).waitFor();
    await bob.page.locator('.profile-counts').getByText('0 followers').waitFor();
    await alice.page.goto('/@alice/followers');
    await alice.page.getByRole('list', { name: 'Followers of @alice' }).getByText('No followers yet.').waitFor();
    await alice.page.goto('/@bob/following');
    await alice.page.getByRole('list', { name: 'Accounts @bob follows' }).getByText('Not following anyone yet.').waitFor();
  });

  test('the theme toggles between light and dark, and is remembered', async () => {
    const carol = await person('carol');
    people.carol = carol;
    await signUp(carol);
    const { page } = carol;
    const theme = () => page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor]);
    const [before, lightBackground] = await theme();
    assert.equal(before, 'light', 'headless Chromium prefers light');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.getByRole('button', { name: 'Light theme', pressed: true }).waitFor();
    const [after, darkBackground] = await theme();
    assert.equal(after, 'dark');
    assert.notEqual(darkBackground, lightBackground, 'the page itself changed colour');
    await shot(page, '25-home-dark');
    await page.reload();
    await page.getByRole('button', { name: 'Light theme', pressed: true }).waitFor();
    assert.deepEqual(await theme(), ['dark', darkBackground]);
    await page.getByRole('button', { name: 'Light theme' }).click();
    await page.getByRole('button', { name: 'Dark theme', pressed: false }).waitFor();
    assert.deepEqual(await theme(), ['light', lightBackground]);
  });

  test('a post can be written and sent with the keyboard alone', async () => {
    const { page } = people.carol;
    await page.goto('/home');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // The view focuses its main region once rendered; tabbing starts from there.
    await page.waitForFunction(() => document.activeElement?.id === 'main');
    await tabTo(page, 'the composer', () => document.activeElement?.matches('textarea.composer-text'));
    await page.keyboard.type('Typed without a mouse');
    await tabTo(page, 'the Post button', () => document.activeElement?.matches('button.composer-submit'));
    await page.keyboard.press('Enter');
    await statusWith(page, 'Typed without a mouse').waitFor();
    // Focus goes back to the emptied composer, so the next post can follow at once.
    await assertEventually(
      () => page.evaluate(() => document.activeElement?.matches('textarea.composer-text') && document.activeElement.value === ''),
      'focus is back in the empty composer',
    );
    await page.keyboard.type('And sent with Ctrl+Enter');
    await page.keyboard.press('Control+Enter');
    await statusWith(page, 'And sent with Ctrl+Enter').waitFor();
  });

  test('signing out forgets the account and its token', async () => {
    const { page } = people.carol;
    const token = await page.evaluate(() => window.starling.account.token);
    await page.getByRole('button', { name: /^Accounts \(signed in as @carol\)/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out @carol' }).click();
    await page.waitForURL('**/signin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Accounts/ }).count(), 0);
    assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('starling.accounts'))), []);
    // Asked from here, not from the page: Chromium logs a refused request as a console error.
    const check = await fetch(new URL('/api/v1/accounts/verify_credentials', BASE), { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(check.status, 401, 'the token was revoked');
  });
});

const SEA_ALT = 'A blue sea under a yellow sun';

/** A PNG drawn by the browser's own canvas: a real image for the server to check and resize. */
async function picture(page) {
  const data = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 100;
    const g = canvas.getContext('2d');
    g.fillStyle = '#1e6fa8';
    g.fillRect(0, 0, 160, 100);
    g.fillStyle = '#f5d76e';
    g.beginPath();
    g.arc(120, 30, 18, 0, 2 * Math.PI);
    g.fill();
    return canvas.toDataURL('image/png').split(',')[1];
  });
  return Buffer.from(data, 'base64');
}

/** Waits until the image `locator` names has loaded and decoded (a broken one has no width). */
async function waitForImage(locator) {
  await locator.waitFor();
  await assertEventually(() => locator.evaluate((img) => img.complete && img.naturalWidth > 0), 'the image loads');
}

/** Presses Tab until `focused` (run in the page) holds, as someone without a mouse would. */
async function tabTo(page, what, focused) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(focused)) return;
  }
  assert.fail(`Tab never reached ${what}`);
}

/** Waits up to a minute for `path` to exist. */
async function waitForFile(path) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await access(path);
      return;
    } catch {
      if (Date.now() > deadline) assert.fail(`${path} did not appear`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

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
