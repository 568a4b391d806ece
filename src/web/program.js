// A trainee's program: the chart of load, the weeks at a glance, one week at a
// time in tabs (all of them when printed) and the exports.

import { renderExports } from './exports.js';
import { $, el, requestName, shortId, svg } from './lib.js';

const RPE = /RPE\s*(\d+(?:\.\d+)?)(?:\s*[-–]\s*(\d+(?:\.\d+)?))?/i;
// Reps in reserve say the same thing from the other end: RPE = 10 - RIR.
const RIR = /RIR\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s+(?:or more\s+)?reps? in reserve/i;

// ---- Pieces of a session, shared with the today mode ----------------------

// A warm-up in words, whether a generator wrote it as text, items or an object.
function warmupText(warmup) {
  if (warmup == null || warmup === '') return '';
  if (typeof warmup === 'string') return warmup;
  if (Array.isArray(warmup)) return warmup.map(warmupText).filter(Boolean).join('; ');
  if (typeof warmup === 'object') return Object.values(warmup).map(warmupText).filter(Boolean).join('; ');
  return String(warmup);
}

export function renderWarmup(session) {
  const text = warmupText(session.warmup);
  return text ? el('p', { class: 'warmup' }, el('strong', {}, 'Warm-up: '), text) : null;
}

// The dose on one line that never breaks inside "rest 120 s".
export const dose = (x) => `${x.sets} × ${x.reps}`;
export const rest = (x) => `rest ${x.rest_seconds}\u00a0s`;

// Notes, cue and effort text, whichever the program has.
export function exerciseNotes(x) {
  return [x.cue, x.effort, x.notes].filter((text) => text != null && text !== '')
    .map((text) => el('p', { class: 'small ex-notes' }, String(text)));
}

function renderWarnings(program) {
  const warnings = (program.warnings ?? []).filter(Boolean);
  if (!warnings.length) return null;
  return el('div', { class: 'warnings', role: 'note', 'aria-label': 'Before you start' },
    el('p', {}, el('strong', {}, 'Before you start')),
    el('ul', {}, ...warnings.map((text) => el('li', {}, String(text)))));
}

// ---- Numbers for the chart and the overview -------------------------------

function rpeOf(text) {
  const match = RPE.exec(String(text ?? ''));
  if (!match) {
    const reserve = RIR.exec(String(text ?? ''));
    return reserve ? 10 - Number(reserve[1] ?? reserve[2]) : null;
  }
  const low = Number(match[1]);
  return match[2] ? (low + Number(match[2])) / 2 : low;
}

// Sets, average effort (RPE, when the program says it) and deload, per week.
function weekStats(week) {
  const exercises = week.sessions.flatMap((s) => s.exercises);
  const sets = exercises.reduce((sum, x) => sum + x.sets, 0);
  const efforts = exercises.map((x) => rpeOf(x.effort) ?? rpeOf(x.notes)).filter((v) => v !== null);
  const effort = efforts.length ? efforts.reduce((a, b) => a + b, 0) / efforts.length : rpeOf(week.focus);
  const deload = week.deload === true || /deload/i.test(week.focus ?? '');
  return { week: week.week, sets, effort, deload };
}

// ---- The chart: an SVG drawn here, no library -----------------------------

const W = 640; const H = 240; const PAD = { left: 44, right: 44, top: 16, bottom: 44 };

function scale(value, [lo, hi], [from, to]) {
  return from + ((value - lo) / (hi - lo || 1)) * (to - from);
}

function chartDescription(stats) {
  return stats.map((s) => `Week ${s.week}: ${s.sets} sets${s.effort ? `, effort RPE ${s.effort.toFixed(1)}` : ''}${s.deload ? ' (deload)' : ''}`).join('; ');
}

function bars(stats, y) {
  const slot = (W - PAD.left - PAD.right) / stats.length;
  return stats.map((s, i) => {
    const top = y(s.sets);
    return svg('rect', {
      class: s.deload ? 'bar deload' : 'bar',
      x: (PAD.left + i * slot + slot * 0.15).toFixed(1), y: top.toFixed(1),
      width: (slot * 0.7).toFixed(1), height: (H - PAD.bottom - top).toFixed(1),
    });
  });
}

