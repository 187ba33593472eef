// The chat web app: routes (#/, #/inbox, #/group/<id>), views built from DOM nodes, live updates.
import { Api, ApiError } from "./api.js";
import { CognitoError, Session } from "./auth.js";
import { formValues, h, randomId, replaceChildren, shortTime } from "./dom.js";
import { Live } from "./live.js";

const PAGE = 20;
const HISTORY_PAGE = 50;
const CATCH_UP_PAGE = 100;
const REVOKED = {
  left: (name) => ["You left “", name, "”."],
  kicked: (name) => ["You were kicked out of “", name, "”."],
  banned: (name) => ["You were banned from “", name, "”."],
  dismissed: (name) => ["“", name, "” was dismissed by its creator."],
};

const view = document.getElementById("view");
const flash = document.getElementById("flash");
const account = document.getElementById("account");
const liveStatus = document.getElementById("live-status");

let config;
let session;
let api;
let live;
let groupPage = null; // the open group's page: {id, group, items: Map(seq -> element), firstSeq, lastSeq, ...}
let afterSignIn = "#/";
let carried = null; // a message for the next page: {message, kind}
const ownDepartures = new Map(); // groupId -> the `revoked` frame's reason expected from this page's leave or dismiss

// ---------- messages to the user ----------

/** User text (a group's or a person's name) isolated from the text around it, whatever its direction. */
function bdi(text) {
  return h("bdi", {}, text);
}

/** The message at the top of the page, until the next page: a string, or nodes and strings. */
function say(message, kind = "info") {
  replaceChildren(flash, message && message.length ? h("p", { class: `flash ${kind}` }, message) : null);
}

/** Go to `hash` and say `message` there. */
function leaveWith(hash, message, kind = "info") {
  carried = { message, kind };
  navigate(hash);
}

/** Run an action of a button or form; any refusal is shown as its reason, beside the action if a place is given. */
async function attempt(action, place = null) {
  try {
    return await action();
  } catch (failure) {
    if (!(failure instanceof ApiError) && !(failure instanceof CognitoError)) throw failure;
    if (failure.status === 401) return undefined;
    if (place) replaceChildren(place, h("span", { class: "error", role: "alert" }, failure.message));
    else say(failure.message, "error");
    return undefined;
  }
}

// ---------- what this browser has seen (seq per group), the only thing kept across reloads ----------

const seen = {
  key: () => `chatgroup:seen:${session.username}`,
  all() {
    try {
      return JSON.parse(localStorage.getItem(this.key()) ?? "{}");
    } catch {
      return {};
    }
  },
  of(groupId) {
    return this.all()[groupId] ?? 0;
  },
  mark(groupId, seq) {
    const all = this.all();
    if ((all[groupId] ?? 0) >= seq) return;
    all[groupId] = seq;
    localStorage.setItem(this.key(), JSON.stringify(all));
  },
};

// ---------- names of groups, for the inbox ----------

const groupNames = new Map();

function groupLabel(groupId) {
  const label = h("bdi", { class: "group-name" }, groupNames.get(groupId) ?? "a group");
  if (!groupNames.has(groupId)) {
    api
      .get(`/api/v1/chatgroup/get/${encodeURIComponent(groupId)}`)
      .then((group) => {
        groupNames.set(groupId, group.Name);
        label.textContent = group.Name;
      })
      .catch(() => {
        label.textContent = `group ${groupId.slice(0, 8)}… (gone)`;
      });
  }
  return label;
}

// ---------- start, sign-in, sign-out ----------

async function start() {
  try {
    config = await (await fetch("config.json", { cache: "no-store" })).json();
  } catch (failure) {
    say(`config.json could not be read (${failure.message}): see the README's web app section.`, "error");
    return;
  }
  session = new Session(config.cognito, (reason) => signedOut(reason));
  api = new Api(config.api_url, session, () => signedOut("Your session has ended: please sign in again."));
  live = new Live(config.websocket_url, () => session.idToken, {
    onItem,
    onRevoked,
    onOpen: () => groupPage?.catchUp(),
    onStatus: (state, retrySeconds) => {
      liveStatus.textContent = {
        connecting: "connecting…",
        live: "live",
        offline: "offline",
        refused: `offline: refused by the server, most likely because your account has too many open connections (close other tabs or devices); next try in ${retrySeconds} s`,
      }[state];
      liveStatus.dataset.state = state;
    },
    apiAnswers: () => api.get("/api/v1/chatgroup/mine", { limit: 1 }).then(() => true, () => false),
  });
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault(); // the hash is the route: following "#view" would leave the page
    view.focus();
  });
  window.addEventListener("hashchange", route);
  route();
}

