// newsgraph explorer: a client of the public GraphQL API at /graphql.
//
// Every view is one URL (hash routing, so the page stays plain static files) and one
// nested GraphQL query sent with variables (the timeline's trending panel follows with a
// second: its window ends on the newest day the first returned). Views with an Atom feed
// (/feeds/*.atom) announce it in the document head and link it under their heading. Archive text is written with text nodes;
// only `summaryHtml` and search `snippetHtml`, which the server renders safely, are
// parsed as HTML, and even those go through an allowlist first.

const ENDPOINT = new URL("graphql", document.baseURI).href;
const TIMELINE_PAGE = 30;
const LIST_PAGE = 20;
const DAY_PAGE = 100;
const DAY_WINDOW = 60; // days either side of a day view searched for its neighbours
const TRENDING_DAYS = 7; // the trending window beside the timeline: this many days to the newest shown
const TRENDING_COUNT = 8;

// ---------------------------------------------------------------- GraphQL

class ApiError extends Error {
  constructor(message, { code = null, kind = "graphql" } = {}) {
    super(message);
    this.code = code;
    this.kind = kind;
  }
}

/** POST one operation; resolves to `data`, rejects with ApiError (or AbortError). */
async function graphql(query, variables, signal) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
      },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("The API could not be reached. Is `newsgraph serve` still running?", { kind: "network" });
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The API answered ${response.status} ${response.statusText} without a GraphQL response.`, { kind: "http" });
  }
  if (Array.isArray(body.errors) && body.errors.length) {
    const [first] = body.errors;
    throw new ApiError(String(first.message || "The API reported an error."), { code: first.extensions?.code ?? null });
  }
  if (!response.ok || !body.data) {
    throw new ApiError(`The API answered ${response.status} ${response.statusText}.`, { kind: "http" });
  }
  return body.data;
}

// Fragments shared by the views' queries.
const EVENT_ITEM = `
fragment EventItem on Event {
  path
  date
  headline
  sources { name }
  tags { name }
}`;

// ---------------------------------------------------------------- DOM helpers

/** Create an element: props are attributes (class, href, aria-*, ...) or on* listeners; children are nodes or text. */
function h(tag, props, ...children) {
  const node = document.createElement(tag);
  setProps(node, props);
  append(node, children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, props, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setProps(node, props);
  append(node, children);
  return node;
}

function setProps(node, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Elements kept from server-rendered HTML; everything else is dropped or unwrapped.
const SAFE_TAGS = new Set(["P", "A", "MARK", "EM", "STRONG", "B", "I", "CODE", "BR", "UL", "OL", "LI", "BLOCKQUOTE", "DEL", "S", "SUB", "SUP"]);
const DROP_TAGS = new Set(["SCRIPT", "STYLE", "IFRAME", "OBJECT", "EMBED", "TEMPLATE", "SVG", "MATH", "NOSCRIPT"]);

/**
 * HTML from the server (`summaryHtml`, `snippetHtml`) as a fragment. The server already escapes
 * archive text and allows only http(s) links; this allowlist is a second line of defence.
 * A <template> parses without running scripts or loading images.
 */
function serverHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const clean = (source, target) => {
    for (const child of source.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        target.append(document.createTextNode(child.textContent));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const tag = child.tagName.toUpperCase();
        if (DROP_TAGS.has(tag)) continue;
        if (!SAFE_TAGS.has(tag)) { clean(child, target); continue; }
        let copy;
        if (tag === "A") {
          const href = webUrl(child.getAttribute("href"));
          if (!href) { clean(child, target); continue; }
          copy = h("a", { href, rel: "noopener noreferrer" });
        } else {
          copy = document.createElement(tag.toLowerCase());
        }
        clean(child, copy);
        target.append(copy);
      }
    }
  };
  const fragment = document.createDocumentFragment();
  clean(template.content, fragment);
  return fragment;
}

/** The URL when it is an absolute http(s) URL, otherwise null. */
function webUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- formatting

const LONG_DATE = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const SHORT_DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const DAY_MONTH = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
const MONTH = new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
const NUMBER = new Intl.NumberFormat("en-GB");
const MONTH_DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", timeZone: "UTC" });
const MONTH_NAME = new Intl.DateTimeFormat("en-GB", { month: "long", timeZone: "UTC" });

/** "2015-09-03" → Date at UTC midnight, or null. */
function parseDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  if (!match) return null;
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return date.getUTCDate() === +match[3] && date.getUTCMonth() === +match[2] - 1 ? date : null;
}

const isoDay = (date) => date.toISOString().slice(0, 10);
const addDays = (date, days) => new Date(date.getTime() + days * 86_400_000);
const longDate = (text) => { const d = parseDate(text); return d ? LONG_DATE.format(d) : text; };
const shortDate = (text) => { const d = parseDate(text); return d ? SHORT_DATE.format(d) : text; };
const plural = (count, one, many = one + "s") => `${NUMBER.format(count)} ${count === 1 ? one : many}`;

/** Days in a month (1–12) of a leap year: 29 February is a day events can have. */
const daysInMonth = (month) => new Date(Date.UTC(2000, month, 0)).getUTCDate();
const validMonthDay = (month, day) => month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(month);
/** "3 September"; the numbers as written when they are no day of the year. */
const monthDayName = (month, day) => (validMonthDay(month, day) ? MONTH_DAY.format(new Date(Date.UTC(2000, month - 1, day))) : `${month}-${day}`);

function todayMonthDay() {
  const now = new Date(); // the reader's own today
  return { month: now.getMonth() + 1, day: now.getDate() };
}

function timeEl(date, format = shortDate) {
  return h("time", { datetime: date }, format(date));
}

// ---------------------------------------------------------------- links

const eventHref = (path) => "#/event" + path.split("/").map(encodeURIComponent).join("/");
const tagHref = (name) => "#/tag/" + encodeURIComponent(name);
const dayHref = (date) => "#/day/" + encodeURIComponent(date);
const publisherHref = (domain) => "#/publisher/" + encodeURIComponent(domain);
const onThisDayHref = (month, day) => `#/on-this-day/${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
const onThisDayOf = (date) => onThisDayHref(+date.slice(5, 7), +date.slice(8, 10));