// The effort line breaks where a week gives no RPE (a deload's "easy effort").
function effortLine(stats) {
  const slot = (W - PAD.left - PAD.right) / stats.length;
  const y = (v) => scale(v, [5, 10], [H - PAD.bottom, PAD.top]);
  const runs = [[]];
  stats.forEach((s, i) => {
    if (s.effort) runs.at(-1).push([PAD.left + (i + 0.5) * slot, y(s.effort)]);
    else if (runs.at(-1).length) runs.push([]);
  });
  const points = runs.flat();
  const xy = (p) => p.map((v) => v.toFixed(1)).join(',');
  return [
    ...runs.filter((run) => run.length).map((run) => svg('polyline', { class: 'effort', points: run.map(xy).join(' ') })),
    ...points.map(([cx, cy]) => svg('circle', { class: 'effort-dot', cx: cx.toFixed(1), cy: cy.toFixed(1), r: 4 })),
    ...[6, 8, 10].map((v) => svg('text', { class: 'axis', x: W - PAD.right + 6, y: y(v) + 4 }, `${v}`)),
  ];
}

function axes(stats, maxSets, y) {
  const slot = (W - PAD.left - PAD.right) / stats.length;
  const ticks = [0, Math.round(maxSets / 2), maxSets];
  const every = stats.length > 12 ? 2 : 1; // keep week labels readable on 16 weeks
  return [
    ...ticks.map((v) => svg('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) })),
    ...ticks.map((v) => svg('text', { class: 'axis', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, `${v}`)),
    ...stats.filter((_, i) => i % every === 0).map((s) => svg('text', {
      class: 'axis', x: PAD.left + (s.week - 0.5) * slot, y: H - PAD.bottom + 20, 'text-anchor': 'middle',
    }, `${s.week}`)),
    svg('text', { class: 'axis', x: W / 2, y: H - 4, 'text-anchor': 'middle' }, 'week'),
  ];
}

function renderChart(program) {
  const stats = program.weeks.map(weekStats);
  const maxSets = Math.ceil(Math.max(...stats.map((s) => s.sets), 1) / 10) * 10; // round ticks
  const y = (v) => scale(v, [0, maxSets], [H - PAD.bottom, PAD.top]);
  const hasEffort = stats.some((s) => s.effort);
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc',
  },
  svg('title', { id: 'chart-title' }, 'Weekly volume and effort'),
  svg('desc', { id: 'chart-desc' }, chartDescription(stats)),
  ...axes(stats, maxSets, y), ...bars(stats, y), ...(hasEffort ? effortLine(stats) : []));
  const legend = el('ul', { class: 'legend small' },
    el('li', {}, el('span', { class: 'key bar-key', 'aria-hidden': 'true' }), 'sets per week (left scale)'),
    hasEffort ? el('li', {}, el('span', { class: 'key effort-key', 'aria-hidden': 'true' }), 'effort, RPE (right scale)') : null,
    stats.some((s) => s.deload) ? el('li', {}, el('span', { class: 'key deload-key', 'aria-hidden': 'true' }), 'deload week') : null);
  return el('section', { class: 'block chart-block', id: 'program-chart', 'aria-labelledby': 'chart-heading' },
    el('h3', { id: 'chart-heading' }, 'Load over the weeks'), el('figure', {}, chart, legend));
}

// ---- Weeks at a glance: a table of weeks × days ---------------------------

function renderOverview(program, pick) {
  const days = program.weeks[0]?.sessions.length ?? 0;
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Week'),
    ...Array.from({ length: days }, (_, i) => el('th', { scope: 'col' }, `Day ${i + 1}`)),
    el('th', { scope: 'col' }, 'Sets'));
  const rows = program.weeks.map((w) => {
    const stats = weekStats(w);
    return el('tr', { class: stats.deload ? 'deload' : null },
      el('th', { scope: 'row' }, el('button', { type: 'button', class: 'link', onclick: () => pick(w.week, true) },
        `Week ${w.week}`), stats.deload ? el('span', { class: 'tag' }, 'deload') : null),
      ...w.sessions.map((s) => el('td', {}, s.name, el('span', { class: 'small' }, ` ${s.duration_minutes}\u00a0min`))),
      el('td', { class: 'num' }, `${stats.sets}`));
  });
  return el('section', { class: 'block', id: 'program-overview', 'aria-labelledby': 'overview-heading' },
    el('h3', { id: 'overview-heading' }, 'Weeks at a glance'),
    el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'overview-heading' },
      el('table', { class: 'overview' }, el('thead', {}, head), el('tbody', {}, ...rows))));
}