/** Show `hash`: by setting it (the hashchange renders), or by rendering again when it is already shown. */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function signedOut(reason) {
  session.signOut();
  live.stop();
  groupPage = null;
  // After an ended session, signing in again returns to the same page; after "Sign out", to the start.
  afterSignIn = reason && location.hash !== "#/signin" ? location.hash || "#/" : "#/";
  leaveWith("#/signin", reason, "error");
}

function renderAccount() {
  if (!session.signedIn) {
    replaceChildren(account);
    return;
  }
  replaceChildren(
    account,
    h("span", { class: "me" }, session.username),
    h("button", { type: "button", class: "link", onclick: () => signedOut(null) }, "Sign out"),
  );
}

function signInView() {
  const error = h("p", { class: "form-error" });
  const form = h(
    "form",
    { class: "card narrow", "aria-label": "Sign in" },
    h("h2", {}, "Sign in"),
    h("label", {}, "User name", h("input", { name: "username", autocomplete: "username", required: true, autofocus: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { username, password } = Object.fromEntries(new FormData(form));
    await attempt(async () => {
      await session.signIn(username.trim(), password);
      live.start();
      navigate(afterSignIn === "#/signin" ? "#/" : afterSignIn);
    }, error);
  });
  return form;
}

// ---------- the router ----------

function route() {
  renderAccount();
  say(carried?.message, carried?.kind);
  carried = null;
  groupPage = null;
  const hash = location.hash || "#/";
  if (!session.signedIn) {
    if (hash !== "#/signin") afterSignIn = hash;
    replaceChildren(view, signInView());
    view.querySelector("input")?.focus();
    return;
  }
  const group = hash.match(/^#\/group\/([^/]+)$/);
  const groupId = group ? decodedOrNull(group[1]) : null;
  if (groupId) showGroup(groupId);
  else if (hash === "#/inbox") showInbox();
  else if (hash === "#/" || hash === "#/signin") showHome();
  else showNotFound();
  view.focus({ preventScroll: true });
}

function decodedOrNull(component) {
  try {
    return decodeURIComponent(component);
  } catch {
    return null; // a malformed escape such as %E0%A4%A
  }
}

function showNotFound() {
  replaceChildren(
    view,
    h("section", { class: "card narrow" }, h("h2", {}, "Page not found"), h("p", {}, "There is no page at this address. ", h("a", { href: "#/" }, "Go to My groups"), ".")),
  );
}

// ---------- home: my groups, an event's groups, create, apply ----------

function newMarker() {
  return h("span", { class: "badge new", title: "new messages since you last looked" }, "new");
}

function groupRow(group, actions = []) {
  const unseen = group.LastSeq > seen.of(group.ChatgroupID);
  return h(
    "li",
    { class: "group-row", dataset: { group: group.ChatgroupID } },
    h("a", { href: `#/group/${encodeURIComponent(group.ChatgroupID)}` }, bdi(group.Name)),
    unseen ? newMarker() : null,
    h("span", { class: "meta" }, `${group.MemberCount} of ${group.Capacity} members`, group.EventID ? [" · ", bdi(group.EventID)] : ""),
    actions,
  );
}

/** A listed group's row gets its "new" marker when an item newer than what this browser has seen arrives. */
function markNew(groupId, seq) {
  if (seq <= seen.of(groupId)) return;
  for (const row of view.querySelectorAll(".group-row")) {
    if (row.dataset.group === groupId && !row.querySelector(".new")) row.firstElementChild.after(newMarker());
  }
}

function pagedList(load, row, empty) {
  const list = h("ul", { class: "list" });
  const status = h("div", { class: "status" }, h("p", { class: "empty" }, "Loading…"));
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More");
  let nextToken = null;
  async function page() {
    await attempt(async () => {
      const answer = await load(nextToken);
      const items = answer.chatgroups ?? answer.messages ?? answer.bans ?? [];
      list.append(...items.map(row));
      nextToken = answer.next_token ?? null;
      more.hidden = !nextToken;
      if (!list.children.length) replaceChildren(status, h("p", { class: "empty" }, empty));
      else replaceChildren(status);
    }, status);
  }
  more.addEventListener("click", page);
  page();
  return [list, status, more];
}

function showHome() {
  const mine = h(
    "section",
    { class: "card", "aria-labelledby": "mine-title" },
    h("h2", { id: "mine-title" }, "My groups"),
    pagedList(
      (token) => api.get("/api/v1/chatgroup/mine", { limit: PAGE, next_token: token }),
      (group) => groupRow(group),
      "You are in no group yet: create one, or apply to one of an event's groups.",
    ),
  );
  replaceChildren(view, h("div", { class: "home" }, mine, createForm(), eventSearch(), applyByIdForm()));
}

function createForm() {
  const error = h("p", { class: "form-error" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "Create a group"),
    h("label", {}, "Name", h("input", { name: "name", required: true, maxlength: 100 })),
    h("label", {}, "Capacity", h("input", { name: "capacity", type: "number", min: 1, max: 1000, value: 10, required: true })),
    h("label", {}, "Event id (optional)", h("input", { name: "eventid" })),
    h("label", {}, "Members to add (optional, e.g. bob;carol)", h("input", { name: "memberlist" })),
    h("label", {}, "Photo URL (optional)", h("input", { name: "photo", type: "url" })),
    h("button", { type: "submit" }, "Create"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formValues(form);
    await attempt(async () => {
      const created = await api.post("/api/v1/chatgroup/create", { ...values, capacity: Number(values.capacity) });
      location.hash = `#/group/${created.chatgroup_id}`;
    }, error);
  });
  return form;
}

function applyButton(groupId) {
  const result = h("span", { class: "result" });
  const button = h("button", { type: "button", class: "secondary" }, "Apply");
  button.addEventListener("click", () =>
    attempt(async () => {
      await api.post("/api/v1/inbox/create", { type: "application", chatgroup_id: groupId });
      replaceChildren(result, h("span", { class: "ok" }, "Applied: the creator decides."));
      button.disabled = true;
    }, result),
  );
  return [button, result];
}

function eventSearch() {
  const results = h("div");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "event-title" },
    h("h2", { id: "event-title" }, "An event's groups"),
    h("label", {}, "Event id", h("input", { name: "eventid", required: true })),
    h("button", { type: "submit" }, "Show groups"),
    results,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { eventid } = formValues(form);
    replaceChildren(
      results,
      pagedList(
        (token) => api.get("/api/v1/chatgroup/list", { eventid, limit: PAGE, next_token: token }),
        (group) => groupRow(group, applyButton(group.ChatgroupID)),
        "This event has no groups yet.",
      ),
    );
  });
  return form;
}