function withParams(base, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}

// ---------------------------------------------------------------- Atom feeds

const FEED_TYPE = "application/atom+xml";

/** One of the server's Atom feeds (/feeds/…, docs/api.md): its absolute URL and the title the feed itself has. */
function atomFeed(path, title, params = {}) {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return { href: url.href, title };
}

const FEEDS = {
  events: () => atomFeed("feeds/events.atom", "newsgraph: newest events"),
  tag: (name) => atomFeed(`feeds/tags/${encodeURIComponent(name)}.atom`, `newsgraph: ${name}`),
  publisher: (domain, name) => atomFeed(`feeds/publishers/${encodeURIComponent(domain)}.atom`, `newsgraph: ${name} (${domain})`),
  search: (q) => atomFeed("feeds/search.atom", `newsgraph: “${q}”`, { q }),
};

/** The view's feed as the document head's alternate link (what feed readers and browsers discover); none for a view without one. */
function announceFeed(feed) {
  for (const link of document.head.querySelectorAll(`link[rel="alternate"][type="${FEED_TYPE}"]`)) link.remove();
  if (feed) document.head.append(h("link", { rel: "alternate", type: FEED_TYPE, title: feed.title, href: feed.href }));
}

/** The same feed as a visible link, under the page's heading. */
function feedLink(feed) {
  return h("p", { class: "feed" },
    h("a", { class: "feed-link", href: feed.href, type: FEED_TYPE, title: feed.title },
      svg("svg", { class: "feed-icon", viewBox: "0 0 16 16", width: 14, height: 14, "aria-hidden": "true", focusable: "false" },
        svg("circle", { cx: 3, cy: 13, r: 2 }),
        svg("path", { d: "M1 7a8 8 0 0 1 8 8M1 2a13 13 0 0 1 13 13", fill: "none", "stroke-width": 2.2 })),
      "Atom feed"));
}

// ---------------------------------------------------------------- shared pieces

function tagList(tags, { label = "Tags", counts = false } = {}) {
  if (!tags.length) return null;
  return h("ul", { class: "tags", "aria-label": label },
    tags.map((tag) => h("li", {},
      h("a", { class: "tag", href: tagHref(tag.name) },
        tag.name,
        counts && tag.eventCount != null
          ? h("span", { class: "tag-count" },
              h("span", { class: "visually-hidden" }, ", "),
              NUMBER.format(tag.eventCount),
              h("span", { class: "visually-hidden" }, tag.eventCount === 1 ? " event" : " events"))
          : null))));
}

/** One event in a list: headline link, date, sources and tags. */
function eventItem(event, { level = 3, showDate = true, headlineContent = null } = {}) {
  const sourceCount = event.sources ? event.sources.length : 0;
  return h("li", { class: "event-item" },
    h(`h${level}`, { class: "event-title" }, h("a", { href: eventHref(event.path) }, headlineContent || event.headline)),
    h("p", { class: "event-meta" },
      showDate ? [timeEl(event.date), h("span", { class: "sep", "aria-hidden": "true" }, " · ")] : null,
      plural(sourceCount, "source")),
    tagList(event.tags || []));
}

function eventList(edges, options) {
  return h("ol", { class: "event-list" }, edges.map((edge) => eventItem(edge.node, options)));
}

function pageHead({ kicker = null, title, lede = null }) {
  return h("div", { class: "page-head" },
    kicker ? h("p", { class: "kicker" }, kicker) : null,
    h("h1", { tabindex: "-1" }, title),
    lede ? h("p", { class: "lede" }, lede) : null);
}

function pager(label, links) {
  const present = links.filter(Boolean);
  if (!present.length) return null;
  return h("nav", { class: "pager", "aria-label": label }, present);
}

function pagerLink(text, href, rel) {
  return h("a", { class: `button pager-${rel}`, href, rel }, text);
}

function emptyState(title, ...body) {
  return h("div", { class: "empty" }, h("p", { class: "empty-title" }, title), body.length ? h("p", {}, body) : null);
}

function section(id, title, ...children) {
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), children);
}

/** The query and variables behind the current view: what the API is for, shown plainly. */
function requestDetails(query, variables) {
  return h("details", { class: "request" },
    h("summary", {}, "The request behind this view"),
    h("p", {}, "One ", h("code", {}, "POST /graphql"), " with this query and these variables:"),
    h("pre", {}, h("code", {}, query.trim())),
    h("pre", {}, h("code", {}, JSON.stringify(variables, null, 2))));
}

// ---------------------------------------------------------------- charts

/**
 * An accessible SVG bar chart. `points` are {label, value, key}. The SVG is as wide as its
 * container (percent coordinates), so it needs no resize handling; the aria-label carries the data.
 */
