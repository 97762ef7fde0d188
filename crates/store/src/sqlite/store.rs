//! `Store` for `SqliteStore`: each method hands one closure to the connection threads (the
//! writer, inside its transaction, for writes; a reader otherwise), which calls the module that
//! does the work. A write is kept only if every step succeeded: an error rolls back to the
//! write's savepoint (see `exec`). Borrowed arguments are copied into the closure first.

use async_trait::async_trait;
use starling_core::chat::{Chat, ChatMessage, CreatedChat, NewChat, NewChatMessage};
use starling_core::event::Event;
use starling_core::filters::{Filter, FilterUpdate, NewFilter};
use starling_core::media::{Media, MediaUpdate, NewMedia};
use starling_core::model::*;
use starling_core::notify::{Derived, Notification};
use starling_core::page::{Page, PageRequest};
use starling_core::projection::{HomeTimelineCheck, LiveState};
use starling_core::report::{NewReport, Report};
use starling_core::safety::{Hidden, Mute, Muted};
use starling_core::store::{
    AccountStatusesFilter, IdempotencyClaim, IdempotencyState, InstanceCounts, Lease, Marker, NotificationFilter,
    PartitionInfo, StatusSearch, Store, StoredAnswer, TagUse, ViewerFlags,
};
use starling_core::story::{NewStory, Story, StoryChange, StoryView};
use starling_core::trends::{Engagement, TagDay};
use starling_core::{Id, StoreResult};

use crate::HomeMode;

use super::accounts::{self, FollowList};
use super::{
    SqliteStore, chats, events, filters, home, hydrate, idempotency, interactions, kept, leases, markers, media,
    notifications, replay, reports, requests, safety, search, statuses, stories, tags, timelines, trends,
};

/// Runs `$body` with `$c` bound to the writer's connection, inside its transaction, and
/// answers once it is committed.
macro_rules! write_tx {
    ($self:ident, |$c:ident| $body:expr) => {
        $self.write(move |$c| $body).await
    };
}