function applyByIdForm() {
  const result = h("p", { class: "form-error" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "apply-title" },
    h("h2", { id: "apply-title" }, "Apply to a group"),
    h("label", {}, "Group id", h("input", { name: "chatgroup_id", required: true })),
    h("label", {}, "Message (optional)", h("input", { name: "message", maxlength: 500 })),
    h("button", { type: "submit" }, "Apply"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await attempt(async () => {
      await api.post("/api/v1/inbox/create", { type: "application", ...formValues(form) });
      replaceChildren(result, h("span", { class: "ok" }, "Applied: the creator decides."));
      form.reset();
    }, result);
  });
  return form;
}

// ---------- the inbox: received (accept, deny) and sent (withdraw, revoke) ----------

const OUTCOMES = {
  application_accepted: "accepted your application to",
  application_denied: "denied your application to",
  invitation_accepted: "accepted your invitation to",
  invitation_denied: "declined your invitation to",
  dismissed: "dismissed",
};

function receivedRow(message) {
  const result = h("span", { class: "result" });
  const row = h("li", { class: "inbox-row", dataset: { type: message.type, from: message.from } });
  const decide = (choice) =>
    attempt(async () => {
      const who = message.type === "application" ? { who_apply: message.from } : { who_invite: message.from };
      await api.put("/api/v1/chatgroup/put", {
        type: message.type,
        choice,
        chatgroup_id: message.chatgroup_id,
        inbox_message_id: message.inbox_message_id,
        ...who,
      });
      replaceChildren(row, h("span", { class: "ok" }, choice === "accept" ? "Accepted." : "Denied."));
      if (choice === "accept" && message.type === "invitation") location.hash = `#/group/${message.chatgroup_id}`;
    }, result);
  const group = groupLabel(message.chatgroup_id);
  let text;
  if (message.type === "application") text = [h("strong", {}, message.from), " applies to join ", group];
  else if (message.type === "invitation") text = [h("strong", {}, message.from), " invites you to ", group];
  else text = [h("strong", {}, message.from), ` ${OUTCOMES[message.type] ?? message.type} `, group];
  replaceChildren(
    row,
    h("p", {}, text, h("time", { datetime: message.timestamp }, ` · ${shortTime(message.timestamp)}`)),
    message.message ? h("blockquote", {}, message.message) : null,
    ["application", "invitation"].includes(message.type)
      ? h(
          "div",
          { class: "actions" },
          h("button", { type: "button", onclick: () => decide("accept") }, "Accept"),
          h("button", { type: "button", class: "secondary", onclick: () => decide("deny") }, "Deny"),
          result,
        )
      : null,
  );
  return row;
}