function barChart(points, { title, unit = "event", labelEvery = null, id }) {
  const height = 150;
  const top = 18;
  const base = height - 22;
  const max = Math.max(1, ...points.map((p) => p.value));
  const slots = Math.max(points.length, 8);
  const slot = 100 / slots;
  const offset = (100 - slot * points.length) / 2;
  const every = labelEvery || Math.max(1, Math.ceil(points.length / 12));
  const showValues = points.length <= 40;
  const total = points.reduce((sum, p) => sum + p.value, 0);
  const busiest = points.reduce((best, p) => (p.value > best.value ? p : best), points[0]);
  const described = points.length <= 31
    ? points.map((p) => `${p.label}: ${NUMBER.format(p.value)}`).join("; ")
    : `${points.length} periods from ${points[0].label} to ${points[points.length - 1].label}; busiest ${busiest.label} with ${plural(busiest.value, unit)}`;
  const label = `${title}. ${plural(total, unit)} in all. ${described}.`;

  const bars = points.map((p, i) => {
    const x = offset + i * slot;
    const barHeight = p.value ? Math.max(2, ((base - top) * p.value) / max) : 0;
    return svg("g", { class: p.value === busiest.value && p.value ? "bar busiest" : "bar" },
      svg("title", {}, `${p.label}: ${plural(p.value, unit)}`),
      svg("rect", { x: `${x + slot * 0.12}%`, y: base - barHeight, width: `${slot * 0.76}%`, height: barHeight, rx: 2 }),
      showValues && p.value ? svg("text", { class: "value", x: `${x + slot / 2}%`, y: base - barHeight - 5, "text-anchor": "middle" }, NUMBER.format(p.value)) : null,
      i % every === 0
        ? svg("text", { class: (i / every) % 2 ? "axis-label minor" : "axis-label", x: `${x + slot / 2}%`, y: height - 6, "text-anchor": "middle" }, p.shortLabel || p.label)
        : null);
  });
  return svg("svg", { class: "chart", id, width: "100%", height, role: "img", "aria-label": label },
    svg("title", {}, label),
    svg("line", { class: "baseline", x1: "0%", x2: "100%", y1: base + 0.5, y2: base + 0.5 }),
    bars);
}

/** Every month from the first to the last period ("YYYY-MM"), missing ones as zero. */
function monthSeries(counts) {
  if (!counts.length) return [];
  const byPeriod = new Map(counts.map((c) => [c.period, c.count]));
  const [startYear, startMonth] = counts[0].period.split("-").map(Number);
  const [endYear, endMonth] = counts[counts.length - 1].period.split("-").map(Number);
  const points = [];
  for (let y = startYear, m = startMonth; y < endYear || (y === endYear && m <= endMonth); m === 12 ? (y++, m = 1) : m++) {
    const period = `${y}-${String(m).padStart(2, "0")}`;
    const label = MONTH.format(new Date(Date.UTC(y, m - 1, 1)));
    points.push({ key: period, label, shortLabel: label, value: byPeriod.get(period) || 0 });
  }
  return points;
}

/** Every day from the first to the last date ("YYYY-MM-DD"), missing ones as zero. */
function daySeries(counts) {
  if (!counts.length) return [];
  const byDay = new Map(counts.map((c) => [c.date, c.count]));
  const points = [];
  const end = parseDate(counts[counts.length - 1].date);
  for (let d = parseDate(counts[0].date); d <= end; d = addDays(d, 1)) {
    const key = isoDay(d);
    points.push({ key, label: SHORT_DATE.format(d), shortLabel: DAY_MONTH.format(d), value: byDay.get(key) || 0 });
  }
  return points;
}

/** Per-day points when the span is short enough to read, otherwise per month. */
function activitySeries(dayCounts) {
  const days = daySeries(dayCounts);
  if (days.length <= 62) return { points: days, per: "day" };
  const months = new Map();
  for (const c of dayCounts) months.set(c.date.slice(0, 7), (months.get(c.date.slice(0, 7)) || 0) + c.count);
  return { points: monthSeries([...months].map(([period, count]) => ({ period, count }))), per: "month" };
}

// ---------------------------------------------------------------- views

const TIMELINE_QUERY = `
query Timeline($first: Int, $after: String, $last: Int, $before: String) {
  stats { events tags publishers dateFrom dateTo }
  days { date eventCount }
  events(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { ...EventItem } }
  }
  tags(first: 20) { edges { node { name eventCount } } }
}
${EVENT_ITEM}`;

const EVENT_QUERY = `
query Event($path: String!) {
  event(path: $path) {
    path
    date
    headline
    summaryHtml
    coverImage
    sources { name url domain publisher { name eventCount } }
    tags { name eventCount }
    related {
      path
      headline
      date
      context { name }
      event { path headline date }
    }
    relatedBy(first: 50) {
      totalCount
      edges { node { ...EventItem } }
    }
    thread {
      totalCount
      firstDate
      lastDate
      truncated
      events(first: 100) { edges { node { path date headline } } }
    }
    similar(first: 6) {
      edges {
        score
        sharedTags { name }
        node { path date headline }
      }
    }
  }
}
${EVENT_ITEM}`;

const TAG_QUERY = `
query Tag($name: String!, $first: Int!, $after: String) {
  tag(name: $name) {
    name
    eventCount
    perMonth: timeline(granularity: MONTH) { period count }
    perDay: timeline(granularity: DAY) { period count }
    relatedTags(first: 15) { count tag { name eventCount } }
    events(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...EventItem } }
    }
  }
}
${EVENT_ITEM}`;

const SEARCH_QUERY = `
query Search($text: String!, $first: Int!, $after: String) {
  search(text: $text, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      snippetHtml
      node { ...EventItem }
    }
  }
}
${EVENT_ITEM}`;

const DAY_QUERY = `
query Day($date: Date!, $from: Date!, $to: Date!, $first: Int!, $after: String) {
  day(date: $date) {
    date
    eventCount
    events(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...EventItem } }
    }
  }
  days(from: $from, to: $to) { date eventCount }
}
${EVENT_ITEM}`;

const PUBLISHER_QUERY = `
query Publisher($domain: String!, $first: Int!, $after: String) {
  publisher(name: $domain) {
    name
    domain
    eventCount
    events(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...EventItem } }
    }
  }
}
${EVENT_ITEM}`;

const ON_THIS_DAY_QUERY = `
query OnThisDay($month: Int!, $day: Int!, $first: Int!, $after: String) {
  onThisDay(month: $month, day: $day, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ...EventItem } }
  }
}
${EVENT_ITEM}`;

// The trending panel beside the timeline: a request of its own, made once the timeline has shown
// its newest day (GraphQL cannot pass one field's answer to another's arguments).
const TRENDING_QUERY = `
query Trending($from: Date!, $to: Date!, $first: Int!) {
  trendingTags(from: $from, to: $to, first: $first) {
    tag { name }
    count
    previousCount
    score
  }
}`;