/// Runs `$body` with `$c` bound to a read connection.
macro_rules! read_conn {
    ($self:ident, |$c:ident| $body:expr) => {
        $self.read(move |$c| $body).await
    };
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    // ---- apps, tokens, authorization codes ------------------------------------------------------

    async fn create_app(&self, app: NewApp) -> StoreResult<App> {
        write_tx!(self, |c| accounts::create_app(c, app))
    }

    async fn app(&self, id: Id) -> StoreResult<App> {
        read_conn!(self, |c| accounts::app(c, id))
    }

    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<App> {
        let client_id = client_id.to_owned();
        read_conn!(self, |c| accounts::app_by_client_id(c, &client_id))
    }

    async fn create_token(&self, token: NewToken) -> StoreResult<TokenRecord> {
        write_tx!(self, |c| accounts::create_token(c, token))
    }

    async fn token(&self, id: Id) -> StoreResult<TokenRecord> {
        read_conn!(self, |c| accounts::token(c, id))
    }

    async fn token_with_account(&self, id: Id) -> StoreResult<(TokenRecord, Option<Account>)> {
        read_conn!(self, |c| {
            let token = accounts::token(c, id)?;
            let account = token.account_id.map(|account| hydrate::account(c, account.0)).transpose()?;
            Ok((token, account))
        })
    }

    async fn change_password(&self, account: Id, password_hash: String, keep: Option<Id>) -> StoreResult<u64> {
        write_tx!(self, |c| accounts::change_password(c, account, &password_hash, keep))
    }

    async fn suspend_account(&self, account: Id, actor: Option<Id>) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::suspend(c, account, actor))
    }

    async fn erase_account(&self, account: Id, actor: Option<Id>) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::erase(c, account, actor))
    }

    async fn limit_account(&self, account: Id, limit: Limit, on: bool, actor: Option<Id>) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::limit(c, account, limit, on, actor))
    }

    async fn unsuspend_account(&self, account: Id, actor: Option<Id>) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::unsuspend(c, account, actor))
    }

    async fn revoke_token(&self, id: Id) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::revoke_token(c, id))
    }

    async fn create_auth_code(&self, code: AuthCode) -> StoreResult<()> {
        write_tx!(self, |c| accounts::create_auth_code(c, code))
    }

    async fn take_auth_code(&self, code_hash: &str) -> StoreResult<AuthCode> {
        let code_hash = code_hash.to_owned();
        write_tx!(self, |c| accounts::take_auth_code(c, &code_hash))
    }

    // ---- accounts -------------------------------------------------------------------------------

    async fn create_account(&self, account: NewAccount) -> StoreResult<Account> {
        write_tx!(self, |c| accounts::create_account(c, account))
    }

    async fn account(&self, id: Id) -> StoreResult<Account> {
        read_conn!(self, |c| hydrate::account(c, id.0))
    }

    async fn account_by_username(&self, username: &str) -> StoreResult<Account> {
        let username = username.to_owned();
        read_conn!(self, |c| accounts::account_by_username(c, &username))
    }

    async fn accounts_by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<Account>> {
        let usernames = usernames.to_vec();
        read_conn!(self, |c| accounts::accounts_by_usernames(c, &usernames))
    }

    async fn accounts(&self, ids: &[Id]) -> StoreResult<Vec<Account>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        read_conn!(self, |c| hydrate::accounts_in_order(c, &ids))
    }

    async fn credentials(&self, login: &str) -> StoreResult<Credentials> {
        let login = login.to_owned();
        read_conn!(self, |c| accounts::credentials(c, &login))
    }

    async fn update_account(&self, id: Id, update: AccountUpdate) -> StoreResult<Account> {
        write_tx!(self, |c| accounts::update_account(c, id, update))
    }

    // ---- follows --------------------------------------------------------------------------------

    async fn follow(&self, follower: Id, followee: Id) -> StoreResult<Change> {
        let follow_id = self.ids.next();
        let homes = self.homes;
        write_tx!(self, |c| accounts::follow(c, follower, followee, follow_id, homes))
    }

    async fn unfollow(&self, follower: Id, followee: Id) -> StoreResult<Change> {
        let homes = self.homes;
        write_tx!(self, |c| accounts::unfollow(c, follower, followee, homes))
    }

    async fn request_follow(&self, follower: Id, followee: Id, at: Timestamp) -> StoreResult<Change> {
        let request_id = self.ids.next();
        write_tx!(self, |c| requests::request(c, follower, followee, request_id, at))
    }

    async fn authorize_follow_request(&self, followee: Id, follower: Id, at: Timestamp) -> StoreResult<Change> {
        let follow_id = self.ids.next();
        let homes = self.homes;
        write_tx!(self, |c| requests::authorize(c, followee, follower, follow_id, at, homes))
    }

    async fn reject_follow_request(&self, followee: Id, follower: Id, actor: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| requests::reject(c, followee, follower, actor, at))
    }

    async fn follow_requests(&self, followee: Id, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| requests::list(c, followee, page))
    }

    async fn create_filter(&self, filter: NewFilter) -> StoreResult<Filter> {
        write_tx!(self, |c| filters::create(c, filter))
    }

    async fn update_filter(&self, id: Id, account: Id, update: FilterUpdate, at: Timestamp) -> StoreResult<Filter> {
        write_tx!(self, |c| filters::update(c, id, account, update, at))
    }

    async fn delete_filter(&self, id: Id, account: Id, at: Timestamp) -> StoreResult<()> {
        write_tx!(self, |c| filters::delete(c, id, account, at))
    }

    async fn filter(&self, id: Id, account: Id) -> StoreResult<Filter> {
        read_conn!(self, |c| filters::one(c, id, account))
    }

    async fn filters(&self, account: Id) -> StoreResult<Vec<Filter>> {
        read_conn!(self, |c| filters::of_account(c, account))
    }

    async fn block(&self, account: Id, target: Id, at: Timestamp) -> StoreResult<Change> {
        let block_id = self.ids.next();
        let homes = self.homes;
        write_tx!(self, |c| safety::block(c, account, target, block_id, at, homes))
    }

    async fn unblock(&self, account: Id, target: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| safety::unblock(c, account, target, at))
    }

    async fn blocks(&self, account: Id, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| safety::blocks(c, account, page))
    }

    async fn mute(&self, account: Id, target: Id, mute: Mute, at: Timestamp) -> StoreResult<Change> {
        let mute_id = self.ids.next();
        write_tx!(self, |c| safety::mute(c, account, target, mute, mute_id, at))
    }

    async fn unmute(&self, account: Id, target: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| safety::unmute(c, account, target, at))
    }

    async fn mutes(&self, account: Id, now: Timestamp, page: PageRequest) -> StoreResult<Page<Muted>> {
        read_conn!(self, |c| safety::mutes(c, account, now, page))
    }

    async fn hidden_from_everyone(&self) -> StoreResult<Hidden> {
        read_conn!(self, |c| safety::hidden_from_everyone(c))
    }

    async fn hidden(&self, viewer: Id) -> StoreResult<Hidden> {
        read_conn!(self, |c| safety::hidden(c, viewer))
    }

    async fn set_follow_notify(&self, follower: Id, followee: Id, notify: bool) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::set_follow_notify(c, follower, followee, notify))
    }

    async fn is_following(&self, follower: Id, followee: Id) -> StoreResult<bool> {
        read_conn!(self, |c| accounts::is_following(c, follower, followee))
    }

    async fn follower_ids(&self, account: Id) -> StoreResult<Vec<Id>> {
        read_conn!(self, |c| accounts::follower_ids(c, account))
    }

    async fn relationships(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Relationship>> {
        let ids = ids.to_vec();
        read_conn!(self, |c| accounts::relationships(c, viewer, &ids))
    }

    async fn followers(&self, account: Id, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| accounts::follow_list(c, FollowList::Followers, account, page))
    }

    async fn following(&self, account: Id, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| accounts::follow_list(c, FollowList::Following, account, page))
    }

    // ---- followed hashtags ----------------------------------------------------------------------

    async fn follow_tag(&self, account: Id, tag: &str) -> StoreResult<Change> {
        let id = self.ids.next();
        let homes = self.homes;
        let tag = tag.to_owned();
        write_tx!(self, |c| tags::follow_tag(c, account, &tag, id, homes))
    }

    async fn unfollow_tag(&self, account: Id, tag: &str) -> StoreResult<Change> {
        let homes = self.homes;
        let tag = tag.to_owned();
        write_tx!(self, |c| tags::unfollow_tag(c, account, &tag, homes))
    }

    async fn followed_tags(&self, account: Id, page: PageRequest) -> StoreResult<Page<String>> {
        read_conn!(self, |c| tags::followed_tags(c, account, page))
    }

    async fn following_tags(&self, account: Id, tags: &[String]) -> StoreResult<Vec<String>> {
        let tags = tags.to_vec();
        read_conn!(self, |c| tags::following_tags(c, account, &tags))
    }

    async fn tag_follower_ids(&self, tags: &[String]) -> StoreResult<Vec<Id>> {
        let tags = tags.to_vec();
        read_conn!(self, |c| tags::tag_follower_ids(c, &tags))
    }

    // ---- statuses -------------------------------------------------------------------------------

    async fn create_status(&self, status: NewStatus) -> StoreResult<Status> {
        let homes = self.homes;
        write_tx!(self, |c| statuses::create_status(c, status, homes))
    }

    async fn status(&self, id: Id) -> StoreResult<Status> {
        read_conn!(self, |c| hydrate::status(c, id.0))
    }

    async fn statuses(&self, ids: &[Id]) -> StoreResult<Vec<Status>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        read_conn!(self, |c| hydrate::statuses_in_order(c, &ids))
    }

    async fn edit_status(&self, id: Id, edit: StatusEdit) -> StoreResult<Status> {
        let homes = self.homes;
        write_tx!(self, |c| statuses::edit_status(c, id, edit, homes))
    }

    async fn status_versions(&self, id: Id) -> StoreResult<Vec<StatusVersion>> {
        read_conn!(self, |c| statuses::status_versions(c, id))
    }

    async fn delete_status(&self, id: Id, actor: Id, at: Timestamp) -> StoreResult<Status> {
        write_tx!(self, |c| statuses::delete_status(c, id, actor, at))
    }

    async fn context(&self, id: Id) -> StoreResult<(Vec<Status>, Vec<Status>)> {
        read_conn!(self, |c| statuses::context(c, id))
    }

    // ---- favourites and reblogs -----------------------------------------------------------------

    async fn create_report(&self, report: NewReport) -> StoreResult<Report> {
        write_tx!(self, |c| reports::create(c, &report))
    }

    async fn reports(&self, resolved: bool, page: PageRequest) -> StoreResult<Page<Report>> {
        read_conn!(self, |c| reports::list(c, resolved, page))
    }

    async fn admin_accounts(&self, suspended: bool, staff: bool, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| accounts::admin_list(c, suspended, staff, page))
    }

    async fn report(&self, id: Id) -> StoreResult<Report> {
        read_conn!(self, |c| reports::one(c, id))
    }

    async fn resolve_report(&self, id: Id, by: Id) -> StoreResult<Report> {
        write_tx!(self, |c| reports::resolve(c, id, by))
    }

    async fn set_role(&self, account: Id, role: Role, actor: Option<Id>) -> StoreResult<Change> {
        write_tx!(self, |c| accounts::set_role(c, account, role, actor))
    }

    async fn bookmark(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
        let bookmark_id = self.ids.next();
        write_tx!(self, |c| kept::bookmark(c, account, status, bookmark_id, at))
    }

    async fn unbookmark(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| kept::unbookmark(c, account, status, at))
    }

    async fn bookmarks(&self, account: Id, page: PageRequest) -> StoreResult<Page<Status>> {
        read_conn!(self, |c| kept::bookmarks(c, account, page))
    }

    async fn pin(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| kept::pin(c, account, status, at))
    }

    async fn unpin(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| kept::unpin(c, account, status, at))
    }

    async fn pinned_statuses(&self, account: Id) -> StoreResult<Vec<Status>> {
        read_conn!(self, |c| kept::pinned(c, account))
    }

    async fn favourite(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
        let favourite_id = self.ids.next();
        write_tx!(self, |c| interactions::favourite(c, account, status, favourite_id, at))
    }

    async fn unfavourite(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| interactions::unfavourite(c, account, status, at))
    }

    async fn reblog(
        &self,
        account: Id,
        original: Id,
        reblog_id: Id,
        visibility: Visibility,
        at: Timestamp,
    ) -> StoreResult<Status> {
        let homes = self.homes;
        write_tx!(self, |c| interactions::reblog(c, account, original, reblog_id, visibility, at, homes))
    }

    async fn unreblog(&self, account: Id, original: Id, at: Timestamp) -> StoreResult<Change> {
        write_tx!(self, |c| interactions::unreblog(c, account, original, at))
    }

    async fn favourited_by(&self, status: Id, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| interactions::favourited_by(c, status, page))
    }

    async fn reblogged_by(&self, status: Id, page: PageRequest) -> StoreResult<Page<Account>> {
        read_conn!(self, |c| interactions::reblogged_by(c, status, page))
    }

    async fn favourites(&self, account: Id, page: PageRequest) -> StoreResult<Page<Status>> {
        read_conn!(self, |c| interactions::favourites(c, account, page))
    }

    async fn viewer_flags(&self, viewer: Id, ids: &[Id]) -> StoreResult<ViewerFlags> {
        let ids = ids.to_vec();
        read_conn!(self, |c| interactions::viewer_flags(c, viewer, &ids))
    }

    // ---- timelines ------------------------------------------------------------------------------

    async fn home_timeline(&self, viewer: Id, page: PageRequest) -> StoreResult<Page<Status>> {
        match self.homes.mode {
            HomeMode::Materialised => self.read_snapshot(move |c| home::timeline(c, viewer, page)).await,
            HomeMode::Pulled => read_conn!(self, |c| home::pulled::timeline(c, viewer, page)),
        }
    }

    async fn trim_home_timelines(&self, keep: u32) -> StoreResult<u64> {
        if self.homes.mode == HomeMode::Pulled {
            return Ok(0);
        }
        // The scan that finds the long homes reads a snapshot; only the cuts take the writer.
        let cuts = read_conn!(self, |c| home::cuts(c, keep))?;
        write_tx!(self, |c| home::trim(c, &cuts))
    }

    async fn public_timeline(&self, page: PageRequest, only_media: bool) -> StoreResult<Page<Status>> {
        read_conn!(self, |c| timelines::public(c, page, only_media))
    }

    async fn tag_timeline(&self, tag: &str, page: PageRequest) -> StoreResult<Page<Status>> {
        let tag = tag.to_owned();
        read_conn!(self, |c| timelines::tag(c, &tag, page))
    }

    async fn account_statuses(
        &self,
        account: Id,
        viewer: Option<Id>,
        filter: AccountStatusesFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Status>> {
        read_conn!(self, |c| timelines::account(c, account, viewer, filter, page))
    }

    async fn instance_counts(&self) -> StoreResult<InstanceCounts> {
        read_conn!(self, |c| accounts::instance_counts(c))
    }

    // ---- notifications --------------------------------------------------------------------------

    async fn consumer_offset(&self, consumer: &str) -> StoreResult<i64> {
        let consumer = consumer.to_owned();
        read_conn!(self, |c| notifications::consumer_offset(c, &consumer))
    }

    async fn apply_notifications(
        &self,
        consumer: &str,
        upto: i64,
        derived: Vec<Derived>,
    ) -> StoreResult<Vec<Notification>> {
        let consumer = consumer.to_owned();
        // One id per notification, drawn before the write lock as for follows and favourites;
        // those of notifications already stored are simply not used.
        let ids = derived.iter().flat_map(|d| &d.notifications).map(|_| self.ids.next()).collect();
        write_tx!(self, |c| notifications::apply(c, &consumer, upto, derived, ids))
    }

    async fn notifications(
        &self,
        recipient: Id,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Notification>> {
        let filter = filter.clone();
        read_conn!(self, |c| notifications::list(c, recipient, &filter, page))
    }

    async fn notification(&self, recipient: Id, id: Id) -> StoreResult<Notification> {
        read_conn!(self, |c| notifications::one(c, recipient, id))
    }

    async fn notifications_between(&self, recipient: Id, after: i64, upto: i64) -> StoreResult<Vec<Notification>> {
        read_conn!(self, |c| notifications::between(c, recipient, after, upto))
    }

    async fn notifications_for_events(&self, after: i64, upto: i64) -> StoreResult<Vec<Notification>> {
        read_conn!(self, |c| notifications::for_events(c, after, upto))
    }

    async fn dismiss_notification(&self, recipient: Id, id: Id, at: Timestamp) -> StoreResult<()> {
        write_tx!(self, |c| notifications::dismiss(c, recipient, id, at))
    }

    async fn clear_notifications(&self, recipient: Id, at: Timestamp) -> StoreResult<()> {
        write_tx!(self, |c| notifications::clear(c, recipient, at))
    }

    async fn unread_notifications(&self, recipient: Id) -> StoreResult<i64> {
        read_conn!(self, |c| notifications::unread(c, recipient))
    }

    // ---- markers --------------------------------------------------------------------------------

    async fn markers(&self, account: Id, timelines: &[String]) -> StoreResult<Vec<Marker>> {
        let timelines = timelines.to_vec();
        read_conn!(self, |c| markers::markers(c, account, &timelines))
    }

    async fn set_marker(&self, account: Id, timeline: &str, last_read_id: Id, at: Timestamp) -> StoreResult<Marker> {
        let timeline = timeline.to_owned();
        write_tx!(self, |c| markers::set(c, account, &timeline, last_read_id, at))
    }

    // ---- search ---------------------------------------------------------------------------------

    async fn search_accounts(
        &self,
        prefix: &str,
        followed_by: Option<Id>,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<Account>> {
        let prefix = prefix.to_owned();
        read_conn!(self, |c| search::accounts(c, &prefix, followed_by, limit, offset))
    }

    async fn search_tags(&self, prefix: &str, limit: u32, offset: u32) -> StoreResult<Vec<TagUse>> {
        let prefix = prefix.to_owned();
        read_conn!(self, |c| search::tags(c, &prefix, limit, offset))
    }

    async fn search_statuses(&self, query: StatusSearch) -> StoreResult<Vec<Status>> {
        read_conn!(self, |c| search::statuses(c, query.clone()))
    }

    async fn index_for_search(&self, upto: i64) -> StoreResult<i64> {
        write_tx!(self, |c| search::index(c, upto))
    }

    // ---- trends ---------------------------------------------------------------------------------

    async fn tag_days(&self, since: Timestamp, tags: Option<Vec<String>>) -> StoreResult<Vec<TagDay>> {
        read_conn!(self, |c| trends::tag_days(c, since, tags.as_deref()))
    }

    async fn engaged_statuses(&self, since: Timestamp, limit: u32) -> StoreResult<Vec<(Id, Engagement)>> {
        read_conn!(self, |c| trends::engaged(c, since, limit))
    }

    // ---- media ----------------------------------------------------------------------------------

    async fn create_media(&self, media: NewMedia) -> StoreResult<Media> {
        write_tx!(self, |c| media::create(c, media))
    }

    async fn media(&self, id: Id) -> StoreResult<Media> {
        read_conn!(self, |c| media::get(c, id))
    }

    async fn update_media(&self, id: Id, account: Id, update: MediaUpdate) -> StoreResult<Media> {
        write_tx!(self, |c| media::update(c, id, account, update))
    }

    async fn purge_unattached_media(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<Media>> {
        write_tx!(self, |c| media::purge_unattached(c, before, limit))
    }

    // ---- stories --------------------------------------------------------------------------------

    async fn create_story(&self, story: NewStory) -> StoreResult<Story> {
        write_tx!(self, |c| stories::create(c, story))
    }

    async fn story(&self, id: Id, viewer: Id, now: Timestamp) -> StoreResult<Story> {
        read_conn!(self, |c| stories::story(c, id, viewer, now))
    }

    async fn story_feed(&self, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>> {
        read_conn!(self, |c| stories::feed(c, viewer, now))
    }

    async fn account_stories(&self, account: Id, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>> {
        read_conn!(self, |c| stories::of_account(c, account, viewer, now))
    }

    async fn delete_story(&self, id: Id, actor: Id, at: Timestamp) -> StoreResult<Story> {
        write_tx!(self, |c| stories::delete(c, id, actor, at))
    }

    async fn view_story(&self, id: Id, viewer: Id, at: Timestamp) -> StoreResult<StoryChange> {
        let view_id = self.ids.next();
        write_tx!(self, |c| stories::view(c, id, viewer, view_id, at))
    }

    async fn story_viewers(&self, id: Id, page: PageRequest, now: Timestamp) -> StoreResult<Page<StoryView>> {
        read_conn!(self, |c| stories::viewers(c, id, page, now))
    }

    async fn react_to_story(&self, id: Id, account: Id, emoji: &str, at: Timestamp) -> StoreResult<StoryChange> {
        let emoji = emoji.to_owned();
        write_tx!(self, |c| stories::react(c, id, account, &emoji, at))
    }

    async fn unreact_to_story(&self, id: Id, account: Id, emoji: &str, at: Timestamp) -> StoreResult<StoryChange> {
        let emoji = emoji.to_owned();
        write_tx!(self, |c| stories::unreact(c, id, account, &emoji, at))
    }

    async fn purge_expired_stories(&self, now: Timestamp) -> StoreResult<u64> {
        write_tx!(self, |c| stories::purge_expired(c, now))
    }

    // ---- chats ----------------------------------------------------------------------------------

    async fn create_chat(&self, chat: NewChat) -> StoreResult<CreatedChat> {
        write_tx!(self, |c| chats::create(c, chat))
    }

    async fn chat(&self, id: Id, viewer: Id) -> StoreResult<Chat> {
        read_conn!(self, |c| chats::chat(c, id, viewer))
    }

    async fn chats(&self, viewer: Id, page: PageRequest) -> StoreResult<Page<Chat>> {
        read_conn!(self, |c| chats::list(c, viewer, page))
    }

    async fn chat_messages(&self, chat: Id, viewer: Id, page: PageRequest) -> StoreResult<Page<ChatMessage>> {
        read_conn!(self, |c| chats::messages(c, chat, viewer, page))
    }

    async fn chat_message(&self, id: Id) -> StoreResult<ChatMessage> {
        read_conn!(self, |c| chats::message(c, id))
    }

    async fn send_chat_message(&self, message: NewChatMessage) -> StoreResult<ChatMessage> {
        write_tx!(self, |c| chats::send(c, message))
    }

    async fn mark_chat_read(&self, chat: Id, viewer: Id, last_read_id: Id, at: Timestamp) -> StoreResult<Chat> {
        write_tx!(self, |c| chats::mark_read(c, chat, viewer, last_read_id, at))
    }

    async fn leave_chat(&self, chat: Id, viewer: Id, at: Timestamp) -> StoreResult<()> {
        write_tx!(self, |c| chats::leave(c, chat, viewer, at))
    }

    async fn chat_partners(&self, account: Id) -> StoreResult<Vec<Id>> {
        read_conn!(self, |c| chats::partners(c, account))
    }

    // ---- event log ------------------------------------------------------------------------------

    async fn events_after(&self, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        read_conn!(self, |c| events::after(c, after, limit))
    }

    async fn last_event_seq(&self) -> StoreResult<i64> {
        read_conn!(self, |c| events::last_seq(c))
    }

    async fn events_by_actor(&self, actor: Id, page: PageRequest) -> StoreResult<Page<Event>> {
        read_conn!(self, |c| events::by_actor(c, actor, page))
    }

    // ---- replay ---------------------------------------------------------------------------------

    async fn live_state(&self, notifier: &str) -> StoreResult<LiveState> {
        // One read transaction: in WAL mode its first read fixes a snapshot that every later
        // query sees, however many writes commit meanwhile.
        let notifier = notifier.to_owned();
        self.read_snapshot(move |c| replay::live_state(c, &notifier)).await
    }

    async fn home_timeline_differences(&self, keep: u32) -> StoreResult<HomeTimelineCheck> {
        if self.homes.mode == HomeMode::Pulled {
            return Ok(HomeTimelineCheck::default());
        }
        // One read transaction, as for `live_state`; rolling it back drops the check's temp tables.
        self.read_snapshot(move |c| home::differences(c, keep)).await
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now: Timestamp, ttl_ms: i64) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        write_tx!(self, |c| leases::acquire(c, &name, &holder, now, ttl_ms))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        write_tx!(self, |c| leases::release(c, &name, &holder))
    }

    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StoreResult<IdempotencyState> {
        write_tx!(self, |c| idempotency::claim(c, &claim))
    }

    async fn answer_idempotency_key(&self, scope: &str, key: &str, answer: StoredAnswer) -> StoreResult<()> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        write_tx!(self, |c| idempotency::answer(c, &scope, &key, &answer))
    }

    async fn release_idempotency_key(&self, scope: &str, key: &str) -> StoreResult<()> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        write_tx!(self, |c| idempotency::release(c, &scope, &key))
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        write_tx!(self, |c| idempotency::purge(c, before))
    }

    async fn leases(&self, prefix: &str, now: Timestamp) -> StoreResult<Vec<Lease>> {
        let prefix = prefix.to_owned();
        read_conn!(self, |c| leases::list(c, &prefix, now))
    }

    // One file on one machine: its tables stay whole (ADR 9).
    async fn prepare_partitions(&self, _now: Timestamp) -> StoreResult<Vec<String>> {
        Ok(Vec::new())
    }

    async fn partitions(&self) -> StoreResult<Vec<PartitionInfo>> {
        Ok(Vec::new())
    }

    // ---- home timelines kept outside the store ------------------------------------------------

    async fn home_recipients(&self, status: Id) -> StoreResult<Vec<Id>> {
        read_conn!(self, |c| home::pulled::recipients(c, status))
    }

    async fn home_backfill(&self, account: Id, limit: u32) -> StoreResult<Vec<Id>> {
        read_conn!(self, |c| home::pulled::backfill(c, account, limit))
    }

    async fn home_admitted(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Id>> {
        let ids = ids.to_vec();
        read_conn!(self, |c| home::pulled::admitted(c, viewer, &ids))
    }
}