function sentRow(message) {
  const result = h("span", { class: "result" });
  const row = h("li", { class: "inbox-row", dataset: { type: message.type } });
  const isApplication = message.type === "application";
  const cancel = () =>
    attempt(async () => {
      const body = isApplication
        ? { type: "application", chatgroup_id: message.chatgroup_id }
        : { type: "invitation", chatgroup_id: message.chatgroup_id, who_to_invite: message.to };
      await api.delete("/api/v1/inbox/delete", body);
      replaceChildren(row, h("span", { class: "ok" }, isApplication ? "Withdrawn." : "Revoked."));
    }, result);
  replaceChildren(
    row,
    h(
      "p",
      {},
      isApplication ? ["Your application to ", groupLabel(message.chatgroup_id)] : ["Your invitation of ", h("strong", {}, message.to), " to ", groupLabel(message.chatgroup_id)],
      h("time", { datetime: message.timestamp }, ` · ${shortTime(message.timestamp)}`),
    ),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: cancel }, isApplication ? "Withdraw" : "Revoke"), result),
  );
  return row;
}

function showInbox() {
  replaceChildren(
    view,
    h(
      "div",
      { class: "inbox" },
      h(
        "section",
        { class: "card", "aria-labelledby": "received-title" },
        h("h2", { id: "received-title" }, "Inbox"),
        pagedList((token) => api.get("/api/v1/inbox/get", { limit: PAGE, next_token: token }), receivedRow, "Nothing waiting for you."),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "sent-title" },
        h("h2", { id: "sent-title" }, "Sent, awaiting a decision"),
        pagedList((token) => api.get("/api/v1/inbox/sent", { limit: PAGE, next_token: token }), sentRow, "Nothing sent is pending."),
      ),
    ),
  );
}

// ---------- a group's page: members, settings, the live timeline ----------

function noticeText(item) {
  const { user, by } = item;
  switch (item.notice) {
    case "joined":
      return by && by !== user ? `${user} joined (added by ${by})` : `${user} joined`;
    case "left":
      return `${user} left`;
    case "kicked":
      return `${user} was kicked out by ${by}`;
    case "banned":
      return `${user} was banned by ${by}`;
    case "transferred":
      return `${by} made ${user} the group's creator`;
    case "updated":
      return `${by} changed the group's ${Object.keys(item.changes ?? {}).join(", ") || "settings"}`;
    default:
      return `${item.notice}: ${user}`;
  }
}

function itemElement(item) {
  const time = h("time", { datetime: item.created_at }, shortTime(item.created_at));
  if (item.type === "notice") {
    return h("li", { class: "notice", dataset: { seq: item.seq } }, h("span", {}, noticeText(item)), " ", time);
  }
  const mine = item.sender === session.username;
  return h(
    "li",
    { class: mine ? "message mine" : "message", dataset: { seq: item.seq, sender: item.sender } },
    h("div", { class: "byline" }, h("span", { class: "sender" }, item.sender), " ", time),
    h("p", { class: "text" }, item.text),
  );
}

const MEMBERSHIP_NOTICES = new Set(["joined", "left", "kicked", "banned", "transferred", "updated"]);

