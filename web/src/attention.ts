/** Drawing attention to new alerts: a count in the tab's title, a spoken (aria-live) announcement,
 * an optional tone (off by default, remembered in localStorage, made with WebAudio: nothing is
 * downloaded) and a browser notification when the operator allowed them. */

import type { ControlAlert } from './types-control';

const SOUND_KEY = 'csm-sound';
let known: Set<string> | null = null;
let audio: AudioContext | null = null;

export function soundOn(): boolean {
  return localStorage.getItem(SOUND_KEY) === '1';
}

export function setSound(on: boolean): void {
  localStorage.setItem(SOUND_KEY, on ? '1' : '0');
  if (on) tone(); // a sample, and browsers allow audio only after a gesture
}

/** Two short beeps (880 Hz then 660 Hz). */
export function tone(): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    for (const [i, freq] of [880, 660].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.25, start + i * 0.25 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.25 + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.25);
      osc.stop(start + i * 0.25 + 0.22);
    }
    document.documentElement.dataset.toneCount = String(Number(document.documentElement.dataset.toneCount ?? 0) + 1);
  } catch (error) {
    console.warn('tone', error);
  }
}

export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** The page title with the number of alerts nobody has acknowledged yet. */
export function titleWithBadge(base: string, unacknowledged: number): string {
  return unacknowledged > 0 ? `(${unacknowledged}) ${base}` : base;
}

export function notificationsAllowed(): boolean {
  return 'Notification' in window && Notification.permission === 'granted';
}

export async function askNotifications(): Promise<boolean> {
  if (!('Notification' in window)) return false;
  return (await Notification.requestPermission()) === 'granted';
}

/** Alerts not seen in the previous read (none on the first read: the page just opened). */
export function newAlerts(alerts: readonly ControlAlert[]): ControlAlert[] {
  const fresh = known === null ? [] : alerts.filter((a) => a.status === 'raised' && !known?.has(a.id));
  known = new Set(alerts.map((a) => a.id));
  return fresh;
}

/** Tell the operator about new alerts; tone and notification for orange and red. */
export function signal(fresh: readonly ControlAlert[], zoneName: (id: string) => string): void {
  if (!fresh.length) return;
  const words = fresh.map((a) => `${a.level} alert, ${zoneName(a.zone_id)}: ${a.message}`);
  announce(`New ${words.join('. New ')}`);
  const urgent = fresh.filter((a) => a.level === 'red' || a.level === 'orange');
  if (!urgent.length) return;
  if (soundOn()) tone();
  if (notificationsAllowed()) {
    for (const a of urgent.slice(0, 3)) {
      new Notification(`${a.level.toUpperCase()} · ${zoneName(a.zone_id)}`, { body: a.message, tag: a.id });
    }
  }
}
