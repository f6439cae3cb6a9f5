/** Training mode in the page (`/?training` and `/?training=SESSION`): the lobby (join a session;
 * trainers start one), the trainer's console, the trainee's view of the sandbox and the debrief.
 * Every view of it is framed and titled TRAINING with the session's clock, so a sandbox can never
 * be taken for the live picture; it reads only /api/v1/training routes (never live data). */

import { ApiError, getJson, trainingUrl } from './api';
import { message } from './context';
import { byId, fill, h } from './dom';
import { renderDebrief } from './panels/debrief';
import { renderConsole, type ConsoleActions } from './panels/training-console';
import { renderSandbox } from './panels/training-sandbox';
import { renderLobby } from './panels/training-lobby';
import { sessionTime } from './training-format';
import type { CatalogueEntry, Debrief, TrainingAlerts, TrainingLog, TrainingSession, TrainingZones } from './training-types';
import type { Me, SiteSummary, ZoneCollection } from './types';

export type TrainingTab = 'console' | 'sandbox' | 'debrief';

/** What the training page knows; re-read every POLL_MS from the API (every worker answers alike). */
export interface TrainingState {
  me: Me;
  sites: SiteSummary[];
  sessionId: string | null;
  session: TrainingSession | null;
  zones: TrainingZones | null;
  features: ZoneCollection['features'];
  alerts: TrainingAlerts | null;
  log: TrainingLog | null;
  catalogue: CatalogueEntry[];
  debrief: Debrief | null;
  ended: boolean;
  tab: TrainingTab;
}

const POLL_MS = 2_000;

/** Take over the page when the URL asks for training; otherwise offer a way in. Returns true when
 * the training page was mounted (the live dashboard must then not start). */
export async function mountTraining(): Promise<boolean> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('training')) {
    void offerEntry();
    return false;
  }
  const me = await getJson<Me>('/api/v1/auth/me');
  const sites = await getJson<SiteSummary[]>('/api/v1/sites');
  const sessionId = params.get('training') || null;
  const mayRun = me.permissions.includes('run_training');
  const state: TrainingState = {
    me, sites, sessionId, session: null, zones: null, features: [], alerts: null, log: null, catalogue: [],
    debrief: null, ended: false,
    tab: params.get('view') === 'debrief' ? 'debrief' : mayRun ? 'console' : 'sandbox',
  };
  buildShell(state);
  if (mayRun) state.catalogue = await getJson<CatalogueEntry[]>('/api/v1/training/catalogue');
  await refresh(state);
  window.setInterval(() => void refresh(state).catch(showError), POLL_MS);
  return true;
}

/** A "Training" button in the live dashboard's top bar, for accounts that may train. */
async function offerEntry(): Promise<void> {
  try {
    const me = await getJson<Me>('/api/v1/auth/me');
    if (!me.permissions.includes('training')) return;
    const link = h('a', { class: 'training-entry', href: '/?training', title: 'Training sessions (sandbox days)' },
      'Training');
    document.querySelector('.topbar .actions')?.prepend(link);
  } catch {
    // not logged in yet: the dashboard itself sends the user to /login
  }
}

function buildShell(state: TrainingState): void {
  document.body.className = 'training-mode';
  document.body.replaceChildren(
    h('div', { class: 'training-frame', 'aria-hidden': 'true' }),
    h('header', { class: 'training-bar', role: 'banner' },
      h('strong', { class: 'training-badge', id: 'training-badge' }, 'TRAINING'),
      h('span', { id: 'training-clock', class: 'training-clock', 'aria-live': 'off' }, 'session clock –'),
      h('span', { id: 'training-status', class: 'training-status' }),
      h('span', { class: 'training-note' }, 'Sandbox exercise: not live data'),
      h('nav', { class: 'training-nav' },
        h('a', { href: '/?training' }, 'Sessions'),
        h('span', { class: 'user' }, `${state.me.username}${state.me.role ? ` (${state.me.role.replace(/_/g, ' ')})` : ''}`),
        h('a', { href: '/' }, 'Leave training'))),
    h('div', { id: 'training-error', class: 'training-error', role: 'alert', hidden: true }),
    h('nav', { id: 'training-tabs', class: 'training-tabs', 'aria-label': 'Training views' }),
    h('main', { id: 'training-main', class: 'training-main' }),
  );
  document.title = 'TRAINING · Crowd Safety Manager';
}