const VIEWS = {
  timeline: {
    nav: "timeline",
    loading: "Loading the timeline…",
    query: TIMELINE_QUERY,
    variables: ({ after, before }) =>
      before ? { first: null, after: null, last: TIMELINE_PAGE, before } : { first: TIMELINE_PAGE, after: after || null, last: null, before: null },
    title: () => "Timeline",
    render: renderTimeline,
    feed: () => FEEDS.events(),
    after: loadTrending,
  },
  day: {
    nav: "timeline",
    loading: "Loading the day…",
    query: DAY_QUERY,
    variables: ({ date, after }) => {
      const day = parseDate(date);
      return {
        date,
        from: day ? isoDay(addDays(day, -DAY_WINDOW)) : date,
        to: day ? isoDay(addDays(day, DAY_WINDOW)) : date,
        first: DAY_PAGE,
        after: after || null,
      };
    },
    title: ({ date }) => longDate(date),
    render: renderDay,
  },
  event: {
    nav: null,
    loading: "Loading the event…",
    query: EVENT_QUERY,
    variables: ({ path }) => ({ path }),
    title: () => "Event",
    render: renderEvent,
  },
  tag: {
    nav: null,
    loading: "Loading the tag…",
    query: TAG_QUERY,
    variables: ({ name, after }) => ({ name, first: LIST_PAGE, after: after || null }),
    title: ({ name }) => `Tag: ${name}`,
    render: renderTag,
    feed: (data) => (data.tag ? FEEDS.tag(data.tag.name) : null),
  },
  publisher: {
    nav: null,
    loading: "Loading the publisher…",
    query: PUBLISHER_QUERY,
    variables: ({ domain, after }) => ({ domain, first: LIST_PAGE, after: after || null }),
    title: ({ domain }) => `Publisher: ${domain}`,
    render: renderPublisher,
    feed: (data) => (data.publisher ? FEEDS.publisher(data.publisher.domain, data.publisher.name) : null),
  },
  search: {
    nav: "search",
    loading: "Searching…",
    query: SEARCH_QUERY,
    skip: ({ q }) => !q.trim(),
    variables: ({ q, after }) => ({ text: q, first: LIST_PAGE, after: after || null }),
    title: ({ q }) => (q.trim() ? `Search: ${q}` : "Search"),
    render: renderSearch,
    feed: (data, { q }) => (q.trim() ? FEEDS.search(q.trim()) : null),
  },
  onThisDay: {
    nav: null,
    loading: "Looking back through the years…",
    query: ON_THIS_DAY_QUERY,
    variables: ({ month, day, after }) => ({ month, day, first: LIST_PAGE, after: after || null }),
    title: ({ month, day }) => `On this day: ${monthDayName(month, day)}`,
    render: renderOnThisDay,
  },
  notFound: {
    nav: null,
    title: () => "Page not found",
    render: () => [
      pageHead({ title: "Page not found" }),
      emptyState("This address is not a view of the explorer.",
        "Go to the ", h("a", { href: "#/timeline" }, "timeline"), " or ", h("a", { href: "#/search" }, "search the archive"), "."),
    ],
  },
};

function renderTimeline(data, params) {
  const { stats, days, events, tags } = data;
  const head = pageHead({
    title: "Timeline",
    lede: stats.events
      ? `${plural(stats.events, "event")} from ${shortDate(stats.dateFrom)} to ${shortDate(stats.dateTo)}, with ${plural(stats.tags, "tag")} and ${plural(stats.publishers, "publisher")}.`
      : "The archive is empty.",
  });
  if (!events.edges.length) {
    return [head, emptyState("No events here.", "Load markdown files with ", h("code", {}, "newsgraph load"), ", or go back to the ", h("a", { href: "#/timeline" }, "newest events"), ".")];
  }

  const dayCounts = new Map(days.map((d) => [d.date, d.eventCount]));
  const groups = [];
  for (const edge of events.edges) {
    const last = groups[groups.length - 1];
    if (last && last.date === edge.node.date) last.edges.push(edge);
    else groups.push({ date: edge.node.date, edges: [edge] });
  }

  const activity = activitySeries(days.map((d) => ({ date: d.date, count: d.eventCount })));
  const chartTitle = `Events per ${activity.per} in the archive`;
  const { pageInfo } = events;
  const paged = Boolean(params.after || params.before);

  return [
    head,
    h("section", { class: "panel chart-panel", "aria-labelledby": "activity-heading" },
      h("h2", { id: "activity-heading" }, chartTitle),
      barChart(activity.points, { title: chartTitle, id: "activity-chart" })),
    h("div", { class: "layout" },
      h("div", { class: "primary" },
        groups.map((group, index) => {
          const id = `day-${index}`;
          const total = dayCounts.get(group.date) ?? group.edges.length;
          const partial = group.edges.length < total;
          return h("section", { class: "day-group", "aria-labelledby": id },
            h("div", { class: "day-head" },
              h("h2", { id }, h("a", { href: dayHref(group.date) }, timeEl(group.date, longDate))),
              h("p", { class: "day-count" }, partial ? `${group.edges.length} of ${plural(total, "event")} on this page` : plural(total, "event"))),
            eventList(group.edges, { level: 3, showDate: false }));
        }),
        pager("Timeline pages", [
          paged && (params.before ? pageInfo.hasPreviousPage : true)
            ? pagerLink("← Newer events", withParams("#/timeline", { before: pageInfo.startCursor }), "prev") : null,
          (params.before || pageInfo.hasNextPage)
            ? pagerLink("Older events →", withParams("#/timeline", { after: pageInfo.endCursor }), "next") : null,
        ])),
      h("aside", { class: "secondary", "aria-label": "Archive overview" },
        trendingPanel(events.edges[0].node.date),
        section("on-this-day-heading", "On this day",
          h("p", {}, h("a", { href: "#/on-this-day" }, `Today, ${monthDayName(todayMonthDay().month, todayMonthDay().day)}, in past years`)),
          dayPicker(todayMonthDay(), "timeline-day")),
        section("top-tags-heading", "Most used tags",
          tagList(tags.edges.map((e) => e.node), { label: "Most used tags", counts: true }) || h("p", { class: "muted" }, "No tags yet.")))),
  ];
}

