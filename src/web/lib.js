// Small DOM and wording helpers shared by every part of the page.
// All text from users or the model goes through text nodes, never innerHTML.

export const $ = (selector, root = document) => root.querySelector(selector);

// Build an element; string children become text nodes, so nothing is parsed as HTML.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// The SVG twin of el(): attributes only, children appended as nodes or text.
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children.flat()) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function setText(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

const human = (value) => String(value ?? '').replaceAll('_', ' ');
export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
export const fmtDateTime = (iso) => (iso ? new Date(iso).toLocaleString() : '');

export function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

export function duration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 90) return `${s} s`;
  return `${Math.round(s / 60)} min`;
}

// Job ids are UUIDv7: the first characters are a timestamp shared by jobs made the
// same minute, the last ones are random, so the short id is taken from the end.
export const shortId = (id) => id.replaceAll('-', '').slice(-8);

const GOALS = {
  strength: 'Strength', hypertrophy: 'Muscle size', endurance: 'Endurance',
  fat_loss: 'Fat loss', general_fitness: 'General fitness',
};

// "Strength, 3 days × 8 weeks": what a person asked for, before the program has a title.
export function requestName(request = {}) {
  const goal = GOALS[request.goal] ?? human(request.goal);
  const days = request.days_per_week === 1 ? '1 day' : `${request.days_per_week} days`;
  const weeks = request.weeks === 1 ? '1 week' : `${request.weeks} weeks`;
  return `${goal}, ${days} × ${weeks}`;
}

// One polite live region for the whole page: status changes are read out once.
export function announce(text) {
  const region = $('#announcer');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50); // a changed node is re-announced
}
