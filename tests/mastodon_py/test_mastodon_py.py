"""Mastodon.py compatibility test for Starling.

Runs the real, pinned Mastodon.py (see requirements.txt) against a live Starling server whose
base URL is in the environment variable STARLING_URL (e.g. http://127.0.0.1:43123). Everything
goes through Mastodon.py's public methods; no raw HTTP.

    STARLING_URL=http://127.0.0.1:8080 python -m pytest tests/mastodon_py -q

Without STARLING_URL the module is skipped loudly, or fails when STARLING_REQUIRE_ALL=1 (CI).
If the server cannot be reached the session stops at once with one clear message.

Every run signs up fresh accounts with a random suffix, so the test can run repeatedly against
the same database. Tests that check exact counters or exact timeline contents use accounts that
no other test touches.
"""

import os
import secrets
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from mastodon import (
    Mastodon,
    StreamListener,
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
)

BASE_URL = os.environ.get("STARLING_URL", "").rstrip("/")
REQUIRE_ALL = os.environ.get("STARLING_REQUIRE_ALL", "") not in ("", "0")

if not BASE_URL:
    _msg = "*** Mastodon.py compatibility test SKIPPED: STARLING_URL is not set ***"
    if REQUIRE_ALL:
        raise RuntimeError(_msg + " (and STARLING_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(_msg, allow_module_level=True)

RUN = secrets.token_hex(4)  # unique per run: usernames, e-mails, hashtags
PASSWORD = "correct horse battery staple"
TIMEOUT = 30  # seconds per HTTP request (Mastodon.py's default is 300)
APP_NAME = "starling-mastodon-py-test"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


@dataclass
class App:
    client_id: str
    client_secret: str


@dataclass
class User:
    username: str
    email: str
    token: str
    api: Mastodon  # logged in as this user (token from create_account)
    id: str


def client(app=None, token=None, **kwargs):
    """A Mastodon.py instance; ratelimit 'throw' so a 429 fails the test instead of sleeping."""
    return Mastodon(
        client_id=app.client_id if app else None,
        client_secret=app.client_secret if app else None,
        access_token=token,
        api_base_url=BASE_URL,
        request_timeout=TIMEOUT,
        ratelimit_method="throw",
        **kwargs,
    )


def sign_up(app, prefix):
    username = f"{prefix}_{RUN}"
    email = f"{username}@example.org"
    api = client(app)
    token = api.create_account(username, PASSWORD, email, agreement=True, locale="en")
    assert isinstance(token, str) and token, "create_account must return an access token"
    assert api.access_token == token
    me = api.account_verify_credentials()
    assert me.username == username
    return User(username=username, email=email, token=token, api=api, id=str(me.id))


def log_in(api, username):
    """Password grant. Mastodon.py then re-reads the version from GET /api/v1/instance/ (trailing
    slash); if that request fails it recurses until RecursionError, so name the real cause."""
    try:
        return api.log_in(username=username, password=PASSWORD, allow_http=True)
    except RecursionError:
        pytest.fail(
            "Mastodon.py recursed in log_in(): GET /api/v1/instance/ (with trailing slash) must answer "
            "200 with JSON containing a parseable 'version'",
            pytrace=False,
        )


def http_status(excinfo):
    """Mastodon.py raises MastodonAPIError('Mastodon API returned error', status, reason, msg)."""
    return excinfo.value.args[1]


def ids(statuses):
    return [str(s.id) for s in statuses]


def assert_recent(value, what):
    assert isinstance(value, datetime), f"{what} was not parsed as a datetime: {value!r}"
    assert value.tzinfo is not None, f"{what} has no time zone: {value!r}"
    now = datetime.now(timezone.utc)
    assert now - timedelta(minutes=10) <= value <= now + timedelta(minutes=10), f"{what}={value}"


def account(viewer, user):
    return viewer.api.account(user.id)


def collect_pages(api, first_page, max_pages=20):
    """Follow fetch_next until it returns None or an empty page; return the non-empty pages."""
    pages = []
    page = first_page
    while page is not None and len(page) > 0:
        pages.append(page)
        assert len(pages) <= max_pages, "fetch_next never stops"
        page = api.fetch_next(page)
    return pages


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def server_reachable():
    """Stop the whole session with one clear message when nothing listens at STARLING_URL."""
    try:
        # GET /.well-known/oauth-authorization-server; API errors (404, non-JSON) are swallowed
        # by Mastodon.py, only network failures come through.
        client().oauth_authorization_server_info()
    except MastodonNetworkError as e:
        pytest.exit(f"*** Starling server not reachable at STARLING_URL={BASE_URL}: {e} ***", returncode=1)


@pytest.fixture(scope="module")
def app():
    client_id, client_secret = Mastodon.create_app(
        APP_NAME, api_base_url=BASE_URL, website="https://example.org/starling-test", request_timeout=TIMEOUT
    )
    assert isinstance(client_id, str) and client_id
    assert isinstance(client_secret, str) and client_secret
    return App(client_id, client_secret)


@pytest.fixture(scope="module")
def alice(app):
    return sign_up(app, "alice")


@pytest.fixture(scope="module")
def bob(app):
    return sign_up(app, "bob")


@pytest.fixture(scope="module")
def carol(app):
    """A stranger: follows nobody, followed by nobody."""
    return sign_up(app, "carol")


@pytest.fixture(scope="module")
def bob_follows_alice(alice, bob):
    rel = bob.api.account_follow(alice.id)
    assert rel.following is True
    return True


# ---------------------------------------------------------------------------------------------
# instance / version detection
# ---------------------------------------------------------------------------------------------


def test_instance_version_detection(alice):
    # version_check_mode="created" makes the constructor fetch GET /api/v1/instance/ and
    # GET /api/v2/instance/ (both WITH a trailing slash) and parse "version".
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api = client(token=alice.token, version_check_mode="created")
    assert (api.mastodon_major, api.mastodon_minor, api.mastodon_patch) == (4, 3, 0)
    assert not [w for w in caught if "no API version found" in str(w.message)], (
        "GET /api/v2/instance/ must carry api_versions.mastodon (Mastodon.py warns otherwise)"
    )
    assert isinstance(api.mastodon_api_version, int) and api.mastodon_api_version >= 1

    assert api.retrieve_mastodon_version(fail_hard=True) == "4.3.0"
    assert api.verify_minimum_version("4.3.0", cached=True)
    assert not api.verify_minimum_version("4.4.0", cached=True)

    v1 = api.instance_v1()
    assert v1.version.split(" ")[0] == "4.3.0"
    v2 = api.instance_v2()
    assert v2.version.split(" ")[0] == "4.3.0"
    max_chars = v2.configuration.statuses.max_characters
    assert isinstance(max_chars, int) and max_chars > 0

    # With version checks on, endpoints added after 1.0.0 must still be callable.
    assert str(api.account_lookup(alice.username).id) == alice.id  # added in 3.4.0
    st = api.status_post(f"version check {RUN}")
    api.status_update(st.id, f"version check edited {RUN}")  # added in 3.5.0
    assert len(api.status_history(st.id)) == 2  # added in 3.5.0


# ---------------------------------------------------------------------------------------------
# accounts and OAuth
# ---------------------------------------------------------------------------------------------


def test_signup_and_login(app, alice):
    # create_account already returned a working token (checked in sign_up).
    me = alice.api.account_verify_credentials()
    assert me.username == alice.username
    assert me.acct == alice.username
    assert str(me.id) == alice.id
    assert_recent(me.created_at, "account.created_at")

    # Password grant with the username.
    by_name = client(app)
    token1 = log_in(by_name, alice.username)
    assert isinstance(token1, str) and token1
    assert by_name.account_verify_credentials().username == alice.username

    # Password grant with the e-mail address.
    by_email = client(app)
    token2 = log_in(by_email, alice.email)
    assert isinstance(token2, str) and token2
    assert by_email.account_verify_credentials().username == alice.username

    assert len({alice.token, token1, token2}) == 3, "every grant must issue a distinct token"

    # A token used on its own (no client credentials) works too.
    assert client(token=token2).account_verify_credentials().username == alice.username

    # Wrong password: Mastodon.py wraps the OAuth error in MastodonIllegalArgumentError.
    with pytest.raises(MastodonIllegalArgumentError):
        client(app).log_in(username=alice.username, password="wrong password!", allow_http=True)


def test_update_credentials(bob):
    display_name = f"Bob Example {RUN}"
    note = f"Hello, I am Bob ({RUN})."
    updated = bob.api.account_update_credentials(display_name=display_name, note=note)
    assert updated.display_name == display_name
    assert note in updated.note  # note is rendered HTML

    me = bob.api.account_verify_credentials()
    assert me.display_name == display_name
    assert note in me.note
    assert me.source is not None and me.source.note == note, "verify_credentials source.note is the plain text"

    seen_by_other = client(token=bob.token).account(bob.id)
    assert seen_by_other.display_name == display_name


def test_account_lookup(alice, carol):
    found = carol.api.account_lookup(alice.username)
    assert str(found.id) == alice.id
    assert found.username == alice.username
    assert found.acct == alice.username
    with pytest.raises(MastodonNotFoundError):
        carol.api.account_lookup(f"nobody_{RUN}")


# ---------------------------------------------------------------------------------------------
# posting
# ---------------------------------------------------------------------------------------------


def test_post_rendering(alice, bob):
    tag = f"mpypost{RUN}"
    text = f"Hello #{tag} and @{bob.username} <script>alert(1)</script> & bye"
    st = alice.api.status_post(text, visibility="public", spoiler_text="cw here", language="en")

    assert str(st.account.id) == alice.id
    assert st.account.username == alice.username
    assert st.visibility == "public"
    assert st.spoiler_text == "cw here"
    assert st.in_reply_to_id is None
    assert (st.favourites_count, st.reblogs_count, st.replies_count) == (0, 0, 0)
    assert st.favourited is False and st.reblogged is False
    assert st.edited_at is None
    assert_recent(st.created_at, "status.created_at")

    # Tags and mentions.
    assert [t.name.lower() for t in st.tags] == [tag]
    assert st.tags[0].url.endswith(f"/tags/{tag}")
    assert len(st.mentions) == 1
    mention = st.mentions[0]
    assert str(mention.id) == bob.id
    assert mention.username == bob.username
    assert mention.acct == bob.username

    # Content is HTML with links, and the <script> is escaped.
    content = st.content
    assert content.startswith("<p>"), content
    assert "<script" not in content.lower(), content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content, content
    assert st.tags[0].url in content, "the hashtag must be a link to the tag URL"
    assert mention.url in content, "the mention must be a link to the account URL"
    assert "&amp;" in content, content

    # Reading it back gives the same thing.
    again = bob.api.status(st.id)
    assert str(again.id) == str(st.id)
    assert again.content == content


def test_idempotency_key(alice):
    before = alice.api.account_verify_credentials().statuses_count
    key = f"idem-{RUN}-{secrets.token_hex(4)}"
    first = alice.api.status_post(f"idempotent post {RUN}", idempotency_key=key)
    second = alice.api.status_post(f"idempotent post {RUN}", idempotency_key=key)
    assert str(first.id) == str(second.id)
    assert alice.api.account_verify_credentials().statuses_count == before + 1

    other = alice.api.status_post(f"idempotent post {RUN}", idempotency_key=key + "-other")
    assert str(other.id) != str(first.id)
    assert alice.api.account_verify_credentials().statuses_count == before + 2


def test_edit_history_and_source(alice, bob):
    st = alice.api.status_post(f"first version {RUN}")
    assert st.edited_at is None

    v2 = alice.api.status_update(st.id, f"second version {RUN}", spoiler_text="cw two")
    assert str(v2.id) == str(st.id)
    assert f"second version {RUN}" in v2.content
    assert v2.spoiler_text == "cw two"
    assert_recent(v2.edited_at, "status.edited_at")

    v3 = alice.api.status_update(st.id, f"third version {RUN}")
    assert f"third version {RUN}" in v3.content

    history = bob.api.status_history(st.id)
    assert len(history) == 3, [h.content for h in history]
    assert f"first version {RUN}" in history[0].content
    assert f"second version {RUN}" in history[1].content
    assert f"third version {RUN}" in history[2].content
    assert history[1].spoiler_text == "cw two"
    for h in history:
        assert_recent(h.created_at, "status_edit.created_at")
        assert str(h.account.id) == alice.id
    assert history[0].created_at <= history[1].created_at <= history[2].created_at

    source = alice.api.status_source(st.id)
    assert str(source.id) == str(st.id)
    assert source.text == f"third version {RUN}"
    assert source.spoiler_text == ""

    assert f"third version {RUN}" in bob.api.status(st.id).content


# ---------------------------------------------------------------------------------------------
# follows and counters
# ---------------------------------------------------------------------------------------------


def test_follow_unfollow_and_counters(app):
    f1 = sign_up(app, "fa")
    f2 = sign_up(app, "fb")

    def counts(user):
        a = account(f1, user)
        return (a.followers_count, a.following_count, a.statuses_count)

    assert counts(f1) == (0, 0, 0)
    assert counts(f2) == (0, 0, 0)

    rel = f1.api.account_follow(f2.id)
    assert str(rel.id) == f2.id
    assert rel.following is True
    assert rel.followed_by is False

    [r12] = f1.api.account_relationships(f2.id)
    assert (str(r12.id), r12.following, r12.followed_by) == (f2.id, True, False)
    [r21] = f2.api.account_relationships(f1.id)
    assert (str(r21.id), r21.following, r21.followed_by) == (f1.id, False, True)
    both = f1.api.account_relationships([f2.id, f1.id])
    assert sorted(str(r.id) for r in both) == sorted([f1.id, f2.id])

    assert counts(f1) == (0, 1, 0)
    assert counts(f2) == (1, 0, 0)
    assert f1.api.account_verify_credentials().following_count == 1
    assert [str(a.id) for a in f1.api.account_followers(f2.id)] == [f1.id]
    assert [str(a.id) for a in f1.api.account_following(f1.id)] == [f2.id]
    assert list(f1.api.account_followers(f1.id)) == []

    # Following twice does not count twice.
    f1.api.account_follow(f2.id)
    assert counts(f2) == (1, 0, 0)

    # Posting and deleting move statuses_count.
    st = f2.api.status_post(f"counting {RUN}")
    assert counts(f2) == (1, 0, 1)
    f2.api.status_delete(st.id)
    assert counts(f2) == (1, 0, 0)

    rel = f1.api.account_unfollow(f2.id)
    assert str(rel.id) == f2.id
    assert rel.following is False
    [r12] = f1.api.account_relationships(f2.id)
    assert (r12.following, r12.followed_by) == (False, False)
    assert counts(f1) == (0, 0, 0)
    assert counts(f2) == (0, 0, 0)
    assert list(f1.api.account_followers(f2.id)) == []
    assert list(f1.api.account_following(f1.id)) == []


# ---------------------------------------------------------------------------------------------
# favourites and reblogs
# ---------------------------------------------------------------------------------------------


def test_favourite_and_reblog(alice, bob, carol):
    st = alice.api.status_post(f"please boost {RUN}")

    fav = bob.api.status_favourite(st.id)
    assert str(fav.id) == str(st.id)
    assert fav.favourited is True
    assert fav.favourites_count == 1

    assert carol.api.status_favourite(st.id).favourites_count == 2
    # Favouriting again changes nothing.
    assert bob.api.status_favourite(st.id).favourites_count == 2

    as_alice = alice.api.status(st.id)
    assert (as_alice.favourites_count, as_alice.favourited) == (2, False)
    assert bob.api.status(st.id).favourited is True
    assert sorted(str(a.id) for a in alice.api.status_favourited_by(st.id)) == sorted([bob.id, carol.id])
    assert str(bob.api.favourites()[0].id) == str(st.id), "newest favourite first"

    boost = bob.api.status_reblog(st.id)
    assert str(boost.id) != str(st.id)
    assert str(boost.account.id) == bob.id
    assert boost.reblog is not None
    assert str(boost.reblog.id) == str(st.id)
    assert boost.reblog.reblogged is True
    assert boost.reblog.reblogs_count == 1

    as_alice = alice.api.status(st.id)
    assert (as_alice.reblogs_count, as_alice.reblogged) == (1, False)
    as_bob = bob.api.status(st.id)
    assert (as_bob.reblogs_count, as_bob.reblogged, as_bob.favourited) == (1, True, True)
    assert [str(a.id) for a in alice.api.status_reblogged_by(st.id)] == [bob.id]

    unboost = bob.api.status_unreblog(st.id)
    assert str(unboost.id) == str(st.id)
    assert unboost.reblogged is False
    assert unboost.reblogs_count == 0
    assert alice.api.status(st.id).reblogs_count == 0
    assert list(alice.api.status_reblogged_by(st.id)) == []

    unfav = bob.api.status_unfavourite(st.id)
    assert str(unfav.id) == str(st.id)
    assert unfav.favourited is False
    assert unfav.favourites_count == 1
    assert alice.api.status(st.id).favourites_count == 1
    assert [str(a.id) for a in alice.api.status_favourited_by(st.id)] == [carol.id]
    assert str(st.id) not in ids(bob.api.favourites())
    assert str(st.id) in ids(carol.api.favourites())


# ---------------------------------------------------------------------------------------------
# replies and threads
# ---------------------------------------------------------------------------------------------


def test_replies_and_context(alice, bob, carol):
    root = alice.api.status_post(f"thread root {RUN}")
    reply = bob.api.status_post(f"@{alice.username} first reply {RUN}", in_reply_to_id=root.id)
    assert str(reply.in_reply_to_id) == str(root.id)
    assert str(reply.in_reply_to_account_id) == alice.id
    nested = carol.api.status_post(f"@{bob.username} nested reply {RUN}", in_reply_to_id=reply.id)
    assert str(nested.in_reply_to_id) == str(reply.id)
    assert str(nested.in_reply_to_account_id) == bob.id

    assert alice.api.status(root.id).replies_count == 1
    assert alice.api.status(reply.id).replies_count == 1
    assert alice.api.status(nested.id).replies_count == 0

    ctx = carol.api.status_context(root.id)
    assert ids(ctx.ancestors) == []
    assert ids(ctx.descendants) == [str(reply.id), str(nested.id)]

    ctx = carol.api.status_context(reply.id)
    assert ids(ctx.ancestors) == [str(root.id)]
    assert ids(ctx.descendants) == [str(nested.id)]

    ctx = alice.api.status_context(nested.id)
    assert ids(ctx.ancestors) == [str(root.id), str(reply.id)]
    assert ids(ctx.descendants) == []

    # Deleting a reply lowers the parent's replies_count.
    carol.api.status_delete(nested.id)
    assert alice.api.status(reply.id).replies_count == 0
    assert ids(alice.api.status_context(root.id).descendants) == [str(reply.id)]


# ---------------------------------------------------------------------------------------------
# timelines
# ---------------------------------------------------------------------------------------------


def test_hashtag_timeline(alice, bob, carol):
    tag = f"mpytag{RUN}"
    a1 = alice.api.status_post(f"one #{tag}")
    alice.api.status_post(f"untagged {RUN}")
    a2 = alice.api.status_post(f"two #{tag.upper()}")  # hashtags are case-insensitive
    private = alice.api.status_post(f"private #{tag}", visibility="private")
    c1 = carol.api.status_post(f"three #{tag}")

    expected = [str(c1.id), str(a2.id), str(a1.id)]
    assert ids(bob.api.timeline_hashtag(tag)) == expected
    assert ids(client().timeline_hashtag(tag)) == expected, "tag timeline without a token"
    assert str(private.id) not in ids(alice.api.timeline_hashtag(tag))


def test_followed_hashtags_feed_the_home_timeline(app, carol):
    reader = sign_up(app, "tagreader")
    tag = f"followme{RUN}"
    followed = reader.api.tag_follow(tag)
    assert (followed.name, followed.following) == (tag, True)
    assert len(followed.history) == 7
    assert [t.name for t in reader.api.followed_tags()] == [tag]
    assert reader.api.tag(tag).following is True

    tagged = carol.api.status_post(f"a post for #{tag} followers")
    carol.api.status_post(f"and one without the tag {RUN}")
    assert ids(reader.api.timeline_home(limit=40)) == [str(tagged.id)], "from an account the reader does not follow"

    unfollowed = reader.api.tag_unfollow(tag)
    assert unfollowed.following is False
    assert reader.api.followed_tags() == []
    assert ids(reader.api.timeline_home(limit=40)) == []


def test_home_and_public_timelines(alice, bob, carol, bob_follows_alice):
    followed = alice.api.status_post(f"for my followers' home {RUN}")
    stranger = carol.api.status_post(f"stranger's post {RUN}")
    own = bob.api.status_post(f"bob's own post {RUN}")

    home = ids(bob.api.timeline_home(limit=40))
    assert str(followed.id) in home
    assert str(own.id) in home
    assert str(stranger.id) not in home
    assert home.index(str(own.id)) < home.index(str(followed.id)), "newest first"

    carol_home = ids(carol.api.timeline_home(limit=40))
    assert str(stranger.id) in carol_home
    assert str(followed.id) not in carol_home

    public = ids(client().timeline_public(limit=40))
    assert str(followed.id) in public and str(stranger.id) in public


def test_home_timeline_requires_token():
    with pytest.raises(MastodonUnauthorizedError):
        client().timeline_home()


# ---------------------------------------------------------------------------------------------
# paging
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged(app):
    """A poster with exactly 7 statuses and a reader who follows only that poster."""
    poster = sign_up(app, "pager")
    reader = sign_up(app, "reader")
    reader.api.account_follow(poster.id)
    posted = [str(poster.api.status_post(f"page item {i} {RUN}").id) for i in range(7)]
    return poster, reader, posted


def test_paging_account_statuses(paged):
    poster, reader, posted = paged
    newest_first = list(reversed(posted))

    first = reader.api.account_statuses(poster.id, limit=3)
    pages = collect_pages(reader.api, first)
    collected = [i for p in pages for i in ids(p)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert collected == newest_first
    assert len(set(collected)) == len(collected)

    # fetch_previous from the second page gives back the first page (min_id paging).
    previous = reader.api.fetch_previous(pages[1])
    assert previous is not None
    assert ids(previous) == ids(pages[0])

    # since_id / min_id / max_id passed directly.
    assert ids(reader.api.account_statuses(poster.id, max_id=posted[3], limit=40)) == list(reversed(posted[:3]))
    assert ids(reader.api.account_statuses(poster.id, since_id=posted[3], limit=40)) == list(reversed(posted[4:]))
    assert ids(reader.api.account_statuses(poster.id, min_id=posted[3], limit=2)) == [posted[5], posted[4]]


def test_paging_home_timeline(paged):
    poster, reader, posted = paged
    newest_first = list(reversed(posted))

    first = reader.api.timeline_home(limit=3)
    pages = collect_pages(reader.api, first)
    collected = [i for p in pages for i in ids(p)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert collected == newest_first
    assert len(set(collected)) == len(collected)

    previous = reader.api.fetch_previous(pages[2])
    assert previous is not None
    assert ids(previous) == ids(pages[1])


# ---------------------------------------------------------------------------------------------
# visibility
# ---------------------------------------------------------------------------------------------


def test_private_status_visibility(alice, bob, carol, bob_follows_alice):
    st = alice.api.status_post(f"followers only {RUN}", visibility="private")
    assert st.visibility == "private"

    assert str(bob.api.status(st.id).id) == str(st.id)  # follower
    assert str(alice.api.status(st.id).id) == str(st.id)  # author
    with pytest.raises(MastodonNotFoundError):
        carol.api.status(st.id)  # stranger
    with pytest.raises(MastodonNotFoundError):
        client().status(st.id)  # anonymous

    assert str(st.id) in ids(bob.api.account_statuses(alice.id, limit=40))
    assert str(st.id) not in ids(carol.api.account_statuses(alice.id, limit=40))
    assert str(st.id) in ids(bob.api.timeline_home(limit=40))
    assert str(st.id) not in ids(client().timeline_public(limit=40))


def test_direct_status_visibility(alice, bob, carol, bob_follows_alice):
    # Direct to carol: bob follows alice but is not mentioned, so he must not see it.
    st = alice.api.status_post(f"@{carol.username} just for you {RUN}", visibility="direct")
    assert st.visibility == "direct"
    assert [str(m.id) for m in st.mentions] == [carol.id]

    assert str(carol.api.status(st.id).id) == str(st.id)
    assert str(alice.api.status(st.id).id) == str(st.id)
    with pytest.raises(MastodonNotFoundError):
        bob.api.status(st.id)
    with pytest.raises(MastodonNotFoundError):
        client().status(st.id)
    assert str(st.id) not in ids(bob.api.timeline_home(limit=40))
    assert str(st.id) not in ids(client().timeline_public(limit=40))


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


def test_cannot_edit_or_delete_others_status(alice, bob):
    st = alice.api.status_post(f"mine, not yours {RUN}")
    # Mastodon looks the status up among the caller's own (Status.where(account: current_account)
    # .find) and answers 404 Record not found.
    with pytest.raises(MastodonNotFoundError) as err:
        bob.api.status_update(st.id, "hijacked")
    assert http_status(err) == 404
    with pytest.raises(MastodonNotFoundError) as err:
        bob.api.status_delete(st.id)
    assert http_status(err) == 404
    assert f"mine, not yours {RUN}" in alice.api.status(st.id).content
    assert len(alice.api.status_history(st.id)) == 1


def test_invalid_status_is_422(alice):
    with pytest.raises(MastodonAPIError) as err:
        alice.api.status_post("")
    assert http_status(err) == 422
    assert isinstance(err.value.args[3], str) and err.value.args[3], 'errors are {"error": "..."}'

    max_chars = alice.api.instance_v2().configuration.statuses.max_characters
    with pytest.raises(MastodonAPIError) as err:
        alice.api.status_post("x" * (max_chars + 1))
    assert http_status(err) == 422
    assert len(alice.api.status_post("y" * max_chars).content) >= max_chars

    with pytest.raises(MastodonNotFoundError):
        alice.api.status_post("reply to nothing", in_reply_to_id="999999999999999999")


def test_missing_or_bad_token_is_401(app):
    anonymous = client(app)  # client credentials but no user token
    with pytest.raises(MastodonUnauthorizedError) as err:
        anonymous.account_verify_credentials()
    assert http_status(err) == 401
    with pytest.raises(MastodonUnauthorizedError) as err:
        anonymous.status_post("no token")
    assert http_status(err) == 401

    bogus = client(token="not-a-real-token")
    with pytest.raises(MastodonUnauthorizedError):
        bogus.account_verify_credentials()
    with pytest.raises(MastodonUnauthorizedError):
        bogus.status_post("bad token")


def test_revoked_token_is_401(app, alice):
    api = client(app)
    token = log_in(api, alice.username)
    assert client(token=token).account_verify_credentials().username == alice.username

    api.revoke_access_token(allow_http=True)
    assert api.access_token is None

    with pytest.raises(MastodonUnauthorizedError) as err:
        client(token=token).account_verify_credentials()
    assert http_status(err) == 401
    with pytest.raises(MastodonUnauthorizedError):
        client(token=token).status_post("revoked")

    # Other tokens of the same user are unaffected.
    assert alice.api.account_verify_credentials().username == alice.username


def test_delete_status(alice, bob):
    before = alice.api.account_verify_credentials().statuses_count
    text = f"short-lived #{'mpydel' + RUN}"
    st = alice.api.status_post(text)
    assert alice.api.account_verify_credentials().statuses_count == before + 1

    deleted = alice.api.status_delete(st.id)
    assert str(deleted.id) == str(st.id)
    assert deleted.get("text") == text, "the deleted status carries its source text (delete & redraft)"

    for viewer in (alice, bob):
        with pytest.raises(MastodonNotFoundError) as err:
            viewer.api.status(st.id)
        assert http_status(err) == 404
    with pytest.raises(MastodonNotFoundError):
        alice.api.status_delete(st.id)
    with pytest.raises(MastodonNotFoundError):
        bob.api.status_favourite(st.id)
    assert alice.api.account_verify_credentials().statuses_count == before
    assert str(st.id) not in ids(alice.api.account_statuses(alice.id, limit=40))
    assert str(st.id) not in ids(bob.api.timeline_hashtag("mpydel" + RUN))


# ---------------------------------------------------------------------------------------------
# streaming (Mastodon.py streams over server-sent events)
# ---------------------------------------------------------------------------------------------


class Collector(StreamListener):
    """Collects stream events; `wait_for` blocks (bounded) until a predicate holds."""

    def __init__(self):
        super().__init__()
        self.events = []
        self.changed = threading.Condition()

    def _add(self, kind, value):
        with self.changed:
            self.events.append((kind, value))
            self.changed.notify_all()

    def on_update(self, status):
        self._add("update", status)

    def on_notification(self, notification):
        self._add("notification", notification)

    def on_delete(self, status_id):
        self._add("delete", status_id)

    def on_status_update(self, status):
        self._add("status.update", status)

    def wait_for(self, predicate, what, timeout=15):
        with self.changed:
            ok = self.changed.wait_for(lambda: predicate(self.events), timeout=timeout)
        assert ok, f"stream never delivered {what}; got {self.events!r}"


def test_user_stream_delivers_updates_and_notifications_live(app):
    author = sign_up(app, "streamer")
    fan = sign_up(app, "listener")
    fan.api.account_follow(author.id)
    listener = Collector()
    handle = fan.api.stream_user(listener, run_async=True, reconnect_async=False)
    try:
        # Mastodon.py connects in its own thread, so the stream may open after this returns: a
        # status the fan posts arrives on their own user stream once it is open. Probe until
        # one does (a probe posted before the connection is, rightly, never delivered).
        probe = None
        deadline = time.monotonic() + 15
        while probe is None:
            candidate = fan.api.status_post(f"probe {RUN} {time.monotonic()}")
            try:
                listener.wait_for(
                    lambda ev: any(k == "update" and str(v.id) == str(candidate.id) for k, v in ev), "a probe", timeout=1
                )
                probe = candidate
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

        status = author.api.status_post(f"live to my followers {RUN}")
        listener.wait_for(lambda ev: any(k == "update" and str(v.id) == str(status.id) for k, v in ev), "the update")
        author.api.status_update(status.id, f"edited live {RUN}")
        listener.wait_for(lambda ev: any(k == "status.update" and "edited live" in v.content for k, v in ev), "the edit")
        author.api.status_favourite(probe.id)
        listener.wait_for(
            lambda ev: any(k == "notification" and v.type == "favourite" and str(v.account.id) == str(author.id) for k, v in ev),
            "the favourite notification",
        )
        author.api.status_delete(status.id)
        listener.wait_for(lambda ev: any(k == "delete" and str(v) == str(status.id) for k, v in ev), "the delete")
    finally:
        # Mastodon.py's close() waits for the reader thread, which sleeps until the next bytes
        # arrive (the next keep-alive, up to 15 s away); close without waiting for it.
        threading.Thread(target=handle.close, daemon=True).start()
    # Every event arrived once.
    updates = [v for k, v in listener.events if k == "update" and str(v.id) == str(status.id)]
    assert len(updates) == 1


def test_notifications_api(app):
    author = sign_up(app, "notified")
    other = sign_up(app, "notifier")
    other.api.account_follow(author.id)
    post = author.api.status_post(f"notify me {RUN}")
    other.api.status_favourite(post.id)
    other.api.status_post(f"@{author.username} hello {RUN}")
    deadline = time.monotonic() + 15
    while True:
        notes = author.api.notifications()
        if len(notes) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [n.type for n in notes] == ["mention", "favourite", "follow"]
    assert all(str(n.account.id) == str(other.id) for n in notes)
    mentions = author.api.notifications(types=["mention"])
    assert [n.type for n in mentions] == ["mention"]
    author.api.notifications_dismiss(notes[0].id)
    assert [n.type for n in author.api.notifications()] == ["favourite", "follow"]
    author.api.notifications_clear()
    assert author.api.notifications() == []