function renderDay(data, params) {
  const { day, days } = data;
  if (!day) {
    return [
      pageHead({ kicker: "Day", title: longDate(params.date) }),
      emptyState("The archive has no events on this day.", "Pick a day on the ", h("a", { href: "#/timeline" }, "timeline"), "."),
    ];
  }
  const earlier = days.filter((d) => d.date < day.date).pop();
  const later = days.find((d) => d.date > day.date);
  return [
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
      h("ol", {}, h("li", {}, h("a", { href: "#/timeline" }, "Timeline")), h("li", { "aria-current": "page" }, shortDate(day.date)))),
    pageHead({ kicker: "Day", title: longDate(day.date), lede: plural(day.eventCount, "event") }),
    h("p", { class: "page-links" }, h("a", { href: onThisDayOf(day.date) }, "This day in other years")),
    eventList(day.events.edges, { level: 2, showDate: false }),
    pager("Days", [
      earlier ? pagerLink(`← ${shortDate(earlier.date)}`, dayHref(earlier.date), "prev") : null,
      day.events.pageInfo.hasNextPage ? pagerLink("More events of this day", withParams(dayHref(day.date), { after: day.events.pageInfo.endCursor }), "more") : null,
      later ? pagerLink(`${shortDate(later.date)} →`, dayHref(later.date), "next") : null,
    ]),
  ];
}

function renderEvent(data, params) {
  const event = data.event;
  if (!event) {
    return [
      pageHead({ kicker: "Event", title: "Event not found" }),
      emptyState("No event in the archive has this path.",
        h("code", { class: "path" }, params.path), h("br"),
        "It may have been removed, or the link was mistyped. Try ", h("a", { href: "#/search" }, "searching"), " for it."),
    ];
  }
  const cover = webUrl(event.coverImage);
  const related = event.related;
  const linkedFrom = event.relatedBy;
  return [
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
      h("ol", {},
        h("li", {}, h("a", { href: "#/timeline" }, "Timeline")),
        h("li", {}, h("a", { href: dayHref(event.date) }, shortDate(event.date))),
        h("li", { "aria-current": "page" }, "Event"))),
    h("article", { class: "event" },
      h("header", { class: "page-head" },
        h("p", { class: "kicker" }, timeEl(event.date, longDate)),
        h("h1", { tabindex: "-1" }, event.headline),
        tagList(event.tags, { counts: true }),
        h("p", { class: "page-links" }, h("a", { href: onThisDayOf(event.date) }, "This day in other years"))),
      h("div", { class: "layout" },
        h("div", { class: "primary" },
          cover ? h("figure", { class: "cover" },
            h("img", {
              src: cover, alt: `Picture for: ${event.headline}`, loading: "lazy", referrerpolicy: "no-referrer",
              onerror: (e) => e.target.closest("figure").classList.add("broken"),
            }),
            h("figcaption", {}, "Cover image")) : null,
          event.summaryHtml.trim()
            ? h("div", { class: "summary" }, serverHtml(event.summaryHtml))
            : h("p", { class: "summary muted" }, "The archive has no summary for this event."),
          threadSection(event),
          section("related-heading", `Related events (${related.length})`,
            related.length
              ? h("ul", { class: "related-list" }, related.map(relatedItem))
              : h("p", { class: "muted" }, "This event links to no other event.")),
          similarSection(event),
          section("linked-from-heading", `Events that link here (${linkedFrom.totalCount})`,
            linkedFrom.totalCount
              ? [eventList(linkedFrom.edges, { level: 3 }),
                 linkedFrom.totalCount > linkedFrom.edges.length ? h("p", { class: "muted" }, `Showing ${linkedFrom.edges.length} of ${linkedFrom.totalCount}.`) : null]
              : h("p", { class: "muted" }, "No event links here."))),
        h("aside", { class: "secondary", "aria-label": "Sources" },
          section("sources-heading", `Sources (${event.sources.length})`,
            event.sources.length
              ? h("ul", { class: "source-list" }, event.sources.map(sourceItem))
              : h("p", { class: "muted" }, "No sources listed."))))),
  ];
}

/** The event's story thread as a timeline, oldest first, with this event marked. */
function threadSection(event) {
  const thread = event.thread;
  if (thread.totalCount <= 1) {
    return section("thread-heading", "Story thread",
      h("p", { class: "muted" }, "No linked event shares this event's tags: it is a thread of its own."));
  }
  const nodes = thread.events.edges.map((edge) => edge.node);
  const span = thread.firstDate === thread.lastDate
    ? `on ${shortDate(thread.firstDate)}` : `from ${shortDate(thread.firstDate)} to ${shortDate(thread.lastDate)}`;
  return section("thread-heading", `Story thread (${plural(thread.totalCount, "event")})`,
    h("p", { class: "muted small" }, `The events linked to this one on its subjects, ${span}, oldest first.`),
    h("ol", { class: "thread", "aria-label": "Story thread" }, nodes.map((node) => {
      const current = node.path === event.path;
      return h("li", { class: current ? "thread-item current" : "thread-item", "aria-current": current ? "true" : null },
        timeEl(node.date),
        current
          ? h("span", { class: "thread-headline" }, node.headline, " ", h("span", { class: "badge" }, "this event"))
          : h("a", { class: "thread-headline", href: eventHref(node.path) }, node.headline));
    })),
    nodes.length < thread.totalCount || thread.truncated
      ? h("p", { class: "muted small" },
          `Showing ${NUMBER.format(nodes.length)} of ${plural(thread.totalCount, "event")}${thread.truncated ? "; the thread reaches further than the archive follows it" : ""}.`)
      : null);
}