function showError(error: unknown): void {
  const box = byId('training-error');
  box.hidden = false;
  box.textContent = message(error);
}

async function refresh(state: TrainingState): Promise<void> {
  if (!state.sessionId) {
    await renderLobby(byId('training-main'), state);
    setClock(null, state);
    return;
  }
  if (!state.ended) {
    try {
      await loadSession(state, state.sessionId);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      state.ended = true; // ended by the trainer: its debrief stays
    }
  }
  if (state.ended || state.tab === 'debrief') await loadDebrief(state, state.sessionId);
  byId('training-error').hidden = true;
  render(state);
}

async function loadSession(state: TrainingState, id: string): Promise<void> {
  const session = await getJson<TrainingSession>(trainingUrl(id));
  if (!state.features.length) {
    state.features = (await getJson<ZoneCollection>(`/api/v1/sites/${encodeURIComponent(session.site)}/zones`)).features;
  }
  const [zones, alerts] = await Promise.all([
    getJson<TrainingZones>(trainingUrl(id, '/zones/state')),
    getJson<TrainingAlerts>(trainingUrl(id, '/alerts')),
  ]);
  state.log = session.may_run ? await getJson<TrainingLog>(trainingUrl(id, '/log')) : null;
  Object.assign(state, { session, zones, alerts });
}

async function loadDebrief(state: TrainingState, id: string): Promise<void> {
  try {
    state.debrief = await getJson<Debrief>(trainingUrl(id, '/debrief'));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) state.debrief = null;
    else throw error;
  }
}

function setClock(session: TrainingSession | null, state: TrainingState): void {
  const clock = session ? sessionTime(session.now, session.timezone, true) : '–';
  byId('training-clock').textContent = `session clock ${clock}`;
  byId('training-status').textContent = state.ended ? 'session ended'
    : session ? (session.paused ? 'paused' : `running ${session.speed}×`) : 'choose a session';
  document.title = `TRAINING ${session ? sessionTime(session.now, session.timezone) : ''} · Crowd Safety Manager`;
}

function render(state: TrainingState): void {
  setClock(state.session, state);
  const mayRun = state.me.permissions.includes('run_training');
  const tabs: [TrainingTab, string][] = state.ended ? [['debrief', 'Debrief']]
    : mayRun ? [['console', 'Trainer console'], ['sandbox', 'Trainee view'], ['debrief', 'Debrief']]
      : [['sandbox', 'Alerts and zones']];
  if (!tabs.some(([t]) => t === state.tab)) state.tab = tabs[0]![0];
  fill(byId('training-tabs'), ...tabs.map(([tab, label]) => h('button', {
    type: 'button', 'aria-pressed': String(state.tab === tab), 'data-tab': tab,
    onclick: () => { state.tab = tab; void refresh(state).catch(showError); },
  }, label)));
  const main = byId('training-main');
  main.dataset.view = state.tab;
  if (state.tab === 'debrief') renderDebrief(main, state.debrief, state.ended);
  else if (state.tab === 'console' && state.session) renderConsole(main, state, consoleActions(state));
  else if (state.session) renderSandbox(main, state, () => void refresh(state).catch(showError));
}

function consoleActions(state: TrainingState): ConsoleActions {
  return {
    changed: () => void refresh(state).catch(showError),
    failed: showError,
    ended: () => { state.ended = true; state.tab = 'debrief'; void refresh(state).catch(showError); },
  };
}