class GroupPage {
  constructor(id) {
    this.id = id;
    this.items = new Map();
    this.firstSeq = null;
    this.lastSeq = 0;
    this.hasOlder = false;
    this.historyLoaded = false; // until then a catch-up would start from seq 0: it waits, see catchUp()
    this.catchUpAfterHistory = false;
    this.catchingUp = null;
    this.pending = null; // {text, id}: a send to retry with the same client_msg_id
    this.timeline = h("ol", { class: "timeline", "aria-live": "polite", "aria-label": "Messages" });
    this.older = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => this.loadOlder() }, "Load earlier messages");
    this.timelineStatus = h("div", { class: "status" });
    this.header = h("header", { class: "group-header" });
    this.side = h("aside", { class: "group-side" });
  }

  get isCreator() {
    return this.group?.CreatorID === session.username;
  }

  get isMember() {
    return this.members().includes(session.username);
  }

  /** Nothing of a member's page is shown before the API has said that this user is one. */
  async load() {
    replaceChildren(view, h("p", { class: "empty" }, "Loading…"));
    this.group = await attempt(() => this.fetchGroup(), view);
    if (!this.group || groupPage !== this) return;
    if (!this.isMember) {
      this.renderOutsider();
      return;
    }
    this.renderMember();
    await this.asMember(async () => {
      const page = await this.fetch({ limit: HISTORY_PAGE });
      this.hasOlder = page.has_more;
      this.add(page.messages);
      this.older.hidden = !this.hasOlder;
      this.scrollToEnd();
    }, this.timelineStatus);
    this.historyLoaded = true;
    if (this.catchUpAfterHistory) this.catchUp();
  }

  renderMember() {
    replaceChildren(
      view,
      h(
        "div",
        { class: "group-page" },
        this.header,
        h("section", { class: "chat card", "aria-label": "Chat" }, this.older, this.timelineStatus, this.timeline, this.composer()),
        this.side,
      ),
    );
    this.renderHeader();
    this.renderSide();
  }

  /** What anyone signed in may see of a group they are not in: its header, and Apply. */
  renderOutsider() {
    replaceChildren(
      view,
      h(
        "div",
        { class: "group-page" },
        this.header,
        h(
          "section",
          { class: "card outsider", "aria-labelledby": "outsider-title" },
          h("h3", { id: "outsider-title" }, "You are not a member of “", bdi(this.group.Name), "”"),
          h("p", {}, "Only its members see its chat and members. Apply to join, and its creator decides."),
          applyButton(this.id),
        ),
      ),
    );
    this.renderHeader();
  }

  fetchGroup() {
    return api.get(`/api/v1/chatgroup/get/${encodeURIComponent(this.id)}`).then((group) => {
      groupNames.set(this.id, group.Name);
      return group;
    });
  }

  fetch(query) {
    return api.get(`/api/v1/chatgroup/${encodeURIComponent(this.id)}/messages`, query);
  }

  /** The group as it is now: a member's page again, or out of it when this user is no longer in it. */
  async refreshGroup() {
    this.group = await this.fetchGroup();
    if (!this.isMember) {
      this.removed(403);
      return;
    }
    this.renderHeader();
    this.renderSide();
  }

  /**
   * Run a call that only a member may make: its 403 (not a member) or 404 (no such group any more) takes the
   * user off the page, as a `revoked` frame would; any other refusal is shown in `place`.
   */
  asMember(call, place) {
    return attempt(async () => {
      try {
        return await call();
      } catch (failure) {
        if (!(failure instanceof ApiError) || ![403, 404].includes(failure.status)) throw failure;
        this.removed(failure.status);
        return undefined;
      }
    }, place);
  }

  /** Leave this page for My groups, saying why: the API refused this user as a member (403) or found no group (404). */
  removed(status) {
    if (groupPage !== this) return;
    groupPage = null;
    const name = bdi(this.group?.Name ?? "this group");
    leaveWith("#/", status === 404 ? ["“", name, "” no longer exists."] : ["You are no longer a member of “", name, "”."], "error");
  }

  members() {
    return (this.group.MemberList ?? "").split(";").filter(Boolean);
  }

  renderHeader() {
    const group = this.group;
    const photo = /^https?:\/\//.test(group.PhotoID ?? "") ? h("img", { src: group.PhotoID, alt: "", class: "photo" }) : null;
    replaceChildren(
      this.header,
      photo,
      h("div", {}, h("h2", {}, bdi(group.Name)),
        h("p", { class: "meta" }, `${this.members().length} of ${group.Capacity} members · created by ${group.CreatorID}`, group.EventID ? [" · event ", bdi(group.EventID)] : "")),
    );
  }

  renderSide() {
    const members = h(
      "ul",
      { class: "members list" },
      this.members().map((user) => this.memberRow(user)),
    );
    replaceChildren(
      this.side,
      h("section", { class: "card", "aria-labelledby": "members-title" }, h("h3", { id: "members-title" }, "Members"), members),
      this.inviteForm(),
      this.isCreator ? [this.settingsForm(), this.bansSection(), this.dismissSection()] : this.leaveSection(),
    );
  }

  memberRow(user) {
    const result = h("span", { class: "result" });
    const act = (label, call, done) =>
      h("button", {
        type: "button",
        class: "secondary small",
        "aria-label": `${label} ${user}`,
        onclick: () =>
          attempt(async () => {
            await call();
            say(done, "info");
            await this.refreshGroup();
          }, result),
      }, label);
    const actions =
      this.isCreator && user !== session.username
        ? [
            act("Kick", () => api.delete("/api/v1/chatgroup/delete", { type: "kickout", chatgroup_id: this.id, creator_id: session.username, who_to_kick_out: user }), `${user} was kicked out.`),
            act("Ban", () => api.delete("/api/v1/chatgroup/delete", { type: "ban", chatgroup_id: this.id, creator_id: session.username, who_to_ban: user }), `${user} was banned.`),
            act("Make creator", () => api.put("/api/v1/chatgroup/put", { type: "transfer", chatgroup_id: this.id, new_creator: user }), `${user} is now the creator.`),
          ]
        : [];
    return h(
      "li",
      { class: "member", dataset: { user } },
      h("span", { class: "name" }, user),
      user === this.group.CreatorID ? h("span", { class: "badge quiet" }, "creator") : null,
      user === session.username ? h("span", { class: "badge quiet" }, "you") : null,
      actions.length ? h("span", { class: "actions" }, actions) : null,
      result,
    );
  }

  inviteForm() {
    const result = h("p", { class: "form-error" });
    const form = h(
      "form",
      { class: "card", "aria-labelledby": "invite-title" },
      h("h3", { id: "invite-title" }, "Invite someone"),
      h("label", {}, "User", h("input", { name: "who_to_invite", required: true })),
      h("label", {}, "Message (optional)", h("input", { name: "message", maxlength: 500 })),
      h("button", { type: "submit" }, "Invite"),
      result,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = formValues(form);
      await attempt(async () => {
        await api.post("/api/v1/inbox/create", { type: "invitation", chatgroup_id: this.id, ...values });
        replaceChildren(result, h("span", { class: "ok" }, `${values.who_to_invite} is invited.`));
        form.reset();
      }, result);
    });
    return form;
  }

  settingsForm() {
    const result = h("p", { class: "form-error" });
    const group = this.group;
    const form = h(
      "form",
      { class: "card", "aria-labelledby": "settings-title" },
      h("h3", { id: "settings-title" }, "Settings"),
      h("label", {}, "Name", h("input", { name: "name", value: group.Name, maxlength: 100, required: true })),
      h("label", {}, "Capacity", h("input", { name: "capacity", type: "number", min: 1, max: 1000, value: group.Capacity, required: true })),
      h("label", {}, "Event id", h("input", { name: "eventid", value: group.EventID ?? "" })),
      h("label", {}, "Photo URL", h("input", { name: "photo", type: "url", value: group.PhotoID ?? "" })),
      h("button", { type: "submit" }, "Save"),
      result,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // A field the user emptied is sent as null: the API removes that setting (event id, photo).
      const values = Object.fromEntries([...new FormData(form)].map(([name, value]) => [name, String(value).trim() || null]));
      const current = { name: group.Name, capacity: String(group.Capacity), eventid: group.EventID ?? null, photo: group.PhotoID ?? null };
      const attrs = Object.fromEntries(Object.entries(values).filter(([name, value]) => current[name] !== value));
      if ("capacity" in attrs) attrs.capacity = Number(attrs.capacity);
      if (!Object.keys(attrs).length) {
        replaceChildren(result, "Nothing changed.");
        return;
      }
      await attempt(async () => {
        await api.put("/api/v1/chatgroup/put", { type: "update", chatgroup_id: this.id, attrs });
        say("The group is updated.");
        await this.refreshGroup();
      }, result);
    });
    return form;
  }

  bansSection() {
    const place = h("div");
    const result = h("p", { class: "form-error" });
    const unban = (user) =>
      attempt(async () => {
        await api.put("/api/v1/chatgroup/put", { type: "unban", chatgroup_id: this.id, who_to_unban: user });
        say(`${user} is no longer banned.`);
        show();
      }, result);
    const show = () =>
      replaceChildren(
        place,
        pagedList(
          (token) => api.get(`/api/v1/chatgroup/${encodeURIComponent(this.id)}/bans`, { limit: PAGE, next_token: token }),
          (ban) =>
            h("li", { class: "ban", dataset: { user: ban.user } }, h("span", { class: "name" }, ban.user), h("span", { class: "meta" }, ` banned by ${ban.by} · ${shortTime(ban.at)}`),
              h("button", { type: "button", class: "secondary small", onclick: () => unban(ban.user) }, "Unban")),
          "Nobody is banned.",
        ),
      );
    const form = h(
      "form",
      { class: "inline" },
      h("label", {}, "Ban a user who is not a member", h("input", { name: "who_to_ban", required: true })),
      h("button", { type: "submit", class: "secondary" }, "Ban"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { who_to_ban } = formValues(form);
      await attempt(async () => {
        await api.delete("/api/v1/chatgroup/delete", { type: "ban", chatgroup_id: this.id, creator_id: session.username, who_to_ban });
        say(`${who_to_ban} is banned.`);
        form.reset();
        show();
      }, result);
    });
    return h(
      "section",
      { class: "card", "aria-labelledby": "bans-title" },
      h("h3", { id: "bans-title" }, "Bans"),
      h("button", { type: "button", class: "secondary", onclick: show }, "Show bans"),
      place,
      form,
      result,
    );
  }

  dismissSection() {
    const result = h("p", { class: "form-error" });
    const confirm = h("button", { type: "button", class: "danger", hidden: true }, "Yes, dismiss it for everyone");
    const ask = h("button", { type: "button", class: "danger" }, "Dismiss the group");
    ask.addEventListener("click", () => {
      confirm.hidden = false;
      confirm.focus();
    });
    confirm.addEventListener("click", () =>
      attempt(async () => {
        await departing(this.id, "dismissed", () =>
          api.delete("/api/v1/chatgroup/delete", { type: "dismiss", chatgroup_id: this.id, creator_id: session.username }),
        );
        leaveWith("#/", ["“", bdi(this.group.Name), "” is dismissed."]);
      }, result),
    );
    return h("section", { class: "card", "aria-labelledby": "dismiss-title" }, h("h3", { id: "dismiss-title" }, "Dismiss"), ask, confirm, result);
  }

  leaveSection() {
    const result = h("p", { class: "form-error" });
    const leave = h("button", { type: "button", class: "danger" }, "Leave the group");
    leave.addEventListener("click", () =>
      attempt(async () => {
        await departing(this.id, "left", () =>
          api.put("/api/v1/chatgroup/put", { type: "leave", chatgroup_id: this.id, who_leave: session.username }),
        );
        leaveWith("#/", ["You left “", bdi(this.group.Name), "”."]);
      }, result),
    );
    return h("section", { class: "card" }, leave, result);
  }

  composer() {
    const result = h("p", { class: "form-error" });
    const text = h("textarea", { name: "text", rows: 2, maxlength: 4000, required: true, "aria-label": "Message", placeholder: "Message (Enter sends)" });
    const form = h("form", { class: "composer" }, text, h("button", { type: "submit" }, "Send"), result);
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = text.value;
      if (!value.trim()) return;
      if (this.pending?.text !== value) this.pending = { text: value, id: randomId() };
      replaceChildren(result);
      await this.asMember(async () => {
        const sent = await api.post(`/api/v1/chatgroup/${encodeURIComponent(this.id)}/messages`, { text: value, client_msg_id: this.pending.id });
        this.pending = null;
        if (text.value === value) text.value = "";
        const item = { type: "message", seq: sent.seq, message_id: sent.message_id, chatgroup_id: this.id, sender: session.username, text: value, created_at: sent.created_at };
        this.receive(item);
        text.focus();
      }, result);
    });
    return form;
  }

  /** An item from the socket or our own send: dropped if seen, added if next, a catch-up if there is a gap. */
  receive(item) {
    if (item.seq <= this.lastSeq) return;
    if (item.seq > this.lastSeq + 1 && this.lastSeq > 0) {
      this.catchUp();
      return;
    }
    this.add([item]);
    this.scrollToEnd();
  }

  /**
   * Everything after the last seq seen, page by page: after a reconnect, or a gap in the frames. Before the first
   * page of history has loaded there is no last seq yet: the catch-up runs once it has, from its newest item.
   */
  catchUp() {
    if (!this.historyLoaded) {
      this.catchUpAfterHistory = true;
      return;
    }
    this.catchingUp ??= this.asMember(async () => {
      let more = true;
      while (more && groupPage === this) {
        const page = await this.fetch({ after_seq: this.lastSeq, limit: CATCH_UP_PAGE });
        this.add(page.messages);
        more = page.has_more && page.messages.length > 0;
      }
      this.scrollToEnd();
    }, this.timelineStatus).finally(() => {
      this.catchingUp = null;
    });
  }

  async loadOlder() {
    await this.asMember(async () => {
      const page = await this.fetch({ before_seq: this.firstSeq, limit: HISTORY_PAGE });
      const anchor = this.timeline.firstElementChild;
      const offset = anchor?.offsetTop ?? 0;
      this.add(page.messages);
      this.hasOlder = page.has_more;
      this.older.hidden = !this.hasOlder;
      if (anchor) this.timeline.scrollTop += anchor.offsetTop - offset;
    }, this.timelineStatus);
  }

  add(items) {
    let membership = false;
    for (const item of items) {
      if (this.items.has(item.seq)) continue;
      const element = itemElement(item);
      const after = [...this.items.keys()].filter((seq) => seq > item.seq).sort((a, b) => a - b)[0];
      this.timeline.insertBefore(element, after === undefined ? null : this.items.get(after));
      this.items.set(item.seq, element);
      this.firstSeq = this.firstSeq === null ? item.seq : Math.min(this.firstSeq, item.seq);
      this.lastSeq = Math.max(this.lastSeq, item.seq);
      membership ||= item.type === "notice" && MEMBERSHIP_NOTICES.has(item.notice);
    }
    seen.mark(this.id, this.lastSeq);
    if (!this.items.size) replaceChildren(this.timelineStatus, h("p", { class: "empty" }, "No messages yet: say hello."));
    else if (this.timelineStatus.querySelector(".empty")) replaceChildren(this.timelineStatus);
    if (membership && this.group) this.asMember(() => this.refreshGroup(), this.header);
  }

  scrollToEnd() {
    this.timeline.scrollTop = this.timeline.scrollHeight;
  }
}

function showGroup(id) {
  groupPage = new GroupPage(id);
  groupPage.load();
}

// ---------- frames from the socket ----------

function onItem(item) {
  if (groupPage?.id === item.chatgroup_id) groupPage.receive(item);
  else markNew(item.chatgroup_id, item.seq);
}

/** Leave or dismiss with `call`: the `revoked` frame it causes is not news to this page, which says so itself. */
async function departing(groupId, reason, call) {
  ownDepartures.set(groupId, reason);
  try {
    return await call();
  } catch (failure) {
    ownDepartures.delete(groupId);
    throw failure;
  }
}

function onRevoked(frame) {
  const expected = ownDepartures.get(frame.chatgroup_id) === frame.reason;
  ownDepartures.delete(frame.chatgroup_id);
  if (expected) return;
  const name = bdi(groupNames.get(frame.chatgroup_id) ?? "a group");
  const message = REVOKED[frame.reason]?.(name) ?? ["You no longer belong to “", name, `” (${frame.reason}).`];
  const kind = frame.reason === "left" ? "info" : "error";
  if (groupPage?.id === frame.chatgroup_id) {
    groupPage = null;
    leaveWith("#/", message, kind);
  } else say(message, kind);
}

start();