function similarSection(event) {
  const similar = event.similar.edges;
  return section("similar-heading", "Similar events",
    similar.length
      ? h("ol", { class: "similar-list" }, similar.map(({ node: other, score, sharedTags }) =>
          h("li", { class: "similar-item" },
            h("h3", { class: "event-title" }, h("a", { href: eventHref(other.path) }, other.headline)),
            h("p", { class: "event-meta" },
              timeEl(other.date), h("span", { class: "sep", "aria-hidden": "true" }, " · "), `likeness ${score.toFixed(2)}`),
            tagList(sharedTags, { label: "Tags in common" }))))
      : h("p", { class: "muted" }, "No event is much like this one."));
}

/** Month and day selects that open the on-this-day view of the day chosen. */
function dayPicker({ month, day }, id) {
  const months = h("select", { id: `${id}-month`, name: "month" },
    Array.from({ length: 12 }, (_, i) => h("option", { value: i + 1, selected: i + 1 === month },
      MONTH_NAME.format(new Date(Date.UTC(2000, i, 1))))));
  const days = h("select", { id: `${id}-day`, name: "day" });
  const fillDays = (chosen) => {
    const count = daysInMonth(+months.value);
    days.replaceChildren(...Array.from({ length: count }, (_, i) =>
      h("option", { value: i + 1, selected: i + 1 === Math.min(chosen, count) }, String(i + 1))));
  };
  fillDays(day);
  months.addEventListener("change", () => fillDays(+days.value));
  const open = (submitted) => {
    submitted.preventDefault();
    const target = onThisDayHref(+months.value, +days.value);
    if (location.hash === target) show();
    else location.hash = target;
  };
  return h("form", { class: "day-picker", "aria-label": "Pick a day of the year", onsubmit: open },
    h("label", { for: `${id}-month` }, "Month"), months,
    h("label", { for: `${id}-day` }, "Day"), days,
    h("button", { type: "submit", class: "button" }, "Show"));
}

/** The trending panel's frame; `loadTrending` fills it once the view is on the page. */
function trendingPanel(newest) {
  const to = parseDate(newest);
  const from = isoDay(addDays(to, -(TRENDING_DAYS - 1)));
  return h("section", { class: "panel", id: "trending", "aria-labelledby": "trending-heading", "aria-busy": "true",
                        "data-from": from, "data-to": newest },
    h("h2", { id: "trending-heading" }, "Trending"),
    h("p", { class: "muted small" }, `Tags that grew most in the ${TRENDING_DAYS} days to ${shortDate(newest)}, against the ${TRENDING_DAYS} days before.`),
    h("div", { class: "trending-body" }, h("p", { class: "muted" }, "Loading…")));
}

async function loadTrending(signal) {
  const panel = main.querySelector("#trending");
  if (!panel) return;
  let body;
  try {
    const data = await graphql(TRENDING_QUERY, { from: panel.dataset.from, to: panel.dataset.to, first: TRENDING_COUNT }, signal);
    body = data.trendingTags.length
      ? h("ol", { class: "trending", "aria-label": "Trending tags" }, data.trendingTags.map((trend) =>
          h("li", {},
            h("a", { href: tagHref(trend.tag.name) }, trend.tag.name),
            h("span", { class: "trend" }, `${plural(trend.count, "event")} · ${NUMBER.format(trend.previousCount)} before`))))
      : h("p", { class: "muted" }, "No tag grew in these days.");
  } catch (error) {
    if (error.name === "AbortError") return;
    body = h("p", { class: "muted" }, `The trending tags could not be loaded: ${error.message}`);
  }
  if (!panel.isConnected) return;
  panel.querySelector(".trending-body").replaceChildren(body);
  panel.removeAttribute("aria-busy");
}

function renderOnThisDay(data, params) {
  const { month, day } = params;
  const name = monthDayName(month, day);
  const events = data.onThisDay;
  const here = params.today ? "#/on-this-day" : onThisDayHref(month, day);
  const years = [];
  for (const edge of events.edges) {
    const year = edge.node.date.slice(0, 4);
    const last = years[years.length - 1];
    if (last && last.year === year) last.edges.push(edge);
    else years.push({ year, edges: [edge] });
  }
  return [
    pageHead({
      kicker: params.today ? "On this day · today" : "On this day",
      title: name,
      lede: events.totalCount ? `${plural(events.totalCount, "event")} on ${name} in the archive, newest year first.` : null,
    }),
    h("div", { class: "panel picker-panel" }, h("p", {}, "Another day of the year:"), dayPicker({ month, day }, "on-this-day")),
    events.edges.length
      ? [years.map(({ year, edges }, index) => h("section", { class: "year-group", "aria-labelledby": `year-${index}` },
           h("h2", { id: `year-${index}` }, h("a", { href: dayHref(edges[0].node.date) }, year)),
           eventList(edges, { level: 3, showDate: false }))),
         pager("Years", [
           params.after ? pagerLink("← Newest years", here, "first") : null,
           events.pageInfo.hasNextPage ? pagerLink("Older years →", withParams(here, { after: events.pageInfo.endCursor }), "next") : null,
         ])]
      : emptyState(`No event in the archive happened on ${name}.`, "Pick another day above, or go back to the ", h("a", { href: "#/timeline" }, "timeline"), "."),
  ];
}

function relatedItem(item) {
  const target = item.event;
  return h("li", { class: target ? "related-item" : "related-item unresolved" },
    h("h3", { class: "event-title" },
      target ? h("a", { href: eventHref(target.path) }, target.headline) : item.headline),
    h("p", { class: "event-meta" },
      item.date ? timeEl(item.date) : null,
      target ? null : [item.date ? h("span", { class: "sep", "aria-hidden": "true" }, " · ") : null, h("span", { class: "badge" }, "not in this archive")]),
    item.context.length
      ? h("div", { class: "context" }, h("span", { class: "context-label" }, "Shared tags"), tagList(item.context, { label: "Shared tags" }))
      : null);
}