// ---- One week at a time ---------------------------------------------------

function renderExercise(x) {
  return el('li', { class: 'exercise' },
    el('span', { class: 'ex-name' }, x.name), ' ',
    el('span', { class: 'ex-dose' }, dose(x)), ' ',
    el('span', { class: 'ex-rest small' }, rest(x)),
    ...exerciseNotes(x));
}

function renderSession(s) {
  return el('article', { class: 'session' },
    el('h4', {}, `Day ${s.day}: ${s.name} `, el('span', { class: 'small' }, `${s.duration_minutes}\u00a0min`)),
    renderWarmup(s),
    el('ol', { class: 'exercises' }, ...s.exercises.map(renderExercise)));
}

function renderWeek(w) {
  const deload = weekStats(w).deload;
  return el('section', {
    class: `week${deload ? ' deload' : ''}`, id: `week-${w.week}`, role: 'tabpanel',
    'aria-labelledby': `week-${w.week}-title`, tabindex: '-1',
  },
  el('h3', { id: `week-${w.week}-title` }, `Week ${w.week}: ${w.focus}`),
  ...w.sessions.map(renderSession));
}

// Tabs with arrow keys (the WAI-ARIA tabs pattern); the chosen one is on screen.
function renderWeeks(program) {
  const tabs = program.weeks.map((w) => el('button', {
    type: 'button', role: 'tab', id: `tab-week-${w.week}`, 'aria-controls': `week-${w.week}`,
    class: weekStats(w).deload ? 'deload' : null,
  }, el('span', { class: 'sr-only' }, 'Week '), `${w.week}`));
  const list = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Weeks' }, ...tabs);
  const panels = program.weeks.map(renderWeek);
  const pick = (n, focusPanel = false) => {
    tabs.forEach((tab, i) => {
      const on = i === n - 1;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panels[i].classList.toggle('current', on);
    });
    if (focusPanel) panels[n - 1].focus();
  };
  list.addEventListener('keydown', (event) => {
    const i = tabs.indexOf(document.activeElement);
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    if (i < 0 || !(event.key in moves)) return;
    event.preventDefault();
    const next = (moves[event.key] + tabs.length) % tabs.length;
    pick(next + 1);
    tabs[next].focus();
  });
  tabs.forEach((tab, i) => tab.addEventListener('click', () => pick(i + 1)));
  pick(1);
  const block = el('section', { class: 'block weeks', id: 'program-weeks', 'aria-labelledby': 'weeks-heading' },
    el('h3', { id: 'weeks-heading', class: 'sr-only' }, 'Week by week'), list, ...panels);
  return { block, pick };
}

// ---- The whole view -------------------------------------------------------

function skipLinks() {
  const links = [
    ['program-weeks', 'Skip to the weeks'], ['program-overview', 'Skip to the overview'],
    ['program-exports', 'Skip to calendar and files'],
  ];
  return el('nav', { class: 'skip-links', 'aria-label': 'In this program' },
    el('ul', {}, ...links.map(([id, text]) => el('li', {}, el('a', { href: `#${id}`, 'data-skip': '' }, text)))));
}

function programHead(job) {
  const program = job.result;
  return el('header', { class: 'program-head' },
    el('p', { class: 'no-print' }, el('a', { href: '#/' }, '← All programs')),
    el('h2', { id: 'program-title', tabindex: '-1' }, program.title),
    el('p', { class: 'summary' }, program.summary),
    el('p', { class: 'small' }, `${requestName(job.request)} · ${program.weeks.length} weeks · #${shortId(job.id)} · written by ${program.generator}`),
    renderWarnings(program),
    el('div', { class: 'actions no-print' },
      el('a', { class: 'button primary', href: `#/programs/${job.id}/today` }, 'Today’s session'),
      el('button', { type: 'button', onclick: () => window.print() }, 'Print')));
}

export function renderProgram(job) {
  const weeks = renderWeeks(job.result);
  $('#program').replaceChildren(
    skipLinks(), programHead(job), renderChart(job.result),
    renderOverview(job.result, weeks.pick), weeks.block, renderExports(job));
}
