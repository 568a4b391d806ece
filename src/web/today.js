// Today mode, for the phone at the gym: one session in big type, a tick per set
// (kept in localStorage) and a rest timer that starts when a set is ticked.

import { $, announce, el } from './lib.js';
import { dose, exerciseNotes, renderWarmup, rest } from './program.js';

const ticksKey = (id) => `progen.ticks.${id}`;
let timer = null; // {end, interval}

function loadTicks(id) {
  try {
    return new Set(JSON.parse(localStorage.getItem(ticksKey(id)) ?? '[]'));
  } catch {
    return new Set(); // a damaged entry starts afresh
  }
}

const saveTicks = (id, ticks) => localStorage.setItem(ticksKey(id), JSON.stringify([...ticks]));
const setKey = (week, day, exercise, set) => `${week}.${day}.${exercise}.${set}`;

// All sessions in order, so "today" can be the first one not finished yet.
const sessionsOf = (program) => program.weeks.flatMap((w) => w.sessions.map((s) => ({ week: w, session: s })));

function isDone({ week, session }, ticks) {
  return session.exercises.every((x, e) => Array.from({ length: x.sets }, (_, n) => setKey(week.week, session.day, e, n))
    .every((key) => ticks.has(key)));
}

// ---- The rest timer -------------------------------------------------------

function stopTimer() {
  if (timer) clearInterval(timer.interval);
  timer = null;
  const box = $('#rest-timer');
  if (box) box.hidden = true;
}

function showRemaining() {
  const left = Math.max(0, Math.ceil((timer.end - Date.now()) / 1000));
  $('#rest-left').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  if (left === 0) {
    stopTimer();
    announce('Rest over: next set.');
  }
}

function startTimer(seconds, name) {
  stopTimer();
  if (!seconds) return;
  timer = { end: Date.now() + seconds * 1000, interval: setInterval(showRemaining, 250) };
  $('#rest-what').textContent = `Rest after ${name}`;
  $('#rest-timer').hidden = false;
  showRemaining();
  announce(`Rest ${seconds} seconds.`);
}

// ---- The session ----------------------------------------------------------

function setBoxes(job, ticks, { week, session }, x, e) {
  return el('div', { class: 'sets', role: 'group', 'aria-label': `Sets of ${x.name}` },
    ...Array.from({ length: x.sets }, (_, n) => {
      const key = setKey(week.week, session.day, e, n);
      const box = el('input', { type: 'checkbox', checked: ticks.has(key) });
      box.addEventListener('change', () => {
        if (box.checked) ticks.add(key);
        else ticks.delete(key);
        saveTicks(job.id, ticks);
        if (box.checked) startTimer(x.rest_seconds, x.name);
      });
      return el('label', { class: 'set' }, box, `Set ${n + 1}`);
    }));
}

function renderExercise(job, ticks, where, x, e) {
  return el('li', { class: 'today-exercise' },
    el('h3', {}, x.name),
    el('p', { class: 'today-dose' }, dose(x), ' · ', el('span', { class: 'ex-rest' }, rest(x))),
    ...exerciseNotes(x),
    setBoxes(job, ticks, where, x, e));
}

function render(job, index) {
  const all = sessionsOf(job.result);
  const ticks = loadTicks(job.id);
  const where = all[index];
  const { week, session } = where;
  const go = (i) => render(job, i);
  stopTimer();
  $('#today').replaceChildren(...[
    el('p', {}, el('a', { href: `#/programs/${job.id}` }, '← Whole program')),
    el('h2', { id: 'today-title', tabindex: '-1' }, session.name),
    el('p', { class: 'today-where' }, `Week ${week.week} · day ${session.day} · ${session.duration_minutes}\u00a0min`,
      isDone(where, ticks) ? ' · done' : ''),
    el('p', { class: 'small' }, job.result.title),
    el('nav', { class: 'today-nav', 'aria-label': 'Sessions' },
      el('button', { type: 'button', disabled: index === 0, onclick: () => go(index - 1) }, '← Previous'),
      el('button', { type: 'button', disabled: index === all.length - 1, onclick: () => go(index + 1) }, 'Next →')),
    renderWarmup(session),
    el('ol', { class: 'today-exercises' }, ...session.exercises.map((x, e) => renderExercise(job, ticks, where, x, e))),
    el('div', { id: 'rest-timer', class: 'rest-timer', role: 'timer', 'aria-labelledby': 'rest-what', hidden: true },
      el('span', { id: 'rest-what' }), ' ', el('strong', { id: 'rest-left' }),
      el('button', { type: 'button', onclick: stopTimer }, 'Skip rest')),
  ].filter(Boolean)); // a session without a warm-up has none
  $('#today').dataset.session = `${week.week}.${session.day}`;
}

// Open on the first session with a set still to do (the last one when all are done).
export function renderToday(job) {
  const all = sessionsOf(job.result);
  const ticks = loadTicks(job.id);
  const first = all.findIndex((where) => !isDone(where, ticks));
  render(job, first === -1 ? all.length - 1 : first);
}

export const leaveToday = stopTimer;