function sourceItem(source) {
  const url = webUrl(source.url);
  return h("li", { class: "source" },
    url ? h("a", { href: url, rel: "noopener noreferrer" }, source.name) : h("span", {}, source.name),
    source.domain ? h("a", { class: "domain", href: publisherHref(source.domain), "aria-label": `${source.domain}: events citing it` }, source.domain) : null,
    source.publisher && source.publisher.eventCount > 1
      ? h("span", { class: "muted small" }, `cited by ${plural(source.publisher.eventCount, "event")}`) : null);
}

function renderTag(data, params) {
  const tag = data.tag;
  if (!tag) {
    return [
      pageHead({ kicker: "Tag", title: params.name }),
      emptyState("No event carries this tag.", "Browse the ", h("a", { href: "#/timeline" }, "most used tags"), " instead."),
    ];
  }
  const months = monthSeries(tag.perMonth);
  const days = daySeries(tag.perDay.map((p) => ({ date: p.period, count: p.count })));
  const events = tag.events;
  const first = tag.perDay[0]?.period;
  const last = tag.perDay[tag.perDay.length - 1]?.period;
  return [
    pageHead({
      kicker: "Tag",
      title: tag.name,
      lede: first ? `${plural(tag.eventCount, "event")}, ${first === last ? `on ${shortDate(first)}` : `from ${shortDate(first)} to ${shortDate(last)}`}.` : plural(tag.eventCount, "event"),
    }),
    h("div", { class: days.length <= 62 ? "charts two" : "charts" },
      section("per-month-heading", "Events per month",
        barChart(months, { title: `Events tagged ${tag.name} per month`, id: "tag-month-chart" })),
      days.length <= 62
        ? section("per-day-heading", "Events per day",
            barChart(days, { title: `Events tagged ${tag.name} per day`, id: "tag-day-chart" }))
        : null),
    h("div", { class: "layout" },
      h("div", { class: "primary" },
        section("tag-events-heading", `Events (${NUMBER.format(events.totalCount)})`,
          eventList(events.edges, { level: 3 }),
          pager("Tag pages", [
            params.after ? pagerLink("← Newest", tagHref(tag.name), "first") : null,
            events.pageInfo.hasNextPage ? pagerLink("Older events →", withParams(tagHref(tag.name), { after: events.pageInfo.endCursor }), "next") : null,
          ]))),
      h("aside", { class: "secondary", "aria-label": "Co-occurring tags" },
        section("cooccurring-heading", "Often tagged together",
          tag.relatedTags.length
            ? h("ul", { class: "cooccurring" }, tag.relatedTags.map(({ tag: other, count }) =>
                h("li", {},
                  h("a", { href: tagHref(other.name) }, other.name),
                  h("span", { class: "meter", "aria-hidden": "true" }, h("span", { class: "meter-fill", "data-share": Math.round((100 * count) / tag.eventCount) })),
                  h("span", { class: "count" }, `${count} of ${tag.eventCount}`))))
            : h("p", { class: "muted" }, "No other tag appears on these events.")))),
  ];
}

function renderPublisher(data, params) {
  const publisher = data.publisher;
  if (!publisher) {
    return [
      pageHead({ kicker: "Publisher", title: params.domain }),
      emptyState("No event cites a source at this domain.", "Publishers are listed with the sources of each event; try the ", h("a", { href: "#/timeline" }, "timeline"), "."),
    ];
  }
  const events = publisher.events;
  return [
    pageHead({ kicker: "Publisher", title: publisher.name, lede: `${publisher.domain}, cited by ${plural(publisher.eventCount, "event")}.` }),
    section("publisher-events-heading", `Events (${NUMBER.format(events.totalCount)})`,
      eventList(events.edges, { level: 3 }),
      pager("Publisher pages", [
        params.after ? pagerLink("← Newest", publisherHref(publisher.domain), "first") : null,
        events.pageInfo.hasNextPage ? pagerLink("Older events →", withParams(publisherHref(publisher.domain), { after: events.pageInfo.endCursor }), "next") : null,
      ])),
  ];
}

function renderSearch(data, params) {
  const q = params.q.trim();
  if (!q) {
    return [
      pageHead({ title: "Search the archive", lede: "Searches headlines, summaries and source names." }),
      h("div", { class: "panel help" },
        h("h2", {}, "How to search"),
        h("ul", {},
          h("li", {}, "Every word must match: ", exampleSearch("migrants hungary")),
          h("li", {}, "Quotes match a phrase: ", exampleSearch('"state of emergency"')),
          h("li", {}, "A star matches the start of words: ", exampleSearch("volcan*")))),
    ];
  }
  const { search } = data;
  const head = pageHead({
    kicker: "Search",
    title: `Results for “${q}”`,
    lede: search.totalCount ? `${plural(search.totalCount, "event")} match, best first.` : null,
  });
  if (!search.edges.length) {
    return [head, emptyState(`No events match “${q}”.`, "Try fewer words, or a prefix such as ", exampleSearch("migra*"), ".")];
  }
  return [
    head,
    h("ol", { class: "event-list results" }, search.edges.map((hit) => {
      const highlighted = highlightedHeadline(hit.node.headline, hit.snippetHtml);
      const item = eventItem(hit.node, { level: 2, headlineContent: highlighted });
      if (!highlighted) item.querySelector(".event-title").after(h("p", { class: "snippet" }, serverHtml(hit.snippetHtml)));
      return item;
    })),
    pager("Result pages", [
      params.after ? pagerLink("← Best matches", withParams("#/search", { q }), "first") : null,
      search.pageInfo.hasNextPage ? pagerLink("More results →", withParams("#/search", { q, after: search.pageInfo.endCursor }), "next") : null,
    ]),
  ];
}

/**
 * When the snippet is a passage of the headline, the headline with the snippet's <mark>s in place
 * (so the result shows the match once); otherwise null and the snippet is shown under the headline.
 */
