/** Map themes for a control-room wall: dark (default, low glare) and light (daylight rooms).
 * Only the basemap and labels change; level colours are the same in both. */

export type ThemeName = 'dark' | 'light';

export interface MapTheme {
  background: string;
  land: string;
  sea: string;
  beach: string;
  dunes: string;
  park: string;
  harbour: string;
  boulevard: string;
  pier: string;
  street: string;
  streetCasing: string;
  tram: string;
  tramStop: string;
  landmark: string;
  building: string;
  buildingOpacity: number;
  zoneOutline: string;
  labelText: string;
  labelHalo: string;
}

export const THEMES: Readonly<Record<ThemeName, MapTheme>> = {
  dark: {
    background: '#1a1f26', land: '#1a1f26', sea: '#0d2a3f', beach: '#5b5137', dunes: '#37432e',
    park: '#26382a', harbour: '#113349', boulevard: '#4a4f57', pier: '#6b7078', street: '#5c6470',
    streetCasing: '#11151a', tram: '#b07cf0', tramStop: '#d2b4ff', landmark: '#9aa3ad', building: '#8b949e',
    buildingOpacity: 0.55, zoneOutline: '#0b1016', labelText: '#f0f3f6', labelHalo: '#0b1016',
  },
  light: {
    background: '#eceae4', land: '#eceae4', sea: '#a9cbe3', beach: '#f1dfa8', dunes: '#cfdcb4',
    park: '#bfd8ae', harbour: '#9bbfd8', boulevard: '#d3d0c8', pier: '#b9b5ab', street: '#ffffff',
    streetCasing: '#b8b3a7', tram: '#7a3fc4', tramStop: '#5a2a99', landmark: '#a39b8f', building: '#b5ada0',
    buildingOpacity: 0.6, zoneOutline: '#30363d', labelText: '#111418', labelHalo: '#ffffff',
  },
};

const KEY = 'csm-map-theme';

/** The theme the operator chose on this browser, else the site's default. */
export function initialTheme(siteDefault: ThemeName): ThemeName {
  const wanted = new URLSearchParams(window.location.search).get('theme');
  if (wanted === 'dark' || wanted === 'light') return wanted;
  const stored = localStorage.getItem(KEY);
  return stored === 'dark' || stored === 'light' ? stored : siteDefault;
}

export function rememberTheme(theme: ThemeName): void {
  localStorage.setItem(KEY, theme);
}