function highlightedHeadline(headline, snippetHtml) {
  const snippet = serverHtml(snippetHtml);
  const texts = [];
  const walker = document.createTreeWalker(snippet, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) texts.push(walker.currentNode);
  if (!texts.length) return null;
  const first = texts[0];
  const last = texts[texts.length - 1];
  first.textContent = first.textContent.replace(/^\s*(…|\.\.\.)\s*/, "");
  last.textContent = last.textContent.replace(/\s*(…|\.\.\.)\s*$/, "");
  const passage = snippet.textContent;
  const at = passage ? headline.indexOf(passage) : -1;
  if (at < 0) return null;
  const fragment = document.createDocumentFragment();
  fragment.append(headline.slice(0, at), snippet, headline.slice(at + passage.length));
  return fragment;
}

function exampleSearch(text) {
  return h("a", { href: withParams("#/search", { q: text }) }, h("code", {}, text));
}

function renderError(view, params, error) {
  const badInput = error.code === "BAD_USER_INPUT";
  const title = view.title(params);
  return [
    pageHead({ kicker: view === VIEWS.search ? "Search" : null, title: badInput ? title : `${title}: something went wrong` }),
    h("div", { class: "error", role: "alert" },
      h("p", { class: "error-title" }, badInput ? "The API did not accept this request." : "The explorer could not load this view."),
      h("p", { class: "error-message" }, error.message),
      h("p", {}, h("button", { type: "button", class: "button", onclick: () => show() }, "Try again"),
        " or go to the ", h("a", { href: "#/timeline" }, "timeline"), ".")),
  ];
}

/** Grey placeholder blocks while the first view loads; the status region carries the words. */
function skeleton() {
  return h("div", { class: "skeleton", "aria-hidden": "true" },
    h("div", { class: "skeleton-title" }),
    h("div", { class: "skeleton-line" }),
    h("div", { class: "skeleton-block" }),
    h("div", { class: "skeleton-line short" }),
    h("div", { class: "skeleton-line" }));
}

// ---------------------------------------------------------------- routing

/** "#/tag/Syria?after=x" → {name, params}; null for hashes that are not routes (e.g. "#main"). */
function parseRoute(hash) {
  const text = hash.replace(/^#/, "");
  if (text === "" || text === "/") return { name: "timeline", params: {} };
  if (!text.startsWith("/")) return null;
  const [pathPart, queryPart = ""] = text.split(/\?(.*)/s, 2);
  const query = new URLSearchParams(queryPart);
  let segments;
  try {
    segments = pathPart.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return { name: "notFound", params: {} };
  }
  const [head, ...rest] = segments;
  switch (head) {
    case "timeline":
      if (rest.length) break;
      return { name: "timeline", params: { after: query.get("after"), before: query.get("before") } };
    case "day":
      if (rest.length !== 1) break;
      return { name: "day", params: { date: rest[0], after: query.get("after") } };
    case "event":
      if (!rest.length) break;
      return { name: "event", params: { path: "/" + rest.join("/") } };
    case "tag":
      if (rest.length !== 1 || !rest[0]) break;
      return { name: "tag", params: { name: rest[0], after: query.get("after") } };
    case "publisher":
      if (rest.length !== 1 || !rest[0]) break;
      return { name: "publisher", params: { domain: rest[0], after: query.get("after") } };
    case "on-this-day": {
      if (rest.length > 1) break;
      if (!rest.length || !rest[0]) return { name: "onThisDay", params: { ...todayMonthDay(), today: true, after: query.get("after") } };
      const match = /^(\d{1,2})-(\d{1,2})$/.exec(rest[0]);
      if (!match) break;
      return { name: "onThisDay", params: { month: +match[1], day: +match[2], today: false, after: query.get("after") } };
    }
    case "search":
      if (rest.length) break;
      return { name: "search", params: { q: query.get("q") || "", after: query.get("after") } };
  }
  return { name: "notFound", params: {} };
}

const main = document.getElementById("main");
const status = document.getElementById("status");
const searchInput = document.getElementById("search-input");
let inFlight = null;
let followUp = null; // a view's later request (the timeline's trending panel)
let firstView = true;

async function show() {
  const route = parseRoute(location.hash);
  if (!route) return; // an in-page anchor, not a view
  const view = VIEWS[route.name];
  const { params } = route;

  if (inFlight) inFlight.abort();
  if (followUp) followUp.abort();
  followUp = null;
  const controller = new AbortController();
  inFlight = controller;

  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === view.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  searchInput.value = route.name === "search" ? params.q : "";

  let content;
  let variables = null;
  let feed = null;
  if (view.query && !(view.skip && view.skip(params))) {
    variables = view.variables(params);
    status.textContent = view.loading;
    main.setAttribute("aria-busy", "true");
    if (!main.querySelector("h1")) main.replaceChildren(skeleton());
    try {
      const data = await graphql(view.query, variables, controller.signal);
      if (controller !== inFlight) return;
      content = view.render(data, params);
      feed = view.feed ? view.feed(data, params) : null;
      if (view.after && data) followUp = new AbortController();
    } catch (error) {
      if (controller !== inFlight || error.name === "AbortError") return;
      if (!(error instanceof ApiError)) console.error(error);
      content = renderError(view, params, error instanceof ApiError ? error : new ApiError("The page failed to show the answer."));
    }
  } else {
    content = view.render(null, params);
  }
  inFlight = null;

  main.replaceChildren();
  append(main, [content, variables ? requestDetails(view.query, variables) : null]);
  announceFeed(feed);
  if (feed) main.querySelector(".page-head")?.append(feedLink(feed));
  if (followUp) view.after(followUp.signal);
  main.removeAttribute("aria-busy");
  status.textContent = "";
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : view.title(params)} · newsgraph explorer`;
  for (const fill of main.querySelectorAll(".meter-fill")) fill.style.width = `${fill.dataset.share}%`;

  if (!firstView && heading) {
    window.scrollTo(0, 0);
    heading.focus({ preventScroll: true });
  }
  firstView = false;
}

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = searchInput.value.trim();
  const target = q ? withParams("#/search", { q }) : "#/search";
  if (location.hash === target) show();
  else location.hash = target;
});

document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  (main.querySelector("h1") || main).focus();
});

window.addEventListener("hashchange", () => show());
show();
